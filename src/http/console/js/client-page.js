// @ts-check
// One client's page: details, how it authenticates (secret or public keys), the workloads it
// trusts (trust-policies.js), its quick start, recent activity and the danger zone. It shows
// what the list knew at once, then refreshes.

import { $, h, badge } from "./dom.js";
import { state, orgPath, enc, usesKeys, onOrgReset } from "./state.js";
import { api, channel, ignorable } from "./api.js";
import { show, focusHeading, hashFor } from "./router.js";
import { showProblem, clearProblem, copy } from "./feedback.js";
import { timeFull, roleTags, secretHint, expiryWarning, expiryTime, tokenLifetime } from "./format.js";
import { describeKey, thumbprint } from "./jwk.js";
import { renderQuickStart, SECRET_VARIABLE } from "./quick-start.js";
import { eventItem } from "./audit-sentences.js";
import { auditLabels, markAuditStale } from "./audit-log.js";
import { clients, clientChanged, clientRemoved } from "./clients-list.js";
import { showTrustPolicies, setTrustClient, loadTrustPolicies, showTrustProblem, trustNotLoaded, onTrustPoliciesChanged } from "./trust-policies.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */

/**
 * @type {{
 *   id: string | null, client: Client | null, grace: Map<string, { at: string, seconds: number }>,
 *   channel: ReturnType<typeof channel>, activity: ReturnType<typeof channel>,
 * }}
 */
export const page = { id: null, client: null, grace: new Map(), channel: channel(), activity: channel() };

function resetClientPage() {
  page.channel.cancel();
  page.activity.cancel();
  page.id = null;
  page.client = null;
  page.grace.clear();
}

export function showClientPage(/** @type {string} */ id) {
  if (page.id !== id) page.client = null;
  page.id = id;
  clients.lastOpened = id;
  show("client");
  clearProblem($("client-error"));
  $("client-gone").hidden = true;
  const known = clients.byId.get(id) || page.client;
  if (known) renderClient(known);
  else {
    $("client-body").hidden = true;
    $("client-disabled-note").hidden = true;
    $("client-badges").replaceChildren();
    $("client-title").textContent = "Loading client…";
  }
  $("client-activity").replaceChildren();
  $("client-activity-empty").textContent = "Not loaded yet.";
  $("client-activity-empty").hidden = true;
  clearProblem($("client-activity-error"));
  showTrustPolicies(id);
  window.scrollTo(0, 0);
  focusHeading();
  loadClientPage(id);
}

/** The client, its trust policies and its activity together; one failure is one message with
 * one Retry. */
async function loadClientPage(/** @type {string} */ id) {
  const [failed, activityFailed, trustFailed] = await Promise.all([refreshClient(id), loadActivity(id), loadTrustPolicies(id)]);
  if (page.id !== id) return;
  if (failed) {
    if (activityFailed) $("client-activity-empty").hidden = false;
    if (trustFailed) trustNotLoaded();
    if (!page.client) $("client-title").textContent = "Client";
    const kept = page.client ? " What is shown is what the console knew before." : "";
    showProblem($("client-error"), `Could not load this client. ${failed.message}${kept}`, () => loadClientPage(id));
    return;
  }
  if (activityFailed) showActivityProblem(id, activityFailed);
  if (trustFailed) showTrustProblem(id, trustFailed);
}
function showActivityProblem(/** @type {string} */ id, /** @type {Error} */ e) {
  showProblem($("client-activity-error"), `Could not load the recent activity. ${e.message}`, async () => {
    const failed = await loadActivity(id);
    if (failed && page.id === id) showActivityProblem(id, failed);
  });
}
function refreshActivity(/** @type {string} */ id) {
  loadActivity(id).then((failed) => { if (failed && page.id === id) showActivityProblem(id, failed); });
}

/** The console changed a client: the list, this page and its activity follow. */
export function clientUpdated(/** @type {Client} */ client) {
  markAuditStale();
  clientChanged(client);
  if (page.id === client.client_id) {
    renderClient(client);
    refreshActivity(client.client_id);
  }
}

/** Returns the error to show, if any. */
async function refreshClient(/** @type {string} */ id) {
  const req = page.channel.start();
  try {
    /** @type {ApiResult<Client>} */
    const { data } = await api("GET", `${orgPath()}/clients/${enc(id)}`, { signal: req.signal });
    if (!req.current() || page.id !== id) return null;
    clearProblem($("client-error"));
    renderClient(data);
    clientChanged(data);
    return null;
  } catch (e) {
    if (ignorable(e) || !req.current() || page.id !== id) return null;
    if (e.status === 404) { showGone(id); return null; }
    return e;
  }
}

function showGone(/** @type {string} */ id) {
  $("client-body").hidden = true;
  $("client-gone").hidden = false;
  $("client-disabled-note").hidden = true;
  $("client-title").textContent = page.client ? page.client.name : "Client not found";
  const listed = clients.byId.get(id);
  if (listed) clientRemoved(listed);
}

function renderClient(/** @type {Client} */ client) {
  page.client = client;
  const keys = usesKeys(client);
  $("client-body").hidden = false;
  $("client-gone").hidden = true;
  $("client-title").textContent = client.name;
  document.title = `${client.name} · orgauth console`;
  $("client-badges").replaceChildren(...(client.disabled ? [badge("Disabled", "disabled")] : []), ...(keys ? [badge("Key", "key")] : []));
  $("client-disabled-note").hidden = !client.disabled;

  $("client-id-value").textContent = client.client_id;
  $("client-description").replaceChildren(client.description || h("span", { class: "none" }, "none"));
  $("client-roles").replaceChildren(...roleTags(client.roles));
  $("client-ttl").textContent = tokenLifetime(client, state.settings && state.settings.token_ttl_seconds);
  $("client-created").replaceChildren(...timeFull(client.created_at));
  $("client-last-used").replaceChildren(...timeFull(client.last_used_at, "never"));

  renderAuthentication(client);
  setTrustClient(client);
  renderDangerZone(client);
  $("client-audit-link").href = hashFor.audit({ target: client.client_id });
  auditLabels.set(client.client_id, client.name);
  $("client-quickstart-hint").replaceChildren(...(keys
    ? ["Get a token with this client: the application signs a client assertion with its private key, which never leaves it (and is never pasted here)."]
    : ["Get a token with this client. Put its secret in the ", h("code", {}, SECRET_VARIABLE),
      " environment variable first (the secret is shown only when it is created or rotated)."]));
  renderQuickStart($("client-quickstart"), "page", client, null);
}

function renderAuthentication(/** @type {Client} */ client) {
  const keys = usesKeys(client);
  $("client-method").textContent = keys ? "Public key (private_key_jwt)" : "Secret (client_secret_basic)";
  for (const id of ["client-hint-row", "client-expiry-row", "client-rotated-row"]) $(id).hidden = keys;
  $("client-keys-row").hidden = !keys;
  $("client-rotate").hidden = keys;
  $("client-replace-keys").hidden = !keys;
  $("client-switch").textContent = keys ? "Switch to secret" : "Switch to public key";
  if (keys) {
    $("client-grace-row").hidden = true;
    $("client-revoked-row").hidden = true;
    renderKeys(client);
    return;
  }
  $("client-hint").replaceChildren(client.secret_hint ? secretHint(client.secret_hint) : h("span", { class: "none" }, "none yet: create one to use this client"));
  $("client-rotate").textContent = client.secret_hint ? "Rotate secret" : "Create secret";
  $("client-expiry").replaceChildren(...expiryFact(client));
  $("client-rotated").replaceChildren(...timeFull(client.secret_rotated_at, "not since it was created"));
  renderGrace(client.client_id);
  $("client-revoked-row").hidden = !client.tokens_not_before;
  if (client.tokens_not_before) {
    $("client-revoked").replaceChildren("tokens issued before ", ...timeFull(client.tokens_not_before), " are refused");
  }
}

function expiryFact(/** @type {Client} */ client) {
  if (!client.secret_hint) return ["—"];
  if (!client.client_secret_expires_at) return ["never"];
  const warning = expiryWarning(client);
  const when = expiryTime(client.client_secret_expires_at);
  if (!warning) return when;
  const kind = warning.expired ? "expired" : "expiring";
  const advice = warning.expired
    ? " The secret no longer works: rotate it to give the application a new one."
    : " Rotate it before then.";
  return [badge(warning.text, kind), " ", ...when, h("span", { class: "fact-note" }, advice)];
}

function renderKeys(/** @type {Client} */ client) {
  if (client.jwks_uri) {
    // The application publishes its keys and the server fetches them when it checks an
    // assertion: the address is shown as text, never fetched or linked from here.
    $("client-keys").replaceChildren(h("li", { class: "key" },
      h("span", { class: "key-type" }, "Published by the application"), " at ", h("code", {}, client.jwks_uri),
      h("span", { class: "muted" }, "This server fetches them from there when it checks a client assertion.")));
    return;
  }
  /** @type {import("./types").Jwk[]} */
  const keys = client.jwks && Array.isArray(client.jwks.keys) ? client.jwks.keys : [];
  $("client-keys").replaceChildren(...keys.map((key) => {
    const print = h("code", { class: "thumb" }, "…");
    thumbprint(key).then((value) => { print.textContent = value || "not available in this browser"; });
    return h("li", { class: "key" },
      h("span", { class: "key-type" }, describeKey(key)),
      key.kid ? [" · key ID ", h("code", {}, key.kid)] : h("span", { class: "muted-inline" }, " · no key ID"),
      key.use ? ` · use ${key.use}` : null,
      key.alg ? ` · ${key.alg}` : null,
      h("span", { class: "muted" }, "SHA-256 thumbprint ", print));
  }));
}

function renderDangerZone(/** @type {Client} */ client) {
  $("client-disable-text").textContent = client.disabled
    ? "This client is disabled: every token request is refused, and the tokens issued to it before were revoked. Enabling it lets it get new tokens; the revoked ones stay revoked."
    : "Disabling this client refuses every token request and revokes the tokens issued to it so far. You can enable it again at any time: it then gets new tokens, and the revoked ones stay revoked.";
  const button = $("client-disable");
  button.textContent = client.disabled ? "Enable client" : "Disable client";
  button.className = client.disabled ? "secondary" : "danger-outline";
}

/** The old secret's grace period: from the client record where the server says, else from
 * this console's own rotation or the audit log. */
function renderGrace(/** @type {string} */ id) {
  const client = page.client && page.client.client_id === id ? page.client : null;
  if (client && usesKeys(client)) return;
  if (client && client.previous_secret_expires_at) {
    $("client-grace-row").hidden = false;
    $("client-grace").replaceChildren("still works until ", ...expiryTime(client.previous_secret_expires_at));
    return;
  }
  const grace = page.grace.get(id);
  $("client-grace-row").hidden = !grace;
  if (!grace) return;
  const until = new Date(new Date(grace.at).getTime() + grace.seconds * 1000).toISOString();
  let text;
  if (grace.seconds === 0) text = ["stopped working at the last rotation"];
  else if (new Date(until) > new Date()) text = ["still works until ", ...expiryTime(until)];
  else text = ["stopped working ", ...expiryTime(until)];
  $("client-grace").replaceChildren(...text);
}
export function noteRotation(/** @type {string} */ id, /** @type {string} */ at, /** @type {number} */ seconds) {
  const known = page.grace.get(id);
  if (!known || new Date(at) >= new Date(known.at)) page.grace.set(id, { at, seconds });
}

/** Returns the error to show, if any. */
async function loadActivity(/** @type {string} */ id) {
  const req = page.activity.start();
  try {
    const params = new URLSearchParams({ target: id, limit: "10" });
    /** @type {ApiResult<import("./types").AuditEvent[]>} */
    const { data } = await api("GET", `${orgPath()}/audit-events?${params}`, { signal: req.signal });
    if (!req.current() || page.id !== id) return null;
    clearProblem($("client-activity-error"));
    const events = data.filter((event) => event.target === id);
    const rotation = events.find((event) => event.action === "client.secret_rotated");
    if (rotation) noteRotation(id, rotation.created_at, Number(rotation.details.grace_period_seconds) || 0);
    renderGrace(id);
    $("client-activity").replaceChildren(...events.map(eventItem));
    $("client-activity-empty").textContent = "Nothing recorded yet.";
    $("client-activity-empty").hidden = events.length > 0;
    return null;
  } catch (e) {
    if (ignorable(e) || !req.current()) return null;
    return e;
  }
}

export function wireClientPage() {
  onOrgReset(resetClientPage);
  onTrustPoliciesChanged((id) => {
    markAuditStale();
    if (page.id === id) refreshActivity(id);
  });
  $("client-id-copy").addEventListener("click", () => copy(page.client.client_id, "Client ID"));
}

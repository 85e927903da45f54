// @ts-check
// A client's trust policies on its page (workload identity federation): which tokens of which
// external issuer may act as the client, the quick start of each for its workload, and deleting
// one — its workload's tokens stop being accepted at once.

import { $, h, hiddenText } from "./dom.js";
import { orgPath, enc, onOrgReset } from "./state.js";
import { api, channel, ignorable } from "./api.js";
import { status, showProblem, clearProblem } from "./feedback.js";
import { openDialog, confirmAction } from "./dialogs.js";
import { timeFull } from "./format.js";
import { PLATFORMS, platformOf, conditionsText } from "./trust-platforms.js";
import { renderWorkloadQuickStart } from "./workload-quick-start.js";
import { openTrustDialog } from "./trust-dialog.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").TrustPolicy} TrustPolicy */

/** The server's bound per client. */
const MAX_POLICIES = 10;

/** @type {{ id: string | null, client: Client | null, policies: TrustPolicy[] | null, channel: ReturnType<typeof channel> }} */
const trust = { id: null, client: null, policies: null, channel: channel() };
/** @type {((clientId: string) => void)[]} */
const listeners = [];
/** Views that show what the policies change (the activity, the audit log) learn of it. */
export function onTrustPoliciesChanged(/** @type {(clientId: string) => void} */ listener) { listeners.push(listener); }
const changed = (/** @type {string} */ clientId) => { for (const listener of listeners) listener(clientId); };

function resetTrustPolicies() {
  trust.channel.cancel();
  trust.id = null;
  trust.client = null;
  trust.policies = null;
  render();
}

/** The client page opens: another client's policies go at once. */
export function showTrustPolicies(/** @type {string} */ id) {
  if (trust.id === id) return;
  trust.channel.cancel();
  trust.id = id;
  trust.client = null;
  trust.policies = null;
  render();
  clearProblem($("trust-error"));
}
/** The client's record (its name for the dialogs), whenever the page renders it. */
export function setTrustClient(/** @type {Client} */ client) {
  if (client.client_id === trust.id) trust.client = client;
}

/** Returns the error to show, if any. */
export async function loadTrustPolicies(/** @type {string} */ id) {
  const req = trust.channel.start();
  try {
    /** @type {ApiResult<TrustPolicy[]>} */
    const { data } = await api("GET", `${orgPath()}/clients/${enc(id)}/trust-policies`, { signal: req.signal });
    if (!req.current() || trust.id !== id) return null;
    clearProblem($("trust-error"));
    trust.policies = data;
    render();
    return null;
  } catch (e) {
    if (ignorable(e) || !req.current()) return null;
    return e;
  }
}
export function showTrustProblem(/** @type {string} */ id, /** @type {Error} */ e) {
  showProblem($("trust-error"), `Could not load the trust policies. ${e.message}`, async () => {
    const failed = await loadTrustPolicies(id);
    if (failed && trust.id === id) showTrustProblem(id, failed);
  });
}
/** The page could not load at all: its one error says so; this section says what it lacks. */
export function trustNotLoaded() {
  $("trust-empty").textContent = "Not loaded yet.";
  $("trust-empty").hidden = trust.policies !== null;
}

// ---------- the list ----------

function render() {
  const policies = trust.policies;
  const loaded = Array.isArray(policies);
  $("trust-list").replaceChildren(...(loaded ? policies.map(policyItem) : []));
  $("trust-empty").textContent = "No trust policies yet: only the client's own credential gets its tokens.";
  $("trust-empty").hidden = !loaded || policies.length > 0;
  const full = loaded && policies.length >= MAX_POLICIES;
  $("trust-full").hidden = !full;
  $("trust-add").disabled = full;
}

/** "GitHub Actions", or "GitHub-style tokens" when the issuer is not the platform's own. */
function platformTitle(/** @type {TrustPolicy} */ policy) {
  const key = platformOf(policy);
  const platform = PLATFORMS[key];
  if (key === "custom") return "Custom issuer";
  return platform.issuer && policy.issuer !== platform.issuer ? `${platform.style} tokens` : platform.label;
}

const fact = (/** @type {string} */ label, /** @type {import("./types").Children[]} */ ...value) => h("div", {}, h("dt", {}, label), h("dd", {}, ...value));
const none = (/** @type {string} */ text) => h("span", { class: "none" }, text);

function policyItem(/** @type {TrustPolicy} */ policy) {
  const titleId = `trust-title-${policy.id}`;
  const claims = Object.entries(policy.claims || {});
  const which = ` for ${policy.subject}`;
  return h("li", { class: "policy", "data-policy-id": policy.id, "aria-labelledby": titleId },
    h("h3", { id: titleId, class: "policy-title" }, platformTitle(policy)),
    h("dl", { class: "facts" },
      fact("Issuer", h("code", {}, policy.issuer)),
      fact("Subject", h("code", {}, policy.subject)),
      fact("Claims", claims.length
        ? h("ul", { class: "conditions" }, claims.map(([name, pattern]) => h("li", {}, h("code", {}, name), " = ", h("code", {}, pattern))))
        : none("none")),
      fact("Audience", h("code", {}, policy.audience)),
      policy.jwks_uri ? fact("Key set", h("code", {}, policy.jwks_uri)) : null,
      fact("Created", ...timeFull(policy.created_at))),
    h("div", { class: "card-actions" },
      h("button", { type: "button", class: "secondary small", onclick: (event) => showWorkloadQuickStart(policy, false, /** @type {Element} */ (event.currentTarget)) },
        "Quick start", hiddenText(which)),
      h("button", { type: "button", class: "admin-only danger-outline small", onclick: () => confirmDelete(policy) },
        "Delete", hiddenText(` trust policy${which}`))));
}

// ---------- adding one, and its workload's quick start ----------

function policyCreated(/** @type {TrustPolicy} */ policy) {
  const id = policy.client_id;
  if (trust.id === id && Array.isArray(trust.policies)) {
    trust.policies = [...trust.policies, policy];
    render();
  } else if (trust.id === id) {
    // The list had not loaded: now it may.
    loadTrustPolicies(id).then((failed) => { if (failed && trust.id === id) showTrustProblem(id, failed); });
  }
  changed(id);
  showWorkloadQuickStart(policy, true, $("trust-add"));
  status(`Trust policy added: tokens of ${policy.issuer} with subject ${policy.subject} now get the tokens of ${trust.client ? trust.client.name : "this client"}.`);
}

/** `created`: right after adding it (the title says so); `opener`: where focus returns. */
function showWorkloadQuickStart(/** @type {TrustPolicy} */ policy, /** @type {boolean} */ created, /** @type {Element} */ opener) {
  const client = trust.client || { client_id: policy.client_id, name: "this client" };
  const conditions = conditionsText(policy.claims);
  $("workload-dialog-title").textContent = created ? "Trust policy added" : "Workload quick start";
  $("workload-dialog-text").replaceChildren(
    "Tokens of ", h("code", {}, policy.issuer), " with subject ", h("code", {}, policy.subject),
    conditions ? ` (when ${conditions})` : "",
    ` ${created ? "now get" : "get"} the tokens of `, h("strong", {}, client.name),
    ", with its roles. The workload sends its platform's token to the token endpoint with this client's ID: nothing secret is stored.");
  renderWorkloadQuickStart($("workload-quickstart"), policy, client);
  openDialog($("workload-dialog"), $("workload-dialog-title"), opener); // from the top
}

// ---------- deleting one ----------

function confirmDelete(/** @type {TrustPolicy} */ policy) {
  const client = trust.client || { client_id: policy.client_id, name: "this client" };
  confirmAction({
    title: "Delete this trust policy?",
    body: [
      ["Tokens of this workload stop being accepted at once: tokens of ", h("code", {}, policy.issuer),
        " with subject ", h("code", {}, policy.subject), ` no longer get the tokens of ${client.name}.`],
      "Access tokens it already got keep working until they expire. This cannot be undone: to trust the workload again, add a new policy.",
    ],
    confirm: "Delete trust policy",
    busyLabel: "Deleting…",
    danger: true,
    fallback: $("trust-add"),
    action: async () => {
      try {
        await api("DELETE", `${orgPath()}/clients/${enc(client.client_id)}/trust-policies/${enc(policy.id)}`);
      } catch (e) {
        if (e.status !== 404) throw e; // already gone: what was asked for
      }
    },
    then: () => {
      if (trust.id === client.client_id && Array.isArray(trust.policies)) {
        trust.policies = trust.policies.filter((p) => p.id !== policy.id);
        render();
      }
      changed(client.client_id);
      status(`Trust policy deleted: tokens of ${policy.issuer} with subject ${policy.subject} are no longer accepted.`);
    },
  });
}

export function wireTrustPolicies() {
  onOrgReset(resetTrustPolicies);
  $("trust-add").addEventListener("click", () => {
    if (trust.client) openTrustDialog(trust.client, policyCreated);
  });
  $("workload-dialog").addEventListener("close", () => $("workload-quickstart").replaceChildren());
}

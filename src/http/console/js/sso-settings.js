// @ts-check
// An organization's single sign-on (in its settings): the IdP connection its admins make (the
// client secret write-only), the redirect URI to register at the IdP, the e-mail domains a
// platform admin assigns, a test sign-in that reports the claims the IdP sent, disconnecting.

import { $, h } from "./dom.js";
import { state, orgPath, isPlatformAdmin, canManage, enc } from "./state.js";
import { api, ApiError, fieldMessage } from "./api.js";
import { status, showProblem, clearProblem, fieldError, busy } from "./feedback.js";
import { confirmAction } from "./dialogs.js";
import { markAuditStale } from "./audit-log.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").SsoConnection} SsoConnection */

/** The connection as last loaded: null when the organization has none. */
/** @type {SsoConnection | null} */
let connection = null;
let saving = false;

const redirectUri = () => `${location.origin}/auth/sso/callback`;

/** Shows the card for the organization on screen; `tested` is a test sign-in's report. */
export async function showSso(/** @type {string | null} */ tested) {
  $("sso-redirect-uri").value = redirectUri();
  renderTested(tested);
  const org = state.orgId;
  try {
    /** @type {ApiResult<SsoConnection>} */
    const { data } = await api("GET", `${orgPath()}/sso`);
    if (state.orgId !== org) return;
    connection = data;
  } catch (e) {
    if (state.orgId !== org) return;
    if (e.status === 404) connection = null;
    else {
      if (!e.handled) showProblem($("sso-error"), `Could not load the single sign-on connection. ${e.message}`, () => showSso(null));
      return;
    }
  }
  clearProblem($("sso-error"));
  render();
}

function render() {
  const c = connection;
  const manage = canManage();
  $("sso-state").textContent = c
    ? `Connected to ${c.issuer}.${c.require_sso ? " Members must sign in through it." : ""}`
    : "Not connected: members sign in with passkeys.";
  $("sso-issuer").value = c ? c.issuer : "";
  $("sso-client-id").value = c ? c.client_id : "";
  $("sso-client-secret").value = "";
  $("sso-client-secret").placeholder = c && c.client_secret_set ? "•••••••• (stored)" : "";
  $("sso-jit-role").value = (c && c.jit_role) || "";
  $("sso-require").checked = !!(c && c.require_sso);
  const domains = c ? c.domains : [];
  $("sso-domains").textContent = domains.length
    ? `The organization's domains: ${domains.join(", ")}.`
    : "The organization has no e-mail domains yet (a platform administrator assigns them).";
  $("sso-test").hidden = !c || !manage;
  $("sso-disconnect").hidden = !c || !manage;
  for (const id of ["sso-issuer", "sso-client-id", "sso-client-secret", "sso-jit-role", "sso-require"]) {
    $(id).disabled = !manage;
  }
  $("sso-save").hidden = !manage;
  $("sso-domains-form").hidden = !isPlatformAdmin() || !c;
  $("sso-domains-input").value = domains.join(", ");
}

/** A test sign-in's report (base64url JSON of the claims), shown once. */
function renderTested(/** @type {string | null} */ tested) {
  $("sso-tested").hidden = true;
  if (!tested) return;
  let claims;
  try {
    const text = atob(tested.replace(/-/g, "+").replace(/_/g, "/"));
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (ch) => ch.charCodeAt(0))));
  } catch {
    return;
  }
  const row = (/** @type {string} */ term, /** @type {string} */ value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
  $("sso-tested-claims").replaceChildren(
    row("E-mail", claims.email ? `${claims.email} (${claims.email_verified ? "verified" : "NOT verified: cannot join by it"})` : "none sent"),
    row("Name", claims.name || "none sent"),
    row("Subject", String(claims.subject)),
    row("Issuer", String(claims.issuer)),
  );
  $("sso-tested").hidden = false;
  status("Test sign-in finished: the identity provider's claims are shown.");
}

async function save(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (saving) return;
  const secret = $("sso-client-secret").value;
  /** @type {import("./types").PutSsoRequest} */
  const body = {
    issuer: $("sso-issuer").value.trim(),
    client_id: $("sso-client-id").value.trim(),
    require_sso: $("sso-require").checked,
    jit_role: $("sso-jit-role").value || null,
  };
  if (secret) body.client_secret = secret;
  if (!body.issuer) { fieldError($("sso-issuer"), "Enter the identity provider's issuer URL."); return; }
  if (!body.client_id) { fieldError($("sso-client-id"), "Enter the client ID the identity provider gave you."); return; }
  if (!connection && !secret) { fieldError($("sso-client-secret"), "Enter the client secret the identity provider gave you."); return; }
  saving = true;
  try {
    await busy($("sso-save"), "Checking the identity provider…", async () => {
      /** @type {ApiResult<SsoConnection>} */
      const { data } = await api("PUT", `${orgPath()}/sso`, { body });
      connection = data;
      render();
      markAuditStale();
      status("Single sign-on saved.");
    });
  } catch (e) {
    if (e.handled) return;
    /** @type {Record<string, string>} */
    const fields = { issuer: "sso-issuer", client_id: "sso-client-id", client_secret: "sso-client-secret", jit_role: "sso-jit-role" };
    const field = e.field && fields[e.field];
    if (field) fieldError($(field), fieldMessage(e));
    else showProblem($("sso-error"), e.message, undefined);
  } finally {
    saving = false;
  }
}

async function saveDomains(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  const domains = $("sso-domains-input").value.split(/[\s,]+/).filter(Boolean);
  try {
    await busy($("sso-domains-save"), "Saving…", async () => {
      /** @type {ApiResult<string[]>} */
      const { data } = await api("PUT", `${orgPath()}/sso/domains`, { body: domains });
      if (connection) connection.domains = data;
      render();
      markAuditStale();
      status("Domains saved.");
    });
  } catch (e) {
    if (!e.handled) fieldError($("sso-domains-input"), e instanceof ApiError && e.field ? fieldMessage(e) : e.message);
  }
}

function disconnect() {
  confirmAction({
    title: "Disconnect single sign-on?",
    body: ["Members can no longer sign in through the identity provider. Those without a passkey cannot sign in until it is connected again."],
    confirm: "Disconnect", busyLabel: "Disconnecting…", danger: true,
    action: () => api("DELETE", `${orgPath()}/sso`),
    then: () => { connection = null; render(); markAuditStale(); status("Single sign-on disconnected."); },
  });
}

export function wireSso() {
  $("sso-form").addEventListener("submit", save);
  $("sso-domains-form").addEventListener("submit", saveDomains);
  $("sso-disconnect").addEventListener("click", disconnect);
  // The test runs the whole sign-in at the IdP and comes back here with what it sent.
  $("sso-test").addEventListener("click", () => {
    location.assign(`/auth/sso/${enc(state.orgId)}/start?purpose=test`);
  });
}

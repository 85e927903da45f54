// @ts-check
// Signing in with an admin client's ID and secret, and out again: the token, who is signed in,
// the server's settings and the role catalog; everything of a session is dropped when it ends.

import { $ } from "./dom.js";
import { state, enc, resetOrgViews } from "./state.js";
import { api, fetchJson, setToken, ApiError, friendly } from "./api.js";
import { show, route, renderWhoami } from "./router.js";
import { status, fieldError, busy } from "./feedback.js";
import { abandonSecret } from "./secret-dialog.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").Organization} Organization */

async function signIn(/** @type {string} */ clientId, /** @type {string} */ secret) {
  /** @type {{ res: Response, data: import("./types").ServerMetadata }} */
  const { res: metaRes, data: meta } = await fetchJson("/.well-known/oauth-authorization-server");
  if (!metaRes.ok) throw new ApiError(friendly[metaRes.status] || "Sign-in failed.", metaRes.status);
  // The admin API accepts only tokens whose audience is this server's issuer; ask for it even
  // when ORGAUTH_AUDIENCES makes another audience the default.
  /** @type {{ res: Response, data: import("./types").TokenResponse }} */
  const { res, data } = await fetchJson("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, audience: meta.issuer }),
  });
  if (!res.ok) {
    if (res.status === 401) throw new ApiError("That client ID and secret do not match.", 401);
    throw new ApiError(friendly[res.status] || data.error_description || "Sign-in failed.", res.status);
  }
  const payload = data.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  /** @type {import("./types").AccessTokenClaims} */
  const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
  const roles = claims.roles || [];
  if (!roles.includes("org:admin") && !roles.includes("platform:admin")) {
    throw new ApiError("This client is not an administrator (it needs org:admin or platform:admin).", 403);
  }
  setToken(data.access_token);
  state.me = { clientId: claims.client_id, orgId: claims.org_id, roles, name: null, orgName: null };
  state.settings = { issuer: meta.issuer, token_endpoint: meta.token_endpoint, audiences: null, default_audience: null };
}

async function afterSignIn() {
  const [roles] = await Promise.all([
    /** @type {Promise<ApiResult<import("./types").Role[]>>} */ (api("GET", "/roles")), loadIdentity(), loadSettings(),
  ]);
  state.catalog = roles.data;
}

/** The names of the signed-in client and its organization, where it may read them. */
async function loadIdentity() {
  const me = state.me;
  const [client, org] = await Promise.allSettled([
    /** @type {Promise<ApiResult<Client>>} */ (api("GET", `/organizations/${enc(me.orgId)}/clients/${enc(me.clientId)}`)),
    /** @type {Promise<ApiResult<Organization>>} */ (api("GET", `/organizations/${enc(me.orgId)}`)),
  ]);
  if (state.me !== me) return;
  if (client.status === "fulfilled") me.name = client.value.data.name;
  if (org.status === "fulfilled") me.orgName = org.value.data.name;
  renderWhoami();
}

/** The token endpoint, audiences and token lifetime (the discovery document as fallback). */
async function loadSettings() {
  try {
    /** @type {ApiResult<import("./types").Settings>} */
    const { data } = await api("GET", "/settings");
    state.settings = { ...state.settings, ...data };
  } catch (e) {
    if (e.handled) throw e;
  }
}

function resetSession() {
  setToken(null);
  state.me = null;
  state.orgs = null;
  state.orgId = null;
  state.org = null;
  state.settings = null;
  resetOrgViews();
  abandonSecret();
  for (const dialog of /** @type {NodeListOf<HTMLDialogElement>} */ (document.querySelectorAll("dialog[open]"))) dialog.close();
  $("sign-in-secret").value = "";
}

export function signOut() {
  resetSession();
  history.replaceState(null, "", location.pathname + location.search);
  show("sign-in");
  showSignInError("");
  status("Signed out.");
  $("sign-in-id").focus();
}

/** The server refused the token: back to sign-in, where a new sign-in returns to this page. */
export function endSession() {
  resetSession();
  show("sign-in");
  showSignInError(friendly[401]);
  $("sign-in-secret").focus();
}

function showSignInError(/** @type {string} */ message) {
  $("sign-in-error").textContent = message;
  $("sign-in-error").hidden = !message;
}

let signingIn = false;
export async function submitSignIn(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (signingIn) return;
  const idInput = $("sign-in-id");
  const secretInput = $("sign-in-secret");
  const id = idInput.value.trim();
  const secretValue = secretInput.value.trim();
  if (!id) fieldError(idInput, "Enter the client ID.");
  if (!secretValue) fieldError(secretInput, "Enter the client secret.");
  if (!id || !secretValue) { (id ? secretInput : idInput).focus(); return; }
  showSignInError("");
  signingIn = true;
  try {
    await busy(/** @type {HTMLButtonElement} */ (event.submitter || $("sign-in-form").querySelector("button")), "Signing in…", async () => {
      await signIn(id, secretValue);
      secretInput.value = "";
      await afterSignIn();
    });
    route();
  } catch (e) {
    if (!e.handled) {
      setToken(null);
      showSignInError(e.message);
    }
  } finally {
    signingIn = false;
  }
}

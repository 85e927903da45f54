// @ts-check
// People's sessions in the console: signing in with a passkey, who is signed in (GET /me: the
// person, their organizations, the CSRF token), signing in again when a change needs a recent
// sign-in (step-up), and signing out. The session itself is an HttpOnly cookie the page never
// sees; everything the page knew of it is dropped when it ends.

import { $ } from "./dom.js";
import { state, resetOrgViews } from "./state.js";
import { api, request, fetchJson, setCsrf, ApiError, friendly } from "./api.js";
import { show, route, renderWhoami } from "./router.js";
import { status, busy, fieldError } from "./feedback.js";
import { abandonSecret } from "./secret-dialog.js";
import { getCredential, passkeyProblem, passkeysSupported } from "./webauthn.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */

/** Who is signed in, from the server; false when nobody is. */
export async function loadMe() {
  try {
    /** @type {ApiResult<import("./types").Me>} */
    const { data } = await request("GET", "/admin/v1/me");
    if (data.type !== "user") return false;
    state.me = data;
    setCsrf(data.csrf_token);
    renderWhoami();
    return true;
  } catch (e) {
    if (e.status === 401) return false;
    throw e;
  }
}

/** After a sign-in: who, the role catalog and the server's settings. */
export async function afterSignIn() {
  if (!(await loadMe())) throw new ApiError(friendly[401], 401);
  const [roles] = await Promise.all([
    /** @type {Promise<ApiResult<import("./types").Role[]>>} */ (api("GET", "/roles")), loadSettings(),
  ]);
  state.catalog = roles.data;
}

/** The token endpoint, audiences and token lifetime. */
async function loadSettings() {
  try {
    /** @type {ApiResult<import("./types").Settings>} */
    const { data } = await api("GET", "/settings");
    state.settings = data;
  } catch (e) {
    if (e.handled) throw e;
  }
}

/** The passkey ceremony of a sign-in: a new session cookie when it succeeds. */
export async function passkeySignIn() {
  const { res, data } = await fetchJson("/auth/passkeys/sign-in/options", { method: "POST" });
  if (!res.ok) throw new ApiError(friendly[res.status] || "Sign-in is not available.", res.status);
  let credential;
  try {
    credential = await getCredential(/** @type {Record<string, any>} */ (data));
  } catch (e) {
    throw new ApiError(passkeyProblem(e), 0);
  }
  /** @type {Response} */
  let answer;
  try {
    answer = await fetch("/auth/passkeys/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(credential),
    });
  } catch {
    throw new ApiError(friendly[0], 0);
  }
  if (answer.status === 401 || answer.status === 422) {
    throw new ApiError("That passkey is not registered here. Use the passkey you created for this console, or ask an admin for a new invitation.", answer.status);
  }
  if (!answer.ok) throw new ApiError(friendly[answer.status] || "Sign-in failed.", answer.status);
}

function resetSession() {
  setCsrf(null);
  state.me = null;
  state.orgs = null;
  state.orgId = null;
  state.org = null;
  state.settings = null;
  resetOrgViews();
  abandonSecret();
  for (const dialog of /** @type {NodeListOf<HTMLDialogElement>} */ (document.querySelectorAll("dialog[open]"))) dialog.close();
}

export async function signOut() {
  await request("POST", "/auth/sign-out", {}, false).catch(() => {});
  resetSession();
  history.replaceState(null, "", location.pathname + location.search);
  show("sign-in");
  showSignInError("");
  status("Signed out.");
  $("sign-in-passkey").focus();
}

/** The server ended the session: back to sign-in, where a new sign-in returns to this page. */
export function endSession() {
  resetSession();
  show("sign-in");
  showSignInError(friendly[401]);
  $("sign-in-passkey").focus();
}

/** What the console says for each way a single sign-on can fail (`?sso_error=` on return). */
const SSO_ERRORS = {
  denied: "The sign-in was cancelled at your identity provider, or it refused you.",
  state: "That sign-in expired, was already used, or was started in another browser. Start again.",
  wrong_issuer: "The answer did not come from your organization's identity provider. Start again; if it happens again, tell your administrator.",
  code_refused: "Your identity provider did not confirm the sign-in. Start again.",
  id_token: "Your identity provider's answer could not be verified. Tell your organization's administrator: the connection may be misconfigured.",
  unverified_email: "Your identity provider did not confirm your e-mail address, so you cannot join this way.",
  no_membership: "You are not a member of this organization. Ask its administrator for an invitation.",
  existing_account: "An account with your e-mail address already exists here. Sign in with your passkey first, then continue with single sign-on to link it.",
  disabled: "Your account is disabled. Ask an administrator.",
  other_person: "You signed in at your identity provider as someone else than the person signed in here.",
  idp_unavailable: "Your organization's identity provider could not be reached. Try again in a moment.",
  idp_error: "Your identity provider reported an error. Try again, or tell your administrator.",
  no_connection: "This organization has no single sign-on.",
  connection_changed: "The organization's single sign-on changed during your sign-in. Start again.",
  secret_missing: "The organization's single sign-on is missing its client secret. An organization admin must enter it again.",
  forbidden: "Only the organization's administrators can test its single sign-on.",
  session_required: "Sign in first.",
  busy: "The server is busy. Try again in a moment.",
  unavailable: "The server could not finish the sign-in. Try again in a moment.",
  bad_request: "That sign-in address is not valid.",
};

/** A failed single sign-on's code from the address (shown once, then removed from it). */
export function takeSsoError() {
  const params = new URLSearchParams(location.search);
  const code = params.get("sso_error");
  if (!code) return;
  history.replaceState(null, "", location.pathname + location.hash);
  const message = /** @type {Record<string, string>} */ (SSO_ERRORS)[code] || "The single sign-on failed. Start again.";
  showSignInError(message);
  status(message);
}

/** Email first: the organization's single sign-on for this e-mail's domain, if it has one. */
export async function submitDiscover(/** @type {Event} */ event) {
  event.preventDefault();
  const input = $("sign-in-email");
  const email = input.value.trim();
  showSignInError("");
  $("sign-in-sso-offer").hidden = true;
  if (!email.includes("@")) { fieldError(input, "Enter your e-mail address, like ada@acme.example."); return; }
  try {
    await busy($("sign-in-continue"), "Looking up…", async () => {
      const { res, data } = await fetchJson("/auth/discover", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email }),
      });
      if (res.status === 422) { fieldError(input, "Enter your e-mail address, like ada@acme.example."); return; }
      if (!res.ok) throw new ApiError(friendly[res.status] || "Could not look up single sign-on.", res.status);
      const sso = /** @type {{ sso?: { organization_name: string, start_url: string } }} */ (data).sso;
      if (!sso) {
        status("No single sign-on for this e-mail: sign in with your passkey.");
        $("sign-in-email-error").textContent = "Your organization does not sign in through an identity provider here: use your passkey below.";
        $("sign-in-email-error").hidden = false;
        $("sign-in-passkey").focus();
        return;
      }
      const link = $("sign-in-sso");
      const returnTo = `/console/${location.hash}`;
      link.href = `${new URL(sso.start_url).pathname}?return_to=${encodeURIComponent(returnTo)}`;
      link.textContent = `Continue with ${sso.organization_name}'s single sign-on`;
      $("sign-in-sso-offer").hidden = false;
      link.focus();
    });
  } catch (e) {
    if (!e.handled) showSignInError(e.message);
  }
}

function showSignInError(/** @type {string} */ message) {
  $("sign-in-error").textContent = message;
  $("sign-in-error").hidden = !message;
}

let signingIn = false;
export async function submitSignIn(/** @type {Event} */ event) {
  event.preventDefault();
  if (signingIn) return;
  showSignInError("");
  if (!passkeysSupported()) {
    showSignInError("This browser cannot use passkeys.");
    return;
  }
  signingIn = true;
  try {
    await busy($("sign-in-passkey"), "Waiting for your passkey…", async () => {
      await passkeySignIn();
      await afterSignIn();
    });
    route();
  } catch (e) {
    if (!e.handled) showSignInError(e.message);
  } finally {
    signingIn = false;
  }
}

/**
 * Step-up: a change needs a recent sign-in. The dialog asks for the passkey at once (the
 * person just clicked), and again on "Use passkey" if that failed; the change is retried
 * after a new sign-in. Resolves whether the person signed in again.
 * @returns {Promise<boolean>}
 */
export function stepUp() {
  const dialog = $("step-up-dialog");
  const error = $("step-up-error");
  return new Promise((resolve) => {
    let done = false;
    const finish = (/** @type {boolean} */ ok) => {
      if (done) return;
      done = true;
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const onClose = () => finish(false);
    const attempt = async () => {
      error.hidden = true;
      try {
        await busy($("step-up-go"), "Waiting for your passkey…", async () => {
          await passkeySignIn();
          if (!(await loadMe())) throw new ApiError(friendly[401], 401);
        });
        status("Signed in again.");
        finish(true);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    };
    // A session of an organization's IdP signs in again there (the page leaves and comes
    // back; the change is made again by the person).
    const ssoOrg = state.me && state.me.session && state.me.session.method === "sso"
      && state.me.memberships.find((m) => !m.sso_required);
    if (ssoOrg) {
      $("step-up-text").textContent = "This change needs a recent sign-in. Sign in again at your identity provider; you come back to this page and make the change again.";
      $("step-up-go").textContent = "Sign in again";
      $("step-up-go").onclick = () => location.assign(
        `/auth/sso/${encodeURIComponent(ssoOrg.organization_id)}/start?purpose=step_up&return_to=${encodeURIComponent(`/console/${location.hash}`)}`);
      dialog.addEventListener("close", onClose);
      if (!dialog.open) dialog.showModal();
      return;
    }
    $("step-up-text").textContent = "This change needs a recent sign-in. Use your passkey to continue; the change is made right after.";
    $("step-up-go").textContent = "Use passkey";
    $("step-up-go").onclick = attempt;
    dialog.addEventListener("close", onClose);
    if (!dialog.open) dialog.showModal();
    attempt();
  });
}

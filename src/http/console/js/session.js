// @ts-check
// People's sessions in the console: signing in with a passkey, who is signed in (GET /me: the
// person, their organizations, the CSRF token), signing in again when a change needs a recent
// sign-in (step-up), and signing out. The session itself is an HttpOnly cookie the page never
// sees; everything the page knew of it is dropped when it ends.

import { $ } from "./dom.js";
import { state, resetOrgViews } from "./state.js";
import { api, request, fetchJson, setCsrf, ApiError, friendly } from "./api.js";
import { show, route, renderWhoami } from "./router.js";
import { status, busy } from "./feedback.js";
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
    $("step-up-go").onclick = attempt;
    dialog.addEventListener("close", onClose);
    if (!dialog.open) dialog.showModal();
    attempt();
  });
}

// @ts-check
// The invitation page (#/invitation/<token>): what the invitation offers, then a new passkey
// and a session for a new person, or one click for someone already signed in with that
// e-mail address.

import { $ } from "./dom.js";
import { state } from "./state.js";
import { request, fetchJson, ApiError, friendly } from "./api.js";
import { show, focusHeading, go, roleName } from "./router.js";
import { status, fieldError, busy, showProblem, clearProblem } from "./feedback.js";
import { createCredential, passkeyProblem, passkeysSupported } from "./webauthn.js";
import { afterSignIn } from "./session.js";

/** @type {{ token: string, organization_name: string, email: string, role: string } | null} */
let offer = null;

export async function showInvitation(/** @type {string} */ token) {
  show("invitation");
  focusHeading();
  $("invitation-form").hidden = true;
  $("invitation-form-error").hidden = true;
  clearProblem($("invitation-error"));
  const { res, data } = await fetchJson(`/auth/invitations/${encodeURIComponent(token)}`);
  if (!res.ok) {
    const message = res.status === 404
      ? "This invitation link is not valid: it was already used, revoked, or it expired. Ask for a new one."
      : friendly[res.status] || "The invitation could not be loaded.";
    showProblem($("invitation-error"), message, undefined);
    return;
  }
  const o = /** @type {{ organization_name: string, email: string, role: string, expires_at: string }} */ (data);
  offer = { token, ...o };
  $("invitation-offer").textContent = `You are invited to join ${o.organization_name} as ${roleName(o.role)} (${o.email}).`;
  const signedInAs = state.me ? state.me.email : null;
  $("invitation-new").hidden = Boolean(signedInAs);
  $("invitation-signed-in").hidden = !signedInAs;
  $("invitation-signed-in").textContent = signedInAs
    ? `You are signed in as ${signedInAs}; ${o.organization_name} will be added to your organizations.` : "";
  $("invitation-accept").textContent = signedInAs ? `Join ${o.organization_name}` : "Create passkey and join";
  $("invitation-form").hidden = false;
  status(`Invitation to ${o.organization_name}.`);
}

let accepting = false;
async function accept(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (accepting || !offer) return;
  const error = $("invitation-form-error");
  error.hidden = true;
  const token = encodeURIComponent(offer.token);
  const name = $("invitation-name");
  if (!state.me && !name.value.trim()) {
    fieldError(name, "Enter your name, as your colleagues will see it.");
    name.focus();
    return;
  }
  if (!state.me && !passkeysSupported()) {
    error.textContent = "This browser cannot create passkeys.";
    error.hidden = false;
    return;
  }
  accepting = true;
  try {
    await busy($("invitation-accept"), state.me ? "Joining…" : "Waiting for your passkey…", async () => {
      if (state.me) {
        await request("POST", `/auth/invitations/${token}/accept`);
      } else {
        /** @type {{ data: Record<string, any> }} */
        const { data: options } = await request("POST", `/auth/invitations/${token}/passkey/options`, { body: { name: name.value.trim() } });
        let credential;
        try {
          credential = await createCredential(options);
        } catch (e) {
          throw new ApiError(passkeyProblem(e), 0);
        }
        await request("POST", `/auth/invitations/${token}/passkey`, { body: credential });
      }
      await afterSignIn();
    });
    status(`Welcome to ${offer.organization_name}.`);
    offer = null;
    go("#/", { replace: true });
  } catch (e) {
    if (e.handled) return;
    error.textContent = e.message;
    error.hidden = false;
  } finally {
    accepting = false;
  }
}

export function wireInvitation() {
  $("invitation-form").addEventListener("submit", accept);
}

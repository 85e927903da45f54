// @ts-check
// The one-time secret: shown after a client is created or its secret rotated, with a quick
// start that has it filled in. The dialog never closes by accident: Escape and an unconfirmed
// close ask first, unless the secret was copied.

import { $ } from "./dom.js";
import { signedIn } from "./api.js";
import { status, onCopied } from "./feedback.js";
import { openDialog, closeDialog, guardClose } from "./dialogs.js";
import { renderQuickStart } from "./quick-start.js";

/** @type {{ value: string | null, copied: boolean, closing: boolean }} */
const secret = { value: null, copied: false, closing: false };

export function showSecret(/** @type {import("./types").ClientWithSecret} */ client, /** @type {string} */ message) {
  secret.value = client.client_secret;
  secret.copied = false;
  secret.closing = false;
  $("secret-client-id").value = client.client_id;
  $("secret-value").value = client.client_secret;
  renderQuickStart($("secret-quickstart"), "secret", client, client.client_secret);
  $("secret-confirm").hidden = true;
  $("secret-actions").hidden = false;
  openDialog($("secret-dialog"), $("secret-value"));
  $("secret-value").select();
  status(`${message} Copy the secret now: it will not be shown again.`);
}

/** Escape always asks; the button asks unless the secret (or a snippet with it) was copied. */
function requestClose(/** @type {boolean} */ fromEscape) {
  if (!$("secret-confirm").hidden) {
    if (fromEscape) backToSecret();
    return;
  }
  if (secret.copied && !fromEscape) { closeSecret(); return; }
  $("secret-actions").hidden = true;
  $("secret-confirm").hidden = false;
  $("secret-back").focus();
  status("Have you stored the secret? It will not be shown again.");
}
function backToSecret() {
  $("secret-confirm").hidden = true;
  $("secret-actions").hidden = false;
  $("secret-done").focus();
}
function closeSecret() {
  secret.closing = true;
  closeDialog($("secret-dialog"));
}

/** The session ends: the dialog may close, and takes the secret with it. */
export function abandonSecret() { secret.closing = true; }

/** Whether the dialog may stay closed; forgets the secret when it does. */
function secretClosed() {
  if (!secret.closing && signedIn()) {
    // Closed by something other than the confirmation (the browser itself): keep it on screen.
    $("secret-dialog").showModal();
    requestClose(true);
    return false;
  }
  secret.closing = false;
  secret.value = null;
  $("secret-value").value = "";
  $("secret-client-id").value = "";
  $("secret-quickstart").replaceChildren();
  return true;
}

export function wireSecretDialog() {
  const dialog = $("secret-dialog");
  guardClose(dialog, secretClosed);
  // Escape must never lose the secret: ask first (keydown covers browsers that stop honouring
  // preventDefault on repeated cancel events).
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); requestClose(true); }
  });
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); requestClose(true); });
  $("secret-done").addEventListener("click", () => requestClose(false));
  $("secret-back").addEventListener("click", backToSecret);
  $("secret-close").addEventListener("click", closeSecret);
  onCopied((text) => {
    if (secret.value && text.includes(secret.value)) secret.copied = true;
  });
}

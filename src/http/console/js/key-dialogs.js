// @ts-check
// Public keys (private_key_jwt): pasting keys to switch a client to them or to replace them, and
// the confirmation after a key client is created (its ID and quick start; it has no secret).

import { $ } from "./dom.js";
import { orgPath, enc, usesKeys } from "./state.js";
import { api, fieldMessage } from "./api.js";
import { status, fieldError, busy } from "./feedback.js";
import { openDialog, closeDialog } from "./dialogs.js";
import { readKeys, MAX_KEYS } from "./jwk.js";
import { renderQuickStart } from "./quick-start.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */

/** @type {{ client: Client, replacing: boolean, done: (client: Client) => void }} */
let target = null; // { client, replacing, done(client) }
let saving = false;

/**
 * Asks for public keys: `replacing` a key client's keys (prefilled with the current ones, so a
 * rollover adds the next key beside them), or switching a secret client to keys. `done` gets the
 * changed client.
 */
export function openKeysDialog(/** @type {Client} */ client, /** @type {(client: Client) => void} */ done) {
  const replacing = usesKeys(client);
  target = { client, replacing, done };
  $("keys-dialog-title").textContent = replacing ? `Replace the keys of ${client.name}` : `Switch ${client.name} to a public key`;
  $("keys-dialog-intro").textContent = replacing
    ? `Assertions signed with a key that is not in the new set are refused at once. To roll over without an outage, keep the current key and add the next one (at most ${MAX_KEYS}), then remove the old one once the application uses the new key.`
    : "The client's secret stops working at once, and so does an old secret in its grace period. From then on the application signs a client assertion with its private key instead; register the matching public key here.";
  $("keys-input").value = replacing && client.jwks ? JSON.stringify(client.jwks, null, 2) : "";
  fieldError($("keys-input"), "");
  $("keys-error").hidden = true;
  $("keys-save").textContent = replacing ? "Replace keys" : "Switch to public key";
  $("keys-save").className = replacing ? "primary" : "danger";
  openDialog($("keys-dialog"), $("keys-input"));
  $("keys-input").setSelectionRange(0, 0); // the start of the keys, not their end
  $("keys-input").scrollTop = 0;
}

async function saveKeys(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (saving || !target) return;
  const input = $("keys-input");
  const read = readKeys(input.value);
  if (read.error) {
    fieldError(input, read.error);
    input.focus();
    return;
  }
  const { client, replacing, done } = target;
  /** @type {import("./types").UpdateClientRequest} */
  const body = replacing ? { jwks: read.jwks } : { token_endpoint_auth_method: "private_key_jwt", jwks: read.jwks };
  $("keys-error").hidden = true;
  saving = true;
  try {
    await busy($("keys-save"), replacing ? "Replacing…" : "Switching…", async () => {
      /** @type {ApiResult<Client>} */
      const { data } = await api("PATCH", `${orgPath()}/clients/${enc(client.client_id)}`, { body });
      closeDialog($("keys-dialog"));
      target = null;
      done(data);
      const jwks = /** @type {import("./types").JwkSet} */ (data.jwks); // the API types it as any object
      const count = jwks && jwks.keys ? jwks.keys.length : 0;
      status(replacing
        ? `Keys of ${data.name} replaced: ${count} registered.`
        : `${data.name} now authenticates with its public key; its secret no longer works.`);
    });
  } catch (e) {
    if (e.handled) return;
    if (["jwks", "token_endpoint_auth_method"].includes(e.field)) {
      fieldError(input, fieldMessage(e));
      input.focus();
    } else {
      $("keys-error").textContent = e.message;
      $("keys-error").hidden = false;
    }
  } finally {
    saving = false;
  }
}

/** A new key client: its ID and the quick start; nothing secret to store. */
export function showKeysCreated(/** @type {Client} */ client, /** @type {string} */ message) {
  $("keys-created-title").textContent = `Client ${client.name} created`;
  $("keys-created-id").value = client.client_id;
  renderQuickStart($("keys-created-quickstart"), "created", client, null);
  openDialog($("keys-created-dialog"), $("keys-created-id"));
  $("keys-created-id").select();
  status(`${message} It authenticates with its private key: there is no secret to store.`);
}

export function wireKeyDialogs() {
  $("keys-form").addEventListener("submit", saveKeys);
  $("keys-created-dialog").addEventListener("close", () => $("keys-created-quickstart").replaceChildren());
}

// @ts-check
// What the client page's buttons do: rotate (or create) the secret, switch between a secret and
// public keys, replace keys, disable or enable, delete. Each asks first and says what follows.

import { $, h } from "./dom.js";
import { state, orgPath, enc } from "./state.js";
import { api, fieldMessage } from "./api.js";
import { go, hashFor } from "./router.js";
import { status, fieldError, busy } from "./feedback.js";
import { openDialog, closeDialog, confirmAction } from "./dialogs.js";
import { duration } from "./format.js";
import { fillSelect, secretExpiryOptions, secretExpiryHint, secretExpiresAt } from "./presets.js";
import { loadOrg } from "./organizations.js";
import { markAuditStale } from "./audit-log.js";
import { clients, clientRemoved, countText } from "./clients-list.js";
import { page, clientUpdated, noteRotation } from "./client-page.js";
import { openClientDialog } from "./client-dialog.js";
import { showSecret } from "./secret-dialog.js";
import { openKeysDialog } from "./key-dialogs.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */

const orgMax = () => (state.org && state.org.id === state.orgId ? state.org.max_secret_lifetime_seconds : null);

// ---------- rotate, or create the first secret ----------

let rotating = false;
let creatingSecret = false; // the client has no secret yet (switched back from keys)

function renderRotateExpiry() {
  fillSelect($("rotate-expiry"), secretExpiryOptions(orgMax()), $("rotate-expiry").value);
  $("rotate-expiry-hint").textContent = secretExpiryHint(orgMax());
}

/** `opener`: where focus returns (the page's button when another dialog led here).
 * @param {unknown} [opener] */
function openRotate(opener) {
  const client = page.client;
  creatingSecret = !client.secret_hint;
  $("rotate-dialog-title").textContent = creatingSecret ? "Create a secret" : "Rotate secret";
  $("rotate-intro").replaceChildren(...(creatingSecret
    ? [h("strong", {}, client.name), " has no secret yet. Create one, then hand it to the application."]
    : ["A new secret is generated for ", h("strong", {}, client.name), "."]));
  $("rotate-grace").hidden = creatingSecret;
  $("rotate-grace-hint").hidden = creatingSecret;
  $("rotate-form").elements.grace.value = "0";
  $("rotate-expiry").value = "";
  renderRotateExpiry();
  fieldError($("rotate-expiry"), "");
  $("rotate-error").hidden = true;
  $("rotate-confirm").textContent = creatingSecret ? "Create secret" : "Rotate secret";
  const focus = creatingSecret ? $("rotate-expiry") : $("rotate-form").querySelector("input[name=grace]:checked");
  openDialog($("rotate-dialog"), focus, opener instanceof HTMLElement ? opener : undefined);
  loadOrg().then(() => { if ($("rotate-dialog").open) renderRotateExpiry(); }).catch(() => {});
}

async function rotate(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (rotating) return;
  const client = page.client;
  const grace = creatingSecret ? 0 : Number($("rotate-form").elements.grace.value) || 0;
  /** @type {import("./types").RotateSecretRequest} */
  const body = { grace_period_seconds: grace };
  const expiresAt = secretExpiresAt($("rotate-expiry").value);
  if (expiresAt) body.client_secret_expires_at = expiresAt;
  rotating = true;
  try {
    await busy($("rotate-confirm"), creatingSecret ? "Creating…" : "Rotating…", async () => {
      /** @type {ApiResult<import("./types").ClientWithSecret>} */
      const { data } = await api("POST", `${orgPath()}/clients/${enc(client.client_id)}/secret`, { body });
      closeDialog($("rotate-dialog"));
      noteRotation(data.client_id, data.secret_rotated_at || new Date().toISOString(), grace);
      clientUpdated(data);
      let message = `Secret of ${data.name} rotated; the old one no longer works.`;
      if (creatingSecret) message = `${data.name} has a secret now.`;
      else if (grace) message = `Secret of ${data.name} rotated; the old one keeps working for ${duration(grace)}.`;
      showSecret(data, message);
    });
  } catch (e) {
    if (e.handled) return;
    if (e.field === "client_secret_expires_at") {
      fieldError($("rotate-expiry"), fieldMessage(e));
    } else {
      $("rotate-error").textContent = e.message;
      $("rotate-error").hidden = false;
    }
  } finally {
    rotating = false;
  }
}

// ---------- a secret or public keys ----------

function switchMethod() {
  const client = page.client;
  if (client.token_endpoint_auth_method !== "private_key_jwt") {
    openKeysDialog(client, clientUpdated);
    return;
  }
  confirmAction({
    title: `Switch ${client.name} to a secret?`,
    body: [
      "Its public keys are removed and stop working at once: assertions signed with them are refused.",
      "It has no secret until you create one: the next step does, and shows it once.",
    ],
    confirm: "Switch to secret",
    busyLabel: "Switching…",
    danger: true,
    action: async () => {
      /** @type {import("./types").UpdateClientRequest} */
      const body = { token_endpoint_auth_method: "client_secret_basic" };
      /** @type {ApiResult<Client>} */
      const { data } = await api("PATCH", `${orgPath()}/clients/${enc(client.client_id)}`, { body });
      return data;
    },
    then: (data) => {
      clientUpdated(data);
      status(`${data.name} now authenticates with a secret. Create it now.`);
      openRotate($("client-rotate"));
    },
  });
}

// ---------- disable, enable ----------

function toggleDisabled() {
  const client = page.client;
  const disabling = !client.disabled;
  confirmAction({
    title: disabling ? `Disable ${client.name}?` : `Enable ${client.name}?`,
    body: disabling
      ? [
        "Every token request of this client is refused, and the tokens issued to it so far are revoked: introspection and the admin API stop accepting them.",
        "You can enable it again at any time: it then gets new tokens, but the revoked ones stay revoked.",
      ]
      : ["It can get new tokens again. The tokens revoked when it was disabled stay revoked."],
    confirm: disabling ? "Disable client" : "Enable client",
    busyLabel: disabling ? "Disabling…" : "Enabling…",
    danger: disabling,
    action: async () => {
      /** @type {import("./types").UpdateClientRequest} */
      const body = { disabled: disabling };
      /** @type {ApiResult<Client>} */
      const { data } = await api("PATCH", `${orgPath()}/clients/${enc(client.client_id)}`, { body });
      return data;
    },
    then: (data) => {
      clientUpdated(data);
      status(data.disabled ? `${data.name} disabled: its token requests are refused and its tokens revoked.` : `${data.name} enabled.`);
    },
  });
}

// ---------- delete ----------

let deleting = false;
function openDelete() {
  $("delete-name").textContent = page.client.name;
  $("delete-error").hidden = true;
  openDialog($("delete-dialog"), $("delete-dialog").querySelector("[data-close]"));
}

async function remove(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (deleting) return;
  const client = page.client;
  deleting = true;
  try {
    await busy($("delete-confirm"), "Deleting…", async () => {
      await api("DELETE", `${orgPath()}/clients/${enc(client.client_id)}`);
      closeDialog($("delete-dialog"));
      markAuditStale();
      clientRemoved(client);
      page.client = null;
      go(hashFor.clients());
      status(`${client.name} deleted.${clients.loaded ? ` ${countText()}.` : ""}`);
    });
  } catch (e) {
    if (!e.handled) {
      $("delete-error").textContent = e.message;
      $("delete-error").hidden = false;
    }
  } finally {
    deleting = false;
  }
}

export function wireClientActions() {
  $("client-edit").addEventListener("click", () => openClientDialog(page.client));
  $("client-rotate").addEventListener("click", () => openRotate());
  $("client-switch").addEventListener("click", switchMethod);
  $("client-replace-keys").addEventListener("click", () => openKeysDialog(page.client, clientUpdated));
  $("client-disable").addEventListener("click", toggleDisabled);
  $("client-delete").addEventListener("click", openDelete);
  $("rotate-form").addEventListener("submit", rotate);
  $("delete-form").addEventListener("submit", remove);
}

// @ts-check
// Creating a client and editing one: name, description, roles (available → selected), token
// lifetime; on creation also how it authenticates (a secret with its expiry, or pasted public
// keys). The server's objections are shown at the field they concern.

import { $, h, hiddenText } from "./dom.js";
import { state, orgPath, enc, isPlatformAdmin } from "./state.js";
import { api, fieldMessage } from "./api.js";
import { status, fieldError, busy } from "./feedback.js";
import { openDialog, closeDialog } from "./dialogs.js";
import { fillSelect, tokenLifetimeOptions, secretExpiryOptions, secretExpiryHint, secretExpiresAt } from "./presets.js";
import { readKeys } from "./jwk.js";
import { loadOrg } from "./organizations.js";
import { markAuditStale } from "./audit-log.js";
import { clientCreated, countText } from "./clients-list.js";
import { clientUpdated } from "./client-page.js";
import { showSecret } from "./secret-dialog.js";
import { showKeysCreated } from "./key-dialogs.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").Role} Role */

/** @type {Client | null} */
let editing = null; // null: creating; a client: editing it
let saving = false;

// ---------- roles: available → selected ----------

function roleItem(/** @type {Role} */ role, /** @type {boolean} */ selected) {
  const li = h("li", {});
  // The visible text is part of the accessible name ("Add billing:read …"); the word shown at
  // the right comes from CSS, outside the accessibility tree.
  const button = h("button", { type: "button", class: "role", "data-role": role.name, "data-selected": String(selected) },
    hiddenText(selected ? "Remove " : "Add "),
    h("span", { class: "role-name" }, role.name),
    role.description ? h("span", { class: "muted" }, role.description) : null);
  button.addEventListener("click", () => {
    const to = selected ? $("available-roles") : $("selected-roles");
    li.remove();
    to.append(roleItem(role, !selected));
    sortRoles(to);
    $("client-roles-error").hidden = true;
    status(`${role.name} ${selected ? "removed" : "added"}.`);
    /** @type {HTMLElement} */ (to.querySelector(`[data-role="${CSS.escape(role.name)}"]`)).focus();
  });
  li.append(button);
  return li;
}
function sortRoles(/** @type {HTMLElement} */ list) {
  const order = state.catalog.map((r) => r.name);
  const role = (/** @type {Element} */ item) => /** @type {HTMLElement} */ (item.firstChild).dataset.role;
  const items = [...list.children].sort((a, b) => order.indexOf(role(a)) - order.indexOf(role(b)));
  list.replaceChildren(...items);
}
const assignable = () => state.catalog.filter((r) => r.name !== "platform:admin" || isPlatformAdmin());
const selectedRoles = () => [...$("selected-roles").querySelectorAll("[data-role]")].map((b) => /** @type {HTMLElement} */ (b).dataset.role);

// ---------- the dialog ----------

const authChoice = () => $("client-form").elements.auth.value;
const serverTtl = () => state.settings && state.settings.token_ttl_seconds;
const orgMax = () => (state.org && state.org.id === state.orgId ? state.org.max_secret_lifetime_seconds : null);

function renderAuthChoice() {
  const keys = authChoice() === "keys";
  $("form-keys-field").hidden = !keys;
  $("form-expiry-field").hidden = keys;
}
function renderExpiryChoices() {
  fillSelect($("form-expiry"), secretExpiryOptions(orgMax()), $("form-expiry").value);
  $("form-expiry-hint").textContent = secretExpiryHint(orgMax());
}

export function openClientDialog(/** @type {Client | null} */ client) {
  editing = client;
  const creating = !client;
  $("client-dialog-title").textContent = client ? `Edit ${client.name}` : "Create client";
  $("client-roles-warning").hidden = creating;
  $("client-name").value = client ? client.name : "";
  $("form-description").value = client ? client.description || "" : "";
  for (const id of ["client-name", "form-description", "form-keys", "form-ttl", "form-expiry"]) fieldError($(id), "");
  $("client-roles-error").hidden = true;
  $("client-form-error").hidden = true;
  const selected = new Set(client ? client.roles : []);
  const known = new Set(state.catalog.map((r) => r.name));
  const extra = [...selected].filter((name) => !known.has(name)).map((name) => ({ name, description: "" }));
  $("available-roles").replaceChildren(...assignable().filter((r) => !selected.has(r.name)).map((r) => roleItem(r, false)));
  $("selected-roles").replaceChildren(...state.catalog.concat(extra).filter((r) => selected.has(r.name)).map((r) => roleItem(r, true)));
  const ttl = client && client.token_ttl_seconds;
  fillSelect($("form-ttl"), tokenLifetimeOptions(serverTtl(), ttl), ttl ? String(ttl) : "");
  $("client-auth").hidden = !creating;
  $("client-save").textContent = creating ? "Create client" : "Save";
  if (creating) {
    $("client-form").elements.auth.value = "secret";
    $("form-keys").value = "";
    $("form-expiry").value = "";
    renderExpiryChoices();
    renderAuthChoice();
    // The organization's maximum may have changed since it was read.
    loadOrg().then(() => { if ($("client-dialog").open && !editing) renderExpiryChoices(); }).catch(() => {});
  } else {
    $("form-keys-field").hidden = true;
    $("form-expiry-field").hidden = true;
  }
  openDialog($("client-dialog"), $("client-name"));
}

async function saveClient(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (saving) return; // a double click creates one client
  const nameInput = $("client-name");
  const name = nameInput.value.trim();
  if (!name) {
    fieldError(nameInput, "Enter a name for the client.");
    nameInput.focus();
    return;
  }
  let jwks = null;
  if (!editing && authChoice() === "keys") {
    const read = readKeys($("form-keys").value);
    if (read.error) {
      fieldError($("form-keys"), read.error);
      $("form-keys").focus();
      return;
    }
    jwks = read.jwks;
  }
  $("client-form-error").hidden = true;
  saving = true;
  try {
    await busy($("client-save"), "Saving…", () => (editing ? saveEdit(name) : saveNew(name, jwks)));
  } catch (e) {
    if (!e.handled) showSaveError(e);
  } finally {
    saving = false;
  }
}

/** @type {Record<string, string>} */
const FIELDS = {
  name: "client-name",
  description: "form-description",
  jwks: "form-keys",
  jwks_uri: "form-keys",
  token_endpoint_auth_method: "form-keys",
  token_ttl_seconds: "form-ttl",
  client_secret_expires_at: "form-expiry",
};

function showSaveError(/** @type {import("./api.js").ApiError} */ e) {
  const input = FIELDS[e.field] && $(FIELDS[e.field]);
  if (input && !input.closest("[hidden]")) {
    fieldError(input, fieldMessage(e));
    input.focus();
  } else if (e.field === "roles") {
    $("client-roles-error").textContent = fieldMessage(e);
    $("client-roles-error").hidden = false;
  } else {
    $("client-form-error").textContent = e.message;
    $("client-form-error").hidden = false;
  }
}

async function saveNew(/** @type {string} */ name, /** @type {import("./types").JwkSet | null} */ jwks) {
  /** @type {import("./types").CreateClientRequest} */
  const body = { name, roles: selectedRoles() };
  const description = $("form-description").value.trim();
  if (description) body.description = description;
  if ($("form-ttl").value) body.token_ttl_seconds = Number($("form-ttl").value);
  if (jwks) body.jwks = jwks;
  else {
    const expiresAt = secretExpiresAt($("form-expiry").value);
    if (expiresAt) body.client_secret_expires_at = expiresAt;
  }
  /** @type {ApiResult<import("./types").ClientWithSecret>} */
  const { data } = await api("POST", `${orgPath()}/clients`, { body });
  closeDialog($("client-dialog"));
  markAuditStale();
  const listed = clientCreated(data);
  const where = listed ? ` It is at the top of the list: ${countText()}.` : " It does not match the current search.";
  if (jwks) showKeysCreated(data, `Client ${data.name} created.${where}`);
  else showSecret(data, `Client ${data.name} created.${where}`);
}

async function saveEdit(/** @type {string} */ name) {
  /** @type {import("./types").UpdateClientRequest} */
  const body = {};
  if (name !== editing.name) body.name = name;
  const roles = selectedRoles();
  if ([...roles].sort().join(" ") !== [...editing.roles].sort().join(" ")) body.roles = roles;
  const description = $("form-description").value.trim();
  if (description !== (editing.description || "")) body.description = description;
  const ttl = $("form-ttl").value ? Number($("form-ttl").value) : null;
  if (ttl !== (editing.token_ttl_seconds || null)) body.token_ttl_seconds = ttl;
  if (Object.keys(body).length === 0) {
    closeDialog($("client-dialog"));
    status("Nothing changed.");
    return;
  }
  /** @type {ApiResult<Client>} */
  const { data } = await api("PATCH", `${orgPath()}/clients/${enc(editing.client_id)}`, { body });
  closeDialog($("client-dialog"));
  clientUpdated(data);
  status(`${data.name} saved.`);
}

export function wireClientDialog() {
  $("client-form").addEventListener("submit", saveClient);
  for (const radio of $("client-form").elements.auth) {
    radio.addEventListener("change", () => {
      renderAuthChoice();
      fieldError($("form-keys"), "");
    });
  }
}

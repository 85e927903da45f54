// orgauth console: plain JavaScript, no build step. The access token lives in this closure
// only — never in storage, a cookie or the URL.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { token: null, me: null, orgId: null, catalog: [], clientsCursor: null, auditCursor: null };

  // ---------- talking to the server ----------

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  const friendly = {
    400: "The request was not accepted.",
    401: "Your session has ended. Sign in again.",
    403: "You are not allowed to do that.",
    404: "That no longer exists — it may have been deleted.",
    409: "That conflicts with the current state.",
    413: "That is too large.",
    422: "Some of the input is not valid.",
    429: "Too many attempts. Wait a minute and try again.",
    503: "The service is briefly unavailable. Try again in a moment.",
  };

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${state.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(`/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError("Cannot reach the server. Check your connection and try again.", 0);
    }
    if (res.status === 401) {
      signOut("Your session has ended. Sign in again.");
      const ended = new ApiError(friendly[401], 401);
      ended.handled = true; // already back at sign-in, with the message shown
      throw ended;
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const detail = data && data.detail ? ` (${data.detail})` : "";
      throw new ApiError(`${friendly[res.status] || "Something went wrong."}${detail}`, res.status);
    }
    return { data, next: res.headers.get("X-Next-Cursor") };
  }

  async function signIn(clientId, secret) {
    // The admin API accepts only tokens whose audience is this server's issuer.
    const meta = await fetch("/.well-known/oauth-authorization-server").then((r) => r.json());
    const res = await fetch("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: secret,
        audience: meta.issuer,
      }),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      if (res.status === 401) throw new ApiError("That client ID and secret do not match.", 401);
      throw new ApiError(friendly[res.status] || data.error_description || "Sign-in failed.", res.status);
    }
    const payload = data.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
    if (!claims.roles.includes("org:admin") && !claims.roles.includes("platform:admin")) {
      throw new ApiError("This client is not an administrator (it needs org:admin or platform:admin).", 403);
    }
    state.token = data.access_token;
    state.me = { clientId: claims.client_id, orgId: claims.org_id, roles: claims.roles };
  }

  // ---------- feedback ----------

  function status(message) { $("status").textContent = message; }
  function showError(message, where = $("error")) {
    where.textContent = message;
    where.hidden = !message;
  }
  async function busy(button, label, work) {
    const original = button.textContent;
    button.disabled = true;
    button.textContent = label;
    status(label);
    try { return await work(); } finally { button.disabled = false; button.textContent = original; }
  }
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");

  // ---------- views ----------

  function show(view) {
    for (const id of ["sign-in-view", "org-view", "clients-view"]) $(id).hidden = id !== view;
    const signedIn = view !== "sign-in-view";
    $("whoami").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
    if (signedIn) $("whoami").textContent = `Signed in as ${state.me.clientId}`;
  }

  function signOut(message) {
    state.token = null;
    state.me = null;
    for (const d of document.querySelectorAll("dialog[open]")) d.close();
    $("sign-in-secret").value = "";
    show("sign-in-view");
    showError(message || "");
    status(message ? "" : "Signed out.");
    $("sign-in-id").focus();
  }

  async function afterSignIn() {
    state.catalog = (await api("GET", "/roles")).data;
    if (state.me.roles.includes("platform:admin")) {
      await showOrganizations();
    } else {
      await openOrganization(state.me.orgId, null);
    }
  }

  async function showOrganizations() {
    const orgs = (await api("GET", "/organizations")).data;
    const list = $("org-list");
    list.replaceChildren();
    for (const org of orgs) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "org";
      button.textContent = org.name;
      const id = document.createElement("span");
      id.className = "muted";
      id.textContent = org.id;
      button.append(id);
      button.addEventListener("click", () => openOrganization(org.id, org.name).catch((e) => showError(e.message)));
      li.append(button);
      list.append(li);
    }
    show("org-view");
    status(`${orgs.length} organizations.`);
    list.querySelector("button")?.focus();
  }

  async function openOrganization(orgId, name) {
    state.orgId = orgId;
    $("org-name").textContent = name || "Your organization";
    $("change-org").hidden = !state.me.roles.includes("platform:admin");
    selectTab("clients");
    show("clients-view");
    await loadClients(true);
    $("org-name").focus?.();
  }

  // ---------- clients ----------

  async function loadClients(reset) {
    if (reset) { state.clientsCursor = null; $("clients-body").replaceChildren(); }
    const query = state.clientsCursor ? `?limit=50&cursor=${encodeURIComponent(state.clientsCursor)}` : "?limit=50";
    const { data, next } = await api("GET", `/organizations/${state.orgId}/clients${query}`);
    state.clientsCursor = next;
    for (const client of data) $("clients-body").append(clientRow(client));
    const empty = $("clients-body").children.length === 0;
    $("clients-empty").hidden = !empty;
    $("clients-table").hidden = empty;
    $("more-clients").hidden = !next;
    status(empty ? "No clients yet." : `${$("clients-body").children.length} clients.`);
  }

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function iconButton(label, text, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function clientRow(client) {
    const tr = document.createElement("tr");
    tr.dataset.clientId = client.client_id;
    tr.append(cell(client.name));
    const idCell = cell("", "mono");
    const code = document.createElement("code");
    code.textContent = client.client_id;
    idCell.append(code, iconButton(`Copy client ID of ${client.name}`, "Copy", "small secondary", () => copy(client.client_id)));
    tr.append(idCell);
    const rolesCell = cell("");
    for (const role of client.roles) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = role;
      rolesCell.append(tag, " ");
    }
    rolesCell.append(iconButton(`Edit roles of ${client.name}`, "✎", "small icon", () => openRolesDialog(client)));
    tr.append(rolesCell);
    tr.append(cell(`••••${client.secret_hint}`, "mono hint-cell"));
    tr.append(cell(when(client.created_at)));
    tr.append(cell(when(client.last_used_at)));
    const actions = cell("", "row-actions");
    actions.append(
      iconButton(`Rotate secret of ${client.name}`, "Rotate", "small secondary", () => openRotate(client)),
      iconButton(`Delete ${client.name}`, "Delete", "small danger", () => openDelete(client)),
    );
    tr.append(actions);
    return tr;
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      status("Copied to the clipboard.");
    } catch {
      status("Copy failed: select the text and copy it by hand.");
    }
  }

  // ---------- create / edit roles dialog ----------

  let editing = null; // null: create; a client: edit its roles

  function roleItem(role, selected) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "role";
    b.dataset.role = role.name;
    b.setAttribute("aria-label", `${selected ? "Remove" : "Add"} ${role.name}`);
    const name = document.createElement("span");
    name.textContent = role.name;
    const desc = document.createElement("span");
    desc.className = "muted";
    desc.textContent = role.description;
    b.append(name, desc);
    b.addEventListener("click", () => {
      li.remove();
      $(selected ? "available-roles" : "selected-roles").append(roleItem(role, !selected));
      status(`${role.name} ${selected ? "removed" : "added"}.`);
      $(selected ? "available-roles" : "selected-roles").querySelector(`[data-role="${CSS.escape(role.name)}"]`)?.focus();
    });
    li.append(b);
    return li;
  }

  function assignable() {
    return state.catalog.filter((r) => r.name !== "platform:admin" || state.me.roles.includes("platform:admin"));
  }

  function openClientDialog(client) {
    editing = client;
    $("client-dialog-title").textContent = client ? `Edit roles of ${client.name}` : "Create client";
    $("client-name-field").hidden = !!client;
    $("client-name").value = "";
    showError("", $("client-form-error"));
    const selected = new Set(client ? client.roles : []);
    $("available-roles").replaceChildren(...assignable().filter((r) => !selected.has(r.name)).map((r) => roleItem(r, false)));
    $("selected-roles").replaceChildren(...state.catalog.filter((r) => selected.has(r.name)).map((r) => roleItem(r, true)));
    $("client-dialog").showModal();
    (client ? $("available-roles").querySelector("button") || $("client-save") : $("client-name")).focus();
  }
  const openRolesDialog = (client) => openClientDialog(client);

  async function saveClient(event) {
    event.preventDefault();
    const roles = [...$("selected-roles").querySelectorAll("[data-role]")].map((b) => b.dataset.role);
    const name = $("client-name").value.trim();
    if (!editing && !name) {
      showError("Give the client a name.", $("client-form-error"));
      $("client-name").focus();
      return;
    }
    try {
      await busy($("client-save"), "Saving…", async () => {
        if (editing) {
          await api("PATCH", `/organizations/${state.orgId}/clients/${editing.client_id}`, { roles });
          $("client-dialog").close();
          status(`Roles of ${editing.name} saved.`);
          await loadClients(true);
        } else {
          const { data } = await api("POST", `/organizations/${state.orgId}/clients`, { name, roles });
          $("client-dialog").close();
          await loadClients(true);
          showSecret(data, `Client ${data.name} created.`);
        }
      });
    } catch (e) {
      showError(e.message, $("client-form-error"));
    }
  }

  function showSecret(client, message) {
    $("secret-client-id").value = client.client_id;
    $("secret-value").value = client.client_secret;
    $("secret-dialog").showModal();
    $("secret-value").select();
    status(`${message} Copy the secret now: it will not be shown again.`);
  }

  // ---------- rotate / delete ----------

  let target = null;

  function openRotate(client) {
    target = client;
    $("rotate-name").textContent = client.name;
    $("rotate-grace").value = "";
    showError("", $("rotate-error"));
    $("rotate-dialog").showModal();
    $("rotate-grace").focus();
  }

  async function rotate(event) {
    event.preventDefault();
    const raw = $("rotate-grace").value.trim();
    const grace = raw === "" ? 0 : Number(raw);
    if (!Number.isInteger(grace) || grace < 0 || grace > 604800) {
      showError("The grace period is a whole number of seconds from 0 to 604800 (7 days).", $("rotate-error"));
      return;
    }
    try {
      await busy($("rotate-confirm"), "Rotating…", async () => {
        const { data } = await api("POST", `/organizations/${state.orgId}/clients/${target.client_id}/secret`, { grace_period_seconds: grace });
        $("rotate-dialog").close();
        await loadClients(true);
        showSecret(data, grace ? `Secret rotated; the old one keeps working for ${grace} seconds.` : "Secret rotated; the old one no longer works.");
      });
    } catch (e) {
      showError(e.message, $("rotate-error"));
    }
  }

  function openDelete(client) {
    target = client;
    $("delete-name").textContent = client.name;
    showError("", $("delete-error"));
    $("delete-dialog").showModal();
    $("delete-dialog").querySelector("[data-close]").focus();
  }

  async function remove(event) {
    event.preventDefault();
    try {
      await busy($("delete-confirm"), "Deleting…", async () => {
        await api("DELETE", `/organizations/${state.orgId}/clients/${target.client_id}`);
        $("delete-dialog").close();
        await loadClients(true);
        status(`${target.name} deleted.`);
      });
    } catch (e) {
      showError(e.message, $("delete-error"));
    }
  }

  // ---------- audit ----------

  async function loadAudit(reset) {
    if (reset) { state.auditCursor = null; $("audit-body").replaceChildren(); }
    const query = state.auditCursor ? `?limit=50&cursor=${encodeURIComponent(state.auditCursor)}` : "?limit=50";
    const { data, next } = await api("GET", `/organizations/${state.orgId}/audit-events${query}`);
    state.auditCursor = next;
    for (const e of data) {
      const tr = document.createElement("tr");
      tr.append(cell(when(e.created_at)), cell(e.actor_client_id, "mono"), cell(e.action), cell(e.target, "mono"));
      $("audit-body").append(tr);
    }
    const empty = $("audit-body").children.length === 0;
    $("audit-empty").hidden = !empty;
    $("audit-table").hidden = empty;
    $("more-audit").hidden = !next;
    status(`${$("audit-body").children.length} audit events.`);
  }

  function selectTab(name) {
    for (const tab of ["clients", "audit"]) {
      const selected = tab === name;
      $(`tab-${tab}`).setAttribute("aria-selected", String(selected));
      $(`tab-${tab}`).tabIndex = selected ? 0 : -1;
      $(`${tab}-panel`).hidden = !selected;
    }
  }

  // ---------- wiring ----------

  const guard = (work) => async (...args) => {
    showError("");
    try { await work(...args); } catch (e) { if (!e.handled) showError(e.message); }
  };

  $("sign-in-form").addEventListener("submit", guard(async (event) => {
    event.preventDefault();
    const id = $("sign-in-id").value.trim();
    const secret = $("sign-in-secret").value.trim();
    if (!id || !secret) { showError("Enter the client ID and the secret."); return; }
    await busy(event.submitter || $("sign-in-form").querySelector("button"), "Signing in…", async () => {
      await signIn(id, secret);
      $("sign-in-secret").value = "";
      await afterSignIn();
    });
  }));
  $("sign-out").addEventListener("click", () => signOut());
  $("change-org").addEventListener("click", guard(showOrganizations));
  $("create-client").addEventListener("click", () => openClientDialog(null));
  $("client-form").addEventListener("submit", saveClient);
  $("rotate-form").addEventListener("submit", rotate);
  $("delete-form").addEventListener("submit", remove);
  $("more-clients").addEventListener("click", guard(() => loadClients(false)));
  $("more-audit").addEventListener("click", guard(() => loadAudit(false)));
  $("tab-clients").addEventListener("click", guard(async () => { selectTab("clients"); await loadClients(true); }));
  $("tab-audit").addEventListener("click", guard(async () => { selectTab("audit"); await loadAudit(true); }));
  for (const tab of ["tab-clients", "tab-audit"]) {
    $(tab).addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const other = tab === "tab-clients" ? "tab-audit" : "tab-clients";
        $(other).focus();
        $(other).click();
      }
    });
  }
  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => copy($(button.dataset.copy).value));
  }
  $("secret-dialog").addEventListener("close", () => { $("secret-value").value = ""; $("create-client").focus(); });
  show("sign-in-view");
})();

// orgauth console: plain JavaScript, no build step. The access token lives in this closure
// only — never in storage, a cookie or the URL. Whatever the server sends reaches the page
// through textContent and DOM building, never through HTML parsing.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const PAGE_SIZE = 50;
  const SEARCH_DELAY_MS = 250;
  const SECRET_VARIABLE = "ORGAUTH_CLIENT_SECRET";

  const state = {
    token: null,
    me: null, // { clientId, orgId, roles, name, orgName }
    settings: null, // { issuer, token_endpoint, audiences (null: unknown), default_audience }
    catalog: [],
    orgs: null, // platform admins: the organizations as last listed
    orgId: null,
    view: null, // "sign-in" | "orgs" | "clients" | "client" | "audit"
  };

  // ---------- small helpers ----------

  /** Builds an element: props are attributes, except class, on<event> and false/null (skipped). */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }
  const hiddenText = (text) => h("span", { class: "visually-hidden" }, text);
  const enc = encodeURIComponent;
  const isPlatformAdmin = () => state.me.roles.includes("platform:admin");
  const orgPath = () => `/organizations/${enc(state.orgId)}`;
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function absolute(iso) { return absoluteFormat.format(new Date(iso)); }
  function relative(iso) {
    const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    const size = Math.abs(seconds);
    if (size < 45) return "just now";
    const [unit, length] = UNITS.find(([, length]) => size >= length) || UNITS[UNITS.length - 1];
    return relativeFormat.format(Math.round(seconds / length), unit);
  }
  /** "5 minutes ago", the exact time in its title (lists). */
  function timeNode(iso, never = "never") {
    if (!iso) return document.createTextNode(never);
    return h("time", { datetime: iso, title: absolute(iso) }, relative(iso));
  }
  /** "5 minutes ago (27 Nov 2026, 10:05)" (detail pages). */
  function timeFull(iso, never = "never") {
    if (!iso) return [document.createTextNode(never)];
    return [timeNode(iso), h("span", { class: "muted-inline" }, ` (${absolute(iso)})`)];
  }
  function duration(seconds) {
    if (seconds >= 172800 && seconds % 86400 === 0) return `${seconds / 86400} days`;
    if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
    if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
    return `${seconds} s`;
  }
  function roleTags(roles) {
    if (!roles || roles.length === 0) return [h("span", { class: "none" }, "no roles")];
    return roles.map((role) => h("span", { class: "tag" }, role));
  }
  function secretHint(hint) {
    return h("span", { class: "mono" }, hiddenText("ending in "), h("span", { "aria-hidden": "true" }, "••••"), hint);
  }

  // ---------- talking to the server ----------

  class ApiError extends Error {
    constructor(message, status, field, detail) {
      super(message);
      this.status = status;
      this.field = field;
      this.detail = detail;
    }
  }
  /** A newer request for the same data replaced this one: nothing to show. */
  class Superseded extends Error {}

  const friendly = {
    0: "Cannot reach the server. Check your connection, then retry.",
    400: "The request was not accepted.",
    401: "Your session has ended. Sign in again.",
    403: "You are not allowed to do that.",
    404: "That no longer exists: it may have been deleted.",
    409: "That conflicts with the current state.",
    413: "That is too large.",
    422: "Some of the input is not valid.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "The server ran into a problem.",
    502: "The server is not answering properly.",
    503: "The service is briefly unavailable. Try again in a moment.",
    504: "The server took too long to answer.",
  };

  async function api(method, path, { body, signal } = {}) {
    const headers = { Authorization: `Bearer ${state.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    let text;
    try {
      res = await fetch(`/admin/v1${path}`, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
      text = await res.text();
    } catch {
      if (signal && signal.aborted) throw new Superseded();
      throw new ApiError(friendly[0], 0);
    }
    if (signal && signal.aborted) throw new Superseded();
    if (res.status === 401 && state.token) {
      endSession();
      const ended = new ApiError(friendly[401], 401);
      ended.handled = true; // already back at sign-in, with the message shown there
      throw ended;
    }
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : null;
      const summary = friendly[res.status] || `Something went wrong (HTTP ${res.status}).`;
      throw new ApiError(detail ? `${summary} (${detail})` : summary, res.status, data && data.field, detail);
    }
    return { data, headers: res.headers };
  }

  /** One stream of requests for one piece of the page: starting a request supersedes the last. */
  function channel() {
    let controller = null;
    let generation = 0;
    return {
      start() {
        if (controller) controller.abort();
        controller = new AbortController();
        const mine = ++generation;
        return { signal: controller.signal, current: () => mine === generation };
      },
      cancel() {
        if (controller) controller.abort();
        controller = null;
        generation++;
      },
    };
  }
  const ignorable = (e) => e instanceof Superseded || e.handled;

  // ---------- feedback ----------

  function status(message) { $("status").textContent = message; }

  /** An error shown where the data would be, with a Retry button when it can be retried. */
  function showProblem(slot, message, retry) {
    const children = [h("span", { class: "inline-error-text" }, message)];
    if (retry) {
      const button = h("button", { type: "button", class: "secondary small" }, "Retry");
      button.addEventListener("click", () => {
        button.disabled = true;
        button.textContent = "Retrying…";
        retry();
      });
      children.push(button);
    }
    slot.replaceChildren(...children);
    slot.hidden = false;
  }
  function clearProblem(slot) {
    const hadFocus = slot.contains(document.activeElement);
    slot.hidden = true;
    slot.replaceChildren();
    if (hadFocus) focusHeading();
  }

  /** A field's own message, tied to it by aria-describedby; cleared as soon as it is edited. */
  function fieldError(input, message) {
    const box = $(`${input.id}-error`);
    box.textContent = message;
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  async function busy(button, label, work) {
    const original = [...button.childNodes];
    button.disabled = true;
    button.textContent = label;
    status(label);
    try { return await work(); } finally { button.disabled = false; button.replaceChildren(...original); }
  }

  let copiedHook = null; // the secret dialog learns that its secret was copied
  async function copy(text, what) {
    try {
      await navigator.clipboard.writeText(text);
      status(`${what[0].toUpperCase()}${what.slice(1)} copied to the clipboard.`);
      if (copiedHook) copiedHook(text);
    } catch {
      status("Copy failed: select the text and copy it by hand.");
    }
  }
  function copyButton(text, what, className = "secondary small") {
    return h("button", { type: "button", class: className, onclick: () => copy(text, what) }, "Copy", hiddenText(` ${what}`));
  }

  // ---------- signing in ----------

  async function fetchJson(url, init) {
    let res;
    try { res = await fetch(url, init); } catch { throw new ApiError(friendly[0], 0); }
    const data = await res.json().catch(() => ({}));
    return { res, data };
  }

  async function signIn(clientId, secret) {
    const { res: metaRes, data: meta } = await fetchJson("/.well-known/oauth-authorization-server");
    if (!metaRes.ok) throw new ApiError(friendly[metaRes.status] || "Sign-in failed.", metaRes.status);
    // The admin API accepts only tokens whose audience is this server's issuer; ask for it even
    // when ORGAUTH_AUDIENCES makes another audience the default.
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
    const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
    const roles = claims.roles || [];
    if (!roles.includes("org:admin") && !roles.includes("platform:admin")) {
      throw new ApiError("This client is not an administrator (it needs org:admin or platform:admin).", 403);
    }
    state.token = data.access_token;
    state.me = { clientId: claims.client_id, orgId: claims.org_id, roles, name: null, orgName: null };
    state.settings = { issuer: meta.issuer, token_endpoint: meta.token_endpoint, audiences: null, default_audience: null };
  }

  async function afterSignIn() {
    const [roles] = await Promise.all([api("GET", "/roles"), loadIdentity(), loadSettings()]);
    state.catalog = roles.data;
  }

  /** "Signed in as <client name> (<organization name>)"; IDs stand in for names it cannot read. */
  async function loadIdentity() {
    const me = state.me;
    const [client, org] = await Promise.allSettled([
      api("GET", `/organizations/${enc(me.orgId)}/clients/${enc(me.clientId)}`),
      api("GET", `/organizations/${enc(me.orgId)}`),
    ]);
    if (state.me !== me) return;
    if (client.status === "fulfilled") me.name = client.value.data.name;
    if (org.status === "fulfilled") me.orgName = org.value.data.name;
    renderWhoami();
  }
  function renderWhoami() {
    if (!state.me) return;
    $("whoami").textContent = `Signed in as ${state.me.name || state.me.clientId} (${state.me.orgName || state.me.orgId})`;
  }

  /** The token endpoint and audiences for the quick start (the discovery document as fallback). */
  async function loadSettings() {
    try {
      const { data } = await api("GET", "/settings");
      state.settings = { ...state.settings, ...data };
    } catch (e) {
      if (e.handled) throw e;
    }
  }

  function resetSession() {
    state.token = null;
    state.me = null;
    state.orgs = null;
    state.orgId = null;
    state.settings = null;
    resetClients();
    resetAudit();
    resetClientPage();
    secret.closing = true;
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    $("sign-in-secret").value = "";
  }
  function signOut() {
    resetSession();
    history.replaceState(null, "", location.pathname + location.search);
    show("sign-in");
    showSignInError("");
    status("Signed out.");
    $("sign-in-id").focus();
  }
  /** The server refused the token: back to sign-in, where a new sign-in returns to this page. */
  function endSession() {
    resetSession();
    show("sign-in");
    showSignInError(friendly[401]);
    $("sign-in-secret").focus();
  }
  function showSignInError(message) {
    $("sign-in-error").textContent = message;
    $("sign-in-error").hidden = !message;
  }

  let signingIn = false;
  async function submitSignIn(event) {
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
      await busy(event.submitter || $("sign-in-form").querySelector("button"), "Signing in…", async () => {
        await signIn(id, secretValue);
        secretInput.value = "";
        await afterSignIn();
      });
      route();
    } catch (e) {
      if (!e.handled) {
        state.token = null;
        showSignInError(e.message);
      }
    } finally {
      signingIn = false;
    }
  }

  // ---------- views and routes ----------

  const PARTS = {
    "sign-in": ["sign-in-view"],
    orgs: ["orgs-view"],
    clients: ["org-view", "clients-panel"],
    client: ["org-view", "client-panel"],
    audit: ["org-view", "audit-panel"],
  };
  const HEADINGS = { "sign-in": "sign-in-title", orgs: "orgs-title", clients: "clients-title", client: "client-title", audit: "audit-title" };
  const TITLES = { "sign-in": "Sign in", orgs: "Organizations", clients: "Clients", client: "Client", audit: "Audit log" };

  function show(view) {
    if (state.view === "clients" && view !== "clients") clients.scroll = window.scrollY;
    for (const id of ["sign-in-view", "orgs-view", "org-view", "clients-panel", "client-panel", "audit-panel"]) {
      $(id).hidden = !PARTS[view].includes(id);
    }
    state.view = view;
    const signedIn = view !== "sign-in";
    $("whoami").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
    if (signedIn) renderWhoami();
    const section = view === "audit" ? "nav-audit" : "nav-clients";
    for (const id of ["nav-clients", "nav-audit"]) {
      if (id === section) $(id).setAttribute("aria-current", "page");
      else $(id).removeAttribute("aria-current");
    }
    document.title = `${TITLES[view]} · orgauth console`;
  }
  function focusHeading() {
    const heading = state.view && $(HEADINGS[state.view]);
    if (heading) heading.focus({ preventScroll: true });
  }

  const hashFor = {
    orgs: () => "#/orgs",
    clients: () => `#/orgs/${enc(state.orgId)}/clients`,
    client: (id) => `#/orgs/${enc(state.orgId)}/clients/${enc(id)}`,
    audit: (filters = {}) => {
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
      return `#/orgs/${enc(state.orgId)}/audit${query ? `?${query}` : ""}`;
    },
  };

  function go(hash, { replace = false } = {}) {
    if (location.hash === hash) route();
    else if (replace) { history.replaceState(null, "", hash); route(); } else location.hash = hash;
  }

  function parseRoute() {
    const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
    let parts;
    try { parts = path.split("/").filter(Boolean).map(decodeURIComponent); } catch { return { name: "home" }; }
    if (parts[0] !== "orgs") return { name: "home" };
    if (!parts[1]) return { name: "orgs" };
    const org = parts[1];
    if (parts[2] === "clients" && parts[3]) return { name: "client", org, id: parts[3] };
    if (parts[2] === "audit") return { name: "audit", org, filters: auditFiltersFrom(new URLSearchParams(query)) };
    return { name: "clients", org };
  }

  function route() {
    if (!state.token) { show("sign-in"); return; }
    const r = parseRoute();
    // An org:admin sees its own organization only (an address left by another sign-in too).
    const elsewhere = !isPlatformAdmin() && (r.name === "orgs" || (r.org && r.org !== state.me.orgId));
    if (r.name === "home" || elsewhere) {
      go(isPlatformAdmin() ? hashFor.orgs() : `#/orgs/${enc(state.me.orgId)}/clients`, { replace: true });
      return;
    }
    if (r.name === "orgs") { showOrganizations(); return; }
    enterOrg(r.org);
    if (r.name === "client") showClientPage(r.id);
    else if (r.name === "audit") showAudit(r.filters);
    else showClients();
  }

  // ---------- organizations ----------

  const orgsChannel = channel();
  async function showOrganizations() {
    show("orgs");
    focusHeading();
    const req = orgsChannel.start();
    try {
      const { data } = await api("GET", "/organizations", { signal: req.signal });
      if (!req.current()) return;
      clearProblem($("orgs-error"));
      state.orgs = data;
      $("org-list").replaceChildren(...data.map((org) => h("li", {},
        h("a", { class: "org", href: `#/orgs/${enc(org.id)}/clients` },
          h("span", { class: "org-title" }, org.name),
          h("span", { class: "muted" }, org.id)))));
      status(`${plural(data.length, "organization", "organizations")}.`);
    } catch (e) {
      if (ignorable(e) || !req.current()) return;
      showProblem($("orgs-error"), `Could not load the organizations. ${e.message}`, showOrganizations);
    }
  }

  /** Switching organization starts from a clean slate; staying keeps every list as it was. */
  function enterOrg(orgId) {
    if (state.orgId === orgId && $("org-name").textContent) return;
    if (state.orgId !== orgId) {
      resetClients();
      resetAudit();
      resetClientPage();
    }
    state.orgId = orgId;
    $("change-org").hidden = !isPlatformAdmin();
    $("nav-clients").href = hashFor.clients();
    $("nav-audit").href = hashFor.audit();
    $("back-to-clients").href = hashFor.clients();
    const known = (state.orgs || []).find((org) => org.id === orgId);
    const mine = orgId === state.me.orgId ? state.me.orgName : null;
    $("org-name").textContent = (known && known.name) || mine || orgId;
    if (!known && !mine) {
      api("GET", `/organizations/${enc(orgId)}`)
        .then(({ data }) => { if (state.orgId === orgId) $("org-name").textContent = data.name; })
        .catch(() => {}); // the ID stays: the page works without the name
    }
  }

  // ---------- clients list ----------

  const clients = {
    wanted: { q: "", sort: "-created_at" }, // what the controls ask for
    shown: { q: "", sort: "-created_at" }, // what the rows on the page are
    cursor: null,
    total: null,
    loaded: false,
    scroll: 0,
    byId: new Map(),
    channel: channel(),
    timer: null,
  };

  function resetClients() {
    clients.channel.cancel();
    clearTimeout(clients.timer);
    clients.wanted = { q: "", sort: "-created_at" };
    clients.shown = { ...clients.wanted };
    clients.cursor = null;
    clients.total = null;
    clients.loaded = false;
    clients.scroll = 0;
    clients.byId.clear();
    $("clients-body").replaceChildren();
    $("client-search").value = "";
    $("client-sort").value = clients.wanted.sort;
    clearProblem($("clients-error"));
    clearProblem($("more-clients-error"));
    setClientsLoading(false, false);
    renderClientsChrome();
  }

  function showClients() {
    const from = state.view;
    show("clients");
    if (!clients.loaded) {
      focusHeading();
      loadClients("reset");
      return;
    }
    if (from === "clients") return;
    // Back from a client page: the list as it was, where it was.
    window.scrollTo(0, clients.scroll);
    const row = from === "client" && page.id ? rowOf(page.id) : null;
    if (row) row.querySelector("a").focus({ preventScroll: true });
    else focusHeading();
  }

  async function loadClients(mode) {
    const more = mode === "more";
    const query = more ? { ...clients.shown } : { ...clients.wanted };
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), sort: query.sort });
    if (query.q) params.set("q", query.q);
    if (more) params.set("cursor", clients.cursor);
    const req = clients.channel.start();
    setClientsLoading(true, more);
    try {
      const { data, headers } = await api("GET", `${orgPath()}/clients?${params}`, { signal: req.signal });
      if (!req.current()) return;
      clearProblem($("clients-error"));
      clearProblem($("more-clients-error"));
      if (!more) {
        $("clients-body").replaceChildren();
        clients.byId.clear();
      }
      const firstNew = appendClients(data);
      clients.shown = query;
      clients.cursor = headers.get("X-Next-Cursor");
      const total = headers.get("X-Total-Count");
      clients.total = total === null ? null : Number(total);
      clients.loaded = true;
      setClientsLoading(false, more);
      renderClientsChrome();
      status(`${countText()}.`);
      if (more && firstNew && (!clients.cursor || document.activeElement === document.body)) {
        firstNew.querySelector("a").focus({ preventScroll: true });
      }
    } catch (e) {
      if (ignorable(e) || !req.current()) return;
      setClientsLoading(false, more);
      const slot = more ? $("more-clients-error") : $("clients-error");
      const what = query.q && !more ? `search for “${query.q}”` : "load the clients";
      const kept = clients.loaded ? " The list below is as it was." : "";
      showProblem(slot, `Could not ${what}. ${e.message}${more ? "" : kept}`, () => loadClients(mode));
    }
  }

  /** Appends a page; a client already on the page (created here meanwhile) is not repeated. */
  function appendClients(list) {
    let first = null;
    for (const client of list) {
      if (clients.byId.has(client.client_id)) continue;
      const row = clientRow(client);
      clients.byId.set(client.client_id, client);
      $("clients-body").append(row);
      first = first || row;
    }
    return first;
  }

  function setClientsLoading(loading, more) {
    $("clients-table").setAttribute("aria-busy", String(loading));
    $("clients-table").classList.toggle("loading", loading && !more);
    const button = $("more-clients");
    button.disabled = loading;
    button.textContent = loading && more ? "Loading…" : "Load more";
  }

  function countText() {
    const shown = $("clients-body").children.length;
    const matching = clients.shown.q ? ` matching “${clients.shown.q}”` : "";
    if (clients.total !== null) return `${shown} of ${plural(clients.total, "client", "clients")}${matching}`;
    return `${plural(shown, "client", "clients")}${matching}${clients.cursor ? ", more to load" : ""}`;
  }

  function renderClientsChrome() {
    const shown = $("clients-body").children.length;
    const searching = clients.shown.q !== "";
    const none = clients.loaded && shown === 0 && !searching;
    $("clients-empty").hidden = !none;
    $("clients-nomatch").hidden = !(clients.loaded && shown === 0 && searching);
    $("clients-nomatch-text").textContent = `No clients match “${clients.shown.q}”.`;
    $("clients-table").hidden = shown === 0;
    $("clients-tools").hidden = none && clients.wanted.q === "";
    $("clients-count").hidden = !clients.loaded || shown === 0;
    $("clients-count").textContent = countText();
    $("more-clients").hidden = !clients.cursor;
  }

  const rowOf = (id) => $("clients-body").querySelector(`tr[data-client-id="${CSS.escape(id)}"]`);
  const matchesSearch = (client, q) => !q || client.name.toLowerCase().includes(q.toLowerCase()) || client.client_id.startsWith(q);

  function clientRow(client) {
    return h("tr", { "data-client-id": client.client_id },
      h("th", { scope: "row", "data-label": "Name" }, h("a", { href: hashFor.client(client.client_id) }, client.name)),
      h("td", { "data-label": "Client ID" }, h("code", {}, client.client_id), " ", copyButton(client.client_id, `client ID of ${client.name}`)),
      h("td", { "data-label": "Roles" }, roleTags(client.roles)),
      h("td", { "data-label": "Secret" }, secretHint(client.secret_hint)),
      h("td", { "data-label": "Created" }, timeNode(client.created_at)),
      h("td", { "data-label": "Last used" }, timeNode(client.last_used_at)));
  }

  /** A new client goes to the top of the list as it stands (if it matches the search). */
  function clientCreated(client) {
    if (!clients.loaded || !matchesSearch(client, clients.shown.q)) return false;
    const row = clientRow(client);
    row.classList.add("fresh");
    $("clients-body").prepend(row);
    clients.byId.set(client.client_id, client);
    if (clients.total !== null) clients.total += 1;
    renderClientsChrome();
    return true;
  }
  /** An edited or rotated client is updated where it is. */
  function clientChanged(client) {
    if (state.me && client.client_id === state.me.clientId) {
      state.me.name = client.name;
      renderWhoami();
    }
    const row = rowOf(client.client_id);
    if (!row) return;
    const next = clientRow(client);
    next.className = row.className;
    row.replaceWith(next);
    clients.byId.set(client.client_id, client);
  }
  function clientRemoved(client) {
    const row = rowOf(client.client_id);
    if (row) row.remove();
    clients.byId.delete(client.client_id);
    if (clients.loaded && clients.total !== null && (row || matchesSearch(client, clients.shown.q))) {
      clients.total = Math.max(0, clients.total - 1);
    }
    renderClientsChrome();
  }

  function searchSoon() {
    clearTimeout(clients.timer);
    clients.timer = setTimeout(searchNow, SEARCH_DELAY_MS);
  }
  function searchNow(force = false) {
    clearTimeout(clients.timer);
    const q = $("client-search").value.trim();
    if (!force && q === clients.wanted.q) return;
    clients.wanted = { ...clients.wanted, q };
    loadClients("reset");
  }

  // ---------- one client's page ----------

  const page = { id: null, client: null, grace: new Map(), channel: channel(), activity: channel() };

  function resetClientPage() {
    page.channel.cancel();
    page.activity.cancel();
    page.id = null;
    page.client = null;
    page.grace.clear();
  }

  function showClientPage(id) {
    if (page.id !== id) page.client = null;
    page.id = id;
    show("client");
    clearProblem($("client-error"));
    $("client-gone").hidden = true;
    const known = clients.byId.get(id) || page.client;
    if (known) renderClient(known);
    else {
      $("client-body").hidden = true;
      $("client-title").textContent = "Loading client…";
    }
    $("client-activity").replaceChildren();
    $("client-activity-empty").textContent = "Not loaded yet.";
    $("client-activity-empty").hidden = true;
    clearProblem($("client-activity-error"));
    window.scrollTo(0, 0);
    focusHeading();
    loadClientPage(id);
  }

  /** The client and its activity together; one failure is one message with one Retry. */
  async function loadClientPage(id) {
    const [failed, activityFailed] = await Promise.all([refreshClient(id), loadActivity(id)]);
    if (page.id !== id) return;
    if (failed) {
      if (activityFailed) $("client-activity-empty").hidden = false;
      if (!page.client) $("client-title").textContent = "Client";
      const kept = page.client ? " What is shown is what the console knew before." : "";
      showProblem($("client-error"), `Could not load this client. ${failed.message}${kept}`, () => loadClientPage(id));
    } else if (activityFailed) {
      showActivityProblem(id, activityFailed);
    }
  }
  function showActivityProblem(id, e) {
    showProblem($("client-activity-error"), `Could not load the recent activity. ${e.message}`, async () => {
      const failed = await loadActivity(id);
      if (failed && page.id === id) showActivityProblem(id, failed);
    });
  }
  function refreshActivity(id) {
    loadActivity(id).then((failed) => { if (failed && page.id === id) showActivityProblem(id, failed); });
  }

  /** Returns the error to show, if any. */
  async function refreshClient(id) {
    const req = page.channel.start();
    try {
      const { data } = await api("GET", `${orgPath()}/clients/${enc(id)}`, { signal: req.signal });
      if (!req.current() || page.id !== id) return null;
      clearProblem($("client-error"));
      renderClient(data);
      clientChanged(data);
      return null;
    } catch (e) {
      if (ignorable(e) || !req.current() || page.id !== id) return null;
      if (e.status === 404) { showGone(id); return null; }
      return e;
    }
  }

  function showGone(id) {
    $("client-body").hidden = true;
    $("client-gone").hidden = false;
    $("client-title").textContent = page.client ? page.client.name : "Client not found";
    const listed = clients.byId.get(id);
    if (listed) clientRemoved(listed);
  }

  function renderClient(client) {
    page.client = client;
    $("client-body").hidden = false;
    $("client-gone").hidden = true;
    $("client-title").textContent = client.name;
    document.title = `${client.name} · orgauth console`;
    $("client-id-value").textContent = client.client_id;
    $("client-roles").replaceChildren(...roleTags(client.roles));
    $("client-created").replaceChildren(...timeFull(client.created_at));
    $("client-last-used").replaceChildren(...timeFull(client.last_used_at, "never"));
    $("client-hint").replaceChildren(secretHint(client.secret_hint));
    $("client-rotated").replaceChildren(...timeFull(client.secret_rotated_at, "not since it was created"));
    renderGrace(client.client_id);
    $("client-revoked-row").hidden = !client.tokens_not_before;
    if (client.tokens_not_before) {
      $("client-revoked").replaceChildren("tokens issued before ", ...timeFull(client.tokens_not_before), " are refused");
    }
    $("client-audit-link").href = hashFor.audit({ target: client.client_id });
    audit.labels.set(client.client_id, client.name);
    renderQuickStart($("client-quickstart"), "page", client, null);
  }

  /** The old secret's grace period: from the client record where the server says, else from
   * this console's own rotation or the audit log. */
  function renderGrace(id) {
    const client = page.client && page.client.client_id === id ? page.client : null;
    if (client && client.previous_secret_expires_at) {
      $("client-grace-row").hidden = false;
      $("client-grace").replaceChildren("still works until ", ...timeFull(client.previous_secret_expires_at));
      return;
    }
    const grace = page.grace.get(id);
    $("client-grace-row").hidden = !grace;
    if (!grace) return;
    const until = new Date(new Date(grace.at).getTime() + grace.seconds * 1000).toISOString();
    let text;
    if (grace.seconds === 0) text = ["stopped working at the last rotation"];
    else if (new Date(until) > new Date()) text = ["still works until ", ...timeFull(until)];
    else text = ["stopped working ", ...timeFull(until)];
    $("client-grace").replaceChildren(...text);
  }
  function noteRotation(id, at, seconds) {
    const known = page.grace.get(id);
    if (!known || new Date(at) >= new Date(known.at)) page.grace.set(id, { at, seconds });
  }

  /** Returns the error to show, if any. */
  async function loadActivity(id) {
    const req = page.activity.start();
    try {
      const params = new URLSearchParams({ target: id, limit: "10" });
      const { data } = await api("GET", `${orgPath()}/audit-events?${params}`, { signal: req.signal });
      if (!req.current() || page.id !== id) return null;
      clearProblem($("client-activity-error"));
      const events = data.filter((event) => event.target === id);
      const rotation = events.find((event) => event.action === "client.secret_rotated");
      if (rotation) noteRotation(id, rotation.created_at, Number(rotation.details.grace_period_seconds) || 0);
      renderGrace(id);
      $("client-activity").replaceChildren(...events.map(eventItem));
      $("client-activity-empty").textContent = "Nothing recorded yet.";
      $("client-activity-empty").hidden = events.length > 0;
      return null;
    } catch (e) {
      if (ignorable(e) || !req.current()) return null;
      return e;
    }
  }

  // ---------- quick start ----------

  const LANGUAGES = [["curl", "curl"], ["python", "Python"], ["node", "Node.js"], ["rust", "Rust"]];
  let language = "curl";

  const shellQuote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
  const literal = (s) => JSON.stringify(String(s)); // a valid Python, JavaScript and Rust string here

  /** The audience to ask for: none when the server has no configured audiences. */
  function snippetAudience() {
    const s = state.settings;
    if (!s || !Array.isArray(s.audiences) || s.audiences.length === 0) return null;
    return s.default_audience || s.audiences[0];
  }

  function snippets(clientId, secretValue) {
    const url = (state.settings && state.settings.token_endpoint) || `${location.origin}/oauth/token`;
    const audience = snippetAudience();
    return {
      curl: curlSnippet(url, clientId, secretValue, audience),
      python: pythonSnippet(url, clientId, secretValue, audience),
      node: nodeSnippet(url, clientId, secretValue, audience),
      rust: rustSnippet(url, clientId, secretValue, audience),
    };
  }

  function curlSnippet(url, id, secretValue, audience) {
    const lines = [];
    if (!secretValue) lines.push(`# First: export ${SECRET_VARIABLE}='<the client secret>'`);
    lines.push(`curl -sS ${shellQuote(url)} \\`);
    lines.push(secretValue ? `  -u ${shellQuote(`${id}:${secretValue}`)} \\` : `  -u "${id}:$${SECRET_VARIABLE}" \\`);
    lines.push(`  -d grant_type=client_credentials${audience ? " \\" : ""}`);
    if (audience) lines.push(`  --data-urlencode ${shellQuote(`audience=${audience}`)}`);
    return lines.join("\n");
  }

  function pythonSnippet(url, id, secretValue, audience) {
    const data = [`"grant_type": "client_credentials"`];
    if (audience) data.push(`"audience": ${literal(audience)}`);
    return [
      ...(secretValue ? [] : ["import os", ""]),
      "import requests",
      "",
      "response = requests.post(",
      `    ${literal(url)},`,
      `    auth=(${literal(id)}, ${secretValue ? literal(secretValue) : `os.environ[${literal(SECRET_VARIABLE)}]`}),`,
      `    data={${data.join(", ")}},`,
      "    timeout=10,",
      ")",
      "response.raise_for_status()",
      'access_token = response.json()["access_token"]',
    ].join("\n");
  }

  function nodeSnippet(url, id, secretValue, audience) {
    return [
      "// Node.js 18 or later, as an ES module (fetch and top-level await are built in).",
      `const response = await fetch(${literal(url)}, {`,
      '  method: "POST",',
      "  body: new URLSearchParams({",
      '    grant_type: "client_credentials",',
      `    client_id: ${literal(id)},`,
      `    client_secret: ${secretValue ? literal(secretValue) : `process.env.${SECRET_VARIABLE}`},`,
      ...(audience ? [`    audience: ${literal(audience)},`] : []),
      "  }),",
      "});",
      "if (!response.ok) throw new Error(`token request failed: ${response.status}`);",
      "const { access_token } = await response.json();",
    ].join("\n");
  }

  function rustSnippet(url, id, secretValue, audience) {
    const form = [`("grant_type", "client_credentials")`];
    if (audience) form.push(`("audience", ${literal(audience)})`);
    return [
      '// Cargo.toml: reqwest = { version = "0.12", features = ["json"] }, serde_json = "1"',
      "async fn access_token() -> Result<String, Box<dyn std::error::Error>> {",
      secretValue
        ? `    let secret = ${literal(secretValue)}.to_owned();`
        : `    let secret = std::env::var(${literal(SECRET_VARIABLE)})?;`,
      "    let token: serde_json::Value = reqwest::Client::new()",
      `        .post(${literal(url)})`,
      `        .basic_auth(${literal(id)}, Some(secret))`,
      `        .form(&[${form.join(", ")}])`,
      "        .send()",
      "        .await?",
      "        .error_for_status()?",
      "        .json()",
      "        .await?;",
      '    Ok(token["access_token"].as_str().unwrap_or_default().to_owned())',
      "}",
    ].join("\n");
  }

  /** Language tabs (arrow keys move between them) and one snippet with its Copy button. */
  function renderQuickStart(container, prefix, client, secretValue) {
    const code = snippets(client.client_id, secretValue);
    const tabs = [];
    const panels = [];
    const select = (key, focus) => {
      language = key;
      for (const tab of tabs) {
        const on = tab.dataset.lang === key;
        tab.setAttribute("aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
        if (on && focus) tab.focus();
      }
      for (const panel of panels) panel.hidden = panel.dataset.lang !== key;
    };
    for (const [key, label] of LANGUAGES) {
      const tab = h("button", {
        type: "button", role: "tab", id: `${prefix}-tab-${key}`, "data-lang": key,
        "aria-controls": `${prefix}-panel-${key}`, "aria-selected": "false", tabindex: "-1",
      }, label);
      tab.addEventListener("click", () => select(key, false));
      tab.addEventListener("keydown", (event) => {
        const index = LANGUAGES.findIndex(([k]) => k === key);
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) select(LANGUAGES[(index + step + LANGUAGES.length) % LANGUAGES.length][0], true);
        else if (event.key === "Home") select(LANGUAGES[0][0], true);
        else if (event.key === "End") select(LANGUAGES[LANGUAGES.length - 1][0], true);
        else return;
        event.preventDefault();
      });
      tabs.push(tab);
      panels.push(h("div", { role: "tabpanel", id: `${prefix}-panel-${key}`, "aria-labelledby": tab.id, "data-lang": key, class: "snippet" },
        h("pre", {}, h("code", {}, code[key])),
        copyButton(code[key], `${label} snippet`)));
    }
    container.replaceChildren(h("div", { role: "tablist", "aria-label": "Language", class: "lang-tabs" }, tabs), ...panels);
    select(language, false);
  }

  // ---------- create and edit ----------

  let editing = null; // null: creating; a client: editing it
  let saving = false;

  function roleItem(role, selected) {
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
      to.querySelector(`[data-role="${CSS.escape(role.name)}"]`).focus();
    });
    li.append(button);
    return li;
  }
  function sortRoles(list) {
    const order = state.catalog.map((r) => r.name);
    const items = [...list.children].sort((a, b) =>
      order.indexOf(a.firstChild.dataset.role) - order.indexOf(b.firstChild.dataset.role));
    list.replaceChildren(...items);
  }
  function assignable() {
    return state.catalog.filter((r) => r.name !== "platform:admin" || isPlatformAdmin());
  }
  function selectedRoles() {
    return [...$("selected-roles").querySelectorAll("[data-role]")].map((b) => b.dataset.role);
  }

  function openClientDialog(client) {
    editing = client;
    $("client-dialog-title").textContent = client ? `Edit ${client.name}` : "Create client";
    $("client-roles-warning").hidden = !client;
    $("client-name").value = client ? client.name : "";
    fieldError($("client-name"), "");
    $("client-roles-error").hidden = true;
    $("client-form-error").hidden = true;
    const selected = new Set(client ? client.roles : []);
    const known = new Set(state.catalog.map((r) => r.name));
    const extra = [...selected].filter((name) => !known.has(name)).map((name) => ({ name, description: "" }));
    $("available-roles").replaceChildren(...assignable().filter((r) => !selected.has(r.name)).map((r) => roleItem(r, false)));
    $("selected-roles").replaceChildren(...state.catalog.concat(extra).filter((r) => selected.has(r.name)).map((r) => roleItem(r, true)));
    openDialog($("client-dialog"), $("client-name"));
  }

  async function saveClient(event) {
    event.preventDefault();
    if (saving) return; // a double click creates one client
    const nameInput = $("client-name");
    const name = nameInput.value.trim();
    if (!name) {
      fieldError(nameInput, "Enter a name for the client.");
      nameInput.focus();
      return;
    }
    $("client-form-error").hidden = true;
    saving = true;
    try {
      await busy($("client-save"), "Saving…", () => (editing ? saveEdit(name, selectedRoles()) : saveNew(name, selectedRoles())));
    } catch (e) {
      if (!e.handled) showSaveError(e);
    } finally {
      saving = false;
    }
  }

  function showSaveError(e) {
    if (e.field === "name") {
      fieldError($("client-name"), e.detail || e.message);
      $("client-name").focus();
    } else if (e.field === "roles") {
      $("client-roles-error").textContent = e.detail || e.message;
      $("client-roles-error").hidden = false;
    } else {
      $("client-form-error").textContent = e.message;
      $("client-form-error").hidden = false;
    }
  }

  async function saveNew(name, roles) {
    const { data } = await api("POST", `${orgPath()}/clients`, { body: { name, roles } });
    closeDialog($("client-dialog"));
    audit.stale = true;
    const listed = clientCreated(data);
    const where = listed ? ` It is at the top of the list: ${countText()}.` : " It does not match the current search.";
    showSecret(data, `Client ${data.name} created.${where}`);
  }

  async function saveEdit(name, roles) {
    const body = {};
    if (name !== editing.name) body.name = name;
    const before = [...editing.roles].sort().join(" ");
    if ([...roles].sort().join(" ") !== before) body.roles = roles;
    if (Object.keys(body).length === 0) {
      closeDialog($("client-dialog"));
      status("Nothing changed.");
      return;
    }
    const { data } = await api("PATCH", `${orgPath()}/clients/${enc(editing.client_id)}`, { body });
    closeDialog($("client-dialog"));
    audit.stale = true;
    clientChanged(data);
    if (page.id === data.client_id) {
      renderClient(data);
      refreshActivity(data.client_id);
    }
    status(`${data.name} saved.`);
  }

  // ---------- the one-time secret ----------

  const secret = { value: null, copied: false, closing: false };

  function showSecret(client, message) {
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
  function requestSecretClose(fromEscape) {
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
  function secretClosed() {
    if (!secret.closing && state.token) {
      // Closed by something other than the confirmation (the browser itself): keep it on screen.
      $("secret-dialog").showModal();
      requestSecretClose(true);
      return false;
    }
    secret.closing = false;
    secret.value = null;
    $("secret-value").value = "";
    $("secret-client-id").value = "";
    $("secret-quickstart").replaceChildren();
    return true;
  }
  copiedHook = (text) => {
    if (secret.value && text.includes(secret.value)) secret.copied = true;
  };

  // ---------- rotate and delete ----------

  let rotating = false;
  function openRotate() {
    const client = page.client;
    $("rotate-name").textContent = client.name;
    $("rotate-form").elements.grace.value = "0";
    $("rotate-error").hidden = true;
    openDialog($("rotate-dialog"), $("rotate-form").querySelector("input[name=grace]:checked"));
  }

  async function rotate(event) {
    event.preventDefault();
    if (rotating) return;
    const client = page.client;
    const grace = Number($("rotate-form").elements.grace.value) || 0;
    rotating = true;
    try {
      await busy($("rotate-confirm"), "Rotating…", async () => {
        const { data } = await api("POST", `${orgPath()}/clients/${enc(client.client_id)}/secret`, { body: { grace_period_seconds: grace } });
        closeDialog($("rotate-dialog"));
        audit.stale = true;
        noteRotation(data.client_id, data.secret_rotated_at || new Date().toISOString(), grace);
        clientChanged(data);
        if (page.id === data.client_id) {
          renderClient(data);
          refreshActivity(data.client_id);
        }
        showSecret(data, grace
          ? `Secret of ${data.name} rotated; the old one keeps working for ${duration(grace)}.`
          : `Secret of ${data.name} rotated; the old one no longer works.`);
      });
    } catch (e) {
      if (!e.handled) {
        $("rotate-error").textContent = e.message;
        $("rotate-error").hidden = false;
      }
    } finally {
      rotating = false;
    }
  }

  let deleting = false;
  function openDelete() {
    $("delete-name").textContent = page.client.name;
    $("delete-error").hidden = true;
    openDialog($("delete-dialog"), $("delete-dialog").querySelector("[data-close]"));
  }

  async function remove(event) {
    event.preventDefault();
    if (deleting) return;
    const client = page.client;
    deleting = true;
    try {
      await busy($("delete-confirm"), "Deleting…", async () => {
        await api("DELETE", `${orgPath()}/clients/${enc(client.client_id)}`);
        closeDialog($("delete-dialog"));
        audit.stale = true;
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

  // ---------- dialogs ----------

  const openers = new WeakMap();
  function openDialog(dialog, focus) {
    openers.set(dialog, document.activeElement);
    dialog.showModal();
    if (focus) focus.focus();
  }
  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }
  /** Focus goes back to what opened the dialog, or to the page's heading if that is gone. */
  function returnFocus(dialog) {
    const opener = openers.get(dialog);
    openers.delete(dialog);
    if (opener && opener.isConnected && opener !== document.body && !opener.closest("[hidden]")) opener.focus();
    else focusHeading();
  }

  // ---------- audit log ----------

  const audit = { shownKey: null, filters: {}, wanted: {}, cursor: null, stale: true, channel: channel(), labels: new Map(), timer: null };

  function resetAudit() {
    audit.channel.cancel();
    audit.shownKey = null;
    audit.filters = {};
    audit.wanted = {};
    audit.cursor = null;
    audit.stale = true;
    audit.labels.clear();
    $("audit-list").replaceChildren();
    clearProblem($("audit-error"));
    clearProblem($("more-audit-error"));
    $("audit-count").hidden = true;
    $("audit-empty").hidden = true;
    $("more-audit").hidden = true;
  }

  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  function auditFiltersFrom(params) {
    const pick = (key, ok) => { const v = params.get(key) || ""; return ok(v) ? v : ""; };
    return {
      action: pick("action", (v) => /^[a-z_.]{1,64}$/.test(v)),
      target: pick("target", (v) => v.length <= 100),
      since: pick("since", (v) => DATE.test(v)),
      until: pick("until", (v) => DATE.test(v)),
    };
  }
  /** A local calendar day's first instant, as the API's RFC 3339. */
  function dayStart(date, plusDays = 0) {
    const [y, m, d] = date.split("-").map(Number);
    return new Date(y, m - 1, d + plusDays).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function showAudit(filters) {
    const arriving = state.view !== "audit";
    show("audit");
    audit.wanted = filters;
    fillAuditForm(filters);
    $("nav-audit").href = hashFor.audit(filters);
    const key = JSON.stringify(filters);
    if (key !== audit.shownKey || audit.stale) loadAudit("reset", filters);
    if (arriving) focusHeading();
  }

  function fillAuditForm(filters) {
    $("audit-action").value = filters.action;
    $("audit-target").value = audit.labels.get(filters.target) || filters.target;
    $("audit-since").value = filters.since;
    $("audit-until").value = filters.until;
    for (const id of ["audit-target", "audit-since", "audit-until"]) fieldError($(id), "");
  }

  async function loadAudit(mode, filters = audit.filters) {
    const more = mode === "more";
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filters.action) params.set("action", filters.action);
    if (filters.target) params.set("target", filters.target);
    if (filters.since) params.set("since", dayStart(filters.since));
    if (filters.until) params.set("until", dayStart(filters.until, 1));
    if (more) params.set("cursor", audit.cursor);
    const req = audit.channel.start();
    $("more-audit").disabled = true;
    $("audit-list").setAttribute("aria-busy", "true");
    $("audit-list").classList.toggle("loading", !more);
    try {
      const { data, headers } = await api("GET", `${orgPath()}/audit-events?${params}`, { signal: req.signal });
      if (!req.current()) return;
      clearProblem($("audit-error"));
      clearProblem($("more-audit-error"));
      const items = data.map(eventItem);
      if (more) $("audit-list").append(...items);
      else $("audit-list").replaceChildren(...items);
      audit.filters = filters;
      audit.shownKey = JSON.stringify(filters);
      audit.stale = false;
      audit.cursor = headers.get("X-Next-Cursor");
      renderAuditChrome();
      status(`${$("audit-count").textContent}.`);
      if (more && items[0] && !audit.cursor) items[0].focus({ preventScroll: true });
    } catch (e) {
      if (ignorable(e) || !req.current()) return;
      const slot = more ? $("more-audit-error") : $("audit-error");
      const kept = audit.shownKey !== null && !more ? " The events below are as they were." : "";
      showProblem(slot, `Could not load the audit log. ${e.message}${kept}`, () => loadAudit(mode, filters));
    } finally {
      if (req.current()) {
        $("more-audit").disabled = false;
        $("audit-list").setAttribute("aria-busy", "false");
        $("audit-list").classList.remove("loading");
      }
    }
  }

  function renderAuditChrome() {
    const shown = $("audit-list").children.length;
    const filtered = Object.values(audit.filters).some(Boolean);
    $("audit-count").hidden = shown === 0;
    $("audit-count").textContent = `${plural(shown, "event", "events")}${filtered ? " matching the filters" : ""}${audit.cursor ? ", newest first; more to load" : ""}`;
    $("audit-empty").hidden = shown !== 0;
    $("audit-empty-text").textContent = filtered ? "No events match these filters." : "Nothing has happened yet.";
    $("more-audit").hidden = !audit.cursor;
  }

  async function applyAuditFilters() {
    clearTimeout(audit.timer);
    const since = $("audit-since").value;
    const until = $("audit-until").value;
    if (since && until && until < since) {
      fieldError($("audit-until"), "“To” must be on or after “From”.");
      return;
    }
    const typed = $("audit-target").value.trim();
    let target = "";
    const current = audit.wanted.target;
    if (typed && current && (typed === current || audit.labels.get(current) === typed)) {
      target = current;
    } else if (typed) {
      try {
        target = await resolveClientId(typed);
      } catch (e) {
        if (e.handled) return;
        fieldError($("audit-target"), e.message);
        return;
      }
      if (target !== typed) audit.labels.set(target, typed);
    }
    if ($("audit-target").value.trim() !== typed) return; // typing went on meanwhile
    go(hashFor.audit({ action: $("audit-action").value, target, since, until }), { replace: true });
  }

  /** A client filter takes an ID or an exact name; an unknown value is used as an ID (deleted clients). */
  async function resolveClientId(value) {
    const fromList = [...clients.byId.values()];
    if (fromList.some((c) => c.client_id === value)) return value;
    const named = (list) => list.filter((c) => c.name.toLowerCase() === value.toLowerCase());
    if (named(fromList).length === 1) return named(fromList)[0].client_id;
    let found;
    try {
      found = (await api("GET", `${orgPath()}/clients?${new URLSearchParams({ q: value, limit: "20" })}`)).data;
    } catch (e) {
      if (e.handled) throw e;
      return value;
    }
    if (found.some((c) => c.client_id === value)) return value;
    const matches = named(found);
    if (matches.length > 1) throw new ApiError(`Several clients are named “${value}”: enter the client ID.`, 400);
    return matches.length === 1 ? matches[0].client_id : value;
  }

  const OPERATORS = { cli: "the operator (command line)", bootstrap: "the operator (bootstrap)" };

  function eventItem(event) {
    return h("li", { class: "event", "data-action": event.action, tabindex: "-1" },
      h("p", { class: "sentence" }, sentence(event)),
      h("p", { class: "when" }, timeNode(event.created_at), h("span", { class: "absolute" }, ` · ${absolute(event.created_at)}`)));
  }

  function actorNode(event) {
    const name = event.actor_name || OPERATORS[event.actor_client_id] || event.actor_client_id;
    return h("strong", { class: "actor" }, name);
  }
  /** The target by name (its name at the time), linking to the client's page where it may exist. */
  function targetNode(event) {
    const d = event.details || {};
    const client = event.action.startsWith("client.");
    const name = event.target_name || (client && typeof d.name === "string" && event.action !== "client.updated" ? d.name : null) || event.target;
    if (client && event.action !== "client.deleted") return h("a", { href: hashFor.client(event.target), class: "target" }, name);
    return h("strong", { class: "target" }, name);
  }

  function sentence(event) {
    const d = event.details || {};
    const actor = actorNode(event);
    const target = () => targetNode(event);
    switch (event.action) {
      case "client.created":
        return [actor, " created ", target(), ...withRoles(d.roles)];
      case "client.updated":
        return [actor, " ", ...updateParts(event, target)];
      case "client.secret_rotated": {
        const seconds = Number(d.grace_period_seconds) || 0;
        const grace = seconds ? `old secret valid ${duration(seconds)}` : "old secret stopped at once";
        return [actor, " rotated the secret of ", target(), ` — ${grace}`, d.revoke_tokens ? ", its tokens revoked" : ""];
      }
      case "client.tokens_revoked":
        return [actor, " revoked the tokens of ", target()];
      case "client.deleted":
        return [actor, " deleted ", target()];
      case "role.created":
        return [actor, " created the role ", target()];
      case "role.deleted":
        return [actor, " deleted the role ", target()];
      case "organization.created":
        return [actor, " created the organization ", h("strong", {}, d.name || event.target_name || event.target)];
      case "organization.renamed": {
        const to = typeof d.name === "string" ? d.name : d.name && d.name.to;
        const from = d.previous_name || (d.name && d.name.from) || event.target;
        return [actor, " renamed the organization ", h("strong", {}, from), " to ", h("strong", {}, to || "?")];
      }
      default:
        return [actor, ` ${event.action} `, target()];
    }
  }
  function withRoles(roles) {
    return Array.isArray(roles) && roles.length ? [" with roles ", roles.join(", ")] : [" with no roles"];
  }
  function updateParts(event, target) {
    const d = event.details || {};
    const parts = [];
    if (typeof d.name === "string") {
      // The name before the change, where the event knows it.
      let from = h("strong", {}, d.previous_name);
      if (!d.previous_name) from = event.target_name && event.target_name !== d.name ? target() : h("span", {}, "client ", h("code", {}, event.target));
      parts.push(["renamed ", from, " to ", h("strong", {}, d.name)]);
    }
    if (Array.isArray(d.roles)) {
      const lead = parts.length ? ["changed its roles: "] : ["changed the roles of ", target(), ": "];
      parts.push([...lead, ...roleDiff(d.previous_roles || [], d.roles)]);
    }
    if (parts.length === 0) return ["changed ", target()];
    return parts.flatMap((part, i) => (i ? [" and ", ...part] : part));
  }
  function roleDiff(before, after) {
    const added = after.filter((r) => !before.includes(r)).map((r) => h("span", { class: "diff added" }, `+ ${r}`));
    const removed = before.filter((r) => !after.includes(r)).map((r) => h("span", { class: "diff removed" }, `− ${r}`));
    const all = [...added, ...removed];
    if (all.length === 0) return ["no change"];
    return all.flatMap((node, i) => (i ? [", ", node] : [node]));
  }

  // ---------- wiring ----------

  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);

  $("create-client").addEventListener("click", () => openClientDialog(null));
  $("client-form").addEventListener("submit", saveClient);
  $("client-search").addEventListener("input", searchSoon);
  $("client-search").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); searchNow(true); }
  });
  $("client-sort").addEventListener("change", () => {
    clearTimeout(clients.timer);
    clients.wanted = { q: $("client-search").value.trim(), sort: $("client-sort").value };
    loadClients("reset");
  });
  $("clear-search").addEventListener("click", () => {
    $("client-search").value = "";
    searchNow();
    $("client-search").focus();
  });
  $("more-clients").addEventListener("click", () => loadClients("more"));

  $("client-edit").addEventListener("click", () => openClientDialog(page.client));
  $("client-rotate").addEventListener("click", openRotate);
  $("client-delete").addEventListener("click", openDelete);
  $("client-id-copy").addEventListener("click", () => copy(page.client.client_id, "Client ID"));
  $("rotate-form").addEventListener("submit", rotate);
  $("delete-form").addEventListener("submit", remove);

  $("audit-filters").addEventListener("submit", (event) => { event.preventDefault(); applyAuditFilters(); });
  for (const id of ["audit-action", "audit-since", "audit-until"]) $(id).addEventListener("change", applyAuditFilters);
  $("audit-target").addEventListener("input", () => {
    clearTimeout(audit.timer);
    audit.timer = setTimeout(applyAuditFilters, 600);
  });
  $("audit-target").addEventListener("change", applyAuditFilters);
  $("audit-clear").addEventListener("click", () => go(hashFor.audit({}), { replace: true }));
  $("more-audit").addEventListener("click", () => loadAudit("more"));

  for (const input of document.querySelectorAll("input[aria-describedby$='-error']")) {
    input.addEventListener("input", () => fieldError(input, ""));
  }
  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => closeDialog(button.closest("dialog")));
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    const what = button.dataset.copy === "secret-value" ? "Client secret" : "Client ID";
    button.addEventListener("click", () => copy($(button.dataset.copy).value, what));
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      if (dialog.id === "secret-dialog" && !secretClosed()) return;
      if (state.token) returnFocus(dialog);
    });
  }
  const secretDialog = $("secret-dialog");
  // Escape must never lose the secret: ask first (keydown covers browsers that stop honouring
  // preventDefault on repeated cancel events).
  secretDialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); requestSecretClose(true); }
  });
  secretDialog.addEventListener("cancel", (event) => { event.preventDefault(); requestSecretClose(true); });
  $("secret-done").addEventListener("click", () => requestSecretClose(false));
  $("secret-back").addEventListener("click", backToSecret);
  $("secret-close").addEventListener("click", closeSecret);

  // "5 minutes ago" stays true while the page stays open.
  setInterval(() => {
    for (const node of document.querySelectorAll("time[datetime]")) node.textContent = relative(node.getAttribute("datetime"));
  }, 60000);

  show("sign-in");
})();

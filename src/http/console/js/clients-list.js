// @ts-check
// The clients list of an organization: search, sort, "Load more", a count of what is shown, and
// rows kept in step with what the console changes (created at the top, edited in place).

import { $, h, hiddenText, badge } from "./dom.js";
import { state, orgPath, usesKeys, onOrgReset } from "./state.js";
import { api, channel, ignorable } from "./api.js";
import { show, focusHeading, hashFor, savedScroll, forgetScroll } from "./router.js";
import { status, showProblem, clearProblem, copyButton } from "./feedback.js";
import { plural, timeNode, roleTags, secretHint, expiryBadge } from "./format.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

/**
 * @type {{
 *   wanted: { q: string, sort: string }, shown: { q: string, sort: string }, cursor: string | null,
 *   total: number | null, loaded: boolean, byId: Map<string, Client>, lastOpened: string | null,
 *   channel: ReturnType<typeof channel>, timer: ReturnType<typeof setTimeout> | undefined,
 * }}
 */
export const clients = {
  wanted: { q: "", sort: "-created_at" }, // what the controls ask for
  shown: { q: "", sort: "-created_at" }, // what the rows on the page are
  cursor: null,
  total: null,
  loaded: false,
  byId: new Map(),
  lastOpened: null, // the client whose page was shown last: its row gets the focus back
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
  clients.lastOpened = null;
  forgetScroll("clients");
  clients.byId.clear();
  $("clients-body").replaceChildren();
  $("client-search").value = "";
  $("client-sort").value = clients.wanted.sort;
  clearProblem($("clients-error"));
  clearProblem($("more-clients-error"));
  setLoading(false, false);
  renderChrome();
}

export function showClients() {
  const from = state.view;
  show("clients");
  if (!clients.loaded) {
    focusHeading();
    loadClients("reset");
    return;
  }
  if (from === "clients") return;
  // Back from a client page: the list as it was, where it was.
  window.scrollTo(0, savedScroll("clients"));
  const row = from === "client" && clients.lastOpened ? rowOf(clients.lastOpened) : null;
  if (row) row.querySelector("a").focus({ preventScroll: true });
  else focusHeading();
}

async function loadClients(/** @type {"reset" | "more"} */ mode) {
  const more = mode === "more";
  const query = more ? { ...clients.shown } : { ...clients.wanted };
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), sort: query.sort });
  if (query.q) params.set("q", query.q);
  if (more) params.set("cursor", clients.cursor);
  const req = clients.channel.start();
  setLoading(true, more);
  try {
    /** @type {ApiResult<Client[]>} */
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
    setLoading(false, more);
    renderChrome();
    status(`${countText()}.`);
    if (more && firstNew && (!clients.cursor || document.activeElement === document.body)) {
      firstNew.querySelector("a").focus({ preventScroll: true });
    }
  } catch (e) {
    if (ignorable(e) || !req.current()) return;
    setLoading(false, more);
    const slot = more ? $("more-clients-error") : $("clients-error");
    const what = query.q && !more ? `search for “${query.q}”` : "load the clients";
    const kept = clients.loaded ? " The list below is as it was." : "";
    showProblem(slot, `Could not ${what}. ${e.message}${more ? "" : kept}`, () => loadClients(mode));
  }
}

/** Appends a page; a client already on the page (created here meanwhile) is not repeated. */
function appendClients(/** @type {Client[]} */ list) {
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

function setLoading(/** @type {boolean} */ loading, /** @type {boolean} */ more) {
  $("clients-table").setAttribute("aria-busy", String(loading));
  $("clients-table").classList.toggle("loading", loading && !more);
  const button = $("more-clients");
  button.disabled = loading;
  button.textContent = loading && more ? "Loading…" : "Load more";
}

export function countText() {
  const shown = $("clients-body").children.length;
  const matching = clients.shown.q ? ` matching “${clients.shown.q}”` : "";
  if (clients.total !== null) return `${shown} of ${plural(clients.total, "client", "clients")}${matching}`;
  return `${plural(shown, "client", "clients")}${matching}${clients.cursor ? ", more to load" : ""}`;
}

function renderChrome() {
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

const rowOf = (/** @type {string} */ id) => $("clients-body").querySelector(`tr[data-client-id="${CSS.escape(id)}"]`);
const matchesSearch = (/** @type {Client} */ client, /** @type {string} */ q) => !q || client.name.toLowerCase().includes(q.toLowerCase()) || client.client_id.startsWith(q);

/** How the client proves itself: "Key", its secret's hint (with an expiry warning), or none. */
function credential(/** @type {Client} */ client) {
  if (usesKeys(client)) return [badge("Key", "key"), hiddenText(" (private_key_jwt)")];
  if (!client.secret_hint) return [h("span", { class: "none" }, "no secret")];
  const warning = expiryBadge(client);
  return [secretHint(client.secret_hint), warning ? " " : null, warning];
}

function clientRow(/** @type {Client} */ client) {
  return h("tr", { "data-client-id": client.client_id, class: client.disabled ? "off" : null },
    h("th", { scope: "row", "data-label": "Name" },
      h("a", { href: hashFor.client(client.client_id) }, client.name),
      client.disabled ? [" ", badge("Disabled", "disabled")] : null),
    h("td", { "data-label": "Client ID" }, h("code", {}, client.client_id), " ", copyButton(client.client_id, `client ID of ${client.name}`)),
    h("td", { "data-label": "Roles" }, roleTags(client.roles)),
    h("td", { "data-label": "Credential" }, credential(client)),
    h("td", { "data-label": "Created" }, timeNode(client.created_at)),
    h("td", { "data-label": "Last used" }, timeNode(client.last_used_at)));
}

/** A new client goes to the top of the list as it stands (if it matches the search). */
export function clientCreated(/** @type {Client} */ client) {
  if (!clients.loaded || !matchesSearch(client, clients.shown.q)) return false;
  const row = clientRow(client);
  row.classList.add("fresh");
  $("clients-body").prepend(row);
  clients.byId.set(client.client_id, client);
  if (clients.total !== null) clients.total += 1;
  renderChrome();
  return true;
}
/** An edited, rotated, disabled or switched client is updated where it is. */
export function clientChanged(/** @type {Client} */ client) {
  const row = rowOf(client.client_id);
  if (!row) return;
  const next = clientRow(client);
  next.classList.toggle("fresh", row.classList.contains("fresh"));
  row.replaceWith(next);
  clients.byId.set(client.client_id, client);
}
export function clientRemoved(/** @type {Client} */ client) {
  const row = rowOf(client.client_id);
  if (row) row.remove();
  clients.byId.delete(client.client_id);
  if (clients.loaded && clients.total !== null && (row || matchesSearch(client, clients.shown.q))) {
    clients.total = Math.max(0, clients.total - 1);
  }
  renderChrome();
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

export function wireClientsList() {
  onOrgReset(resetClients);
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
  resetClients();
}

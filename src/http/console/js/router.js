// @ts-check
// Which view is on screen and the address that names it (#/orgs/<org>/clients/<id>, …): showing
// a view, moving focus to its heading, the user menu, and sending an address to the view that
// shows it.

import { $, h } from "./dom.js";
import { state, enc, isPlatformAdmin, canManage } from "./state.js";
import { signedIn } from "./api.js";

/** @typedef {import("./types").View} View */

/** @type {Record<View, string[]>} */
const PARTS = {
  "sign-in": ["sign-in-view"],
  invitation: ["invitation-view"],
  account: ["account-view"],
  orgs: ["orgs-view"],
  clients: ["org-view", "clients-panel"],
  client: ["org-view", "client-panel"],
  audit: ["org-view", "audit-panel"],
  members: ["org-view", "members-panel"],
  settings: ["org-view", "settings-panel"],
};
const ALL_PARTS = ["sign-in-view", "invitation-view", "account-view", "orgs-view", "org-view", "clients-panel", "client-panel",
  "audit-panel", "members-panel", "settings-panel"];
/** @type {Record<View, string>} */
const HEADINGS = {
  "sign-in": "sign-in-title", invitation: "invitation-title", account: "account-title", orgs: "orgs-title",
  clients: "clients-title", client: "client-title", audit: "audit-title", members: "members-title", settings: "settings-title",
};
/** @type {Record<View, string>} */
const TITLES = {
  "sign-in": "Sign in", invitation: "Invitation", account: "Your account", orgs: "Organizations", clients: "Clients",
  client: "Client", audit: "Audit log", members: "Members", settings: "Organization settings",
};
/** @type {Partial<Record<View, string>>} */
const TABS = { clients: "nav-clients", client: "nav-clients", audit: "nav-audit", members: "nav-members", settings: "nav-settings" };

/** @type {Map<View, number>} */
const scrolls = new Map(); // where each view was scrolled to when it was left

export function show(/** @type {View} */ view) {
  if (state.view && state.view !== view) scrolls.set(state.view, window.scrollY);
  for (const id of ALL_PARTS) $(id).hidden = !PARTS[view].includes(id);
  state.view = view;
  $("user-menu").hidden = !state.me;
  $("user-menu").removeAttribute("open");
  renderWhoami();
  for (const id of ["nav-clients", "nav-audit", "nav-members", "nav-settings"]) {
    if (id === TABS[view]) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  // An org:viewer sees the same screens without the buttons that change anything.
  document.body.classList.toggle("read-only", PARTS[view].includes("org-view") && !canManage());
  document.title = `${TITLES[view]} · orgauth console`;
}
export const savedScroll = (/** @type {View} */ view) => scrolls.get(view) || 0;
export function forgetScroll(/** @type {View} */ view) { scrolls.delete(view); }

export function focusHeading() {
  const heading = state.view && $(HEADINGS[state.view]);
  if (heading) heading.focus({ preventScroll: true });
}

const ROLE_NAMES = { "org:admin": "admin", "org:viewer": "viewer", "platform:admin": "platform admin" };
export const roleName = (/** @type {string} */ role) => /** @type {Record<string, string>} */ (ROLE_NAMES)[role] || role;

/** The user menu (top right): the person, their organizations to switch to, their account. */
export function renderWhoami() {
  const me = state.me;
  $("user-menu").hidden = !me;
  if (!me) return;
  $("whoami").textContent = me.name;
  $("user-menu-email").textContent = me.email || "";
  $("user-menu-orgs").replaceChildren(...me.memberships.map((m) => h("li", {},
    h("a", {
      href: `#/orgs/${enc(m.organization_id)}/clients`,
      "aria-current": m.organization_id === state.orgId ? "true" : null,
      onclick: () => $("user-menu").removeAttribute("open"),
    }, m.organization_name, " ", h("span", { class: "muted-inline" }, `(${roleName(m.role)})`)))));
  $("user-menu-all-orgs").hidden = !isPlatformAdmin();
}

export const hashFor = {
  orgs: () => "#/orgs",
  account: () => "#/account",
  clients: () => `#/orgs/${enc(state.orgId)}/clients`,
  client: (/** @type {string} */ id) => `#/orgs/${enc(state.orgId)}/clients/${enc(id)}`,
  members: () => `#/orgs/${enc(state.orgId)}/members`,
  settings: () => `#/orgs/${enc(state.orgId)}/settings`,
  audit: (/** @type {Record<string, string>} */ filters = {}) => {
    const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
    return `#/orgs/${enc(state.orgId)}/audit${query ? `?${query}` : ""}`;
  },
};

export function go(/** @type {string} */ hash, { replace = false } = {}) {
  if (location.hash === hash) route();
  else if (replace) { history.replaceState(null, "", hash); route(); } else location.hash = hash;
}

/**
 * @returns {{ name: "home" | "orgs" | "account", org?: undefined, arg?: undefined }
 *   | { name: "invitation", org?: undefined, arg: string }
 *   | { name: "clients" | "members", org: string, arg?: undefined }
 *   | { name: "settings", org: string, arg: URLSearchParams }
 *   | { name: "client", org: string, arg: string } | { name: "audit", org: string, arg: URLSearchParams }}
 */
export function parseRoute() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  let parts;
  try { parts = path.split("/").filter(Boolean).map(decodeURIComponent); } catch { return { name: "home" }; }
  // IDs never contain "/" and are never "." or "..": such a segment would reach another API
  // path once the browser normalises the URL it is put in.
  if (parts.some((p) => p === "." || p === ".." || p.includes("/"))) return { name: "home" };
  if (parts[0] === "invitation" && parts[1]) return { name: "invitation", arg: parts[1] };
  if (parts[0] === "account") return { name: "account" };
  if (parts[0] !== "orgs") return { name: "home" };
  if (!parts[1]) return { name: "orgs" };
  const org = parts[1];
  if (parts[2] === "clients" && parts[3]) return { name: "client", org, arg: parts[3] };
  if (parts[2] === "audit") return { name: "audit", org, arg: new URLSearchParams(query) };
  if (parts[2] === "settings") return { name: "settings", org, arg: new URLSearchParams(query) };
  if (parts[2] === "members") return { name: "members", org };
  return { name: "clients", org };
}

/**
 * @typedef {{
 *   invitation: (token: string) => void, account: () => void,
 *   orgs: () => void, enterOrg: (org: string) => void, clients: () => void, members: () => void,
 *   client: (id: string) => void, audit: (params: URLSearchParams) => void,
 *   settings: (params: URLSearchParams) => void,
 * }} Views
 */
// The views, registered by main.js.
/** @type {Views} */
let views = null;
export function registerViews(/** @type {Views} */ handlers) { views = handlers; }

/** Where a person lands: every organization for a platform admin, else their first one. */
function home() {
  if (isPlatformAdmin()) return hashFor.orgs();
  const first = state.me.memberships[0];
  return first ? `#/orgs/${enc(first.organization_id)}/clients` : hashFor.account();
}

export function route() {
  const r = parseRoute();
  // An invitation link works signed in (to join with this account) or not.
  if (r.name === "invitation") { views.invitation(r.arg); return; }
  if (!signedIn()) { show("sign-in"); return; }
  // A person sees the organizations they are a member of (a platform admin: every one).
  const elsewhere = !isPlatformAdmin() && (r.name === "orgs"
    || (r.org && !state.me.memberships.some((m) => m.organization_id === r.org)));
  if (r.name === "home" || elsewhere) { go(home(), { replace: true }); return; }
  if (r.name === "orgs") { views.orgs(); return; }
  if (r.name === "account") { views.account(); return; }
  views.enterOrg(r.org);
  // Each view takes its own argument (a client ID, the audit filters), or none.
  /** @type {(arg: unknown) => void} */ (views[r.name])(r.arg);
}

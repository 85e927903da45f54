// @ts-check
// Which view is on screen and the address that names it (#/orgs/<org>/clients/<id>, …): showing
// a view, moving focus to its heading, and sending an address to the view that shows it.

import { $ } from "./dom.js";
import { state, enc, isPlatformAdmin } from "./state.js";
import { signedIn } from "./api.js";

/** @typedef {import("./types").View} View */

/** @type {Record<View, string[]>} */
const PARTS = {
  "sign-in": ["sign-in-view"],
  orgs: ["orgs-view"],
  clients: ["org-view", "clients-panel"],
  client: ["org-view", "client-panel"],
  audit: ["org-view", "audit-panel"],
  settings: ["org-view", "settings-panel"],
};
const ALL_PARTS = ["sign-in-view", "orgs-view", "org-view", "clients-panel", "client-panel", "audit-panel", "settings-panel"];
/** @type {Record<View, string>} */
const HEADINGS = {
  "sign-in": "sign-in-title", orgs: "orgs-title", clients: "clients-title", client: "client-title",
  audit: "audit-title", settings: "settings-title",
};
/** @type {Record<View, string>} */
const TITLES = {
  "sign-in": "Sign in", orgs: "Organizations", clients: "Clients", client: "Client", audit: "Audit log",
  settings: "Organization settings",
};
/** @type {Partial<Record<View, string>>} */
const TABS = { clients: "nav-clients", client: "nav-clients", audit: "nav-audit", settings: "nav-settings" };

/** @type {Map<View, number>} */
const scrolls = new Map(); // where each view was scrolled to when it was left

export function show(/** @type {View} */ view) {
  if (state.view && state.view !== view) scrolls.set(state.view, window.scrollY);
  for (const id of ALL_PARTS) $(id).hidden = !PARTS[view].includes(id);
  state.view = view;
  const signedInView = view !== "sign-in";
  $("whoami").hidden = !signedInView;
  $("sign-out").hidden = !signedInView;
  if (signedInView) renderWhoami();
  for (const id of ["nav-clients", "nav-audit", "nav-settings"]) {
    if (id === TABS[view]) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  document.title = `${TITLES[view]} · orgauth console`;
}
export const savedScroll = (/** @type {View} */ view) => scrolls.get(view) || 0;
export function forgetScroll(/** @type {View} */ view) { scrolls.delete(view); }

export function focusHeading() {
  const heading = state.view && $(HEADINGS[state.view]);
  if (heading) heading.focus({ preventScroll: true });
}

/** "Signed in as <client name> (<organization name>)"; IDs stand in for names it cannot read. */
export function renderWhoami() {
  if (!state.me) return;
  $("whoami").textContent = `Signed in as ${state.me.name || state.me.clientId} (${state.me.orgName || state.me.orgId})`;
}

export const hashFor = {
  orgs: () => "#/orgs",
  clients: () => `#/orgs/${enc(state.orgId)}/clients`,
  client: (/** @type {string} */ id) => `#/orgs/${enc(state.orgId)}/clients/${enc(id)}`,
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
 * @returns {{ name: "home", org?: undefined } | { name: "orgs", org?: undefined } | { name: "clients" | "settings", org: string, arg?: undefined }
 *   | { name: "client", org: string, arg: string } | { name: "audit", org: string, arg: URLSearchParams }}
 */
function parseRoute() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  let parts;
  try { parts = path.split("/").filter(Boolean).map(decodeURIComponent); } catch { return { name: "home" }; }
  // IDs never contain "/" and are never "." or "..": such a segment would reach another API
  // path once the browser normalises the URL it is put in.
  if (parts.some((p) => p === "." || p === ".." || p.includes("/"))) return { name: "home" };
  if (parts[0] !== "orgs") return { name: "home" };
  if (!parts[1]) return { name: "orgs" };
  const org = parts[1];
  if (parts[2] === "clients" && parts[3]) return { name: "client", org, arg: parts[3] };
  if (parts[2] === "audit") return { name: "audit", org, arg: new URLSearchParams(query) };
  if (parts[2] === "settings") return { name: "settings", org };
  return { name: "clients", org };
}

/**
 * @typedef {{
 *   orgs: () => void, enterOrg: (org: string) => void, clients: () => void,
 *   client: (id: string) => void, audit: (params: URLSearchParams) => void, settings: () => void,
 * }} Views
 */
// The views, registered by main.js: { orgs(), enterOrg(org), clients(), client(id), audit(params), settings() }.
/** @type {Views} */
let views = null;
export function registerViews(/** @type {Views} */ handlers) { views = handlers; }

export function route() {
  if (!signedIn()) { show("sign-in"); return; }
  const r = parseRoute();
  // An org:admin sees its own organization only (an address left by another sign-in too).
  const elsewhere = !isPlatformAdmin() && (r.name === "orgs" || (r.org && r.org !== state.me.orgId));
  if (r.name === "home" || elsewhere) {
    go(isPlatformAdmin() ? hashFor.orgs() : `#/orgs/${enc(state.me.orgId)}/clients`, { replace: true });
    return;
  }
  if (r.name === "orgs") { views.orgs(); return; }
  views.enterOrg(r.org);
  // Each view takes its own argument (a client ID, the audit filters), or none.
  /** @type {(arg: unknown) => void} */ (views[r.name])(r.arg);
}

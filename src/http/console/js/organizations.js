// @ts-check
// Organizations: the picker for platform admins, and entering one (its name in the bar, the
// section links, its record with the maximum secret lifetime).

import { $, h } from "./dom.js";
import { state, enc, isPlatformAdmin, resetOrgViews } from "./state.js";
import { api, channel, ignorable } from "./api.js";
import { show, focusHeading, hashFor } from "./router.js";
import { status, showProblem, clearProblem } from "./feedback.js";
import { plural } from "./format.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Organization} Organization */

const orgsChannel = channel();

export async function showOrganizations() {
  show("orgs");
  focusHeading();
  const req = orgsChannel.start();
  try {
    /** @type {ApiResult<Organization[]>} */
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

/** @type {((org: Organization) => void)[]} */
const orgListeners = [];
/** Views showing something of the organization's record learn when it changes. */
export function onOrgLoaded(/** @type {(org: Organization) => void} */ listener) { orgListeners.push(listener); }
function setOrg(/** @type {Organization} */ org) {
  state.org = org;
  $("org-name").textContent = org.name;
  for (const listener of orgListeners) listener(org);
}

/** Switching organization starts from a clean slate; staying keeps every list as it was. */
export function enterOrg(/** @type {string} */ orgId) {
  if (state.orgId === orgId && $("org-name").textContent) return;
  if (state.orgId !== orgId) {
    resetOrgViews();
    state.org = null;
  }
  state.orgId = orgId;
  $("change-org").hidden = !isPlatformAdmin();
  $("nav-clients").href = hashFor.clients();
  $("nav-audit").href = hashFor.audit();
  $("nav-members").href = hashFor.members();
  $("nav-settings").href = hashFor.settings();
  $("back-to-clients").href = hashFor.clients();
  const known = (state.orgs || []).find((org) => org.id === orgId);
  const membership = state.me.memberships.find((m) => m.organization_id === orgId);
  const mine = membership ? membership.organization_name : null;
  $("org-name").textContent = (known && known.name) || mine || orgId;
  if (known) state.org = known;
  loadOrg().catch(() => {}); // without it the name stays an ID and limits are the server's to apply
}

/** The organization's record, fresh (its maximum secret lifetime may have changed).
 * @param {AbortSignal} [signal] */
export async function loadOrg(signal) {
  const orgId = state.orgId;
  /** @type {ApiResult<Organization>} */
  const { data } = await api("GET", `/organizations/${enc(orgId)}`, { signal });
  if (state.orgId === orgId) setOrg(data);
  return data;
}
export function orgSaved(/** @type {Organization} */ org) {
  if (state.orgId !== org.id) return;
  const listed = (state.orgs || []).findIndex((o) => o.id === org.id);
  if (listed >= 0) state.orgs[listed] = org;
  setOrg(org);
}

// @ts-check
// The audit log of an organization: filters (action, client, dates) kept in the address, newest
// first, "Load more".

import { $ } from "./dom.js";
import { state, orgPath, onOrgReset } from "./state.js";
import { api, channel, ignorable, ApiError } from "./api.js";
import { show, focusHeading, hashFor, go } from "./router.js";
import { status, showProblem, clearProblem, fieldError } from "./feedback.js";
import { plural } from "./format.js";
import { eventItem } from "./audit-sentences.js";
import { clients } from "./clients-list.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */
/** What the filters ask for: "" where they do not. @typedef {{ action: string, target: string, since: string, until: string }} Filters */

const PAGE_SIZE = 50;
/**
 * @type {{
 *   shownKey: string | null, filters: Partial<Filters>, wanted: Partial<Filters>, cursor: string | null,
 *   stale: boolean, channel: ReturnType<typeof channel>, timer: ReturnType<typeof setTimeout> | undefined,
 * }}
 */
const audit = { shownKey: null, filters: {}, wanted: {}, cursor: null, stale: true, channel: channel(), timer: null };
/** Client IDs and the names typed or known for them, so the filter shows a name. */
export const auditLabels = new Map();

/** Something changed: the log is loaded again when next shown. */
export function markAuditStale() { audit.stale = true; }

function resetAudit() {
  audit.channel.cancel();
  audit.shownKey = null;
  audit.filters = {};
  audit.wanted = {};
  audit.cursor = null;
  audit.stale = true;
  auditLabels.clear();
  $("audit-list").replaceChildren();
  clearProblem($("audit-error"));
  clearProblem($("more-audit-error"));
  $("audit-count").hidden = true;
  $("audit-empty").hidden = true;
  $("more-audit").hidden = true;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** @returns {Filters} */
function filtersFrom(/** @type {URLSearchParams} */ params) {
  const pick = (/** @type {string} */ key, /** @type {(value: string) => boolean} */ ok) => { const v = params.get(key) || ""; return ok(v) ? v : ""; };
  return {
    action: pick("action", (v) => /^[a-z_.]{1,64}$/.test(v)),
    target: pick("target", (v) => v.length <= 100),
    since: pick("since", (v) => DATE.test(v)),
    until: pick("until", (v) => DATE.test(v)),
  };
}
/** A local calendar day's first instant, as the API's RFC 3339. */
function dayStart(/** @type {string} */ date, plusDays = 0) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function showAudit(params = new URLSearchParams()) {
  const filters = filtersFrom(params);
  const arriving = state.view !== "audit";
  show("audit");
  audit.wanted = filters;
  fillForm(filters);
  $("nav-audit").href = hashFor.audit(filters);
  const key = JSON.stringify(filters);
  if (key !== audit.shownKey || audit.stale) loadAudit("reset", filters);
  if (arriving) focusHeading();
}

function fillForm(/** @type {Filters} */ filters) {
  $("audit-action").value = filters.action;
  $("audit-target").value = auditLabels.get(filters.target) || filters.target;
  $("audit-since").value = filters.since;
  $("audit-until").value = filters.until;
  for (const id of ["audit-target", "audit-since", "audit-until"]) fieldError($(id), "");
}

async function loadAudit(/** @type {"reset" | "more"} */ mode, filters = audit.filters) {
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
    /** @type {ApiResult<import("./types").AuditEvent[]>} */
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
    renderChrome();
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

function renderChrome() {
  const shown = $("audit-list").children.length;
  const filtered = Object.values(audit.filters).some(Boolean);
  $("audit-count").hidden = shown === 0;
  $("audit-count").textContent = `${plural(shown, "event", "events")}${filtered ? " matching the filters" : ""}${audit.cursor ? ", newest first; more to load" : ""}`;
  $("audit-empty").hidden = shown !== 0;
  $("audit-empty-text").textContent = filtered ? "No events match these filters." : "Nothing has happened yet.";
  $("more-audit").hidden = !audit.cursor;
}

async function applyFilters() {
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
  if (typed && current && (typed === current || auditLabels.get(current) === typed)) {
    target = current;
  } else if (typed) {
    try {
      target = await resolveClientId(typed);
    } catch (e) {
      if (e.handled) return;
      fieldError($("audit-target"), e.message);
      return;
    }
    if (target !== typed) auditLabels.set(target, typed);
  }
  if ($("audit-target").value.trim() !== typed) return; // typing went on meanwhile
  go(hashFor.audit({ action: $("audit-action").value, target, since, until }), { replace: true });
}

/** A client filter takes an ID or an exact name; an unknown value is used as an ID (deleted clients). */
async function resolveClientId(/** @type {string} */ value) {
  const fromList = [...clients.byId.values()];
  if (fromList.some((c) => c.client_id === value)) return value;
  const named = (/** @type {Client[]} */ list) => list.filter((c) => c.name.toLowerCase() === value.toLowerCase());
  if (named(fromList).length === 1) return named(fromList)[0].client_id;
  /** @type {Client[]} */
  let found;
  try {
    found = /** @type {ApiResult<Client[]>} */ (await api("GET", `${orgPath()}/clients?${new URLSearchParams({ q: value, limit: "20" })}`)).data;
  } catch (e) {
    if (e.handled) throw e;
    return value;
  }
  if (found.some((c) => c.client_id === value)) return value;
  const matches = named(found);
  if (matches.length > 1) throw new ApiError(`Several clients are named “${value}”: enter the client ID.`, 400);
  return matches.length === 1 ? matches[0].client_id : value;
}

export function wireAuditLog() {
  onOrgReset(resetAudit);
  $("audit-filters").addEventListener("submit", (event) => { event.preventDefault(); applyFilters(); });
  for (const id of ["audit-action", "audit-since", "audit-until"]) $(id).addEventListener("change", applyFilters);
  $("audit-target").addEventListener("input", () => {
    clearTimeout(audit.timer);
    audit.timer = setTimeout(applyFilters, 600);
  });
  $("audit-target").addEventListener("change", applyFilters);
  $("audit-clear").addEventListener("click", () => go(hashFor.audit({}), { replace: true }));
  $("more-audit").addEventListener("click", () => loadAudit("more"));
}

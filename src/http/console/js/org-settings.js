// @ts-check
// An organization's settings: its maximum secret lifetime, which platform admins change and
// organization admins read.

import { $ } from "./dom.js";
import { state, orgPath, isPlatformAdmin, onOrgReset } from "./state.js";
import { api, channel, ignorable, fieldMessage } from "./api.js";
import { show, focusHeading, hashFor } from "./router.js";
import { showSso } from "./sso-settings.js";
import { status, showProblem, clearProblem, fieldError, busy } from "./feedback.js";
import { fillSelect, maxLifetimeOptions, maxLifetimeText } from "./presets.js";
import { loadOrg, orgSaved, onOrgLoaded } from "./organizations.js";
import { markAuditStale } from "./audit-log.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */

const settingsChannel = channel();
let saving = false;
/** Whether the person picked a new maximum that is not saved yet. */
let chosen = false;

export function showSettings(/** @type {URLSearchParams} */ params) {
  const arriving = state.view !== "settings";
  show("settings");
  render();
  if (arriving) focusHeading();
  load();
  const tested = params && params.get("sso_tested");
  showSso(tested);
  // The report is shown once: a reload or a shared address does not show it again.
  if (tested) history.replaceState(null, "", location.pathname + hashFor.settings());
}

async function load() {
  const req = settingsChannel.start();
  try {
    await loadOrg(req.signal);
    if (!req.current()) return;
    clearProblem($("settings-error"));
  } catch (e) {
    if (ignorable(e) || !req.current()) return;
    const kept = state.org ? " What is shown is what the console knew before." : "";
    showProblem($("settings-error"), `Could not load the organization's settings. ${e.message}${kept}`, load);
  }
}

function render() {
  const org = state.org && state.org.id === state.orgId ? state.org : null;
  const admin = isPlatformAdmin();
  $("org-settings-body").hidden = !org;
  if (!org) return;
  const current = org.max_secret_lifetime_seconds;
  $("org-max-current").textContent = maxLifetimeText(current);
  $("org-max-form").hidden = !admin;
  $("org-max-readonly").hidden = admin;
  const select = $("org-max");
  // A refresh arriving while the person has a choice pending keeps that choice.
  if (!saving && !chosen && document.activeElement !== select) {
    fillSelect(select, maxLifetimeOptions(current), current ? String(current) : "");
  }
}

async function save(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (saving) return;
  const select = $("org-max");
  const value = select.value ? Number(select.value) : null;
  if (state.org && value === (state.org.max_secret_lifetime_seconds || null)) {
    status("Nothing changed.");
    return;
  }
  saving = true;
  try {
    await busy($("org-max-save"), "Saving…", async () => {
      /** @type {import("./types").UpdateOrganizationRequest} */
      const body = { max_secret_lifetime_seconds: value };
      /** @type {ApiResult<import("./types").Organization>} */
      const { data } = await api("PATCH", orgPath(), { body });
      saving = false;
      chosen = false;
      orgSaved(data);
      markAuditStale();
      status(`Saved: the maximum secret lifetime is now ${maxLifetimeText(data.max_secret_lifetime_seconds).toLowerCase()}.`);
    });
  } catch (e) {
    if (!e.handled) fieldError(select, e.field === "max_secret_lifetime_seconds" ? fieldMessage(e) : e.message);
  } finally {
    saving = false;
  }
}

export function wireOrgSettings() {
  $("org-max-form").addEventListener("submit", save);
  $("org-max").addEventListener("change", () => { chosen = true; });
  onOrgLoaded(() => { if (state.view === "settings") render(); });
  onOrgReset(() => { settingsChannel.cancel(); chosen = false; });
}

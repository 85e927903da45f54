// @ts-check
// orgauth console: plain JavaScript modules, no build step. This one wires the page: the views
// behind each address, the forms and buttons, and what happens when the session ends.

import { $ } from "./dom.js";
import { onSessionEnd } from "./api.js";
import { show, route, registerViews } from "./router.js";
import { copy, clearFieldErrorsOnEdit } from "./feedback.js";
import { refreshTimes } from "./format.js";
import { wireDialogs } from "./dialogs.js";
import { submitSignIn, signOut, endSession } from "./session.js";
import { showOrganizations, enterOrg } from "./organizations.js";
import { showSettings, wireOrgSettings } from "./org-settings.js";
import { showClients, wireClientsList } from "./clients-list.js";
import { showClientPage, wireClientPage } from "./client-page.js";
import { openClientDialog, wireClientDialog } from "./client-dialog.js";
import { wireClientActions } from "./client-actions.js";
import { wireSecretDialog } from "./secret-dialog.js";
import { wireKeyDialogs } from "./key-dialogs.js";
import { wireTrustPolicies } from "./trust-policies.js";
import { wireTrustDialog } from "./trust-dialog.js";
import { showAudit, wireAuditLog } from "./audit-log.js";

registerViews({
  orgs: showOrganizations,
  enterOrg,
  clients: showClients,
  client: showClientPage,
  audit: showAudit,
  settings: showSettings,
});
onSessionEnd(endSession);

$("sign-in-form").addEventListener("submit", submitSignIn);
$("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
$("create-client").addEventListener("click", () => openClientDialog(null));

wireDialogs();
wireSecretDialog();
wireKeyDialogs();
wireClientsList();
wireClientPage();
wireClientDialog();
wireClientActions();
wireTrustPolicies();
wireTrustDialog();
wireAuditLog();
wireOrgSettings();
clearFieldErrorsOnEdit();

for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-copy]"))) {
  const what = button.dataset.copy === "secret-value" ? "Client secret" : "Client ID";
  button.addEventListener("click", () => copy($(button.dataset.copy).value, what));
}

// "5 minutes ago" stays true while the page stays open.
setInterval(refreshTimes, 60000);

show("sign-in");

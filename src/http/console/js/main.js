// @ts-check
// orgauth console: plain JavaScript modules, no build step. This one wires the page: the views
// behind each address, the forms and buttons, and what happens when the session ends.

import { $ } from "./dom.js";
import { onSessionEnd, onStepUp } from "./api.js";
import { route, registerViews } from "./router.js";
import { copy, clearFieldErrorsOnEdit } from "./feedback.js";
import { refreshTimes } from "./format.js";
import { wireDialogs } from "./dialogs.js";
import { submitSignIn, submitDiscover, takeSsoError, signOut, endSession, stepUp, loadMe, afterSignIn } from "./session.js";
import { wireSso } from "./sso-settings.js";
import { showInvitation, wireInvitation } from "./invitation.js";
import { showAccount, wireAccount } from "./account.js";
import { showMembers, wireMembers } from "./members.js";
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
  invitation: showInvitation,
  account: showAccount,
  members: showMembers,
  orgs: showOrganizations,
  enterOrg,
  clients: showClients,
  client: showClientPage,
  audit: showAudit,
  settings: showSettings,
});
onSessionEnd(endSession);
onStepUp(stepUp);

$("sign-in-form").addEventListener("submit", submitSignIn);
$("sso-discover-form").addEventListener("submit", submitDiscover);
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
wireInvitation();
wireAccount();
wireMembers();
wireSso();
clearFieldErrorsOnEdit();

for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-copy]"))) {
  const what = { "secret-value": "Client secret", "invite-link": "Invitation link", "sso-redirect-uri": "Redirect URI" }[button.dataset.copy] || "Client ID";
  button.addEventListener("click", () => copy($(button.dataset.copy).value, what));
}

// "5 minutes ago" stays true while the page stays open.
setInterval(refreshTimes, 60000);

// A single sign-on that failed came back with its reason.
takeSsoError();

// A session survives a reload (it is a cookie): ask the server who is signed in.
loadMe()
  .then((signedIn) => (signedIn ? afterSignIn() : undefined))
  .catch(() => {})
  .finally(route);

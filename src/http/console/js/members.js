// @ts-check
// An organization's people: its members (role, remove, sign out) and pending invitations
// (invite, the link shown once, revoke). Viewers see both lists without the buttons.

import { $, h, hiddenText } from "./dom.js";
import { state, orgPath, canManage, isPlatformAdmin, onOrgReset } from "./state.js";
import { api, channel, ignorable, fieldMessage } from "./api.js";
import { show, focusHeading, roleName } from "./router.js";
import { status, showProblem, clearProblem, fieldError, busy } from "./feedback.js";
import { openDialog, closeDialog, confirmAction } from "./dialogs.js";
import { timeNode, absolute } from "./format.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Member} Member */
/** @typedef {import("./types").Invitation} Invitation */

const load = channel();
onOrgReset(() => {
  load.cancel();
  $("members-body").replaceChildren();
  $("invitation-list").replaceChildren();
});

export async function showMembers() {
  show("members");
  focusHeading();
  const req = load.start();
  try {
    const [members, invitations] = await Promise.all([
      /** @type {Promise<ApiResult<Member[]>>} */ (api("GET", `${orgPath()}/members?limit=200`, { signal: req.signal })),
      /** @type {Promise<ApiResult<Invitation[]>>} */ (api("GET", `${orgPath()}/invitations?limit=200`, { signal: req.signal })),
    ]);
    if (!req.current()) return;
    clearProblem($("members-error"));
    renderMembers(members.data);
    renderInvitations(invitations.data);
    status(`${members.data.length} members, ${invitations.data.length} pending invitations.`);
  } catch (e) {
    if (ignorable(e) || !req.current()) return;
    showProblem($("members-error"), `Could not load the members. ${e.message}`, showMembers);
  }
}

/** Roles the person may hand out here (platform admin only by a platform admin). */
function grantable() {
  const roles = ["org:admin", "org:viewer"];
  if (isPlatformAdmin() && state.me.memberships.some((m) => m.organization_id === state.orgId && m.role === "platform:admin")) {
    roles.push("platform:admin");
  }
  return roles;
}

function renderMembers(/** @type {Member[]} */ members) {
  const manage = canManage();
  $("members-body").replaceChildren(...members.map((member) => {
    const me = member.user_id === state.me.id;
    const untouchable = member.role === "platform:admin" && !isPlatformAdmin();
    const role = manage && !untouchable
      ? h("select", {
        "aria-label": `Role of ${member.name}`,
        onchange: (event) => changeRole(member, /** @type {HTMLSelectElement} */ (event.currentTarget)),
      }, ...[...new Set([...grantable(), member.role])].map((r) => h("option", { value: r, selected: r === member.role }, roleName(r))))
      : roleName(member.role);
    return h("tr", {},
      h("th", { scope: "row" }, member.name, me ? h("span", { class: "muted-inline" }, " (you)") : null),
      h("td", {}, member.email),
      h("td", {}, role),
      h("td", {}, timeNode(member.last_sign_in_at, "never")),
      h("td", {}, manage && !untouchable
        ? h("div", { class: "card-actions tight" },
          h("button", { type: "button", class: "secondary small", onclick: () => endSessions(member) }, "Sign out", hiddenText(` ${member.name}`)),
          h("button", { type: "button", class: "danger-outline small", onclick: () => removeMember(member) }, "Remove", hiddenText(` ${member.name}`)))
        : null));
  }));
}

function renderInvitations(/** @type {Invitation[]} */ invitations) {
  $("invitations-empty").hidden = invitations.length > 0;
  $("invitation-list").replaceChildren(...invitations.map((invitation) => h("li", { class: "item" },
    h("span", { class: "item-text" }, h("strong", {}, invitation.email), ` as ${roleName(invitation.role)}, until ${absolute(invitation.expires_at)}`),
    canManage() ? h("button", { type: "button", class: "danger-outline small", onclick: () => revoke(invitation) },
      "Revoke", hiddenText(` the invitation of ${invitation.email}`)) : null)));
}

async function changeRole(/** @type {Member} */ member, /** @type {HTMLSelectElement} */ select) {
  const role = select.value;
  select.disabled = true;
  try {
    await api("PATCH", `${orgPath()}/members/${encodeURIComponent(member.user_id)}`, { body: { role } });
    await showMembers();
    status(`${member.name} is now ${roleName(role)}.`);
  } catch (e) {
    select.value = member.role;
    if (!ignorable(e)) showProblem($("members-error"), `Could not change the role of ${member.name}. ${e.message}`, undefined);
  } finally {
    select.disabled = false;
  }
}

function removeMember(/** @type {Member} */ member) {
  confirmAction({
    title: `Remove ${member.name}?`,
    body: [`${member.name} (${member.email}) loses access to this organization at once, on every server.`],
    confirm: "Remove member", busyLabel: "Removing…", danger: true,
    action: () => api("DELETE", `${orgPath()}/members/${encodeURIComponent(member.user_id)}`),
    then: () => { status(`${member.name} was removed.`); showMembers(); },
  });
}

function endSessions(/** @type {Member} */ member) {
  confirmAction({
    title: `Sign out ${member.name} everywhere?`,
    body: [`Every session of ${member.name} ends now (a lost laptop, a shared computer). They can sign in again with their passkey.`],
    confirm: "Sign out everywhere", busyLabel: "Signing out…",
    action: () => api("DELETE", `${orgPath()}/members/${encodeURIComponent(member.user_id)}/sessions`),
    then: () => status(`${member.name} was signed out everywhere.`),
  });
}

function revoke(/** @type {Invitation} */ invitation) {
  confirmAction({
    title: "Revoke this invitation?",
    body: [`The link sent to ${invitation.email} stops working.`],
    confirm: "Revoke invitation", busyLabel: "Revoking…", danger: true,
    action: () => api("DELETE", `${orgPath()}/invitations/${encodeURIComponent(invitation.id)}`),
    then: () => { status(`The invitation of ${invitation.email} was revoked.`); showMembers(); },
  });
}

let inviting = false;
async function invite(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (inviting) return;
  const email = $("invite-email");
  if (!email.value.trim() || !email.value.includes("@")) {
    fieldError(email, "Enter the person's e-mail address.");
    email.focus();
    return;
  }
  $("invite-error").hidden = true;
  inviting = true;
  try {
    /** @type {ApiResult<Invitation>} */
    const { data } = await busy($("invite-send"), "Creating…", () => api("POST", `${orgPath()}/invitations`, {
      body: { email: email.value.trim(), role: $("invite-role").value },
    }));
    closeDialog($("invite-dialog"));
    $("invite-link").value = data.invitation_url;
    $("invite-link-intro").textContent = data.emailed
      ? `An e-mail with this link was sent to ${data.email}. You can also pass it on yourself.`
      : `Send this link to ${data.email}: whoever opens it joins as ${roleName(data.role)} with a passkey of their own.`;
    openDialog($("invite-link-dialog"), $("invite-link"), $("invite-open"));
    showMembers();
  } catch (e) {
    if (ignorable(e)) return;
    if (e.field === "email") fieldError(email, fieldMessage(e));
    else { $("invite-error").textContent = e.message; $("invite-error").hidden = false; }
  } finally {
    inviting = false;
  }
}

export function wireMembers() {
  $("invite-open").addEventListener("click", () => {
    $("invite-email").value = "";
    $("invite-error").hidden = true;
    const role = /** @type {HTMLSelectElement} */ (/** @type {unknown} */ ($("invite-role")));
    role.replaceChildren(...grantable().map((r) => h("option", { value: r },
      r === "org:admin" ? "Admin: manages clients, members and invitations"
        : r === "org:viewer" ? "Viewer: sees everything, changes nothing" : "Platform admin: every organization")));
    openDialog($("invite-dialog"), $("invite-email"), $("invite-open"));
  });
  $("invite-form").addEventListener("submit", invite);
}

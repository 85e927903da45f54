// @ts-check
// An audit event as a sentence: who did what to which client, when — "console operator disabled
// billing-sync", "… set the maximum secret lifetime to 90 days", "… trusted GitHub-style tokens
// of https://token.actions.githubusercontent.com with subject … for billing-sync".

import { h } from "./dom.js";
import { hashFor } from "./router.js";
import { timeNode, absolute, dateOnly, duration, plural } from "./format.js";
import { describeKey } from "./jwk.js";
import { PLATFORMS, platformOf, conditionsText } from "./trust-platforms.js";

/** @typedef {import("./types").AuditEvent} AuditEvent */
/** @typedef {import("./types").AuditDetails} AuditDetails */
/** @typedef {import("./types").Child} Child */

/** @type {Record<string, string>} */
const OPERATORS = { cli: "the operator (command line)", bootstrap: "the operator (bootstrap)" };
const DESCRIPTION_SHOWN = 80; // characters of a description quoted in a sentence

export function eventItem(/** @type {AuditEvent} */ event) {
  return h("li", { class: "event", "data-action": event.action, tabindex: "-1" },
    h("p", { class: "sentence" }, sentence(event)),
    h("p", { class: "when" }, timeNode(event.created_at), h("span", { class: "absolute" }, ` · ${absolute(event.created_at)}`)));
}

function actorNode(/** @type {AuditEvent} */ event) {
  const name = event.actor.name || OPERATORS[event.actor.id] || event.actor.id;
  return h("strong", { class: "actor" }, name);
}
/** The target by name (its name at the time), linking to the client's page where it may exist. */
function targetNode(/** @type {AuditEvent} */ event) {
  const d = /** @type {AuditDetails} */ (event.details || {});
  // A trust policy's events name the client it binds.
  const client = event.action.startsWith("client.") || event.action.startsWith("trust_policy.");
  const name = event.target_name || (client && typeof d.name === "string" && event.action !== "client.updated" ? d.name : null) || event.target;
  if (client && event.action !== "client.deleted") return h("a", { href: hashFor.client(event.target), class: "target" }, name);
  return h("strong", { class: "target" }, name);
}

/** @returns {Child[]} */
function sentence(/** @type {AuditEvent} */ event) {
  const d = /** @type {AuditDetails} */ (event.details || {});
  const actor = actorNode(event);
  const target = () => targetNode(event);
  switch (event.action) {
    case "client.created":
      return [actor, " created ", target(), ...withRoles(d.roles), ...createdSettings(d)];
    case "client.updated":
      return [actor, " ", ...updateParts(event, target)];
    case "client.secret_rotated": {
      const seconds = Number(d.grace_period_seconds) || 0;
      const grace = seconds ? `old secret valid ${duration(seconds)}` : "old secret stopped at once";
      return [actor, " rotated the secret of ", target(), ` — ${grace}`, d.revoke_tokens ? ", its tokens revoked" : "",
        d.client_secret_expires_at ? `; the new secret expires ${dateOnly(d.client_secret_expires_at)}` : ""];
    }
    case "client.disabled":
      return [actor, " disabled ", target()];
    case "client.enabled":
      return [actor, " enabled ", target()];
    case "client.tokens_revoked":
      return [actor, " revoked the tokens of ", target()];
    case "client.deleted":
      return [actor, " deleted ", target()];
    case "trust_policy.created":
      return [actor, " ", ...trustParts(d, target)];
    case "trust_policy.deleted":
      return [actor, " removed a trust policy of ", target()];
    case "role.created":
      return [actor, " created the role ", target()];
    case "role.deleted":
      return [actor, " deleted the role ", target()];
    case "organization.created":
      return [actor, " created the organization ", h("strong", {}, /** @type {string} */ (d.name) || event.target_name || event.target)];
    case "organization.renamed": {
      const to = typeof d.name === "string" ? d.name : d.name && d.name.to;
      const from = d.previous_name || (d.name && /** @type {import("./types").NameChange} */ (d.name).from) || event.target;
      return [actor, " renamed the organization ", h("strong", {}, from), " to ", h("strong", {}, to || "?")];
    }
    case "organization.updated":
      return [actor, " ", ...organizationParts(d)];
    case "user.signed_in":
      return [actor, ` signed in${d.method === "sso" ? " with single sign-on" : " with a passkey"}`];
    case "user.sign_in_failed":
      return [actor, ` failed to sign in (${d.reason || "refused"})`];
    case "user.signed_out":
      return [actor, " signed out"];
    case "session.ended":
      return [actor, typeof d.others === "number" ? ` signed out everywhere else (${plural(d.others, "session", "sessions")})` : " ended one of their sessions"];
    case "invitation.created":
      return [actor, " invited ", h("strong", {}, String(d.email || event.target_name)), ` as ${roleText(d.role)}`];
    case "invitation.accepted":
      return [actor, ` joined as ${roleText(d.role)} (invitation)`];
    case "invitation.revoked":
      return [actor, " revoked the invitation of ", h("strong", {}, String(d.email || event.target_name))];
    case "member.role_changed":
      return [actor, " made ", h("strong", {}, event.target_name || event.target), ` ${roleText(d.role)} (was ${roleText(d.previous_role)})`];
    case "member.removed":
      return [actor, " removed ", h("strong", {}, event.target_name || event.target), " from the organization"];
    case "member.sessions_ended":
      return [actor, " signed out ", h("strong", {}, event.target_name || event.target), " everywhere"];
    case "user.disabled":
      return [actor, " disabled the account of ", h("strong", {}, String(d.email || event.target_name))];
    case "user.enabled":
      return [actor, " enabled the account of ", h("strong", {}, String(d.email || event.target_name))];
    case "sso.connected":
      return [actor, " connected the organization's single sign-on to ", h("code", {}, String(d.issuer || "?"))];
    case "sso.updated":
      return [actor, " changed the single sign-on settings (", h("code", {}, String(d.issuer || "?")), d.require_sso ? ", SSO required" : "", ")"];
    case "sso.disconnected":
      return [actor, " disconnected the single sign-on from ", h("code", {}, String(d.issuer || "?"))];
    case "sso.domains_set":
      return [actor, ` set the organization's e-mail domains to ${Array.isArray(d.domains) && d.domains.length ? d.domains.join(", ") : "none"}`];
    case "passkey.added":
      return [actor, ` added a passkey${d.name ? ` (${d.name})` : ""}`];
    case "passkey.removed":
      return [actor, ` removed a passkey${d.name ? ` (${d.name})` : ""}`];
    default:
      return [actor, ` ${event.action} `, target()];
  }
}

const ROLE_TEXT = { "org:admin": "an admin", "org:viewer": "a viewer", "platform:admin": "a platform admin" };
const roleText = (/** @type {unknown} */ role) => /** @type {Record<string, string>} */ (ROLE_TEXT)[String(role)] || String(role);

function withRoles(/** @type {unknown} */ roles) {
  return Array.isArray(roles) && roles.length ? [" with roles ", roles.join(", ")] : [" with no roles"];
}
function createdSettings(/** @type {AuditDetails} */ d) {
  const parts = [];
  if (d.token_endpoint_auth_method === "private_key_jwt") parts.push(", authenticating with a public key (private_key_jwt)");
  else if (d.client_secret_expires_at) parts.push(`, its secret expiring ${dateOnly(d.client_secret_expires_at)}`);
  if (d.disabled === true) parts.push(", disabled");
  return parts;
}

const quoted = (/** @type {string} */ text) => `“${text.length > DESCRIPTION_SHOWN ? `${text.slice(0, DESCRIPTION_SHOWN - 1)}…` : text}”`;
function keysText(/** @type {import("./types").JwkSet | undefined} */ jwks) {
  const keys = jwks && Array.isArray(jwks.keys) ? jwks.keys : [];
  if (keys.length === 0) return "";
  const each = keys.map((key) => (key.kid ? `${describeKey(key)} “${key.kid}”` : describeKey(key)));
  return ` (${plural(keys.length, "key", "keys")}: ${each.join(", ")})`;
}

/** What a client.updated event changed: each part names the client the first time ("changed
 * the roles of X"), then "its" ("and changed its description").
 * @returns {Child[]} */
function updateParts(/** @type {AuditEvent} */ event, /** @type {() => HTMLElement} */ target) {
  const d = /** @type {AuditDetails} */ (event.details || {});
  /** @type {Child[][]} */
  const parts = [];
  const add = (/** @type {() => Child[]} */ first, /** @type {Child[]} */ later) => parts.push(parts.length ? later : first());
  if (typeof d.name === "string") {
    // The name before the change, where the event knows it.
    let from = h("strong", {}, d.previous_name);
    if (!d.previous_name) from = event.target_name && event.target_name !== d.name ? target() : h("span", {}, "client ", h("code", {}, event.target));
    parts.push(["renamed ", from, " to ", h("strong", {}, d.name)]);
  }
  if (Array.isArray(d.roles)) {
    const diff = roleDiff(d.previous_roles || [], d.roles);
    add(() => ["changed the roles of ", target(), ": ", ...diff], ["changed its roles: ", ...diff]);
  }
  if (typeof d.description === "string") {
    if (d.description) add(() => ["changed the description of ", target(), ` to ${quoted(d.description)}`], [`changed its description to ${quoted(d.description)}`]);
    else add(() => ["removed the description of ", target()], ["removed its description"]);
  }
  if ("token_ttl_seconds" in d) {
    const ttl = Number(d.token_ttl_seconds);
    if (ttl) add(() => ["set the token lifetime of ", target(), ` to ${duration(ttl)}`], [`set its token lifetime to ${duration(ttl)}`]);
    else add(() => ["returned ", target(), " to the server's token lifetime"], ["returned it to the server's token lifetime"]);
  }
  if (d.token_endpoint_auth_method === "private_key_jwt") {
    const keys = keysText(d.jwks);
    if (d.previous_token_endpoint_auth_method === "private_key_jwt") add(() => ["replaced the keys of ", target(), keys], [`replaced its keys${keys}`]);
    else add(() => ["switched ", target(), ` to private_key_jwt${keys}`], [`switched it to private_key_jwt${keys}`]);
  } else if (typeof d.token_endpoint_auth_method === "string") {
    add(() => ["switched ", target(), " to a client secret (client_secret_basic)"], ["switched it to a client secret (client_secret_basic)"]);
  }
  if (parts.length === 0) return ["changed ", target()];
  return parts.flatMap((part, i) => (i ? [" and ", ...part] : part));
}

function roleDiff(/** @type {string[]} */ before, /** @type {string[]} */ after) {
  const added = after.filter((r) => !before.includes(r)).map((r) => h("span", { class: "diff added" }, `+ ${r}`));
  const removed = before.filter((r) => !after.includes(r)).map((r) => h("span", { class: "diff removed" }, `− ${r}`));
  const all = [...added, ...removed];
  if (all.length === 0) return ["no change"];
  return all.flatMap((node, i) => (i ? [", ", node] : [node]));
}

/** "trusted GitHub-style tokens of <issuer> with subject <subject> for <client>, when repository
 * is acme/billing". */
function trustParts(/** @type {AuditDetails} */ d, /** @type {() => HTMLElement} */ target) {
  const issuer = typeof d.issuer === "string" ? d.issuer : "?";
  const subject = typeof d.subject === "string" ? d.subject : "?";
  const style = PLATFORMS[platformOf({ issuer, subject })].style;
  const conditions = conditionsText(d.claims);
  return [`trusted ${style ? `${style} ` : ""}tokens of `, h("code", {}, issuer), " with subject ", h("code", {}, subject),
    " for ", target(), conditions ? `, when ${conditions}` : ""];
}

function organizationParts(/** @type {AuditDetails} */ d) {
  if (!("max_secret_lifetime_seconds" in d)) return ["changed the organization's settings"];
  const was = Number(d.previous_max_secret_lifetime_seconds);
  const before = ` (previously ${was ? duration(was) : "none"})`;
  const seconds = Number(d.max_secret_lifetime_seconds);
  if (!seconds) return [`removed the maximum secret lifetime${before}`];
  return [`set the maximum secret lifetime to ${duration(seconds)}${before}`];
}

// @ts-check
// What the console knows about the person signed in and the organization on screen. The CSRF
// token is not here: api.js keeps it.

/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").Organization} Organization */

/**
 * @type {{
 *   me: import("./types").Me | null,
 *   settings: import("./types").SessionSettings | null,
 *   catalog: import("./types").Role[],
 *   orgs: Organization[] | null,
 *   orgId: string | null,
 *   org: Organization | null,
 *   view: import("./types").View | null,
 * }}
 */
export const state = {
  me: null, // GET /admin/v1/me: { id, name, email, memberships: [{ organization_id, organization_name, role }], session }
  settings: null, // GET /admin/v1/settings: { issuer, token_endpoint, audiences, default_audience, token_ttl_seconds }
  catalog: [], // the role catalog
  orgs: null, // platform admins: the organizations as last listed
  orgId: null, // the organization on screen
  org: null, // its record ({ id, name, max_secret_lifetime_seconds }) once loaded
  view: null, // "sign-in" | "orgs" | "clients" | "client" | "audit" | "settings"
};

export const enc = encodeURIComponent;
export const isPlatformAdmin = () => Boolean(state.me) && state.me.memberships.some((m) => m.role === "platform:admin");
/** The person's role in an organization: their membership's, or platform:admin everywhere. */
export function roleIn(/** @type {string} */ orgId) {
  if (!state.me) return null;
  const membership = state.me.memberships.find((m) => m.organization_id === orgId);
  if (membership && membership.role !== "org:viewer") return membership.role;
  if (isPlatformAdmin()) return "platform:admin";
  return membership ? membership.role : null;
}
/** Whether the person may change the organization on screen (not a viewer there). */
export const canManage = () => Boolean(state.orgId) && roleIn(state.orgId) !== "org:viewer";
export const orgPath = () => `/organizations/${enc(state.orgId)}`;
export const usesKeys = (/** @type {Pick<Client, "token_endpoint_auth_method">} */ client) => client.token_endpoint_auth_method === "private_key_jwt";

// What each view keeps of an organization, forgotten when the organization or the session changes.
/** @type {(() => void)[]} */
const resets = [];
export function onOrgReset(/** @type {() => void} */ reset) { resets.push(reset); }
export function resetOrgViews() { for (const reset of resets) reset(); }

// @ts-check
// What the console knows about the session and the organization on screen. The access token is
// not here: api.js keeps it.

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
  me: null, // { clientId, orgId, roles, name, orgName }
  settings: null, // { issuer, token_endpoint, audiences (null: unknown), default_audience, token_ttl_seconds }
  catalog: [], // the role catalog
  orgs: null, // platform admins: the organizations as last listed
  orgId: null, // the organization on screen
  org: null, // its record ({ id, name, max_secret_lifetime_seconds }) once loaded
  view: null, // "sign-in" | "orgs" | "clients" | "client" | "audit" | "settings"
};

export const enc = encodeURIComponent;
export const isPlatformAdmin = () => Boolean(state.me) && state.me.roles.includes("platform:admin");
export const orgPath = () => `/organizations/${enc(state.orgId)}`;
export const usesKeys = (/** @type {Pick<Client, "token_endpoint_auth_method">} */ client) => client.token_endpoint_auth_method === "private_key_jwt";

// What each view keeps of an organization, forgotten when the organization or the session changes.
/** @type {(() => void)[]} */
const resets = [];
export function onOrgReset(/** @type {() => void} */ reset) { resets.push(reset); }
export function resetOrgViews() { for (const reset of resets) reset(); }

// Types for the console's JSDoc, read by the type check only (tests/console: `npm run
// typecheck`); never served. What the API sends and accepts comes from its OpenAPI document
// (tests/console/openapi.json, turned into api-types.d.ts there), so a field the server renames
// or drops is an error wherever a module reads it.

import type { components } from "../../../../tests/console/api-types";

type Schemas = components["schemas"];

// ---------- the admin API ----------

export type Client = Schemas["ClientView"];
/** Returned once, by create and rotate. */
export type ClientWithSecret = Schemas["ClientWithSecretView"];
export type Organization = Schemas["OrganizationView"];
export type Role = Schemas["RoleView"];
export type AuditEvent = Schemas["AuditEventView"];
export type TrustPolicy = Schemas["TrustPolicyView"];
export type Settings = Schemas["SettingsView"];
export type Member = Schemas["MemberView"];
export type Invitation = Schemas["InvitationView"];
export type SessionInfo = Schemas["SessionView"];
export type PasskeyInfo = Schemas["PasskeyView"];
export type Problem = Schemas["Problem"];
export type SsoConnection = Schemas["SsoConnectionView"];
export type PutSsoRequest = Schemas["PutSsoRequest"];

export type CreateClientRequest = Schemas["CreateClientRequest"];
export type UpdateClientRequest = Schemas["UpdateClientRequest"];
export type RotateSecretRequest = Schemas["RotateSecretRequest"];
export type CreateTrustPolicyRequest = Schemas["CreateTrustPolicyRequest"];
export type UpdateOrganizationRequest = Schemas["UpdateOrganizationRequest"];

/** What api() resolves to: the response's JSON (null when it has none) and its headers. */
export interface ApiResult<T> {
  data: T;
  headers: Headers;
}

/**
 * The details of an audit event, as the server records them for the actions the console
 * words. The API types them as any JSON object; these are the members audit-sentences.js
 * reads. Which are there depends on the action (and an older event may lack any): the
 * sentences check before they use one.
 */
export interface AuditDetails {
  /** A client's name (created, renamed) or an organization's (created); both names when an
   * organization is renamed. */
  name?: string | NameChange;
  previous_name?: string;
  roles?: string[];
  previous_roles?: string[];
  description?: string;
  token_ttl_seconds?: number | null;
  token_endpoint_auth_method?: string;
  previous_token_endpoint_auth_method?: string;
  jwks?: JwkSet;
  client_secret_expires_at?: string;
  grace_period_seconds?: number;
  revoke_tokens?: boolean;
  disabled?: boolean;
  issuer?: string;
  subject?: string;
  claims?: Record<string, string>;
  max_secret_lifetime_seconds?: number | null;
  previous_max_secret_lifetime_seconds?: number | null;
  // people's events
  method?: string;
  reason?: string;
  others?: number;
  email?: string;
  role?: string;
  previous_role?: string;
  require_sso?: boolean;
  domains?: string[];
}
/** organization.renamed records both names. */
export interface NameChange {
  from?: string;
  to?: string;
}

// ---------- outside the admin API ----------

/** The authorization server's metadata (RFC 8414): what sign-in reads. */
export interface ServerMetadata {
  issuer: string;
  token_endpoint: string;
}
/** The token endpoint's answer (RFC 6749): a token, or (not OK) an error. */
export interface TokenResponse {
  access_token: string;
  error_description?: string;
}
/** The claims of an orgauth access token the console reads. */
export interface AccessTokenClaims {
  client_id: string;
  org_id: string;
  roles?: string[];
}

// ---------- public keys (RFC 7517; the API types a client's key set as any JSON object) ----------

/** A public JWK: the members the console reads. */
export type Jwk = {
  kty: string;
  kid?: string;
  use?: string;
  alg?: string;
  crv?: string;
  n?: string;
  e?: string;
  x?: string;
  y?: string;
};
export type JwkSet = { keys: Jwk[] };

// ---------- the console's own ----------

/** Who is signed in: GET /admin/v1/me. */
export type Me = Schemas["MeView"];

/** The server's settings. */
export type SessionSettings = Settings;

export type View = "sign-in" | "invitation" | "account" | "orgs" | "clients" | "client" | "audit" | "members" | "settings";

/** An element of the page by its ID (dom.js `$`). Which kind an ID names is index.html's
 * business, not the type check's: this admits the members the console uses of its inputs,
 * selects, buttons, links, forms, details and dialogs. */
export type PageElement = HTMLElement
  & Pick<HTMLInputElement, "value" | "disabled" | "select" | "setSelectionRange" | "placeholder" | "checked">
  & Pick<HTMLDialogElement, "open" | "showModal" | "close">
  & Pick<HTMLAnchorElement, "href">
  & { readonly elements: FormControls };
/** A form's controls by name: the console reads radio groups by name only. */
export type FormControls = HTMLFormControlsCollection & { readonly [name: string]: RadioGroup };
export type RadioGroup = RadioNodeList & Iterable<HTMLInputElement>;

/** What h() takes: attributes (skipped when false, null or undefined), class, on<event>. */
export type Props = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
/** What h() appends: nodes and text (null, undefined and false are skipped), also in arrays
 * one level deep. */
export type Child = Node | string | null | undefined | false;
export type Children = Child | Child[];

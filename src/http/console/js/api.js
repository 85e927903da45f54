// @ts-check
// Talking to the admin API as a person: the session is the `__Host-orgauth-session` cookie
// (HttpOnly: this page never sees it), and every change carries the session's CSRF token,
// which lives in this module only. A change the server wants a fresh sign-in for (RFC 9470's
// insufficient_user_authentication) asks for the passkey again and is retried once. Errors
// become ApiError with a sentence a person can act on.

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */

/** @type {string | null} */
let csrf = null;
let sessionEnded = () => {};
/** @type {() => Promise<boolean>} */
let stepUp = async () => false;

export function setCsrf(/** @type {string | null} */ value) { csrf = value; }
export const signedIn = () => csrf !== null;
/** What to do when the server says the session is over (expired, ended elsewhere). */
export function onSessionEnd(/** @type {() => void} */ handler) { sessionEnded = handler; }
/** How to sign in again when a change needs a recent sign-in; resolves whether it did. */
export function onStepUp(/** @type {() => Promise<boolean>} */ handler) { stepUp = handler; }

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {string | null} [field] the request field at fault (the problem document's)
   * @param {string | null} [detail] the server's own words
   */
  constructor(message, status, field, detail) {
    super(message);
    this.status = status;
    this.field = field;
    this.detail = detail;
    /** Already shown where it belongs (the session ended): nothing more to say. */
    this.handled = false;
  }
}
/** A newer request for the same data replaced this one: nothing to show. */
class Superseded extends Error {}

/** @type {Record<number, string>} */
export const friendly = {
  0: "Cannot reach the server. Check your connection, then retry.",
  400: "The request was not accepted.",
  401: "Your session has ended. Sign in again.",
  403: "You are not allowed to do that.",
  404: "That no longer exists: it may have been deleted.",
  409: "That conflicts with the current state.",
  413: "That is too large.",
  422: "Some of the input is not valid.",
  429: "Too many attempts. Wait a minute and try again.",
  500: "The server ran into a problem.",
  502: "The server is not answering properly.",
  503: "The service is briefly unavailable. Try again in a moment.",
  504: "The server took too long to answer.",
};

/**
 * A request to the admin API. The caller says what it expects back, from the API's schemas
 * (types.d.ts): a JSDoc type `ApiResult<Client>` on the declaration it goes to. Without one,
 * `data` is unknown and cannot be read.
 * @template [T=unknown]
 * @param {string} method
 * @param {string} path below /admin/v1
 * @param {{ body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<ApiResult<T>>}
 */
export async function api(method, path, { body, signal } = {}) {
  return request(method, `/admin/v1${path}`, { body, signal }, true);
}

/**
 * `api()` for any path of this server (`/auth/…`).
 * @template [T=unknown]
 * @param {string} method
 * @param {string} url
 * @param {{ body?: unknown, signal?: AbortSignal }} [options]
 * @param {boolean} [retry] whether a step-up may retry it
 * @returns {Promise<ApiResult<T>>}
 */
export async function request(method, url, { body, signal } = {}, retry = true) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  let text;
  try {
    res = await fetch(url, { method, headers, signal, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    text = await res.text();
  } catch {
    if (signal && signal.aborted) throw new Superseded();
    throw new ApiError(friendly[0], 0);
  }
  if (signal && signal.aborted) throw new Superseded();
  const challenge = res.headers.get("WWW-Authenticate") || "";
  if (res.status === 401 && csrf && challenge.includes("insufficient_user_authentication")) {
    if (retry && (await stepUp())) return request(method, url, { body, signal }, false);
    const stale = new ApiError("This change needs a fresh sign-in with your passkey. Try again.", 401);
    throw stale;
  }
  if (res.status === 401 && csrf) {
    sessionEnded();
    const ended = new ApiError(friendly[401], 401);
    ended.handled = true; // already back at sign-in, with the message shown there
    throw ended;
  }
  /** @type {unknown} */
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const problem = /** @type {import("./types").Problem | null} */ (data); // RFC 9457, or not JSON
    const detail = problem && typeof problem.detail === "string" ? problem.detail : null;
    const summary = friendly[res.status] || `Something went wrong (HTTP ${res.status}).`;
    throw new ApiError(detail ? `${summary} (${detail})` : summary, res.status, problem && problem.field, detail);
  }
  return { data: /** @type {T} */ (data), headers: res.headers };
}

/**
 * A request outside the admin API (discovery, the token endpoint); `data` as for api().
 * @template [T=unknown]
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<{ res: Response, data: T }>}
 */
export async function fetchJson(url, init) {
  let res;
  try { res = await fetch(url, init); } catch { throw new ApiError(friendly[0], 0); }
  const data = await res.json().catch(() => ({}));
  return { res, data };
}

/** The server's message about one field, without the field's name it starts with. */
export function fieldMessage(/** @type {ApiError} */ e) {
  const detail = e.detail || e.message;
  return e.field && detail.startsWith(`${e.field}: `) ? detail.slice(e.field.length + 2) : detail;
}

/** One stream of requests for one piece of the page: starting a request supersedes the last. */
export function channel() {
  /** @type {AbortController | null} */
  let controller = null;
  let generation = 0;
  return {
    start() {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++generation;
      return { signal: controller.signal, current: () => mine === generation };
    },
    cancel() {
      if (controller) controller.abort();
      controller = null;
      generation++;
    },
  };
}
export const ignorable = (/** @type {{ handled?: boolean }} */ e) => e instanceof Superseded || e.handled;

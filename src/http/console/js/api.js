// Talking to the admin API. The access token lives in this module only: never in storage, a
// cookie or the URL. Errors become ApiError with a sentence a person can act on.

let token = null;
let sessionEnded = () => {};

export function setToken(value) { token = value; }
export const signedIn = () => token !== null;
/** What to do when the server refuses the token (it expired, or the admin client is gone). */
export function onSessionEnd(handler) { sessionEnded = handler; }

export class ApiError extends Error {
  constructor(message, status, field, detail) {
    super(message);
    this.status = status;
    this.field = field;
    this.detail = detail;
  }
}
/** A newer request for the same data replaced this one: nothing to show. */
class Superseded extends Error {}

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

export async function api(method, path, { body, signal } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  let text;
  try {
    res = await fetch(`/admin/v1${path}`, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    text = await res.text();
  } catch {
    if (signal && signal.aborted) throw new Superseded();
    throw new ApiError(friendly[0], 0);
  }
  if (signal && signal.aborted) throw new Superseded();
  if (res.status === 401 && token) {
    sessionEnded();
    const ended = new ApiError(friendly[401], 401);
    ended.handled = true; // already back at sign-in, with the message shown there
    throw ended;
  }
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    const summary = friendly[res.status] || `Something went wrong (HTTP ${res.status}).`;
    throw new ApiError(detail ? `${summary} (${detail})` : summary, res.status, data && data.field, detail);
  }
  return { data, headers: res.headers };
}

/** A request outside the admin API (discovery, the token endpoint). */
export async function fetchJson(url, init) {
  let res;
  try { res = await fetch(url, init); } catch { throw new ApiError(friendly[0], 0); }
  const data = await res.json().catch(() => ({}));
  return { res, data };
}

/** The server's message about one field, without the field's name it starts with. */
export function fieldMessage(e) {
  const detail = e.detail || e.message;
  return e.field && detail.startsWith(`${e.field}: `) ? detail.slice(e.field.length + 2) : detail;
}

/** One stream of requests for one piece of the page: starting a request supersedes the last. */
export function channel() {
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
export const ignorable = (e) => e instanceof Superseded || e.handled;

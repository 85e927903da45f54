// @ts-check
// The person's own account: their passkeys (add one, remove one but never the last) and
// where they are signed in (end a session, or every other one).

import { $, h, hiddenText } from "./dom.js";
import { state } from "./state.js";
import { api, request, channel, ignorable, ApiError } from "./api.js";
import { show, focusHeading } from "./router.js";
import { status, showProblem, clearProblem, busy } from "./feedback.js";
import { confirmAction } from "./dialogs.js";
import { timeNode } from "./format.js";
import { createCredential, passkeyProblem } from "./webauthn.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").SessionInfo} SessionInfo */
/** @typedef {import("./types").PasskeyInfo} PasskeyInfo */

const load = channel();

export async function showAccount() {
  state.orgId = null;
  show("account");
  focusHeading();
  const req = load.start();
  try {
    const [passkeys, sessions] = await Promise.all([
      /** @type {Promise<ApiResult<PasskeyInfo[]>>} */ (api("GET", "/me/passkeys", { signal: req.signal })),
      /** @type {Promise<ApiResult<SessionInfo[]>>} */ (api("GET", "/me/sessions", { signal: req.signal })),
    ]);
    if (!req.current()) return;
    clearProblem($("passkeys-error"));
    clearProblem($("sessions-error"));
    renderPasskeys(passkeys.data);
    renderSessions(sessions.data);
  } catch (e) {
    if (ignorable(e) || !req.current()) return;
    showProblem($("sessions-error"), `Could not load your sessions and passkeys. ${e.message}`, showAccount);
  }
}

function renderPasskeys(/** @type {PasskeyInfo[]} */ passkeys) {
  $("passkey-list").replaceChildren(...passkeys.map((passkey) => h("li", { class: "item" },
    h("span", { class: "item-text" }, h("strong", {}, passkey.name), " · last used ", timeNode(passkey.last_used_at, "never")),
    passkeys.length > 1
      ? h("button", { type: "button", class: "danger-outline small", onclick: () => removePasskey(passkey) }, "Remove", hiddenText(` passkey ${passkey.name}`))
      : h("span", { class: "muted-inline" }, "Your only passkey"))));
}

const BROWSERS = [["Edg/", "Edge"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"]];
const browserOf = (/** @type {string | null} */ ua) => (ua && (BROWSERS.find(([mark]) => ua.includes(mark)) || [null, "a browser"])[1]) || "an unknown browser";

function renderSessions(/** @type {SessionInfo[]} */ sessions) {
  $("sessions-end-others").hidden = sessions.length < 2;
  $("session-list").replaceChildren(...sessions.map((session) => h("li", { class: "item" },
    h("span", { class: "item-text" },
      h("strong", {}, session.current ? "This browser" : browserOf(session.user_agent)),
      ` from ${session.address || "an unknown address"} · signed in `, timeNode(session.created_at),
      " · last seen ", timeNode(session.last_seen_at)),
    session.current ? null : h("button", { type: "button", class: "secondary small", onclick: () => endSession(session) },
      "Sign out", hiddenText(" that session")))));
}

function removePasskey(/** @type {PasskeyInfo} */ passkey) {
  confirmAction({
    title: `Remove the passkey "${passkey.name}"?`,
    body: ["It will no longer sign you in. Your other passkeys keep working."],
    confirm: "Remove passkey", busyLabel: "Removing…", danger: true,
    action: () => api("DELETE", `/me/passkeys/${encodeURIComponent(passkey.id)}`),
    then: () => { status("The passkey was removed."); showAccount(); },
  });
}

function endSession(/** @type {SessionInfo} */ session) {
  confirmAction({
    title: "Sign out that session?",
    body: [`The session from ${session.address || "an unknown address"} ends now.`],
    confirm: "Sign out", busyLabel: "Signing out…",
    action: () => api("DELETE", `/me/sessions/${encodeURIComponent(session.id)}`),
    then: () => { status("The session was ended."); showAccount(); },
  });
}

async function addPasskey() {
  try {
    await busy($("passkey-add"), "Waiting for your passkey…", async () => {
      /** @type {ApiResult<Record<string, any>>} */
      const { data: options } = await request("POST", "/auth/passkeys/register/options");
      let credential;
      try {
        credential = await createCredential(options);
      } catch (e) {
        throw new ApiError(passkeyProblem(e), 0);
      }
      await request("POST", "/auth/passkeys/register", { body: { ...credential, name: `Passkey added ${new Date().toLocaleDateString()}` } });
    });
    status("The passkey was added.");
    showAccount();
  } catch (e) {
    if (!ignorable(e)) showProblem($("passkeys-error"), `Could not add the passkey. ${e.message}`, undefined);
  }
}

export function wireAccount() {
  $("passkey-add").addEventListener("click", addPasskey);
  $("sessions-end-others").addEventListener("click", () => confirmAction({
    title: "Sign out everywhere else?",
    body: ["Every other session of yours ends now; this browser stays signed in."],
    confirm: "Sign out everywhere else", busyLabel: "Signing out…",
    action: () => api("DELETE", "/me/sessions"),
    then: () => { status("Your other sessions were ended."); showAccount(); },
  }));
}

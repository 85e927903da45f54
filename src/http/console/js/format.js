// @ts-check
// How values read: times ("5 minutes ago"), durations, counts, roles, secret hints and how soon
// a secret expires.

import { h, hiddenText, badge } from "./dom.js";

/** @typedef {import("./types").Client} Client */

export const DAY = 86400;
/** A secret expiring within this many days is flagged in the list and on its page. */
const EXPIRY_WARNING_DAYS = 14;

export const plural = (/** @type {number} */ n, /** @type {string} */ one, /** @type {string} */ many) => `${n} ${n === 1 ? one : many}`;

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
/** @type {[Intl.RelativeTimeFormatUnit, number][]} */
const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

export function absolute(/** @type {string} */ iso) { return absoluteFormat.format(new Date(iso)); }
export function dateOnly(/** @type {string} */ iso) { return dateFormat.format(new Date(iso)); }
function relative(/** @type {string} */ iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const size = Math.abs(seconds);
  if (size < 45) return "just now";
  const [unit, length] = UNITS.find(([, length]) => size >= length) || UNITS[UNITS.length - 1];
  return relativeFormat.format(Math.round(seconds / length), unit);
}
/** "5 minutes ago", the exact time in its title (lists). */
export function timeNode(/** @type {string | null | undefined} */ iso, never = "never") {
  if (!iso) return document.createTextNode(never);
  return h("time", { datetime: iso, title: absolute(iso), "data-relative": true }, relative(iso));
}
/** "5 minutes ago (27 Nov 2026, 10:05)" (detail pages). */
export function timeFull(/** @type {string | null | undefined} */ iso, never = "never") {
  if (!iso) return [document.createTextNode(never)];
  return [timeNode(iso), h("span", { class: "muted-inline" }, ` (${absolute(iso)})`)];
}
/** Keeps "5 minutes ago" true while the page stays open. */
export function refreshTimes() {
  for (const node of document.querySelectorAll("time[data-relative]")) node.textContent = relative(node.getAttribute("datetime"));
}

export function duration(/** @type {number} */ seconds) {
  if (seconds >= 172800 && seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function roleTags(/** @type {string[]} */ roles) {
  if (!roles || roles.length === 0) return [h("span", { class: "none" }, "no roles")];
  return roles.map((role) => h("span", { class: "tag" }, role));
}
export function secretHint(/** @type {string} */ hint) {
  return h("span", { class: "mono" }, hiddenText("ending in "), h("span", { "aria-hidden": "true" }, "••••"), hint);
}

/** How soon a secret client's secret stops working, when that deserves a warning: null, or
 * { expired, text } ("Expired", "Expires in 5 days"). */
export function expiryWarning(/** @type {Client} */ client, now = Date.now()) {
  if (client.token_endpoint_auth_method === "private_key_jwt" || !client.client_secret_expires_at) return null;
  const ms = new Date(client.client_secret_expires_at).getTime() - now;
  if (ms <= 0) return { expired: true, text: "Expired" };
  if (ms > EXPIRY_WARNING_DAYS * DAY * 1000) return null;
  const hours = Math.ceil(ms / 3600000);
  if (hours < 24) return { expired: false, text: `Expires in ${plural(hours, "hour", "hours")}` };
  return { expired: false, text: `Expires in ${plural(Math.ceil(ms / (DAY * 1000)), "day", "days")}` };
}
export function expiryBadge(/** @type {Client} */ client) {
  const warning = expiryWarning(client);
  return warning ? badge(warning.text, warning.expired ? "expired" : "expiring") : null;
}

/** "Dec 27, 2026, 7:31 PM (in 30 days)" or "… (3 days ago)": when a secret stops working. */
export function expiryTime(/** @type {string} */ iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const size = Math.abs(ms);
  let span;
  if (size >= 2 * DAY * 1000) span = plural(Math.round(size / (DAY * 1000)), "day", "days");
  else if (size >= 7200000) span = plural(Math.round(size / 3600000), "hour", "hours");
  else span = plural(Math.max(1, Math.round(size / 60000)), "minute", "minutes");
  return [h("time", { datetime: iso }, absolute(iso)), h("span", { class: "muted-inline" }, ms > 0 ? ` (in ${span})` : ` (${span} ago)`)];
}

/** A client's token lifetime: its own, or the server's. */
export function tokenLifetime(/** @type {Client} */ client, /** @type {number | undefined} */ serverSeconds) {
  if (client.token_ttl_seconds) return duration(client.token_ttl_seconds);
  return serverSeconds ? `the server's (${duration(serverSeconds)})` : "the server's";
}

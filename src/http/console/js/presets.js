// @ts-check
// The choices offered for lifetimes: a client's token lifetime (within the server's), a new
// secret's expiry (within the organization's maximum) and that maximum itself.

import { h } from "./dom.js";
import { DAY, duration } from "./format.js";

/** @typedef {[value: string, label: string]} Option */

const TOKEN_LIFETIMES = [300, 900, 3600];
const SECRET_EXPIRIES_DAYS = [30, 90, 365];
const MAX_LIFETIMES_DAYS = [30, 90, 180, 365];

/** Fills a <select> with [value, label] pairs and selects `selected` (else the first). */
export function fillSelect(/** @type {HTMLElement & { value: string }} */ select, /** @type {Option[]} */ options, /** @type {string} */ selected) {
  select.replaceChildren(...options.map(([value, label]) => h("option", { value }, label)));
  select.value = options.some(([value]) => value === selected) ? selected : options[0][0];
}

/** Token lifetimes: the server's (""), then the presets not longer than it, and the client's own
 * when it is none of them. */
export function tokenLifetimeOptions(/** @type {number | undefined} */ serverSeconds, /** @type {number | null | undefined} */ current) {
  /** @type {Option[]} */
  const options = [["", serverSeconds ? `Server default (${duration(serverSeconds)})` : "Server default"]];
  for (const seconds of TOKEN_LIFETIMES) {
    if (!serverSeconds || seconds <= serverSeconds) options.push([String(seconds), duration(seconds)]);
  }
  if (current && !options.some(([value]) => value === String(current))) {
    options.push([String(current), `${duration(current)} (current)`]);
    options.sort((a, b) => Number(a[0] || 0) - Number(b[0] || 0));
  }
  return options;
}

/** A new secret's expiry: never (no maximum) or the maximum ("max", the server's default, so no
 * clock difference can push it past the limit), then the shorter presets. */
export function secretExpiryOptions(/** @type {number | null | undefined} */ maxSeconds) {
  const presets = SECRET_EXPIRIES_DAYS.map((days) => days * DAY)
    .filter((seconds) => !maxSeconds || seconds < maxSeconds)
    .map((seconds) => /** @type {Option} */ ([String(seconds), `In ${duration(seconds)}`]));
  /** @type {Option} */
  const first = maxSeconds ? ["max", `In ${duration(maxSeconds)} (the maximum)`] : ["never", "Never"];
  return [first, ...presets];
}
export function secretExpiryHint(/** @type {number | null | undefined} */ maxSeconds) {
  return maxSeconds
    ? `This organization's secrets work for at most ${duration(maxSeconds)}.`
    : "This organization sets no maximum secret lifetime.";
}
/** The request's client_secret_expires_at for a chosen option; undefined: the server's default. */
export function secretExpiresAt(/** @type {string} */ value) {
  const seconds = Number(value);
  if (!seconds) return undefined;
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** An organization's maximum secret lifetime: none (""), the presets, and the current value
 * when it is none of them. */
export function maxLifetimeOptions(/** @type {number | null | undefined} */ current) {
  /** @type {Option[]} */
  const options = [["", "No maximum"], ...MAX_LIFETIMES_DAYS.map((days) => /** @type {Option} */ ([String(days * DAY), duration(days * DAY)]))];
  if (current && !options.some(([value]) => value === String(current))) {
    options.push([String(current), duration(current)]);
    options.sort((a, b) => Number(a[0] || 0) - Number(b[0] || 0));
  }
  return options;
}
export const maxLifetimeText = (/** @type {number | null | undefined} */ seconds) => (seconds ? duration(seconds) : "No maximum");

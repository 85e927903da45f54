// @ts-check
// Modal dialogs: opening one remembers what opened it and focus goes back there when it closes;
// confirmAction asks before one change and shows its error in place.

import { $, h } from "./dom.js";
import { signedIn } from "./api.js";
import { focusHeading } from "./router.js";
import { busy } from "./feedback.js";

/** @typedef {HTMLElement & Pick<HTMLDialogElement, "open" | "showModal" | "close">} Dialog */
/** @typedef {HTMLElement & { disabled?: boolean }} Focusable */

/** @type {WeakMap<Dialog, Element>} */
const openers = new WeakMap();
/** @type {WeakMap<Dialog, Focusable>} */
const fallbacks = new WeakMap(); // dialog → where focus goes when its opener is gone
/** @type {Map<Dialog, () => boolean>} */
const guards = new Map(); // dialog → () => boolean: may it close now?

/** Opens a dialog; `opener` is where focus returns (by default, what has focus now), else
 * `fallback` (when the change removed the opener), else the page's heading. */
export function openDialog(
  /** @type {Dialog} */ dialog, /** @type {Element} */ focus,
  opener = document.activeElement, /** @type {Focusable} */ fallback = null,
) {
  openers.set(dialog, opener);
  fallbacks.set(dialog, fallback);
  dialog.showModal();
  if (focus) /** @type {HTMLElement} */ (focus).focus(); // a field or button of the dialog
}
export function closeDialog(/** @type {Dialog} */ dialog) {
  if (dialog.open) dialog.close();
}
/** A dialog that must not simply close (the one-time secret) decides for itself. */
export function guardClose(/** @type {Dialog} */ dialog, /** @type {() => boolean} */ mayClose) { guards.set(dialog, mayClose); }

const visible = (/** @type {Element} */ node) => node.isConnected && node !== document.body && node.getClientRects().length > 0;

/** Focus goes back to what opened the dialog, or its fallback, or the page's heading if both
 * are gone; not when another dialog has opened meanwhile (it has the focus). */
function returnFocus(/** @type {Dialog} */ dialog) {
  const opener = openers.get(dialog);
  const fallback = fallbacks.get(dialog);
  openers.delete(dialog);
  fallbacks.delete(dialog);
  if (document.querySelector("dialog[open]")) return;
  if (opener && visible(opener)) /** @type {HTMLElement} */ (opener).focus(); // what had the focus
  else if (fallback && visible(fallback) && !fallback.disabled) fallback.focus();
  else focusHeading();
}

export function wireDialogs() {
  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => closeDialog(button.closest("dialog")));
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      const mayClose = guards.get(dialog);
      if (mayClose && !mayClose()) return;
      if (signedIn()) returnFocus(dialog);
    });
  }
  $("confirm-form").addEventListener("submit", confirmed);
}

// ---------- one confirmation dialog for many actions ----------

/** @type {{ busyLabel: string, action(): Promise<unknown>, then?(result: unknown): void } | null} */
let pending = null; // { confirm, busyLabel, action }
let confirming = false;

/**
 * Asks before a change: a title, the consequences (strings or nodes, one paragraph each; the
 * first is the dialog's description) and a button that says what it does. `action` runs on
 * confirmation; the dialog closes when it succeeds and shows its error otherwise. `then` runs
 * after the dialog has closed. `fallback`: where focus goes if the change removed the opener.
 * @template T
 * @param {{
 *   title: string, body: import("./types").Children[], confirm: string, busyLabel: string,
 *   danger?: boolean, fallback?: HTMLElement, action: () => Promise<T>, then?: (result: T) => void,
 * }} request
 */
export function confirmAction({ title, body, confirm, busyLabel, danger = false, fallback = null, action, then }) {
  pending = { busyLabel, action, then };
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(...body.map((part, i) => h("p", { class: i === 0 && danger ? "danger-text" : null }, part)));
  $("confirm-error").hidden = true;
  const button = $("confirm-ok");
  button.textContent = confirm;
  button.className = danger ? "danger" : "primary";
  openDialog($("confirm-dialog"), $("confirm-dialog").querySelector("[data-close]"), document.activeElement, fallback);
}

async function confirmed(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (confirming || !pending) return;
  const { busyLabel, action, then } = pending;
  confirming = true;
  try {
    const result = await busy($("confirm-ok"), busyLabel, action);
    closeDialog($("confirm-dialog"));
    pending = null;
    if (then) then(result);
  } catch (e) {
    if (!e.handled) {
      $("confirm-error").textContent = e.message;
      $("confirm-error").hidden = false;
    }
  } finally {
    confirming = false;
  }
}

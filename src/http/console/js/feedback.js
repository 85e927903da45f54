// @ts-check
// Telling the person what happened: the live status line, errors in place (with Retry), a
// field's own message, busy buttons, copying to the clipboard.

import { $, h, hiddenText } from "./dom.js";
import { focusHeading } from "./router.js";

export function status(/** @type {string} */ message) { $("status").textContent = message; }

/** An error shown where the data would be, with a Retry button when it can be retried. */
export function showProblem(/** @type {HTMLElement} */ slot, /** @type {string} */ message, /** @type {(() => void) | undefined} */ retry) {
  const children = [h("span", { class: "inline-error-text" }, message)];
  if (retry) {
    const button = h("button", { type: "button", class: "secondary small" }, "Retry");
    button.addEventListener("click", () => {
      button.disabled = true;
      button.textContent = "Retrying…";
      retry();
    });
    children.push(button);
  }
  slot.replaceChildren(...children);
  slot.hidden = false;
}
export function clearProblem(/** @type {HTMLElement} */ slot) {
  const hadFocus = slot.contains(document.activeElement);
  slot.hidden = true;
  slot.replaceChildren();
  if (hadFocus) focusHeading();
}

/** A field's own message (the element `<id>-error`, named by its aria-describedby); cleared as
 * soon as the field is edited. */
export function fieldError(/** @type {Element} */ input, /** @type {string} */ message) {
  const box = $(`${input.id}-error`);
  box.textContent = message;
  box.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}
/** Every field with its own message loses it when edited. */
export function clearFieldErrorsOnEdit(/** @type {ParentNode} */ root = document) {
  for (const input of root.querySelectorAll("input[aria-describedby$='-error'], textarea[aria-describedby$='-error'], select[aria-describedby$='-error']")) {
    const clear = () => { if ($(`${input.id}-error`)) fieldError(input, ""); };
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", clear);
  }
}

/**
 * Runs work with the button disabled and saying what is happening.
 * @template T
 * @param {HTMLElement & { disabled: boolean }} button
 * @param {string} label
 * @param {() => Promise<T> | T} work
 * @returns {Promise<T>}
 */
export async function busy(button, label, work) {
  const original = [...button.childNodes];
  button.disabled = true;
  button.textContent = label;
  status(label);
  try { return await work(); } finally { button.disabled = false; button.replaceChildren(...original); }
}

/** @type {(text: string) => void} */
let copied = () => {};
/** The secret dialog learns that its secret was copied. */
export function onCopied(/** @type {(text: string) => void} */ hook) { copied = hook; }
export async function copy(/** @type {string} */ text, /** @type {string} */ what) {
  try {
    await navigator.clipboard.writeText(text);
    status(`${what[0].toUpperCase()}${what.slice(1)} copied to the clipboard.`);
    copied(text);
  } catch {
    status("Copy failed: select the text and copy it by hand.");
  }
}
export function copyButton(/** @type {string} */ text, /** @type {string} */ what, className = "secondary small") {
  return h("button", { type: "button", class: className, onclick: () => copy(text, what) }, "Copy", hiddenText(` ${what}`));
}

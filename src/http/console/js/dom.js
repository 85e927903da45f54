// @ts-check
// Building the page from data: elements and text nodes, never HTML text, so whatever the server
// sends reaches the page as text.

/** @typedef {import("./types").PageElement} PageElement */
/** @typedef {import("./types").Props} Props */
/** @typedef {import("./types").Children} Children */

/** An element of the page by its ID (index.html has every ID the console asks for). */
export const $ = (/** @type {string} */ id) => /** @type {PageElement} */ (document.getElementById(id));

/**
 * An element: props are attributes, except class, on<event> and false/null (skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = /** @type {string} */ (value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Text for screen readers only. */
export const hiddenText = (/** @type {string} */ text) => h("span", { class: "visually-hidden" }, text);

/** A short label that says something in words, not only in colour. */
export const badge = (/** @type {string} */ text, /** @type {string} */ kind) => h("span", { class: `badge ${kind}` }, text);

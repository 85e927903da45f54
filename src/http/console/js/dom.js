// Building the page from data: elements and text nodes, never HTML text, so whatever the server
// sends reaches the page as text.

export const $ = (id) => document.getElementById(id);

/** An element: props are attributes, except class, on<event> and false/null (skipped). */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Text for screen readers only. */
export const hiddenText = (text) => h("span", { class: "visually-hidden" }, text);

/** A short label that says something in words, not only in colour. */
export const badge = (text, kind) => h("span", { class: `badge ${kind}` }, text);

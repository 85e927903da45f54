// @ts-check
// The quick start: code that gets a token with a client, in tabs per language. A secret client's
// snippets take the secret (filled in once, else from an environment variable); a
// private_key_jwt client's sign a client assertion with the application's private key.

import { h } from "./dom.js";
import { state, usesKeys } from "./state.js";
import { copyButton } from "./feedback.js";
import { algorithmFor } from "./jwk.js";

/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").Jwk} Jwk */
/** A tab: [key, label, code, what its Copy button copies]. @typedef {[string, string, string, string?]} Snippet */

export const SECRET_VARIABLE = "ORGAUTH_CLIENT_SECRET";
const ASSERTION_VARIABLE = "ORGAUTH_CLIENT_ASSERTION";
const KEY_PATH_PLACEHOLDER = "/path/to/private-key.pem";
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** @type {[string, string][]} */
const SECRET_LANGUAGES = [["curl", "curl"], ["python", "Python"], ["node", "Node.js"], ["rust", "Rust"]];
/** @type {[string, string][]} */
const KEY_LANGUAGES = [["python", "Python"], ["curl", "curl"]];
let language = "curl"; // the last one chosen, kept across clients

export const shellQuote = (/** @type {string} */ s) => `'${String(s).replace(/'/g, "'\\''")}'`;
const literal = (/** @type {string} */ s) => JSON.stringify(String(s)); // a valid Python, JavaScript and Rust string here

/** The audience to ask for: none when the server has no configured audiences. */
export function snippetAudience() {
  const s = state.settings;
  if (!s || !Array.isArray(s.audiences) || s.audiences.length === 0) return null;
  return s.default_audience || s.audiences[0];
}
export const tokenUrl = () => (state.settings && state.settings.token_endpoint) || `${location.origin}/oauth/token`;

// ---------- a client secret ----------

/** @returns {Record<string, string>} */
function secretSnippets(/** @type {string} */ id, /** @type {string | null} */ secretValue) {
  const url = tokenUrl();
  const audience = snippetAudience();
  return {
    curl: curlSnippet(url, id, secretValue, audience),
    python: pythonSnippet(url, id, secretValue, audience),
    node: nodeSnippet(url, id, secretValue, audience),
    rust: rustSnippet(url, id, secretValue, audience),
  };
}

/** @typedef {(url: string, id: string, secretValue: string | null, audience: string | null) => string} SecretSnippet */

/** @type {SecretSnippet} */
function curlSnippet(url, id, secretValue, audience) {
  const lines = [];
  if (!secretValue) lines.push(`# First: export ${SECRET_VARIABLE}='<the client secret>'`);
  lines.push(`curl -sS ${shellQuote(url)} \\`);
  lines.push(secretValue ? `  -u ${shellQuote(`${id}:${secretValue}`)} \\` : `  -u "${id}:$${SECRET_VARIABLE}" \\`);
  lines.push(`  -d grant_type=client_credentials${audience ? " \\" : ""}`);
  if (audience) lines.push(`  --data-urlencode ${shellQuote(`audience=${audience}`)}`);
  return lines.join("\n");
}

/** @type {SecretSnippet} */
function pythonSnippet(url, id, secretValue, audience) {
  const data = [`"grant_type": "client_credentials"`];
  if (audience) data.push(`"audience": ${literal(audience)}`);
  return [
    ...(secretValue ? [] : ["import os", ""]),
    "import requests",
    "",
    "response = requests.post(",
    `    ${literal(url)},`,
    `    auth=(${literal(id)}, ${secretValue ? literal(secretValue) : `os.environ[${literal(SECRET_VARIABLE)}]`}),`,
    `    data={${data.join(", ")}},`,
    "    timeout=10,",
    ")",
    "response.raise_for_status()",
    'access_token = response.json()["access_token"]',
  ].join("\n");
}

/** @type {SecretSnippet} */
function nodeSnippet(url, id, secretValue, audience) {
  return [
    "// Node.js 18 or later, as an ES module (fetch and top-level await are built in).",
    `const response = await fetch(${literal(url)}, {`,
    '  method: "POST",',
    "  body: new URLSearchParams({",
    '    grant_type: "client_credentials",',
    `    client_id: ${literal(id)},`,
    `    client_secret: ${secretValue ? literal(secretValue) : `process.env.${SECRET_VARIABLE}`},`,
    ...(audience ? [`    audience: ${literal(audience)},`] : []),
    "  }),",
    "});",
    "if (!response.ok) throw new Error(`token request failed: ${response.status}`);",
    "const { access_token } = await response.json();",
  ].join("\n");
}

/** @type {SecretSnippet} */
function rustSnippet(url, id, secretValue, audience) {
  const form = [`("grant_type", "client_credentials")`];
  if (audience) form.push(`("audience", ${literal(audience)})`);
  return [
    '// Cargo.toml: reqwest = { version = "0.12", features = ["json"] }, serde_json = "1"',
    "async fn access_token() -> Result<String, Box<dyn std::error::Error>> {",
    secretValue
      ? `    let secret = ${literal(secretValue)}.to_owned();`
      : `    let secret = std::env::var(${literal(SECRET_VARIABLE)})?;`,
    "    let token: serde_json::Value = reqwest::Client::new()",
    `        .post(${literal(url)})`,
    `        .basic_auth(${literal(id)}, Some(secret))`,
    `        .form(&[${form.join(", ")}])`,
    "        .send()",
    "        .await?",
    "        .error_for_status()?",
    "        .json()",
    "        .await?;",
    '    Ok(token["access_token"].as_str().unwrap_or_default().to_owned())',
    "}",
  ].join("\n");
}

// ---------- private_key_jwt ----------

/** @type {Record<string, string>} */
const KEY_CLASSES = { EC: "ECKey", RSA: "RSAKey", OKP: "OKPKey" };

/** @returns {Record<string, string>} */
function keySnippets(/** @type {Client} */ client) {
  const url = tokenUrl();
  const audience = snippetAudience();
  /** @type {Jwk} */
  const key = (client.jwks && Array.isArray(client.jwks.keys) && client.jwks.keys[0]) || { kty: "EC" };
  return {
    python: authlibSnippet(url, client.client_id, key, audience),
    curl: assertionCurlSnippet(url, client.client_id, key, audience),
  };
}

/** @typedef {(url: string, id: string, key: Jwk, audience: string | null) => string} KeySnippet */

/** authlib signs the assertion; its default assertion lifetime (1 h) is longer than orgauth
 * accepts, so the snippet sets exp, and signs a new assertion (new jti) for each request.
 * @type {KeySnippet} */
function authlibSnippet(url, id, key, audience) {
  const keyClass = KEY_CLASSES[key.kty] || "RSAKey";
  const extra = audience ? `, audience=${literal(audience)}` : "";
  return [
    '# pip install "authlib>=1.6" requests',
    "import time",
    "",
    "from authlib.integrations.requests_client import OAuth2Session",
    "from authlib.oauth2.rfc7523 import PrivateKeyJWT",
    `from joserfc.jwk import ${keyClass}`,
    "",
    `TOKEN_URL = ${literal(url)}`,
    `CLIENT_ID = ${literal(id)}`,
    "",
    "# The private key matching the public key registered for this client (PEM).",
    `with open(${literal(KEY_PATH_PLACEHOLDER)}, "rb") as f:`,
    `    PRIVATE_KEY = ${keyClass}.import_key(f.read())`,
    "",
    "",
    "def get_access_token():",
    "    # A new client assertion for each request: orgauth accepts each one once,",
    "    # and only if it expires within 5 minutes (authlib's default is 1 hour).",
    "    assertion = PrivateKeyJWT(",
    `        TOKEN_URL, alg=${literal(algorithmFor(key))}, claims={"exp": int(time.time()) + 60}`,
    "    )",
    "    session = OAuth2Session(CLIENT_ID, PRIVATE_KEY, token_endpoint_auth_method=assertion)",
    `    token = session.fetch_token(TOKEN_URL, grant_type="client_credentials"${extra})`,
    '    return token["access_token"]',
    "",
    "",
    "access_token = get_access_token()",
  ].join("\n");
}

/** @type {KeySnippet} */
function assertionCurlSnippet(url, id, key, audience) {
  return [
    "# private_key_jwt: instead of a secret, the request carries a client assertion, a JWT",
    "# signed with the application's private key. Sign a new one for every request:",
    `#   header: {"alg": ${literal(algorithmFor(key))}, "typ": "JWT"}`,
    `#   claims: "iss" and "sub": ${literal(id)},`,
    `#           "aud": ${literal(url)},`,
    '#           "exp": now + 60 (at most 5 minutes ahead), "jti": a unique random value',
    "# client_assertion_type says what the assertion is (a JWT bearer assertion, RFC 7523);",
    "# client_assertion is the signed JWT itself. Put it in the variable first:",
    `#   export ${ASSERTION_VARIABLE}='<the signed JWT: header.claims.signature>'`,
    `curl -sS ${shellQuote(url)} \\`,
    "  -d grant_type=client_credentials \\",
    `  -d client_id=${shellQuote(id)} \\`,
    `  --data-urlencode client_assertion_type=${ASSERTION_TYPE} \\`,
    `  --data-urlencode "client_assertion=$${ASSERTION_VARIABLE}"${audience ? " \\" : ""}`,
    ...(audience ? [`  --data-urlencode ${shellQuote(`audience=${audience}`)}`] : []),
  ].join("\n");
}

// ---------- the tabs ----------

/**
 * Snippets in tabs (arrow keys, Home and End move between them), each with its Copy button;
 * one snippet is shown without tabs. `entries`: [key, label, code, what its Copy button copies
 * (by default "<label> snippet")]; `initial`: the key shown first; `chosen(key)` learns what the
 * person picks; `label` names the tab list.
 * @param {HTMLElement} container
 * @param {string} prefix
 * @param {Snippet[]} entries
 * @param {{ initial?: string, chosen?: (key: string) => void, label?: string }} [options]
 */
export function renderSnippets(container, prefix, entries, { initial, chosen = () => {}, label = "Language" } = {}) {
  const panel = (/** @type {Snippet} */ [key, name, code, what = `${name} snippet`]) => h("div", { id: `${prefix}-panel-${key}`, "data-lang": key, class: "snippet" },
    h("pre", {}, h("code", {}, code)),
    copyButton(code, what));
  if (entries.length === 1) {
    container.replaceChildren(panel(entries[0]));
    return;
  }
  /** @type {HTMLButtonElement[]} */
  const tabs = [];
  /** @type {HTMLDivElement[]} */
  const panels = [];
  const select = (/** @type {string} */ key, /** @type {boolean} */ focus) => {
    for (const tab of tabs) {
      const on = tab.dataset.lang === key;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    }
    for (const node of panels) node.hidden = node.dataset.lang !== key;
  };
  const choose = (/** @type {string} */ key, /** @type {boolean} */ focus) => { chosen(key); select(key, focus); };
  entries.forEach(([key, name], index) => {
    const tab = h("button", {
      type: "button", role: "tab", id: `${prefix}-tab-${key}`, "data-lang": key,
      "aria-controls": `${prefix}-panel-${key}`, "aria-selected": "false", tabindex: "-1",
    }, name);
    tab.addEventListener("click", () => choose(key, false));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) choose(entries[(index + step + entries.length) % entries.length][0], true);
      else if (event.key === "Home") choose(entries[0][0], true);
      else if (event.key === "End") choose(entries[entries.length - 1][0], true);
      else return;
      event.preventDefault();
    });
    tabs.push(tab);
    const node = panel(entries[index]);
    node.setAttribute("role", "tabpanel");
    node.setAttribute("aria-labelledby", tab.id);
    panels.push(node);
  });
  container.replaceChildren(h("div", { role: "tablist", "aria-label": label, class: "lang-tabs" }, tabs), ...panels);
  select(entries.some(([key]) => key === initial) ? initial : entries[0][0], false);
}

/** A client's quick start: language tabs, the last language chosen shown first. */
export function renderQuickStart(
  /** @type {HTMLElement} */ container, /** @type {string} */ prefix, /** @type {Client} */ client, /** @type {string | null} */ secretValue,
) {
  const keys = usesKeys(client);
  const code = keys ? keySnippets(client) : secretSnippets(client.client_id, secretValue);
  const entries = (keys ? KEY_LANGUAGES : SECRET_LANGUAGES).map(([key, label]) => /** @type {Snippet} */ ([key, label, code[key]]));
  renderSnippets(container, prefix, entries, { initial: language, chosen: (key) => { language = key; } });
}

// @ts-check
// Public keys for private_key_jwt: reading what was pasted (a JWK or a JWK set), refusing what
// is plainly wrong before it leaves the browser (not JSON, a private key), and describing a
// registered key (type, size, thumbprint).

/** @typedef {import("./types").Jwk} Jwk */
/** @typedef {import("./types").JwkSet} JwkSet */

const PRIVATE_PARTS = ["d", "p", "q", "dp", "dq", "qi"];
export const MAX_KEYS = 2;

/**
 * { jwks } ready to send, or { error } to show at the field. The server checks the rest.
 * @param {string} text
 * @returns {{ jwks: JwkSet, error?: undefined } | { error: string, jwks?: undefined }}
 */
export function readKeys(text) {
  const pasted = text.trim();
  if (!pasted) return { error: "Paste the application's public key: a JWK or a JWK set." };
  if (pasted.startsWith("-----BEGIN")) {
    return { error: "This is a PEM key. Paste the public key as a JWK instead ({\"kty\": …}); most key tools can export one." };
  }
  /** @type {any} JSON as pasted: checked below */
  let value;
  try { value = JSON.parse(pasted); } catch {
    return { error: "This is not valid JSON. Paste the public key as a JWK ({\"kty\": …}) or a JWK set ({\"keys\": […]})." };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { error: "Expected a JSON object: a JWK ({\"kty\": …}) or a JWK set ({\"keys\": […]})." };
  }
  /** @type {JwkSet} */
  let jwks = null;
  if (Array.isArray(value.keys)) jwks = value;
  else if (typeof value.kty === "string") jwks = { keys: [value] };
  if (!jwks) return { error: "Expected a JWK (with \"kty\") or a JWK set (with \"keys\")." };
  if (jwks.keys.length === 0) return { error: "The key set is empty: add at least one public key." };
  if (jwks.keys.length > MAX_KEYS) {
    return { error: `At most ${MAX_KEYS} keys: the one in use and, during a rollover, the next.` };
  }
  for (const key of jwks.keys) {
    if (!key || typeof key !== "object" || typeof key.kty !== "string") return { error: "Every key needs a \"kty\"." };
    if ("k" in key) return { error: "This is a symmetric key (\"k\"). private_key_jwt needs a public key." };
    const part = PRIVATE_PARTS.find((name) => name in key);
    if (part) {
      return { error: `This is a private key (it has "${part}"). Paste the public key only; the private key stays with the application.` };
    }
  }
  return { jwks };
}

function base64urlBytes(/** @type {string} */ text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  try { return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)); } catch { return ""; }
}

/** "EC P-256", "RSA 2048-bit", "Ed25519". */
export function describeKey(/** @type {Jwk} */ jwk) {
  if (jwk.kty === "EC") return `EC ${jwk.crv || ""}`.trim();
  if (jwk.kty === "OKP") return jwk.crv || "OKP";
  if (jwk.kty === "RSA" && typeof jwk.n === "string") {
    const bytes = base64urlBytes(jwk.n);
    let leading = 0;
    while (leading < bytes.length && bytes.charCodeAt(leading) === 0) leading++;
    return `RSA ${(bytes.length - leading) * 8}-bit`;
  }
  return jwk.kty;
}

/** The algorithm an application signs with for this key. */
export function algorithmFor(/** @type {Jwk} */ jwk) {
  if (jwk && typeof jwk.alg === "string") return jwk.alg;
  if (jwk && jwk.kty === "EC") return "ES256";
  if (jwk && jwk.kty === "OKP") return "EdDSA";
  return "RS256";
}

/** The RFC 7638 thumbprint (SHA-256, base64url), or null where the browser cannot hash. */
export async function thumbprint(/** @type {Jwk} */ jwk) {
  const members = /** @type {Record<string, (keyof Jwk)[]>} */ ({ EC: ["crv", "kty", "x", "y"], RSA: ["e", "kty", "n"], OKP: ["crv", "kty", "x"] })[jwk.kty];
  if (!members || !globalThis.crypto || !crypto.subtle) return null;
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(",")}}`;
  try {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
    return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  } catch {
    return null;
  }
}

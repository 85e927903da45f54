// @ts-check
// Passkeys in the browser: the server's options (JSON, base64url) to the WebAuthn API and the
// credential back to JSON. Uses the browser's own JSON helpers where it has them.

const fromB64 = (/** @type {string} */ s) => {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
};
const toB64 = (/** @type {ArrayBuffer | null} */ buffer) => {
  if (!buffer) return undefined;
  let s = "";
  for (const byte of new Uint8Array(buffer)) s += String.fromCharCode(byte);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

/** @typedef {Record<string, any>} Json */

/** @returns {PublicKeyCredentialRequestOptions} */
function requestOptions(/** @type {Json} */ o) {
  const PKC = /** @type {any} */ (window.PublicKeyCredential);
  if (PKC && PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(o);
  return {
    ...o,
    challenge: fromB64(o.challenge),
    allowCredentials: (o.allowCredentials || []).map((/** @type {Json} */ c) => ({ ...c, id: fromB64(c.id) })),
  };
}

/** @returns {PublicKeyCredentialCreationOptions} */
function creationOptions(/** @type {Json} */ o) {
  const PKC = /** @type {any} */ (window.PublicKeyCredential);
  if (PKC && PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(o);
  return /** @type {any} */ ({
    ...o,
    challenge: fromB64(o.challenge),
    user: { ...o.user, id: fromB64(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((/** @type {Json} */ c) => ({ ...c, id: fromB64(c.id) })),
  });
}

function toJson(/** @type {PublicKeyCredential} */ credential) {
  const any = /** @type {any} */ (credential);
  if (typeof any.toJSON === "function") return any.toJSON();
  const r = /** @type {any} */ (credential.response);
  return {
    id: credential.id,
    rawId: toB64(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toB64(r.clientDataJSON),
      attestationObject: toB64(r.attestationObject || null),
      authenticatorData: toB64(r.authenticatorData || null),
      signature: toB64(r.signature || null),
      userHandle: toB64(r.userHandle || null),
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

/** Whether this browser can use passkeys at all. */
export const passkeysSupported = () => typeof window.PublicKeyCredential === "function";

/** Asks the browser for a passkey answering the server's sign-in options. */
export async function getCredential(/** @type {Json} */ options) {
  const credential = /** @type {PublicKeyCredential} */ (await navigator.credentials.get({ publicKey: requestOptions(options) }));
  return toJson(credential);
}

/** Asks the browser to create a passkey for the server's registration options. */
export async function createCredential(/** @type {Json} */ options) {
  const credential = /** @type {PublicKeyCredential} */ (await navigator.credentials.create({ publicKey: creationOptions(options) }));
  return toJson(credential);
}

/** A sentence for a WebAuthn error (the person cancelled, no passkey here, …). */
export function passkeyProblem(/** @type {any} */ e) {
  if (e && e.name === "NotAllowedError") return "The passkey prompt was cancelled or timed out. Try again.";
  if (e && e.name === "InvalidStateError") return "This device already holds a passkey for you here.";
  if (e && e.name === "SecurityError") return "Passkeys do not work at this address. Open the console at its localhost or DNS name.";
  return e && e.message ? e.message : "The passkey could not be used.";
}

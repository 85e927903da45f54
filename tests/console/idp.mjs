// A real OpenID Provider for the single sign-on tests: panva's oidc-provider (OpenID
// Certified), with a few accounts and its development login form (any password; the login is
// the account id). Started by the Rust tests and the browser test.
//
// env: PORT; CLIENTS (JSON [{client_id, client_secret, redirect_uris}]); ACCOUNTS (JSON
// {id: {email, email_verified, name}}, optional); MODE=wrong-key (optional: the JWKS shows
// another key under the signing key's kid, so every ID token's signature fails).
import { generateKeyPairSync, randomUUID } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const kid = randomUUID();
const rsa = () => ({
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
  kid,
  use: "sig",
  alg: "RS256",
});
const accounts = JSON.parse(process.env.ACCOUNTS ?? JSON.stringify({
  alice: { email: "alice@acme.test", email_verified: true, name: "Alice Acme" },
  bob: { email: "bob@acme.test", email_verified: true, name: "Bob Acme" },
  eve: { email: "eve@acme.test", email_verified: false, name: "Eve Unverified" },
}));

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.CLIENTS).map((c) => ({
    ...c,
    token_endpoint_auth_method: "client_secret_basic",
    response_types: ["code"],
    grant_types: ["authorization_code"],
  })),
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  jwks: { keys: [rsa()] },
  cookies: { keys: [randomUUID()] },
  async findAccount(_ctx, sub) {
    const account = accounts[sub];
    return account && { accountId: sub, async claims() { return { sub, ...account }; } };
  },
});

if (process.env.MODE === "wrong-key") {
  const { kty, n, e } = rsa();
  provider.use(async (ctx, next) => {
    if (ctx.path !== "/jwks") return next();
    ctx.type = "application/jwk-set+json";
    ctx.body = { keys: [{ kty, n, e, kid, use: "sig", alg: "RS256" }] };
  });
}

provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));

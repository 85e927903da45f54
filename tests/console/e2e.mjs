// End-to-end test of the orgauth console in headless Chromium. Started by tests/api/console.rs
// against a real server; every step is also checked through the HTTP API.
//
// env: BASE_URL, ADMIN_ID/ADMIN_SECRET (API checks, test data and invitations),
// CONSOLE_ORG_ID (the platform organization, where "console operator" is invited as
// platform:admin), ORG_ID (an organization without clients, "Acme Payments"), SCREENSHOT_DIR,
// CHROMIUM (optional), STEP_UP_WAIT (optional: seconds to wait, past ORGAUTH_REAUTH_SECONDS,
// before a change that then needs the passkey again). Roles billing:read and billing:write exist.
//
// People sign in with passkeys: Chromium's virtual authenticator (DevTools protocol, WebAuthn
// domain) stands in for the device, and the server is the real one. The console runs at
// http://localhost:PORT (browsers refuse passkeys on an IP address).
//
// The client lifecycle too: description and token lifetime, disable and enable (the token
// endpoint refuses a disabled client), secret expiry (warnings in the list and on the page, an
// expired secret refused), an organization's maximum secret lifetime (set by a platform admin,
// read by an org admin), and private_key_jwt: a public JWK generated here is pasted into the
// console, and assertions signed here with its private key get tokens, directly and through the
// quick start's curl snippet (and its authlib snippet where Python has authlib).
//
// Workload identity federation: an HTTP server here plays a CI platform's token issuer (its
// discovery document, its keys, and the endpoint a GitHub Actions job asks for its OIDC token).
// A trust policy made in the console with the GitHub Actions preset, pointed at it, lets tokens
// signed here act as the client — through the workflow and curl snippets the console shows and
// directly — until the policy is deleted in the console.
//
// Every screen is checked with axe-core (no serious or critical violation) and photographed, at
// 1280 px and again at 375 px, where nothing may scroll sideways.
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("BASE_URL");
const shots = env("SCREENSHOT_DIR");
// The Python that runs the quick start's Python snippets: the client-library virtualenv when
// there is one (PYTHON, set by tests/api/console.rs), else the system's.
const python = process.env.PYTHON || "python3";
const org = env("ORG_ID");
const consoleOrg = env("CONSOLE_ORG_ID");
// Where people use the console: the passkey origin (localhost for a loopback issuer).
const consoleBase = base.replace("//127.0.0.1:", "//localhost:");
mkdirSync(shots, { recursive: true });
const started = Date.now();
const axeSource = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

// ---------- the API, for setting up and checking ----------

async function token(id, secret, extra = {}) {
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64"),
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...extra }),
  });
  return { status: res.status, body: await res.json() };
}
const issuer = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()).issuer;
const adminToken = (await token(env("ADMIN_ID"), env("ADMIN_SECRET"), { audience: issuer })).body.access_token;
async function api(method, path, body) {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());

// What the quick start should say about the audience: none without configured audiences.
const settings = await api("GET", "/settings");
const audiences = settings.status === 200 ? settings.body.audiences : [];
const audience = audiences.length ? settings.body.default_audience || audiences[0] : null;
const serverTtl = settings.status === 200 ? settings.body.token_ttl_seconds : 3600;
const tokenEndpoint = settings.status === 200 ? settings.body.token_endpoint : `${issuer}/oauth/token`;

/** A JWT signed here: ES256 (with the JWS signature format, P1363) or RS256. */
function signJwt(header, body, key) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const data = `${part(header)}.${part(body)}`;
  const signature = header.alg === "ES256"
    ? crypto.sign("sha256", Buffer.from(data), { key, dsaEncoding: "ieee-p1363" })
    : crypto.sign("sha256", Buffer.from(data), key);
  return `${data}.${signature.toString("base64url")}`;
}
/** A client assertion (RFC 7523) signed here with the application's private key, for the token
 * endpoint, living 60 s, used once. */
function assertion(clientId, key, alg, kid) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, typ: "JWT", ...(kid ? { kid } : {}) };
  return signJwt(header, { iss: clientId, sub: clientId, aud: tokenEndpoint, iat: now, exp: now + 60, jti: crypto.randomUUID() }, key);
}
/** A client assertion at the token endpoint; a workload's token also names its client. */
async function tokenWithAssertion(jwt, extra = {}) {
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: jwt,
      ...extra,
    }),
  });
  return { status: res.status, body: await res.json() };
}

// The CI platform's token issuer: discovery, keys, and the endpoint a GitHub Actions job asks
// for its OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL, with the runner's request token). Snippets
// that reach it run asynchronously: this process serves it.
const workloadKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const workloadJwk = { ...workloadKey.publicKey.export({ format: "jwk" }), kid: "ci-key-1", use: "sig", alg: "ES256" };
const RUNNER_REQUEST_TOKEN = "runner-request-token";
const ciServer = http.createServer((req, res) => {
  const url = new URL(req.url, ciIssuer);
  res.setHeader("Content-Type", "application/json");
  if (url.pathname === "/.well-known/openid-configuration") {
    res.end(JSON.stringify({ issuer: ciIssuer, jwks_uri: `${ciIssuer}/keys` }));
  } else if (url.pathname === "/keys") {
    res.end(JSON.stringify({ keys: [workloadJwk] }));
  } else if (url.pathname === "/actions-token" && req.headers.authorization === `bearer ${RUNNER_REQUEST_TOKEN}`) {
    res.end(JSON.stringify({ value: workloadToken({ aud: url.searchParams.get("audience") }) }));
  } else {
    res.statusCode = 404;
    res.end("{}");
  }
});
await new Promise((resolve) => ciServer.listen(0, "127.0.0.1", resolve));
const ciIssuer = `http://127.0.0.1:${ciServer.address().port}`;
const workloadSubject = "repo:acme/billing:environment:production";
/** A token as GitHub Actions makes them, for a job of acme/billing's production environment,
 * meant for this server (the audience the console suggests). */
function workloadToken(changes = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ alg: "ES256", typ: "JWT", kid: workloadJwk.kid }, {
    iss: ciIssuer, aud: issuer, sub: workloadSubject, repository: "acme/billing", ref: "refs/heads/main",
    environment: "production", iat: now, exp: now + 300, ...changes,
  }, workloadKey.privateKey);
}
const run = promisify(execFile);

// A second organization with 62 clients, created oldest to newest (svc-001 … svc-062).
const globex = (await api("POST", "/organizations", { name: "Globex Logistics" })).body.id;
const fleet = {};
for (let i = 1; i <= 62; i++) {
  const name = `svc-${String(i).padStart(3, "0")}`;
  const created = await api("POST", `/organizations/${globex}/clients`, { name, roles: i % 5 === 0 ? ["billing:read"] : [] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  fleet[name] = created.body;
}
// Two of them have been used (last_used_at), so "recently used first" has something to sort.
for (const name of ["svc-007", "svc-042"]) {
  assert.equal((await token(fleet[name].client_id, fleet[name].client_secret)).status, 200);
}
const orgNames = Object.fromEntries((await api("GET", "/organizations")).body.map((o) => [o.id, o.name]));

// ---------- the browser ----------

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: consoleBase });
const page = await context.newPage();
/** A virtual passkey authenticator (a platform authenticator with user verification) for a
 * page: the device a person would touch. */
async function authenticatorFor(/** @type {import("playwright-core").Page} */ target) {
  const cdp = await target.context().newCDPSession(target);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId, credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials };
}
let device = await authenticatorFor(page);
async function invite(orgId, email, role) {
  const res = await api("POST", `/organizations/${orgId}/invitations`, { email, role });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.ok(res.body.invitation_url.startsWith(`${consoleBase}/console/#/invitation/`), res.body.invitation_url);
  return res.body.invitation_url;
}
const consoleErrors = [];
let provoking = null; // while set, network errors are the ones this test causes on purpose
let idpOrigin = null; // the OpenID Provider's pages are not the console's
page.on("console", (m) => {
  if (m.type() !== "error") return;
  if (provoking && /Failed to load resource|net::ERR_/.test(m.text())) return;
  const url = m.location().url || "";
  // An organization without single sign-on answers its GET …/sso with 404 (shown as such).
  if (/status of 404/.test(m.text()) && /\/admin\/v1\/organizations\/[^/]+\/sso$/.test(url)) return;
  // While the IdP's login page is open: its own resources, and the web font it asks Google
  // for (unreachable here).
  if (idpOrigin && url && !url.startsWith(consoleBase) && !url.startsWith(base)) return;
  consoleErrors.push(`${m.text()} (${url})`);
});
page.on("pageerror", (e) => consoleErrors.push(String(e)));

let shotNumber = 0;
/** `part`: one part of the page (a section far down a long page) instead of the screen. */
async function shot(name, part) {
  const path = join(shots, `${String(++shotNumber).padStart(2, "0")}-${name}.png`);
  // A dialog as the screen shows it; a page whole, cut at 2400 px (62 cards need not be one
  // 20 000 px image).
  if (part) {
    await part.screenshot({ path });
  } else if (await page.locator("dialog[open]").count()) {
    await page.screenshot({ path });
  } else {
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: page.viewportSize().width, height: Math.min(height, 2400) } });
  }
  console.log(`screenshot ${path}`);
}
/** axe-core on the page as it is: no serious or critical violation (experimental rules too). */
async function axe(name) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      resultTypes: ["violations"],
      rules: { "label-content-name-mismatch": { enabled: true }, "p-as-heading": { enabled: true } },
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `axe on ${name}`);
}
/** A screen: axe, a screenshot, and at 375 px no sideways scrolling. */
async function screen(name, part) {
  await page.evaluate(() => document.fonts.ready);
  await axe(name);
  const width = page.viewportSize().width;
  if (width < 500) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${width}px`);
  }
  await shot(name, part);
}

const status = page.locator("#status");
const rows = page.locator("#clients-body tr");
const count = page.locator("#clients-count");
const visibleSnippet = (scope) => page.locator(`${scope} [role=tabpanel]:not([hidden]) pre`);
const dialog = (title) => page.getByRole("dialog", { name: title });
const rowNames = () => page.locator("#clients-body tr th").allTextContents();
const ymd = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
const day = (offset) => ymd(new Date(Date.now() + offset * 86400000));
/** The visible count; after a load it is announced in the status region too. */
async function expectCount(text, { announced = false } = {}) {
  await count.filter({ hasText: text }).waitFor();
  if (announced) await status.filter({ hasText: text }).waitFor({ state: "attached" });
}
function runShell(snippet, extraEnv = {}) {
  const out = execFileSync("sh", ["-c", snippet], { env: { ...process.env, ...extraEnv }, timeout: 10000 }).toString();
  return JSON.parse(out);
}
function hasCommand(command) {
  try { execFileSync(command, ["--version"], { stdio: "ignore" }); return true; } catch { return false; }
}
function hasPython(module) {
  try { execFileSync(python, ["-c", `import ${module}`], { stdio: "ignore" }); return true; } catch { return false; }
}
async function closeSecretDialog() {
  await page.getByRole("button", { name: "I have stored it" }).click();
  const confirm = page.getByRole("button", { name: "Yes, close" });
  if (await confirm.isVisible()) await confirm.click();
  await page.locator("#secret-dialog").waitFor({ state: "hidden" });
}

try {
  // ---------- a person joins with an invitation and a passkey, signs out, signs in ----------
  await page.goto(`${consoleBase}/console`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await screen("sign-in");
  const invitationUrl = await invite(consoleOrg, "console@example.com", "platform:admin");
  await page.goto(invitationUrl);
  await page.getByText(`You are invited to join ${orgNames[consoleOrg]} as platform admin (console@example.com).`).waitFor();
  await page.getByRole("button", { name: "Create passkey and join" }).click();
  await page.getByText("Enter your name, as your colleagues will see it.").waitFor();
  await screen("invitation-validation");
  await page.getByRole("textbox", { name: "Your name" }).fill("console operator");
  await screen("invitation");
  await page.getByRole("button", { name: "Create passkey and join" }).click();
  // A platform admin lands on the organization picker; the user menu names the person.
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await page.locator("#whoami").filter({ hasText: "console operator" }).waitFor();
  const created = await device.credentials();
  assert.equal(created.length, 1, "one passkey on the device");
  assert.ok(created[0].isResidentCredential, "a discoverable credential");
  const invitationToken = invitationUrl.split("/").pop();
  assert.equal((await fetch(`${base}/auth/invitations/${invitationToken}`)).status, 404, "the link worked once");
  await page.locator("#user-menu summary").click();
  await page.locator("#user-menu-orgs").getByRole("link", { name: /Bootstrap organization/ }).waitFor();
  await screen("user-menu");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await screen("organizations");
  // A reload keeps the session (a cookie), and the page still knows who is signed in.
  await page.reload();
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await page.locator("#whoami").filter({ hasText: "console operator" }).waitFor();
  await page.getByRole("link", { name: /Acme Payments/ }).click();

  // ---------- Acme Payments: empty state, create, the secret once, the client page ----------
  await page.getByRole("heading", { name: "No clients yet" }).waitFor();
  await screen("clients-empty");

  await page.getByRole("button", { name: "Create client" }).click();
  const createDialog = dialog("Create client");
  await createDialog.getByRole("button", { name: "Create client" }).click();
  await createDialog.getByText("Enter a name for the client.").waitFor();
  const nameInput = createDialog.getByRole("textbox", { name: "Name" });
  assert.equal(await nameInput.getAttribute("aria-invalid"), "true");
  assert.equal(await nameInput.getAttribute("aria-describedby"), "client-name-error");
  await screen("create-client-validation");
  await nameInput.fill("billing-sync");
  assert.equal(await nameInput.getAttribute("aria-invalid"), null);
  await createDialog.getByRole("button", { name: "Add billing:read" }).click();
  await createDialog.getByRole("button", { name: "Remove billing:read" }).waitFor();
  await screen("create-client");
  await createDialog.getByRole("button", { name: "Create client" }).dblclick(); // still one client

  const secretDialog = dialog("Copy the secret now");
  await secretDialog.waitFor();
  await secretDialog.getByText("This secret will not be shown again.").waitFor();
  const clientId = await page.locator("#secret-client-id").inputValue();
  const secret = await page.locator("#secret-value").inputValue();
  assert.match(secret, /^oas_[0-9A-Za-z]{49}$/);
  // The quick start in the dialog has the real secret filled in: run the curl snippet as it is.
  const curlNow = await visibleSnippet("#secret-quickstart").textContent();
  assert.ok(curlNow.includes(secret) && curlNow.includes(clientId), curlNow);
  assert.equal(curlNow.includes("audience"), audience !== null, "audience only when configured");
  let issued = runShell(curlNow);
  assert.equal(claims(issued.access_token).client_id, clientId, "the copied curl gets this client a token");
  if (audience) assert.equal(claims(issued.access_token).aud, audience);
  await secretDialog.getByRole("tab", { name: "Node.js" }).click();
  const nodeNow = await visibleSnippet("#secret-quickstart").textContent();
  const nodeToken = execFileSync(process.execPath, ["--input-type=module", "-e", `${nodeNow}\nconsole.log(access_token);`], { timeout: 10000 }).toString().trim();
  assert.equal(claims(nodeToken).client_id, clientId, "the Node.js snippet works too");
  await secretDialog.getByRole("tab", { name: "curl" }).click();
  await screen("secret-shown-once");

  // Escape never loses the secret: it asks first.
  await page.keyboard.press("Escape");
  await secretDialog.getByText("Have you stored the secret? It will not be shown again.").waitFor();
  await screen("secret-confirm-close");
  await page.keyboard.press("Escape"); // Escape again: back to the secret, still open
  await secretDialog.getByRole("button", { name: "I have stored it" }).waitFor();
  await page.keyboard.press("Escape");
  await secretDialog.getByRole("button", { name: "No, go back" }).click();
  assert.equal(await page.locator("#secret-value").inputValue(), secret, "still on screen");
  await secretDialog.getByRole("button", { name: "Copy client secret" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await secretDialog.getByRole("button", { name: "I have stored it" }).click(); // copied: no question
  await secretDialog.waitFor({ state: "hidden" });
  assert.equal(await page.locator("#create-client").evaluate((b) => b === document.activeElement), true, "focus returns");

  let listed = await api("GET", `/organizations/${org}/clients`);
  assert.equal(listed.body.length, 1, "a double click on Save created one client");
  let got = await token(clientId, secret);
  assert.equal(got.status, 200, "the secret from the page gets a token");
  assert.equal(got.body.scope, "billing:read");
  const row = page.locator(`tr[data-client-id="${clientId}"]`);
  await row.waitFor();
  assert.ok((await row.textContent()).includes(secret.slice(-4)), "the list shows the hint");
  assert.ok(!(await page.content()).includes(secret), "the secret is gone from the page");
  await expectCount("1 of 1 client");
  assert.equal(await page.locator("#clients-body .danger, #clients-body button", { hasText: "Delete" }).count(), 0, "no Delete in the list");

  // The client page: details, quick start with a placeholder, activity.
  await row.getByRole("link", { name: "billing-sync" }).click();
  await page.getByRole("heading", { level: 1, name: "billing-sync" }).waitFor();
  assert.ok(page.url().endsWith(`#/orgs/${org}/clients/${clientId}`));
  await page.locator("#client-roles").filter({ hasText: "billing:read" }).waitFor();
  await page.locator("#client-activity li").filter({ hasText: "console operator created billing-sync with roles billing:read" }).waitFor();
  const curlLater = await visibleSnippet("#client-quickstart").textContent();
  assert.ok(curlLater.includes("$ORGAUTH_CLIENT_SECRET") && !curlLater.includes(secret), curlLater);
  assert.ok(curlLater.includes(clientId) && curlLater.includes("/oauth/token"));
  issued = runShell(curlLater, { ORGAUTH_CLIENT_SECRET: secret });
  assert.equal(claims(issued.access_token).client_id, clientId, "the placeholder curl works with the variable set");
  for (const language of ["Python", "Node.js", "Rust"]) {
    await page.locator("#client-quickstart").getByRole("tab", { name: language }).click();
    const text = await visibleSnippet("#client-quickstart").textContent();
    assert.ok(text.includes("ORGAUTH_CLIENT_SECRET") && text.includes(clientId), `${language}: ${text}`);
    assert.equal(text.includes("audience"), audience !== null, `${language} audience`);
    if (language === "Python" && hasPython("requests")) {
      const run = execFileSync(python, ["-c", `${text}\nprint(access_token)`], { env: { ...process.env, ORGAUTH_CLIENT_SECRET: secret }, timeout: 10000 });
      assert.equal(claims(run.toString().trim()).client_id, clientId, "the Python snippet works");
    }
  }
  await page.locator("#client-quickstart").getByRole("tab", { name: "curl" }).click();
  await page.keyboard.press("ArrowRight"); // the language tabs work from the keyboard
  assert.equal(await page.locator("#client-quickstart").getByRole("tab", { name: "Python" }).getAttribute("aria-selected"), "true");
  await page.keyboard.press("Home");
  await page.locator("#client-quickstart").getByRole("button", { name: "Copy curl snippet" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curlLater);
  await screen("client-page");

  // Edit roles there: the warning, then the change in place.
  await page.getByRole("button", { name: "Edit details" }).click();
  const editDialog = dialog("Edit billing-sync");
  await editDialog.getByText("Changing roles changes what this client can access. Tokens already issued keep their old roles until they expire.").waitFor();
  await editDialog.getByRole("button", { name: "Add billing:write" }).click();
  await screen("edit-roles");
  await editDialog.getByRole("button", { name: "Save" }).click();
  await page.locator("#client-roles").filter({ hasText: "billing:write" }).waitFor();
  assert.deepEqual((await api("GET", `/organizations/${org}/clients/${clientId}`)).body.roles, ["billing:read", "billing:write"]);
  assert.equal((await token(clientId, secret)).body.scope, "billing:read billing:write");
  await page.locator("#client-activity li").filter({ hasText: "console operator changed the roles of billing-sync: + billing:write" }).waitFor();

  // Rotate with a 1 hour grace period: both secrets work; the page says until when.
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const rotateDialog = dialog("Rotate secret");
  await rotateDialog.getByRole("radio", { name: "1 hour" }).check();
  await screen("rotate-confirm");
  await rotateDialog.getByRole("button", { name: "Rotate secret" }).click();
  await secretDialog.waitFor();
  const rotated = await page.locator("#secret-value").inputValue();
  assert.notEqual(rotated, secret);
  assert.ok((await visibleSnippet("#secret-quickstart").textContent()).includes(rotated));
  await secretDialog.getByRole("button", { name: "I have stored it" }).click(); // not copied: it asks
  await secretDialog.getByRole("button", { name: "Yes, close" }).click();
  await secretDialog.waitFor({ state: "hidden" });
  assert.equal((await token(clientId, secret)).status, 200, "the old secret works during the grace period");
  assert.equal((await token(clientId, rotated)).status, 200, "the new secret works");
  await page.locator("#client-grace").filter({ hasText: "still works until" }).waitFor();
  await page.locator("#client-hint").filter({ hasText: rotated.slice(-4) }).waitFor();
  await page.locator("#client-activity li").filter({ hasText: "console operator rotated the secret of billing-sync — old secret valid 1 h" }).first().waitFor();

  // Back: the list, updated in place.
  await page.goBack();
  await row.filter({ hasText: "billing:write" }).filter({ hasText: rotated.slice(-4) }).waitFor();
  await expectCount("1 of 1 client");

  // ---------- client lifecycle: details, disable and enable, secret expiry ----------
  await row.getByRole("link", { name: "billing-sync" }).click();
  await page.getByRole("heading", { level: 1, name: "billing-sync" }).waitFor();
  await page.getByRole("button", { name: "Edit details" }).click();
  const detailsDialog = dialog("Edit billing-sync");
  await detailsDialog.getByRole("textbox", { name: "Description" }).fill("Nightly invoice export");
  const ttlSelect = detailsDialog.getByRole("combobox", { name: "Token lifetime" });
  const ttlOffered = (await ttlSelect.locator("option").allTextContents()).slice(1);
  assert.deepEqual(ttlOffered, ["5 min", "15 min", "1 h"].slice(0, [300, 900, 3600].filter((s) => s <= serverTtl).length), "presets within the server's lifetime");
  await ttlSelect.selectOption({ label: "5 min" });
  await screen("edit-details");
  await detailsDialog.getByRole("button", { name: "Save" }).click();
  await page.locator("#client-ttl").filter({ hasText: "5 min" }).waitFor();
  await page.locator("#client-description").filter({ hasText: "Nightly invoice export" }).waitFor();
  let fresh = (await api("GET", `/organizations/${org}/clients/${clientId}`)).body;
  assert.equal(fresh.description, "Nightly invoice export");
  assert.equal(fresh.token_ttl_seconds, 300);
  assert.equal((await token(clientId, rotated)).body.expires_in, 300, "its own token lifetime applies");
  await page.locator("#client-activity li").filter({ hasText: "console operator changed the description of billing-sync to “Nightly invoice export” and set its token lifetime to 5 min" }).waitFor();

  // Disable: every token request refused, the tokens so far revoked; enable again (new tokens,
  // the revoked ones stay revoked).
  await page.getByRole("button", { name: "Disable client" }).click();
  const disableDialog = dialog("Disable billing-sync?");
  await disableDialog.getByText("Every token request of this client is refused, and the tokens issued to it so far are revoked").waitFor();
  await disableDialog.getByText("it then gets new tokens, but the revoked ones stay revoked").waitFor();
  await screen("disable-confirm");
  await disableDialog.getByRole("button", { name: "Disable client" }).click();
  await page.locator("#client-disabled-note").filter({ hasText: "This client is disabled." }).waitFor();
  await page.locator("#client-badges").filter({ hasText: "Disabled" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Enable client" }).evaluate((b) => b === document.activeElement), true, "focus back on the button");
  got = await token(clientId, rotated);
  assert.equal(got.status, 401);
  assert.equal(got.body.error, "invalid_client");
  assert.match(got.body.error_description, /the client is disabled/);
  assert.equal((await api("GET", `/organizations/${org}/clients/${clientId}`)).body.disabled, true);
  await page.locator("#client-activity li").filter({ hasText: "console operator disabled billing-sync" }).waitFor();
  await screen("client-disabled");
  await page.locator("#client-disable-text").filter({ hasText: "the revoked ones stay revoked" }).waitFor();
  await page.getByRole("button", { name: "Enable client" }).click();
  const enableDialog = dialog("Enable billing-sync?");
  await enableDialog.getByText("The tokens revoked when it was disabled stay revoked.").waitFor();
  await enableDialog.getByRole("button", { name: "Enable client" }).click();
  await page.locator("#client-disabled-note").waitFor({ state: "hidden" });
  assert.equal((await token(clientId, rotated)).status, 200, "enabled: tokens again");
  await page.locator("#client-activity li").filter({ hasText: "console operator enabled billing-sync" }).waitFor();

  // Rotate with an expiry: the page says when the secret stops working.
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const expirySelect = dialog("Rotate secret").getByRole("combobox", { name: "New secret expires" });
  assert.deepEqual(await expirySelect.locator("option").allTextContents(), ["Never", "In 30 days", "In 90 days", "In 365 days"]);
  await expirySelect.selectOption({ label: "In 30 days" });
  await dialog("Rotate secret").getByRole("button", { name: "Rotate secret" }).click();
  await secretDialog.waitFor();
  const expiring = await page.locator("#secret-value").inputValue();
  await closeSecretDialog();
  fresh = (await api("GET", `/organizations/${org}/clients/${clientId}`)).body;
  const expiresIn = new Date(fresh.client_secret_expires_at).getTime() - Date.now();
  assert.ok(Math.abs(expiresIn - 30 * 86400000) < 120000, `expires in 30 days: ${fresh.client_secret_expires_at}`);
  await page.locator("#client-expiry").filter({ hasText: "(in 30 days)" }).waitFor();
  assert.equal(await page.locator("#client-expiry .badge").count(), 0, "30 days away: no warning");
  await page.locator("#client-activity li").filter({ hasText: "rotated the secret of billing-sync — old secret stopped at once; the new secret expires" }).first().waitFor();
  assert.equal((await token(clientId, expiring)).status, 200);

  // ---------- workload identity: a trust policy, proven by tokens signed here ----------
  const policiesPath = `/organizations/${org}/clients/${clientId}/trust-policies`;
  await page.locator("#trust-empty").filter({ hasText: "No trust policies yet" }).waitFor();
  await page.getByRole("button", { name: "Add trust policy" }).click();
  const trustDialog = dialog("Add trust policy");
  assert.equal(await trustDialog.getByRole("radio", { name: "GitHub Actions" }).isChecked(), true, "GitHub Actions first");
  const issuerInput = trustDialog.getByRole("textbox", { name: "Issuer" });
  const subjectInput = trustDialog.getByRole("textbox", { name: "Subject" });
  const claimNames = trustDialog.getByRole("textbox", { name: "Claim" });
  const claimPatterns = trustDialog.getByRole("textbox", { name: "Must match" });
  assert.equal(await issuerInput.inputValue(), "https://token.actions.githubusercontent.com");
  assert.equal(await subjectInput.inputValue(), "repo:OWNER/REPO:environment:ENV");
  assert.deepEqual([await claimNames.nth(0).inputValue(), await claimNames.nth(1).inputValue()], ["repository", "ref"]);
  const audienceSelect = trustDialog.getByRole("combobox", { name: "Audience" });
  assert.equal(await audienceSelect.inputValue(), issuer, "the server's issuer first");
  assert.deepEqual(await audienceSelect.locator("option").evaluateAll((options) => options.map((o) => o.value)), [issuer, ...audiences], "only this server's names");
  await trustDialog.getByText("stands for any run of characters").waitFor();
  // The template's placeholders must be replaced: each field says so, and clears as it is edited.
  await trustDialog.getByRole("button", { name: "Add trust policy" }).click();
  await trustDialog.getByText("Replace OWNER, REPO and ENV with the workload's own values.").waitFor();
  await trustDialog.getByText("Replace OWNER and REPO with the workload's own values.").waitFor();
  assert.equal(await subjectInput.getAttribute("aria-invalid"), "true");
  assert.equal(await subjectInput.evaluate((input) => input === document.activeElement), true, "focus on the first problem");
  await screen("add-trust-policy-validation");
  await subjectInput.fill(workloadSubject);
  assert.equal(await subjectInput.getAttribute("aria-invalid"), null, "the message clears as you type");
  await claimPatterns.nth(0).fill("acme/billing");
  assert.equal(await claimPatterns.nth(0).getAttribute("aria-invalid"), null);
  await issuerInput.fill(ciIssuer); // the test's issuer plays GitHub's
  await trustDialog.getByRole("button", { name: "Remove claim ref" }).click();
  assert.equal(await claimNames.count(), 1);
  // A claim only the server refuses: its message at the claim's row, nothing created.
  await trustDialog.getByRole("button", { name: "Add claim" }).click();
  await claimNames.nth(1).fill("aud");
  await claimPatterns.nth(1).fill("anything");
  provoking = "the server's 422";
  await trustDialog.getByRole("button", { name: "Add trust policy" }).click();
  await trustDialog.getByText("aud is checked by the policy's own fields").waitFor();
  provoking = null;
  assert.equal(await claimNames.nth(1).getAttribute("aria-invalid"), "true");
  assert.deepEqual((await api("GET", policiesPath)).body, [], "nothing created");
  await trustDialog.getByRole("button", { name: "Remove claim aud" }).click();
  await screen("add-trust-policy");
  await trustDialog.getByRole("button", { name: "Add trust policy" }).click();
  const trustAdded = dialog("Trust policy added");
  await trustAdded.waitFor();
  const policies = (await api("GET", policiesPath)).body;
  assert.equal(policies.length, 1);
  const policy = policies[0];
  assert.deepEqual({ issuer: policy.issuer, jwks_uri: policy.jwks_uri, audience: policy.audience, subject: policy.subject, claims: policy.claims },
    { issuer: ciIssuer, jwks_uri: null, audience: issuer, subject: workloadSubject, claims: { repository: "acme/billing" } });

  // The workload's quick start: the workflow's step runs as a job would, with the test's issuer
  // as GitHub's token endpoint; then the curl exchange with the platform's token in a variable.
  const workflow = await visibleSnippet("#workload-quickstart").textContent();
  for (const part of ["id-token: write", `"$ACTIONS_ID_TOKEN_REQUEST_URL&audience=${issuer}"`, `client_id=${clientId}`, "environment: production"]) {
    assert.ok(workflow.includes(part), `the workflow has ${part}:\n${workflow}`);
  }
  if (hasCommand("jq") && hasCommand("bash")) {
    const step = workflow.split("run: |\n")[1].split("\n").map((line) => line.replace(/^ {10}/, "")).join("\n");
    const githubEnv = join(tmpdir(), `orgauth-e2e-github-env-${process.pid}`);
    rmSync(githubEnv, { force: true });
    await run("bash", ["-eo", "pipefail", "-c", step], {
      timeout: 10000,
      env: { ...process.env, ACTIONS_ID_TOKEN_REQUEST_URL: `${ciIssuer}/actions-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: RUNNER_REQUEST_TOKEN, GITHUB_ENV: githubEnv },
    });
    const fromStep = readFileSync(githubEnv, "utf8").trim().replace(/^ORGAUTH_TOKEN=/, "");
    rmSync(githubEnv, { force: true });
    assert.equal(claims(fromStep).client_id, clientId, "the workflow's step gets billing-sync's token");
    if (audience) assert.equal(claims(fromStep).aud, audience);
  }
  await trustAdded.getByRole("tab", { name: "curl" }).click();
  const exchangeCurl = await visibleSnippet("#workload-quickstart").textContent();
  assert.ok(exchangeCurl.includes("$WORKLOAD_TOKEN") && exchangeCurl.includes(clientId), exchangeCurl);
  const exchanged = JSON.parse((await run("sh", ["-c", exchangeCurl], { timeout: 10000, env: { ...process.env, WORKLOAD_TOKEN: workloadToken() } })).stdout);
  assert.equal(claims(exchanged.access_token).client_id, clientId, "the curl exchange works with the token in its variable");
  if (audience) assert.equal(claims(exchanged.access_token).aud, audience);
  await trustAdded.getByRole("tab", { name: "GitHub workflow" }).click();
  await screen("trust-policy-added");
  await trustAdded.getByRole("button", { name: "Done" }).click();
  await trustAdded.waitFor({ state: "hidden" });
  assert.equal(await page.getByRole("button", { name: "Add trust policy" }).evaluate((b) => b === document.activeElement), true, "focus returns");

  // Tokens signed here: this workload's gets billing-sync's token, another repository's does not.
  got = await tokenWithAssertion(workloadToken(), { client_id: clientId });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(claims(got.body.access_token).client_id, clientId, "the workload's token acts as billing-sync");
  assert.equal(got.body.scope, "billing:read billing:write");
  assert.equal((await tokenWithAssertion(workloadToken({ repository: "acme/other" }), { client_id: clientId })).status, 401, "another repository's token is refused");
  const policyItem = page.locator(`#trust-list li[data-policy-id="${policy.id}"]`);
  await policyItem.filter({ hasText: workloadSubject }).filter({ hasText: "repository = acme/billing" }).filter({ hasText: ciIssuer }).waitFor();
  await policyItem.getByRole("heading", { name: "GitHub-style tokens" }).waitFor();
  const trustedSentence = `console operator trusted GitHub-style tokens of ${ciIssuer} with subject ${workloadSubject} for billing-sync, when repository is acme/billing`;
  await page.locator("#client-activity li").filter({ hasText: trustedSentence }).waitFor();
  await screen("trust-policies", page.locator("#client-trust"));
  await policyItem.getByRole("button", { name: "Quick start" }).click();
  await dialog("Workload quick start").getByRole("tab", { name: "GitHub workflow" }).waitFor();
  await page.keyboard.press("Escape");

  // Delete it in the console: the workload's token is refused at once.
  await policyItem.getByRole("button", { name: "Delete trust policy" }).click();
  const deleteTrust = dialog("Delete this trust policy?");
  await deleteTrust.getByText("Tokens of this workload stop being accepted at once").waitFor();
  await screen("delete-trust-policy");
  await deleteTrust.getByRole("button", { name: "Delete trust policy" }).click();
  await page.locator("#trust-empty").filter({ hasText: "No trust policies yet" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Add trust policy" }).evaluate((b) => b === document.activeElement), true, "focus on the section, not lost");
  assert.deepEqual((await api("GET", policiesPath)).body, []);
  got = await tokenWithAssertion(workloadToken(), { client_id: clientId });
  assert.equal(got.status, 401, "deleted: the workload's token is refused at once");
  assert.equal(got.body.error, "invalid_client");
  await page.locator("#client-activity li").filter({ hasText: "console operator removed a trust policy of billing-sync" }).waitFor();

  // Secrets near or past their expiry, and a disabled client, made through the API: flagged in
  // the list (in words, not only colour) and refused at the token endpoint when expired.
  const soon = await api("POST", `/organizations/${org}/clients`, { name: "expiring-soon", roles: [], client_secret_expires_at: new Date(Date.now() + 5 * 86400000).toISOString() });
  const lapsed = await api("POST", `/organizations/${org}/clients`, { name: "legacy-export", roles: [], client_secret_expires_at: new Date(Date.now() + 5000).toISOString() });
  const paused = await api("POST", `/organizations/${org}/clients`, { name: "paused-sync", roles: [], disabled: true });
  for (const made of [soon, lapsed, paused]) assert.equal(made.status, 201, JSON.stringify(made.body));

  // ---------- private_key_jwt: a pasted public key, proven by a real assertion ----------
  const ecKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ecJwk = { ...ecKey.publicKey.export({ format: "jwk" }), kid: "billing-keys-1" };
  await page.getByRole("link", { name: "Clients", exact: true }).click();
  await page.getByRole("button", { name: "Create client" }).click();
  const keyDialog = dialog("Create client");
  await keyDialog.getByRole("textbox", { name: "Name" }).fill("billing-keys");
  await keyDialog.getByRole("radio", { name: "Public key (private_key_jwt)" }).check();
  assert.ok(await keyDialog.getByRole("combobox", { name: "Secret expires" }).isHidden(), "a key client has no secret to expire");
  const keyInput = keyDialog.getByRole("textbox", { name: "Public key" });
  await keyInput.fill("{ not json");
  await keyDialog.getByRole("button", { name: "Create client" }).click();
  await keyDialog.getByText("This is not valid JSON.").waitFor();
  assert.equal(await keyInput.getAttribute("aria-invalid"), "true");
  await screen("create-key-validation");
  await keyInput.fill(JSON.stringify(ecKey.privateKey.export({ format: "jwk" })));
  await keyDialog.getByRole("button", { name: "Create client" }).click();
  await keyDialog.getByText("This is a private key (it has \"d\").").waitFor();
  const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "jwk" });
  await keyInput.fill(JSON.stringify(p384));
  provoking = "the server's 422";
  await keyDialog.getByRole("button", { name: "Create client" }).click();
  await page.locator("#form-keys-error").filter({ hasText: "has an EC key not on P-256" }).waitFor(); // the server's 422, at the field
  provoking = null;
  assert.equal((await api("GET", `/organizations/${org}/clients?q=billing-keys`)).body.length, 0, "nothing created");
  await keyInput.fill(JSON.stringify(ecJwk, null, 2)); // one JWK: the console wraps it in a set
  await screen("create-key-client");
  await keyDialog.getByRole("button", { name: "Create client" }).click();
  const keysCreated = dialog("Client billing-keys created");
  await keysCreated.waitFor();
  const keyClientId = await page.locator("#keys-created-id").inputValue();
  assert.equal(await page.locator("#secret-dialog").isVisible(), false, "no secret dialog");
  let keyClient = (await api("GET", `/organizations/${org}/clients/${keyClientId}`)).body;
  assert.equal(keyClient.token_endpoint_auth_method, "private_key_jwt");
  assert.deepEqual(keyClient.jwks, { keys: [ecJwk] });
  assert.equal(keyClient.secret_hint, "");
  got = await tokenWithAssertion(assertion(keyClientId, ecKey.privateKey, "ES256", ecJwk.kid));
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(claims(got.body.access_token).client_id, keyClientId, "the pasted key gets a token");
  // The quick start: curl with the assertion in its variable, and authlib where installed.
  await keysCreated.getByRole("tab", { name: "curl" }).click();
  const assertionCurl = await visibleSnippet("#keys-created-quickstart").textContent();
  assert.ok(assertionCurl.includes("client_assertion_type") && assertionCurl.includes(keyClientId), assertionCurl);
  assert.equal(assertionCurl.includes("audience"), audience !== null, "audience only when configured");
  issued = runShell(assertionCurl, { ORGAUTH_CLIENT_ASSERTION: assertion(keyClientId, ecKey.privateKey, "ES256") });
  assert.equal(claims(issued.access_token).client_id, keyClientId, "the curl snippet works with a signed assertion");
  if (audience) assert.equal(claims(issued.access_token).aud, audience);
  await keysCreated.getByRole("tab", { name: "Python" }).click();
  const authlib = await visibleSnippet("#keys-created-quickstart").textContent();
  assert.ok(authlib.includes("PrivateKeyJWT") && authlib.includes(keyClientId) && authlib.includes(tokenEndpoint), authlib);
  assert.ok(authlib.includes('"/path/to/private-key.pem"') && authlib.includes('alg="ES256"'));
  if (hasPython("authlib")) {
    const pem = join(tmpdir(), `orgauth-e2e-${process.pid}.pem`);
    writeFileSync(pem, ecKey.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    const run = execFileSync(python, ["-c", `${authlib.replace("/path/to/private-key.pem", pem)}\nprint(access_token)\nprint(get_access_token())`], { timeout: 15000 });
    const [first, second] = run.toString().trim().split("\n");
    assert.equal(claims(first).client_id, keyClientId, "the authlib snippet works");
    assert.equal(claims(second).client_id, keyClientId, "and again (a new assertion each time)");
  }
  await page.locator("#keys-created-dialog").evaluate((d) => d.scrollTo(0, 0));
  await screen("key-client-created");
  await keysCreated.getByRole("button", { name: "Done" }).click();
  await keysCreated.waitFor({ state: "hidden" });
  assert.equal(await page.locator("#create-client").evaluate((b) => b === document.activeElement), true, "focus returns");
  const keyRow = page.locator(`tr[data-client-id="${keyClientId}"]`);
  await keyRow.locator(".badge", { hasText: "Key" }).waitFor();

  // Its page: the key described (type, key ID, thumbprint), the key quick start.
  await keyRow.getByRole("link", { name: "billing-keys" }).click();
  await page.locator("#client-method").filter({ hasText: "Public key (private_key_jwt)" }).waitFor();
  const jwkThumbprint = (jwk) => crypto.createHash("sha256").update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest("base64url");
  await page.locator("#client-keys li").filter({ hasText: "EC P-256" }).filter({ hasText: "billing-keys-1" }).filter({ hasText: jwkThumbprint(ecJwk) }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Rotate secret" }).isHidden(), "nothing to rotate");
  await page.locator("#client-quickstart").getByRole("tab", { name: "Python" }).waitFor();
  await page.locator("#client-activity li").filter({ hasText: "console operator created billing-keys with no roles, authenticating with a public key (private_key_jwt)" }).waitFor();
  await screen("key-client-page");

  // Replace keys: the next key beside the current one (a rollover); both sign.
  const rsaKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const rsaJwk = { ...rsaKey.publicKey.export({ format: "jwk" }), kid: "billing-keys-2" };
  await page.getByRole("button", { name: "Replace keys" }).click();
  const replaceDialog = dialog("Replace the keys of billing-keys");
  const keysInput = replaceDialog.getByRole("textbox", { name: "Public keys" });
  const current = JSON.parse(await keysInput.inputValue());
  assert.deepEqual(current, { keys: [ecJwk] }, "prefilled with the current keys");
  await keysInput.fill(JSON.stringify({ keys: [ecJwk, rsaJwk] }, null, 2));
  await screen("replace-keys");
  await replaceDialog.getByRole("button", { name: "Replace keys" }).click();
  await page.locator("#client-keys li").filter({ hasText: "RSA 2048-bit" }).waitFor();
  assert.equal(await page.locator("#client-keys li").count(), 2);
  assert.equal((await tokenWithAssertion(assertion(keyClientId, rsaKey.privateKey, "RS256", rsaJwk.kid))).status, 200, "the new key signs");
  assert.equal((await tokenWithAssertion(assertion(keyClientId, ecKey.privateKey, "ES256", ecJwk.kid))).status, 200, "the old one still does");

  // Keys published at an address instead (jwks_uri, through the API): the page says where, as
  // text; the console neither links to it nor fetches it. Then the registered keys again.
  const keysAt = "https://keys.example.com/billing-keys/jwks.json";
  const keyClientPath = `/organizations/${org}/clients/${keyClientId}`;
  assert.equal((await api("PATCH", keyClientPath, { jwks_uri: keysAt })).status, 200);
  await page.getByRole("link", { name: "← All clients" }).click();
  await keyRow.getByRole("link", { name: "billing-keys" }).click();
  await page.locator("#client-keys li").filter({ hasText: `Published by the application at ${keysAt}` }).waitFor();
  assert.equal(await page.locator("#client-keys li").count(), 1);
  assert.equal(await page.locator("#client-keys a").count(), 0, "the address is text, not a link");
  await screen("key-client-published");
  assert.equal((await api("PATCH", keyClientPath, { jwks: { keys: [ecJwk, rsaJwk] } })).status, 200);
  await page.getByRole("link", { name: "← All clients" }).click();
  await keyRow.getByRole("link", { name: "billing-keys" }).click();
  await page.locator("#client-keys li").filter({ hasText: "RSA 2048-bit" }).waitFor();

  // Switch to a secret: the keys stop at once; the console offers the secret right away.
  await page.getByRole("button", { name: "Switch to secret" }).click();
  const toSecret = dialog("Switch billing-keys to a secret?");
  await toSecret.getByText("Its public keys are removed and stop working at once").waitFor();
  await screen("switch-to-secret-confirm");
  await toSecret.getByRole("button", { name: "Switch to secret" }).click();
  const createSecret = dialog("Create a secret");
  await createSecret.waitFor();
  assert.ok(await createSecret.getByRole("radio", { name: "1 hour" }).isHidden(), "no old secret to keep");
  assert.equal((await tokenWithAssertion(assertion(keyClientId, ecKey.privateKey, "ES256", ecJwk.kid))).status, 401, "keys refused once switched");
  await screen("create-secret");
  await createSecret.getByRole("button", { name: "Create secret" }).click();
  await secretDialog.waitFor();
  const keySecret = await page.locator("#secret-value").inputValue();
  await closeSecretDialog();
  assert.equal((await token(keyClientId, keySecret)).status, 200, "the new secret works");
  await page.locator("#client-method").filter({ hasText: "Secret (client_secret_basic)" }).waitFor();
  await page.locator("#client-hint").filter({ hasText: keySecret.slice(-4) }).waitFor();

  // And back to a public key: the secret stops at once.
  await page.getByRole("button", { name: "Switch to public key" }).click();
  const toKey = dialog("Switch billing-keys to a public key");
  await toKey.getByText("The client's secret stops working at once").waitFor();
  await toKey.getByRole("textbox", { name: "Public keys" }).fill(JSON.stringify(ecJwk));
  await screen("switch-to-key");
  await toKey.getByRole("button", { name: "Switch to public key" }).click();
  await page.locator("#client-method").filter({ hasText: "Public key (private_key_jwt)" }).waitFor();
  assert.equal((await token(keyClientId, keySecret)).status, 401, "the secret is gone");
  assert.equal((await tokenWithAssertion(assertion(keyClientId, ecKey.privateKey, "ES256", ecJwk.kid))).status, 200);
  await page.locator("#client-activity li").filter({ hasText: "console operator switched billing-keys to a client secret (client_secret_basic)" }).waitFor();
  await page.locator("#client-activity li").filter({ hasText: "console operator switched billing-keys to private_key_jwt (1 key: EC P-256 “billing-keys-1”)" }).first().waitFor();

  // ---------- the organization's maximum secret lifetime (platform admin) ----------
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Organization settings" }).waitFor();
  await page.locator("#org-max-current").filter({ hasText: "No maximum" }).waitFor();
  await page.getByRole("combobox", { name: "New maximum" }).selectOption({ label: "90 days" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.locator("#org-max-current").filter({ hasText: "90 days" }).waitFor();
  await status.filter({ hasText: "the maximum secret lifetime is now 90 days" }).waitFor({ state: "attached" });
  assert.equal((await api("GET", `/organizations/${org}`)).body.max_secret_lifetime_seconds, 90 * 86400);
  await screen("org-settings");
  // New secrets follow it: the create dialog offers it, and the server applies it.
  await page.getByRole("link", { name: "Clients", exact: true }).click();
  await page.getByRole("button", { name: "Create client" }).click();
  const cappedDialog = dialog("Create client");
  await cappedDialog.getByText("This organization's secrets work for at most 90 days.").waitFor();
  assert.deepEqual(await cappedDialog.getByRole("combobox", { name: "Secret expires" }).locator("option").allTextContents(), ["In 90 days (the maximum)", "In 30 days"]);
  await cappedDialog.getByRole("textbox", { name: "Name" }).fill("capped-export");
  await cappedDialog.getByRole("combobox", { name: "Secret expires" }).scrollIntoViewIfNeeded();
  await screen("create-client-capped");
  await cappedDialog.getByRole("button", { name: "Create client" }).click();
  await secretDialog.waitFor();
  const cappedId = await page.locator("#secret-client-id").inputValue();
  await closeSecretDialog();
  const capped = (await api("GET", `/organizations/${org}/clients/${cappedId}`)).body;
  assert.ok(Math.abs(new Date(capped.client_secret_expires_at).getTime() - Date.now() - 90 * 86400000) < 120000, capped.client_secret_expires_at);

  // The list flags what needs attention, in words: loaded afresh once legacy-export's secret
  // has lapsed (its expiry was 5 s after it was made).
  const lapsedAt = new Date(lapsed.body.client_secret_expires_at).getTime();
  await page.waitForTimeout(Math.max(0, lapsedAt - Date.now() + 1000));
  await page.getByRole("combobox", { name: "Sort by" }).selectOption({ label: "Oldest first" });
  await expectCount("6 of 6 clients");
  await page.getByRole("combobox", { name: "Sort by" }).selectOption({ label: "Name, A to Z" });
  await expectCount("6 of 6 clients");
  const flagged = (name) => page.locator("#clients-body tr").filter({ has: page.getByRole("link", { name, exact: true }) });
  await flagged("expiring-soon").locator(".badge", { hasText: "Expires in 5 days" }).waitFor();
  await flagged("legacy-export").locator(".badge", { hasText: "Expired" }).waitFor();
  await flagged("paused-sync").locator(".badge", { hasText: "Disabled" }).waitFor();
  await flagged("billing-keys").locator(".badge", { hasText: "Key" }).waitFor();
  assert.equal(await flagged("billing-sync").locator(".badge").count(), 0, "30 days away, enabled: nothing to flag");
  got = await token(lapsed.body.client_id, lapsed.body.client_secret);
  assert.equal(got.status, 401);
  assert.match(got.body.error_description, /the client secret has expired/);
  await screen("clients-flagged");
  await page.getByRole("link", { name: "expiring-soon", exact: true }).click();
  await page.locator("#client-expiry .badge").filter({ hasText: "Expires in 5 days" }).waitFor();
  await page.getByRole("link", { name: "← All clients" }).click();
  await expectCount("6 of 6 clients");

  // The audit log tells the story in sentences.
  await page.getByRole("link", { name: "Audit log" }).click();
  const acmeEvents = page.locator("#audit-list li");
  for (const text of [
    "console operator disabled billing-sync",
    "console operator enabled billing-sync",
    "console operator set the maximum secret lifetime to 90 days (previously none)",
    "console operator replaced the keys of billing-keys (2 keys: EC P-256 “billing-keys-1”, RSA 2048-bit “billing-keys-2”)",
    "console operator changed the description of billing-sync to “Nightly invoice export” and set its token lifetime to 5 min",
    "created paused-sync with no roles, disabled",
    `console operator trusted GitHub-style tokens of ${ciIssuer} with subject ${workloadSubject} for billing-sync, when repository is acme/billing`,
    "console operator removed a trust policy of billing-sync",
  ]) await acmeEvents.filter({ hasText: text }).first().waitFor();
  await screen("audit-lifecycle");
  await page.getByRole("combobox", { name: "Action" }).selectOption({ label: "Client disabled" });
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-list li")].every((li) => li.dataset.action === "client.disabled"));
  assert.equal(await acmeEvents.count(), 1);
  await page.getByRole("combobox", { name: "Action" }).selectOption({ label: "Trust policy deleted" });
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-list li")].every((li) => li.dataset.action === "trust_policy.deleted"));
  await acmeEvents.filter({ hasText: "removed a trust policy of billing-sync" }).waitFor();
  assert.equal(await acmeEvents.count(), 1);
  await page.getByRole("combobox", { name: "Action" }).selectOption({ label: "Organization settings changed" });
  await acmeEvents.filter({ hasText: "set the maximum secret lifetime to 90 days" }).waitFor();
  assert.equal(await acmeEvents.count(), 1);
  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByRole("link", { name: "Clients", exact: true }).click();
  await expectCount("6 of 6 clients");

  // ---------- Globex Logistics: 62 clients ----------
  await page.getByRole("link", { name: "Change organization" }).click();
  await page.getByRole("link", { name: /Globex Logistics/ }).click();
  await expectCount("50 of 62 clients", { announced: true });
  assert.equal((await rowNames())[0], "svc-062", "newest first");
  await screen("clients-list");
  await page.getByRole("button", { name: "Load more" }).click();
  await expectCount("62 of 62 clients", { announced: true });
  assert.equal(await rows.count(), 62);
  assert.equal((await rowNames()).at(-1), "svc-001");
  assert.ok(await page.getByRole("button", { name: "Load more" }).isHidden());

  // Create after "Load more": at the top, every loaded row kept, the scroll position kept.
  await page.evaluate(() => window.scrollTo(0, 150));
  await page.getByRole("button", { name: "Create client" }).click();
  await dialog("Create client").getByRole("textbox", { name: "Name" }).fill("zeta-new");
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 100);
  await dialog("Create client").getByRole("button", { name: "Create client" }).click();
  await secretDialog.waitFor();
  await closeSecretDialog();
  await expectCount("63 of 63 clients");
  assert.equal(await rows.count(), 63);
  assert.equal((await rowNames())[0], "zeta-new", "the new client is at the top");
  assert.ok(Math.abs((await page.evaluate(() => window.scrollY)) - scrolled) < 100, "scroll kept");

  // Edit a client from the second page: updated where it is; Back returns to the same place.
  const namesBefore = await rowNames();
  await page.getByRole("link", { name: "svc-003", exact: true }).scrollIntoViewIfNeeded();
  const listScroll = await page.evaluate(() => window.scrollY);
  assert.ok(listScroll > 1000);
  const index = namesBefore.indexOf("svc-003");
  await page.getByRole("link", { name: "svc-003", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "svc-003" }).waitFor();
  await page.getByRole("button", { name: "Edit details" }).click();
  await dialog("Edit svc-003").getByRole("textbox", { name: "Name" }).fill("svc-003-renamed");
  await dialog("Edit svc-003").getByRole("button", { name: "Add billing:read" }).click();
  await dialog("Edit svc-003").getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "svc-003-renamed" }).waitFor();
  await page.goBack();
  await expectCount("63 of 63 clients");
  const namesAfter = await rowNames();
  assert.equal(namesAfter[index], "svc-003-renamed", "edited in place");
  assert.equal(namesAfter.length, 63);
  assert.ok(Math.abs((await page.evaluate(() => window.scrollY)) - listScroll) <= 2, "back at the same place in the list");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "svc-003-renamed", "focus on the row it came from");

  // Delete from the client page's danger zone: the row goes, the count follows.
  const doomed = fleet["svc-002"].client_id;
  await page.getByRole("link", { name: "svc-002", exact: true }).click();
  await page.getByRole("heading", { name: "Danger zone" }).waitFor();
  await page.getByRole("button", { name: "Delete client" }).click();
  await dialog("Delete client").getByText("Any application using this client will lose access immediately.").waitFor();
  await screen("delete-confirm");
  await dialog("Delete client").getByRole("button", { name: "Delete client" }).click();
  await expectCount("62 of 62 clients");
  assert.equal(await rows.count(), 62);
  assert.ok(!(await rowNames()).includes("svc-002"));
  assert.equal((await api("GET", `/organizations/${globex}/clients/${doomed}`)).status, 404);
  assert.equal((await token(doomed, fleet["svc-002"].client_secret)).status, 401);

  // ---------- search: debounced, served by the API, a stale answer never wins ----------
  const searches = [];
  page.on("request", (r) => { if (r.url().includes("/clients?") && new URL(r.url()).searchParams.has("q")) searches.push(new URL(r.url()).searchParams.get("q")); });
  await page.getByRole("searchbox", { name: "Search" }).pressSequentially("svc-01", { delay: 40 });
  await expectCount("10 of 10 clients matching “svc-01”", { announced: true });
  assert.equal(searches.at(-1), "svc-01");
  assert.ok(searches.length < 6, `debounced: ${searches} for six keystrokes`);
  assert.ok((await rowNames()).every((n) => n.includes("svc-01")));
  await screen("search");

  const slow = (url) => new URL(url).searchParams.get("q") === "svc-0";
  await page.route(slow, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await route.continue().catch(() => {});
  });
  provoking = "a superseded search";
  await page.getByRole("searchbox", { name: "Search" }).fill("svc-0");
  await page.waitForRequest((r) => slow(r.url()));
  await page.getByRole("searchbox", { name: "Search" }).fill("svc-04");
  await expectCount("10 of 10 clients matching “svc-04”");
  await page.waitForTimeout(1400); // the slow answer for "svc-0" would have come by now
  await expectCount("10 of 10 clients matching “svc-04”");
  await page.unroute(slow);
  provoking = null;

  // Search by client ID prefix; search composes with "Load more".
  await page.getByRole("searchbox", { name: "Search" }).fill(fleet["svc-042"].client_id.slice(0, 10));
  await page.locator("#clients-body th").filter({ hasText: "svc-042" }).waitFor();
  await page.getByRole("searchbox", { name: "Search" }).fill("svc");
  await expectCount("50 of 61 clients matching “svc”");
  await page.getByRole("button", { name: "Load more" }).click();
  await expectCount("61 of 61 clients matching “svc”");
  assert.ok((await rowNames()).every((n) => n.includes("svc")));

  // A search that finds nothing.
  await page.getByRole("searchbox", { name: "Search" }).fill("no-such-client");
  await page.getByText("No clients match “no-such-client”.").waitFor();
  await screen("search-no-match");
  await page.getByRole("button", { name: "Clear search" }).click();
  await expectCount("50 of 62 clients");

  // ---------- sort ----------
  const sortBy = page.getByRole("combobox", { name: "Sort by" });
  await sortBy.selectOption({ label: "Name, A to Z" });
  const byName = (await api("GET", `/organizations/${globex}/clients?sort=name&limit=200`)).body.map((c) => c.name);
  await page.locator("#clients-body tr:first-child th").filter({ hasText: byName[0] }).waitFor();
  await page.getByRole("button", { name: "Load more" }).click();
  await expectCount("62 of 62 clients");
  assert.deepEqual(await rowNames(), byName, "sorted by name across pages");
  await sortBy.selectOption({ label: "Name, Z to A" });
  await page.locator("#clients-body tr:first-child th").filter({ hasText: "zeta-new" }).waitFor();
  await sortBy.selectOption({ label: "Recently used first" });
  await page.locator("#clients-body tr:first-child th").filter({ hasText: /svc-042|svc-007/ }).waitFor();
  assert.deepEqual((await rowNames()).slice(0, 2).sort(), ["svc-007", "svc-042"]);
  await screen("sorted-recently-used");
  await sortBy.selectOption({ label: "Newest first" });
  await page.locator("#clients-body tr:first-child th").filter({ hasText: "zeta-new" }).waitFor();

  // ---------- errors in place, with Retry; the last data stays ----------
  provoking = "offline";
  await context.setOffline(true);
  await page.getByRole("searchbox", { name: "Search" }).fill("svc-05");
  const listError = page.locator("#clients-error");
  await listError.filter({ hasText: "Cannot reach the server" }).waitFor();
  assert.equal(await rows.count(), 50, "the last data is kept");
  assert.equal(await page.getByRole("alert").filter({ hasText: "Cannot reach the server" }).count(), 1, "shown once");
  await screen("offline-error");
  await context.setOffline(false);
  await listError.getByRole("button", { name: "Retry" }).click();
  await expectCount("10 of 10 clients matching “svc-05”");
  assert.ok(await listError.isHidden());

  // A 503 on "Load more": the error next to the button, Retry loads the page.
  await page.getByRole("searchbox", { name: "Search" }).fill("");
  await expectCount("50 of 62 clients");
  const unavailable = (url) => url.pathname.startsWith("/admin/v1/");
  await page.route(unavailable, (route) => route.fulfill({
    status: 503,
    contentType: "application/problem+json",
    body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, detail: "try again shortly" }),
  }));
  provoking = "503";
  await page.getByRole("button", { name: "Load more" }).click();
  const moreError = page.locator("#more-clients-error");
  await moreError.filter({ hasText: "briefly unavailable" }).waitFor();
  assert.equal(await rows.count(), 50);
  assert.ok(await listError.isHidden(), "one error, where it happened");
  // The client page keeps what the list knew and says it could not refresh.
  await page.getByRole("link", { name: "svc-061", exact: true }).click();
  await page.locator("#client-error").filter({ hasText: "Could not load this client" }).waitFor();
  assert.equal(await page.locator("#client-id-value").textContent(), fleet["svc-061"].client_id);
  await screen("client-page-error");
  await page.unroute(unavailable);
  await page.locator("#client-error").getByRole("button", { name: "Retry" }).click();
  await page.locator("#client-error").waitFor({ state: "hidden" });
  await page.locator("#client-activity li").filter({ hasText: "created svc-061" }).waitFor();
  await page.goBack();
  await moreError.getByRole("button", { name: "Retry" }).click();
  await expectCount("62 of 62 clients");
  provoking = null;

  // ---------- the audit log: sentences and filters ----------
  await page.getByRole("link", { name: "Audit log" }).click();
  const events = page.locator("#audit-list li");
  await events.filter({ hasText: "console operator deleted svc-002" }).waitFor();
  await events.filter({ hasText: "console operator created zeta-new with no roles" }).waitFor();
  await events.filter({ hasText: "console operator renamed svc-003 to svc-003-renamed and changed its roles: + billing:read" }).waitFor();
  const when = events.first().locator("time");
  assert.ok((await when.getAttribute("title")).length > 0 && (await when.getAttribute("datetime")).endsWith("Z"));
  assert.match(await when.textContent(), /ago|now/);
  await screen("audit-log");

  const action = page.getByRole("combobox", { name: "Action" });
  await action.selectOption({ label: "Client deleted" });
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-list li")].every((li) => li.dataset.action === "client.deleted"));
  await events.filter({ hasText: "deleted svc-002" }).waitFor();
  assert.equal(await events.count(), 1);
  assert.ok(page.url().includes("action=client.deleted"), "the filter is in the address");
  await action.selectOption({ label: "All actions" });

  await page.getByRole("textbox", { name: "Client (name or ID)" }).fill("zeta-new");
  await page.waitForFunction(() => location.hash.includes("target="));
  await events.filter({ hasText: "created zeta-new" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#audit-list li").length === 1);

  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByLabel("From").fill(day(1));
  await page.getByText("No events match these filters.").waitFor();
  await page.getByLabel("From").fill(day(0));
  await page.getByLabel("To (inclusive)").fill(day(0));
  await events.filter({ hasText: "deleted svc-002" }).waitFor();
  assert.ok(page.url().includes(`since=${day(0)}`) && page.url().includes(`until=${day(0)}`));
  await page.getByLabel("To (inclusive)").fill(day(-1));
  await page.getByText("“To” must be on or after “From”.").waitFor();
  await page.getByLabel("From").fill("");
  await page.getByLabel("To (inclusive)").fill(day(-1));
  await page.getByText("No events match these filters.").waitFor();
  await screen("audit-no-match");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await events.filter({ hasText: "deleted svc-002" }).waitFor();

  // From a client page to its filtered log.
  await page.getByRole("link", { name: "Clients", exact: true }).click();
  await page.getByRole("link", { name: "svc-003-renamed", exact: true }).click();
  await page.getByRole("link", { name: "All activity of this client" }).click();
  await page.waitForFunction((id) => location.hash.includes(`target=${id}`), fleet["svc-003"].client_id);
  assert.equal(await page.getByRole("textbox", { name: "Client (name or ID)" }).inputValue(), "svc-003-renamed");
  await page.waitForFunction(() => document.querySelectorAll("#audit-list li").length === 2);
  await screen("audit-one-client");

  // ---------- 375 px: every screen again ----------
  await page.setViewportSize({ width: 375, height: 800 });
  await screen("375-audit");
  await page.getByRole("link", { name: "Clients", exact: true }).click();
  await expectCount("62 of 62 clients");
  const label = await page.locator("#clients-body td").first().evaluate((td) => getComputedStyle(td, "::before").content);
  assert.equal(label, '"Client ID"', "cards label their values");
  await screen("375-clients");
  await page.getByRole("button", { name: "Create client" }).click();
  await dialog("Create client").getByRole("textbox", { name: "Name" }).fill("narrow-screen");
  await dialog("Create client").getByRole("button", { name: "Add billing:read" }).click();
  await screen("375-create-client");
  await dialog("Create client").getByRole("button", { name: "Create client" }).click();
  await secretDialog.waitFor();
  await screen("375-secret-shown-once");
  await page.keyboard.press("Escape");
  await secretDialog.getByRole("button", { name: "Yes, close" }).waitFor();
  await screen("375-secret-confirm-close");
  await secretDialog.getByRole("button", { name: "Yes, close" }).click();
  await expectCount("63 of 63 clients");
  await page.getByRole("link", { name: "narrow-screen", exact: true }).click();
  await page.locator("#client-activity li").first().waitFor();
  await screen("375-client-page");
  await page.getByRole("button", { name: "Edit details" }).click();
  await screen("375-edit-roles");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await screen("375-rotate-confirm");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Delete client" }).click();
  await screen("375-delete-confirm");
  await page.keyboard.press("Escape");
  await page.goBack();
  provoking = "offline at 375 px";
  await context.setOffline(true);
  await page.getByRole("searchbox", { name: "Search" }).fill("narrow");
  await listError.filter({ hasText: "Cannot reach the server" }).waitFor();
  await screen("375-offline-error");
  await context.setOffline(false);
  await listError.getByRole("button", { name: "Retry" }).click();
  await expectCount("1 of 1 client matching “narrow”");
  provoking = null;
  assert.equal((await api("POST", "/organizations", { name: "Initech" })).status, 201);
  await page.getByRole("link", { name: "Change organization" }).click();
  await page.getByRole("link", { name: /Initech/ }).waitFor();
  await screen("375-organizations");
  await page.getByRole("link", { name: /Initech/ }).click();
  await page.getByRole("heading", { name: "No clients yet" }).waitFor();
  await screen("375-clients-empty");

  // The lifecycle screens at 375 px, in Acme Payments.
  await page.getByRole("link", { name: "Change organization" }).click();
  await page.getByRole("link", { name: /Acme Payments/ }).click();
  await expectCount("6 of 6 clients");
  await screen("375-clients-flagged");
  await page.getByRole("button", { name: "Create client" }).click();
  const narrowKeys = dialog("Create client");
  await narrowKeys.getByRole("textbox", { name: "Name" }).fill("narrow-keys");
  await narrowKeys.getByRole("radio", { name: "Public key (private_key_jwt)" }).check();
  await narrowKeys.getByRole("textbox", { name: "Public key" }).fill(JSON.stringify(ecJwk));
  await screen("375-create-key-client");
  await narrowKeys.getByRole("button", { name: "Create client" }).click();
  await dialog("Client narrow-keys created").waitFor();
  await screen("375-key-client-created");
  await dialog("Client narrow-keys created").getByRole("button", { name: "Done" }).click();
  await expectCount("7 of 7 clients");
  await page.getByRole("link", { name: "billing-keys", exact: true }).click();
  await page.locator("#client-keys li").first().waitFor();
  await screen("375-key-client-page");
  // A trust policy at 375 px: the Kubernetes preset, its quick start, the section.
  await page.getByRole("button", { name: "Add trust policy" }).click();
  const narrowTrust = dialog("Add trust policy");
  await narrowTrust.getByRole("radio", { name: "Kubernetes" }).check();
  assert.equal(await narrowTrust.getByRole("textbox", { name: "Issuer" }).inputValue(), "", "the cluster's issuer is for the person to fill in");
  assert.equal(await narrowTrust.getByRole("textbox", { name: "Subject" }).inputValue(), "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT");
  await narrowTrust.getByRole("textbox", { name: "Issuer" }).fill("https://oidc.prod-cluster.example.com");
  // Moving through the platforms keeps what was typed and replaces the templates.
  await narrowTrust.getByRole("radio", { name: "Kubernetes" }).press("ArrowRight");
  assert.equal(await narrowTrust.getByRole("radio", { name: "SPIFFE" }).isChecked(), true);
  assert.equal(await narrowTrust.getByRole("textbox", { name: "Subject" }).inputValue(), "spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/*");
  await narrowTrust.getByRole("radio", { name: "SPIFFE" }).press("ArrowLeft");
  assert.equal(await narrowTrust.getByRole("textbox", { name: "Issuer" }).inputValue(), "https://oidc.prod-cluster.example.com", "the typed issuer is kept");
  await narrowTrust.getByRole("textbox", { name: "Subject" }).fill("system:serviceaccount:billing:exporter");
  await screen("375-add-trust-policy");
  await narrowTrust.getByRole("button", { name: "Add trust policy" }).click();
  await dialog("Trust policy added").waitFor();
  const kubernetesCurl = await page.locator("#workload-quickstart pre").textContent();
  assert.ok(kubernetesCurl.includes("service-account token") && kubernetesCurl.includes("$WORKLOAD_TOKEN") && kubernetesCurl.includes(keyClientId), kubernetesCurl);
  await screen("375-trust-policy-added");
  await dialog("Trust policy added").getByRole("button", { name: "Done" }).click();
  await page.locator("#trust-list li").filter({ hasText: "system:serviceaccount:billing:exporter" }).getByRole("heading", { name: "Kubernetes" }).waitFor();
  await screen("375-trust-policies", page.locator("#client-trust"));
  await page.getByRole("button", { name: "Replace keys" }).click();
  await screen("375-replace-keys");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Disable client" }).click();
  await screen("375-disable-confirm");
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "Settings" }).click();
  await page.locator("#org-max-current").filter({ hasText: "90 days" }).waitFor();
  await screen("375-org-settings");

  // ---------- the session ends elsewhere: back to sign-in, told why ----------
  const members = (await api("GET", `/organizations/${consoleOrg}/members`)).body;
  const operator = members.find((m) => m.email === "console@example.com");
  assert.equal((await api("DELETE", `/organizations/${consoleOrg}/members/${operator.user_id}/sessions`)).status, 204);
  await page.getByRole("link", { name: "Change organization" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("alert").filter({ hasText: "Sign in again" }).waitFor();
  await screen("375-session-ended");

  // ---------- an org:admin of Globex, on a device of their own ----------
  await device.cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: device.authenticatorId });
  device = await authenticatorFor(page);
  await page.goto(await invite(globex, "gina@example.com", "org:admin"));
  await page.getByRole("textbox", { name: "Your name" }).fill("globex admin");
  await page.getByRole("button", { name: "Create passkey and join" }).click();
  // An org:admin lands on its own organization's clients, with no organization picker.
  await page.waitForFunction((id) => location.hash === `#/orgs/${id}/clients`, globex);
  await page.locator("#whoami").filter({ hasText: "globex admin" }).waitFor();
  await expectCount("50 of 63 clients");
  assert.ok(await page.getByRole("link", { name: "Change organization" }).isHidden());

  // Members: Gina invites a viewer; the link is shown once, with a copy button.
  await page.getByRole("link", { name: "Members" }).click();
  await page.locator("#members-body tr").filter({ hasText: "gina@example.com" }).waitFor();
  await screen("375-members");
  if (process.env.STEP_UP_WAIT) {
    // Past the step-up window: the change asks for the passkey again (the virtual device
    // answers) and goes through without another click.
    await page.waitForTimeout(Number(process.env.STEP_UP_WAIT) * 1000);
  }
  await page.getByRole("button", { name: "Invite someone" }).click();
  const inviteDialog = dialog("Invite someone");
  await inviteDialog.getByRole("textbox", { name: "E-mail" }).fill("vic@example.com");
  await inviteDialog.getByRole("combobox", { name: "Role" }).selectOption("org:viewer");
  await screen("375-invite");
  await inviteDialog.getByRole("button", { name: "Create invitation" }).click();
  const linkDialog = dialog("Invitation created");
  await linkDialog.waitFor();
  const vicLink = await page.locator("#invite-link").inputValue();
  assert.ok(vicLink.startsWith(`${consoleBase}/console/#/invitation/`), vicLink);
  await screen("375-invitation-link");
  await linkDialog.getByRole("button", { name: "Done" }).click();
  await page.locator("#invitation-list li").filter({ hasText: "vic@example.com" }).waitFor();
  if (process.env.STEP_UP_WAIT) {
    const signIns = (await api("GET", `/organizations/${globex}/audit-events?action=user.signed_in`)).body;
    assert.ok(signIns.filter((e) => e.actor.email === "gina@example.com").length >= 2, "signed in again for the change");
  }
  const inviteEvent = (await api("GET", `/organizations/${globex}/audit-events?action=invitation.created`)).body[0];
  assert.equal(inviteEvent.actor.type, "user");
  assert.equal(inviteEvent.actor.email, "gina@example.com");

  // Vic, on another browser with their own passkey, sees Globex read-only.
  const vicContext = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const vicPage = await vicContext.newPage();
  vicPage.on("pageerror", (e) => consoleErrors.push(String(e)));
  await authenticatorFor(vicPage);
  await vicPage.goto(vicLink);
  await vicPage.getByRole("textbox", { name: "Your name" }).fill("Vic Viewer");
  await vicPage.getByRole("button", { name: "Create passkey and join" }).click();
  await vicPage.waitForFunction((id) => location.hash === `#/orgs/${id}/clients`, globex);
  await vicPage.locator("#clients-body tr").first().waitFor();
  assert.ok(await vicPage.getByRole("button", { name: "Create client" }).isHidden(), "a viewer creates nothing");
  await vicPage.locator("#clients-body tr a").first().click();
  await vicPage.locator("#client-title").waitFor();
  for (const name of ["Rotate secret", "Edit details", "Delete client"]) {
    assert.ok(await vicPage.getByRole("button", { name }).isHidden(), `a viewer has no ${name}`);
  }
  await vicPage.screenshot({ path: join(shots, "viewer-client.png"), fullPage: true });
  await vicContext.close();
  // Gina changes Vic's role, and sees her sessions and passkeys.
  await page.reload();
  await page.locator("#members-body tr").filter({ hasText: "vic@example.com" }).waitFor();
  await page.getByRole("combobox", { name: "Role of Vic Viewer" }).selectOption("org:admin");
  await status.filter({ hasText: "Vic Viewer is now admin." }).waitFor({ state: "attached" });
  await page.locator("#user-menu summary").click();
  await page.getByRole("link", { name: "Sessions and passkeys" }).click();
  await page.getByRole("heading", { name: "Sessions and passkeys" }).waitFor();
  await page.locator("#passkey-list li").filter({ hasText: "Your only passkey" }).waitFor();
  await page.locator("#session-list li").filter({ hasText: "This browser" }).waitFor();
  await screen("375-account");
  await page.goBack();
  await page.getByRole("link", { name: "Clients" }).click();

  // It reads its organization's maximum secret lifetime; only a platform admin changes it.
  await page.getByRole("link", { name: "Settings" }).click();
  await page.locator("#org-max-current").filter({ hasText: "No maximum" }).waitFor();
  await page.getByText("Only a platform administrator can change it.").waitFor();
  assert.equal(await page.getByRole("combobox", { name: "New maximum" }).count(), 0);
  await screen("375-org-settings-read-only");

  // Single sign-on: Gina connects Globex's IdP (a real OpenID Provider, panva's
  // oidc-provider), tests it, and Sam of globex.test joins through its login page by domain.
  const idpPort = await new Promise((resolve) => {
    const probe = http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const idpIssuer = `http://127.0.0.1:${idpPort}`;
  idpOrigin = idpIssuer;
  const idp = spawn(process.execPath, ["idp.mjs"], {
    cwd: new URL(".", import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: String(idpPort),
      CLIENTS: JSON.stringify([{ client_id: "globex-console", client_secret: "globex-idp-secret",
        redirect_uris: [`${consoleBase}/auth/sso/callback`] }]),
      ACCOUNTS: JSON.stringify({ sam: { email: "sam@globex.test", email_verified: true, name: "Sam Globex" } }),
    },
    stdio: "ignore",
  });
  try {
    for (let i = 0; ; i++) {
      const up = await fetch(`${idpIssuer}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
      if (up) break;
      if (i > 100) throw new Error("the OpenID Provider did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await api("PUT", `/organizations/${globex}/sso/domains`, ["globex.test"])).status, 200);
    await page.reload();
    await page.getByRole("heading", { name: "Single sign-on" }).waitFor();
    assert.equal(await page.locator("#sso-redirect-uri").inputValue(), `${consoleBase}/auth/sso/callback`);
    await page.getByRole("textbox", { name: "Issuer" }).fill(idpIssuer);
    await page.getByRole("textbox", { name: "Client ID" }).fill("globex-console");
    await page.locator("#sso-client-secret").fill("globex-idp-secret");
    await page.getByRole("combobox", { name: "People of the organization's domains" }).selectOption("org:viewer");
    await page.getByRole("button", { name: "Save single sign-on" }).click();
    await page.locator("#sso-state").filter({ hasText: `Connected to ${idpIssuer}` }).waitFor();
    await screen("375-sso-settings");
    // The test sign-in goes through the IdP's login page and reports what it sent.
    await page.getByRole("button", { name: "Test sign-in" }).click();
    await page.locator("input[name=login]").fill("sam");
    await page.locator("input[name=password]").fill("any");
    await page.locator("button[type=submit]").click();
    await page.locator("button[type=submit]").filter({ hasText: /continue/i }).click();
    await page.locator("#sso-tested-claims").filter({ hasText: "sam@globex.test (verified" }).waitFor();
    await page.locator("#whoami").filter({ hasText: "globex admin" }).waitFor();
    await screen("375-sso-tested");
    await page.locator("#user-menu summary").click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    // A callback nobody started ends on the sign-in page with a message.
    await page.goto(`${consoleBase}/auth/sso/callback?state=forged&code=x`);
    await page.locator("#sign-in-error").filter({ hasText: "That sign-in expired" }).waitFor();
    // Email first: the console offers Globex's single sign-on; Sam signs in at the IdP and
    // lands on Globex as a viewer (joined by the domain).
    const samContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const samPage = await samContext.newPage();
    samPage.on("pageerror", (e) => consoleErrors.push(String(e)));
    await samPage.goto(`${consoleBase}/console/`);
    await samPage.getByRole("textbox", { name: "Work e-mail" }).fill("sam@globex.test");
    await samPage.getByRole("button", { name: "Continue" }).click();
    await samPage.getByRole("link", { name: "Continue with Globex Logistics's single sign-on" }).click();
    await samPage.locator("input[name=login]").fill("sam");
    await samPage.locator("input[name=password]").fill("any");
    await samPage.locator("button[type=submit]").click();
    await samPage.locator("button[type=submit]").filter({ hasText: /continue/i }).click();
    await samPage.waitForFunction((id) => location.hash === `#/orgs/${id}/clients`, globex);
    await samPage.locator("#whoami").filter({ hasText: "Sam Globex" }).waitFor();
    await samPage.locator("#clients-body tr").first().waitFor();
    assert.ok(await samPage.getByRole("button", { name: "Create client" }).isHidden(), "joined as a viewer");
    await samPage.screenshot({ path: join(shots, "sso-signed-in.png"), fullPage: true });
    await samContext.close();
    const joined = (await api("GET", `/organizations/${globex}/audit-events?action=sso.member_joined`)).body;
    assert.equal(joined[0].actor.email, "sam@globex.test");
    // Gina signs in again with her passkey.
    await page.goto(`${consoleBase}/console/`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.locator("#whoami").filter({ hasText: "globex admin" }).waitFor();
  } finally {
    idp.kill();
  }
  await page.locator("#user-menu summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.locator("#clients-body tr").count(), 0, "nothing of the session stays on the page");
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();

  assert.deepEqual(consoleErrors.filter((e) => !e.includes("401")), [], "no script errors or CSP violations");
  console.log(`console e2e: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (error) {
  await shot("failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
  ciServer.close();
}

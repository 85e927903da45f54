// End-to-end test of the orgauth console in headless Chromium. Started by tests/api/console.rs
// against a real server; every step is also checked through the HTTP API.
//
// env: BASE_URL, ADMIN_ID/ADMIN_SECRET (API checks and test data), CONSOLE_ID/CONSOLE_SECRET
// (who signs in to the console: platform:admin + org:admin, named "console operator"),
// CONSOLE_ORG_ID (its organization), ORG_ID (an organization without clients, "Acme
// Payments"), SCREENSHOT_DIR, CHROMIUM (optional). Roles billing:read and billing:write exist.
//
// Every screen is checked with axe-core (no serious or critical violation) and photographed, at
// 1280 px and again at 375 px, where nothing may scroll sideways.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("BASE_URL");
const shots = env("SCREENSHOT_DIR");
const org = env("ORG_ID");
const consoleId = env("CONSOLE_ID");
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
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const page = await context.newPage();
const consoleErrors = [];
let provoking = null; // while set, network errors are the ones this test causes on purpose
page.on("console", (m) => {
  if (m.type() !== "error") return;
  if (provoking && /Failed to load resource|net::ERR_/.test(m.text())) return;
  consoleErrors.push(m.text());
});
page.on("pageerror", (e) => consoleErrors.push(String(e)));

let shotNumber = 0;
async function shot(name) {
  const path = join(shots, `${String(++shotNumber).padStart(2, "0")}-${name}.png`);
  // A dialog as the screen shows it; a page whole, cut at 2400 px (62 cards need not be one
  // 20 000 px image).
  if (await page.locator("dialog[open]").count()) {
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
async function screen(name) {
  await page.evaluate(() => document.fonts.ready);
  await axe(name);
  const width = page.viewportSize().width;
  if (width < 500) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${width}px`);
  }
  await shot(name);
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
function hasPythonRequests() {
  try { execFileSync("python3", ["-c", "import requests"], { stdio: "ignore" }); return true; } catch { return false; }
}
async function closeSecretDialog() {
  await page.getByRole("button", { name: "I have stored it" }).click();
  const confirm = page.getByRole("button", { name: "Yes, close" });
  if (await confirm.isVisible()) await confirm.click();
  await page.locator("#secret-dialog").waitFor({ state: "hidden" });
}

try {
  // ---------- sign in ----------
  await page.goto(`${base}/console`);
  await screen("sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Enter the client ID.").waitFor();
  assert.equal(await page.locator("#sign-in-id").getAttribute("aria-invalid"), "true");
  await screen("sign-in-validation");
  await page.locator("#sign-in-id").fill(consoleId);
  assert.equal(await page.locator("#sign-in-id").getAttribute("aria-invalid"), null, "the message clears as you type");
  assert.ok(await page.locator("#sign-in-id-error").isHidden());
  await page.locator("#sign-in-secret").fill("oas_wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "do not match" }).waitFor();
  await page.locator("#sign-in-secret").fill(env("CONSOLE_SECRET"));
  await page.getByRole("button", { name: "Sign in" }).click();

  // Platform admin: the organization picker; the top bar names the client and its organization.
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await page.locator("#whoami").filter({ hasText: `Signed in as console operator (${orgNames[env("CONSOLE_ORG_ID")]})` }).waitFor();
  await screen("organizations");
  await page.getByRole("link", { name: /Acme Payments/ }).click();

  // ---------- Acme Payments: empty state, create, the secret once, the client page ----------
  await page.getByRole("heading", { name: "No clients yet" }).waitFor();
  await screen("clients-empty");

  await page.getByRole("button", { name: "Create client" }).click();
  const createDialog = dialog("Create client");
  await createDialog.getByRole("button", { name: "Save" }).click();
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
  await createDialog.getByRole("button", { name: "Save" }).dblclick(); // still one client

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
    if (language === "Python" && hasPythonRequests()) {
      const run = execFileSync("python3", ["-c", `${text}\nprint(access_token)`], { env: { ...process.env, ORGAUTH_CLIENT_SECRET: secret }, timeout: 10000 });
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
  await page.getByRole("button", { name: "Edit name and roles" }).click();
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
  await dialog("Create client").getByRole("button", { name: "Save" }).click();
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
  await page.getByRole("button", { name: "Edit name and roles" }).click();
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
  await events.filter({ hasText: "console operator renamed " }).filter({ hasText: "to svc-003-renamed and changed its roles: + billing:read" }).waitFor();
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
  await page.getByRole("link", { name: "Clients" }).click();
  await page.getByRole("link", { name: "svc-003-renamed", exact: true }).click();
  await page.getByRole("link", { name: "All activity of this client" }).click();
  await page.waitForFunction((id) => location.hash.includes(`target=${id}`), fleet["svc-003"].client_id);
  assert.equal(await page.getByRole("textbox", { name: "Client (name or ID)" }).inputValue(), "svc-003-renamed");
  await page.waitForFunction(() => document.querySelectorAll("#audit-list li").length === 2);
  await screen("audit-one-client");

  // ---------- 375 px: every screen again ----------
  await page.setViewportSize({ width: 375, height: 800 });
  await screen("375-audit");
  await page.getByRole("link", { name: "Clients" }).click();
  await expectCount("62 of 62 clients");
  const label = await page.locator("#clients-body td").first().evaluate((td) => getComputedStyle(td, "::before").content);
  assert.equal(label, '"Client ID"', "cards label their values");
  await screen("375-clients");
  await page.getByRole("button", { name: "Create client" }).click();
  await dialog("Create client").getByRole("textbox", { name: "Name" }).fill("narrow-screen");
  await dialog("Create client").getByRole("button", { name: "Add billing:read" }).click();
  await screen("375-create-client");
  await dialog("Create client").getByRole("button", { name: "Save" }).click();
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
  await page.getByRole("button", { name: "Edit name and roles" }).click();
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

  // ---------- the session ends elsewhere: back to sign-in, told why ----------
  const consoleOrg = env("CONSOLE_ORG_ID");
  assert.equal((await api("GET", `/organizations/${consoleOrg}/clients/${consoleId}`)).status, 200);
  assert.equal((await api("DELETE", `/organizations/${consoleOrg}/clients/${consoleId}`)).status, 204);
  await page.getByRole("link", { name: "Change organization" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("alert").filter({ hasText: "Sign in again" }).waitFor();
  await screen("375-session-ended");

  // An org:admin lands on its own organization's clients, with no organization picker.
  const globexAdmin = (await api("POST", `/organizations/${globex}/clients`, { name: "globex admin", roles: ["org:admin"] })).body;
  await page.locator("#sign-in-id").fill(globexAdmin.client_id);
  await page.locator("#sign-in-secret").fill(globexAdmin.client_secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#whoami").filter({ hasText: "Signed in as globex admin (Globex Logistics)" }).waitFor();
  await page.waitForFunction((id) => location.hash === `#/orgs/${id}/clients`, globex);
  await expectCount("50 of 64 clients");
  assert.ok(await page.getByRole("link", { name: "Change organization" }).isHidden());
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.locator("#clients-body tr").count(), 0, "nothing of the session stays on the page");

  assert.deepEqual(consoleErrors.filter((e) => !e.includes("401")), [], "no script errors or CSP violations");
  console.log(`console e2e: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (error) {
  await shot("failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}

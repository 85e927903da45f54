// End-to-end test of the orgauth console in headless Chromium. Started by tests/console.rs
// against a real server; every step is also checked through the HTTP API.
//
// env: BASE_URL, ADMIN_ID/ADMIN_SECRET (API checks), CONSOLE_ID/CONSOLE_SECRET (who signs in
// to the console), ORG_ID (an organization without clients), SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("BASE_URL");
const shots = env("SCREENSHOT_DIR");
mkdirSync(shots, { recursive: true });

async function token(id, secret) {
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64"),
    },
    body: "grant_type=client_credentials",
  });
  return { status: res.status, body: await res.json() };
}

const adminToken = (await token(env("ADMIN_ID"), env("ADMIN_SECRET"))).body.access_token;
async function api(method, path) {
  const res = await fetch(`${base}/admin/v1${path}`, { method, headers: { Authorization: `Bearer ${adminToken}` } });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
const shot = async (name) => {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
};
const org = env("ORG_ID");

try {
  // Sign in: a wrong secret first, then the right one.
  await page.goto(`${base}/console`);
  await shot("01-sign-in");
  await page.locator("#sign-in-id").fill(env("CONSOLE_ID"));
  await page.locator("#sign-in-secret").fill("oas_wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "do not match" }).waitFor();
  await page.locator("#sign-in-secret").fill(env("CONSOLE_SECRET"));
  await page.getByRole("button", { name: "Sign in" }).click();

  // Platform admin: the organization picker.
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await shot("02-organizations");
  await page.getByRole("button", { name: /Acme Payments/ }).click();

  // Empty state.
  await page.getByRole("heading", { name: "No clients yet" }).waitFor();
  await shot("03-clients-empty");

  // Create a client with one role; read the secret from the page.
  await page.getByRole("button", { name: "Create client" }).click();
  await page.getByLabel("Name").fill("billing-sync");
  await page.getByRole("button", { name: "Add billing:read" }).click();
  await page.getByRole("button", { name: "Remove billing:read" }).waitFor();
  await shot("04-create-client");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "Copy the secret now" }).waitFor();
  await page.getByText("This secret will not be shown again.").waitFor();
  const clientId = await page.locator("#secret-client-id").inputValue();
  const secret = await page.locator("#secret-value").inputValue();
  assert.match(secret, /^oas_[0-9A-Za-z]{49}$/);
  await shot("05-secret-shown-once");
  await page.getByRole("button", { name: "I have stored it" }).click();

  let got = await token(clientId, secret);
  assert.equal(got.status, 200, "the secret from the page gets a token");
  assert.equal(got.body.scope, "billing:read");
  let client = await api("GET", `/organizations/${org}/clients/${clientId}`);
  assert.equal(client.body.name, "billing-sync");
  const row = page.locator(`tr[data-client-id="${clientId}"]`);
  await row.waitFor();
  assert.ok((await row.textContent()).includes(secret.slice(-4)), "the list shows the hint");
  assert.ok(!(await page.content()).includes(secret), "the secret is gone from the page");
  await shot("06-clients-list");

  // Edit roles with the pencil.
  await page.getByRole("button", { name: "Edit roles of billing-sync" }).click();
  await page.getByRole("button", { name: "Add billing:write" }).click();
  await shot("07-edit-roles");
  await page.getByRole("button", { name: "Save" }).click();
  await row.filter({ hasText: "billing:write" }).waitFor();
  client = await api("GET", `/organizations/${org}/clients/${clientId}`);
  assert.deepEqual(client.body.roles, ["billing:read", "billing:write"]);
  got = await token(clientId, secret);
  assert.equal(got.body.scope, "billing:read billing:write");

  // Rotate: confirmation, new secret shown once, old one refused.
  await page.getByRole("button", { name: "Rotate secret of billing-sync" }).click();
  await page.getByRole("heading", { name: "Rotate secret" }).waitFor();
  await shot("08-rotate-confirm");
  await page.getByRole("button", { name: "Rotate secret", exact: true }).click();
  await page.getByRole("heading", { name: "Copy the secret now" }).waitFor();
  const rotated = await page.locator("#secret-value").inputValue();
  assert.notEqual(rotated, secret);
  await page.getByRole("button", { name: "I have stored it" }).click();
  assert.equal((await token(clientId, secret)).status, 401, "the old secret is refused");
  assert.equal((await token(clientId, rotated)).status, 200, "the new secret works");

  // Delete: danger confirmation; applications lose access.
  await page.getByRole("button", { name: "Delete billing-sync" }).click();
  await page.getByText("Any application using this client will lose access immediately.").waitFor();
  await shot("09-delete-confirm");
  await page.getByRole("button", { name: "Delete client" }).click();
  await page.getByRole("heading", { name: "No clients yet" }).waitFor();
  assert.equal((await api("GET", `/organizations/${org}/clients/${clientId}`)).status, 404);
  assert.equal((await token(clientId, rotated)).status, 401);

  // Audit log tab.
  await page.getByRole("tab", { name: "Audit log" }).click();
  await page.getByRole("cell", { name: "client.deleted" }).waitFor();
  for (const action of ["client.created", "client.updated", "client.secret_rotated"]) {
    await page.getByRole("cell", { name: action }).first().waitFor();
  }
  await shot("10-audit-log");

  // Narrow screen.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.getByRole("tab", { name: "Clients" }).click();
  await page.getByRole("button", { name: "Create client" }).click();
  await shot("11-create-client-375px");
  await page.getByRole("button", { name: "Cancel" }).click();

  // The console's admin is deleted elsewhere: the next call returns to sign-in with a message.
  const consoleClient = env("CONSOLE_ID");
  const me = await api("GET", `/organizations/${env("CONSOLE_ORG_ID")}/clients/${consoleClient}`);
  assert.equal(me.status, 200);
  assert.equal((await api("DELETE", `/organizations/${env("CONSOLE_ORG_ID")}/clients/${consoleClient}`)).status, 204);
  await page.getByRole("tab", { name: "Audit log" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("alert").filter({ hasText: "Sign in again" }).waitFor();
  await shot("12-session-ended");

  assert.deepEqual(consoleErrors.filter((e) => !e.includes("401")), [], "no script errors or CSP violations");
  console.log("console e2e: ok");
} catch (error) {
  await shot("failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}

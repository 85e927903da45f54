// @ts-check
// Adding a trust policy: a platform preset fills in the issuer, a subject template and useful
// claims; the person replaces the template's placeholders. Each field says what is wrong with
// it (the message clears as it is edited), and so does the server's 422.

import { $, h, hiddenText } from "./dom.js";
import { state, orgPath, enc } from "./state.js";
import { api, fieldMessage } from "./api.js";
import { status, fieldError, busy } from "./feedback.js";
import { openDialog, closeDialog } from "./dialogs.js";
import { fillSelect } from "./presets.js";
import { PLATFORMS, placeholdersIn } from "./trust-platforms.js";

/** @template T @typedef {import("./types").ApiResult<T>} ApiResult */
/** @typedef {import("./types").Client} Client */
/** @typedef {import("./types").TrustPolicy} TrustPolicy */
/** @typedef {import("./trust-platforms.js").PlatformKey} PlatformKey */

/** The server's bound on conditions per policy. */
const MAX_CLAIMS = 16;
// Plain http only to this machine, and only where the server allows it (tests, development).
const LOOPBACK = /^http:\/\/(127(\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?(\/|$)/;

/** @type {{ client: Client, created: (policy: TrustPolicy) => void }} */
let target = null; // { client, created(policy) }
let saving = false;
let rows = 0; // ids for claim rows

const platformChoice = () => /** @type {PlatformKey} */ ($("trust-form").elements.platform.value);
const claimRows = () => [...$("trust-claim-rows").children];
const rowInputs = (/** @type {Element} */ row) => row.querySelectorAll("input");

// ---------- claims: rows of name and pattern ----------

function claimRow(name = "", pattern = "") {
  const n = ++rows;
  const input = (/** @type {string} */ id, /** @type {string} */ value) => h("input", {
    id, value, class: "code-input", maxlength: 512, spellcheck: "false", autocomplete: "off",
    "aria-describedby": `${id}-error`,
  });
  const nameInput = input(`trust-claim-name-${n}`, name);
  const patternInput = input(`trust-claim-value-${n}`, pattern);
  const which = hiddenText("");
  const named = () => { which.textContent = nameInput.value.trim() ? ` claim ${nameInput.value.trim()}` : " this claim"; };
  named();
  const remove = h("button", { type: "button", class: "secondary small remove-claim" }, "Remove", which);
  const row = h("li", { class: "claim-row" },
    h("div", { class: "field" }, h("label", { for: nameInput.id }, "Claim"), nameInput,
      h("p", { id: `${nameInput.id}-error`, class: "field-error", hidden: true })),
    h("div", { class: "field" }, h("label", { for: patternInput.id }, "Must match"), patternInput,
      h("p", { id: `${patternInput.id}-error`, class: "field-error", hidden: true })),
    remove);
  for (const field of [nameInput, patternInput]) {
    field.addEventListener("input", () => {
      fieldError(field, "");
      $("trust-claims-error").hidden = true;
    });
  }
  nameInput.addEventListener("input", named);
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    const removed = nameInput.value.trim();
    row.remove();
    renderClaimsChrome();
    status(removed ? `Claim ${removed} removed.` : "Claim removed.");
    (next ? next.querySelector("input") : $("trust-claim-add")).focus();
  });
  return row;
}

function renderClaimsChrome() {
  const count = claimRows().length;
  $("trust-claim-add").disabled = count >= MAX_CLAIMS;
  $("trust-claim-rows").hidden = count === 0;
  $("trust-claims-error").hidden = true;
}

function addClaim() {
  const row = claimRow();
  $("trust-claim-rows").append(row);
  renderClaimsChrome();
  row.querySelector("input").focus();
}

// ---------- presets ----------

const FIELDS = ["trust-issuer", "trust-subject", "trust-audience", "trust-jwks"];
/** A hint's `…` parts as code. */
const withCode = (/** @type {string} */ text) => text.split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));

/** The claims as [name, pattern] pairs, rows left empty aside. */
function claimPairs() {
  return claimRows().map((row) => [...rowInputs(row)].map((input) => input.value.trim())).filter(([name, pattern]) => name || pattern);
}
/** Empty, or still some platform's own value: choosing another platform may replace it. */
const untouched = (/** @type {string} */ value, /** @type {(platform: import("./trust-platforms.js").Platform) => string} */ of) => !value || Object.values(PLATFORMS).some((platform) => of(platform) === value);

/** A platform fills in the issuer, subject and claims, except what the person has changed
 * (moving through the choices with the arrow keys must not lose it); the audience and key set
 * URL stay. Returns whether something was kept. */
function applyPlatform(/** @type {PlatformKey} */ key, { keepEdits = true } = {}) {
  const platform = PLATFORMS[key];
  let kept = false;
  for (const [id, field] of /** @type {[string, "issuer" | "subject"][]} */ ([["trust-issuer", "issuer"], ["trust-subject", "subject"]])) {
    if (!keepEdits || untouched($(id).value.trim(), (p) => p[field])) {
      $(id).value = platform[field];
      fieldError($(id), "");
    } else {
      kept = true;
    }
  }
  if (!keepEdits || untouched(JSON.stringify(claimPairs()), (p) => JSON.stringify(p.claims))) {
    $("trust-claim-rows").replaceChildren(...platform.claims.map(([name, pattern]) => claimRow(name, pattern)));
  } else {
    kept = true;
  }
  $("trust-issuer-hint").replaceChildren(...withCode(platform.issuerHint));
  $("trust-subject-hint").replaceChildren(...withCode(platform.subjectHint));
  renderClaimsChrome();
  $("trust-form-error").hidden = true;
  return kept;
}

export function openTrustDialog(/** @type {Client} */ client, /** @type {(policy: TrustPolicy) => void} */ created) {
  target = { client, created };
  $("trust-dialog-intro").replaceChildren("Tokens that meet every condition below get the tokens of ",
    h("strong", {}, client.name), ", with its roles. Pick the workload's platform to start from its usual values.");
  $("trust-form").elements.platform.value = "github";
  applyPlatform("github", { keepEdits: false });
  // What the workload asks its platform for: one of this server's names, its issuer first.
  /** @type {Partial<import("./types").SessionSettings>} */
  const settings = state.settings || {};
  const issuer = settings.issuer || location.origin;
  const names = [...new Set([issuer, ...(settings.audiences || [])])];
  fillSelect($("trust-audience"), names.map((name) => [name, name === issuer ? `${name} (this server's issuer)` : name]), issuer);
  $("trust-jwks").value = "";
  $("trust-keys").open = false;
  for (const id of FIELDS) fieldError($(id), "");
  openDialog($("trust-dialog"), $("trust-form").querySelector("input[name=platform]:checked"));
}

// ---------- checking, then saving ----------

const list = (/** @type {string[]} */ words) => (words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : words[0]);
const placeholderMessage = (/** @type {string[]} */ words) => `Replace ${list(words)} with the workload's own ${words.length > 1 ? "values" : "value"}.`;

function urlProblem(/** @type {string} */ value, /** @type {string} */ what) {
  if (!value) return `Enter the ${what}.`;
  if (/[\s?#]/.test(value)) return "Enter the address without spaces, query (?) or fragment (#).";
  if (/^https:\/\/[^/]/.test(value) || LOOPBACK.test(value)) return null;
  if (value.startsWith("http://")) return "Use https://. Plain http:// works only for this machine's loopback address, on a server that allows it (for tests).";
  return "Enter an https:// address.";
}

/** Every field's problem at once: [input, message] pairs, in the order of the form. */
function problems(/** @type {PlatformKey} */ platform) {
  /** @type {[HTMLElement, string][]} */
  const found = [];
  const issuer = $("trust-issuer").value.trim();
  const issuerProblem = urlProblem(issuer, "issuer: the URL in its tokens' iss claim");
  if (issuerProblem) found.push([$("trust-issuer"), issuerProblem]);
  const subject = $("trust-subject").value.trim();
  const left = placeholdersIn(platform, subject);
  if (!subject) found.push([$("trust-subject"), "Enter the subject: the sub claim of the workload's tokens."]);
  else if (/^\*+$/.test(subject)) found.push([$("trust-subject"), "A subject of only * would trust every token of the issuer: name the workload."]);
  else if (left.length) found.push([$("trust-subject"), placeholderMessage(left)]);
  const seen = new Set();
  for (const row of claimRows()) {
    const [nameInput, patternInput] = rowInputs(row);
    const name = nameInput.value.trim();
    const pattern = patternInput.value.trim();
    if (!name && !pattern) continue;
    if (!name) found.push([nameInput, "Enter the claim's name."]);
    else if (name.includes("*")) found.push([nameInput, "A claim's name is matched exactly: it cannot contain *."]);
    else if (seen.has(name)) found.push([nameInput, "This claim is already named above."]);
    seen.add(name);
    const unfilled = placeholdersIn(platform, pattern);
    if (!pattern) found.push([patternInput, "Enter what the claim must match."]);
    else if (unfilled.length) found.push([patternInput, placeholderMessage(unfilled)]);
  }
  if (!$("trust-audience").value) found.push([$("trust-audience"), "Choose the audience the workload's tokens are issued for."]);
  const jwks = $("trust-jwks").value.trim();
  const jwksProblem = jwks ? urlProblem(jwks, "key set URL") : null;
  if (jwksProblem) found.push([$("trust-jwks"), jwksProblem]);
  return found;
}

function requestBody() {
  const claims = Object.fromEntries(claimPairs());
  /** @type {import("./types").CreateTrustPolicyRequest} */
  const body = {
    issuer: $("trust-issuer").value.trim(),
    audience: $("trust-audience").value,
    subject: $("trust-subject").value.trim(),
    claims,
  };
  const jwks = $("trust-jwks").value.trim();
  if (jwks) body.jwks_uri = jwks;
  return body;
}

function showFieldProblem(/** @type {HTMLElement} */ input, /** @type {string} */ message) {
  if (input.id === "trust-jwks") $("trust-keys").open = true;
  fieldError(input, message);
}

async function save(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (saving || !target) return;
  const found = problems(platformChoice());
  for (const [input, message] of found) showFieldProblem(input, message);
  if (found.length) {
    found[0][0].focus();
    status(`${found.length === 1 ? "One field needs" : `${found.length} fields need`} attention.`);
    return;
  }
  const { client, created } = target;
  $("trust-form-error").hidden = true;
  saving = true;
  try {
    await busy($("trust-save"), "Adding…", async () => {
      /** @type {ApiResult<TrustPolicy>} */
      const { data } = await api("POST", `${orgPath()}/clients/${enc(client.client_id)}/trust-policies`, { body: requestBody() });
      closeDialog($("trust-dialog"));
      target = null;
      created(data);
    });
  } catch (e) {
    if (!e.handled) showSaveError(e);
  } finally {
    saving = false;
  }
}

/** @type {Record<string, string>} */
const SERVER_FIELDS = { issuer: "trust-issuer", jwks_uri: "trust-jwks", audience: "trust-audience", subject: "trust-subject" };

/** The server's objection at the field it names; a claim's at its row when it names one. */
function showSaveError(/** @type {import("./api.js").ApiError} */ e) {
  const message = fieldMessage(e);
  if (SERVER_FIELDS[e.field]) {
    const input = $(SERVER_FIELDS[e.field]);
    showFieldProblem(input, message);
    input.focus();
  } else if (e.field === "claims") {
    // About a claim's name ("aud is checked by …") or its pattern ("environment: a * must …").
    const named = (/** @type {Element} */ r, /** @type {string} */ separator) => {
      const name = rowInputs(r)[0].value.trim();
      return name && message.startsWith(`${name}${separator}`);
    };
    const patternRow = claimRows().find((r) => named(r, ": "));
    const nameRow = claimRows().find((r) => named(r, " "));
    if (patternRow || nameRow) {
      const input = patternRow ? rowInputs(patternRow)[1] : rowInputs(nameRow)[0];
      fieldError(input, patternRow ? message.slice(message.indexOf(": ") + 2) : message);
      input.focus();
    } else {
      $("trust-claims-error").textContent = message;
      $("trust-claims-error").hidden = false;
    }
  } else {
    $("trust-form-error").textContent = e.status === 409
      ? `${target.client.name} already has the most trust policies a client may have. Delete one before adding another. (${e.detail || e.message})`
      : e.message;
    $("trust-form-error").hidden = false;
  }
}

export function wireTrustDialog() {
  $("trust-form").addEventListener("submit", save);
  $("trust-claim-add").addEventListener("click", addClaim);
  for (const radio of $("trust-form").elements.platform) {
    radio.addEventListener("change", () => {
      const key = /** @type {PlatformKey} */ (radio.value);
      const kept = applyPlatform(key);
      status(`${PLATFORMS[key].label}: its usual values are filled in${kept ? ", and what you changed is kept" : ""}.`);
    });
  }
}

// @ts-check
// The quick start of a workload under a trust policy: how it exchanges the token its platform
// gives it for the client's token. GitHub Actions gets a workflow (its OIDC token asked for the
// policy's audience, then the exchange); every platform gets the exchange as curl, with the
// platform's token in $WORKLOAD_TOKEN and a note on where that token comes from.

import { renderSnippets, snippetAudience, tokenUrl, shellQuote, ASSERTION_TYPE } from "./quick-start.js";
import { PLATFORMS, platformOf } from "./trust-platforms.js";

/** @typedef {import("./types").TrustPolicy} TrustPolicy */
/** The client a policy binds: its record, or what the policy says of it. @typedef {Pick<import("./types").Client, "client_id" | "name">} PolicyClient */

export const WORKLOAD_VARIABLE = "WORKLOAD_TOKEN";

/** A shell word: as it is when nothing in it is special to the shell, else quoted. */
const word = (/** @type {string} */ s) => (/^[A-Za-z0-9._~:/=@%+-]+$/.test(s) ? s : shellQuote(s));
/** A YAML scalar: plain when it is plainly text, else double-quoted (JSON's quoting is YAML's). */
const yaml = (/** @type {string} */ s) => (/^[A-Za-z0-9][A-Za-z0-9 ._()/-]*$/.test(s) ? s : JSON.stringify(s));
/** A query parameter's value; ":" and "/" stay as they are (they may appear in a query). */
const queryValue = (/** @type {string} */ s) => encodeURIComponent(s).replace(/%3A/gi, ":").replace(/%2F/gi, "/");

/** The exchange's optional audience parameter: the API the client's token is for, where the
 * server has several. */
function audienceArgument(/** @type {string} */ indent) {
  const api = snippetAudience();
  return api ? [`${indent}--data-urlencode ${shellQuote(`audience=${api}`)}`] : [];
}
const continued = (/** @type {string[]} */ lines) => lines.map((line, i) => (i < lines.length - 1 ? `${line} \\` : line));

/** The branch a GitHub policy pins (its ref claim or subject), if it names one exactly. */
function githubBranch(/** @type {TrustPolicy} */ policy) {
  const ref = (policy.claims && policy.claims.ref) || (/:ref:(refs\/heads\/[^:]+)$/.exec(policy.subject) || [])[1];
  const branch = /^refs\/heads\/([^*]+)$/.exec(ref || "");
  return branch ? branch[1] : null;
}

function githubWorkflow(/** @type {TrustPolicy} */ policy, /** @type {PolicyClient} */ client) {
  const environment = /^repo:[^:]+:environment:([^:*]+)$/.exec(policy.subject);
  const branch = githubBranch(policy);
  const exchange = continued([
    `          TOKEN=$(curl -sSf ${word(tokenUrl())}`,
    `            -d grant_type=client_credentials -d client_id=${word(client.client_id)}`,
    `            -d client_assertion_type=${ASSERTION_TYPE}`,
    '            -d "client_assertion=$OIDC"',
    ...audienceArgument("            "),
  ]);
  exchange[exchange.length - 1] += " | jq -r .access_token)";
  return [
    "# .github/workflows/orgauth.yml",
    ...(branch ? ["on:", "  push:", `    branches: [${yaml(branch)}]`] : ["on: push"]),
    "permissions:",
    "  id-token: write   # lets the job ask GitHub for its OIDC token",
    "  contents: read",
    "jobs:",
    "  deploy:",
    "    runs-on: ubuntu-latest",
    ...(environment ? [`    environment: ${yaml(environment[1])}   # the policy's subject names it`] : []),
    "    steps:",
    `      - name: ${yaml(`Get an orgauth token for ${client.name}`)}`,
    "        run: |",
    '          OIDC=$(curl -sSf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \\',
    `            "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=${queryValue(policy.audience)}" \\`,
    "            | jq -r .value)",
    ...exchange,
    '          echo "::add-mask::$TOKEN"',
    '          echo "ORGAUTH_TOKEN=$TOKEN" >> "$GITHUB_ENV"   # later steps: $ORGAUTH_TOKEN',
  ].join("\n");
}

/** Comment lines: where the platform's token comes from, asked for the policy's audience. */
function tokenSource(/** @type {import("./trust-platforms.js").PlatformKey} */ platform, /** @type {string} */ audience) {
  const v = WORKLOAD_VARIABLE;
  switch (platform) {
    case "github":
      return [`# ${v}: the job's GitHub OIDC token for the audience ${audience}`, "# (the workflow tab shows how to ask for it)."];
    case "gitlab":
      return [`# ${v}: the job's GitLab ID token for the audience ${audience}. In .gitlab-ci.yml:`,
        "#   id_tokens:", `#     ${v}:`, `#       aud: ${audience}`];
    case "kubernetes":
      return [`# ${v}: the pod's service-account token for the audience ${audience}:`,
        "# a projected serviceAccountToken volume with that audience (path: orgauth-token),",
        "# mounted at /var/run/secrets/orgauth. Then:",
        `#   export ${v}=$(cat /var/run/secrets/orgauth/orgauth-token)`];
    case "spiffe":
      return [`# ${v}: a JWT-SVID for the audience ${audience} from the SPIFFE Workload API`,
        `# (for example: spire-agent api fetch jwt -audience ${audience}).`];
    default:
      return [`# ${v}: ${PLATFORMS.custom.token}, issued for the audience ${audience}.`];
  }
}

function exchangeCurl(
  /** @type {TrustPolicy} */ policy, /** @type {PolicyClient} */ client, /** @type {import("./trust-platforms.js").PlatformKey} */ platform,
) {
  return [
    ...tokenSource(platform, policy.audience),
    ...continued([
      `curl -sS ${shellQuote(tokenUrl())}`,
      "  -d grant_type=client_credentials",
      `  -d client_id=${shellQuote(client.client_id)}`,
      `  --data-urlencode client_assertion_type=${ASSERTION_TYPE}`,
      `  --data-urlencode "client_assertion=$${WORKLOAD_VARIABLE}"`,
      ...audienceArgument("  "),
    ]),
  ].join("\n");
}

/** The snippets of one policy: a GitHub workflow where it is one, and the curl exchange. */
export function renderWorkloadQuickStart(/** @type {HTMLElement} */ container, /** @type {TrustPolicy} */ policy, /** @type {PolicyClient} */ client) {
  const platform = platformOf(policy);
  /** @type {import("./quick-start.js").Snippet[]} */
  const entries = [];
  if (platform === "github") entries.push(["workflow", "GitHub workflow", githubWorkflow(policy, client), "GitHub Actions workflow"]);
  entries.push(["curl", "curl", exchangeCurl(policy, client, platform)]);
  renderSnippets(container, "workload", entries, { label: "Snippet" });
}

// @ts-check
// The platforms a trust policy is usually written for (GitHub Actions, GitLab CI, Kubernetes,
// SPIFFE): what the add dialog fills in for each, and which one an existing policy looks like —
// for its label in the list, its audit sentence and its quick start.

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * @typedef {{
 *   label: string, style: string | null, issuer: string, subject: string,
 *   claims: [name: string, pattern: string][], placeholders: string[],
 *   issuerHint: string, subjectHint: string, token: string,
 * }} Platform
 * @typedef {"github" | "gitlab" | "kubernetes" | "spiffe" | "custom"} PlatformKey
 */

/** In the order the dialog offers them. A template's CAPITALISED words are placeholders the
 * person must replace; the dialog refuses a policy that still has one. In hints, `…` is code.
 * @type {Record<PlatformKey, Platform>} */
export const PLATFORMS = {
  github: {
    label: "GitHub Actions",
    style: "GitHub-style",
    issuer: GITHUB_ISSUER,
    subject: "repo:OWNER/REPO:environment:ENV",
    claims: [["repository", "OWNER/REPO"], ["ref", "refs/heads/main"]],
    placeholders: ["OWNER", "REPO", "ENV"],
    issuerHint: "GitHub's token issuer: the same for every repository.",
    subjectHint: "`repo:OWNER/REPO:environment:ENV` for jobs that run in an environment, or `repo:OWNER/REPO:ref:refs/heads/main` for the jobs of one branch.",
    token: "the job's GitHub OIDC token",
  },
  gitlab: {
    label: "GitLab CI",
    style: "GitLab-style",
    issuer: "https://gitlab.com",
    subject: "project_path:GROUP/PROJECT:ref_type:branch:ref:main",
    claims: [],
    placeholders: ["GROUP", "PROJECT"],
    issuerHint: "`https://gitlab.com`, or the address of your GitLab instance.",
    subjectHint: "`project_path:GROUP/PROJECT:ref_type:branch:ref:main` for the pipelines of one branch.",
    token: "the job's GitLab ID token",
  },
  kubernetes: {
    label: "Kubernetes",
    style: "Kubernetes service-account",
    issuer: "",
    subject: "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT",
    claims: [],
    placeholders: ["NAMESPACE", "SERVICE_ACCOUNT"],
    issuerHint: "The cluster's service-account issuer: `kubectl get --raw /.well-known/openid-configuration` shows it. Its discovery document and keys must be reachable from this server over https.",
    subjectHint: "`system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT`: the pods that run as this service account.",
    token: "the pod's service-account token",
  },
  spiffe: {
    label: "SPIFFE",
    style: "SPIFFE",
    issuer: "",
    subject: "spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/*",
    claims: [],
    placeholders: ["TRUST_DOMAIN", "NAMESPACE"],
    issuerHint: "The trust domain's OIDC discovery provider.",
    subjectHint: "`spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/*` for every service account of one namespace; name one instead of `*` to narrow it.",
    token: "the workload's JWT-SVID",
  },
  custom: {
    label: "Custom",
    style: null,
    issuer: "",
    subject: "",
    claims: [],
    placeholders: [],
    issuerHint: "The URL in the `iss` claim of the workload's tokens.",
    subjectHint: "The `sub` claim of the workload's tokens.",
    token: "the workload's token from its platform",
  },
};

/** The platform a policy looks like, from its issuer and the shape of its subject.
 * @param {Pick<import("./types").TrustPolicy, "issuer" | "subject">} policy
 * @returns {PlatformKey} */
export function platformOf(policy) {
  const subject = policy.subject || "";
  if (policy.issuer === GITHUB_ISSUER || subject.startsWith("repo:")) return "github";
  if (subject.startsWith("project_path:")) return "gitlab";
  if (subject.startsWith("system:serviceaccount:")) return "kubernetes";
  if (subject.startsWith("spiffe://")) return "spiffe";
  return "custom";
}

/** The placeholders of `platform` still in `value`, as whole words. */
export function placeholdersIn(/** @type {PlatformKey} */ platform, /** @type {string} */ value) {
  return PLATFORMS[platform].placeholders.filter((word) => new RegExp(`(^|[^A-Za-z0-9_])${word}(?![A-Za-z0-9_])`).test(value));
}

/** "repository is acme/billing and ref matches refs/tags/*" (names sorted, as the server keeps them). */
export function conditionsText(/** @type {Record<string, string> | undefined} */ claims) {
  return Object.entries(claims || {})
    .map(([name, pattern]) => `${name} ${String(pattern).includes("*") ? "matches" : "is"} ${pattern}`)
    .join(" and ");
}

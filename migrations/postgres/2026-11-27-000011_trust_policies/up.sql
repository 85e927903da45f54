-- Workload identity federation: which tokens of an external issuer may act as a client. The
-- conditions are the policy's; the issuer's keys are fetched (never stored here).
CREATE TABLE trust_policies (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    issuer      TEXT NOT NULL,
    jwks_uri    TEXT,
    audience    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    -- JSON object: claim name -> pattern.
    claims      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX trust_policies_client_idx ON trust_policies (client_id, issuer);

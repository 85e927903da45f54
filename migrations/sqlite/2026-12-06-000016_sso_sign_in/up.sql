-- Signing in through an organization's IdP (SPEC §10): the identities (iss, sub) linked to
-- people, per connection's organization (an identity of X's IdP signs in to X only); the
-- sign-ins under way (state, nonce and PKCE verifier, single-use, 10 minutes, so a sign-in
-- started on one instance finishes on another); and which organization's IdP signed a
-- session in.
CREATE TABLE sso_identities (
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email            TEXT,
    created_at       TIMESTAMP NOT NULL,
    last_sign_in_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, issuer, subject)
);
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

CREATE TABLE sso_flows (
    state_hash       TEXT PRIMARY KEY NOT NULL,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer           TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    nonce            TEXT NOT NULL,
    pkce_verifier    TEXT NOT NULL,
    return_to        TEXT NOT NULL,
    binding_hash     TEXT NOT NULL,
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    replacing_hash   TEXT,
    address          TEXT,
    started_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    CONSTRAINT sso_flows_purpose CHECK (purpose IN ('sign_in', 'link', 'step_up', 'test'))
);
CREATE INDEX sso_flows_expiry_idx ON sso_flows (expires_at);
CREATE INDEX sso_flows_address_idx ON sso_flows (address, expires_at);
CREATE INDEX sso_flows_org_idx ON sso_flows (org_id, expires_at);

-- No foreign key here: SQLite cannot drop a column that has one (down.sql).
ALTER TABLE sessions ADD COLUMN sso_org_id TEXT;

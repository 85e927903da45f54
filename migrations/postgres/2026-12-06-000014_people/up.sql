-- People: users who sign in with passkeys, their memberships in organizations, invitations,
-- server-side sessions and the WebAuthn ceremonies in flight. Secrets (session ids,
-- invitation tokens, challenges) are stored only as SHA-256 hashes.

-- The organization whose members may hold platform:admin (the bootstrap organization).
ALTER TABLE organizations ADD COLUMN platform BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE organizations SET platform = TRUE WHERE id = (
    SELECT c.org_id FROM clients c JOIN client_roles r ON r.client_id = c.id
    WHERE r.role_name = 'platform:admin' ORDER BY c.created_at, c.id LIMIT 1);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    -- The WebAuthn user handle (a UUID), what a discoverable credential returns.
    webauthn_id      TEXT NOT NULL UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    last_sign_in_at  TIMESTAMP
);

CREATE TABLE memberships (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, org_id),
    CONSTRAINT memberships_role CHECK (role IN ('org:admin', 'org:viewer', 'platform:admin'))
);
CREATE INDEX memberships_org_idx ON memberships (org_id, created_at, user_id);

CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- base64url of the credential id.
    credential_id  TEXT NOT NULL UNIQUE,
    -- webauthn-rs Passkey (public key, counter), JSON.
    passkey        TEXT NOT NULL,
    name           TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    last_used_at   TIMESTAMP
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    CONSTRAINT invitations_role CHECK (role IN ('org:admin', 'org:viewer', 'platform:admin'))
);
CREATE INDEX invitations_org_idx ON invitations (org_id, created_at, id);

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    token_hash        TEXT NOT NULL UNIQUE,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token        TEXT NOT NULL,
    method            TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    authenticated_at  TIMESTAMP NOT NULL,
    last_seen_at      TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL,
    address           TEXT,
    user_agent        TEXT,
    -- The passkey that signed it in (removing the passkey ends the session); NULL for SSO.
    passkey_id        TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);

-- A passkey ceremony between its options and its answer; keyed by the challenge's hash so
-- that any instance can finish it, and deleted when it is used.
CREATE TABLE passkey_ceremonies (
    challenge_hash  TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    user_id         TEXT,
    invitation_id   TEXT,
    state           TEXT NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry_idx ON passkey_ceremonies (expires_at);

ALTER TABLE audit_events ADD COLUMN actor_email TEXT;
ALTER TABLE audit_events ADD COLUMN actor_session_id TEXT;
ALTER TABLE audit_events ADD COLUMN actor_method TEXT;
ALTER TABLE audit_events ADD COLUMN actor_address TEXT;
ALTER TABLE audit_events ADD COLUMN actor_user_agent TEXT;

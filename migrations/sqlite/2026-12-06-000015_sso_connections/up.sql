-- Single sign-on per organization (SPEC §10): an organization's OpenID Connect IdP, its
-- client secret sealed under the key-encryption key like the signing keys; and the e-mail
-- domains a platform admin assigned to organizations (each domain to one at most).
CREATE TABLE sso_connections (
    org_id                TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer                TEXT NOT NULL,
    client_id             TEXT NOT NULL,
    sealed_client_secret  BLOB NOT NULL,
    require_sso           BOOLEAN NOT NULL DEFAULT FALSE,
    jit_role              TEXT,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    CONSTRAINT sso_connections_jit_role CHECK (jit_role IS NULL OR jit_role IN ('org:admin', 'org:viewer'))
);

CREATE TABLE sso_domains (
    domain      TEXT PRIMARY KEY NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX sso_domains_org_idx ON sso_domains (org_id, domain);

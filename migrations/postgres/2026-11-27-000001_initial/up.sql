-- Timestamps are UTC, stored without zone (the SQLite backend has none either).
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    org_id                      TEXT NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    name                        TEXT NOT NULL,
    secret_hash                 TEXT NOT NULL,
    secret_hint                 TEXT NOT NULL,
    previous_secret_hash        TEXT,
    previous_secret_expires_at  TIMESTAMP,
    created_at                  TIMESTAMP NOT NULL,
    updated_at                  TIMESTAMP NOT NULL,
    secret_rotated_at           TIMESTAMP,
    last_used_at                TIMESTAMP,
    CONSTRAINT clients_id_format CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
    CONSTRAINT clients_previous_secret_pair
        CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))
);
-- Listing an organization's clients pages by (created_at, id).
CREATE INDEX clients_org_created_idx ON clients (org_id, created_at, id);

CREATE TABLE client_roles (
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    role_name   TEXT NOT NULL REFERENCES roles (name) ON DELETE RESTRICT,
    PRIMARY KEY (client_id, role_name)
);
-- "Is this role still held by anyone?" before a role is deleted.
CREATE INDEX client_roles_role_idx ON client_roles (role_name);

INSERT INTO roles (name, description, created_at) VALUES
    ('org:admin', 'Manage the clients of its own organization', now() AT TIME ZONE 'UTC'),
    ('platform:admin', 'Manage organizations, the role catalog and every organization''s clients', now() AT TIME ZONE 'UTC');

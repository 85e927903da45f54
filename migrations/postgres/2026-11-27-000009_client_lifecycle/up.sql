-- A client's lifecycle beyond its secret: a description, disabled without being deleted, its
-- own (shorter) token lifetime, and an expiry for its current secret. An organization may cap
-- how long its clients' secrets live.
ALTER TABLE clients ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN token_ttl_seconds BIGINT;
ALTER TABLE clients ADD COLUMN secret_expires_at TIMESTAMP;
ALTER TABLE organizations ADD COLUMN max_secret_lifetime_seconds BIGINT;
-- Secrets expiring soon (the metric and the console's warning).
CREATE INDEX clients_secret_expires_idx ON clients (secret_expires_at);

DROP INDEX clients_secret_expires_idx;
ALTER TABLE organizations DROP COLUMN max_secret_lifetime_seconds;
ALTER TABLE clients DROP COLUMN secret_expires_at;
ALTER TABLE clients DROP COLUMN token_ttl_seconds;
ALTER TABLE clients DROP COLUMN disabled;
ALTER TABLE clients DROP COLUMN description;

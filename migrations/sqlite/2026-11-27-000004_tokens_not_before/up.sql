-- Every access token issued to the client before this instant is revoked (admin API
-- "revoke tokens", or a rotation with revoke_tokens). NULL: none revoked this way.
ALTER TABLE clients ADD COLUMN tokens_not_before TIMESTAMP;

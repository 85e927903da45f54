DROP TABLE schema_compatibility;
DROP TABLE revoked_signing_keys;
ALTER TABLE status_runs DROP COLUMN kid;

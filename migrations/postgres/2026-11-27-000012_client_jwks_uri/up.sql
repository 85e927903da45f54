-- private_key_jwt with a key set the client publishes (fetched under the same rules as a
-- workload issuer's), instead of keys registered here.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;

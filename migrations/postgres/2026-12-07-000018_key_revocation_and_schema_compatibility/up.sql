-- Which signing key signed a run of tokens (NULL: written by a release before this one).
ALTER TABLE status_runs ADD COLUMN kid TEXT;

-- Signing keys pulled before their time (a compromise): their tokens are refused at
-- introspection (the key is gone) and their status bits set. Kept until every token the key
-- could have signed has expired.
CREATE TABLE revoked_signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    activated_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP NOT NULL
);

-- Which binaries may run on this schema: each migration names the oldest migration whose
-- binaries still work with it (itself when it is not backwards compatible). A binary refuses
-- to start when an applied migration it does not know needs a newer one than its own newest.
CREATE TABLE schema_compatibility (
    version TEXT PRIMARY KEY NOT NULL,
    oldest_compatible TEXT NOT NULL
);
INSERT INTO schema_compatibility (version, oldest_compatible)
VALUES ('20261207000018', '20261206000017');

-- Signing keys, shared by every instance (src/store/signing_keys.rs): the private key sealed
-- with AES-256-GCM under the key-encryption key, never in the clear. A key is published as
-- soon as it is stored and signs from activates_at; the last activated key signs.
CREATE TABLE signing_keys (
    kid                 TEXT PRIMARY KEY,
    alg                 TEXT NOT NULL,
    sealed_private_key  BLOB NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    activates_at        TIMESTAMP NOT NULL
);

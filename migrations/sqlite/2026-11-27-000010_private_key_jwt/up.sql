-- private_key_jwt (RFC 7523 §2.2): a client authenticates with a secret or with its public
-- keys (a JWK set of at most two keys), chosen at creation and changeable.
ALTER TABLE clients ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT 'client_secret_basic';
ALTER TABLE clients ADD COLUMN jwks TEXT;
-- Each client assertion is single-use: its jti is kept until it expires, for every instance.
CREATE TABLE client_assertions (
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, jti)
);

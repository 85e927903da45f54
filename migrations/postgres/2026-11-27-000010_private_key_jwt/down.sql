DROP TABLE client_assertions;
ALTER TABLE clients DROP COLUMN jwks;
ALTER TABLE clients DROP COLUMN token_endpoint_auth_method;

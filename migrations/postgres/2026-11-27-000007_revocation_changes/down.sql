DROP TRIGGER revoked_tokens_changed ON revoked_tokens;
DROP FUNCTION orgauth_revocation_changed();

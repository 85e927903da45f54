DROP TRIGGER revoked_tokens_changed;

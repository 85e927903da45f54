-- A revocation records its change (src/store/changes.rs) in its own transaction, whoever
-- inserts it — this release and the previous one, which did not, alike — so that the
-- in-memory revocations of every instance (src/revoked_tokens.rs) hear of it. The subject is
-- `token:<exp as Unix seconds>:<jti>`.
CREATE TRIGGER revoked_tokens_changed AFTER INSERT ON revoked_tokens
BEGIN
    UPDATE change_version SET version = version + 1 WHERE id = 1;
    INSERT INTO change_log (version, subject, changed_at)
    SELECT version,
           'token:' || CAST(strftime('%s', NEW.expires_at) AS INTEGER) || ':' || NEW.jti,
           NEW.revoked_at
    FROM change_version WHERE id = 1;
END;

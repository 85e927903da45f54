-- A revocation records its change (src/store/changes.rs) in its own transaction, whoever
-- inserts it — this release and the previous one, which did not, alike — so that the
-- in-memory revocations of every instance (src/revoked_tokens.rs) hear of it. The subject is
-- `token:<exp as Unix seconds>:<jti>`.
CREATE FUNCTION orgauth_revocation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
BEGIN
    UPDATE change_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
    INSERT INTO change_log (version, subject, changed_at)
    VALUES (v,
            'token:' || floor(extract(epoch FROM NEW.expires_at))::bigint || ':' || NEW.jti,
            NEW.revoked_at);
    RETURN NEW;
END
$$;

CREATE TRIGGER revoked_tokens_changed AFTER INSERT ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION orgauth_revocation_changed();

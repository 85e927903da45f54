-- Token Status Lists (SPEC §11): every access token names a bit in a list. Indices are leased
-- from a list's counter in ranges (never one index to two tokens, on any number of instances
-- and across restarts); each instance records which client, roles and iat its tokens in a
-- range carry as runs (one row per run of consecutive indices, written in batches), so every
-- instance computes the same bits from the database: a token's bit is 1 exactly when
-- introspection would call it inactive before its expiry.
CREATE TABLE status_lists (
    id          TEXT PRIMARY KEY,
    capacity    BIGINT NOT NULL,
    next_index  BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    -- Served until then: the last token that can carry one of its indices has expired.
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX status_lists_open_idx ON status_lists (created_at);

CREATE TABLE status_ranges (
    list_id    TEXT NOT NULL REFERENCES status_lists (id) ON DELETE CASCADE,
    start_idx  BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    leased_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (list_id, start_idx)
);

CREATE TABLE status_runs (
    list_id    TEXT NOT NULL REFERENCES status_lists (id) ON DELETE CASCADE,
    start_idx  BIGINT NOT NULL,
    count      BIGINT NOT NULL,
    client_id  TEXT NOT NULL,
    roles      TEXT NOT NULL,
    iat        BIGINT NOT NULL,
    PRIMARY KEY (list_id, start_idx)
);

-- A token revoked by itself (RFC 7009) keeps its bit.
ALTER TABLE revoked_tokens ADD COLUMN status_list TEXT;
ALTER TABLE revoked_tokens ADD COLUMN status_idx BIGINT;

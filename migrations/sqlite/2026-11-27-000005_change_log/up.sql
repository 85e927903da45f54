-- The cross-instance change protocol (src/store/changes.rs): every change that can affect a
-- token decision bumps the one version row and appends a record naming what changed, in the
-- change's own transaction. Each instance polls the version (a primary-key read) and applies
-- the records after the one it saw last.
CREATE TABLE change_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO change_version (id, version) VALUES (1, 0);

CREATE TABLE change_log (
    version     BIGINT PRIMARY KEY,
    subject     TEXT NOT NULL,
    changed_at  TIMESTAMP NOT NULL
);
CREATE INDEX change_log_changed_idx ON change_log (changed_at);

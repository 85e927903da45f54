-- Who did what to which client, when. actor_client_id has no foreign key on purpose: the
-- history outlives a deleted actor. details is JSON text and never holds a secret.
CREATE TABLE audit_events (
    id               TEXT PRIMARY KEY NOT NULL,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_client_id  TEXT NOT NULL,
    action           TEXT NOT NULL,
    target           TEXT NOT NULL,
    details          TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
-- Newest first, per organization, paged by (created_at, id).
CREATE INDEX audit_events_org_created_idx ON audit_events (org_id, created_at DESC, id DESC);

-- An import held for the deputy's confirmation (it marks people as left or replaces a loaded week).
-- The status changes from 'open' exactly once, in the transaction that applies or cancels it.
CREATE TABLE import_confirmations (
    id INTEGER PRIMARY KEY,
    org_id TEXT,
    actor_vk_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    preview TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX import_confirmations_actor ON import_confirmations(actor_vk_id, status);

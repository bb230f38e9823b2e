-- The deputy's broadcasts: a draft (audience and text), then a run with one row per
-- recipient and what became of the message to them.

CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- The deputy who wrote it (VK id; the person may later be forgotten).
    created_by    INTEGER NOT NULL,
    -- 'all', 'below', 'unregistered', 'chats', 'class'; audience_arg is the class name.
    audience      TEXT NOT NULL CHECK (audience IN ('all', 'below', 'unregistered', 'chats', 'class')),
    audience_arg  TEXT,
    text          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    -- The message whose text is edited to show progress.
    progress_peer INTEGER,
    progress_cmid INTEGER,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT
);
CREATE INDEX broadcasts_org ON broadcasts(org_id, status);

CREATE TABLE broadcast_recipients (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    -- NULL: the person has no VK page bound, so nothing is sent ('skipped').
    vk_id         INTEGER,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'unreachable', 'failed', 'skipped')),
    error_code    INTEGER,
    PRIMARY KEY (broadcast_id, person_id)
);

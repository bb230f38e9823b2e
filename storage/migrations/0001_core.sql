-- Core tables: organizations, people and roles, VK accounts, binding requests,
-- the inbox of received events, persistent dialog state, the outbox and the audit log.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'Europe/Moscow',
    inn         TEXT
);

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    org_id      TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    full_name   TEXT NOT NULL,
    -- Normalized name (lowercase, ё→е, single spaces) used for matching.
    name_key    TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('teacher', 'staff', 'deputy', 'director', 'district')),
    vk_id       INTEGER,
    vk_screen_name TEXT,
    phone       TEXT,
    email       TEXT,
    -- 'config': named in config.toml and never marked as left by a roster import.
    source      TEXT NOT NULL DEFAULT 'roster' CHECK (source IN ('roster', 'config', 'chat')),
    active      INTEGER NOT NULL DEFAULT 1,
    left_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX people_org ON people(org_id, active);
CREATE INDEX people_name ON people(name_key);
CREATE UNIQUE INDEX people_vk ON people(org_id, vk_id) WHERE vk_id IS NOT NULL;

CREATE TABLE person_classes (
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    class_name  TEXT NOT NULL,
    PRIMARY KEY (person_id, class_name)
);

-- What the bot knows about a VK account: can the community write to it?
CREATE TABLE vk_users (
    vk_id           INTEGER PRIMARY KEY,
    first_name      TEXT,
    last_name       TEXT,
    -- 1 allowed, 0 denied or unreachable (901/902), NULL unknown.
    can_message     INTEGER,
    unreachable_code INTEGER,
    last_message_at TEXT,
    updated_at      TEXT NOT NULL
);

CREATE TABLE binding_requests (
    id            INTEGER PRIMARY KEY,
    vk_id         INTEGER NOT NULL,
    org_id        TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    typed_name    TEXT NOT NULL,
    person_id     INTEGER REFERENCES people(id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    decided_by    INTEGER,
    created_at    TEXT NOT NULL,
    decided_at    TEXT
);
CREATE INDEX binding_requests_open ON binding_requests(status, org_id);

-- Every received long-poll update is kept here before the poller's ts moves on,
-- so nothing is lost to a crash; event_id makes a replayed update a no-op.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    event_type  TEXT NOT NULL,
    -- The key that orders handling: one user's events are handled one at a time, in order.
    order_key   TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    handled_at  TEXT,
    error       TEXT
);
CREATE INDEX inbox_pending ON inbox(status, id);

CREATE TABLE dialog_state (
    peer_key    TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);

CREATE TABLE runtime_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Every message the bot sends goes through here; idem_key makes a re-send after a
-- crash a no-op, random_id (derived from idem_key) makes VK drop a duplicate.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    idem_key      TEXT NOT NULL UNIQUE,
    org_id        TEXT,
    kind          TEXT NOT NULL,
    person_id     INTEGER REFERENCES people(id) ON DELETE SET NULL,
    peer_id       INTEGER NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    keyboard      TEXT,
    attachment    TEXT,
    intent        TEXT,
    priority      INTEGER NOT NULL DEFAULT 1,
    random_id     INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'unreachable')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_code    INTEGER,
    error_msg     TEXT,
    message_id    INTEGER,
    cmid          INTEGER,
    batch         TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX outbox_pending ON outbox(status, priority, id);
CREATE INDEX outbox_batch ON outbox(batch);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_vk_id INTEGER,
    actor_person_id INTEGER,
    org_id      TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_org ON audit_log(org_id, at);

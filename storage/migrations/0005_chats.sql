-- The chats migration: each person's confirmations that a work chat moved from a foreign
-- messenger, the chats people added themselves, and the confirmation dialog in progress.

-- Chats a person added that are not on the orders' list (key «own:<id>»).
CREATE TABLE custom_chats (
    id          INTEGER PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    removed     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX custom_chats_person ON custom_chats(person_id, removed);

CREATE TABLE chat_confirmations (
    id              INTEGER PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    -- A stable key from bot/domain/chats.py: class:5А:pupils, head:deputies, extra:<id>[:<class>], own:<n>.
    chat_key        TEXT NOT NULL,
    title           TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'confirmed', 'withdrawn', 'not_needed')),
    -- A messenger id (viber, whatsapp, …, other) or 'none' when the chat was created in the new messenger.
    old_messenger   TEXT,
    link            TEXT,
    link_kind       TEXT,
    no_link_reason  TEXT,
    members_estimate INTEGER,
    -- 'closed' or 'announced' (NULL when there was no old chat).
    old_chat        TEXT,
    -- The code the person posts in the new chat; open while confirmed and not checked.
    code            TEXT UNIQUE,
    checked         INTEGER NOT NULL DEFAULT 0,
    chat_peer_id    INTEGER,
    members_counted INTEGER,
    checked_at      TEXT,
    not_needed_reason TEXT,
    decided_by      INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    UNIQUE (person_id, chat_key)
);
CREATE INDEX chat_confirmations_org ON chat_confirmations(org_id, status);

-- One dialog in progress per person: which chat, which step, the answers so far.
CREATE TABLE chat_dialogs (
    person_id   INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('confirm', 'custom', 'not_needed')),
    chat_key    TEXT,
    title       TEXT,
    step        TEXT NOT NULL,
    answers     TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);

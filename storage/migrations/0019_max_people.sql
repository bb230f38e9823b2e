-- People and chats in MAX (issue 15, item 4): binding requests from MAX accounts, the deputy's
-- personal deep links (single-use, 14 days) and the MAX group chats learnt from bot_added.

-- A request's account is a VK id or a MAX user id: `vk_id` keeps the external id, `messenger` says whose.
ALTER TABLE binding_requests ADD COLUMN messenger TEXT NOT NULL DEFAULT 'vk' CHECK (messenger IN ('vk', 'max'));

-- https://max.ru/<bot>?start=<token>: opening it binds the MAX account to `person_id` once.
CREATE TABLE invite_links (
    token       TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    org_id      TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    issued_by   INTEGER,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    -- Set once: a used link, or one a newer link for the same person replaced ('replaced').
    used_at     TEXT,
    used_by     INTEGER,
    outcome     TEXT
);
CREATE INDEX invite_links_person ON invite_links(person_id, used_at);

-- MAX has no list of the bot's chats: a chat is known from bot_added until bot_removed.
CREATE TABLE max_chats (
    chat_id     INTEGER PRIMARY KEY,
    title       TEXT,
    -- NULL: not checked yet; 0/1 as GET /chats/{id}/members/me last said.
    is_admin    INTEGER,
    reads_all   INTEGER,
    added_at    TEXT NOT NULL,
    checked_at  TEXT
);

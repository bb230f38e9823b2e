-- The FAQ in the chat: questions staff asked (and those handed to the deputy with
-- the deputy's answers), and knowledge-base entries a school's deputy made in the chat.

CREATE TABLE faq_questions (
    id           INTEGER PRIMARY KEY,
    org_id       TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    -- The asker (named person_id so that privacy export/forget finds the rows).
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    asker_vk_id  INTEGER NOT NULL,
    text         TEXT NOT NULL,
    -- The topic the bot matched; NULL when it did not know.
    topic        TEXT,
    -- asked: answered by the bot (kept for a short while, so its buttons work);
    -- open: handed to the deputy; answered: the deputy replied.
    status       TEXT NOT NULL DEFAULT 'asked' CHECK (status IN ('asked', 'open', 'answered')),
    helpful      INTEGER,
    answer       TEXT,
    answered_by  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    entry_topic  TEXT,
    created_at   TEXT NOT NULL,
    handed_at    TEXT,
    answered_at  TEXT
);
CREATE INDEX faq_questions_status ON faq_questions(org_id, status, id);
CREATE INDEX faq_questions_asked ON faq_questions(status, created_at);

-- A school's own entry: overrides the bundled topic (or the school file) for that school only.
CREATE TABLE faq_entries (
    org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    topic_id     TEXT NOT NULL,
    title        TEXT,
    answer       TEXT NOT NULL,
    -- JSON list of example phrasings added to the topic.
    examples     TEXT NOT NULL DEFAULT '[]',
    question_id  INTEGER REFERENCES faq_questions(id) ON DELETE SET NULL,
    created_by   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, topic_id)
);

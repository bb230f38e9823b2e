-- People in MAX: a person's MAX user id beside the VK one, and what the bot knows about writing
-- to a MAX account (bot_started / bot_stopped and 403 answers; MAX has no «may I write» call).

ALTER TABLE people ADD COLUMN max_id INTEGER;
CREATE UNIQUE INDEX people_max ON people(org_id, max_id) WHERE max_id IS NOT NULL;
CREATE INDEX people_max_id ON people(max_id) WHERE max_id IS NOT NULL;

CREATE TABLE max_users (
    user_id     INTEGER PRIMARY KEY,
    -- 1: the person started the bot; 0: never started it or stopped it (a 403 or bot_stopped).
    can_write   INTEGER NOT NULL,
    reason      TEXT,
    updated_at  TEXT NOT NULL
);

-- Which bot sends each outbox row: one process may serve several VK communities and MAX bots
-- ([[vk.communities]], [[max.bots]]), each sending only its own rows. Rows stored before carry
-- 'main', the name of the single-form bot; the deployment's first bot sends them.
-- Also: each MAX bot keeps its own dialog id per person (max_dialogs keyed by bot and user).
ALTER TABLE outbox ADD COLUMN bot TEXT NOT NULL DEFAULT 'main';
CREATE INDEX outbox_bot ON outbox(messenger, bot, status, id);

-- A person's dialog with each MAX bot is a chat of its own: the dialog ids are kept per bot.
CREATE TABLE max_dialogs_0027 (
    bot         TEXT NOT NULL DEFAULT 'main',
    user_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (bot, user_id)
);
INSERT INTO max_dialogs_0027(bot, user_id, chat_id, updated_at)
SELECT 'main', user_id, chat_id, updated_at FROM max_dialogs;
DROP TABLE max_dialogs;
ALTER TABLE max_dialogs_0027 RENAME TO max_dialogs;

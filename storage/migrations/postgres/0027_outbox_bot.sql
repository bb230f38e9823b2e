-- PostgreSQL twin of 0027_outbox_bot.sql (the same column; text compared byte by byte).
-- Which bot sends each outbox row: one process may serve several VK communities and MAX bots
-- ([[vk.communities]], [[max.bots]]), each sending only its own rows. Rows stored before carry
-- 'main', the name of the single-form bot; the deployment's first bot sends them.
-- Also: each MAX bot keeps its own dialog id per person (max_dialogs keyed by bot and user).
ALTER TABLE outbox ADD COLUMN bot TEXT COLLATE "C" NOT NULL DEFAULT 'main';
CREATE INDEX outbox_bot ON outbox(messenger, bot, status, id);

-- A person's dialog with each MAX bot is a chat of its own: the dialog ids are kept per bot.
ALTER TABLE max_dialogs ADD COLUMN bot TEXT COLLATE "C" NOT NULL DEFAULT 'main';
ALTER TABLE max_dialogs DROP CONSTRAINT max_dialogs_pkey;
ALTER TABLE max_dialogs ADD PRIMARY KEY (bot, user_id);

-- PostgreSQL twin of 0027_outbox_bot.sql (the same column; text compared byte by byte).
-- Which bot sends each outbox row: one process may serve several VK communities and MAX bots
-- ([[vk.communities]], [[max.bots]]), each sending only its own rows. Rows stored before carry
-- 'main', the name of the single-form bot; the deployment's first bot sends them.
ALTER TABLE outbox ADD COLUMN bot TEXT COLLATE "C" NOT NULL DEFAULT 'main';
CREATE INDEX outbox_bot ON outbox(messenger, bot, status, id);

-- PostgreSQL twin of 0025_actor_messengers.sql (the same changes; BIGINT for INTEGER, text compared byte by byte).
-- Actors and chats carry their messenger (issue 15): an import held or applied from MAX, an audit
-- entry of a MAX user and a chat checked in MAX were recorded as if they were VK's (or not at all).
-- Rows written before this migration were all taken for VK ones, as the code then assumed.

-- A held import belongs to (actor_messenger, actor_id): a MAX user 5 cannot confirm VK user 5's.
DROP INDEX import_confirmations_actor;
ALTER TABLE import_confirmations RENAME COLUMN actor_vk_id TO actor_id;
ALTER TABLE import_confirmations ADD COLUMN actor_messenger TEXT COLLATE "C" NOT NULL DEFAULT 'vk';
CREATE INDEX import_confirmations_actor ON import_confirmations(actor_messenger, actor_id, status);

-- Who imported a file: `imported_by` is an account in this messenger (NULL: the command line).
ALTER TABLE imports ADD COLUMN imported_by_messenger TEXT COLLATE "C";
UPDATE imports SET imported_by_messenger = 'vk' WHERE imported_by IS NOT NULL;

-- The MAX account of an actor (actor_vk_id stays the VK one).
ALTER TABLE audit_log ADD COLUMN actor_max_id BIGINT;

-- The messenger of the chat where the bot saw the code (chat_peer_id is that messenger's chat id).
ALTER TABLE chat_confirmations ADD COLUMN chat_messenger TEXT COLLATE "C";
UPDATE chat_confirmations SET chat_messenger = 'vk' WHERE chat_peer_id IS NOT NULL;

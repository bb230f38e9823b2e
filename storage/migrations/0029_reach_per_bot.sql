-- Reachability per bot: a person who allowed messages from one VK community (or started one MAX bot)
-- may still be unreachable through another, so what the bot knows of writing to an account is kept per
-- (messenger, bot, account). `can_write` is 1 (the bot may write) or 0 (it may not: `code` is VK's error,
-- 901 when none was given; `reason` what MAX said); an account with no row is unknown.
-- Rows learnt before are carried over to the bot whose outbox row to that account last finished, else to
-- 'main', the name the default (first) bot of the messenger reads them under.
CREATE TABLE reach (
    messenger   TEXT NOT NULL CHECK (messenger IN ('vk', 'max')),
    bot         TEXT NOT NULL,
    account     INTEGER NOT NULL,
    can_write   INTEGER NOT NULL,
    code        INTEGER,
    reason      TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (messenger, bot, account)
);

INSERT INTO reach(messenger, bot, account, can_write, code, reason, updated_at)
SELECT 'vk', COALESCE(last.bot, 'main'), u.vk_id, u.can_message, u.unreachable_code, NULL, u.updated_at
FROM vk_users u
LEFT JOIN (SELECT peer_id, bot FROM outbox WHERE id IN (
               SELECT MAX(id) FROM outbox WHERE messenger = 'vk' AND status IN ('sent', 'unreachable')
               GROUP BY peer_id)) last ON last.peer_id = u.vk_id
WHERE u.can_message IS NOT NULL;

INSERT INTO reach(messenger, bot, account, can_write, code, reason, updated_at)
SELECT 'max', COALESCE(last.bot, 'main'), m.user_id, m.can_write, NULL, m.reason, m.updated_at
FROM max_users m
LEFT JOIN (SELECT peer_id, bot FROM outbox WHERE id IN (
               SELECT MAX(id) FROM outbox WHERE messenger = 'max' AND status IN ('sent', 'unreachable')
               GROUP BY peer_id)) last ON last.peer_id = m.user_id;

ALTER TABLE vk_users DROP COLUMN can_message;
ALTER TABLE vk_users DROP COLUMN unreachable_code;
DROP TABLE max_users;

-- A broadcast's progress message and report go through the bot the deputy pressed «Отправить» in (its name;
-- NULL, as for broadcasts started before: through the school's bot).
ALTER TABLE broadcasts ADD COLUMN progress_bot TEXT;

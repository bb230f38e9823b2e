-- The outbox holds neutral messages for either messenger: `messenger` says where the row goes
-- (rows stored before this migration are VK's), `keyboard` is the neutral keyboard (JSON of
-- bot.domain.ui.Keyboard) that the messenger's adapter lays out when it sends; a VK keyboard
-- rendered before this migration stays in `legacy_keyboard`. `random_id` is VK's business now
-- (derived from idem_key when absent).
-- MAX has no idempotency key, so a MAX row is marked 'sending' (with the fingerprint of what is
-- posted) before its POST; a row found 'sending' (a lost answer, a crash) is looked for among the
-- chat's recent messages before it is sent again, and `mid` records the message that delivered it.
CREATE TABLE outbox_0018 (
    id              INTEGER PRIMARY KEY,
    idem_key        TEXT NOT NULL UNIQUE,
    org_id          TEXT,
    kind            TEXT NOT NULL,
    person_id       INTEGER REFERENCES people(id) ON DELETE SET NULL,
    messenger       TEXT NOT NULL DEFAULT 'vk' CHECK (messenger IN ('vk', 'max')),
    peer_id         INTEGER NOT NULL,
    message         TEXT NOT NULL DEFAULT '',
    keyboard        TEXT,
    legacy_keyboard TEXT,
    attachment      TEXT,
    intent          TEXT,
    priority        INTEGER NOT NULL DEFAULT 1,
    random_id       INTEGER,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_code      INTEGER,
    error_msg       TEXT,
    message_id      INTEGER,
    cmid            INTEGER,
    batch           TEXT,
    fingerprint     TEXT,
    mid             TEXT,
    sending_at      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox_0018(id, idem_key, org_id, kind, person_id, messenger, peer_id, message, keyboard,
                        legacy_keyboard, attachment, intent, priority, random_id, status, attempts,
                        error_code, error_msg, message_id, cmid, batch, created_at, sent_at)
SELECT id, idem_key, org_id, kind, person_id, 'vk', peer_id, message, NULL, keyboard, attachment, intent,
       priority, random_id, status, attempts, error_code, error_msg, message_id, cmid, batch, created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_0018 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(status, priority, id);
CREATE INDEX outbox_batch ON outbox(batch);
CREATE INDEX outbox_mid ON outbox(mid) WHERE mid IS NOT NULL;

-- The dialog chat id MAX gives each person's dialog with the bot (from bot_started, messages and
-- send answers): GET /messages reads a dialog by this id when a send's outcome is uncertain.
CREATE TABLE max_dialogs (
    user_id     INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One dialog-state mechanism for every messenger (issue 14): a step of a multi-step
-- dialog, keyed by the messenger, the bot, the chat, the person's account and the feature.
-- Strangers have no roster person yet and group-chat steps need the chat, hence the key.
-- A step expires: a row past `expires_at` reads as absent and is purged.
CREATE TABLE conversation_state (
    messenger TEXT NOT NULL,
    bot_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    feature TEXT NOT NULL,
    state TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    expires_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (messenger, bot_id, chat_id, user_id, feature)
) WITHOUT ROWID;

CREATE INDEX conversation_state_expiry ON conversation_state(expires_at) WHERE expires_at IS NOT NULL;

-- One dialog-state mechanism (issue 14): every dialog step now lives in conversation_state
-- (0014), keyed by messenger, bot, chat, account and feature, with expiry. The two older
-- stores go. A dialog that was in progress in them at the upgrade is not carried over: the
-- person starts that dialog again (it would have expired soon anyway).
DROP TABLE chat_dialogs;
DROP TABLE dialog_state;

-- A broadcast's progress message and report go to the deputy's dialog in the messenger the
-- deputy started it from; existing rows were all started in VK.
ALTER TABLE broadcasts ADD COLUMN progress_messenger TEXT NOT NULL DEFAULT 'vk'
    CHECK (progress_messenger IN ('vk', 'max'));

-- Consents per messenger: a MAX account's acceptance is not the VK account's with the same number.
-- `vk_id` keeps its name (it was VK's only) and holds the account's id in `messenger`.
CREATE TABLE privacy_consents_new (
    messenger    TEXT NOT NULL DEFAULT 'vk',
    vk_id        INTEGER NOT NULL,
    org_id       TEXT,
    text_version TEXT NOT NULL,
    accepted_at  TEXT NOT NULL,
    PRIMARY KEY (messenger, vk_id, text_version)
);
INSERT INTO privacy_consents_new(messenger, vk_id, org_id, text_version, accepted_at)
    SELECT 'vk', vk_id, org_id, text_version, accepted_at FROM privacy_consents;
DROP TABLE privacy_consents;
ALTER TABLE privacy_consents_new RENAME TO privacy_consents;

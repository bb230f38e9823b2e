-- Consent to the processing of personal data, given with a button before anything else is done
-- (152-ФЗ: a separate document since 01.09.2025). One row per VK account and version of the text.
CREATE TABLE privacy_consents (
    vk_id        INTEGER NOT NULL,
    org_id       TEXT,
    -- A digest of the exact text the person accepted: a new text needs a new acceptance.
    text_version TEXT NOT NULL,
    accepted_at  TEXT NOT NULL,
    PRIMARY KEY (vk_id, text_version)
);

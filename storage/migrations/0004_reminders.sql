-- Reminders and the scheduler: what was sent to whom (for the 7-day rule and the
-- deputy's report), and when each scheduled job last fired (catch-up after downtime).

CREATE TABLE reminder_log (
    id            INTEGER PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('reminder', 'nudge')),
    period_start  TEXT NOT NULL,
    -- The outbox key of the message: a run killed and restarted reuses it.
    idem_key      TEXT NOT NULL UNIQUE,
    reasons       TEXT NOT NULL DEFAULT '[]',
    -- planned: handed to the outbox; no_vk: reported to the deputy, never sent.
    status        TEXT NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'sent', 'unreachable', 'failed', 'no_vk')),
    error_code    INTEGER,
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX reminder_log_person ON reminder_log(person_id, created_at);
CREATE INDEX reminder_log_org ON reminder_log(org_id, period_start, kind);

-- One row per scheduled job («school1:reminders», «*:backup»): the last slot handled.
CREATE TABLE job_runs (
    job_id        TEXT PRIMARY KEY,
    last_slot     TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    -- Job-specific memory, e.g. the last period a weekly summary was sent for.
    detail        TEXT,
    updated_at    TEXT NOT NULL
);

-- Weekly statistics: imports, per-person and per-organization figures, rows kept
-- aside for the deputy, and live counts from group chats the bot can read.

CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    org_id        TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'organization', 'roster')),
    period_start  TEXT,
    period_end    TEXT,
    file_name     TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    rows_imported INTEGER NOT NULL,
    problems      TEXT NOT NULL DEFAULT '[]',
    imported_by   INTEGER,
    imported_at   TEXT NOT NULL
);
CREATE INDEX imports_org ON imports(org_id, kind, period_start);

-- Periods run Saturday to Friday; period_start is the Saturday (YYYY-MM-DD).
CREATE TABLE person_stats (
    person_id           INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    org_id              TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    period_start        TEXT NOT NULL,
    period_end          TEXT NOT NULL,
    group_messages      INTEGER,
    calls               INTEGER,
    group_chats_created INTEGER,
    ejd_linked          INTEGER,
    registered          INTEGER,
    import_id           INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    PRIMARY KEY (person_id, period_start)
);
CREATE INDEX person_stats_org ON person_stats(org_id, period_start);

CREATE TABLE org_stats (
    org_id                 TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    period_start           TEXT NOT NULL,
    period_end             TEXT NOT NULL,
    students_total         INTEGER,
    teachers_total         INTEGER,
    teachers_created_chats INTEGER,
    teachers_3plus         INTEGER,
    teachers_10plus        INTEGER,
    teachers_1call         INTEGER,
    teachers_ejd           INTEGER,
    students_ejd           INTEGER,
    status                 TEXT CHECK (status IN ('active', 'inactive')),
    import_id              INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    PRIMARY KEY (org_id, period_start)
);

-- Rows that matched nobody or several people: the deputy resolves them in the chat.
CREATE TABLE pending_rows (
    id            INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    org_id        TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    row_no        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    data          TEXT NOT NULL,
    candidates    TEXT NOT NULL DEFAULT '[]',
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    person_id     INTEGER REFERENCES people(id) ON DELETE SET NULL
);
CREATE INDEX pending_rows_open ON pending_rows(org_id, status);

-- Counts only: no message text, no ids of people outside the roster.
CREATE TABLE live_counts (
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    period_start  TEXT NOT NULL,
    messages      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, period_start)
);

-- Schools loaded from a table (`sferum-bot import-schools`). With the config's schools they make
-- the deployment's list of schools; a table school replaces a config school with the same id.
-- Deputies' ids are JSON arrays of integers.
CREATE TABLE table_schools (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    inn             TEXT NOT NULL,
    district        TEXT,
    timezone        TEXT NOT NULL,
    director_vk_id  INTEGER,
    deputy_vk_ids   TEXT NOT NULL DEFAULT '[]',
    director_max_id INTEGER,
    deputy_max_ids  TEXT NOT NULL DEFAULT '[]',
    row_no          INTEGER NOT NULL,
    imported_at     TEXT NOT NULL
);

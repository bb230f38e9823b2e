-- PostgreSQL twin of 0024_table_schools.sql (the same table; BIGINT for INTEGER, text compared byte by byte).
-- Schools loaded from a table (`sferum-bot import-schools`). With the config's schools they make
-- the deployment's list of schools; a table school replaces a config school with the same id.
-- Deputies' ids are JSON arrays of integers.
CREATE TABLE table_schools (
    id              TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT COLLATE "C" NOT NULL,
    inn             TEXT COLLATE "C" NOT NULL,
    district        TEXT COLLATE "C",
    timezone        TEXT COLLATE "C" NOT NULL,
    director_vk_id  BIGINT,
    deputy_vk_ids   TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    director_max_id BIGINT,
    deputy_max_ids  TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    row_no          BIGINT NOT NULL,
    imported_at     TEXT COLLATE "C" NOT NULL
);

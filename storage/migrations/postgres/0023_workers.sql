-- PostgreSQL twin of 0023_workers.sql (the same table; BIGINT for INTEGER, text compared byte by byte).
-- 0023: the workers registry (issue 16). Each `sferum-bot run` registers itself, beats every 5 s and
-- deletes its row on a clean exit; restore (and init) refuse while a heartbeat is younger than 15 s.
CREATE TABLE workers (
    id            TEXT COLLATE "C" PRIMARY KEY,            -- host:pid:started, unique per process run
    host          TEXT COLLATE "C" NOT NULL,
    pid           BIGINT NOT NULL,
    roles         TEXT COLLATE "C" NOT NULL DEFAULT '[]',  -- JSON list: what this process runs (vk, max, scheduler …)
    version       TEXT COLLATE "C" NOT NULL DEFAULT '',    -- the sferum-bot version it runs
    started_at    TEXT COLLATE "C" NOT NULL,               -- UTC ISO 8601, as every timestamp of the schema
    heartbeat_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX workers_heartbeat ON workers(heartbeat_at);

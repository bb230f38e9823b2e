-- 0023: the workers registry (issue 16). Each `sferum-bot run` registers itself, beats every 5 s and
-- deletes its row on a clean exit; restore (and init) refuse while a heartbeat is younger than 15 s.
CREATE TABLE workers (
    id            TEXT PRIMARY KEY,            -- host:pid:started, unique per process run
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]',  -- JSON list: what this process runs (vk, max, scheduler …)
    version       TEXT NOT NULL DEFAULT '',    -- the sferum-bot version it runs
    started_at    TEXT NOT NULL,               -- UTC ISO 8601, as every timestamp of the schema
    heartbeat_at  TEXT NOT NULL
);
CREATE INDEX workers_heartbeat ON workers(heartbeat_at);

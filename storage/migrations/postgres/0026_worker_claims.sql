-- PostgreSQL twin of 0026_worker_claims.sql (BIGINT for INTEGER, text compared byte by byte).
-- 0026: several workers share the outbox and the inbox (issue 16). On PostgreSQL a worker claims
-- unfinished rows with FOR UPDATE SKIP LOCKED and a lease; rows a killed worker held come back when the
-- lease ends.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT COLLATE "C";  -- the workers.id that holds the row
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;           -- Unix time in ms until which the claim holds
ALTER TABLE inbox ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE inbox ADD COLUMN lease_until BIGINT;
CREATE INDEX inbox_order ON inbox(order_key, id);

-- 0026: several workers share the outbox and the inbox (issue 16). On PostgreSQL a worker claims
-- unfinished rows with FOR UPDATE SKIP LOCKED and a lease; rows a killed worker held come back when the
-- lease ends. SQLite runs one process and never claims: the columns stay NULL there.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;     -- the workers.id that holds the row
ALTER TABLE outbox ADD COLUMN lease_until INTEGER; -- Unix time in ms until which the claim holds
ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN lease_until INTEGER;
CREATE INDEX inbox_order ON inbox(order_key, id);

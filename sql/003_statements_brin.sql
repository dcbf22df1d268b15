-- 003_statements_brin: a cheaper time index on statements.
--
-- Every statement through the gateway is one row of statements, written by
-- the recorder with COPY while the gateway runs, so what each row costs
-- PostgreSQL to insert bounds how many statements a busy gateway can
-- record. The btree on started_at cost about a sixth of that: one more
-- index entry and its WAL per row. A BRIN index keeps only the range of
-- started_at of each block range of the table (128 pages), which the
-- recorder's rows fill in nearly time order, so it costs next to nothing
-- to maintain and still serves every query bounded in time
-- (WHERE started_at >= now() - interval '1 hour', between two dates, ...).
-- It cannot return rows in started_at order: "newest first" queries need a
-- time bound to stay fast on a large table (docs/OPERATIONS.md).
--
-- Block ranges filled since the last VACUUM are not summarised yet and are
-- read by every such query, which stays correct; autovacuum summarises
-- them as the table grows.
--
-- The migration runner wraps this file in a transaction; it must not contain
-- transaction control of its own.

DROP INDEX statements_started_idx;

CREATE INDEX statements_started_idx ON statements USING brin (started_at);

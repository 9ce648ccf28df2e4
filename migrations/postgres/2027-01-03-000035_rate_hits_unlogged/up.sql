-- The rate limits' counters (one upsert per API or SCIM request, per sign-in attempt) need no
-- durability: after a crash the counts start again, as they do each minute. Unlogged, a
-- counter's commit waits for no WAL flush (2.0 ms → 0.24 ms per upsert on the benchmark
-- machine, pgbench at one connection).
ALTER TABLE rate_hits SET UNLOGGED;

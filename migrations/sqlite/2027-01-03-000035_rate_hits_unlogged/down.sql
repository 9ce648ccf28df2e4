-- Nothing on SQLite: its rate limits count in memory (the PostgreSQL migration of the same
-- name makes their shared counters unlogged).
SELECT 1;

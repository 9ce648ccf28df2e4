-- Nothing on PostgreSQL: the SQLite migration of the same name turns off the full-text
-- indexes' automatic merging (GIN's pending list is cleaned by autovacuum).
SELECT 1;

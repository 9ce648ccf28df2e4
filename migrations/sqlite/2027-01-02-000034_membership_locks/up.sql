-- Nothing on SQLite: its writers take turns (one at a time); the PostgreSQL migration of the
-- same name locks a person's row before a change to their memberships.
SELECT 1;

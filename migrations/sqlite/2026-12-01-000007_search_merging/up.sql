-- The full-text indexes stop merging their segments inside the writer that crosses the
-- threshold; the server merges them every second instead (db::merge_search_indexes).
INSERT INTO users_fts (users_fts, rank) VALUES ('automerge', 0);
INSERT INTO audit_fts (audit_fts, rank) VALUES ('automerge', 0);

INSERT INTO users_fts (users_fts, rank) VALUES ('automerge', 4);
INSERT INTO audit_fts (audit_fts, rank) VALUES ('automerge', 4);

-- Sign-in and sign-up attempts per client address (and per email), counted in fixed windows
-- here so every instance on this database counts the same attempts (SQLite serves one
-- instance, which counts in memory, and keeps this table empty).
CREATE TABLE rate_hits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_hits_window ON rate_hits (window_start);

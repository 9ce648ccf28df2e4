-- A temporary password an administrator set: its holder must choose their own at the next
-- sign-in. Every password change deletes the row.
CREATE TABLE temporary_passwords (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    set_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    set_at TIMESTAMP NOT NULL
);

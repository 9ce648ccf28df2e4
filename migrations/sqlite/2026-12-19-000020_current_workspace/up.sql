-- The workspace each person last switched to in the header, remembered per person. No
-- foreign key to workspaces: an archived one is simply not offered, and the switcher falls
-- back to the first they manage.
CREATE TABLE current_workspaces (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL
);

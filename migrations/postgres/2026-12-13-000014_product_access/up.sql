-- People who hold roles and licenses for the products but never sign into the console.
CREATE TABLE product_only_users (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

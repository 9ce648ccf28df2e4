DROP TABLE username_policies;
DROP TABLE usernames;

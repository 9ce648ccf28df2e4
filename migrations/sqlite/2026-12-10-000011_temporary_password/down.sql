DROP TABLE temporary_passwords;

DROP INDEX users_quiet;

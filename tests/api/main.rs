//! The integration suite: one binary, every test against the real app over HTTP, each on
//! SQLite and on PostgreSQL (when TEST_DATABASE_URL_PG is set).

mod helpers;
mod smtp;
mod sse;

mod account;
mod activity;
mod activity_log;
mod api_tokens;
mod auth;
mod authority;
mod bulk;
mod cli;
mod create;
mod divisions;
mod domains;
mod edit;
mod exit;
mod export;
mod field_rules;
mod fields;
mod groups;
mod import;
mod import_users;
mod input;
mod invites;
mod layers;
mod lifecycle;
mod lockout;
mod mail;
mod mfa;
mod permissions;
mod presence;
mod reset;
mod roles;
mod routes;
mod scopes;
mod security;
mod settings;
mod setup;
mod signup;
mod username;
mod users_list;
mod workspace_members;
mod workspace_users;
mod workspaces;

DROP TABLE sso_settings;
DROP TABLE sso_requests;
DROP TABLE user_identities;
DROP TABLE identity_providers;

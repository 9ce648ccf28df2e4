//! The Edit User dialog: details, roles, licenses, access, and the Active toggle.

pub mod dialog;
pub mod forms;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// Time zones offered in the dialog (a stored value outside the list stays selectable).
pub const TIMEZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Toronto",
];

/// Languages offered: (code, name).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("ja", "日本語"),
];

pub const CHAT_ALL: &str = "all";
pub const CHAT_ASSIGNED: &str = "assigned";

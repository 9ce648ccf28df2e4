//! Create User (beside Invite User): one person with the whole profile, emailed a link to
//! confirm the account and choose a password.

pub mod forms;
pub mod routes;
pub mod service;
pub mod views;

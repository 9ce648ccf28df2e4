//! A workspace's Users page: its members with their access level, ADD USER, EDIT (UPDATE),
//! Revoke Access. The list is User Management's own engine (keyset pages, search) filtered
//! to the workspace.

pub mod export;
pub mod handover;
pub mod revoke;
pub mod routes;
pub mod service;
pub mod views;

//! Invitations: the Invite User grid, seats held by invitees, the emailed link that lets them
//! join, and the organization's auto-signup switch that gates the grid.

pub mod forms;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// The invite grid starts with this many rows.
pub const INITIAL_ROWS: usize = 3;
/// Most rows one Send Invites accepts.
pub const MAX_ROWS: usize = 50;

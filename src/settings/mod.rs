//! Organization settings: sign-up domains, invitation lifetime, and seats per product.

pub mod forms;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

/// Bounds of the invitation lifetime setting, in days.
pub const INVITE_DAYS: std::ops::RangeInclusive<i32> = 1..=90;
/// Most seats a product can have.
pub const MAX_SEATS: i32 = 1_000_000;

//! Divisions: the parts of an organization its people belong to (one each, or none).
//! Settings → Divisions creates, renames and deletes them; a deletion moves the division's
//! users to another division, or to none, in the same transaction.

pub mod routes;
pub mod service;
pub mod store;

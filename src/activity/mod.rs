//! The Activity page: the audit log newest first, filtered and paged through indexes,
//! exported as CSV, and live (server-sent events) with presence riding the same machinery.

pub mod export;
pub mod forms;
pub mod labels;
pub mod routes;
pub mod service;
pub mod store;
pub mod stream;
pub mod views;

//! Queries behind sign-in, sessions, one-time tokens and the signed-in user.

mod sessions;
mod sign_in;
mod tokens;

pub use sessions::*;
pub use sign_in::*;
pub use tokens::*;

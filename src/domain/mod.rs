//! Pure rules, no I/O.

pub mod email;
pub mod role;

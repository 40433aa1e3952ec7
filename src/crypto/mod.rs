//! Secrets without I/O: random tokens and their hashes, password hashing (argon2id), and
//! the BSN vault (encryption at rest and keyed lookup hashes). Used by the store, the
//! services and the request guards alike, so it sits below all of them.

pub mod bsn_vault;
pub mod password;
pub mod secret;

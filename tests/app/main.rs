//! The one integration test binary: every test runs the real Rocket on a fresh, migrated
//! database through the `TestApp` harness.

mod harness;
mod smtp_server;

mod catalogue;
mod contracts;
mod foundation;
mod mail;
mod ordering;

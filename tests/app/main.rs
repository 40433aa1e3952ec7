//! The one integration test binary: every test runs the real Rocket on a fresh, migrated
//! database through the `TestApp` harness, except the invoice renditions (`renditions`), which
//! are pure functions of a document and need neither.

mod harness;
mod smtp_server;

mod catalogue;
mod contracts;
mod foundation;
mod insight;
mod invoicing;
mod mail;
mod ordering;
mod registration;
mod renditions;
mod staff_pages;

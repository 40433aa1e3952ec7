//! The one integration test binary: every test runs the real Rocket on a fresh, migrated
//! database through the `TestApp` harness, except the invoice renditions (`renditions`), which
//! are pure functions of a document and need neither.

mod harness;
mod smtp_server;

mod api_tokens;
mod authz;
mod backup;
mod casemanager_pages;
mod catalogue;
mod config;
mod confirmations;
mod contracts;
mod crash;
mod credit_dispositions;
mod demo_history;
mod first_start;
mod forms;
mod foundation;
mod insight;
mod integrity;
mod invoicing;
mod json_bodies;
mod layering;
mod mail;
mod marketplace;
mod offers;
mod oidc;
mod ordering;
mod properties;
mod providers;
mod registration;
mod registration_corrections;
mod renditions;
mod server_log;
mod sessions;
mod settlement;
mod staff_pages;
mod totp;
mod trajectory_queries;
mod two_servers;
mod user_admin;

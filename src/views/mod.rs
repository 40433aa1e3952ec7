//! Read models: every list and detail that the API or the web shows, loaded in batches
//! (one query per table per page, never one per row) and returned as plain view structs.
//! `api/` serialises them to JSON and `web/` renders them with askama; neither touches the
//! store or the entities. Each view takes the `Principal`; the store applies its scope.

pub mod audit;
pub mod catalogue_cache;
pub mod clients;
pub mod contracts;
pub mod health;
pub mod invoices;
pub mod municipalities;
pub mod offers;
pub mod products;
pub mod providers;
pub mod reports;
pub mod second_factor;
pub mod tokens;
pub mod trajectories;
pub mod users;

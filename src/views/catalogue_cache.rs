//! The product list's data kept in memory between requests: the catalogue, and contract
//! terms per municipality and date.
//!
//! Each use first reads the catalogue generation, one row that database triggers bump in
//! the same transaction as any change to products, their target groups, milestones and
//! list prices, or to contracts, their lines and price amendments, whoever makes it (this
//! server, a second server on the same database, the command line). What was cached under
//! another generation is dropped. The generation is read before the data is loaded, so
//! loaded data is never older than the generation it is kept under.
//!
//! Orders never read this cache: the price an order locks is resolved from the database
//! inside the order's transaction (`store::contracts::resolve`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::domain::principal::Principal;
use crate::error::AppResult;
use crate::store;
use crate::store::catalogue::StoredProduct;
use crate::store::contracts::ContractedTerms;

/// Contract terms kept at most (municipality × date); past it the map starts afresh.
const MAX_TERMS: usize = 1024;
/// Rendered answers kept at most; past it the map starts afresh.
const MAX_RENDERED: usize = 256;

#[derive(Default)]
pub struct CatalogueCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: Option<i64>,
    products: Option<Arc<Vec<StoredProduct>>>,
    terms: HashMap<(String, NaiveDate), Arc<ContractedTerms>>,
    /// Answers serialised once and sent as they are, by a key that holds everything the
    /// answer depends on besides the generation (the caller's scope among it).
    rendered: HashMap<String, Arc<KeptAnswer>>,
}

/// An answer serialised once and sent as it is, and its compressed form, made the first
/// time a client that accepts it asks (so each kept answer is compressed at most once).
pub struct KeptAnswer {
    pub json: Box<str>,
    compressed: OnceLock<Box<[u8]>>,
}

impl KeptAnswer {
    pub fn new(json: String) -> Self {
        Self {
            json: json.into_boxed_str(),
            compressed: OnceLock::new(),
        }
    }

    /// The compressed form, made by `compress` from the JSON on first use.
    pub fn compressed(&self, compress: impl FnOnce(&[u8]) -> Vec<u8>) -> &[u8] {
        self.compressed
            .get_or_init(|| compress(self.json.as_bytes()).into_boxed_slice())
    }
}

impl State {
    /// Makes the state hold `generation`: true when data loaded at that generation
    /// may be kept (false when the cache already holds a newer one).
    fn advance_to(&mut self, generation: i64) -> bool {
        match self.generation {
            Some(current) if current == generation => true,
            Some(current) if current > generation => false,
            _ => {
                *self = State {
                    generation: Some(generation),
                    ..State::default()
                };
                true
            }
        }
    }
}

/// The catalogue generation now; read it before the data it validates.
pub async fn generation<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    store::catalogue::generation(db).await
}

impl CatalogueCache {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole or not at all: a panic elsewhere leaves it usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every product, as `store::catalogue::all` reads them, at `generation`.
    pub async fn products<C: ConnectionTrait>(
        &self,
        db: &C,
        generation: i64,
    ) -> AppResult<Arc<Vec<StoredProduct>>> {
        {
            let state = self.state();
            if state.generation == Some(generation) {
                if let Some(products) = &state.products {
                    return Ok(products.clone());
                }
            }
        }
        let products = Arc::new(store::catalogue::all(db).await?);
        let mut state = self.state();
        if state.advance_to(generation) {
            state.products = Some(products.clone());
        }
        Ok(products)
    }

    /// An answer rendered at `generation` under `key`, if kept. The caller checks the
    /// principal's access before asking, and puts its scope in the key.
    pub fn rendered(&self, generation: i64, key: &str) -> Option<Arc<KeptAnswer>> {
        let state = self.state();
        if state.generation != Some(generation) {
            return None;
        }
        state.rendered.get(key).cloned()
    }

    /// Keeps an answer rendered from data read at `generation`.
    pub fn keep_rendered(&self, generation: i64, key: String, body: Arc<KeptAnswer>) {
        let mut state = self.state();
        if state.advance_to(generation) {
            if state.rendered.len() >= MAX_RENDERED {
                state.rendered.clear();
            }
            state.rendered.insert(key, body);
        }
    }

    /// A municipality's contract terms on a date, at `generation`. The principal's scope
    /// is checked on every call, cached or not.
    pub async fn terms<C: ConnectionTrait>(
        &self,
        db: &C,
        principal: &Principal,
        municipality: &str,
        date: NaiveDate,
        generation: i64,
    ) -> AppResult<Arc<ContractedTerms>> {
        store::contracts::check_scope(principal, municipality)?;
        let key = (municipality.to_string(), date);
        {
            let state = self.state();
            if state.generation == Some(generation) {
                if let Some(terms) = state.terms.get(&key) {
                    return Ok(terms.clone());
                }
            }
        }
        let terms =
            Arc::new(store::contracts::contracted_terms(db, principal, municipality, date).await?);
        let mut state = self.state();
        if state.advance_to(generation) {
            if state.terms.len() >= MAX_TERMS {
                state.terms.clear();
            }
            state.terms.insert(key, terms.clone());
        }
        Ok(terms)
    }
}

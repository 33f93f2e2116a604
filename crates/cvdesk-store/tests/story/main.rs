//! One story of the store, told on every backend.

mod accounts;
mod backends;
mod reports;

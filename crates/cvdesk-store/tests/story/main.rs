//! One story of the store, told on every backend.

mod accounts;
mod audit;
mod backends;
mod reports;
mod triage;

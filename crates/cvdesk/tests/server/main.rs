//! Integration tests: each starts the real `cvdesk` binary on a free loopback port with a
//! temporary data folder and talks HTTP to it.

mod app;
mod config;
mod durability;
mod form;
mod headers;
mod intake_api;
mod postgres;
mod example_config;

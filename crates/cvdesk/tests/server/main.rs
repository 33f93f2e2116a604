//! Integration tests: each starts the real `cvdesk` binary on a free loopback port with a
//! temporary data folder and talks HTTP to it.

mod abuse;
mod admin_pages;
mod app;
mod authorisation;
mod cli_cvss;
mod cli_securitytxt;
mod config;
mod data_at_rest;
mod deadlines;
mod duplicates;
mod durability;
mod edge;
mod example_config;
mod finder_keys;
mod form;
mod gnupg;
mod headers;
mod jobs;
mod intake_api;
mod mail;
mod mail_news;
mod mail_teams;
mod messages;
mod openapi;
mod openpgp;
mod policy;
mod postgres;
mod proxies;
mod report_files;
mod spam;
mod staff;
mod staff_api;
mod staff_triage;
mod two_factor;
mod uploads;

//! One story of the store, told on every backend.

mod abuse;
mod accounts;
mod advisories;
mod audit;
mod audit_atomic;
mod audit_batches;
mod blobs;
mod duplicates;
mod findings;
mod jobs;
mod backends;
mod messages;
mod milestones;
mod outbox;
mod policy;
mod reminders;
mod report_files;
mod reports;
mod search;
mod staff;
mod thanks;
mod times;
mod triage;

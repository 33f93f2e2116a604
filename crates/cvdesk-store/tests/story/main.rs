//! One story of the store, told on every backend.

mod abuse;
mod accounts;
mod accounts_audit;
mod advisories;
mod api_tokens;
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
mod sign_in;
mod staff;
mod thanks;
mod times;
mod triage;

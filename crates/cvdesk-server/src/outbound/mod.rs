//! Outbound disclosure, the researcher's side: the vendor directory with contact
//! discovery, cases against vendors with the initial inquiry (items a–k of the policy),
//! their deadlines and log, sending by mail, and publication. The rules live in
//! `cvdesk_domain::outbound` and `cvdesk_domain::vendor`; this folder holds the services
//! that apply them with the store, the mail and the network.

pub mod api;
pub mod case_form;
pub mod cases;
pub mod csaf;
pub mod discovery;
pub mod fetch;
pub mod public;
pub mod publish;
pub mod reminders;
pub mod send;
pub mod settings;
pub mod staff;
pub mod vendor_api;
pub mod vendor_pages;

pub use settings::OutboundSettings;

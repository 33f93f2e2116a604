//! Coordination with other vendors (ETSI clause 5.6.2), end to end: the service that adds
//! participants and applies the domain's rules with their log, mail and audit entries; the
//! coordinator's page and the staff API; each participant's page, API and shared files
//! behind its secret link; the mail with TLP labels in the subject (OpenPGP-encrypted when
//! the vendor's key is known).

pub mod api;
pub mod deadlines;
pub mod embargo;
pub mod mail;
pub mod participant_actions;
pub mod participant_api;
pub mod participant_files;
pub mod participant_pages;
pub mod service;
pub mod staff;
pub mod views;

use crate::routes::table::{get, post, put, RouteTable};

/// The staff API and the participant API under `/api/v1`.
pub fn api_routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/reports/{reference}/participants",
            post(api::post_participant).get(api::list_participants),
        )
        .route(
            "/reports/{reference}/participants/{participant}/contact",
            post(api::post_contact),
        )
        .route(
            "/reports/{reference}/participants/{participant}/statuses/{status}/approve",
            post(api::post_approve),
        )
        .route(
            "/reports/{reference}/embargo",
            put(api::put_embargo).get(api::get_embargo),
        )
        .route(
            "/reports/{reference}/coordination/messages",
            post(api::post_message),
        )
        .route("/reports/{reference}/coordination/log", get(api::get_log))
        .route(
            "/participate/{participant_token}",
            get(participant_api::get_share),
        )
        .route(
            "/participate/{participant_token}/status",
            post(participant_api::post_status),
        )
        .route(
            "/participate/{participant_token}/messages",
            post(participant_api::post_message),
        )
        .route(
            "/participate/{participant_token}/contact",
            post(participant_api::post_contact),
        )
        .route(
            "/participate/{participant_token}/embargo-proposals",
            post(participant_api::post_embargo_proposal),
        )
        .route(
            "/participate/{participant_token}/nominations",
            post(participant_api::post_nomination),
        )
        .route(
            "/participate/{participant_token}/files/{attachment_id}",
            get(participant_files::get_file),
        )
}

/// The coordinator's page and its forms under `/staff`.
pub fn staff_routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/reports/{reference}/coordination",
            get(staff::get_coordination),
        )
        .route(
            "/reports/{reference}/coordination/participants",
            post(staff::post_participant),
        )
        .route(
            "/reports/{reference}/coordination/embargo",
            post(staff::post_embargo),
        )
        .route(
            "/reports/{reference}/coordination/contact",
            post(staff::post_contact),
        )
        .route(
            "/reports/{reference}/coordination/approve",
            post(staff::post_approve),
        )
        .route(
            "/reports/{reference}/coordination/messages",
            post(staff::post_message),
        )
        .route(
            "/reports/{reference}/coordination/decline",
            post(staff::post_decline),
        )
}

/// The participant's page and its forms, behind its link.
pub fn participant_routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/participate/{participant_token}",
            get(participant_pages::get_page),
        )
        .route(
            "/participate/{participant_token}/status",
            post(participant_pages::post_status),
        )
        .route(
            "/participate/{participant_token}/messages",
            post(participant_pages::post_message),
        )
        .route(
            "/participate/{participant_token}/contact",
            post(participant_pages::post_contact),
        )
        .route(
            "/participate/{participant_token}/embargo-proposals",
            post(participant_pages::post_embargo_proposal),
        )
        .route(
            "/participate/{participant_token}/nominations",
            post(participant_pages::post_nomination),
        )
        .route(
            "/participate/{participant_token}/files/{attachment_id}",
            get(participant_files::get_file_page),
        )
}

//! Security advisories (ETSI clauses 5.5.3–5.5.5), end to end: the service that writes,
//! schedules, publishes, revises and withdraws them; the staff pages and API; the public
//! pages, the Atom feed, OSV and CVE records; the CSAF trusted provider's files; credits
//! with the finder's consent on the tracking page and the hall of fame; and the job that
//! publishes at the scheduled instant.

pub mod api;
pub mod credits;
pub mod csaf;
pub mod cve_page;
pub mod cve_services;
pub mod edit_pages;
pub mod editor;
pub mod finder_points;
pub mod job;
pub mod public;
pub mod service;
pub mod staff;
pub mod views;

use axum::http::{header, HeaderValue};
use cvdesk_formats::cve_record::CveOrgId;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::routes::table::{get, post, RouteTable};

pub use csaf::CsafCache;

/// What the operator configures about publishing.
#[derive(Debug, Clone, Default)]
pub struct AdvisorySettings {
    /// How to reach the security team, as the documents name it (e.g. an e-mail address).
    pub contact: Option<String>,
    /// The CNA's organization id at CVE Services; without it no CVE record is written.
    pub cna_org_id: Option<CveOrgId>,
    pub cna_short_name: Option<String>,
    /// The CNA's CVE Services account; without it CVE IDs and records are handled by hand.
    pub cve_services: Option<cve_services::CveServicesAccount>,
}

/// The staff API under `/api/v1`.
pub fn api_routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/advisories",
            post(api::post_advisory).get(api::list_advisories),
        )
        .route(
            "/advisories/{advisory}",
            get(api::get_advisory).patch(api::patch_advisory),
        )
        .route("/advisories/{advisory}/publish", post(api::post_publish))
        .route("/advisories/{advisory}/withdraw", post(api::post_withdraw))
        .route(
            "/finder-points",
            get(finder_points::get_setting_json).put(finder_points::put_setting_json),
        )
}

/// The staff pages under `/staff`.
pub fn staff_routes() -> RouteTable {
    RouteTable::new()
        .route(
            "/advisories",
            get(staff::get_list).post(edit_pages::post_new),
        )
        .route("/advisories/new", get(edit_pages::get_new))
        .route("/advisories/{advisory}", get(staff::get_advisory))
        .route(
            "/advisories/{advisory}/edit",
            get(edit_pages::get_edit).post(edit_pages::post_edit),
        )
        .route("/advisories/{advisory}/preview", get(staff::get_preview))
        .route(
            "/advisories/{advisory}/schedule",
            post(staff::post_schedule),
        )
        .route(
            "/advisories/{advisory}/unschedule",
            post(staff::post_unschedule),
        )
        .route("/advisories/{advisory}/publish", post(staff::post_publish))
        .route(
            "/advisories/{advisory}/withdraw",
            post(staff::post_withdraw),
        )
        .route("/advisories/{advisory}/credits", post(staff::post_credit))
        .route(
            "/advisories/{advisory}/credits/{credit}/remove",
            post(staff::post_remove_credit),
        )
        .route(
            "/finder-points",
            get(finder_points::get_setting).post(finder_points::post_setting),
        )
        .route(
            "/advisories/{advisory}/cve-services",
            get(cve_page::get_page),
        )
        .route(
            "/advisories/{advisory}/cve-services/reserve",
            post(cve_page::post_reserve),
        )
        .route(
            "/advisories/{advisory}/cve-services/{cve}/publish",
            post(cve_page::post_publish),
        )
        .route(
            "/advisories/{advisory}/cve-services/{cve}/update",
            post(cve_page::post_update),
        )
}

/// The public pages, the finder's answers to credits, and the CSAF provider.
pub fn public_routes() -> RouteTable {
    let anyone = SetResponseHeaderLayer::overriding(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let provider = RouteTable::new()
        .route(
            "/.well-known/csaf/provider-metadata.json",
            get(csaf::get_provider_metadata),
        )
        .route("/.well-known/csaf/white/", get(csaf::get_white_listing))
        .route("/.well-known/csaf/white/index.txt", get(csaf::get_index))
        .route(
            "/.well-known/csaf/white/changes.csv",
            get(csaf::get_changes),
        )
        .route(
            "/.well-known/csaf/white/csaf-feed-tlp-white.json",
            get(csaf::get_feed),
        )
        .route(
            "/.well-known/csaf/white/{year}/",
            get(csaf::get_year_listing),
        )
        .route(
            "/.well-known/csaf/white/{year}/{file}",
            get(csaf::get_document),
        )
        .route("/.well-known/csaf/openpgp/{file}", get(csaf::get_key))
        .layer(anyone);
    RouteTable::new()
        .route("/advisories", get(public::get_advisories))
        .route("/advisories.atom", get(public::get_atom))
        .route("/advisories/{advisory}", get(public::get_advisory))
        .route("/advisories/{advisory}/osv.json", get(public::get_osv))
        .route("/advisories/{advisory}/cve/{file}", get(public::get_cve))
        .route(
            "/track/{token}/credits/{credit}",
            post(credits::post_answer),
        )
        .merge(provider)
}

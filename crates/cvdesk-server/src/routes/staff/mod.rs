//! The staff workspace under `/staff`. Every page but sign-in and the one-time links takes
//! a `StaffUser`, and every form carries the session's CSRF token.

mod account;
mod audit_log;
mod bulk_close;
mod due;
pub mod layout;
mod links;
mod policy;
mod products;
mod queue;
mod report;
mod sign_in;
mod users;

use axum::extract::rejection::FormRejection;
use axum::Form;

use super::table::{get, post, RouteTable};
use crate::error::{PageError, WebError};

pub use account::second_factor_required;

pub fn routes() -> RouteTable {
    RouteTable::new()
        .route("/", get(queue::get_queue))
        .route("/due", get(due::get_due))
        .route("/reports/bulk-close", post(bulk_close::post_bulk_close))
        .route("/reports/{reference}", get(report::get_report))
        .route(
            "/reports/{reference}/attachments/{attachment_id}",
            get(report::get_attachment),
        )
        .route(
            "/reports/{reference}/transition",
            post(report::post_transition),
        )
        .route(
            "/reports/{reference}/needs-info",
            post(report::post_needs_info),
        )
        .route("/reports/{reference}/product", post(report::post_product))
        .route(
            "/reports/{reference}/classification",
            post(report::post_classification),
        )
        .route(
            "/reports/{reference}/assessment",
            post(report::post_assessment),
        )
        .route("/reports/{reference}/notes", post(report::post_note))
        .route("/reports/{reference}/messages", post(report::post_message))
        .route("/reports/{reference}/decrypt", post(report::post_decrypt))
        .route("/reports/{reference}/purge", post(report::post_purge))
        .route(
            "/reports/{reference}/root-cause",
            post(report::post_root_cause),
        )
        .route(
            "/reports/{reference}/contact-removal",
            post(report::post_contact_removal),
        )
        .route(
            "/reports/{reference}/appeal",
            post(report::post_appeal_decision),
        )
        .route("/cvss", get(report::get_cvss))
        .route("/policy", get(policy::get_policy).post(policy::post_policy))
        .route("/audit", get(audit_log::get_audit))
        .route("/audit/verify", post(audit_log::post_verify))
        .route(
            "/cases",
            get(crate::outbound::staff::get_cases).post(crate::outbound::case_form::post_case),
        )
        .route("/cases/new", get(crate::outbound::case_form::get_new_case))
        .route(
            "/vendors",
            get(crate::outbound::vendor_pages::get_vendors)
                .post(crate::outbound::vendor_pages::post_vendors),
        )
        .route(
            "/vendors/{vendor_id}",
            get(crate::outbound::vendor_pages::get_vendor)
                .post(crate::outbound::vendor_pages::post_vendor),
        )
        .route(
            "/vendors/{vendor_id}/discover",
            post(crate::outbound::vendor_pages::post_discover),
        )
        .route("/cases/{case_id}", get(crate::outbound::staff::get_case))
        .route(
            "/cases/{case_id}/send",
            post(crate::outbound::staff::post_send),
        )
        .route(
            "/cases/{case_id}/events",
            post(crate::outbound::staff::post_event),
        )
        .route(
            "/cases/{case_id}/transition",
            post(crate::outbound::staff::post_transition),
        )
        .route(
            "/cases/{case_id}/publish",
            post(crate::outbound::staff::post_publish),
        )
        .route(
            "/mail/quarantine",
            get(crate::outbound::staff::get_quarantine),
        )
        .route(
            "/mail/quarantine/{mail_id}",
            get(crate::outbound::staff::get_quarantined_message),
        )
        .route("/jobs", get(crate::jobs::get_jobs))
        .route("/jobs/{id}/retry", post(crate::jobs::post_retry_job))
        .route("/outbox", get(crate::mail::outbox_page::get_outbox))
        .route(
            "/outbox/{id}/retry",
            post(crate::mail::outbox_page::post_retry),
        )
        .route(
            "/outbox/{id}/discard",
            post(crate::mail::outbox_page::post_discard),
        )
        .route(
            "/products",
            get(products::get_products).post(products::post_products),
        )
        .route(
            "/products/{id}",
            get(products::get_product).post(products::post_product),
        )
        .route("/users", get(users::get_users))
        .route("/users/{id}/disable", post(users::post_disable))
        .route("/users/{id}/enable", post(users::post_enable))
        .route("/tokens/{id}/revoke", post(users::post_revoke_token))
        .route("/account", get(account::get_account))
        .route("/account/password", post(account::post_password))
        .route(
            "/account/two-factor/start",
            post(account::post_two_factor_start),
        )
        .route(
            "/account/two-factor/confirm",
            post(account::post_two_factor_confirm),
        )
        .route(
            "/account/two-factor/remove",
            post(account::post_two_factor_remove),
        )
        .route(
            "/account/require-two-factor",
            post(account::post_require_second_factor),
        )
        .merge(crate::advisories::staff_routes())
        .merge(crate::insights::staff_routes())
        .merge(crate::findings::staff_routes())
        .merge(crate::coordination::staff_routes())
        .route("/login", get(sign_in::get_login).post(sign_in::post_login))
        .route(
            "/login/code",
            get(sign_in::get_code).post(sign_in::post_code),
        )
        .route("/logout", post(sign_in::post_logout))
        .route(
            "/setup/{token}",
            get(links::get_setup).post(links::post_setup),
        )
        .route(
            "/password/{token}",
            get(links::get_password_link).post(links::post_password_link),
        )
}

/// A form body, or a 400 page that says what was wrong with it.
pub fn form<T>(submitted: Result<Form<T>, FormRejection>) -> Result<T, PageError> {
    submitted.map(|Form(value)| value).map_err(|rejection| {
        PageError(WebError::bad_request(
            "malformed_form",
            format!("The form could not be read: {}", rejection.body_text()),
        ))
    })
}

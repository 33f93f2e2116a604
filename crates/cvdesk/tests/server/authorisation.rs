//! The authorisation matrix, taken from the router itself: every method and path the server
//! registers (`cvdesk_server::registered_routes`) is either listed below as public, with the
//! reason, or has the answer expected for each caller who should not get through: anonymous
//! visitors, a finder holding a tracking link, a member of another product's team and a
//! viewer. A route added without a row here fails the test by name.
//!
//! Browsers without a staff session are sent to sign in; the API answers 401; a member asking
//! about another team's report gets 404 (they may not learn it exists); a viewer who tries to
//! change anything gets 403; admin pages refuse everyone else with 403.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Method, Response};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{
    api_token, browser, cli, create_first_admin, csrf_token, signed_in_account, ADMIN_EMAIL,
};

/// Routes anyone may use, and why. The tracking routes take the tracking token in the path
/// as their credential; the sign-in routes are how a person becomes staff.
const PUBLIC: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "health check"),
    ("GET", "/", "home page"),
    ("GET", "/static/style.css", "static file"),
    ("GET", "/static/cvss-live.js", "static file"),
    ("GET", "/static/challenge.js", "static file"),
    ("GET", "/static/challenge-worker.js", "static file"),
    ("GET", "/favicon.ico", "static file"),
    ("GET", "/pgp-key.txt", "the organization's public key"),
    ("GET", "/report", "the report form"),
    ("POST", "/report", "the report form"),
    ("GET", "/policy", "the disclosure policy"),
    ("GET", "/policy/versions/{version}", "the disclosure policy"),
    ("GET", "/.well-known/security.txt", "security.txt"),
    ("GET", "/security.txt", "security.txt"),
    ("GET", "/thanks", "hall of fame"),
    ("GET", "/advisories", "public advisories"),
    ("GET", "/advisories.atom", "public advisories"),
    ("GET", "/advisories/{advisory}", "public advisories"),
    (
        "GET",
        "/advisories/{advisory}/osv.json",
        "public advisories",
    ),
    (
        "GET",
        "/advisories/{advisory}/cve/{file}",
        "public advisories",
    ),
    ("POST", "/track/{token}/credits/{credit}", "tracking token"),
    (
        "GET",
        "/.well-known/csaf/provider-metadata.json",
        "CSAF provider",
    ),
    ("GET", "/.well-known/csaf/white/", "CSAF provider"),
    ("GET", "/.well-known/csaf/white/index.txt", "CSAF provider"),
    (
        "GET",
        "/.well-known/csaf/white/changes.csv",
        "CSAF provider",
    ),
    (
        "GET",
        "/.well-known/csaf/white/csaf-feed-tlp-white.json",
        "CSAF provider",
    ),
    ("GET", "/.well-known/csaf/white/{year}/", "CSAF provider"),
    (
        "GET",
        "/.well-known/csaf/white/{year}/{file}",
        "CSAF provider",
    ),
    ("GET", "/.well-known/csaf/openpgp/{file}", "CSAF provider"),
    (
        "GET",
        "/disclosure-policy",
        "the researcher's disclosure policy",
    ),
    ("GET", "/disclosures", "published disclosures"),
    ("GET", "/disclosures.atom", "published disclosures"),
    ("GET", "/disclosures/{case_id}", "published disclosures"),
    (
        "GET",
        "/disclosures/{case_id}/{file}",
        "published disclosures",
    ),
    ("GET", "/track/{token}", "tracking token"),
    ("POST", "/track/{token}/messages", "tracking token"),
    ("POST", "/track/{token}/update-request", "tracking token"),
    ("POST", "/track/{token}/contact-removal", "tracking token"),
    ("POST", "/track/{token}/appeal", "tracking token"),
    (
        "GET",
        "/track/{token}/attachments/{attachment_id}",
        "tracking token",
    ),
    ("POST", "/api/v1/reports", "report intake"),
    ("GET", "/api/v1/challenge", "report intake"),
    ("GET", "/api/v1/track/{token}", "tracking token"),
    ("POST", "/api/v1/track/{token}/messages", "tracking token"),
    ("GET", "/api/v1/openapi.json", "API description"),
    (
        "GET",
        "/participate/{participant_token}",
        "participant link",
    ),
    (
        "POST",
        "/participate/{participant_token}/status",
        "participant link",
    ),
    (
        "POST",
        "/participate/{participant_token}/messages",
        "participant link",
    ),
    (
        "POST",
        "/participate/{participant_token}/contact",
        "participant link",
    ),
    (
        "POST",
        "/participate/{participant_token}/embargo-proposals",
        "participant link",
    ),
    (
        "POST",
        "/participate/{participant_token}/nominations",
        "participant link",
    ),
    (
        "GET",
        "/api/v1/participate/{participant_token}",
        "participant link",
    ),
    (
        "POST",
        "/api/v1/participate/{participant_token}/status",
        "participant link",
    ),
    (
        "POST",
        "/api/v1/participate/{participant_token}/messages",
        "participant link",
    ),
    (
        "POST",
        "/api/v1/participate/{participant_token}/contact",
        "participant link",
    ),
    (
        "POST",
        "/api/v1/participate/{participant_token}/embargo-proposals",
        "participant link",
    ),
    (
        "POST",
        "/api/v1/participate/{participant_token}/nominations",
        "participant link",
    ),
    (
        "GET",
        "/participate/{participant_token}/files/{attachment_id}",
        "participant link",
    ),
    (
        "GET",
        "/api/v1/participate/{participant_token}/files/{attachment_id}",
        "participant link",
    ),
    ("GET", "/staff/login", "sign-in"),
    ("POST", "/staff/login", "sign-in"),
    ("GET", "/staff/login/code", "sign-in"),
    ("POST", "/staff/login/code", "sign-in"),
    ("POST", "/staff/logout", "sign-in"),
    ("GET", "/staff/setup/{token}", "one-time link"),
    ("POST", "/staff/setup/{token}", "one-time link"),
    ("GET", "/staff/password/{token}", "one-time link"),
    ("POST", "/staff/password/{token}", "one-time link"),
];

/// What a caller gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 303 to `/staff/login`.
    SignIn,
    /// 401.
    Unauthorised,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// Let through: the handler answered with this status.
    Status(u16),
}

use Answer::{Forbidden, NotFound, SignIn, Status, Unauthorised};

/// One route and what each caller gets from it.
struct Row {
    method: &'static str,
    path: &'static str,
    /// A form (the session's CSRF token is added) for pages, JSON for the API.
    body: &'static str,
    anonymous: Answer,
    finder: Answer,
    other_member: Answer,
    viewer: Answer,
}

fn row(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    [anonymous, finder, other_member, viewer]: [Answer; 4],
) -> Row {
    Row {
        method,
        path,
        body,
        anonymous,
        finder,
        other_member,
        viewer,
    }
}

/// Reading one report: hidden from other teams, open to viewers.
const PAGE_READ: [Answer; 4] = [SignIn, SignIn, NotFound, Status(200)];
/// Changing one report: hidden from other teams, refused to viewers.
const PAGE_CHANGE: [Answer; 4] = [SignIn, SignIn, NotFound, Forbidden];
/// Admin only.
const PAGE_ADMIN: [Answer; 4] = [SignIn, SignIn, Forbidden, Forbidden];
/// Any signed-in staff member, each seeing only what they may.
const PAGE_STAFF: [Answer; 4] = [SignIn, SignIn, Status(200), Status(200)];
/// Filing findings: any role that changes reports; viewers may not.
const PAGE_FILE: [Answer; 4] = [SignIn, SignIn, Status(200), Forbidden];
const API_READ: [Answer; 4] = [Unauthorised, Unauthorised, NotFound, Status(200)];
const API_CHANGE: [Answer; 4] = [Unauthorised, Unauthorised, NotFound, Forbidden];
const API_STAFF: [Answer; 4] = [Unauthorised, Unauthorised, Status(200), Status(200)];
/// Outbound disclosure: the security team's; viewers read, product teams' members may not.
const API_OUTBOUND_READ: [Answer; 4] = [Unauthorised, Unauthorised, Forbidden, Status(200)];
const API_OUTBOUND_CHANGE: [Answer; 4] = [Unauthorised, Unauthorised, Forbidden, Forbidden];
const PAGE_OUTBOUND_READ: [Answer; 4] = [SignIn, SignIn, Forbidden, Status(200)];
const PAGE_OUTBOUND_CHANGE: [Answer; 4] = [SignIn, SignIn, Forbidden, Forbidden];

/// A case the matrix's case routes are called with (vendor 1 exists).
const CASE_BODY: &str = r#"{"vendor_id": 1, "title": "RCE", "product": "Acme Router", "versions_tested": ["4.2.1"], "vulnerability_type": "Remote Code Execution", "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "attack_vector": "POST /upload", "ease_of_exploitation": "Trivial", "technical_details": "The file name reaches a shell."}"#;

fn matrix() -> Vec<Row> {
    vec![
        row("GET", "/staff", "", PAGE_STAFF),
        row("GET", "/staff/due", "", PAGE_STAFF),
        row("GET", "/staff/insights", "", PAGE_STAFF),
        row("GET", "/staff/insights/tables/{table_file}", "", PAGE_STAFF),
        row("GET", "/api/v1/stats", "", API_STAFF),
        row("GET", "/api/v1/reports/{reference}/messages", "", API_READ),
        row(
            "GET",
            "/api/v1/reports/{reference}/attachments/{attachment_id}",
            "",
            API_READ,
        ),
        // Only with the operator's metrics token (see tests/server/metrics.rs); none here.
        row("GET", "/metrics", "", [NotFound, NotFound, NotFound, NotFound]),
        row("GET", "/staff/cvss", "", PAGE_STAFF),
        row(
            "POST",
            "/staff/reports/bulk-close",
            "to=not_applicable&reason=spam&reference={reference}",
            // A member of another team is told the report is not one they may see.
            [SignIn, SignIn, Status(409), Forbidden],
        ),
        row("GET", "/staff/reports/{reference}", "", PAGE_READ),
        row(
            "GET",
            "/staff/reports/{reference}/attachments/{attachment_id}",
            "",
            PAGE_READ,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/transition",
            "to=triaged",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/needs-info",
            "value=yes",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/product",
            "product_id=",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/classification",
            "weakness=CWE-79",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/assessment",
            "exploitability=functional",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/notes",
            "body=hello",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/messages",
            "body=hello",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/decrypt",
            "",
            // Decrypting is reading: a viewer gets through and is told this report was
            // not sent encrypted.
            [SignIn, SignIn, NotFound, Status(409)],
        ),
        // Admins only; another team does not learn the report exists.
        row(
            "POST",
            "/staff/reports/{reference}/purge",
            "confirm=yes",
            PAGE_CHANGE,
        ),
        row("GET", "/staff/policy", "", PAGE_ADMIN),
        row(
            "POST",
            "/staff/policy",
            "introduction=Rogue&response_days=5&triage_days=10&remediation_days=90",
            PAGE_ADMIN,
        ),
        row("GET", "/staff/audit", "", PAGE_ADMIN),
        row("POST", "/staff/audit/verify", "", PAGE_ADMIN),
        row("GET", "/staff/jobs", "", PAGE_ADMIN),
        row("POST", "/staff/jobs/{id}/retry", "", PAGE_ADMIN),
        row("GET", "/staff/outbox", "", PAGE_ADMIN),
        row("POST", "/staff/outbox/{id}/retry", "", PAGE_ADMIN),
        row("POST", "/staff/outbox/{id}/discard", "", PAGE_ADMIN),
        row("GET", "/staff/products", "", PAGE_ADMIN),
        row(
            "POST",
            "/staff/products",
            "name=Rogue&criticality=low",
            PAGE_ADMIN,
        ),
        row("GET", "/staff/products/{id}", "", PAGE_ADMIN),
        row("GET", "/staff/users", "", PAGE_ADMIN),
        row("POST", "/staff/users/{id}/disable", "", PAGE_ADMIN),
        row("POST", "/staff/users/{id}/enable", "", PAGE_ADMIN),
        row("POST", "/staff/tokens/{id}/revoke", "", PAGE_ADMIN),
        row(
            "POST",
            "/staff/products/{id}",
            "name=Rogue&criticality=low",
            PAGE_ADMIN,
        ),
        // Each person's own account: let through, and refused on the wrong password.
        row("GET", "/staff/account", "", PAGE_STAFF),
        row(
            "POST",
            "/staff/account/password",
            "current=wrong&password=another+long+password&confirmation=another+long+password",
            [SignIn, SignIn, Status(422), Status(422)],
        ),
        row(
            "POST",
            "/staff/account/two-factor/start",
            "",
            [SignIn, SignIn, Status(303), Status(303)],
        ),
        row(
            "POST",
            "/staff/account/two-factor/confirm",
            "code=abc",
            [SignIn, SignIn, Status(422), Status(422)],
        ),
        row(
            "POST",
            "/staff/account/two-factor/remove",
            "password=wrong",
            [SignIn, SignIn, Status(422), Status(422)],
        ),
        row(
            "POST",
            "/staff/account/require-two-factor",
            "value=yes",
            PAGE_ADMIN,
        ),
        row("GET", "/api/v1/reports", "", API_STAFF),
        row("GET", "/api/v1/reports/{reference}", "", API_READ),
        row(
            "POST",
            "/api/v1/reports/{reference}/transition",
            r#"{"to": "triaged"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/needs-info",
            r#"{"needs_info": true}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/product",
            r#"{"product_id": null}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/classification",
            r#"{"weakness": "CWE-79"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/assessment",
            r#"{"exploitability": "functional"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/notes",
            r#"{"body": "hello"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/messages",
            r#"{"body": "hello"}"#,
            API_CHANGE,
        ),
        row("GET", "/api/v1/reports/{reference}/history", "", API_READ),
        // Advisories: the one in the matrix names the Shop product, so the other team's
        // member does not learn it exists; only publishers and admins write.
        row("GET", "/staff/advisories", "", PAGE_STAFF),
        row("POST", "/staff/advisories", "title=Rogue", PAGE_ADMIN),
        row("GET", "/staff/advisories/new", "", PAGE_ADMIN),
        row("GET", "/staff/advisories/{advisory}", "", PAGE_READ),
        row("GET", "/staff/advisories/{advisory}/preview", "", PAGE_READ),
        row("GET", "/staff/advisories/{advisory}/edit", "", PAGE_CHANGE),
        row("POST", "/staff/advisories/{advisory}/edit", "title=Rogue", PAGE_CHANGE),
        row(
            "POST",
            "/staff/advisories/{advisory}/schedule",
            "at=2030-01-01T10:00&time_zone=UTC",
            PAGE_CHANGE,
        ),
        row("POST", "/staff/advisories/{advisory}/unschedule", "", PAGE_CHANGE),
        row("POST", "/staff/advisories/{advisory}/publish", "summary=x", PAGE_CHANGE),
        row("POST", "/staff/advisories/{advisory}/withdraw", "reason=x", PAGE_CHANGE),
        row(
            "POST",
            "/staff/advisories/{advisory}/credits",
            "name=Rogue&role=finder",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/advisories/{advisory}/credits/{credit}/remove",
            "",
            PAGE_CHANGE,
        ),
        row("GET", "/api/v1/advisories", "", API_STAFF),
        row(
            "POST",
            "/api/v1/advisories",
            r#"{"title": "Rogue"}"#,
            [Unauthorised, Unauthorised, Forbidden, Forbidden],
        ),
        row("GET", "/api/v1/advisories/{advisory}", "", API_READ),
        row("PATCH", "/api/v1/advisories/{advisory}", r#"{"title": "x"}"#, API_CHANGE),
        row(
            "POST",
            "/api/v1/advisories/{advisory}/publish",
            r#"{"summary": "x"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/advisories/{advisory}/withdraw",
            r#"{"reason": "x"}"#,
            API_CHANGE,
        ),
        // CVE Services from an advisory: read like the advisory, used like writing it.
        row("GET", "/staff/advisories/{advisory}/cve-services", "", PAGE_READ),
        row(
            "POST",
            "/staff/advisories/{advisory}/cve-services/reserve",
            "vulnerability=1",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/advisories/{advisory}/cve-services/{cve}/publish",
            "",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/advisories/{advisory}/cve-services/{cve}/update",
            "",
            PAGE_CHANGE,
        ),
        // Finder points are an organisation-wide setting: admins only.
        row("GET", "/staff/finder-points", "", PAGE_ADMIN),
        row("POST", "/staff/finder-points", "enabled=yes", PAGE_ADMIN),
        row(
            "GET",
            "/api/v1/finder-points",
            "",
            [Unauthorised, Unauthorised, Forbidden, Forbidden],
        ),
        row(
            "PUT",
            "/api/v1/finder-points",
            r#"{"enabled": true}"#,
            [Unauthorised, Unauthorised, Forbidden, Forbidden],
        ),
        row("GET", "/staff/cases", "", PAGE_OUTBOUND_READ),
        row("POST", "/staff/cases", "vendor_id=1&title=RCE", PAGE_OUTBOUND_CHANGE),
        row("GET", "/staff/cases/new", "", PAGE_OUTBOUND_CHANGE),
        row("GET", "/staff/cases/{case_id}", "", PAGE_OUTBOUND_READ),
        row("GET", "/staff/vendors", "", PAGE_OUTBOUND_READ),
        row("POST", "/staff/vendors", "name=Globex", PAGE_OUTBOUND_CHANGE),
        row("GET", "/staff/vendors/{vendor_id}", "", PAGE_OUTBOUND_READ),
        row("POST", "/staff/vendors/{vendor_id}", "name=Globex", PAGE_OUTBOUND_CHANGE),
        row(
            "POST",
            "/staff/vendors/{vendor_id}/discover",
            "",
            PAGE_OUTBOUND_CHANGE,
        ),
        row("POST", "/staff/cases/{case_id}/send", "", PAGE_OUTBOUND_CHANGE),
        row(
            "POST",
            "/staff/cases/{case_id}/events",
            "kind=note&body=hello",
            PAGE_OUTBOUND_CHANGE,
        ),
        row(
            "POST",
            "/staff/cases/{case_id}/transition",
            "to=closed",
            PAGE_OUTBOUND_CHANGE,
        ),
        row("POST", "/staff/cases/{case_id}/publish", "", PAGE_OUTBOUND_CHANGE),
        row("GET", "/staff/mail/quarantine", "", PAGE_OUTBOUND_READ),
        // No message is quarantined: the viewer, who may read the quarantine, finds none.
        row(
            "GET",
            "/staff/mail/quarantine/{mail_id}",
            "",
            [SignIn, SignIn, Forbidden, NotFound],
        ),
        row("GET", "/api/v1/vendors", "", API_OUTBOUND_READ),
        row("POST", "/api/v1/vendors", r#"{"name": "Globex"}"#, API_OUTBOUND_CHANGE),
        row("GET", "/api/v1/vendors/{id}", "", API_OUTBOUND_READ),
        row("PATCH", "/api/v1/vendors/{id}", r#"{"notes": "x"}"#, API_OUTBOUND_CHANGE),
        row("POST", "/api/v1/vendors/{id}/discover", "{}", API_OUTBOUND_CHANGE),
        row("GET", "/api/v1/cases", "", API_OUTBOUND_READ),
        row("POST", "/api/v1/cases", CASE_BODY, API_OUTBOUND_CHANGE),
        row("GET", "/api/v1/cases/{case_id}", "", API_OUTBOUND_READ),
        row(
            "POST",
            "/api/v1/cases/{case_id}/send",
            r#"{"confirm_unencrypted": true}"#,
            API_OUTBOUND_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/cases/{case_id}/events",
            r#"{"kind": "note", "body": "hello"}"#,
            API_OUTBOUND_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/cases/{case_id}/transition",
            r#"{"to": "closed"}"#,
            API_OUTBOUND_CHANGE,
        ),
        row("POST", "/api/v1/cases/{case_id}/publish", "{}", API_OUTBOUND_CHANGE),
        row("POST", "/api/v1/reports/{reference}/purge", "", API_CHANGE),
        // Coordination: part of the report, so the report's rights decide.
        row("GET", "/staff/reports/{reference}/coordination", "", PAGE_READ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/participants",
            "vendor_id=1&shared=summary",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/embargo",
            "ends_at=2028-01-01T00:00:00Z&time_zone=UTC",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/contact",
            "participant=1&contact=acknowledged",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/approve",
            "participant=1&status=1",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/messages",
            "body=hello",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/coordination/decline",
            "proposal=1",
            PAGE_CHANGE,
        ),
        row("GET", "/api/v1/reports/{reference}/participants", "", API_READ),
        row(
            "POST",
            "/api/v1/reports/{reference}/participants",
            r#"{"vendor_id": 1, "shared": ["summary"]}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/participants/{participant}/contact",
            r#"{"contact": "acknowledged"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/participants/{participant}/statuses/{status}/approve",
            "",
            API_CHANGE,
        ),
        // No embargo is set in the matrix's report: the viewer reads that there is none.
        row(
            "GET",
            "/api/v1/reports/{reference}/embargo",
            "",
            [Unauthorised, Unauthorised, NotFound, NotFound],
        ),
        row(
            "PUT",
            "/api/v1/reports/{reference}/embargo",
            r#"{"ends_at": "2028-01-01T00:00:00Z", "time_zone": "UTC"}"#,
            API_CHANGE,
        ),
        row(
            "POST",
            "/api/v1/reports/{reference}/coordination/messages",
            r#"{"body": "hello"}"#,
            API_CHANGE,
        ),
        row(
            "GET",
            "/api/v1/reports/{reference}/coordination/log",
            "",
            API_READ,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/root-cause",
            "root_cause=design",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/contact-removal",
            "",
            PAGE_CHANGE,
        ),
        row(
            "POST",
            "/staff/reports/{reference}/appeal",
            "outcome=confirm&reason=No",
            PAGE_CHANGE,
        ),
        row("GET", "/api/v1/reports/{reference}/root-cause", "", API_READ),
        row(
            "POST",
            "/api/v1/reports/{reference}/root-cause",
            r#"{"category": "design"}"#,
            API_CHANGE,
        ),
        // Findings: whoever may change reports files them, a member only about their
        // teams' products (the matrix's member names none: the form comes back with that);
        // viewers may not.
        row("GET", "/staff/findings/new", "", PAGE_FILE),
        row(
            "POST",
            "/staff/findings",
            "source=internal&title=T&summary=S&steps_to_reproduce=R&impact=I",
            [SignIn, SignIn, Status(422), Forbidden],
        ),
        row("GET", "/staff/imports", "", PAGE_FILE),
        // The preview takes a file upload; the matrix's plain form is refused as such.
        row(
            "POST",
            "/staff/imports/preview",
            "format=csv",
            [SignIn, SignIn, Status(400), Forbidden],
        ),
        row(
            "POST",
            "/staff/imports",
            "format=csv&content=source%2Ctitle%2Csummary%2Csteps_to_reproduce%2Cimpact%0Ainternal%2CT%2CS%2CR%2CI%0A",
            [SignIn, SignIn, Status(422), Forbidden],
        ),
        row(
            "POST",
            "/api/v1/findings",
            r#"{"source": "internal", "title": "T", "summary": "S", "steps_to_reproduce": "R", "impact": "I"}"#,
            [Unauthorised, Unauthorised, Forbidden, Forbidden],
        ),
        row(
            "POST",
            "/api/v1/imports",
            r#"{"format": "csv", "content": "source,title,summary,steps_to_reproduce,impact\ninternal,T,S,R,I\n", "dry_run": true}"#,
            [Unauthorised, Unauthorised, Status(422), Forbidden],
        ),
    ]
}

/// Who is asking, and how they present themselves.
struct Caller<'a> {
    name: &'static str,
    client: &'a Client,
    /// The value of the page forms' `csrf_token` field.
    csrf: String,
    /// What the caller sends as an API bearer token.
    bearer: Option<String>,
}

/// The concrete values the path parameters take.
struct Values {
    reference: String,
    case_id: String,
    attachment_id: String,
    product_id: String,
    advisory: String,
}

impl Values {
    fn path(&self, pattern: &str) -> String {
        let filled = self
            .body(pattern)
            .replace("{attachment_id}", &self.attachment_id)
            .replace("{case_id}", &self.case_id)
            .replace("{mail_id}", "1")
            .replace("{vendor_id}", "1")
            .replace("{id}", &self.product_id)
            .replace("{advisory}", &self.advisory)
            .replace("{credit}", "1")
            .replace("{cve}", "CVE-2026-1000")
            .replace("{participant}", "1")
            .replace("{status}", "1")
            .replace("{table_file}", "arrivals.csv");
        assert!(
            !filled.contains('{'),
            "{pattern}: a path parameter the matrix has no value for"
        );
        filled
    }

    fn body(&self, text: &str) -> String {
        text.replace("{reference}", &self.reference)
    }
}

fn answer(response: &Response) -> Answer {
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok());
    match response.status().as_u16() {
        303 if location == Some("/staff/login") => SignIn,
        401 => Unauthorised,
        403 => Forbidden,
        404 => NotFound,
        other => Status(other),
    }
}

async fn ask(app: &TestApp, values: &Values, row: &Row, caller: &Caller<'_>) -> Answer {
    let method = Method::from_bytes(row.method.as_bytes()).expect("method");
    let mut request = caller
        .client
        .request(method.clone(), app.at(&values.path(row.path)));
    let body = values.body(row.body);
    if row.path.starts_with("/api/") {
        if let Some(token) = &caller.bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if method == Method::POST || method == Method::PATCH || method == Method::PUT {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
    } else if method == Method::POST {
        let mut form = format!("csrf_token={}", caller.csrf);
        if !body.is_empty() {
            form = format!("{form}&{body}");
        }
        request = request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form);
    }
    answer(&request.send().await.expect("sent"))
}

#[test]
fn every_registered_route_is_public_or_in_the_matrix() {
    let matrix = matrix();
    let registered = cvdesk_server::registered_routes();
    let is_public =
        |method: &str, path: &str| PUBLIC.iter().any(|(m, p, _)| *m == method && *p == path);
    let in_matrix = |method: &str, path: &str| {
        matrix
            .iter()
            .any(|row| row.method == method && row.path == path)
    };
    let missing: Vec<String> = registered
        .iter()
        .filter(|route| {
            !is_public(route.method.as_str(), &route.path)
                && !in_matrix(route.method.as_str(), &route.path)
        })
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no expectation in the authorisation matrix: {missing:#?}"
    );
    let is_registered = |method: &str, path: &str| {
        registered
            .iter()
            .any(|route| route.method.as_str() == method && route.path == path)
    };
    let stale: Vec<String> = PUBLIC
        .iter()
        .map(|(method, path, _)| (*method, *path))
        .chain(matrix.iter().map(|row| (row.method, row.path)))
        .filter(|(method, path)| !is_registered(method, path))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(stale.is_empty(), "listed here but not served: {stale:#?}");
    let both: Vec<&str> = matrix
        .iter()
        .filter(|row| is_public(row.method, row.path))
        .map(|row| row.path)
        .collect();
    assert!(both.is_empty(), "both public and in the matrix: {both:?}");
}

/// Sends a report with a file through the form, routed to the Shop product.
async fn report_with_attachment(app: &TestApp) -> (String, String) {
    let form = Form::new()
        .text("title", "Stored XSS in comments")
        .text("asset", "shop.example.org")
        .text("summary", "Comments are rendered without escaping.")
        .text("steps_to_reproduce", "1. Post a comment\n2. Reload")
        .text("impact", "Account takeover of support staff.")
        .part(
            "attachments",
            Part::bytes(b"proof".to_vec())
                .file_name("poc.txt")
                .mime_str("text/plain")
                .expect("mime"),
        );
    let response = app
        .client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let receipt = response.text().await.expect("html");
    let start = receipt.find("id=\"tracking-url\" href=\"").expect("link") + 24;
    let link: String = receipt[start..].chars().take_while(|c| *c != '"').collect();
    let page = app
        .client
        .get(&link)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let reference_start = page.find("CVD-").expect("reference");
    let reference: String = page[reference_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let token = link.rsplit('/').next().expect("token").to_owned();
    (reference, token)
}

/// Vendor 1 and a draft case against it, written by the admin.
async fn outbound_case(app: &TestApp) -> String {
    let token = api_token(app, ADMIN_EMAIL);
    let mut created = serde_json::Value::Null;
    for (path, body) in [
        (
            "/api/v1/vendors",
            r#"{"name": "Acme", "domains": ["acme.example"]}"#,
        ),
        ("/api/v1/cases", CASE_BODY),
    ] {
        let response = app
            .client
            .post(app.at(path))
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "{path}");
        created = response.json().await.expect("json");
    }
    created["id"].as_str().expect("a case id").to_owned()
}

/// A draft advisory about the Shop product (product 1), by the admin.
async fn advisory_about_shop(app: &TestApp) -> String {
    let drafted = app
        .client
        .post(app.at("/api/v1/advisories"))
        .header(
            AUTHORIZATION,
            format!("Bearer {}", api_token(app, ADMIN_EMAIL)),
        )
        .json(&serde_json::json!({
            "title": "Shop: stored XSS", "summary": "s", "description": "d", "impact": "i",
            "remediation": "r", "tlp": "TLP:CLEAR",
            "vulnerabilities": [{"cwe": "CWE-79",
                "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
                "products": [{"product_id": 1, "affected": ["< 2.0"]}]}]
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(drafted.status(), 201);
    let drafted: serde_json::Value = drafted.json().await.expect("json");
    drafted["id"].as_str().expect("id").to_owned()
}

/// The id of the first file listed on a staff report page.
fn first_attachment_id(html: &str) -> String {
    let start = html.find("/attachments/").expect("an attachment link") + 13;
    html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

async fn staff_csrf(app: &TestApp, client: &Client) -> String {
    let html = client
        .get(app.at("/staff"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    csrf_token(&html)
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    client
        .get(app.at(path))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn nobody_reaches_what_they_may_not() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    for (name, team, host) in [
        ("Shop", "Web", "shop.example.org"),
        ("Blog", "Content", "blog.example.org"),
    ] {
        let (code, out) = cli(
            &app,
            &[
                "product",
                "add",
                "--name",
                name,
                "--team",
                team,
                "--hostname",
                host,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let (reference, tracking_token) = report_with_attachment(&app).await;

    let blog_member = signed_in_account(&app, "blog@example.org", "member", &["Blog"]).await;
    let viewer = signed_in_account(&app, "viewer@example.org", "viewer", &[]).await;
    let shop_member = signed_in_account(&app, "shop@example.org", "member", &["Shop"]).await;
    let report_page = page(&app, &viewer, &format!("/staff/reports/{reference}")).await;
    let case_id = outbound_case(&app).await;
    let values = Values {
        case_id,
        attachment_id: first_attachment_id(&report_page),
        reference: reference.clone(),
        product_id: "1".to_owned(),
        advisory: advisory_about_shop(&app).await,
    };

    // A finder holds the tracking link and has used it in this browser.
    let finder = browser();
    let tracked = finder
        .get(app.at(&format!("/track/{tracking_token}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(tracked.status(), 200);

    let anonymous = browser();
    let callers = [
        Caller {
            name: "anonymous",
            client: &anonymous,
            csrf: "none".to_owned(),
            bearer: None,
        },
        Caller {
            name: "finder",
            client: &finder,
            csrf: "none".to_owned(),
            bearer: Some(tracking_token.clone()),
        },
        Caller {
            name: "member of another product",
            client: &blog_member,
            csrf: staff_csrf(&app, &blog_member).await,
            bearer: Some(api_token(&app, "blog@example.org")),
        },
        Caller {
            name: "viewer",
            client: &viewer,
            csrf: staff_csrf(&app, &viewer).await,
            bearer: Some(api_token(&app, "viewer@example.org")),
        },
    ];
    let mut wrong = Vec::new();
    for row in matrix() {
        let expected = [row.anonymous, row.finder, row.other_member, row.viewer];
        for (caller, expected) in callers.iter().zip(expected) {
            let got = ask(&app, &values, &row, caller).await;
            if got != expected {
                wrong.push(format!(
                    "{} {} as {}: expected {expected:?}, got {got:?}",
                    row.method, row.path, caller.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Listings let every member in but show only their team's reports.
    let queue = page(&app, &blog_member, "/staff?state=all").await;
    assert!(
        !queue.contains(&reference),
        "another team's report is not in the queue"
    );
    let due = page(&app, &blog_member, "/staff/due?weeks=13").await;
    assert!(
        !due.contains(&reference),
        "another team's deadlines are not listed"
    );
    let own_due = page(&app, &shop_member, "/staff/due?weeks=13").await;
    assert!(
        own_due.contains(&reference),
        "the owning team sees its deadlines"
    );
    let listed = app
        .client
        .get(app.at("/api/v1/reports?state=all"))
        .header(
            AUTHORIZATION,
            format!("Bearer {}", api_token(&app, "blog@example.org")),
        )
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("json");
    assert!(
        !listed.contains(&reference),
        "the API lists no other team's report: {listed}"
    );

    // The owning team's member may work on it, so the 404s above are about the team.
    let shop_page = shop_member
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(shop_page.status(), 200);

    // Another finder's link does not open this report's files.
    let other = app.submit(&anonymous_report()).await;
    let other_token = other["tracking_token"].as_str().expect("token");
    let foreign = app
        .get(&format!(
            "/track/{other_token}/attachments/{}",
            values.attachment_id
        ))
        .await;
    assert_eq!(foreign.status(), 404, "a file of another finder's report");
    let own = app
        .get(&format!(
            "/track/{tracking_token}/attachments/{}",
            values.attachment_id
        ))
        .await;
    assert_eq!(own.status(), 200, "the finder's own file");
}

//! Deadlines for staff and update requests for finders: the due view lists the running
//! clocks of open reports and drops each as it is met; a finder may ask for an update
//! once every 14 days.

use reqwest::Client;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{csrf_token, signed_in_account};

async fn html(client: &Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("html"),
    )
}

#[tokio::test]
async fn running_clocks_are_listed_until_met() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let due = app.at("/staff/due?weeks=3");
    let (status, page) = html(&triager, due.clone()).await;
    assert_eq!(status, 200);
    assert!(page.contains(&reference), "{page}");
    assert!(
        page.contains("first response") && page.contains("<td>triage</td>"),
        "{page}"
    );
    assert_eq!(html(&triager, app.at("/staff/due?weeks=99")).await.0, 400);

    let report_page = html(&triager, app.at(&format!("/staff/reports/{reference}")))
        .await
        .1;
    let csrf = csrf_token(&report_page);
    let sent = triager
        .post(app.at(&format!("/staff/reports/{reference}/messages")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("body", "Thanks, we are on it."),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), 303);
    let page = html(&triager, due.clone()).await.1;
    assert!(
        !page.contains("<td>first response</td>"),
        "responded: {page}"
    );
    assert!(page.contains("<td>triage</td>"));

    let moved = triager
        .post(app.at(&format!("/staff/reports/{reference}/transition")))
        .form(&[("csrf_token", csrf.as_str()), ("to", "triaged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(moved.status(), 303);
    let page = html(&triager, due).await.1;
    assert!(
        page.contains("Nothing is due"),
        "triaged; the 90-day fix clock is weeks away: {page}"
    );
}

#[tokio::test]
async fn deadlines_show_the_calendars_time_zone_beside_utc() {
    let config = tempfile::NamedTempFile::new().expect("config file");
    std::fs::write(config.path(), "[sla]\ntime_zone = \"Europe/Berlin\"\n").expect("written");
    let app = TestApp::start_with(&["--config", config.path().to_str().expect("utf-8")]);
    let created = app.submit(&anonymous_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;

    // A deadline is the end of a Berlin working day: local midnight, 23:00 UTC in winter
    // and 22:00 UTC in summer, shown both ways.
    let berlin_midnight = |page: &str| {
        page.contains(" 00:00 (Europe/Berlin, UTC+01:00)") && page.contains(" 23:00 UTC")
            || page.contains(" 00:00 (Europe/Berlin, UTC+02:00)") && page.contains(" 22:00 UTC")
    };
    let (status, due) = html(&triager, app.at("/staff/due?weeks=3")).await;
    assert_eq!(status, 200);
    assert!(due.contains(&reference) && berlin_midnight(&due), "{due}");
    let (status, report) = html(&triager, app.at(&format!("/staff/reports/{reference}"))).await;
    assert_eq!(status, 200);
    let deadlines = report
        .split("id=\"deadlines\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the deadlines section");
    assert!(
        deadlines.contains("first response")
            && deadlines.contains("triage")
            && berlin_midnight(deadlines),
        "{deadlines}"
    );
}

#[tokio::test]
async fn deadlines_in_utc_show_no_second_time() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let triager = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let report = html(&triager, app.at(&format!("/staff/reports/{reference}")))
        .await
        .1;
    assert!(
        report.contains("id=\"deadlines\"") && report.contains(" 00:00 UTC"),
        "{report}"
    );
    assert!(!report.contains("local-time"), "{report}");
}

#[tokio::test]
async fn finders_ask_for_an_update_once_a_fortnight() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let token = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let finder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (_, page) = html(&finder, app.at(&format!("/track/{token}"))).await;
    assert!(page.contains("Ask for an update"), "{page}");
    let ask = || {
        finder
            .post(app.at(&format!("/track/{token}/update-request")))
            .send()
    };
    let first = ask().await.expect("sent");
    assert_eq!(first.status(), 303);
    let (_, page) = html(&finder, app.at(&format!("/track/{token}?update=requested"))).await;
    assert!(
        page.contains("We have asked the team for an update."),
        "{page}"
    );
    assert!(
        !page.contains("Ask for an update</button>"),
        "no second button"
    );
    let again = ask().await.expect("sent");
    assert_eq!(again.status(), 409);
    assert!(again
        .text()
        .await
        .expect("html")
        .contains("You can ask again from"));

    let staff = signed_in_account(&app, "tri@example.org", "triager", &[]).await;
    let (_, report) = html(&staff, app.at(&format!("/staff/reports/{reference}"))).await;
    assert!(
        report.contains("update.requested"),
        "staff see the request: {report}"
    );
}

#[tokio::test]
async fn a_critical_report_gets_the_policys_critical_fix_target() {
    let app = TestApp::start();
    let created = app.submit(&crate::app::full_report()).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let admin = signed_in_account(&app, "boss@example.org", "admin", &[]).await;
    let (_, form) = html(&admin, app.at("/staff/policy")).await;
    let csrf = csrf_token(&form);
    let published = admin
        .post(app.at("/staff/policy"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("introduction", "We welcome reports."),
            ("response_days", "5"),
            ("triage_days", "10"),
            ("remediation_days", "90"),
            ("remediation_days_by_severity", "critical=7"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), 303);
    let (_, policy) = html(&Client::new(), app.at("/policy")).await;
    assert!(
        policy.contains("within 90 days (critical: 7 days)"),
        "{policy}"
    );

    let moved = admin
        .post(app.at(&format!("/staff/reports/{reference}/transition")))
        .form(&[("csrf_token", csrf.as_str()), ("to", "triaged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(moved.status(), 303);
    // Seven days from triage is within the next two weeks; ninety would not be.
    let (_, due) = html(&admin, app.at("/staff/due?weeks=2")).await;
    assert!(
        due.contains(&reference) && due.contains("<td>fix</td>"),
        "{due}"
    );
}

//! An outbound case's deadlines through the running desk, on a business calendar from the
//! configuration: verification is due at the end of the 5th business day after the date
//! of reporting, skipping the weekend and a holiday; the announcement is 90 calendar days
//! after it. The expected days are counted here, day by day, not by the desk's calendar.

use std::io::Write;

use serde_json::{json, Value};
use time::{Date, Duration, OffsetDateTime, Time, Weekday};

use crate::app::TestApp;
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// The next day after `day` that is neither a weekend day nor `holiday`.
fn next_business_day(day: Date, holiday: Date) -> Date {
    let mut next = day + Duration::DAY;
    while matches!(next.weekday(), Weekday::Saturday | Weekday::Sunday) || next == holiday {
        next += Duration::DAY;
    }
    next
}

/// The last day a deadline leaves whole: a deadline at midnight ends the day before.
fn last_day(deadline: &Value) -> Date {
    let text = deadline.as_str().expect("a time");
    let at = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    if at.time() == Time::MIDNIGHT {
        at.date() - Duration::DAY
    } else {
        at.date()
    }
}

/// Verification and announcement days of a case reckoned from `reported`.
fn expected(reported: Date, holiday: Date) -> (Date, Date) {
    let mut verification = reported;
    for _ in 0..5 {
        verification = next_business_day(verification, holiday);
    }
    (verification, reported + Duration::days(90))
}

#[tokio::test]
async fn verification_skips_the_weekend_and_a_holiday_and_the_announcement_is_90_days_on() {
    let today = OffsetDateTime::now_utc().date();
    // The first working day after today is a holiday, so every span of five business days
    // from today crosses it and at least one weekend.
    let holiday = next_business_day(today, today);
    let mut config = tempfile::NamedTempFile::new().expect("temp file");
    write!(
        config,
        "[sla]\nweekend = [\"saturday\", \"sunday\"]\nholidays = [\"{holiday}\"]\n\n\
         [outbound]\nresearcher_name = \"Ada Lovelace\"\n\
         researcher_email = \"ada@research.example\"\n"
    )
    .expect("written");
    let config_path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &config_path]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let post = |path: &str, body: Value| {
        app.client
            .post(app.at(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let vendor: Value = post("/api/v1/vendors", json!({"name": "Acme"}))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let response = post(
        "/api/v1/cases",
        json!({
            "vendor_id": vendor["id"],
            "title": "Stored XSS in the ticket title",
            "product": "Acme Helpdesk",
            "versions_tested": ["7.1"],
            "vulnerability_type": "Cross-site scripting",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
            "attack_vector": "A ticket title shown to agents.",
            "ease_of_exploitation": "One request.",
            "cve": "vendor",
            "technical_details": "The title is written into the page unescaped."
        }),
    )
    .await
    .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let case: Value = response.json().await.expect("json");
    // A draft's dates are reckoned from today (or tomorrow, if the day turned meanwhile).
    let deadlines = &case["deadlines"];
    assert_eq!(deadlines["reported_at"], Value::Null, "{case}");
    let got = (
        last_day(&deadlines["verification_due"]),
        last_day(&deadlines["announcement_due"]),
    );
    let now = OffsetDateTime::now_utc().date();
    assert!(
        got == expected(today, holiday) || got == expected(now, holiday),
        "deadlines {got:?}, reckoned by hand from {today} with the holiday {holiday}: {:?}",
        expected(today, holiday)
    );
    // Without the holiday the verification day would be a business day earlier.
    let mut without = today;
    for _ in 0..5 {
        without = next_business_day(without, Date::MIN);
    }
    assert!(got.0 > without, "{got:?} against {without}");
    assert_eq!(deadlines["announcement_basis"], "policy");
}

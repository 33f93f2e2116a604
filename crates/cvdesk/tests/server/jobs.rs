//! Background jobs as the admins see them: the periodic work is queued at start, a job that
//! was given up shows its error and can be queued again (audited).

use crate::app::TestApp;
use crate::staff::{create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD};

/// A job of a kind no instance knows, given up: what a job left by a newer version, or
/// one that failed for good, looks like.
const GIVEN_UP_JOB: &str = "INSERT INTO jobs (kind, subject, payload, state, run_at, \
     attempts, last_error, created_at, finished_at) VALUES ('archive.rebuild', 'all', '', \
     'failed', '2027-01-01T00:00:00Z', 8, 'the archive was unreachable', \
     '2027-01-01T00:00:00Z', '2027-01-01T00:10:00Z')";

#[tokio::test]
async fn admins_see_the_jobs_and_queue_a_given_up_one_again() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let url = format!(
        "sqlite://{}?mode=rw",
        app.data_dir().join("cvdesk.db").display()
    );
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    sqlx::query(GIVEN_UP_JOB)
        .execute(&mut connection)
        .await
        .expect("job inserted");

    let (admin, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let page = admin.get(app.at("/staff/jobs")).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for periodic in ["reminders", "abuse_state.purge"] {
        assert!(
            html.contains(periodic),
            "{periodic} is queued at start: {html}"
        );
    }
    assert!(html.contains("the archive was unreachable"));
    assert!(html.contains("data-state=\"failed\""));
    let retry_action = "/staff/jobs/";
    let start = html.find(retry_action).expect("a retry form");
    let id: String = html[start + retry_action.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    let retried = admin
        .post(app.at(&format!("/staff/jobs/{id}/retry")))
        .form(&[("csrf_token", csrf_token(&html))])
        .send()
        .await
        .expect("sent");
    assert_eq!(retried.status(), 303);
    let again = admin
        .post(app.at(&format!("/staff/jobs/{id}/retry")))
        .form(&[("csrf_token", csrf_token(&html))])
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 409, "only a given-up job is queued again");

    // The runner takes it at once, does not know the kind, and keeps it for a later try.
    let mut seen = String::new();
    for _ in 0..50 {
        seen = admin
            .get(app.at("/staff/jobs"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("html");
        if seen.contains("does not know jobs of kind") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(seen.contains("does not know jobs of kind"), "{seen}");
    let audit = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("job.retry"), "{audit}");
}

//! Mail the desk gave up on, visible: the report page says the finder did not hear, the
//! admins' outbox lists it with the error and queues it again (audited), and
//! `cvdesk mail outbox` lists, retries and discards on the command line.

use sqlx::Connection;

use crate::app::{full_report, TestApp};
use crate::staff::{cli, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD};

/// Gives up on the finder's acknowledgement behind the desk's back, as a mail server that
/// refused it for good would have made the desk do.
async fn give_up_acknowledgement(app: &TestApp) -> i64 {
    let options =
        sqlx::sqlite::SqliteConnectOptions::new().filename(app.data_dir().join("cvdesk.db"));
    let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    sqlx::query_scalar(
        "UPDATE outbox SET given_up_at = '2026-11-23T12:00:00.000000Z', attempts = 1, \
         last_error = '550 5.1.1 no such user' WHERE kind = 'finder_acknowledgement' \
         RETURNING id",
    )
    .fetch_one(&mut connection)
    .await
    .expect("given up")
}

#[tokio::test]
async fn given_up_mail_is_shown_retried_and_discarded() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let reference = app.submit(&full_report()).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let id = give_up_acknowledgement(&app).await;
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let report = admin
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        report.contains("id=\"undelivered\""),
        "the report page says so"
    );
    assert!(report.contains("550 5.1.1 no such user"));

    let outbox = admin
        .get(app.at("/staff/outbox?state=given_up"))
        .send()
        .await
        .expect("sent");
    assert_eq!(outbox.status(), 200);
    let html = outbox.text().await.expect("html");
    assert!(html.contains("550 5.1.1 no such user"));
    assert!(html.contains(&format!("/staff/outbox/{id}/retry")));
    let bad_filter = admin
        .get(app.at("/staff/outbox?state=lost"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_filter.status(), 400);

    let token = csrf_token(&html);
    let retried = admin
        .post(app.at(&format!("/staff/outbox/{id}/retry")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(retried.status(), 303);
    let again = admin
        .post(app.at(&format!("/staff/outbox/{id}/retry")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 409, "only given-up mail is queued again");
    let forged = admin
        .post(app.at(&format!("/staff/outbox/{id}/discard")))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    let audit = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(audit.contains("mail.retry"));

    // The command line sees it queued again (retrying, with the error it had), discards
    // it, and refuses to twice.
    let (code, listed) = cli(&app, &["mail", "outbox", "list", "--state", "all"]);
    assert_eq!(code, Some(0), "{listed}");
    assert!(
        listed
            .lines()
            .any(|line| line.starts_with(&format!("{id}\tretrying\t0 attempts\t"))),
        "{listed}"
    );
    let (code, out) = cli(&app, &["mail", "outbox", "discard", &id.to_string()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _) = cli(&app, &["mail", "outbox", "discard", &id.to_string()]);
    assert_eq!(code, Some(1), "a discarded mail cannot be discarded again");
    let (code, _) = cli(&app, &["mail", "outbox", "retry", &id.to_string()]);
    assert_eq!(code, Some(1), "nor queued again");
    let (code, _) = cli(&app, &["mail", "outbox", "list", "--state", "lost"]);
    assert_eq!(code, Some(1));
    let (code, listed) = cli(&app, &["mail", "outbox", "list", "--state", "discarded"]);
    assert_eq!(code, Some(0));
    assert!(
        listed.starts_with(&format!("{id}\tdiscarded\t")),
        "{listed}"
    );
}

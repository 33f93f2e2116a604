//! Coordination through the real server: a report forwarded to two vendors, one answering
//! "affected" with a statement and one silent past its deadline (not checked and
//! unresponsive, never not affected); the embargo seen from another zone is the same
//! instant; the advisory about the report lists the first as known affected with an
//! involvement for both, and goes out before the embargo only with a reason; each
//! participant link sees its own share only (files included), and no other credential
//! opens it; malformed input is refused with a message per field and nothing stored.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::app::{full_report, TestApp};
use crate::staff::{
    api_token, create_first_admin, csrf_token, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

struct Desk {
    app: TestApp,
    token: String,
    reference: String,
    tracking_token: String,
}

impl Desk {
    async fn start() -> Desk {
        let app = TestApp::start();
        create_first_admin(&app).await;
        let token = api_token(&app, ADMIN_EMAIL);
        let submitted = app.submit(&full_report()).await;
        Desk {
            reference: submitted["reference"]
                .as_str()
                .expect("reference")
                .to_owned(),
            tracking_token: submitted["tracking_token"]
                .as_str()
                .expect("token")
                .to_owned(),
            app,
            token,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.at(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn vendor(&self, name: &str) -> i64 {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/vendors",
                Some(json!({"name": name, "contacts": [
                    {"kind": "email", "value": format!("psirt@{}.example", name.to_lowercase())}
                ]})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("vendor id")
    }

    fn participants_path(&self) -> String {
        format!("/api/v1/reports/{}/participants", self.reference)
    }

    async fn participants(&self) -> Value {
        let (status, body) = self
            .send(reqwest::Method::GET, &self.participants_path(), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

fn token_of(participant_url: &str) -> String {
    participant_url
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned()
}

#[tokio::test]
async fn two_vendors_one_affected_one_silent() {
    let desk = Desk::start().await;
    let acme = desk.vendor("Acme").await;
    let globex = desk.vendor("Globex").await;

    // The release instant, set in Berlin's winter time.
    let (status, embargo) = desk
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/reports/{}/embargo", desk.reference),
            Some(json!({"ends_at": "2028-02-10T17:00:00+01:00", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, 200, "{embargo}");
    assert_eq!(embargo["ends_at"], "2028-02-10T16:00:00Z");
    assert_eq!(
        embargo["display"],
        "2028-02-10 16:00 UTC — 17:00 CET (Europe/Berlin)"
    );

    let (status, added) = desk
        .send(
            reqwest::Method::POST,
            &desk.participants_path(),
            Some(
                json!({"vendor_id": acme, "shared": ["summary", "steps_to_reproduce"],
                "tlp": "TLP:AMBER", "time_zone": "America/New_York"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["mailed"], true);
    let acme_token = token_of(added["participant_url"].as_str().expect("link"));
    let (status, added) = desk
        .send(
            reqwest::Method::POST,
            &desk.participants_path(),
            Some(json!({"vendor_id": globex, "shared": ["summary"], "tlp": "TLP:RED"})),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let globex_token = token_of(added["participant_url"].as_str().expect("link"));

    // Each invitation is queued with its label first in the subject.
    let database = desk.app.data_dir().join("cvdesk.db");
    let url = format!("sqlite://{}", database.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    let subjects: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, subject FROM outbox WHERE kind = 'participant_invitation' ORDER BY id",
    )
    .fetch_all(&mut connection)
    .await
    .expect("queued");
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(subjects[0].0, "psirt@acme.example");
    assert!(
        subjects[0].1.starts_with("[TLP:AMBER] CVD-"),
        "{subjects:?}"
    );
    assert!(subjects[1].1.starts_with("[TLP:RED] CVD-"), "{subjects:?}");
    // Globex's acknowledgement deadline passes (it began when Globex was invited).
    sqlx::query("UPDATE participants SET acknowledge_by = created_at WHERE vendor_id = $1")
        .bind(globex)
        .execute(&mut connection)
        .await
        .expect("deadline moved");

    // The same instant for a reader in Tokyo, beside UTC and Berlin.
    let share = desk
        .app
        .get(&format!(
            "/api/v1/participate/{acme_token}?time_zone=Asia/Tokyo"
        ))
        .await;
    assert_eq!(share.status(), 200);
    let share: Value = share.json().await.expect("json");
    assert_eq!(share["tlp"], "TLP:AMBER");
    assert_eq!(share["embargo"]["ends_at"], "2028-02-10T16:00:00Z");
    assert_eq!(share["embargo"]["time_zone"], "Europe/Berlin");
    assert_eq!(share["embargo"]["viewer"]["time_zone"], "Asia/Tokyo");
    assert_eq!(
        share["embargo"]["viewer"]["local"],
        "2028-02-11T01:00:00+09:00"
    );
    let names: Vec<&str> = share["shared"]
        .as_array()
        .expect("shared")
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect();
    assert_eq!(names, ["summary", "steps_to_reproduce"]);
    assert!(
        share["participants"].is_null(),
        "others hidden unless allowed"
    );
    assert!(
        !share.to_string().contains("ada@example.org"),
        "never the finder's contact"
    );

    // Globex's link sees its own, narrower share only.
    let narrow: Value = desk
        .app
        .get(&format!("/api/v1/participate/{globex_token}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(narrow["tlp"], "TLP:RED");
    assert!(!narrow.to_string().contains("See the database error"));
    assert!(!narrow.to_string().contains("Acme"));

    // Acme answers on its page.
    let stated = desk
        .app
        .post_json(
            &format!("/api/v1/participate/{acme_token}/status"),
            &json!({"product": "Acme Router", "status": "affected",
                "statement": "Versions 4.x are affected; 5.0 will fix it.",
                "references": ["https://acme.example/psirt/1"]}),
        )
        .await;
    assert_eq!(stated.status(), 201);

    let listed = desk.participants().await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["vendor"], "Acme");
    assert_eq!(items[0]["contact"], "acknowledged");
    assert_eq!(items[0]["statuses"][0]["status"], "affected");
    assert_eq!(
        items[0]["statuses"][0]["statement"],
        "Versions 4.x are affected; 5.0 will fix it."
    );
    assert_eq!(items[1]["vendor"], "Globex");
    assert_eq!(items[1]["contact"], "unresponsive");
    assert_eq!(
        items[1]["statuses"],
        json!([]),
        "not checked: no status at all"
    );
    assert!(!listed.to_string().contains("not_affected"));

    // The coordinator approves Acme's status; the page shows both axes.
    let status_id = items[0]["statuses"][0]["id"].as_i64().expect("status id");
    let (status, approved) = desk
        .send(
            reqwest::Method::POST,
            &format!(
                "/api/v1/reports/{}/participants/{}/statuses/{status_id}/approve",
                desk.reference, items[0]["id"]
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["statuses"][0]["approved"], true);
    let (browser, signed) = sign_in(&desk.app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(signed, 303);
    let page = browser
        .get(
            desk.app
                .at(&format!("/staff/reports/{}/coordination", desk.reference)),
        )
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("2028-02-10 16:00 UTC — 17:00 CET (Europe/Berlin)"));
    assert!(page.contains("Unresponsive"), "{page}");
    assert!(page.contains("Not checked"));
    let participant_page = desk
        .app
        .get(&format!("/participate/{acme_token}?time_zone=Asia/Tokyo"))
        .await
        .text()
        .await
        .expect("html");
    assert!(participant_page.contains("TLP:AMBER"));
    assert!(participant_page.contains("(Asia/Tokyo)"));

    advisory_from_the_coordination(&desk, &mut connection).await;
    scheduled_before_the_embargo(&desk, &browser).await;

    // No other credential opens a participant's share.
    for (who, path) in [
        (
            "a finder's link",
            format!("/api/v1/participate/{}", desk.tracking_token),
        ),
        (
            "a made-up link",
            "/api/v1/participate/not-a-link".to_owned(),
        ),
        (
            "a finder's link on the page",
            format!("/participate/{}", desk.tracking_token),
        ),
    ] {
        assert_eq!(desk.app.get(&path).await.status(), 404, "{who}");
    }
    let as_participant = desk
        .app
        .client
        .get(desk.app.at(&desk.participants_path()))
        .bearer_auth(&acme_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        as_participant.status(),
        401,
        "a participant link is no staff token"
    );
    let anonymous = desk.app.get(&desk.participants_path()).await;
    assert_eq!(anonymous.status(), 401);
    let track = desk.app.get(&format!("/track/{acme_token}")).await;
    assert_eq!(
        track.status(),
        404,
        "a participant link is no tracking link"
    );
}

/// The advisory about the coordinated report: refused before the embargo without a reason,
/// then published with one; its CSAF document lists Acme's approved status and both vendors.
async fn advisory_from_the_coordination(desk: &Desk, connection: &mut sqlx::SqliteConnection) {
    let (status, created) = desk
        .send(
            reqwest::Method::POST,
            "/api/v1/advisories",
            Some(crate::advisories::advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let publish = format!("/api/v1/advisories/{id}/publish");
    let (status, refused) = desk
        .send(reqwest::Method::POST, &publish, Some(json!({})))
        .await;
    assert_eq!(status, 409, "{refused}");
    let message = refused["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("2028-02-10T16:00:00Z") && message.contains("UTC"),
        "{message}"
    );
    let (status, blank) = desk
        .send(
            reqwest::Method::POST,
            &publish,
            Some(json!({"override_embargo": {"reason": "  "}})),
        )
        .await;
    assert_eq!(status, 422, "{blank}");
    assert!(blank["error"]["fields"]["override_embargo"].is_string());
    let reason = "Exploited in the wild; the vendors agreed on the call.";
    let (status, published) = desk
        .send(
            reqwest::Method::POST,
            &publish,
            Some(json!({"override_embargo": {"reason": reason}})),
        )
        .await;
    assert_eq!(status, 200, "{published}");

    let csaf_url = published["urls"]["csaf"].as_str().expect("csaf url");
    let csaf: Value = desk
        .app
        .client
        .get(csaf_url)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("csaf json");
    let leaves: Vec<(String, String)> = csaf["product_tree"]["branches"]
        .as_array()
        .expect("vendors")
        .iter()
        .flat_map(|vendor| vendor["branches"].as_array().cloned().unwrap_or_default())
        .flat_map(|product| product["branches"].as_array().cloned().unwrap_or_default())
        .map(|leaf| {
            (
                leaf["product"]["name"].as_str().expect("name").to_owned(),
                leaf["product"]["product_id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            )
        })
        .collect();
    let router = &leaves
        .iter()
        .find(|(name, _)| name == "Acme Acme Router (all versions)")
        .unwrap_or_else(|| panic!("Acme's product in the tree: {leaves:?}"))
        .1;
    let vulnerability = &csaf["vulnerabilities"][0];
    let status = &vulnerability["product_status"];
    assert!(
        status["known_affected"]
            .as_array()
            .expect("known_affected")
            .contains(&json!(router)),
        "{status}"
    );
    assert!(
        !status.to_string().contains("Globex") && status["known_not_affected"].is_null(),
        "the silent vendor is in no product status: {status}"
    );
    let involvements = vulnerability["involvements"]
        .as_array()
        .expect("involvements");
    assert_eq!(involvements.len(), 2, "{involvements:?}");
    assert_eq!(involvements[0]["party"], "vendor");
    assert_eq!(involvements[0]["status"], "in_progress");
    let acme = involvements[0]["summary"].as_str().expect("summary");
    assert!(
        acme.starts_with("Acme acknowledged")
            && acme.contains("Versions 4.x are affected; 5.0 will fix it."),
        "{acme}"
    );
    assert_eq!(involvements[1]["status"], "contact_attempted");
    assert_eq!(
        involvements[1]["summary"],
        "Globex did not answer by its deadline."
    );
    let notes = vulnerability["notes"].to_string();
    assert!(notes.contains("Statement by Acme"), "{notes}");

    // The reason is in the audit log and the report's coordination log.
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'advisory.publish'")
            .fetch_all(&mut *connection)
            .await
            .expect("audit");
    assert!(
        audited.iter().any(|detail| detail.contains(reason)),
        "{audited:?}"
    );
    let (status, log) = desk
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/reports/{}/coordination/log", desk.reference),
            None,
        )
        .await;
    assert_eq!(status, 200, "{log}");
    let overridden = log["log"]
        .as_array()
        .expect("log entries")
        .iter()
        .find(|entry| entry["kind"] == "embargo_overridden")
        .unwrap_or_else(|| panic!("no override in {log}"));
    let text = overridden["text"].as_str().expect("text");
    assert!(
        text.contains(&id) && text.contains(reason) && text.contains("2028-02-10 16:00 UTC"),
        "{text}"
    );
}

/// Scheduling on the staff page before the embargo ends: the page names the embargo by the
/// form, refuses without a reason, and schedules with one, logged on the report.
async fn scheduled_before_the_embargo(desk: &Desk, browser: &reqwest::Client) {
    let (status, created) = desk
        .send(
            reqwest::Method::POST,
            "/api/v1/advisories",
            Some(crate::advisories::advisory_body(&desk.reference)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let page = browser
        .get(desk.app.at(&format!("/staff/advisories/{id}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("schedule-override_embargo") && page.contains("ends 2028-02-10 16:00 UTC"),
        "the forms name the embargo"
    );
    let csrf = csrf_token(&page);
    let schedule = |reason: &'static str| {
        browser
            .post(desk.app.at(&format!("/staff/advisories/{id}/schedule")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("at", "2028-01-20T09:00"),
                ("time_zone", "Europe/Berlin"),
                ("override_embargo", reason),
            ])
            .send()
    };
    let refused = schedule("").await.expect("sent");
    assert_eq!(refused.status(), 409);
    let refused = refused.text().await.expect("html");
    assert!(refused.contains("2028-02-10T16:00:00Z"), "{refused}");
    let scheduled = schedule("The vendors asked for an early notice.")
        .await
        .expect("sent");
    assert_eq!(scheduled.status(), 200);
    assert!(scheduled
        .text()
        .await
        .expect("html")
        .contains("Publication is scheduled."));
    let (_, log) = desk
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/reports/{}/coordination/log", desk.reference),
            None,
        )
        .await;
    assert!(
        log.to_string().contains(&format!(
            "Advisory {id} scheduled for 2028-01-20T08:00:00.000Z"
        )),
        "{log}"
    );
}

#[tokio::test]
async fn a_participant_downloads_only_the_files_shared_with_it() {
    let mut desk = Desk::start().await;
    // A report sent with the form, with two files.
    let proof: &[u8] = b"<script>alert(document.domain)</script>";
    let mut form = Form::new()
        .text("title", "Stored XSS in the help centre")
        .text("summary", "Articles render script.")
        .text("steps_to_reproduce", "Open the attached page.")
        .text("impact", "Script runs in a reader's session.");
    for (name, bytes) in [
        ("poc.html", proof),
        ("notes.txt", b"finder's notes".as_slice()),
    ] {
        form = form.part("attachments", Part::bytes(bytes.to_vec()).file_name(name));
    }
    let sent = desk
        .app
        .client
        .post(desk.app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), 201);
    let receipt = sent.text().await.expect("html");
    let start = receipt.find("CVD-").expect("a reference on the receipt");
    desk.reference = receipt[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let (status, report) = desk
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/reports/{}", desk.reference),
            None,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let file_id = |name: &str| {
        report["attachments"]
            .as_array()
            .expect("attachments")
            .iter()
            .find(|file| file["file_name"] == name)
            .and_then(|file| file["id"].as_i64())
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    let (poc, notes) = (file_id("poc.html"), file_id("notes.txt"));

    let acme = desk.vendor("Acme").await;
    let globex = desk.vendor("Globex").await;
    let mut tokens = Vec::new();
    for (vendor, shared) in [
        (acme, json!(["summary", format!("attachment:{poc}")])),
        (globex, json!(["summary"])),
    ] {
        let (status, added) = desk
            .send(
                reqwest::Method::POST,
                &desk.participants_path(),
                Some(json!({"vendor_id": vendor, "shared": shared})),
            )
            .await;
        assert_eq!(status, 201, "{added}");
        tokens.push(token_of(added["participant_url"].as_str().expect("link")));
    }
    let (acme_token, globex_token) = (&tokens[0], &tokens[1]);

    let page = desk
        .app
        .get(&format!("/participate/{acme_token}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("/participate/{acme_token}/files/{poc}")),
        "the page links the shared file"
    );
    assert!(!page.contains("notes.txt"), "an unshared file is not named");
    for path in [
        format!("/participate/{acme_token}/files/{poc}"),
        format!("/api/v1/participate/{acme_token}/files/{poc}"),
    ] {
        let response = desk.app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/octet-stream",
            "{path}"
        );
        let disposition = response.headers()[CONTENT_DISPOSITION]
            .to_str()
            .expect("header")
            .to_owned();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("poc.html"),
            "{disposition}"
        );
        assert_eq!(response.bytes().await.expect("bytes").as_ref(), proof);
    }

    // Nothing else opens a file: another file, another participant's link, a finder's
    // link, a made-up link or a file id that is not one.
    for (who, path) in [
        (
            "a file not shared",
            format!("/api/v1/participate/{acme_token}/files/{notes}"),
        ),
        (
            "a file not shared, page",
            format!("/participate/{acme_token}/files/{notes}"),
        ),
        (
            "another participant",
            format!("/api/v1/participate/{globex_token}/files/{poc}"),
        ),
        (
            "another participant, page",
            format!("/participate/{globex_token}/files/{poc}"),
        ),
        (
            "a finder's link",
            format!("/api/v1/participate/{}/files/{poc}", desk.tracking_token),
        ),
        (
            "a made-up link",
            format!("/participate/not-a-link/files/{poc}"),
        ),
        (
            "no such file",
            format!("/api/v1/participate/{acme_token}/files/99999"),
        ),
        (
            "not a file id",
            format!("/api/v1/participate/{acme_token}/files/poc.html"),
        ),
    ] {
        assert_eq!(desk.app.get(&path).await.status(), 404, "{who}");
    }
}

#[tokio::test]
async fn malformed_coordination_input_is_refused_and_nothing_is_stored() {
    let desk = Desk::start().await;
    let acme = desk.vendor("Acme").await;
    let path = desk.participants_path();
    for (body, field) in [
        (
            json!({"vendor_id": 999, "shared": ["summary"]}),
            "vendor_id",
        ),
        (json!({"vendor_id": acme, "shared": ["contact"]}), "shared"),
        (json!({"vendor_id": acme, "shared": []}), "shared"),
        (
            json!({"vendor_id": acme, "shared": ["summary"], "tlp": "TLP:WHITE"}),
            "tlp",
        ),
        (
            json!({"vendor_id": acme, "shared": ["summary"], "time_zone": "Mars/Base"}),
            "time_zone",
        ),
        (
            json!({"vendor_id": acme, "shared": ["summary"], "status_by": "soon"}),
            "status_by",
        ),
        (
            json!({"vendor_id": acme, "shared": ["summary"], "acknowledge_business_days": 999}),
            "acknowledge_business_days",
        ),
    ] {
        let (status, answer) = desk
            .send(reqwest::Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{body}: {answer}"
        );
    }
    let (status, answer) = desk
        .send(reqwest::Method::POST, &path, Some(json!({"vendor": acme})))
        .await;
    assert_eq!(status, 400, "an unknown field: {answer}");

    let embargo = format!("/api/v1/reports/{}/embargo", desk.reference);
    for (body, field) in [
        (
            json!({"ends_at": "tomorrow", "time_zone": "UTC"}),
            "ends_at",
        ),
        (
            json!({"ends_at": "2028-01-01T00:00:00", "time_zone": "UTC"}),
            "ends_at",
        ),
        (
            json!({"ends_at": "2001-01-01T00:00:00Z", "time_zone": "UTC"}),
            "ends_at",
        ),
        (
            json!({"ends_at": "2028-01-01T00:00:00Z", "time_zone": "Mars/Base"}),
            "time_zone",
        ),
    ] {
        let (status, answer) = desk
            .send(reqwest::Method::PUT, &embargo, Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["error"]["fields"][field].is_string(), "{answer}");
    }
    let (status, _) = desk.send(reqwest::Method::GET, &embargo, None).await;
    assert_eq!(status, 404, "no embargo was stored");

    // Under a running embargo a share may not be TLP:CLEAR.
    let (status, _) = desk
        .send(
            reqwest::Method::PUT,
            &embargo,
            Some(json!({"ends_at": "2028-01-01T00:00:00Z", "time_zone": "UTC"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, answer) = desk
        .send(
            reqwest::Method::POST,
            &path,
            Some(json!({"vendor_id": acme, "shared": ["summary"], "tlp": "TLP:CLEAR"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"]["fields"]["tlp"].is_string());
    assert_eq!(
        desk.participants().await["items"],
        json!([]),
        "nothing stored"
    );

    // A participant's malformed status keeps what was there.
    let (_, added) = desk
        .send(
            reqwest::Method::POST,
            &path,
            Some(json!({"vendor_id": acme, "shared": ["summary"]})),
        )
        .await;
    let token = token_of(added["participant_url"].as_str().expect("link"));
    for (body, field) in [
        (json!({"product": "Router", "status": "maybe"}), "status"),
        (json!({"status": "affected"}), "product"),
        (
            json!({"product": "Router", "status": "fixed"}),
            "fixed_version",
        ),
        (
            json!({"product": "Router", "status": "affected", "vulnerability": "CVE-1"}),
            "vulnerability",
        ),
    ] {
        let answer = desk
            .app
            .post_json(&format!("/api/v1/participate/{token}/status"), &body)
            .await;
        assert_eq!(answer.status(), 422, "{body}");
        let answer: Value = answer.json().await.expect("json");
        assert!(answer["error"]["fields"][field].is_string(), "{answer}");
    }
    let message = desk
        .app
        .post_json(
            &format!("/api/v1/participate/{token}/messages"),
            &json!({"body": "  ", "to_all": false}),
        )
        .await;
    assert_eq!(message.status(), 422);
    let to_all = desk
        .app
        .post_json(
            &format!("/api/v1/participate/{token}/messages"),
            &json!({"body": "Hello all", "to_all": true}),
        )
        .await;
    assert_eq!(to_all.status(), 403, "not allowed to talk to all");
    let listed = desk.participants().await;
    assert_eq!(listed["items"][0]["statuses"], json!([]));
    assert_eq!(listed["items"][0]["contact"], "contacted");
}

//! Outbound disclosure against the real server: contact discovery from a vendor's signed
//! security.txt and key served on loopback, a case from its inquiry (every item a–k, sent
//! encrypted to the vendor's key) through the vendor's reply piped into
//! `cvdesk mail receive`, an agreed date replacing the ninety days, the fix, and the
//! published write-up with its timeline. Forged and unmatched replies stay in the
//! quarantine, attached to nothing.

use cvdesk_domain::reply_address::{ReplyKey, ReplyTarget};
use cvdesk_server::openpgp::{OrganizationKey, PublishedKey};
use serde_json::{json, Value};
use std::io::Read;
use std::io::Write;
use std::net::TcpListener;
use time::OffsetDateTime;

use crate::app::{run_cli, TestApp};
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

const INBOUND: &str = "security@research.example";

/// The researcher, and where replies come back.
pub(crate) fn config() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    write!(
        file,
        "[outbound]\nresearcher_name = \"Ada Lovelace\"\nresearcher_email = \"ada@research.example\"\n\
         researcher_organization = \"Example Research\"\ninbound_address = \"{INBOUND}\"\n"
    )
    .expect("written");
    file
}

/// A vendor's key pair, made by the desk's own OpenPGP code: (secret, public).
pub(crate) fn vendor_key() -> (String, String) {
    let secret = OrganizationKey::generate(
        "Acme PSIRT",
        "psirt@acme.example",
        None,
        OffsetDateTime::now_utc(),
    )
    .expect("generated");
    let public = PublishedKey::from_secret_armored(&secret)
        .expect("public part")
        .armored()
        .to_owned();
    (secret, public)
}

/// Serves `files` (path, body) over plain HTTP on loopback until the test ends.
pub(crate) fn serve(files: Vec<(String, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else {
                return;
            };
            let mut request = vec![0u8; 4096];
            let read = socket.read(&mut request).unwrap_or(0);
            let request = String::from_utf8_lossy(&request[..read]).into_owned();
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let response = match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => {
                    let mut response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    response.extend_from_slice(body);
                    response
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = socket.write_all(&response);
        }
    });
    port
}

pub(crate) async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method.parse().expect("method"), app.at(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A vendor's security.txt on loopback, signed with a new vendor key whose `Encryption:`
/// line points to that key on a second loopback server: (port, secret key, public key).
pub(crate) fn signed_vendor_site() -> (u16, String, String) {
    let (secret, public) = vendor_key();
    let signer =
        OrganizationKey::from_armored(&secret, None, OffsetDateTime::now_utc()).expect("usable");
    // The key is served first, so the file can name its address.
    let port = serve(vec![(
        "/pgp-key.txt".to_owned(),
        public.clone().into_bytes(),
    )]);
    let text = format!(
        "Contact: mailto:psirt@acme.example\nContact: https://acme.example/security\n\
         Expires: 2099-01-01T00:00:00.000Z\nEncryption: http://127.0.0.1:{port}/pgp-key.txt\n\
         Policy: https://acme.example/policy\nPreferred-Languages: en, da\n"
    );
    let signed = signer
        .sign_cleartext(&text, OffsetDateTime::now_utc())
        .expect("signed");
    let port = serve(vec![(
        "/.well-known/security.txt".to_owned(),
        signed.into_bytes(),
    )]);
    (port, secret, public)
}

#[tokio::test]
async fn discovery_reads_a_signed_security_txt_and_fetches_the_key() {
    let config = config();
    let path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &path, "--outbound-allow-private", "on"]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (port, _, _) = signed_vendor_site();
    let (status, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(json!({"name": "Acme", "domains": ["acme.example"]})),
    )
    .await;
    assert_eq!(status, 201, "{vendor}");
    let id = vendor["id"].as_i64().expect("id");
    let (status, found) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/vendors/{id}/discover"),
        Some(json!({"domain": format!("127.0.0.1:{port}")})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let proposal = &found["proposal"];
    assert_eq!(proposal["source"]["kind"], "security_txt", "{found}");
    assert_eq!(proposal["contacts"][0]["value"], "psirt@acme.example");
    assert_eq!(proposal["contacts"][1]["kind"], "url");
    assert_eq!(proposal["languages"], json!(["en", "da"]));
    assert_eq!(proposal["policy_url"], "https://acme.example/policy");
    assert!(
        proposal["pgp_key"]
            .as_str()
            .is_some_and(|k| k.contains("PUBLIC KEY")),
        "{found}"
    );
    assert_eq!(proposal["signature"]["status"], "verified", "{found}");

    // Nothing there: the RFC 2142 guess, said to be one.
    let empty = serve(Vec::new());
    let (status, guessed) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/vendors/{id}/discover"),
        Some(json!({"domain": format!("127.0.0.1:{empty}")})),
    )
    .await;
    assert_eq!(status, 200, "{guessed}");
    assert_eq!(guessed["proposal"]["source"]["kind"], "guess");
    assert!(guessed["proposal"]["problems"]
        .to_string()
        .contains("only a guess"));

    // A file over the size cap is refused in words, and discovery falls back to the guess.
    let huge = serve(vec![(
        "/.well-known/security.txt".to_owned(),
        vec![b'#'; 5 * 1024 * 1024],
    )]);
    let (_, large) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/vendors/{id}/discover"),
        Some(json!({"domain": format!("127.0.0.1:{huge}")})),
    )
    .await;
    assert!(
        large["proposal"]["problems"]
            .to_string()
            .contains("larger than"),
        "{large}"
    );
}

#[tokio::test]
async fn without_the_private_setting_loopback_is_not_fetched() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let port = serve(vec![(
        "/.well-known/security.txt".to_owned(),
        b"Contact: mailto:a@b.example\n".to_vec(),
    )]);
    let (_, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(json!({"name": "Local"})),
    )
    .await;
    let id = vendor["id"].as_i64().expect("id");
    let (status, found) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/vendors/{id}/discover"),
        Some(json!({"domain": format!("127.0.0.1:{port}")})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["proposal"]["source"]["kind"], "guess", "{found}");
    assert!(
        found["proposal"]["problems"]
            .to_string()
            .contains("private or reserved address"),
        "{found}"
    );
}

/// The reply address of case `case_row`, made with the key the desk keeps in its store.
async fn reply_address(connection: &mut sqlx::SqliteConnection, case_row: i64) -> String {
    let key_hex: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'reply_address_key'")
            .fetch_one(&mut *connection)
            .await
            .expect("a reply key");
    let mut key = [0u8; 32];
    for (index, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&key_hex[index * 2..index * 2 + 2], 16).expect("hex");
    }
    ReplyKey::new(key)
        .address(INBOUND, ReplyTarget::Case(case_row))
        .expect("address")
}

fn reply(to: &str, from: &str, body: &str, in_reply_to: Option<&str>) -> String {
    let mut mail = format!(
        "From: Acme PSIRT <{from}>\r\nTo: {to}\r\nSubject: Re: vulnerability report\r\n\
         Date: {}\r\nMessage-ID: <reply-{}@acme.example>\r\n",
        OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .expect("date"),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    );
    if let Some(id) = in_reply_to {
        mail.push_str(&format!("In-Reply-To: <{id}>\r\n"));
    }
    mail.push_str(&format!(
        "Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ));
    mail
}

#[tokio::test]
async fn a_case_from_inquiry_to_published_write_up() {
    let config = config();
    let config_path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &config_path]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (secret, public) = vendor_key();
    let (status, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(json!({
            "name": "Acme",
            "domains": ["acme.example"],
            "contacts": [{"kind": "email", "value": "psirt@acme.example"}],
            "pgp_key": public
        })),
    )
    .await;
    assert_eq!(status, 201, "{vendor}");
    let case_body = json!({
        "vendor_id": vendor["id"],
        "title": "Remote code execution in the upload handler",
        "product": "Acme Router",
        "versions_tested": ["4.2.1", "4.3.0-beta"],
        "vulnerability_type": "Remote Code Execution",
        "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "attack_vector": "An unauthenticated POST to /upload.",
        "prerequisites": "Network access to the admin interface.",
        "ease_of_exploitation": "Trivial: one request.",
        "cve": "vendor",
        "technical_details": "The uploaded file name reaches a shell unquoted."
    });
    let (status, case) = call(
        &app,
        &token,
        "POST",
        "/api/v1/cases",
        Some(case_body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["state"], "draft");
    let id = case["id"].as_str().expect("id").to_owned();
    assert!(id.contains("-OUT-"), "{id}");
    assert_eq!(case["inquiry"]["missing_items"], json!([]));

    // A bad form names every wrong field and stores nothing.
    let (status, refused) = call(
        &app,
        &token,
        "POST",
        "/api/v1/cases",
        Some(json!({"vendor_id": 999, "severity": "CVSS:3.1/AV:N"})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    for field in ["vendor_id", "title", "severity", "technical_details"] {
        assert!(
            refused["error"]["fields"][field].is_string(),
            "{field}: {refused}"
        );
    }

    let (status, sent) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/send"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["state"], "reported");
    let sent_entry = sent["log"]
        .as_array()
        .expect("log")
        .iter()
        .find(|entry| entry["kind"] == "sent")
        .expect("a sent entry")
        .clone();
    assert_eq!(sent_entry["encrypted"], true, "{sent}");
    assert!(sent["deadlines"]["reported_at"].is_string());
    assert_eq!(sent["deadlines"]["announcement_basis"], "policy");

    // The queued mail is encrypted to the vendor, and holds every item a-k.
    let database = app.data_dir().join("cvdesk.db");
    let url = format!("sqlite://{}", database.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    let (subject, body, case_row): (String, String, i64) =
        sqlx::query_as("SELECT subject, body, case_id FROM outbox WHERE kind = 'vendor_inquiry'")
            .fetch_one(&mut connection)
            .await
            .expect("queued");
    assert!(
        !subject.contains("upload"),
        "no details in the subject: {subject}"
    );
    assert!(body.starts_with("-----BEGIN PGP MESSAGE-----"), "{body}");
    let vendor_secret =
        OrganizationKey::from_armored(&secret, None, OffsetDateTime::now_utc()).expect("usable");
    let plain = String::from_utf8(vendor_secret.decrypt(&body).expect("decrypted")).expect("utf-8");
    for item in [
        "a) Our disclosure policy",
        "/disclosure-policy",
        "b) Deadlines",
        "Date of reporting:",
        "c) Contact",
        "Ada Lovelace, Example Research",
        "d) Accreditation",
        "e) Product and tested versions",
        "Acme Router: 4.2.1, 4.3.0-beta",
        "f) Vulnerability type",
        "g) Criticality and impact (CVSS)",
        "9.8 (critical, CVSS v3.1)",
        "h) Attack vector",
        "i) Ease of exploitation",
        "j) CVE ID",
        "as the vendor, to request the CVE ID",
        "k) Technical details",
        "reaches a shell unquoted",
    ] {
        assert!(plain.contains(item), "{item:?} in\n{plain}");
    }

    // The vendor answers the case's reply address.
    let reply_to = reply_address(&mut connection, case_row).await;
    let data = app.data_dir().to_str().expect("utf-8").to_owned();
    let receive = |mail: &str| {
        run_cli(
            &["mail", "receive", "--data", &data, "--config", &config_path],
            mail,
        )
    };
    let (code, out) = receive(&reply(
        &reply_to,
        "psirt@acme.example",
        "We confirm and agree to publish on 2026-12-15.",
        None,
    ));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("recorded in case {id}")), "{out}");

    // A forged token, and a reply without one from a stranger, are kept aside.
    let forged = reply_to.replace("+c", "+c9");
    let (code, out) = receive(&reply(
        &forged,
        "mallory@evil.example",
        "Publish now!",
        None,
    ));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("quarantined"), "{out}");
    let (code, out) = receive(&reply(
        INBOUND,
        "mallory@evil.example",
        "Hello",
        Some("cvdesk.1.1@research.example"),
    ));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("quarantined"), "{out}");
    // A mail bomb: nested far too deep.
    let mut bomb =
        String::from("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
    for level in 1..=60 {
        bomb.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n",
            level - 1
        ));
    }
    let (code, out) = receive(&bomb);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("quarantined: unreadable"), "{out}");

    let (_, case) = call(&app, &token, "GET", &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(case["state"], "acknowledged", "{case}");
    let replies: Vec<&Value> = case["log"]
        .as_array()
        .expect("log")
        .iter()
        .filter(|entry| entry["kind"] == "vendor_reply")
        .collect();
    assert_eq!(replies.len(), 1, "only the genuine reply: {case}");
    assert!(replies[0]["body"]
        .as_str()
        .expect("body")
        .contains("We confirm"));
    let evidence = replies[0]["id"].as_i64().expect("id");

    // The agreed date replaces the ninety days, with its written evidence.
    let (status, agreed) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/events"),
        Some(json!({"kind": "deadline_agreed", "announce_by": "2026-12-15", "evidence_message_id": evidence, "body": "Agreed by mail."})),
    )
    .await;
    assert_eq!(status, 201, "{agreed}");
    assert_eq!(agreed["deadlines"]["announcement_basis"], "agreed");
    assert!(
        agreed["deadlines"]["announcement_due"]
            .as_str()
            .expect("due")
            .starts_with("2026-12-16T00:00:00"),
        "{agreed}"
    );
    let (status, refused) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/events"),
        Some(json!({"kind": "deadline_agreed", "announce_by": "2026-12-20"})),
    )
    .await;
    assert_eq!(status, 422, "an agreement needs its evidence: {refused}");

    // Too early to publish; once fixed, it may be.
    let (status, early) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/publish"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{early}");
    let (status, fixed) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/events"),
        Some(json!({"kind": "fix_released", "version": "4.2.2", "body": "Released."})),
    )
    .await;
    assert_eq!(status, 201, "{fixed}");
    assert_eq!(fixed["state"], "fixed");
    // A reason longer than the API document allows is refused, and the case stays fixed.
    let (status, refused) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/transition"),
        Some(json!({"to": "closed", "reason": "h".repeat(50_001)})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.to_string().contains("at most 50000 characters"),
        "{refused}"
    );
    let (status, unchanged) = call(&app, &token, "GET", &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(status, 200, "{unchanged}");
    assert_eq!(unchanged["state"], "fixed");
    let (status, published) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/publish"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["reason"], "fixed");

    let page = app.get(&format!("/disclosures/{id}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("html");
    for row in [
        "Reported to the vendor by e-mail (OpenPGP-encrypted)",
        "Vendor acknowledged the report by e-mail",
        "Announcement date 2026-12-15 agreed in writing",
        "Fix released in version 4.2.2",
        "Published",
        "4.2.1, 4.3.0-beta",
    ] {
        assert!(page.contains(row), "{row:?} in the write-up");
    }
    let csaf: Value = app
        .get(&format!("/disclosures/{id}/{}.json", id.to_lowercase()))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        csaf["document"]["publisher"]["category"], "discoverer",
        "{csaf}"
    );
    assert_eq!(csaf["document"]["tracking"]["id"], id.as_str());
    assert_eq!(
        csaf["vulnerabilities"][0]["remediations"][0]["category"], "vendor_fix",
        "{csaf}"
    );
    assert_eq!(
        csaf["vulnerabilities"][0]["product_status"]["known_affected"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let feed = app
        .get("/disclosures.atom")
        .await
        .text()
        .await
        .expect("xml");
    assert!(feed.contains(&format!("/disclosures/{id}")), "{feed}");
    let policy = app
        .get("/disclosure-policy")
        .await
        .text()
        .await
        .expect("html");
    assert!(policy.contains("5 business days"), "{policy}");
}

#[tokio::test]
async fn staff_pages_show_the_case_and_the_quarantine() {
    let config = config();
    let config_path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &config_path]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (_, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(
            json!({"name": "Acme", "contacts": [{"kind": "email", "value": "psirt@acme.example"}]}),
        ),
    )
    .await;
    let (status, case) = call(
        &app,
        &token,
        "POST",
        "/api/v1/cases",
        Some(json!({
            "vendor_id": vendor["id"],
            "title": "Stored XSS in the ticket view",
            "product": "Acme Desk",
            "versions_tested": ["2.0"],
            "vulnerability_type": "Cross-site scripting",
            "severity": "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
            "attack_vector": "A ticket body with a script.",
            "ease_of_exploitation": "Easy.",
            "technical_details": "The body is rendered unescaped."
        })),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().expect("id").to_owned();
    let triager =
        crate::staff::signed_in_account(&app, "triager@example.org", "triager", &[]).await;
    let list = triager
        .get(app.at("/staff/cases"))
        .send()
        .await
        .expect("sent");
    assert_eq!(list.status(), 200);
    assert!(list.text().await.expect("html").contains(&id));
    let page = triager
        .get(app.at(&format!("/staff/cases/{id}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("k) Technical details"),
        "the inquiry for review"
    );
    assert!(page.contains("no OpenPGP key"), "{page}");
    let csrf = crate::staff::csrf_token(&page);
    // Sending in clear needs the box ticked: without it the page says why.
    let refused = triager
        .post(app.at(&format!("/staff/cases/{id}/send")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .expect("html")
        .contains("confirm sending unencrypted"));
    let sent = triager
        .post(app.at(&format!("/staff/cases/{id}/send")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("confirm_unencrypted", "yes"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), 303, "back to the case page");
    let (_, case) = call(&app, &token, "GET", &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(case["state"], "reported", "{case}");
    let sent_entry = case["log"]
        .as_array()
        .expect("log")
        .iter()
        .find(|entry| entry["kind"] == "sent")
        .expect("sent")
        .clone();
    assert_eq!(sent_entry["encrypted"], false, "the choice is recorded");

    let data = app.data_dir().to_str().expect("utf-8").to_owned();
    let (code, out) = run_cli(
        &["mail", "receive", "--data", &data, "--config", &config_path],
        &reply(INBOUND, "stranger@elsewhere.example", "Hi", None),
    );
    assert_eq!(code, Some(0), "{out}");
    let quarantine = triager
        .get(app.at("/staff/mail/quarantine"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        quarantine.contains("stranger@elsewhere.example"),
        "{quarantine}"
    );
    assert!(quarantine.contains("no reply token"), "{quarantine}");
}

#[tokio::test]
async fn an_encrypted_signed_reply_is_decrypted_and_its_signature_checked() {
    let Some(gpg) = crate::gnupg::Gpg::new() else {
        return;
    };
    let config = config();
    let config_path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &config_path]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let (code, out) = crate::staff::cli(
        &app,
        &[
            "pgp",
            "generate",
            "--name",
            "Research Desk",
            "--email",
            "ada@research.example",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    // The vendor's own key, made by GnuPG, and the desk's public key imported beside it.
    let made = gpg.run(
        &[
            "--passphrase",
            "",
            "--quick-gen-key",
            "Acme PSIRT <psirt@acme.example>",
            "default",
            "default",
            "0",
        ],
        b"",
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let vendor_key = gpg
        .run(&["--armor", "--export", "psirt@acme.example"], b"")
        .stdout;
    let desk_key = app.get("/pgp-key.txt").await.bytes().await.expect("key");
    assert!(gpg.run(&["--import"], &desk_key).status.success());
    let (status, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(json!({
            "name": "Acme",
            "contacts": [{"kind": "email", "value": "psirt@acme.example"}],
            "pgp_key": String::from_utf8(vendor_key).expect("armoured")
        })),
    )
    .await;
    assert_eq!(status, 201, "{vendor}");
    let (_, case) = call(
        &app,
        &token,
        "POST",
        "/api/v1/cases",
        Some(json!({
            "vendor_id": vendor["id"],
            "title": "Path traversal in the backup download",
            "product": "Acme NAS",
            "versions_tested": ["7.1"],
            "vulnerability_type": "Information Disclosure",
            "severity": "AV:N/AC:L/Au:N/C:C/I:N/A:N",
            "attack_vector": "GET /backup?file=../../etc/shadow",
            "ease_of_exploitation": "Trivial.",
            "technical_details": "The file parameter is joined to the backup folder unchecked."
        })),
    )
    .await;
    let id = case["id"].as_str().expect("id").to_owned();
    let (status, sent) = call(
        &app,
        &token,
        "POST",
        &format!("/api/v1/cases/{id}/send"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{sent}");

    // The queued inquiry decrypts with the vendor's key in GnuPG, signed by the desk.
    let database = app.data_dir().join("cvdesk.db");
    let url = format!("sqlite://{}", database.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    let (body, case_row): (String, i64) =
        sqlx::query_as("SELECT body, case_id FROM outbox WHERE kind = 'vendor_inquiry'")
            .fetch_one(&mut connection)
            .await
            .expect("queued");
    let decrypted = gpg.run(&["--decrypt"], body.as_bytes());
    assert!(
        decrypted.status.success(),
        "{}",
        String::from_utf8_lossy(&decrypted.stderr)
    );
    let inquiry = String::from_utf8_lossy(&decrypted.stdout).into_owned();
    assert!(inquiry.contains("k) Technical details"), "{inquiry}");
    assert!(
        String::from_utf8_lossy(&decrypted.stderr).contains("Good signature"),
        "{}",
        String::from_utf8_lossy(&decrypted.stderr)
    );

    // The vendor answers encrypted to the desk and signed with its own key.
    let entity =
        "Content-Type: text/plain; charset=utf-8\r\n\r\nConfirmed and reproduced, thanks.\r\n";
    let encrypted = gpg.run(
        &[
            "--armor",
            "--trust-model",
            "always",
            "--encrypt",
            "--sign",
            "--local-user",
            "psirt@acme.example",
            "--recipient",
            "ada@research.example",
        ],
        entity.as_bytes(),
    );
    assert!(
        encrypted.status.success(),
        "{}",
        String::from_utf8_lossy(&encrypted.stderr)
    );
    let armored = String::from_utf8(encrypted.stdout).expect("armoured");
    let to = reply_address(&mut connection, case_row).await;
    let mail = format!(
        "From: Acme PSIRT <psirt@acme.example>\r\nTo: {to}\r\nSubject: Re: report\r\n\
         Message-ID: <encrypted-1@acme.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n\
         --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
         --e\r\nContent-Type: application/octet-stream\r\n\r\n{armored}\r\n--e--\r\n"
    );
    let data = app.data_dir().to_str().expect("utf-8").to_owned();
    let (code, out) = run_cli(
        &["mail", "receive", "--data", &data, "--config", &config_path],
        &mail,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("recorded in case {id}")), "{out}");
    let (_, case) = call(&app, &token, "GET", &format!("/api/v1/cases/{id}"), None).await;
    let reply = case["log"]
        .as_array()
        .expect("log")
        .iter()
        .find(|entry| entry["kind"] == "vendor_reply")
        .expect("the reply")
        .clone();
    assert!(
        reply["body"]
            .as_str()
            .expect("body")
            .contains("Confirmed and reproduced"),
        "{reply}"
    );
    assert_eq!(reply["encrypted"], true, "{reply}");
    assert!(
        reply["signature"]
            .as_str()
            .expect("signature")
            .starts_with("good signature"),
        "{reply}"
    );
    assert_eq!(case["state"], "acknowledged");
}

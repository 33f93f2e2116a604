//! The staff pages of the vendor directory and of opening an outbound case, against the
//! real server: a vendor added, refused with everything typed kept and a message beside
//! each wrong field, edited; contact discovery from a signed security.txt served on
//! loopback, which changes nothing until its proposal is accepted; and a case opened from
//! the form, refused first, then created and shown. Each page view and change is audited.

use cvdesk_server::openpgp::PublishedKey;
use reqwest::Client;
use serde_json::Value;

use crate::app::TestApp;
use crate::outbound::{call, config, serve, signed_vendor_site};
use crate::staff::{api_token, create_first_admin, csrf_token, signed_in_account, ADMIN_EMAIL};

const VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

async fn page(client: &Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.at(path)).send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

/// Posts `fields` with the CSRF token of `form_page`: (status, location, body).
async fn submit(
    client: &Client,
    app: &TestApp,
    path: &str,
    form_page: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let csrf = csrf_token(form_page);
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    body.extend_from_slice(fields);
    let response = client
        .post(app.at(path))
        .form(&body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

/// The text of the element with `id` (an input's value or a textarea's text), unescaped.
fn field(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let element = &html[start..];
    let text = if html[..start].ends_with("<textarea ") {
        let open = element.find('>').expect("open") + 1;
        let close = element.find("</textarea>").expect("close");
        element[open..close].trim_start_matches('\n').to_owned()
    } else {
        let from = element.find("value=\"").expect("a value") + 7;
        element[from..].split('"').next().expect("value").to_owned()
    };
    unescaped(&text)
}

/// `html` with the character references the templates write turned back into text.
fn unescaped(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        let reference = rest.find(';').map(|end| &rest[1..end]);
        let character = reference.and_then(|name| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        });
        match (character, reference) {
            (Some(character), Some(name)) => {
                text.push(character);
                rest = &rest[name.len() + 2..];
            }
            _ => {
                text.push('&');
                rest = &rest[1..];
            }
        }
    }
    text.push_str(rest);
    text
}

/// Whether the field `id` shows `message` beside it and names it for assistive technology.
fn says_beside(html: &str, id: &str, message: &str) -> bool {
    let slot = format!("<p class=\"error-message\" id=\"{id}-error\">");
    html.split(&slot)
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .is_some_and(|text| unescaped(text).contains(message))
        && html.contains(&format!("aria-describedby=\"{id}-hint {id}-error\""))
}

async fn audited(app: &TestApp, prefix: &str) -> Vec<String> {
    let url = format!("sqlite://{}", app.data_dir().join("cvdesk.db").display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE ? ORDER BY sequence")
        .bind(format!("{prefix}%"))
        .fetch_all(&mut connection)
        .await
        .expect("audit")
}

#[tokio::test]
async fn a_vendor_is_added_refused_with_its_input_kept_and_edited() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let triager = signed_in_account(&app, "triager@example.org", "triager", &[]).await;
    let (status, directory) = page(&triager, &app, "/staff/vendors").await;
    assert_eq!(status, 200);
    assert!(directory.contains("Add a vendor"), "{directory}");

    // Everything wrong at once: each field says why, and keeps what was typed.
    let (status, _, refused) = submit(
        &triager,
        &app,
        "/staff/vendors",
        &directory,
        &[
            ("name", "  "),
            ("domains", "acme.example\nnot a domain"),
            ("contacts", "email: psirt@acme.example\n\nemail: no-address"),
            ("pgp_key", "my key"),
            ("policy_url", "ftp://acme.example/policy"),
            ("languages", "en, !!"),
            ("notes", "Ask for Jane <jane@acme.example>"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(says_beside(&refused, "name", "required"), "{refused}");
    assert!(says_beside(
        &refused,
        "domains",
        "'not' is not a domain name"
    ));
    assert!(says_beside(&refused, "contacts", "line 3: 'no-address'"));
    assert!(says_beside(&refused, "pgp_key", "ASCII-armoured"));
    assert!(says_beside(&refused, "policy_url", "a web address"));
    assert!(says_beside(
        &refused,
        "languages",
        "'!!' is not a language tag"
    ));
    assert!(refused.contains("aria-invalid=\"true\""));
    assert_eq!(field(&refused, "domains"), "acme.example\nnot a domain");
    assert_eq!(
        field(&refused, "contacts"),
        "email: psirt@acme.example\n\nemail: no-address"
    );
    assert_eq!(field(&refused, "notes"), "Ask for Jane <jane@acme.example>");
    assert_eq!(field(&refused, "policy_url"), "ftp://acme.example/policy");

    // A key that looks armoured but cannot be read is refused by the API's key check.
    let broken_key =
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----";
    let (status, _, refused) = submit(
        &triager,
        &app,
        "/staff/vendors",
        &refused,
        &[("name", "Acme"), ("pgp_key", broken_key)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"pgp_key-error\""), "{refused}");
    assert_eq!(field(&refused, "name"), "Acme");
    let (_, listed) = call(&app, &token, "GET", "/api/v1/vendors", None).await;
    assert_eq!(listed["items"], Value::Array(Vec::new()), "nothing stored");

    let (status, location, _) = submit(
        &triager,
        &app,
        "/staff/vendors",
        &refused,
        &[
            ("name", "Acme"),
            ("domains", "Acme.example, acme.test"),
            (
                "contacts",
                "url: https://acme.example/report\npsirt@acme.example\nphone: +45 12 34 56 78",
            ),
            ("policy_url", "https://acme.example/policy"),
            ("languages", "en, da"),
            ("notes", "Ask for Jane."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let id = location
        .strip_prefix("/staff/vendors/")
        .expect("the vendor's page")
        .to_owned();
    let (_, vendor) = call(&app, &token, "GET", &format!("/api/v1/vendors/{id}"), None).await;
    assert_eq!(
        vendor["domains"],
        serde_json::json!(["acme.example", "acme.test"])
    );
    let contacts: Vec<(String, String)> = vendor["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| (c["kind"].to_string(), c["value"].to_string()))
        .collect();
    assert_eq!(
        contacts,
        [
            ("\"url\"", "\"https://acme.example/report\""),
            ("\"email\"", "\"psirt@acme.example\""),
            ("\"phone\"", "\"+45 12 34 56 78\"")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
        "in the order of preference typed"
    );
    assert_eq!(vendor["languages"], serde_json::json!(["en", "da"]));

    // The directory lists it with its first contact and no key.
    let (_, directory) = page(&triager, &app, "/staff/vendors").await;
    assert!(directory.contains(&format!("<a href=\"/staff/vendors/{id}\">Acme</a>")));
    assert!(directory.contains("https://acme.example/report"));

    // Its page holds the edit form, filled in; a blank name is refused, a blank policy clears.
    let (status, vendor_page) = page(&triager, &app, &location).await;
    assert_eq!(status, 200);
    assert_eq!(
        field(&vendor_page, "contacts"),
        "url: https://acme.example/report\nemail: psirt@acme.example\nphone: +45 12 34 56 78"
    );
    let edit: Vec<(&str, &str)> = vec![
        ("name", ""),
        ("domains", "acme.example"),
        ("contacts", "email: psirt@acme.example"),
        ("policy_url", ""),
        ("languages", "en"),
        ("notes", "Jane left; ask the PSIRT."),
    ];
    let (status, _, refused) = submit(&triager, &app, &location, &vendor_page, &edit).await;
    assert_eq!(status, 422);
    assert!(says_beside(&refused, "name", "required"), "{refused}");
    assert_eq!(field(&refused, "notes"), "Jane left; ask the PSIRT.");
    let mut edit = edit;
    edit[0] = ("name", "Acme Corp");
    let (status, back, _) = submit(&triager, &app, &location, &refused, &edit).await;
    assert_eq!((status, back.as_str()), (303, location.as_str()));
    let (_, vendor) = call(&app, &token, "GET", &format!("/api/v1/vendors/{id}"), None).await;
    assert_eq!(vendor["name"], "Acme Corp");
    assert_eq!(vendor["policy_url"], Value::Null, "a blank field clears");
    assert_eq!(vendor["notes"], "Jane left; ask the PSIRT.");

    // Unknown ids and other words are not found; a form without the session's token is refused.
    for path in [
        "/staff/vendors/99",
        "/staff/vendors/abc",
        "/staff/vendors/0",
    ] {
        assert_eq!(page(&triager, &app, path).await.0, 404, "{path}");
    }
    let (status, _, _) = submit(
        &triager,
        &app,
        "/staff/vendors/99/discover",
        &vendor_page,
        &[],
    )
    .await;
    assert_eq!(status, 404);
    let forged = triager
        .post(app.at("/staff/vendors"))
        .form(&[("csrf_token", "forged"), ("name", "Rogue")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);

    // A viewer reads the directory and the vendor, without the forms they may not use.
    let viewer = signed_in_account(&app, "viewer@example.org", "viewer", &[]).await;
    let (status, directory) = page(&viewer, &app, "/staff/vendors").await;
    assert_eq!(status, 200);
    assert!(directory.contains("Acme Corp"), "{directory}");
    assert!(
        !directory.contains("action=\"/staff/vendors\""),
        "{directory}"
    );
    let (status, vendor_page) = page(&viewer, &app, &location).await;
    assert_eq!(status, 200);
    assert!(!vendor_page.contains("<form method=\"post\" action=\"/staff/vendors/"));
    assert!(!vendor_page.contains("/staff/cases/new"));

    let actions = audited(&app, "vendor.").await;
    for action in [
        "vendor.list",
        "vendor.create",
        "vendor.view",
        "vendor.update",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn discovery_on_the_vendor_page_proposes_and_changes_nothing_until_accepted() {
    let config = config();
    let path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &path, "--outbound-allow-private", "on"]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let triager = signed_in_account(&app, "triager@example.org", "triager", &[]).await;
    let (port, secret, public) = signed_vendor_site();
    let fingerprint = PublishedKey::from_secret_armored(&secret)
        .expect("public part")
        .fingerprint()
        .to_owned();
    let (_, directory) = page(&triager, &app, "/staff/vendors").await;
    let (status, location, _) = submit(
        &triager,
        &app,
        "/staff/vendors",
        &directory,
        &[("name", "Acme"), ("domains", "acme.example")],
    )
    .await;
    assert_eq!(status, 303);
    let id = location.rsplit('/').next().expect("id").to_owned();
    let (_, vendor_page) = page(&triager, &app, &location).await;
    assert_eq!(
        field(&vendor_page, "domain"),
        "acme.example",
        "the first domain"
    );

    let discover = format!("{location}/discover");
    let domain = format!("127.0.0.1:{port}");
    let (status, _, found) = submit(
        &triager,
        &app,
        &discover,
        &vendor_page,
        &[("domain", &domain)],
    )
    .await;
    assert_eq!(status, 200, "{found}");
    // The linter's findings are shown: the key's address is plain http on loopback.
    assert!(
        found.contains("the linter finds errors in the file"),
        "{found}"
    );
    assert!(
        found.contains("Encryption: error: web URIs must begin with https://"),
        "{found}"
    );
    assert!(found.contains("id=\"discovery-warnings\""), "{found}");
    assert!(
        found.contains(&format!("signature verifies with the key {fingerprint}")),
        "{found}"
    );
    assert!(found.contains("https://acme.example/policy"));
    assert!(!found.contains("id=\"discovery-guess\""));
    // The form is the proposal, ready to accept.
    assert_eq!(
        field(&found, "contacts"),
        "email: psirt@acme.example\nurl: https://acme.example/security"
    );
    assert_eq!(field(&found, "languages"), "en, da");
    assert_eq!(field(&found, "pgp_key"), public.trim());
    assert_eq!(field(&found, "name"), "Acme");
    let (_, vendor) = call(&app, &token, "GET", &format!("/api/v1/vendors/{id}"), None).await;
    assert_eq!(
        vendor["contacts"],
        Value::Array(Vec::new()),
        "nothing changed yet"
    );
    assert_eq!(vendor["pgp_key"], Value::Null);

    let accepted: Vec<(String, String)> = [
        "name",
        "domains",
        "contacts",
        "pgp_key",
        "policy_url",
        "languages",
        "notes",
    ]
    .iter()
    .map(|name| (name.to_string(), field(&found, name)))
    .collect();
    let accepted: Vec<(&str, &str)> = accepted
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let (status, _, _) = submit(&triager, &app, &location, &found, &accepted).await;
    assert_eq!(status, 303);
    let (_, vendor) = call(&app, &token, "GET", &format!("/api/v1/vendors/{id}"), None).await;
    assert_eq!(
        vendor["contacts"][0]["value"], "psirt@acme.example",
        "{vendor}"
    );
    assert_eq!(vendor["contacts"][1]["kind"], "url");
    assert_eq!(vendor["policy_url"], "https://acme.example/policy");
    assert_eq!(vendor["languages"], serde_json::json!(["en", "da"]));
    assert!(vendor["pgp_key"]
        .as_str()
        .is_some_and(|key| key.contains("PUBLIC KEY")));
    let (_, vendor_page) = page(&triager, &app, &location).await;
    assert!(vendor_page.contains(&fingerprint), "the page names the key");

    // No file: the RFC 2142 mailbox, said to be a guess.
    let empty = serve(Vec::new());
    let (status, _, guessed) = submit(
        &triager,
        &app,
        &discover,
        &vendor_page,
        &[("domain", &format!("127.0.0.1:{empty}"))],
    )
    .await;
    assert_eq!(status, 200);
    assert!(guessed.contains("id=\"discovery-guess\""), "{guessed}");
    assert!(guessed.contains("only a guess"), "{guessed}");

    // Not a domain: refused beside the field, nothing fetched.
    let (status, _, refused) = submit(
        &triager,
        &app,
        &discover,
        &vendor_page,
        &[("domain", "not a domain!")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("<p class=\"error-message\" id=\"domain-error\" role=\"alert\">"),
        "{refused}"
    );
    assert_eq!(field(&refused, "domain"), "not a domain!");
    let discovered = audited(&app, "vendor.discover").await;
    assert_eq!(discovered.len(), 2, "each look is audited: {discovered:?}");
}

#[tokio::test]
async fn a_case_is_opened_from_the_staff_form() {
    let config = config();
    let path = config.path().to_str().expect("utf-8").to_owned();
    let app = TestApp::start_with(&["--config", &path]);
    create_first_admin(&app).await;
    let token = api_token(&app, ADMIN_EMAIL);
    let triager = signed_in_account(&app, "triager@example.org", "triager", &[]).await;
    let (status, vendor) = call(
        &app,
        &token,
        "POST",
        "/api/v1/vendors",
        Some(serde_json::json!({"name": "Acme", "contacts": [{"kind": "email", "value": "psirt@acme.example"}]})),
    )
    .await;
    assert_eq!(status, 201, "{vendor}");
    let vendor_id = vendor["id"].to_string();

    let (_, cases) = page(&triager, &app, "/staff/cases").await;
    assert!(cases.contains("href=\"/staff/cases/new\""), "{cases}");
    assert!(cases.contains("href=\"/staff/vendors\""));
    assert!(!cases.contains("written through the API"));
    let (status, form) = page(
        &triager,
        &app,
        &format!("/staff/cases/new?vendor_id={vendor_id}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(form.contains(&format!(
        "<option value=\"{vendor_id}\" selected>Acme</option>"
    )));
    // A link that cannot be read chooses nothing.
    assert_eq!(
        page(&triager, &app, "/staff/cases/new?vendor_id=%FF")
            .await
            .0,
        200
    );

    let details = "The uploaded file name reaches a shell command.";
    let (status, _, refused) = submit(
        &triager,
        &app,
        "/staff/cases",
        &form,
        &[
            ("vendor_id", &vendor_id),
            ("title", ""),
            ("product", "Acme Router"),
            ("versions_tested", "4.2.1\n4.2.0"),
            ("vulnerability_type", "Remote Code Execution"),
            ("severity", "CVSS:3.1/AV:X"),
            ("attack_vector", "A POST to /upload."),
            ("ease_of_exploitation", "Trivial."),
            ("cve", "researcher"),
            ("cve_id", "CVE-12"),
            ("technical_details", details),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(says_beside(&refused, "title", "required"), "{refused}");
    assert!(refused.contains("id=\"severity-error\""), "{refused}");
    assert!(says_beside(&refused, "cve_id", ""), "{refused}");
    assert_eq!(field(&refused, "technical_details"), details);
    assert_eq!(field(&refused, "versions_tested"), "4.2.1\n4.2.0");
    assert_eq!(field(&refused, "severity"), "CVSS:3.1/AV:X");
    assert!(refused.contains(&format!(
        "<option value=\"{vendor_id}\" selected>Acme</option>"
    )));

    let complete = [
        ("title", "Remote code execution in the upload handler"),
        ("product", "Acme Router"),
        ("versions_tested", "4.2.1\n4.2.0"),
        ("vulnerability_type", "Remote Code Execution"),
        ("severity", VECTOR),
        ("attack_vector", "A POST to /upload."),
        ("prerequisites", "None."),
        ("ease_of_exploitation", "Trivial."),
        ("cve", "vendor"),
        ("credit", "no"),
        ("technical_details", details),
        ("preset", "project_zero"),
    ];
    let (status, _, refused) = submit(&triager, &app, "/staff/cases", &refused, &complete).await;
    assert_eq!(status, 422);
    assert!(
        says_beside(&refused, "vendor_id", "choose a vendor from the directory"),
        "{refused}"
    );
    assert!(refused.contains("<option value=\"\">(choose a vendor)</option>"));
    let mut unknown_vendor = vec![("vendor_id", "99")];
    unknown_vendor.extend_from_slice(&complete);
    let (status, _, refused) =
        submit(&triager, &app, "/staff/cases", &refused, &unknown_vendor).await;
    assert_eq!(status, 422);
    assert!(
        says_beside(&refused, "vendor_id", "there is no vendor 99"),
        "{refused}"
    );
    let (_, listed) = call(&app, &token, "GET", "/api/v1/cases", None).await;
    assert_eq!(listed["items"], Value::Array(Vec::new()), "nothing stored");

    let mut opened = vec![("vendor_id", vendor_id.as_str())];
    opened.extend_from_slice(&complete);
    let (status, location, _) = submit(&triager, &app, "/staff/cases", &refused, &opened).await;
    assert_eq!(status, 303);
    let id = location
        .strip_prefix("/staff/cases/")
        .expect("the case page")
        .to_owned();
    assert!(id.starts_with("CVD-OUT-"), "{id}");
    let (_, case) = call(&app, &token, "GET", &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(case["state"], "draft", "{case}");
    assert_eq!(case["vendor_id"].to_string(), vendor_id);
    assert_eq!(
        case["versions_tested"],
        serde_json::json!(["4.2.1", "4.2.0"])
    );
    assert_eq!(case["cve"], "vendor");
    assert_eq!(case["credit"], false);
    assert_eq!(case["preset"], "project_zero");
    assert_eq!(case["prerequisites"], "None.");
    let (status, case_page) = page(&triager, &app, &location).await;
    assert_eq!(status, 200);
    assert!(case_page.contains(details), "the inquiry for review");

    let actions = audited(&app, "case.").await;
    for action in ["case.list", "case.new", "case.create"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

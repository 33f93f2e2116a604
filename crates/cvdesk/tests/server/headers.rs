//! Security headers on every kind of response.

use std::cell::{Cell, RefCell};

use cvdesk_domain::challenge::solve;
use cvdesk_server::registered_routes;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use reqwest::multipart::{Form, Part};

use crate::app::{anonymous_report, TestApp};
use crate::staff::{
    api_token, browser, cli, create_first_admin, sign_in, ADMIN_EMAIL, ADMIN_PASSWORD,
};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::start();
    let created = app.submit(&anonymous_report()).await;
    let token = created["tracking_token"].as_str().expect("token");
    let paths = [
        "/".to_owned(),
        "/report".to_owned(),
        "/static/style.css".to_owned(),
        "/healthz".to_owned(),
        format!("/track/{token}"),
        format!("/api/v1/track/{token}"),
        "/no/such/page".to_owned(),
        "/api/v1/track/unknown".to_owned(),
    ];
    for path in paths {
        let response = app.get(&path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        if path.starts_with("/track") || path.starts_with("/api") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

/// What in a page a strict policy would block or that would need `unsafe-inline`: a
/// `<script>` without `src` or with content, an `on…=` handler, a `style=` attribute, a
/// `<style>` element, a `javascript:` address. Read with html5ever's tokeniser, as a
/// browser reads it, so markup inside a script or an attribute value is not mistaken for
/// tags.
fn inline_code(html: &str) -> Vec<String> {
    let tokenizer = Tokenizer::new(InlineCode::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.found.into_inner()
}

#[derive(Default)]
struct InlineCode {
    found: RefCell<Vec<String>>,
    in_script: Cell<bool>,
}

impl TokenSink for InlineCode {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let mut found = self.found.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let name = tag.name.to_string();
                for attribute in &tag.attrs {
                    let attribute_name = attribute.name.local.to_string();
                    if attribute_name.starts_with("on") || attribute_name == "style" {
                        found.push(format!("line {line}: <{name} {attribute_name}=…>"));
                    }
                    if attribute
                        .value
                        .trim()
                        .to_ascii_lowercase()
                        .starts_with("javascript:")
                    {
                        found.push(format!("line {line}: <{name}> with a javascript: address"));
                    }
                }
                match name.as_str() {
                    "script" => {
                        if !tag.attrs.iter().any(|a| &*a.name.local == "src") {
                            found.push(format!("line {line}: <script> without src"));
                        }
                        self.in_script.set(true);
                        return TokenSinkResult::RawData(RawKind::ScriptData);
                    }
                    "style" => {
                        found.push(format!("line {line}: <style> element"));
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                    _ => {}
                }
            }
            Token::TagToken(tag) if tag.kind == TagKind::EndTag && &*tag.name == "script" => {
                self.in_script.set(false);
            }
            Token::CharacterTokens(text) if self.in_script.get() && !text.trim().is_empty() => {
                found.push(format!(
                    "line {line}: script content {:?}",
                    &text[..text.len().min(40)]
                ));
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[test]
fn the_inline_code_check_finds_each_kind() {
    let page = r#"<!doctype html><html><head>
<script src="/static/a.js" defer></script>
<script>alert(1)</script>
<style>p { color: red }</style>
</head><body>
<p style="color: red" onclick="go()">x</p>
<a href=" JavaScript:go()">y</a>
<script src="/static/b.js">var inline = 1;</script>
<p title="<script>not a tag</script> style=">fine</p>
</body></html>"#;
    let found = inline_code(page);
    assert_eq!(found.len(), 7, "{found:#?}");
    assert!(
        inline_code(r#"<script src="/static/a.js" defer></script><p title="on">ok</p>"#).is_empty()
    );
}

fn assert_strict_policy(what: &str, response: &reqwest::Response) {
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no content-security-policy"))
        .to_str()
        .expect("ascii");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
}

/// Checks the policy header and, for HTML, that nothing in the page is inline code.
async fn assert_no_inline_code(what: &str, response: reqwest::Response) -> String {
    assert!(
        response.status().as_u16() < 500,
        "{what}: {}",
        response.status()
    );
    assert_strict_policy(what, &response);
    let html = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let body = response.text().await.expect("body");
    if html {
        let found = inline_code(&body);
        assert!(found.is_empty(), "{what}: {found:#?}");
    }
    body
}

fn value_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"))
        + marker.len();
    html[start..].split('"').next().expect("value")
}

/// Every page the server registers, and the pages forms lead to, as the desk is shipped:
/// the intake challenge on (its script is on the form) and rate limits at their defaults.
/// Staff pages are read as the admin, who sees all of them.
#[tokio::test]
async fn no_page_has_inline_code_under_the_default_configuration() {
    let app = TestApp::start_with_defaults();
    create_first_admin(&app).await;
    let (code, out) = cli(
        &app,
        &[
            "product",
            "add",
            "--name",
            "Shop",
            "--team",
            "Web",
            "--hostname",
            "shop.example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "viewer@example.org",
            "--role",
            "viewer",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let password_link = out.lines().last().expect("link").trim().to_owned();
    let password_token = password_link.rsplit('/').next().expect("token").to_owned();
    let setup_link = app.printed_line("/staff/setup/");
    let setup_token = setup_link
        .trim()
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned();
    let (admin, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let finder = browser();

    // The form, refused without a solved challenge, then sent with one and a file.
    let form_page = assert_no_inline_code(
        "GET /report",
        finder.get(app.at("/report")).send().await.expect("sent"),
    )
    .await;
    assert!(
        form_page.contains("<script src=\"/static/challenge.js\""),
        "the challenge is on"
    );
    let refused = finder
        .post(app.at("/report"))
        .multipart(Form::new().text("title", "Only a title"))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 422);
    let refused = assert_no_inline_code("POST /report refused", refused).await;
    let token = value_after(&refused, "id=\"challenge_token\" value=\"").to_owned();
    let difficulty: u8 = value_after(&refused, "data-difficulty=\"")
        .parse()
        .expect("difficulty");
    let form = Form::new()
        .text("title", "Stored XSS in comments")
        .text("asset", "shop.example.org")
        .text("summary", "Comments are rendered without escaping.")
        .text(
            "steps_to_reproduce",
            "1. Post <script>alert(1)</script>\n2. Reload",
        )
        .text("impact", "Account takeover.")
        .text("contact_email", "ada@example.org")
        .text("challenge_solution", solve(&token, difficulty))
        .text("challenge", token)
        .part(
            "attachments",
            Part::bytes(b"<script>alert(1)</script>".to_vec())
                .file_name("poc.html")
                .mime_str("text/html")
                .expect("mime"),
        );
    let receipt = finder
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(receipt.status(), 201);
    let receipt = assert_no_inline_code("POST /report receipt", receipt).await;
    let tracking_url = value_after(&receipt, "id=\"tracking-url\" href=\"").to_owned();
    let tracking_token = tracking_url.rsplit('/').next().expect("token").to_owned();
    let tracking = finder.get(&tracking_url).send().await.expect("sent");
    let tracking = assert_no_inline_code("GET /track/{token}", tracking).await;
    let reference_start = tracking.find("CVD-").expect("reference");
    let reference: String = tracking[reference_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let staff_report = admin
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let attachment_id: String = value_after(&staff_report, "/attachments/")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    // A published advisory, so its public pages, files and staff pages are read too.
    let (code, out) = cli(
        &app,
        &[
            "pgp",
            "generate",
            "--name",
            "Example Security",
            "--email",
            "security@example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let token = api_token(&app, ADMIN_EMAIL);
    let api = |path: &str, body: serde_json::Value| {
        app.client
            .post(app.at(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let draft: serde_json::Value = api(
        "/api/v1/advisories",
        crate::advisories::advisory_body(&reference),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let advisory = draft["id"].as_str().expect("advisory id").to_owned();
    let published: serde_json::Value = api(
        &format!("/api/v1/advisories/{advisory}/publish"),
        serde_json::json!({}),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let csaf_url = published["urls"]["csaf"].as_str().expect("csaf url");
    let csaf_file = csaf_url.rsplit('/').next().expect("file").to_owned();
    let csaf_year = csaf_url.rsplit('/').nth(1).expect("year").to_owned();

    let fill = |pattern: &str| {
        let (token, public) = if pattern.starts_with("/staff/login") {
            ("", true)
        } else if pattern.starts_with("/staff/setup/") {
            (setup_token.as_str(), true)
        } else if pattern.starts_with("/staff/password/") {
            (password_token.as_str(), true)
        } else {
            (tracking_token.as_str(), false)
        };
        let path = pattern
            .replace("{token}", token)
            .replace("{reference}", &reference)
            .replace("{attachment_id}", &attachment_id)
            .replace("{id}", "1")
            .replace("{case_id}", "CVD-OUT-2026-0001")
            .replace("{mail_id}", "1")
            .replace("{vendor_id}", "1")
            .replace("{table_file}", "arrivals.csv")
            .replace("{version}", "1")
            .replace("{advisory}", &advisory)
            .replace("{year}", &csaf_year)
            .replace("{credit}", "1")
            .replace("{done}", "1")
            .replace("{participant_token}", "no-such-participant-link")
            .replace("{participant}", "1")
            .replace("{status}", "1");
        let path = if pattern == "/advisories/{advisory}/cve/{file}" {
            path.replace("{file}", "CVE-2026-12345.json")
        } else if pattern.starts_with("/.well-known/csaf/openpgp/") {
            path.replace("{file}", "key.asc")
        } else {
            path.replace("{file}", &csaf_file)
        };
        assert!(!path.contains('{'), "{pattern}: no value for a parameter");
        (path, public || !pattern.starts_with("/staff"))
    };
    let mut pages = 0;
    for route in registered_routes() {
        if route.method != "GET" {
            continue;
        }
        let (path, public) = fill(&route.path);
        let client = if public { &finder } else { &admin };
        let response = client.get(app.at(&path)).send().await.expect("sent");
        if !public {
            assert_ne!(
                response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok()),
                Some("/staff/login"),
                "{}: the admin is signed in",
                route.path
            );
        }
        assert_no_inline_code(&format!("GET {}", route.path), response).await;
        pages += 1;
    }
    assert!(pages > 20, "{pages} pages read");
    let missing = finder
        .get(app.at("/no/such/page"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
    assert_no_inline_code("an unknown page", missing).await;
}

//! Staff accounts end to end: the first-admin link printed at start, signing in and out,
//! lockout per client address, accounts and tokens made on the command line, and the
//! audit chain.

use reqwest::redirect::Policy;
use reqwest::Client;

use crate::app::{run_cli, TestApp};

pub const ADMIN_EMAIL: &str = "admin@example.org";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A client with its own cookie jar that does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the first hidden `csrf_token` field in a page.
pub fn csrf_token(html: &str) -> String {
    let start = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a csrf_token field")
        + 25;
    html[start..].chars().take_while(|c| *c != '"').collect()
}

pub async fn create_first_admin(app: &TestApp) {
    let line = app.printed_line("/staff/setup/");
    let link = line.trim().to_owned();
    let response = browser()
        .post(&link)
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("confirmation", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

/// Signs in with a fresh browser; returns it and the status of the sign-in answer.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> (Client, u16) {
    sign_in_from(app, email, password, None).await
}

/// Signs in as a client behind a trusted proxy that names `address` in
/// `X-Forwarded-For` (the server must trust the loopback proxy).
pub async fn sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    address: Option<&str>,
) -> (Client, u16) {
    let browser = browser();
    let forwarded = |request: reqwest::RequestBuilder| match address {
        Some(address) => request.header("x-forwarded-for", address),
        None => request,
    };
    let page = forwarded(browser.get(app.at("/staff/login")))
        .send()
        .await
        .expect("sent");
    let token = csrf_token(&page.text().await.expect("html"));
    let response = forwarded(browser.post(app.at("/staff/login")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (browser, status)
}

pub fn cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String) {
    let data = app.data_dir().to_str().expect("utf-8 path").to_owned();
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--data", data.as_str()]);
    run_cli(&full, "")
}

#[tokio::test]
async fn the_first_admin_signs_in_and_out() {
    let app = TestApp::start();
    let anonymous = browser().get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/staff/login");

    create_first_admin(&app).await;
    let link = app.printed_line("/staff/setup/");
    let again = browser()
        .post(link.trim())
        .form(&[
            ("email", "eve@example.org"),
            ("password", "another long password"),
            ("confirmation", "another long password"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 422, "a set-up link works once");
    let gone = browser().get(link.trim()).send().await.expect("sent");
    assert_eq!(
        gone.status(),
        410,
        "a used link says so before anyone types"
    );

    let (browser, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let home = browser.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(home.status(), 200);
    let html = home.text().await.expect("html");
    assert!(html.contains(ADMIN_EMAIL));

    let token = csrf_token(&html);
    let forged = browser
        .post(app.at("/staff/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        forged.status(),
        403,
        "logout needs the session's CSRF token"
    );
    let logout = browser
        .post(app.at("/staff/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(logout.status(), 303);
    let after = browser.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(after.status(), 303, "signed out");
}

#[tokio::test]
async fn failures_say_the_same_thing_and_lock_the_account() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let wrong = sign_in(&app, ADMIN_EMAIL, "wrong password here").await;
    let unknown = sign_in(&app, "nobody@example.org", ADMIN_PASSWORD).await;
    assert_eq!((wrong.1, unknown.1), (401, 401));
    for _ in 0..4 {
        sign_in(&app, ADMIN_EMAIL, "wrong password here").await;
    }
    let (_, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        status, 401,
        "locked after five failures, even with the right password"
    );
}

#[tokio::test]
async fn wrong_passwords_lock_out_only_the_address_they_come_from() {
    let app = TestApp::start_with(&[
        "--trusted-proxy",
        "127.0.0.1",
        "--client-address-header",
        "x-forwarded-for",
    ]);
    create_first_admin(&app).await;
    let attacker = Some("198.51.100.7");
    for _ in 0..5 {
        let (_, status) = sign_in_from(&app, ADMIN_EMAIL, "wrong password here", attacker).await;
        assert_eq!(status, 401);
    }
    let (_, status) = sign_in_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, attacker).await;
    assert_eq!(status, 401, "the guessing address is locked out");
    let (owner, status) =
        sign_in_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(status, 303, "the account holder elsewhere is not");
    let home = owner
        .get(app.at("/staff"))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .expect("sent");
    assert_eq!(home.status(), 200);
}

#[tokio::test]
async fn accounts_and_tokens_from_the_command_line() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (code, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "tri@example.org",
            "--role",
            "triager",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let link = out.lines().last().expect("link line").trim().to_owned();
    assert!(link.contains("/staff/password/"), "{out}");
    let link = link.replace(&link[..link.find("/staff").expect("path")], &app.url);
    let chosen = "triage all the things";
    let set = browser()
        .post(&link)
        .form(&[("password", chosen), ("confirmation", chosen)])
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 303);
    assert_eq!(sign_in(&app, "tri@example.org", chosen).await.1, 303);

    let (code, _) = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "TRI@example.org",
            "--role",
            "viewer",
        ],
    );
    assert_eq!(code, Some(1), "the e-mail is taken");
    let (code, _) = cli(
        &app,
        &["user", "add", "--email", "x@example.org", "--role", "root"],
    );
    assert_eq!(code, Some(1), "unknown role");

    let (code, out) = cli(&app, &["token", "create", "--email", "tri@example.org"]);
    assert_eq!(code, Some(0), "{out}");
    let token = out.lines().last().expect("token line").trim();
    assert_eq!(token.len(), 43, "{out}");
}

#[tokio::test]
async fn audit_verify_detects_a_changed_row() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    sign_in(&app, ADMIN_EMAIL, "wrong password here").await;
    let (code, out) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("intact"), "{out}");

    let database = app.data_dir().join("cvdesk.db");
    let url = format!("sqlite://{}", database.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    sqlx::query("UPDATE audit_log SET actor_label = 'someone else' WHERE sequence = 2")
        .execute(&mut connection)
        .await
        .expect("tampered");
    let (code, out) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("entry 2 was changed"), "{out}");
}

/// Creates an account on the command line, chooses its password through the printed
/// link and signs it in.
pub async fn signed_in_account(
    app: &TestApp,
    email: &str,
    role: &str,
    products: &[&str],
) -> Client {
    let mut args = vec!["user", "add", "--email", email, "--role", role];
    for product in products {
        args.extend(["--product", product]);
    }
    let (code, out) = cli(app, &args);
    assert_eq!(code, Some(0), "{out}");
    let link = out.lines().last().expect("link").trim().to_owned();
    let path = &link[link.find("/staff/").expect("path")..];
    let password = "a long enough password";
    let set = browser()
        .post(app.at(path))
        .form(&[("password", password), ("confirmation", password)])
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 303);
    let (client, status) = sign_in(app, email, password).await;
    assert_eq!(status, 303);
    client
}

/// The API token of a new account, made on the command line.
pub fn api_token(app: &TestApp, email: &str) -> String {
    let (code, out) = cli(app, &["token", "create", "--email", email]);
    assert_eq!(code, Some(0), "{out}");
    out.lines().last().expect("token").trim().to_owned()
}

#[tokio::test]
async fn sign_in_steps_are_throttled_per_address_before_any_work() {
    let app = TestApp::start_with(&["--rate-limit-sign-in", "4/minute"]);
    // The set-up link is the first of four steps this address may take at once.
    create_first_admin(&app).await;
    for attempt in 1..=2 {
        let (_, status) = sign_in(&app, "nobody@example.org", "wrong password here").await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let dead_link = browser()
        .post(app.at("/staff/password/not-a-real-link"))
        .form(&[("password", "short"), ("confirmation", "short")])
        .send()
        .await
        .expect("sent");
    assert_eq!(dead_link.status(), 422);
    let html = dead_link.text().await.expect("html");
    assert!(
        html.contains("expired or was already used") && !html.contains("at least 12"),
        "a dead link is refused before the password is looked at: {html}"
    );
    let (_, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 429, "the fifth step from this address waits");
    let setup = browser()
        .post(app.at("/staff/setup/anything"))
        .form(&[
            ("email", "x@example.org"),
            ("password", "p"),
            ("confirmation", "p"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(setup.status(), 429, "set-up links share the allowance");
    assert!(setup.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn an_overlong_e_mail_is_refused_and_recorded_short() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let long = format!("{}@example.org", "a".repeat(5_000));
    let (_, status) = sign_in(&app, &long, ADMIN_PASSWORD).await;
    assert_eq!(status, 401);
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let log = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(log.contains("user.login_failed"), "{log}");
    assert!(
        !log.contains(&"a".repeat(300)),
        "the label is cut to an e-mail address's length"
    );
}

/// Every `Set-Cookie` header of an answer.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_sign_in_form_cookie_is_host_only_over_https_and_forgotten_after_sign_in() {
    let app = TestApp::start_with(&["--public-url", "https://desk.example.org"]);
    let line = app.printed_line("/staff/setup/");
    let path = &line[line.find("/staff/setup/").expect("path")..];
    let setup = browser()
        .post(app.at(path.trim()))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("confirmation", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(setup.status(), 303);
    // The test talks plain HTTP to the desk, so it carries the Secure cookies by hand.
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(app.at("/staff/login"))
        .send()
        .await
        .expect("sent");
    let cookies = set_cookies(&page);
    let login = cookies
        .iter()
        .find(|c| c.starts_with("__Host-cvdesk_login="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(
        login.contains("; Path=/;") && login.ends_with("; Secure"),
        "{login}"
    );
    let pair = login.split(';').next().expect("pair").to_owned();
    let token = csrf_token(&page.text().await.expect("html"));
    let signed_in = client
        .post(app.at("/staff/login"))
        .header("cookie", pair)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), 303);
    let cookies = set_cookies(&signed_in);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-cvdesk_session=") && c.ends_with("; Secure")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-cvdesk_login=;") && c.contains("Max-Age=0")),
        "the form's cookie is forgotten: {cookies:?}"
    );
}

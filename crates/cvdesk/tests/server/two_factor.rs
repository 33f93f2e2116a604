//! Two-factor sign-in: enrolment on the account page, sign-in with a code and with a
//! recovery code, and the admin rule that requires it.

use cvdesk_domain::totp::{self, TotpSecret};
use reqwest::Client;

use crate::app::TestApp;
use crate::staff::{
    create_first_admin, csrf_token, sign_in, signed_in_account, ADMIN_EMAIL, ADMIN_PASSWORD,
};

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c)
            .expect("base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

async fn html(client: &Client, url: String) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect("start marker") + start.len();
    let to = text[from..].find(end).expect("end marker") + from;
    &text[from..to]
}

#[tokio::test]
async fn enrol_then_sign_in_with_a_code_and_a_recovery_code() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = html(&admin, app.at("/staff/account")).await;
    let token = csrf_token(&page);
    let started = admin
        .post(app.at("/staff/account/two-factor/start"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(started.status(), 303);
    let page = html(&admin, app.at("/staff/account")).await;
    assert!(page.contains("<svg"), "a QR code is shown");
    let secret = TotpSecret::from_bytes(base32_decode(between(&page, "id=\"totp-secret\">", "<")))
        .expect("secret");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let wrong = admin
        .post(app.at("/staff/account/two-factor/confirm"))
        .form(&[("csrf_token", token.as_str()), ("code", "000000")])
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 422);
    let code = totp::code_at(&secret, now);
    let confirmed = admin
        .post(app.at("/staff/account/two-factor/confirm"))
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(confirmed.status(), 200);
    let page = confirmed.text().await.expect("html");
    let codes: Vec<String> = between(&page, "id=\"recovery-codes\">", "</ul>")
        .split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 10);

    let (second, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let blocked = second.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(
        blocked.headers()["location"],
        "/staff/login/code",
        "the code comes first"
    );
    let code_page = html(&second, app.at("/staff/login/code")).await;
    let token = csrf_token(&code_page);
    let replayed = second
        .post(app.at("/staff/login/code"))
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(replayed.status(), 401, "a used code cannot be replayed");
    let next = totp::code_at(&secret, now + 30);
    let accepted = second
        .post(app.at("/staff/login/code"))
        .form(&[("csrf_token", token.as_str()), ("code", next.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 303);
    assert_eq!(
        second
            .get(app.at("/staff"))
            .send()
            .await
            .expect("sent")
            .status(),
        200
    );

    for (attempt, expected) in [(codes[0].as_str(), 303), (codes[0].as_str(), 401)] {
        let (third, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf_token(&html(&third, app.at("/staff/login/code")).await);
        let response = third
            .post(app.at("/staff/login/code"))
            .form(&[("csrf_token", token.as_str()), ("code", attempt)])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), expected, "a recovery code works once");
    }
}

#[tokio::test]
async fn an_admin_can_require_two_factors() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let triager = signed_in_account(&app, "t@example.org", "triager", &[]).await;
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = csrf_token(&html(&admin, app.at("/staff/account")).await);
    let forbidden = triager
        .post(app.at("/staff/account/require-two-factor"))
        .form(&[
            (
                "csrf_token",
                csrf_token(&html(&triager, app.at("/staff/account")).await),
            ),
            ("value", "yes".to_owned()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(forbidden.status(), 403);
    let set = admin
        .post(app.at("/staff/account/require-two-factor"))
        .form(&[("csrf_token", token.as_str()), ("value", "yes")])
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 303);
    let sent_to_setup = triager.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(sent_to_setup.status(), 303);
    assert_eq!(sent_to_setup.headers()["location"], "/staff/account");
    let page = html(&triager, app.at("/staff/account")).await;
    assert!(page.contains("An admin requires it"), "{page}");
}

/// Signs the admin in, enrols a second factor and returns its secret.
async fn admin_with_second_factor(app: &TestApp) -> TotpSecret {
    create_first_admin(app).await;
    let (admin, _) = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    enrol(app, &admin).await
}

/// Enrols a second factor for the signed-in `admin` and returns its secret.
async fn enrol(app: &TestApp, admin: &Client) -> TotpSecret {
    let token = csrf_token(&html(admin, app.at("/staff/account")).await);
    admin
        .post(app.at("/staff/account/two-factor/start"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    let page = html(admin, app.at("/staff/account")).await;
    let secret = TotpSecret::from_bytes(base32_decode(between(&page, "id=\"totp-secret\">", "<")))
        .expect("secret");
    let code = totp::code_at(
        &secret,
        time::OffsetDateTime::now_utc().unix_timestamp() - 30,
    );
    let confirmed = admin
        .post(app.at("/staff/account/two-factor/confirm"))
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(confirmed.status(), 200);
    secret
}

async fn send_code(app: &TestApp, browser: &Client, code: &str) -> reqwest::Response {
    let token = csrf_token(&html(browser, app.at("/staff/login/code")).await);
    browser
        .post(app.at("/staff/login/code"))
        .form(&[("csrf_token", token.as_str()), ("code", code)])
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn wrong_codes_lock_the_second_factor_until_a_complete_sign_in() {
    let app = TestApp::start();
    let secret = admin_with_second_factor(&app).await;
    let (guesser, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for attempt in 1..=4 {
        let wrong = send_code(&app, &guesser, "000000").await;
        assert_eq!(wrong.status(), 401, "attempt {attempt}");
        assert!(wrong
            .text()
            .await
            .expect("html")
            .contains("That code is wrong"));
    }
    // A correct password in between does not reset the count of wrong codes.
    let (guesser, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let fifth = send_code(&app, &guesser, "000000").await;
    assert_eq!(fifth.status(), 401);
    assert!(fifth
        .text()
        .await
        .expect("html")
        .contains("Too many wrong codes"));
    let after = guesser
        .get(app.at("/staff/login/code"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        after.headers()["location"],
        "/staff/login",
        "the waiting session ended with the lock"
    );

    let (owner, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let right = send_code(&app, &owner, &totp::code_at(&secret, now)).await;
    assert_eq!(
        right.status(),
        401,
        "even the right code waits for the lock"
    );
    assert!(right
        .text()
        .await
        .expect("html")
        .contains("Too many wrong codes"));
    let home = owner.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(home.status(), 303);
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_waiting_session_is_short_single_and_replaced_on_success() {
    let app = TestApp::start();
    let secret = admin_with_second_factor(&app).await;
    let login = |browser: Client| {
        let app = &app;
        async move {
            let page = browser
                .get(app.at("/staff/login"))
                .send()
                .await
                .expect("sent");
            let token = csrf_token(&page.text().await.expect("html"));
            let response = browser
                .post(app.at("/staff/login"))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                ])
                .send()
                .await
                .expect("sent");
            (browser, response)
        }
    };
    let (first, answer) = login(crate::staff::browser()).await;
    let waiting = cookie_value(&answer, "cvdesk_session").expect("a session cookie");
    assert!(waiting.contains("Max-Age=300"), "{waiting}");
    let (second, answer) = login(crate::staff::browser()).await;
    let token_of = |cookie: &str| {
        cookie
            .split(';')
            .next()
            .expect("pair")
            .trim_start_matches("cvdesk_session=")
            .to_owned()
    };
    let waiting = token_of(&cookie_value(&answer, "cvdesk_session").expect("cookie"));
    let replaced = first
        .get(app.at("/staff/login/code"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        replaced.headers()["location"],
        "/staff/login",
        "a newer sign-in replaces the waiting one"
    );

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let done = send_code(&app, &second, &totp::code_at(&secret, now + 30)).await;
    assert_eq!(done.status(), 303);
    let complete = cookie_value(&done, "cvdesk_session").expect("a new session cookie");
    assert!(complete.contains("Max-Age=43200"), "{complete}");
    assert_ne!(
        waiting,
        token_of(&complete),
        "a new token once the code is right"
    );
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.at("/staff"))
        .header("cookie", format!("cvdesk_session={waiting}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(stale.status(), 303, "the waiting token never signs in");
    let signed_in = second.get(app.at("/staff")).send().await.expect("sent");
    assert_eq!(signed_in.status(), 200, "the new token is signed in");
}

#[tokio::test]
async fn turning_two_factor_on_or_off_signs_out_the_other_sessions() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (elsewhere, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (here, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    enrol(&app, &here).await;
    let home = |client: Client| {
        let url = app.at("/staff");
        async move { client.get(url).send().await.expect("sent").status() }
    };
    assert_eq!(home(here.clone()).await, 200, "this session stays");
    assert_eq!(home(elsewhere).await, 303, "the other one ends");
    let (waiting, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303, "a new sign-in waits for the code");
    let token = csrf_token(&html(&here, app.at("/staff/account")).await);
    let off = here
        .post(app.at("/staff/account/two-factor/remove"))
        .form(&[("csrf_token", token.as_str()), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(off.status(), 303);
    assert_eq!(home(here).await, 200);
    let code_page = waiting
        .get(app.at("/staff/login/code"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        code_page.headers()["location"],
        "/staff/login",
        "the waiting sign-in ended too"
    );
}

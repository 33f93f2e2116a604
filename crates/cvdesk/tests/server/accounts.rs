//! Account and token lifecycle end to end: products only for members, accounts made whole
//! or not at all, disabling and enabling on the command line and the admin page (sessions
//! end and tokens stop at once), tokens that expire, are listed and revoked, and a new
//! password or second factor that signs the account out everywhere else.

use std::process::Command;

use reqwest::Client;

use crate::app::TestApp;
use crate::staff::{
    api_token, browser, cli, create_first_admin, csrf_token, sign_in, signed_in_account,
    ADMIN_EMAIL, ADMIN_PASSWORD,
};

/// Runs `cvdesk ARGS… --data DIR`; returns whether it succeeded, stdout and stderr.
fn command(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(args)
        .arg("--data")
        .arg(app.data_dir())
        .output()
        .expect("ran");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn status(client: &Client, app: &TestApp, path: &str) -> u16 {
    client
        .get(app.at(path))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn api_status(app: &TestApp, token: &str) -> u16 {
    Client::new()
        .get(app.at("/api/v1/reports"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

fn add_shop(app: &TestApp) {
    let (code, out) = cli(app, &["product", "add", "--name", "Shop", "--team", "Web"]);
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn products_are_refused_for_roles_they_would_not_limit() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    add_shop(&app);
    for role in ["triager", "viewer", "admin"] {
        let (ok, _, errors) = command(
            &app,
            &[
                "user",
                "add",
                "--email",
                "t@example.org",
                "--role",
                role,
                "--product",
                "Shop",
            ],
        );
        assert!(!ok, "{role}");
        assert!(
            errors.contains(&format!(
                "products would change nothing for the {role} role"
            )) && errors.contains("--role member"),
            "{errors}"
        );
    }
    let (_, listed, _) = command(&app, &["user", "list"]);
    assert!(
        !listed.contains("t@example.org"),
        "nothing was made: {listed}"
    );
    let (ok, _, errors) = command(
        &app,
        &[
            "user",
            "add",
            "--email",
            "m@example.org",
            "--role",
            "member",
            "--product",
            "Shop",
            "--product",
            "Nope",
        ],
    );
    assert!(!ok);
    assert!(errors.contains("no product named \"Nope\""), "{errors}");
    let (_, listed, _) = command(&app, &["user", "list"]);
    assert!(
        !listed.contains("m@example.org"),
        "a refused product leaves no account behind: {listed}"
    );
    let (ok, out, _) = command(
        &app,
        &[
            "user",
            "add",
            "--email",
            "m@example.org",
            "--role",
            "member",
            "--product",
            "Shop",
        ],
    );
    assert!(ok, "{out}");
    let (_, listed, _) = command(&app, &["user", "list"]);
    let line = listed
        .lines()
        .find(|line| line.starts_with("m@example.org"))
        .expect("listed");
    assert_eq!(line, "m@example.org\tmember\tenabled\ttwo-factor off\tShop");
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_and_its_tokens_stop_at_once() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let triager = signed_in_account(&app, "t@example.org", "triager", &[]).await;
    let token = api_token(&app, "t@example.org");
    assert_eq!(api_status(&app, &token).await, 200);
    let (ok, out, errors) = command(&app, &["user", "disable", "--email", "T@example.org"]);
    assert!(ok, "{errors}");
    assert!(out.contains("Disabled t@example.org"), "{out}");
    assert_eq!(status(&triager, &app, "/staff").await, 303, "signed out");
    assert_eq!(api_status(&app, &token).await, 401, "token revoked");
    let (_, status_code) = sign_in(&app, "t@example.org", "a long enough password").await;
    assert_eq!(status_code, 401, "cannot sign in");
    let (ok, _, errors) = command(&app, &["token", "create", "--email", "t@example.org"]);
    assert!(!ok && errors.contains("is disabled"), "{errors}");
    let (_, tokens, _) = command(&app, &["token", "list", "--email", "t@example.org"]);
    assert!(tokens.contains("\trevoked\t"), "{tokens}");

    let (ok, _, _) = command(&app, &["user", "enable", "--email", "t@example.org"]);
    assert!(ok);
    let (_, status_code) = sign_in(&app, "t@example.org", "a long enough password").await;
    assert_eq!(status_code, 303, "may sign in again");
    assert_eq!(
        api_status(&app, &token).await,
        401,
        "a revoked token stays revoked"
    );

    let (ok, _, errors) = command(&app, &["user", "disable", "--email", ADMIN_EMAIL]);
    assert!(!ok);
    assert!(errors.contains("only enabled admin"), "{errors}");
    let (_, listed, _) = command(&app, &["user", "list"]);
    assert!(
        listed.contains(&format!("{ADMIN_EMAIL}\tadmin\tenabled")),
        "{listed}"
    );
}

#[tokio::test]
async fn tokens_expire_and_are_listed_and_revoked() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (ok, out, _) = command(
        &app,
        &[
            "token",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--label",
            "sync",
            "--expires",
            "2",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("valid until"), "{out}");
    let token = out.lines().last().expect("token").trim().to_owned();
    assert_eq!(api_status(&app, &token).await, 200);
    let (ok, _, errors) = command(
        &app,
        &[
            "token",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--expires",
            "forever",
        ],
    );
    assert!(!ok && errors.contains("--expires: 'forever'"), "{errors}");

    let (_, listed, _) = command(&app, &["token", "list"]);
    let line = listed.lines().next().expect("one token");
    let id = line.split('\t').next().expect("id").to_owned();
    assert!(
        line.contains(&format!("\t{ADMIN_EMAIL}\tsync\tactive\t")) && !line.contains(&token),
        "listed without its secret: {line}"
    );
    let default = api_token(&app, ADMIN_EMAIL);
    let (_, listed, _) = command(&app, &["token", "list"]);
    let newest = listed.lines().next().expect("newest first");
    let in_ninety_days = (time::OffsetDateTime::now_utc() + time::Duration::days(90)).date();
    assert!(
        newest.contains(&format!("expires {in_ninety_days}")),
        "ninety days by default: {newest}"
    );

    let (ok, out, _) = command(&app, &["token", "revoke", "--id", &id]);
    assert!(ok, "{out}");
    assert_eq!(api_status(&app, &token).await, 401);
    assert_eq!(api_status(&app, &default).await, 200, "only that one");
    let (ok, _, errors) = command(&app, &["token", "revoke", "--id", &id]);
    assert!(!ok && errors.contains("no API token"), "{errors}");
    let (code, out) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}");
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let log = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    for action in ["token.create", "token.revoke"] {
        assert!(log.contains(action), "{action}");
    }
}

#[tokio::test]
async fn admins_disable_and_enable_accounts_and_revoke_tokens_on_the_page() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let viewer = signed_in_account(&app, "v@example.org", "viewer", &[]).await;
    let token = api_token(&app, "v@example.org");
    let (admin, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin
        .get(app.at("/staff/users"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("v@example.org") && page.contains("Revoke token 1"),
        "{page}"
    );
    assert!(
        !page.contains(&format!("Disable {ADMIN_EMAIL}")),
        "no button to disable oneself"
    );
    let csrf = csrf_token(&page);
    let action = page
        .split("action=\"")
        .find_map(|rest| {
            let path = rest.split('"').next()?;
            (path.starts_with("/staff/users/") && path.ends_with("/disable")).then_some(path)
        })
        .expect("a disable form")
        .to_owned();
    let forged = admin
        .post(app.at(&action))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    assert_eq!(
        status(&viewer, &app, "/staff").await,
        200,
        "nothing changed"
    );
    let disabled = admin
        .post(app.at(&action))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status(), 303);
    assert_eq!(status(&viewer, &app, "/staff").await, 303);
    assert_eq!(api_status(&app, &token).await, 401);
    let enabled = admin
        .post(app.at(&action.replace("/disable", "/enable")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(enabled.status(), 303);
    let (_, code) = sign_in(&app, "v@example.org", "a long enough password").await;
    assert_eq!(code, 303);

    let fresh = api_token(&app, "v@example.org");
    let page = admin
        .get(app.at("/staff/users"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Revoke token 2"), "{page}");
    let revoked = admin
        .post(app.at("/staff/tokens/2/revoke"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status(), 303);
    assert_eq!(api_status(&app, &fresh).await, 401);
    let log = admin
        .get(app.at("/staff/audit"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    for action in ["user.disable", "user.enable", "token.revoke"] {
        assert!(log.contains(action), "{action}");
    }
}

#[tokio::test]
async fn a_new_password_signs_the_account_out_everywhere_else() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    let (here, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (elsewhere, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = here
        .get(app.at("/staff/account"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let changed = here
        .post(app.at("/staff/account/password"))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("current", ADMIN_PASSWORD),
            ("password", "a brand new long password"),
            ("confirmation", "a brand new long password"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(changed.status(), 303);
    assert_eq!(
        status(&here, &app, "/staff").await,
        200,
        "this session stays"
    );
    assert_eq!(
        status(&elsewhere, &app, "/staff").await,
        303,
        "the others end"
    );
    let fresh = browser();
    assert_eq!(status(&fresh, &app, "/staff").await, 303);
}

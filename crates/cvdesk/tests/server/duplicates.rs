//! Duplicate suggestions on the staff report page: the earlier report that says the same
//! thing is offered with its reasons, an unrelated one is not, and a member never sees a
//! report of another team suggested.

use serde_json::{json, Value};

use crate::app::TestApp;
use crate::staff::{
    cli, create_first_admin, sign_in, signed_in_account, ADMIN_EMAIL, ADMIN_PASSWORD,
};

fn report(title: &str, summary: &str, host: &str) -> Value {
    json!({
        "title": title,
        "summary": summary,
        "steps_to_reproduce": format!("Open https://{host}/search?q=<script>alert(1)</script>"),
        "impact": "Script runs in the victim's session.",
        "asset": format!("https://{host}/search"),
    })
}

async fn submitted(app: &TestApp, report: &Value) -> String {
    app.submit(report).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

/// The "Possible duplicates" section of a report page.
fn suggested(page: &str) -> &str {
    let start = page.find("class=\"suggestions\"").unwrap_or(page.len());
    let end = page[start..]
        .find("</ul>")
        .map_or(page.len(), |end| start + end);
    &page[start..end]
}

#[tokio::test]
async fn the_page_suggests_the_earlier_report_that_says_the_same() {
    let app = TestApp::start();
    create_first_admin(&app).await;
    for (name, team, host) in [
        ("Shop", "Web", "shop.example.org"),
        ("Blog", "Content", "blog.example.org"),
    ] {
        let (code, out) = cli(
            &app,
            &[
                "product",
                "add",
                "--name",
                name,
                "--team",
                team,
                "--hostname",
                host,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let long_summary = format!(
        "The q parameter of /search is echoed into the page without encoding. {}",
        "More detail. ".repeat(3_500)
    );
    let original = submitted(
        &app,
        &report(
            "Reflected XSS in search via q",
            &long_summary,
            "shop.example.org",
        ),
    )
    .await;
    let unrelated = submitted(
        &app,
        &json!({
            "title": "Weak TLS ciphers on the mail server",
            "summary": "TLS 1.0 is offered.",
            "steps_to_reproduce": "Run testssl.sh against mail.example.org",
            "impact": "Downgrade.",
        }),
    )
    .await;
    let other_team = submitted(
        &app,
        &report(
            "Reflected XSS in search via q",
            "The q parameter of /search is echoed without encoding.",
            "blog.example.org",
        ),
    )
    .await;
    let new = submitted(
        &app,
        &report(
            "XSS in the search page (q parameter)",
            "The search term from q is reflected unescaped.",
            "shop.example.org",
        ),
    )
    .await;

    let (admin, status) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let page = |client: reqwest::Client| {
        let url = app.at(&format!("/staff/reports/{new}"));
        async move {
            let response = client.get(url).send().await.expect("sent");
            assert_eq!(response.status(), 200);
            response.text().await.expect("html")
        }
    };
    let html = page(admin).await;
    let suggestions = suggested(&html);
    assert!(suggestions.contains(&original), "{suggestions}");
    assert!(suggestions.contains("same asset"), "{suggestions}");
    assert!(
        suggestions.contains("title words in common: "),
        "{suggestions}"
    );
    assert!(suggestions.contains(&other_team), "{suggestions}");
    assert!(!suggestions.contains(&unrelated), "{suggestions}");
    assert!(
        suggestions.find(&original) < suggestions.find(&other_team),
        "the same asset ranks first: {suggestions}"
    );

    let member = signed_in_account(&app, "shop@example.org", "member", &["Shop"]).await;
    let html = page(member).await;
    let suggestions = suggested(&html);
    assert!(suggestions.contains(&original), "{suggestions}");
    assert!(!suggestions.contains(&other_team), "{suggestions}");
}

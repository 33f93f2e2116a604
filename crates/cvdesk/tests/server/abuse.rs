//! Abuse resistance: rate limits per client address (a second loopback address is a
//! second client) and the intake challenge on the form and the API.

use std::net::IpAddr;

use cvdesk_domain::challenge::solve;
use reqwest::multipart::Form;
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, create_first_admin, ADMIN_EMAIL};

/// A client whose requests leave from `address` (any 127.0.0.0/8 address reaches the
/// server on Linux).
fn client_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<IpAddr>().expect("address"))
        .build()
        .expect("client")
}

async fn submit(app: &TestApp, client: &Client) -> reqwest::Response {
    client
        .post(app.at("/api/v1/reports"))
        .json(&anonymous_report())
        .send()
        .await
        .expect("sent")
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

#[tokio::test]
async fn reports_over_the_limit_get_429_and_another_address_is_unaffected() {
    let app = TestApp::start_with(&["--rate-limit-reports", "3/hour"]);
    let first = client_from("127.0.0.1");
    for _ in 0..3 {
        assert_eq!(submit(&app, &first).await.status(), 201);
    }
    let refused = submit(&app, &first).await;
    assert_eq!(refused.status(), 429);
    let wait = retry_after(&refused);
    assert!((1..=1200).contains(&wait), "Retry-After {wait}");
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("minutes"),
        "{body}"
    );

    let second = client_from("127.0.0.2");
    assert_eq!(submit(&app, &second).await.status(), 201);
    // The refused request stored nothing: the second address got the fourth number.
    let tracked: Value = submit(&app, &second).await.json().await.expect("json");
    assert!(
        tracked["reference"]
            .as_str()
            .expect("reference")
            .ends_with("-0005"),
        "{tracked}"
    );
}

#[tokio::test]
async fn the_form_over_the_limit_keeps_the_finders_text() {
    let app = TestApp::start_with(&["--rate-limit-reports", "1/hour"]);
    let client = client_from("127.0.0.1");
    let form = || {
        Form::new()
            .text("title", "Open redirect in the <login> page")
            .text("summary", "next= accepts any URL.")
            .text("steps_to_reproduce", "1. Visit /login?next=//evil.example")
            .text("impact", "Phishing.")
    };
    let accepted = client
        .post(app.at("/report"))
        .multipart(form())
        .send()
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 201);
    let refused = client
        .post(app.at("/report"))
        .multipart(form())
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) > 0);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("Too many requests from your network"),
        "{html}"
    );
    assert!(
        html.contains("Open redirect in the &#60;login&#62; page"),
        "{html}"
    );
    assert!(
        html.contains("1. Visit /login?next=//evil.example"),
        "{html}"
    );
}

#[tokio::test]
async fn tracking_lookups_are_limited_per_address() {
    let app = TestApp::start_with(&["--rate-limit-tracking", "5/minute"]);
    let first = client_from("127.0.0.1");
    let guess = |client: &Client, n: u32| {
        client
            .get(app.at(&format!("/api/v1/track/guess{n:060}")))
            .send()
    };
    for n in 0..5 {
        assert_eq!(guess(&first, n).await.expect("sent").status(), 404);
    }
    let refused = guess(&first, 5).await.expect("sent");
    assert_eq!(refused.status(), 429);
    assert!((1..=12).contains(&retry_after(&refused)));
    let page = first
        .get(app.at("/track/another-guess"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 429, "the tracking page shares the limit");
    assert!(page.headers().contains_key("retry-after"));
    let second = client_from("127.0.0.2");
    assert_eq!(guess(&second, 6).await.expect("sent").status(), 404);
}

/// Sends the report form from `client`, its challenge met by answering the question
/// (`by_question`) or by the script's counter; the status and the page.
async fn send_form(app: &TestApp, client: &Client, by_question: bool) -> (StatusCode, String, u64) {
    let html = client
        .get(app.at("/report"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let (token, question) = form_challenge(&html);
    let form = if by_question {
        report_form(&token).text("challenge_answer", answer(&question).to_string())
    } else {
        let difficulty: u8 = html
            .split("data-difficulty=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|bits| bits.parse().ok())
            .expect("difficulty");
        report_form(&token).text("challenge_solution", solve(&token, difficulty))
    };
    let response = client
        .post(app.at("/report"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let wait = response
        .headers()
        .get("retry-after")
        .map_or(0, |_| retry_after(&response));
    (status, response.text().await.expect("html"), wait)
}

#[tokio::test]
async fn answered_questions_have_their_own_lower_limit_per_address() {
    let app = TestApp::start_with(&[
        "--intake-challenge",
        "on",
        "--challenge-difficulty",
        "8",
        "--rate-limit-question-answers",
        "2/hour",
    ]);
    let first = client_from("127.0.0.1");
    for _ in 0..2 {
        assert_eq!(send_form(&app, &first, true).await.0, StatusCode::CREATED);
    }
    let (status, html, wait) = send_form(&app, &first, true).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=1800).contains(&wait), "{wait}");
    assert!(html.contains("lower limit"), "{html}");
    assert!(
        html.contains("SQL injection in search"),
        "the text is kept: {html}"
    );
    // The proof of work is counted apart, and another address has its own allowance.
    assert_eq!(send_form(&app, &first, false).await.0, StatusCode::CREATED);
    let second = client_from("127.0.0.2");
    assert_eq!(send_form(&app, &second, true).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_surge_of_answered_questions_makes_answers_wait_after_their_question() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("cvdesk.toml");
    std::fs::write(&config, "[intake]\nusual_question_answers = 1\n").expect("written");
    let app = TestApp::start_with(&[
        "--config",
        config.to_str().expect("utf-8"),
        "--intake-challenge",
        "on",
        "--challenge-difficulty",
        "8",
    ]);
    let client = client_from("127.0.0.1");
    // One answered report is usual; the second makes a surge.
    for _ in 0..2 {
        assert_eq!(send_form(&app, &client, true).await.0, StatusCode::CREATED);
    }
    let (status, html, wait) = send_form(&app, &client, true).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(html.contains("one minute after its question"), "{html}");
    assert!(
        html.contains("SQL injection in search"),
        "the text is kept: {html}"
    );
    // The page's own check is not slowed by the question's surge.
    assert_eq!(send_form(&app, &client, false).await.0, StatusCode::CREATED);
}

/// The challenge's token and question as the form shows them.
fn form_challenge(html: &str) -> (String, String) {
    let value_of = |marker: &str| {
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {html}"))
            + marker.len();
        html[start..].split('"').next().expect("value").to_owned()
    };
    let token = value_of("id=\"challenge_token\" value=\"");
    let label = "<label for=\"challenge_answer\">";
    let start = html.find(label).expect("question") + label.len();
    let question = html[start..].split('<').next().expect("text").to_owned();
    (token, question)
}

fn answer(question: &str) -> u32 {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    let words: Vec<&str> = question.split_whitespace().collect();
    let number = |word: &str| WORDS.iter().position(|w| *w == word).expect("number") as u32;
    let (a, b) = (number(words[2]), number(words[4].trim_end_matches('?')));
    if words[3] == "plus" {
        a + b
    } else {
        a - b
    }
}

fn report_form(token: &str) -> Form {
    Form::new()
        .text("title", "SQL injection in search")
        .text("summary", "The q parameter reaches SQL.")
        .text("steps_to_reproduce", "GET /search?q='")
        .text("impact", "Database read.")
        .text("challenge", token.to_owned())
}

#[tokio::test]
async fn the_form_accepts_a_solution_or_the_answer_once() {
    let app = TestApp::start_with(&["--intake-challenge", "on", "--challenge-difficulty", "8"]);
    let client = Client::new();
    let page = |client: &Client| {
        let url = app.at("/report");
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("sent")
                .text()
                .await
                .expect("html")
        }
    };
    let html = page(&client).await;
    assert!(html.contains("data-difficulty=\"8\""), "{html}");
    assert!(html.contains("<script src=\"/static/challenge.js\" defer>"));

    // The script's way: a counter.
    let (token, _) = form_challenge(&html);
    let counter = solve(&token, 8);
    let solved = report_form(&token).text("challenge_solution", counter.clone());
    let response = client
        .post(app.at("/report"))
        .multipart(solved)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);

    // The same challenge again: refused, text kept, a fresh question offered.
    let replay = report_form(&token).text("challenge_solution", counter);
    let response = client
        .post(app.at("/report"))
        .multipart(replay)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("already used"), "{html}");
    assert!(html.contains("SQL injection in search"));
    let (fresh, question) = form_challenge(&html);
    assert_ne!(fresh, token);

    // Without JavaScript: a wrong answer, then the right one.
    let wrong = (answer(&question) + 1).to_string();
    let response = client
        .post(app.at("/report"))
        .multipart(report_form(&fresh).text("challenge_answer", wrong))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"challenge-error\""), "{html}");
    let (token, question) = form_challenge(&html);
    let right = answer(&question).to_string();
    let response = client
        .post(app.at("/report"))
        .multipart(report_form(&token).text("challenge_answer", right))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);

    // No check at all, or a forged one: refused with every other problem listed too.
    let response = client
        .post(app.at("/report"))
        .multipart(Form::new().text("title", "Only a title"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains("is missing"), "{html}");
    assert!(html.contains("Only a title"));
    assert!(html.contains("href=\"#summary\""), "{html}");
    let easier = token.replacen(".8.", ".1.", 1);
    let response = client
        .post(app.at("/report"))
        .multipart(report_form(&easier).text("challenge_solution", solve(&easier, 1)))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("not issued by this desk"));
}

#[tokio::test]
async fn the_api_needs_a_solved_challenge_unless_staff_call_it() {
    let app = TestApp::start_with(&["--intake-challenge", "on", "--challenge-difficulty", "8"]);
    let client = Client::new();
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = client
            .post(app.at("/api/v1/reports"))
            .json(&anonymous_report());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let code = |body: &Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let response = post(Vec::new()).await.expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), "challenge_required", "{body}");

    let offer: Value = app
        .get("/api/v1/challenge")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(offer["difficulty"], 8, "{offer}");
    assert!(offer["expires_at"].is_string());
    let token = offer["token"].as_str().expect("token").to_owned();
    let counter = solve(&token, 8);
    let solved = vec![
        ("cvdesk-challenge", token.clone()),
        ("cvdesk-challenge-solution", counter.clone()),
    ];
    assert_eq!(post(solved.clone()).await.expect("sent").status(), 201);

    let replay = post(solved).await.expect("sent");
    assert_eq!(replay.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(&replay.json().await.expect("json")), "challenge_spent");

    let offer: Value = app
        .get("/api/v1/challenge")
        .await
        .json()
        .await
        .expect("json");
    let token = offer["token"].as_str().expect("token").to_owned();
    let wrong = (0u64..)
        .map(|n| n.to_string())
        .find(|n| cvdesk_domain::challenge::leading_zero_bits(&token, n) < 8)
        .expect("a miss");
    for (token, counter) in [
        (token.clone(), wrong),
        (
            token.replacen(".8.", ".2.", 1),
            solve(&token.replacen(".8.", ".2.", 1), 2),
        ),
        ("1.8.00.00".to_owned(), "1".to_owned()),
    ] {
        let response = post(vec![
            ("cvdesk-challenge", token),
            ("cvdesk-challenge-solution", counter),
        ])
        .await
        .expect("sent");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            code(&response.json().await.expect("json")),
            "challenge_invalid"
        );
    }

    create_first_admin(&app).await;
    let bearer = api_token(&app, ADMIN_EMAIL);
    let response = post(vec![("authorization", format!("Bearer {bearer}"))])
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        201,
        "staff file reports without a challenge"
    );
    let response = post(vec![("authorization", "Bearer wrong".to_owned())])
        .await
        .expect("sent");
    assert_eq!(response.status(), 401, "a presented token must be valid");
}

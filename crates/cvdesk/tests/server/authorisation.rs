//! The authorisation matrix: every staff route, as someone who may not use it. Browsers
//! without a staff session are sent to sign in; the API answers 401; a member asking about
//! another team's report gets 404 (they may not learn it exists); a viewer who tries to
//! change anything gets 403.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::app::{anonymous_report, TestApp};
use crate::staff::{api_token, browser, cli, create_first_admin, csrf_token, signed_in_account};

struct Route {
    method: Method,
    path: String,
    form: Vec<(&'static str, String)>,
}

fn html_routes(reference: &str, csrf: &str) -> Vec<Route> {
    let get = |path: String| Route {
        method: Method::GET,
        path,
        form: Vec::new(),
    };
    let post = |path: String, extra: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", csrf.to_owned())];
        form.extend(extra);
        Route {
            method: Method::POST,
            path,
            form,
        }
    };
    let base = format!("/staff/reports/{reference}");
    vec![
        get(base.clone()),
        get(format!("{base}/attachments/1")),
        post(format!("{base}/transition"), vec![("to", "triaged".into())]),
        post(format!("{base}/needs-info"), vec![("value", "yes".into())]),
        post(
            format!("{base}/product"),
            vec![("product_id", String::new())],
        ),
        post(
            format!("{base}/classification"),
            vec![("weakness", "CWE-79".into())],
        ),
        post(
            format!("{base}/assessment"),
            vec![("exploitability", "functional".into())],
        ),
        post(format!("{base}/notes"), vec![("body", "hello".into())]),
    ]
}

async fn send(client: &Client, app: &TestApp, route: &Route) -> reqwest::Response {
    let request = client.request(route.method.clone(), app.at(&route.path));
    let request = if route.method == Method::POST {
        request.form(&route.form)
    } else {
        request
    };
    request.send().await.expect("sent")
}

async fn api(
    client: &Client,
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: Option<&str>,
) -> StatusCode {
    let mut request = client.request(method.clone(), app.at(path));
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if method == Method::POST {
        request = request.json(&json!({"to": "triaged"}));
    }
    request.send().await.expect("sent").status()
}

#[tokio::test]
async fn nobody_reaches_what_they_may_not() {
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
    let mut report = anonymous_report();
    report["asset"] = json!("shop.example.org");
    let created = app.submit(&report).await;
    let reference = created["reference"].as_str().expect("reference").to_owned();
    let tracking_token = created["tracking_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let blog_member = signed_in_account(&app, "blog@example.org", "member", &["Blog"]).await;
    let viewer = signed_in_account(&app, "viewer@example.org", "viewer", &[]).await;
    let shop_member = signed_in_account(&app, "shop@example.org", "member", &["Shop"]).await;
    let member_csrf = csrf_token(
        &blog_member
            .get(app.at("/staff"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("html"),
    );
    let viewer_csrf = csrf_token(
        &viewer
            .get(app.at("/staff"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("html"),
    );

    // Anonymous, and a finder holding the tracking link: sent to sign in.
    let finder = browser();
    let listings = [
        Route {
            method: Method::GET,
            path: "/staff".into(),
            form: Vec::new(),
        },
        Route {
            method: Method::GET,
            path: "/staff/due?weeks=13".into(),
            form: Vec::new(),
        },
    ];
    for route in html_routes(&reference, "none").iter().chain(&listings) {
        for (who, client) in [("anonymous", &browser()), ("finder", &finder)] {
            let response = send(client, &app, route).await;
            assert_eq!(
                response.status(),
                303,
                "{who} {} {}",
                route.method,
                route.path
            );
            assert_eq!(
                response.headers()["location"],
                "/staff/login",
                "{who} {}",
                route.path
            );
        }
    }

    // A member of another product: the report does not exist for them.
    for route in html_routes(&reference, &member_csrf) {
        let response = send(&blog_member, &app, &route).await;
        assert_eq!(
            response.status(),
            404,
            "member of Blog: {} {}",
            route.method,
            route.path
        );
    }
    let queue = blog_member
        .get(app.at("/staff?state=all"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        !queue.contains(&reference),
        "another team's report is not in the queue"
    );
    let due = blog_member
        .get(app.at("/staff/due?weeks=13"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        !due.contains(&reference),
        "another team's deadlines are not listed"
    );
    let own_due = shop_member
        .get(app.at("/staff/due?weeks=13"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        own_due.contains(&reference),
        "the owning team sees its deadlines"
    );

    // Closing in bulk: anonymous and finders are sent to sign in, a viewer is refused,
    // and for a member of another product the report does not exist.
    let bulk = |csrf: &str| Route {
        method: Method::POST,
        path: "/staff/reports/bulk-close".into(),
        form: vec![
            ("csrf_token", csrf.to_owned()),
            ("to", "not_applicable".into()),
            ("reason", "spam".into()),
            ("reference", reference.clone()),
        ],
    };
    for client in [&browser(), &finder] {
        let response = send(client, &app, &bulk("none")).await;
        assert_eq!(response.status(), 303);
    }
    assert_eq!(send(&viewer, &app, &bulk(&viewer_csrf)).await.status(), 403);
    let response = send(&blog_member, &app, &bulk(&member_csrf)).await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.expect("html");
    assert!(html.contains("No such report that you may see."), "{html}");

    // A viewer reads but changes nothing.
    for route in html_routes(&reference, &viewer_csrf)
        .into_iter()
        .filter(|r| r.method == Method::POST)
    {
        let response = send(&viewer, &app, &route).await;
        assert_eq!(response.status(), 403, "viewer: {}", route.path);
    }
    assert_eq!(
        viewer
            .get(app.at(&format!("/staff/reports/{reference}")))
            .send()
            .await
            .expect("sent")
            .status(),
        200
    );

    // Admin pages: everyone else is refused, whatever their role.
    let admin_routes = |csrf: &str| {
        vec![
            Route {
                method: Method::GET,
                path: "/staff/audit".into(),
                form: Vec::new(),
            },
            Route {
                method: Method::POST,
                path: "/staff/audit/verify".into(),
                form: vec![("csrf_token", csrf.to_owned())],
            },
            Route {
                method: Method::GET,
                path: "/staff/products".into(),
                form: Vec::new(),
            },
            Route {
                method: Method::GET,
                path: "/staff/products/1".into(),
                form: Vec::new(),
            },
            Route {
                method: Method::POST,
                path: "/staff/products".into(),
                form: vec![
                    ("csrf_token", csrf.to_owned()),
                    ("name", "Rogue".into()),
                    ("criticality", "low".into()),
                ],
            },
            Route {
                method: Method::POST,
                path: "/staff/products/1".into(),
                form: vec![
                    ("csrf_token", csrf.to_owned()),
                    ("name", "Rogue".into()),
                    ("criticality", "low".into()),
                ],
            },
            Route {
                method: Method::POST,
                path: "/staff/account/require-two-factor".into(),
                form: vec![("csrf_token", csrf.to_owned()), ("value", "yes".into())],
            },
            Route {
                method: Method::GET,
                path: "/staff/policy".into(),
                form: Vec::new(),
            },
            Route {
                method: Method::POST,
                path: "/staff/policy".into(),
                form: vec![
                    ("csrf_token", csrf.to_owned()),
                    ("introduction", "Rogue policy".into()),
                    ("response_days", "5".into()),
                    ("triage_days", "10".into()),
                    ("remediation_days", "90".into()),
                ],
            },
        ]
    };
    for (who, client, csrf) in [
        ("member", &blog_member, &member_csrf),
        ("viewer", &viewer, &viewer_csrf),
    ] {
        for route in admin_routes(csrf) {
            let response = send(client, &app, &route).await;
            assert_eq!(
                response.status(),
                403,
                "{who}: {} {}",
                route.method,
                route.path
            );
        }
    }
    for route in admin_routes("none") {
        let response = send(&browser(), &app, &route).await;
        assert_eq!(
            response.status(),
            303,
            "anonymous: {} {}",
            route.method,
            route.path
        );
    }

    // The owning team's member may work on it.
    let page = shop_member
        .get(app.at(&format!("/staff/reports/{reference}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);

    // The API.
    let client = Client::new();
    let report_path = format!("/api/v1/reports/{reference}");
    let transition_path = format!("{report_path}/transition");
    let routes = [
        (Method::GET, "/api/v1/reports".to_owned()),
        (Method::GET, report_path.clone()),
        (Method::POST, transition_path.clone()),
    ];
    for (method, path) in &routes {
        assert_eq!(
            api(&client, &app, method.clone(), path, None).await,
            401,
            "anonymous {path}"
        );
        assert_eq!(
            api(&client, &app, method.clone(), path, Some(&tracking_token)).await,
            401,
            "finder {path}"
        );
        assert_eq!(
            api(&client, &app, method.clone(), path, Some("forged")).await,
            401,
            "forged {path}"
        );
    }
    let member_token = api_token(&app, "blog@example.org");
    assert_eq!(
        api(
            &client,
            &app,
            Method::GET,
            &report_path,
            Some(&member_token)
        )
        .await,
        404
    );
    assert_eq!(
        api(
            &client,
            &app,
            Method::POST,
            &transition_path,
            Some(&member_token)
        )
        .await,
        404
    );
    let viewer_token = api_token(&app, "viewer@example.org");
    assert_eq!(
        api(
            &client,
            &app,
            Method::GET,
            &report_path,
            Some(&viewer_token)
        )
        .await,
        200
    );
    assert_eq!(
        api(
            &client,
            &app,
            Method::POST,
            &transition_path,
            Some(&viewer_token)
        )
        .await,
        403
    );
}

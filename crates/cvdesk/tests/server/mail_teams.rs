//! A team with addresses of its own hears about its products' reports instead of the
//! global staff recipients, through the loopback SMTP server of `mail.rs`; a report routed
//! to no product still goes to the global list, and an address that is not one is refused
//! by `cvdesk product add` with a message saying which.

use std::collections::BTreeSet;
use std::process::Command;

use crate::app::{anonymous_report, full_report, TestApp};
use crate::mail::{as_strs, mail_args, text, tools_present, SmtpSink, FINDER, STAFF};
use crate::staff::cli;

const PAYMENTS: &str = "pay-sec@example.org";
const ONCALL: &str = "oncall@example.org";

#[tokio::test]
async fn a_teams_addresses_receive_its_new_report_notices() {
    if !tools_present(false) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sink = SmtpSink::start(&dir.path().join("inbox"), 0);
    let app = TestApp::start_with(&as_strs(&mail_args(sink.port)));
    let data = app.data_dir().to_str().expect("utf-8 path").to_owned();
    let refused = Command::new(env!("CARGO_BIN_EXE_cvdesk"))
        .args(["product", "add", "--name", "Shop", "--team", "Payments"])
        .args(["--team-email", PAYMENTS, "--team-email", "pay at example"])
        .args(["--data", &data])
        .output()
        .expect("ran");
    let errors = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{errors}");
    assert!(
        errors.contains("--team-email: 'pay at example' is not an e-mail address"),
        "{errors}"
    );
    let (code, out) = cli(
        &app,
        &[
            "product",
            "add",
            "--name",
            "Shop",
            "--team",
            "Payments",
            "--team-email",
            PAYMENTS,
            "--team-email",
            ONCALL,
            "--hostname",
            "shop.example.org",
        ],
    );
    assert_eq!(code, Some(0), "{out}");

    let routed = text(&app.submit(&full_report()).await, "reference");
    let unrouted = text(&app.submit(&anonymous_report()).await, "reference");

    let mail = sink.wait_for(4).await;
    let notices = |reference: &str| -> BTreeSet<String> {
        let subject = format!("[{reference}] New vulnerability report");
        mail.iter()
            .filter(|m| m.header("Subject") == subject)
            .map(|m| m.header("To"))
            .collect()
    };
    assert_eq!(
        notices(&routed),
        BTreeSet::from([PAYMENTS.to_owned(), ONCALL.to_owned()]),
        "the team instead of {STAFF}"
    );
    assert_eq!(notices(&unrouted), BTreeSet::from([STAFF.to_owned()]));
    let recipients: Vec<String> = mail.iter().map(|m| m.header("To")).collect();
    assert_eq!(mail.len(), 4, "{recipients:?}");
    assert!(recipients.iter().any(|to| to == FINDER), "{recipients:?}");
    for notice in mail.iter().filter(|m| m.header("To") != FINDER) {
        assert!(!notice.text.contains("Ada"), "{}", notice.text);
    }
}

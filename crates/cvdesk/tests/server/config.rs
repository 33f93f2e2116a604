//! Configuration errors stop the start with a message that names the problem.

use std::process::Command;

fn serve_fails(args: &[&str], config: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_cvdesk"));
    command.arg("serve").arg("--data").arg(dir.path().join("d"));
    if !args.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    if let Some(text) = config {
        let path = dir.path().join("cvdesk.toml");
        std::fs::write(&path, text).expect("config written");
        command.arg("--config").arg(path);
    }
    let output = command
        .args(args)
        .env_remove("CVDESK_DATABASE_URL")
        .output()
        .expect("ran");
    assert!(!output.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_settings_are_refused_with_a_reason() {
    assert!(serve_fails(&[], Some("listn = \"127.0.0.1:1\"")).contains("listn"));
    assert!(serve_fails(&[], Some("listen = 5")).contains("listen"));
    assert!(serve_fails(&["--reference-prefix", "cvd-x"], None).contains("reference prefix"));
    assert!(serve_fails(&["--public-url", "example.org"], None)
        .contains("--public-url / CVDESK_PUBLIC_URL"));
    let mysql = serve_fails(&["--database-url", "mysql://root:hunter2@db/x"], None);
    assert!(
        mysql.contains("unsupported database URL") && !mysql.contains("hunter2"),
        "{mysql}"
    );
    assert!(serve_fails(&["--listen", "nowhere"], None).contains("nowhere"));
    let both = "[sla]\ntime_zone = \"Europe/Berlin\"\nutc_offset = \"+01:00\"";
    assert!(serve_fails(&[], Some(both)).contains("not both"));
    let unknown = serve_fails(&[], Some("[sla]\ntime_zone = \"Mars/Olympus\""));
    assert!(
        unknown.contains("sla.time_zone: 'Mars/Olympus' is not a time zone"),
        "{unknown}"
    );
    let header_alone = serve_fails(&["--client-address-header", "x-forwarded-for"], None);
    assert!(
        header_alone.contains("no trusted_proxies are set"),
        "{header_alone}"
    );
    let proxies_alone = serve_fails(&["--trusted-proxy", "10.0.0.0/8"], None);
    assert!(
        proxies_alone.contains("client_address_header is not"),
        "{proxies_alone}"
    );
}

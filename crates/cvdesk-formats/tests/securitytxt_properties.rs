//! Properties of the security.txt linter and generator over generated input: the
//! linter never panics, and whatever the generator writes from sensible settings lints
//! valid, stays valid with CRLF line ends and inside a cleartext signature, and reads
//! back to the same values.

use cvdesk_formats::securitytxt::{self, SecurityTxt};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

/// A well-formed signature block (an Ed25519 signature made with a throwaway key).
const SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----\n\n\
iHUEARYKAB0WIQSs/NIo3VYmQQ5EsJHLv37+/vpBCgUCawQoDgAKCRDLv37+/vpB\n\
CpGtAP9ZQuh2tBvwrG6ML3SexU3Q+UeqH0V4FWGPjVA2zfYBYAD9HwJS+1ihqeVO\n\
soPBauq5X7bqyGPC5Wz//T9DapnLGQ0=\n\
=LHUn\n\
-----END PGP SIGNATURE-----\n";

fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}\\.(com|org|example)"
}

fn web_uri() -> impl Strategy<Value = String> {
    (host(), "(/[A-Za-z0-9._~-]{1,12}){0,3}")
        .prop_map(|(host, path)| format!("https://{host}{path}"))
}

fn contact() -> impl Strategy<Value = String> {
    prop_oneof![
        web_uri(),
        ("[a-z0-9._+-]{1,12}", host()).prop_map(|(user, host)| format!("mailto:{user}@{host}")),
        "\\+[1-9][0-9]{4,12}".prop_map(|number| format!("tel:{number}")),
    ]
}

fn language() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "en",
        "de",
        "fr",
        "de-CH",
        "zh-Hant-TW",
        "es-419",
        "x-custom",
    ])
    .prop_map(str::to_owned)
}

fn settings() -> impl Strategy<Value = SecurityTxt> {
    let uris = || prop::collection::vec(web_uri(), 0..3);
    (
        prop::collection::vec(contact(), 1..4),
        1i64..365 * 24 * 3600,
        (uris(), uris(), uris(), uris(), uris()),
        prop::collection::vec(language(), 0..4),
        prop::collection::vec(host(), 0..2),
    )
        .prop_map(
            |(
                contacts,
                seconds,
                (encryption, acknowledgments, canonical, policy, hiring),
                preferred_languages,
                csaf_hosts,
            )| {
                SecurityTxt {
                    contacts,
                    expires: NOW + Duration::seconds(seconds),
                    encryption,
                    acknowledgments,
                    preferred_languages,
                    canonical,
                    policy,
                    hiring,
                    csaf: csaf_hosts
                        .into_iter()
                        .map(|host| {
                            format!("https://{host}/.well-known/csaf/provider-metadata.json")
                        })
                        .collect(),
                }
            },
        )
}

/// Wraps `text` in an OpenPGP cleartext envelope, dash-escaping as RFC 4880 §7.1 asks.
fn clearsign(text: &str) -> String {
    let mut signed = String::from("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n");
    for line in text.lines() {
        if line.starts_with('-') {
            signed.push_str("- ");
        }
        signed.push_str(line);
        signed.push('\n');
    }
    signed.push_str(SIGNATURE);
    signed
}

proptest! {
    #[test]
    fn linting_never_panics(text in "\\PC*(\n\\PC*){0,8}") {
        let report = securitytxt::lint(&text, NOW);
        prop_assert_eq!(report.is_valid(), report.errors().next().is_none());
        let _ = securitytxt::parse(&text);
    }

    #[test]
    fn linting_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = securitytxt::lint_bytes(&bytes, NOW);
    }

    #[test]
    fn linting_never_panics_inside_an_envelope(text in "[ -~]{0,40}(\n[ -~]{0,40}){0,6}") {
        let _ = securitytxt::lint(&clearsign(&text), NOW);
    }

    #[test]
    fn generated_files_lint_valid(settings in settings()) {
        let rendered = settings.render();
        let report = securitytxt::lint(&rendered, NOW);
        prop_assert!(report.is_valid(), "{}\n{:?}", rendered, report.findings);

        let crlf = securitytxt::lint(&rendered.replace('\n', "\r\n"), NOW);
        prop_assert!(crlf.is_valid(), "{:?}", crlf.findings);

        let signed = securitytxt::lint(&clearsign(&rendered), NOW);
        prop_assert!(signed.is_valid(), "{:?}", signed.findings);
    }

    #[test]
    fn generated_files_read_back(settings in settings()) {
        let document = securitytxt::parse(&settings.render());
        let contacts: Vec<&str> = document.values("contact").collect();
        prop_assert_eq!(contacts, settings.contacts.iter().map(String::as_str).collect::<Vec<_>>());
        let policies: Vec<&str> = document.values("Policy").collect();
        prop_assert_eq!(policies, settings.policy.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(document.values("Expires").count(), 1);

        let signed = securitytxt::parse(&clearsign(&settings.render()));
        prop_assert!(signed.signed);
        prop_assert_eq!(signed.fields, document.fields.iter().map(|field| {
            let mut shifted = field.clone();
            shifted.line += 3;
            shifted
        }).collect::<Vec<_>>());
    }
}

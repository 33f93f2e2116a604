//! Known vectors and their scores from FIRST's specifications and calculators.

use super::*;

fn scores(vector: &str) -> Option<Scores> {
    Cvss::parse(vector).ok().map(|cvss| cvss.scores())
}

fn refusal(vector: &str) -> String {
    Cvss::parse(vector)
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default()
}

#[test]
fn scores_v3_1_examples() {
    let critical = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(
        critical.map(|s| (s.base, s.severity)),
        Some((9.8, Severity::Critical))
    );
    let changed = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H");
    assert_eq!(changed.map(|s| s.base), Some(10.0));
    let none = scores("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N");
    assert_eq!(
        none.map(|s| (s.score, s.severity)),
        Some((0.0, Severity::None))
    );
}

#[test]
fn scores_v3_temporal_and_environmental() {
    let full =
        scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:L/IR:L/AR:L/MAV:L");
    assert_eq!(
        full,
        Some(Scores {
            base: 9.8,
            temporal: Some(8.8),
            environmental: Some(5.9),
            score: 5.9,
            severity: Severity::Medium,
        })
    );
    let temporal_only = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U");
    assert_eq!(
        temporal_only.map(|s| (s.temporal, s.environmental, s.score)),
        Some((Some(9.0), None, 9.0))
    );
}

#[test]
fn v3_0_rounds_differently_from_v3_1() {
    // 10 × 0.92 is 9.200000000000001 in binary: v3.0's Roundup takes it up to 9.3.
    let body = "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RC:U";
    let v3_0 = scores(&format!("CVSS:3.0/{body}"));
    let v3_1 = scores(&format!("CVSS:3.1/{body}"));
    assert_eq!(v3_0.map(|s| (s.base, s.temporal)), Some((10.0, Some(9.3))));
    assert_eq!(v3_1.map(|s| (s.base, s.temporal)), Some((10.0, Some(9.2))));
    // v3.1 changed the modified impact of a changed scope.
    let body = "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:N/IR:L";
    let v3_0 = scores(&format!("CVSS:3.0/{body}"));
    let v3_1 = scores(&format!("CVSS:3.1/{body}"));
    assert_eq!(v3_0.map(|s| s.environmental), Some(Some(9.6)));
    assert_eq!(v3_1.map(|s| s.environmental), Some(Some(9.5)));
}

#[test]
fn scores_v2_guide_example() {
    // CVE-2002-0392, section 3.3.1 of FIRST's v2 guide.
    let scored = scores("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H");
    assert_eq!(
        scored,
        Some(Scores {
            base: 7.8,
            temporal: Some(6.4),
            environmental: Some(9.2),
            score: 9.2,
            severity: Severity::High,
        })
    );
}

#[test]
fn v2_severity_follows_nvd() {
    let zero = scores("AV:N/AC:L/Au:N/C:N/I:N/A:N");
    assert_eq!(
        zero.map(|s| (s.base, s.severity)),
        Some((0.0, Severity::Low))
    );
    let medium = scores("AV:N/AC:L/Au:N/C:P/I:N/A:N");
    assert_eq!(
        medium.map(|s| (s.base, s.severity)),
        Some((5.0, Severity::Medium))
    );
    let high = scores("AV:N/AC:L/Au:N/C:C/I:C/A:C");
    assert_eq!(
        high.map(|s| (s.base, s.severity)),
        Some((10.0, Severity::High))
    );
}

#[test]
fn scores_v4_examples() {
    let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    assert_eq!(scores(base).map(|s| s.score), Some(9.3));
    let bte = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N/E:A/MAV:A";
    assert_eq!(
        scores(bte),
        Some(Scores {
            base: 8.7,
            temporal: None,
            environmental: None,
            score: 8.7,
            severity: Severity::High,
        })
    );
    let none = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N";
    assert_eq!(scores(none).map(|s| s.severity), Some(Severity::None));
    let safety = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MSI:S/MSA:S";
    assert_eq!(scores(safety).map(|s| s.score), Some(10.0));
}

#[test]
fn v4_nomenclature() {
    let nomenclature = |vector: &str| Cvss::parse(vector).ok().and_then(|c| c.nomenclature());
    let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    assert_eq!(nomenclature(base), Some(Nomenclature::Base));
    assert_eq!(
        nomenclature(&format!("{base}/E:X")),
        Some(Nomenclature::Base)
    );
    assert_eq!(
        nomenclature(&format!("{base}/E:P")),
        Some(Nomenclature::BaseThreat)
    );
    assert_eq!(
        nomenclature(&format!("{base}/CR:L")),
        Some(Nomenclature::BaseEnvironmental)
    );
    assert_eq!(
        nomenclature(&format!("{base}/E:U/MSI:S/U:Red")),
        Some(Nomenclature::BaseThreatEnvironmental)
    );
    assert_eq!(
        nomenclature(&format!("{base}/AU:Y/U:Red")),
        Some(Nomenclature::Base)
    );
    assert_eq!(nomenclature("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
    assert_eq!(Nomenclature::BaseThreat.to_string(), "CVSS-BT");
}

#[test]
fn canonical_form_orders_and_drops_not_defined() {
    let canonical = |vector: &str| Cvss::parse(vector).ok().map(|c| c.to_string());
    assert_eq!(
        canonical("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:X/MAV:X/RC:C"),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RC:C".to_owned())
    );
    assert_eq!(
        canonical("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:ND/RL:OF/CDP:ND"),
        Some("AV:N/AC:L/Au:N/C:P/I:P/A:P/RL:OF".to_owned())
    );
    assert_eq!(
        canonical("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/U:Amber"),
        Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Amber".to_owned())
    );
}

#[test]
fn equal_when_saying_the_same() {
    let a = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X");
    let b = Cvss::parse("CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H");
    assert!(a.is_ok());
    assert_eq!(a, b);
    let v3_0 = Cvss::parse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_ne!(a, v3_0);
}

#[test]
fn versions_and_metrics() {
    let versions: Vec<_> = [
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    ]
    .iter()
    .filter_map(|v| Cvss::parse(v).ok())
    .map(|c| c.version().as_str())
    .collect();
    assert_eq!(versions, ["2.0", "3.0", "3.1", "4.0"]);
    let metrics: Vec<_> = Cvss::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F")
        .map(|c| c.metrics().collect())
        .unwrap_or_default();
    assert_eq!(
        metrics,
        [
            ("AV", "N"),
            ("AC", "L"),
            ("Au", "N"),
            ("C", "P"),
            ("I", "P"),
            ("A", "P"),
            ("E", "F")
        ]
    );
}

#[test]
fn refusals_say_what_is_wrong() {
    let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    assert_eq!(refusal(""), "the CVSS vector is empty");
    assert_eq!(
        refusal(&format!("{v31} ")),
        "a CVSS vector contains no spaces or other whitespace"
    );
    assert_eq!(
        refusal("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
        "metric A missing"
    );
    assert_eq!(refusal(&format!("{v31}/AV:N")), "metric AV given twice");
    assert_eq!(
        refusal("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        "unknown value 'X' for metric AV"
    );
    assert_eq!(
        refusal("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VI:H/VC:H/VA:H/SC:N/SI:N/SA:N"),
        "VC must come before VI"
    );
    assert!(refusal("CVSS:3.2/AV:N").starts_with("unknown prefix 'CVSS:3.2'"));
    assert!(refusal("Cvss:3.1/AV:N").starts_with("unknown prefix 'Cvss:3.1'"));
    assert!(refusal("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P").starts_with("unknown prefix"));
    assert!(refusal("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").contains("prefix such as"));
    assert!(refusal("(AV:N/AC:L/Au:N/C:P/I:P/A:P)").contains("without parentheses"));
    assert_eq!(
        refusal("AC:L/AV:N/Au:N/C:P/I:P/A:P"),
        "AV must come before AC"
    );
    assert_eq!(
        refusal("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X"),
        "unknown value 'X' for metric E"
    );
    assert_eq!(refusal("CVSS:4.0"), "metric AV missing");
    assert_eq!(
        refusal("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O"),
        "unknown metric 'RL' in a CVSS v4.0 vector"
    );
}

#[test]
fn refusal_kinds_are_inspectable() {
    let kind = Cvss::parse("CVSS:3.1/AV:N").err().map(|e| e.kind().clone());
    assert_eq!(kind, Some(CvssErrorKind::Missing("AC")));
}

#[test]
fn serde_uses_the_canonical_vector() {
    let json =
        serde_json::to_string(&Cvss::parse("CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H").ok());
    assert_eq!(
        json.ok().as_deref(),
        Some("\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"")
    );
    let back: Result<Cvss, _> =
        serde_json::from_str("\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"");
    assert!(back.is_ok());
    let refused: Result<Cvss, _> = serde_json::from_str("\"CVSS:3.1/AV:N\"");
    assert!(refused.is_err_and(|e| e.to_string().contains("metric AC missing")));
    let severity = serde_json::to_string(&Severity::Critical).ok();
    assert_eq!(severity.as_deref(), Some("\"critical\""));
    let version = serde_json::to_string(&CvssVersion::V3_1).ok();
    assert_eq!(version.as_deref(), Some("\"3.1\""));
}

#[test]
fn from_str_matches_parse() {
    let parsed: Result<Cvss, _> = "AV:N/AC:L/Au:N/C:P/I:P/A:P".parse();
    assert_eq!(parsed, Cvss::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P"));
    assert_eq!(
        format!("{:?}", parsed.ok()),
        "Some(Cvss(AV:N/AC:L/Au:N/C:P/I:P/A:P))"
    );
}

//! Properties of the CVSS parser over generated vectors: canonical vectors round-trip and
//! are fixed points, scores stay on the 0.0–10.0 scale in tenths, metric order and Not
//! Defined metrics change nothing, and no input makes the parser panic.

use cvdesk_formats::cvss::{Cvss, CvssVersion, Severity};
use proptest::prelude::*;

/// (metric, values, mandatory) as the specifications list them; the first value of an
/// optional metric is its Not Defined value.
type Table = &'static [(&'static str, &'static [&'static str], bool)];

const V2: Table = &[
    ("AV", &["L", "A", "N"], true),
    ("AC", &["H", "M", "L"], true),
    ("Au", &["M", "S", "N"], true),
    ("C", &["N", "P", "C"], true),
    ("I", &["N", "P", "C"], true),
    ("A", &["N", "P", "C"], true),
    ("E", &["ND", "U", "POC", "F", "H"], false),
    ("RL", &["ND", "OF", "TF", "W", "U"], false),
    ("RC", &["ND", "UC", "UR", "C"], false),
    ("CDP", &["ND", "N", "L", "LM", "MH", "H"], false),
    ("TD", &["ND", "N", "L", "M", "H"], false),
    ("CR", &["ND", "L", "M", "H"], false),
    ("IR", &["ND", "L", "M", "H"], false),
    ("AR", &["ND", "L", "M", "H"], false),
];

const V3: Table = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "R"], true),
    ("S", &["U", "C"], true),
    ("C", &["H", "L", "N"], true),
    ("I", &["H", "L", "N"], true),
    ("A", &["H", "L", "N"], true),
    ("E", &["X", "U", "P", "F", "H"], false),
    ("RL", &["X", "O", "T", "W", "U"], false),
    ("RC", &["X", "U", "R", "C"], false),
    ("CR", &["X", "L", "M", "H"], false),
    ("IR", &["X", "L", "M", "H"], false),
    ("AR", &["X", "L", "M", "H"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "R"], false),
    ("MS", &["X", "U", "C"], false),
    ("MC", &["X", "H", "L", "N"], false),
    ("MI", &["X", "H", "L", "N"], false),
    ("MA", &["X", "H", "L", "N"], false),
];

const V4: Table = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("AT", &["N", "P"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "P", "A"], true),
    ("VC", &["H", "L", "N"], true),
    ("VI", &["H", "L", "N"], true),
    ("VA", &["H", "L", "N"], true),
    ("SC", &["H", "L", "N"], true),
    ("SI", &["H", "L", "N"], true),
    ("SA", &["H", "L", "N"], true),
    ("E", &["X", "A", "P", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MAT", &["X", "N", "P"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "P", "A"], false),
    ("MVC", &["X", "H", "L", "N"], false),
    ("MVI", &["X", "H", "L", "N"], false),
    ("MVA", &["X", "H", "L", "N"], false),
    ("MSC", &["X", "H", "L", "N"], false),
    ("MSI", &["X", "S", "H", "L", "N"], false),
    ("MSA", &["X", "S", "H", "L", "N"], false),
    ("S", &["X", "N", "P"], false),
    ("AU", &["X", "N", "Y"], false),
    ("R", &["X", "A", "U", "I"], false),
    ("V", &["X", "D", "C"], false),
    ("RE", &["X", "L", "M", "H"], false),
    ("U", &["X", "Clear", "Green", "Amber", "Red"], false),
];

/// The (metric, value) pairs of a valid vector in table order: every mandatory metric,
/// each optional one present or not, Not Defined values included.
fn pairs(table: Table) -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    let choices: Vec<_> = table
        .iter()
        .map(|&(name, values, mandatory)| {
            let value = proptest::sample::select(values.to_vec());
            let present = if mandatory {
                Just(true).boxed()
            } else {
                any::<bool>().boxed()
            };
            (present, value).prop_map(move |(present, value)| present.then_some((name, value)))
        })
        .collect();
    choices.prop_map(|chosen| chosen.into_iter().flatten().collect())
}

fn join(prefix: &str, pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}:{v}")).collect();
    format!("{prefix}{}", body.join("/"))
}

/// A valid vector of any version, v3 metrics shuffled.
fn valid_vector() -> impl Strategy<Value = String> {
    prop_oneof![
        pairs(V2).prop_map(|p| join("", &p)),
        pairs(V3).prop_shuffle().prop_map(|p| join("CVSS:3.0/", &p)),
        pairs(V3).prop_shuffle().prop_map(|p| join("CVSS:3.1/", &p)),
        pairs(V4).prop_map(|p| join("CVSS:4.0/", &p)),
    ]
}

fn assert_scores_sane(cvss: &Cvss) {
    let scores = cvss.scores();
    let on_scale = |score: f64| {
        (0.0..=10.0).contains(&score) && ((score * 10.0).round() - score * 10.0).abs() < 1e-9
    };
    for score in [
        Some(scores.base),
        scores.temporal,
        scores.environmental,
        Some(scores.score),
    ]
    .into_iter()
    .flatten()
    {
        assert!(on_scale(score), "{cvss}: score {score} off the scale");
    }
    let most_specific = scores
        .environmental
        .or(scores.temporal)
        .unwrap_or(scores.base);
    assert_eq!(scores.score, most_specific, "{cvss}");
    let tenths = (scores.score * 10.0).round() as i64;
    let expected = match (cvss.version(), tenths) {
        (CvssVersion::V2, ..=39) => Severity::Low,
        (CvssVersion::V2, 40..=69) => Severity::Medium,
        (CvssVersion::V2, _) => Severity::High,
        (_, 0) => Severity::None,
        (_, 1..=39) => Severity::Low,
        (_, 40..=69) => Severity::Medium,
        (_, 70..=89) => Severity::High,
        _ => Severity::Critical,
    };
    assert_eq!(scores.severity, expected, "{cvss}");
    if cvss.version() == CvssVersion::V4_0 {
        assert_eq!((scores.temporal, scores.environmental), (None, None));
        assert!(cvss.nomenclature().is_some());
    }
}

fn assert_round_trips(cvss: &Cvss) {
    let canonical = cvss.to_string();
    let reparsed = Cvss::parse(&canonical);
    assert_eq!(reparsed.as_ref(), Ok(cvss), "{canonical}");
    assert_eq!(
        reparsed.map(|c| c.to_string()).as_deref(),
        Ok(canonical.as_str()),
        "canonical form is not a fixed point"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn valid_vectors_parse_and_round_trip(vector in valid_vector()) {
        let parsed = Cvss::parse(&vector);
        prop_assert!(parsed.is_ok(), "{vector}: {parsed:?}");
        if let Ok(cvss) = parsed {
            assert_round_trips(&cvss);
            assert_scores_sane(&cvss);
        }
    }

    #[test]
    fn metric_order_and_not_defined_change_nothing(pairs in pairs(V3), seed in any::<u64>()) {
        let ordered = join("CVSS:3.1/", &pairs);
        let mut shuffled = pairs.clone();
        // A cheap deterministic shuffle driven by the generated seed.
        let len = shuffled.len();
        for i in (1..len).rev() {
            shuffled.swap(i, (seed.rotate_left(i as u32) as usize) % (i + 1));
        }
        let without_x: Vec<_> = pairs.iter().copied().filter(|&(_, v)| v != "X").collect();
        let ordered = Cvss::parse(&ordered);
        prop_assert!(ordered.is_ok());
        prop_assert_eq!(&ordered, &Cvss::parse(&join("CVSS:3.1/", &shuffled)));
        prop_assert_eq!(&ordered, &Cvss::parse(&join("CVSS:3.1/", &without_x)));
    }

    #[test]
    fn metrics_rebuild_the_canonical_vector(vector in valid_vector()) {
        if let Ok(cvss) = Cvss::parse(&vector) {
            let prefix = match cvss.version() {
                CvssVersion::V2 => String::new(),
                version => format!("CVSS:{version}/"),
            };
            let pairs: Vec<_> = cvss.metrics().collect();
            prop_assert_eq!(join(&prefix, &pairs), cvss.to_string());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,80}") {
        if let Ok(cvss) = Cvss::parse(&input) {
            assert_round_trips(&cvss);
            assert_scores_sane(&cvss);
        }
    }

    #[test]
    fn damaged_vectors_never_panic(
        vector in valid_vector(),
        position in any::<prop::sample::Index>(),
        insert in "[A-Za-z:/ ()0-9.]{0,3}",
        delete in 0usize..4,
    ) {
        let chars: Vec<char> = vector.chars().collect();
        let at = position.index(chars.len() + 1);
        let end = (at + delete).min(chars.len());
        let damaged: String = chars[..at]
            .iter()
            .chain(insert.chars().collect::<Vec<_>>().iter())
            .chain(chars[end..].iter())
            .collect();
        match Cvss::parse(&damaged) {
            Ok(cvss) => {
                assert_round_trips(&cvss);
                assert_scores_sane(&cvss);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}

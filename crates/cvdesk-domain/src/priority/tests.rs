//! The points scheme checked at its boundaries, on real vectors, and for monotonicity.

use proptest::prelude::*;

use super::*;

fn inputs(
    severity: Option<f64>,
    criticality: Option<Criticality>,
    exploitability: Option<Exploitability>,
    attack_complexity_high: Option<bool>,
) -> PriorityInputs {
    PriorityInputs {
        severity,
        criticality,
        exploitability,
        attack_complexity_high,
    }
}

#[test]
fn names_round_trip() {
    for value in Criticality::ALL {
        assert_eq!(value.as_str().parse::<Criticality>(), Ok(value));
    }
    for value in Exploitability::ALL {
        assert_eq!(value.as_str().parse::<Exploitability>(), Ok(value));
    }
    for value in Priority::ALL {
        assert_eq!(value.to_string().parse::<Priority>(), Ok(value));
    }
    assert!("p1".parse::<Priority>().is_err());
    assert!("P5".parse::<Priority>().is_err());
    assert!("severe".parse::<Criticality>().is_err());
    assert_eq!(
        "poc".parse::<Exploitability>().map_err(|e| e.to_string()),
        Err("'poc' is not an exploitability (expected unproven, proof_of_concept, functional, weaponized or exploited_in_the_wild)".to_owned())
    );
}

#[test]
fn explains_every_factor_and_the_total() {
    let assessment = assess(&inputs(
        Some(9.8),
        Some(Criticality::Critical),
        Some(Exploitability::Functional),
        Some(false),
    ));
    assert_eq!(
        assessment.explanation,
        [
            "severity 9.8 (critical): 4 points",
            "asset criticality critical: 4 points",
            "exploitability functional exploit: 2 points",
            "attack complexity low: 2 points",
            "total 12 points → P1 (11–14)",
        ]
    );
    assert_eq!(assessment.points, 12);
    assert_eq!(assessment.computed, Priority::P1);
}

#[test]
fn unknown_factors_count_as_the_middle() {
    let assessment = assess(&PriorityInputs::default());
    assert_eq!(
        assessment.explanation,
        [
            "severity unknown: 2 points (the middle value)",
            "asset criticality unknown: 2 points (the middle value)",
            "exploitability unknown: 2 points (the middle value)",
            "attack complexity unknown: 1 point (the middle value)",
            "total 7 points → P3 (5–7)",
        ]
    );
}

#[test]
fn severity_bands() {
    let cases = [
        (0.0, "severity 0.0 (none): 0 points"),
        (0.1, "severity 0.1 (low): 1 point"),
        (3.9, "severity 3.9 (low): 1 point"),
        (3.95, "severity 4.0 (medium): 2 points"),
        (4.0, "severity 4.0 (medium): 2 points"),
        (6.9, "severity 6.9 (medium): 2 points"),
        (7.0, "severity 7.0 (high): 3 points"),
        (8.9, "severity 8.9 (high): 3 points"),
        (9.0, "severity 9.0 (critical): 4 points"),
        (10.0, "severity 10.0 (critical): 4 points"),
        (f64::NAN, "severity unknown: 2 points (the middle value)"),
    ];
    for (score, line) in cases {
        let assessment = assess(&inputs(Some(score), None, None, None));
        assert_eq!(assessment.explanation[0], line, "{score}");
    }
}

#[test]
fn priority_bands_cover_every_total_once() {
    for points in 0..=MAX_POINTS {
        let holders = Priority::ALL
            .into_iter()
            .filter(|priority| priority.points().contains(&points))
            .count();
        assert_eq!(holders, 1, "{points}");
    }
    let boundaries = [
        (0, Priority::P4),
        (4, Priority::P4),
        (5, Priority::P3),
        (7, Priority::P3),
        (8, Priority::P2),
        (10, Priority::P2),
        (11, Priority::P1),
        (14, Priority::P1),
    ];
    for (points, priority) in boundaries {
        assert_eq!(Priority::of_points(points), priority, "{points}");
    }
}

#[test]
fn extremes() {
    let least = assess(&inputs(
        Some(0.0),
        Some(Criticality::Low),
        Some(Exploitability::Unproven),
        Some(true),
    ));
    assert_eq!((least.points, least.computed), (0, Priority::P4));
    let most = assess(&inputs(
        Some(10.0),
        Some(Criticality::Critical),
        Some(Exploitability::ExploitedInTheWild),
        Some(false),
    ));
    assert_eq!((most.points, most.computed), (MAX_POINTS, Priority::P1));
}

#[test]
fn formula_states_the_bands_in_use() {
    for priority in Priority::ALL {
        let band = priority.points();
        let text = format!("{}–{} {}", band.start(), band.end(), priority);
        assert!(formula().contains(&text), "{text}");
    }
    for criticality in Criticality::ALL {
        let text = format!("{} {}", criticality.as_str(), criticality.points());
        assert!(formula().contains(&text), "{text}");
    }
}

#[test]
fn overrides_need_a_reason() {
    for blank in ["", "   \n"] {
        assert_eq!(
            PriorityOverride::new(Priority::P1, blank).map_err(|e| e.to_string()),
            Err("give a reason for overriding the computed priority".to_owned())
        );
    }
    let too_long = "x".repeat(MAX_REASON_CHARS + 1);
    assert_eq!(
        PriorityOverride::new(Priority::P1, &too_long),
        Err(OverrideRefused::ReasonTooLong)
    );
    let chosen = PriorityOverride::new(Priority::P1, "  customer-facing payment flow ")
        .expect("a reason was given");
    assert_eq!(chosen.reason, "customer-facing payment flow");

    let assessment = assess(&PriorityInputs::default());
    assert_eq!(assessment.effective(None), Priority::P3);
    assert_eq!(assessment.effective(Some(&chosen)), Priority::P1);
}

#[test]
fn attack_complexity_from_vectors() {
    let cases = [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", false),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", true),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/MAC:L", false),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAC:H", true),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            false,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            true,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            true,
        ),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", false),
        ("AV:N/AC:M/Au:N/C:P/I:P/A:P", true),
        ("AV:N/AC:H/Au:N/C:P/I:P/A:P", true),
    ];
    for (vector, high) in cases {
        let cvss = Cvss::parse(vector).expect("a valid vector");
        assert_eq!(attack_complexity_high(&cvss), high, "{vector}");
    }
}

fn any_inputs() -> impl Strategy<Value = PriorityInputs> {
    (
        proptest::option::of(0.0..=10.0f64),
        proptest::option::of(proptest::sample::select(Criticality::ALL.to_vec())),
        proptest::option::of(proptest::sample::select(Exploitability::ALL.to_vec())),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(severity, criticality, exploitability, complexity)| {
            inputs(severity, criticality, exploitability, complexity)
        })
}

/// Raises one known factor by some amount (possibly none).
fn raise(base: PriorityInputs, factor: usize, step: f64) -> PriorityInputs {
    let up = |index: usize, len: usize| (index + (step * len as f64) as usize).min(len - 1);
    let mut raised = base;
    match factor {
        0 => raised.severity = base.severity.map(|s| (s + step * 10.0).min(10.0)),
        1 => {
            raised.criticality = base.criticality.map(|c| {
                let index = Criticality::ALL.iter().position(|&x| x == c).unwrap_or(0);
                Criticality::ALL[up(index, Criticality::ALL.len())]
            })
        }
        2 => {
            raised.exploitability = base.exploitability.map(|e| {
                let index = Exploitability::ALL
                    .iter()
                    .position(|&x| x == e)
                    .unwrap_or(0);
                Exploitability::ALL[up(index, Exploitability::ALL.len())]
            })
        }
        _ => {
            raised.attack_complexity_high =
                base.attack_complexity_high.map(|high| high && step < 0.5)
        }
    }
    raised
}

proptest! {
    #[test]
    fn raising_a_factor_never_lowers_urgency(base in any_inputs(), factor in 0usize..4, step in 0.0..=1.0f64) {
        let before = assess(&base);
        let after = assess(&raise(base, factor, step));
        prop_assert!(after.points >= before.points);
        prop_assert!(after.computed <= before.computed, "{:?} then {:?}", before, after);
    }

    #[test]
    fn unknown_sits_between_the_extremes(base in any_inputs(), factor in 0usize..4) {
        let with = |lowest: bool, known: bool| {
            let mut changed = base;
            match factor {
                0 => changed.severity = known.then_some(if lowest { 0.0 } else { 10.0 }),
                1 => changed.criticality = known.then_some(if lowest { Criticality::Low } else { Criticality::Critical }),
                2 => changed.exploitability = known.then_some(if lowest { Exploitability::Unproven } else { Exploitability::ExploitedInTheWild }),
                _ => changed.attack_complexity_high = known.then_some(lowest),
            }
            assess(&changed).points
        };
        let unknown = with(true, false);
        prop_assert!(with(true, true) < unknown && unknown < with(false, true));
    }

    #[test]
    fn every_assessment_is_explained(base in any_inputs()) {
        let assessment = assess(&base);
        prop_assert!(assessment.points <= MAX_POINTS);
        prop_assert!(assessment.computed.points().contains(&assessment.points));
        prop_assert_eq!(assessment.explanation.len(), 5);
        let total = format!("total {} →", points_words(assessment.points));
        prop_assert!(assessment.explanation[4].starts_with(&total));
    }
}

//! CVSS v3.0 and v3.1: the metric table and the scores, computed exactly as FIRST's own
//! calculators (cvsscalc30.js, cvsscalc31.js) compute them, operation for operation, so
//! that floating-point results match to the bit.

use super::syntax::{Metric, Values};
use super::{Scores, Severity};

pub(super) const METRICS: &[Metric] = &[
    Metric::mandatory("AV", &["N", "A", "L", "P"]),
    Metric::mandatory("AC", &["L", "H"]),
    Metric::mandatory("PR", &["N", "L", "H"]),
    Metric::mandatory("UI", &["N", "R"]),
    Metric::mandatory("S", &["U", "C"]),
    Metric::mandatory("C", &["H", "L", "N"]),
    Metric::mandatory("I", &["H", "L", "N"]),
    Metric::mandatory("A", &["H", "L", "N"]),
    Metric::optional("E", &["X", "U", "P", "F", "H"]),
    Metric::optional("RL", &["X", "O", "T", "W", "U"]),
    Metric::optional("RC", &["X", "U", "R", "C"]),
    Metric::optional("CR", &["X", "L", "M", "H"]),
    Metric::optional("IR", &["X", "L", "M", "H"]),
    Metric::optional("AR", &["X", "L", "M", "H"]),
    Metric::optional("MAV", &["X", "N", "A", "L", "P"]),
    Metric::optional("MAC", &["X", "L", "H"]),
    Metric::optional("MPR", &["X", "N", "L", "H"]),
    Metric::optional("MUI", &["X", "N", "R"]),
    Metric::optional("MS", &["X", "U", "C"]),
    Metric::optional("MC", &["X", "H", "L", "N"]),
    Metric::optional("MI", &["X", "H", "L", "N"]),
    Metric::optional("MA", &["X", "H", "L", "N"]),
];

pub(super) const TEMPORAL: &[&str] = &["E", "RL", "RC"];
pub(super) const ENVIRONMENTAL: &[&str] = &[
    "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
];

// Slots of `METRICS`.
const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const E: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
const MAV: usize = 14;
const MAC: usize = 15;
const MPR: usize = 16;
const MUI: usize = 17;
const MS: usize = 18;
const MC: usize = 19;
const MI: usize = 20;
const MA: usize = 21;

// Weights, in the order of the values in `METRICS` (modified metrics without their X).
const AV_WEIGHT: [f64; 4] = [0.85, 0.62, 0.55, 0.2];
const AC_WEIGHT: [f64; 2] = [0.77, 0.44];
const PR_WEIGHT_UNCHANGED: [f64; 3] = [0.85, 0.62, 0.27];
const PR_WEIGHT_CHANGED: [f64; 3] = [0.85, 0.68, 0.5];
const UI_WEIGHT: [f64; 2] = [0.85, 0.62];
const SCOPE_WEIGHT: [f64; 2] = [6.42, 7.52];
const IMPACT_WEIGHT: [f64; 3] = [0.56, 0.22, 0.0];
const E_WEIGHT: [f64; 5] = [1.0, 0.91, 0.94, 0.97, 1.0];
const RL_WEIGHT: [f64; 5] = [1.0, 0.95, 0.96, 0.97, 1.0];
const RC_WEIGHT: [f64; 4] = [1.0, 0.92, 0.96, 1.0];
const REQUIREMENT_WEIGHT: [f64; 4] = [1.0, 0.5, 1.0, 1.5];

const EXPLOITABILITY_COEFFICIENT: f64 = 8.22;
const SCOPE_COEFFICIENT: f64 = 1.08;
const SCOPE_CHANGED: usize = 1;

/// The two minor versions differ in rounding and in the modified impact of a changed
/// scope; nothing else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Minor {
    V3_0,
    V3_1,
}

pub(super) fn scores(values: &Values, minor: Minor, temporal: bool, environmental: bool) -> Scores {
    let metric = |slot: usize| usize::from(values[slot]);
    // A modified metric that is not defined takes the base metric's value.
    let modified = |base: usize, modified: usize| match values[modified] {
        0 => metric(base),
        given => usize::from(given) - 1,
    };
    let round_up = match minor {
        Minor::V3_0 => round_up_3_0,
        Minor::V3_1 => round_up_3_1,
    };

    let scope = metric(S);
    let pr_weight = if scope == SCOPE_CHANGED {
        PR_WEIGHT_CHANGED
    } else {
        PR_WEIGHT_UNCHANGED
    };
    let iss = 1.0
        - ((1.0 - IMPACT_WEIGHT[metric(C)])
            * (1.0 - IMPACT_WEIGHT[metric(I)])
            * (1.0 - IMPACT_WEIGHT[metric(A)]));
    let impact = if scope == SCOPE_CHANGED {
        SCOPE_WEIGHT[scope] * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0)
    } else {
        SCOPE_WEIGHT[scope] * iss
    };
    let exploitability = EXPLOITABILITY_COEFFICIENT
        * AV_WEIGHT[metric(AV)]
        * AC_WEIGHT[metric(AC)]
        * pr_weight[metric(PR)]
        * UI_WEIGHT[metric(UI)];
    let base = if impact <= 0.0 {
        0.0
    } else if scope == SCOPE_CHANGED {
        round_up((SCOPE_COEFFICIENT * (exploitability + impact)).min(10.0))
    } else {
        round_up((exploitability + impact).min(10.0))
    };

    // FIRST multiplies the temporal weights one after the other onto the score; grouping
    // them first would change the last bit.
    let temporal_score =
        round_up(base * E_WEIGHT[metric(E)] * RL_WEIGHT[metric(RL)] * RC_WEIGHT[metric(RC)]);

    let modified_scope = modified(S, MS);
    let modified_pr_weight = if modified_scope == SCOPE_CHANGED {
        PR_WEIGHT_CHANGED
    } else {
        PR_WEIGHT_UNCHANGED
    };
    let miss = (1.0
        - ((1.0 - IMPACT_WEIGHT[modified(C, MC)] * REQUIREMENT_WEIGHT[metric(CR)])
            * (1.0 - IMPACT_WEIGHT[modified(I, MI)] * REQUIREMENT_WEIGHT[metric(IR)])
            * (1.0 - IMPACT_WEIGHT[modified(A, MA)] * REQUIREMENT_WEIGHT[metric(AR)])))
    .min(0.915);
    let modified_impact = if modified_scope != SCOPE_CHANGED {
        SCOPE_WEIGHT[modified_scope] * miss
    } else if minor == Minor::V3_0 {
        SCOPE_WEIGHT[modified_scope] * (miss - 0.029) - 3.25 * (miss - 0.02).powf(15.0)
    } else {
        SCOPE_WEIGHT[modified_scope] * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powf(13.0)
    };
    let modified_exploitability = EXPLOITABILITY_COEFFICIENT
        * AV_WEIGHT[modified(AV, MAV)]
        * AC_WEIGHT[modified(AC, MAC)]
        * modified_pr_weight[modified(PR, MPR)]
        * UI_WEIGHT[modified(UI, MUI)];
    let environmental_score = if modified_impact <= 0.0 {
        0.0
    } else {
        let sum = if modified_scope == SCOPE_CHANGED {
            SCOPE_COEFFICIENT * (modified_impact + modified_exploitability)
        } else {
            modified_impact + modified_exploitability
        };
        round_up(
            round_up(sum.min(10.0))
                * E_WEIGHT[metric(E)]
                * RL_WEIGHT[metric(RL)]
                * RC_WEIGHT[metric(RC)],
        )
    };

    let temporal = temporal.then_some(temporal_score);
    let environmental = environmental.then_some(environmental_score);
    let score = environmental.or(temporal).unwrap_or(base);
    Scores {
        base,
        temporal,
        environmental,
        score,
        severity: Severity::of_score(score),
    }
}

/// CVSS v3.0's Roundup: the smallest one-decimal number not below `value`.
fn round_up_3_0(value: f64) -> f64 {
    (value * 10.0).ceil() / 10.0
}

/// CVSS v3.1's Roundup (specification appendix A): rounds on integers so that a tiny
/// floating-point error such as 4.000000000000001 does not round up to 4.1.
fn round_up_3_1(value: f64) -> f64 {
    let hundred_thousandths = (value * 100_000.0).round();
    if hundred_thousandths % 10_000.0 == 0.0 {
        hundred_thousandths / 100_000.0
    } else {
        ((hundred_thousandths / 10_000.0).floor() + 1.0) / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_up_differs_between_minor_versions() {
        // 1 - 0.58 is 0.42000000000000004 in binary floating point.
        assert_eq!(round_up_3_0(1.0 - 0.58), 0.5);
        assert_eq!(round_up_3_1(1.0 - 0.58), 0.5);
        assert_eq!(round_up_3_0(4.000_000_000_000_001), 4.1);
        assert_eq!(round_up_3_1(4.000_000_000_000_001), 4.0);
        assert_eq!(round_up_3_1(4.02), 4.1);
        assert_eq!(round_up_3_1(4.0), 4.0);
    }
}

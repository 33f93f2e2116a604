//! CVSS v2.0: the metric table and the scores of FIRST's v2 guide (section 3.2), computed
//! in exact decimal arithmetic so that round_to_1_decimal rounds the true value, not a
//! binary approximation of it.

use std::cmp::Ordering;

use super::syntax::{Metric, Values};
use super::{Scores, Severity};

pub(super) const METRICS: &[Metric] = &[
    Metric::mandatory("AV", &["L", "A", "N"]),
    Metric::mandatory("AC", &["H", "M", "L"]),
    Metric::mandatory("Au", &["M", "S", "N"]),
    Metric::mandatory("C", &["N", "P", "C"]),
    Metric::mandatory("I", &["N", "P", "C"]),
    Metric::mandatory("A", &["N", "P", "C"]),
    Metric::optional("E", &["ND", "U", "POC", "F", "H"]),
    Metric::optional("RL", &["ND", "OF", "TF", "W", "U"]),
    Metric::optional("RC", &["ND", "UC", "UR", "C"]),
    Metric::optional("CDP", &["ND", "N", "L", "LM", "MH", "H"]),
    Metric::optional("TD", &["ND", "N", "L", "M", "H"]),
    Metric::optional("CR", &["ND", "L", "M", "H"]),
    Metric::optional("IR", &["ND", "L", "M", "H"]),
    Metric::optional("AR", &["ND", "L", "M", "H"]),
];

pub(super) const TEMPORAL: &[&str] = &["E", "RL", "RC"];
pub(super) const ENVIRONMENTAL: &[&str] = &["CDP", "TD", "CR", "IR", "AR"];

// Slots of `METRICS`.
const AV: usize = 0;
const AC: usize = 1;
const AU: usize = 2;
const C: usize = 3;
const I: usize = 4;
const A: usize = 5;
const E: usize = 6;
const RL: usize = 7;
const RC: usize = 8;
const CDP: usize = 9;
const TD: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;

// Weights in thousandths, in the order of the values in `METRICS`.
const AV_WEIGHT: [i128; 3] = [395, 646, 1000];
const AC_WEIGHT: [i128; 3] = [350, 610, 710];
const AU_WEIGHT: [i128; 3] = [450, 560, 704];
const IMPACT_WEIGHT: [i128; 3] = [0, 275, 660];
const E_WEIGHT: [i128; 5] = [1000, 850, 900, 950, 1000];
const RL_WEIGHT: [i128; 5] = [1000, 870, 900, 950, 1000];
const RC_WEIGHT: [i128; 4] = [1000, 900, 950, 1000];
const CDP_WEIGHT: [i128; 6] = [0, 0, 100, 300, 400, 500];
const TD_WEIGHT: [i128; 5] = [1000, 0, 250, 750, 1000];
const REQUIREMENT_WEIGHT: [i128; 4] = [1000, 500, 1000, 1510];

pub(super) fn scores(values: &Values, temporal: bool, environmental: bool) -> Scores {
    let weight = |table: &[i128], slot: usize| Decimal::milli(table[usize::from(values[slot])]);
    let one = Decimal::milli(1000);
    let ten = Decimal::milli(10_000);

    let impact = Decimal::milli(10_410).mul(
        one.sub(
            one.sub(weight(&IMPACT_WEIGHT, C))
                .mul(one.sub(weight(&IMPACT_WEIGHT, I)))
                .mul(one.sub(weight(&IMPACT_WEIGHT, A))),
        ),
    );
    let adjusted_impact = Decimal::milli(10_410)
        .mul(
            one.sub(
                one.sub(weight(&IMPACT_WEIGHT, C).mul(weight(&REQUIREMENT_WEIGHT, CR)))
                    .mul(one.sub(weight(&IMPACT_WEIGHT, I).mul(weight(&REQUIREMENT_WEIGHT, IR))))
                    .mul(one.sub(weight(&IMPACT_WEIGHT, A).mul(weight(&REQUIREMENT_WEIGHT, AR)))),
            ),
        )
        .min(ten);
    let exploitability = Decimal::milli(20_000)
        .mul(weight(&AV_WEIGHT, AV))
        .mul(weight(&AC_WEIGHT, AC))
        .mul(weight(&AU_WEIGHT, AU));
    let base_equation = |impact: Decimal| {
        let f_impact = if impact.is_zero() {
            Decimal::milli(0)
        } else {
            Decimal::milli(1176)
        };
        Decimal::milli(600)
            .mul(impact)
            .add(Decimal::milli(400).mul(exploitability))
            .sub(Decimal::milli(1500))
            .mul(f_impact)
            .round_to_1_decimal()
    };
    let temporal_equation = |base: Decimal| {
        base.mul(weight(&E_WEIGHT, E))
            .mul(weight(&RL_WEIGHT, RL))
            .mul(weight(&RC_WEIGHT, RC))
            .round_to_1_decimal()
    };

    let zero = Decimal::milli(0);
    let base = base_equation(impact).max(zero);
    let temporal_score = temporal_equation(base).max(zero);
    // The guide's AdjustedTemporal is the temporal equation over the base equation with
    // AdjustedImpact; like the guide, it is not clamped at zero before use.
    let adjusted_temporal = temporal_equation(base_equation(adjusted_impact));
    let environmental_score = adjusted_temporal
        .add(ten.sub(adjusted_temporal).mul(weight(&CDP_WEIGHT, CDP)))
        .mul(weight(&TD_WEIGHT, TD))
        .round_to_1_decimal()
        .max(zero);

    let base = base.to_f64();
    let temporal = temporal.then(|| temporal_score.to_f64());
    let environmental = environmental.then(|| environmental_score.to_f64());
    let score = environmental.or(temporal).unwrap_or(base);
    Scores {
        base,
        temporal,
        environmental,
        score,
        severity: Severity::of_v2_score(score),
    }
}

/// An exact decimal number `units × 10^-scale`. The deepest product in the v2 formulas
/// has 27 decimal places and stays below 100, far inside an `i128`.
#[derive(Clone, Copy, Debug)]
struct Decimal {
    units: i128,
    scale: u32,
}

impl Decimal {
    fn milli(thousandths: i128) -> Self {
        Self {
            units: thousandths,
            scale: 3,
        }
    }

    fn is_zero(self) -> bool {
        self.units == 0
    }

    fn mul(self, other: Self) -> Self {
        Self {
            units: self.units * other.units,
            scale: self.scale + other.scale,
        }
    }

    fn add(self, other: Self) -> Self {
        let scale = self.scale.max(other.scale);
        Self {
            units: self.rescaled(scale) + other.rescaled(scale),
            scale,
        }
    }

    fn sub(self, other: Self) -> Self {
        self.add(Self {
            units: -other.units,
            scale: other.scale,
        })
    }

    fn cmp(self, other: Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.rescaled(scale).cmp(&other.rescaled(scale))
    }

    fn min(self, other: Self) -> Self {
        if self.cmp(other) == Ordering::Greater {
            other
        } else {
            self
        }
    }

    fn max(self, other: Self) -> Self {
        if self.cmp(other) == Ordering::Less {
            other
        } else {
            self
        }
    }

    fn rescaled(self, scale: u32) -> i128 {
        self.units * 10i128.pow(scale - self.scale)
    }

    /// The guide's round_to_1_decimal: to the nearest tenth, halves away from zero.
    fn round_to_1_decimal(self) -> Self {
        if self.scale <= 1 {
            return Self {
                units: self.rescaled(1),
                scale: 1,
            };
        }
        let divisor = 10i128.pow(self.scale - 1);
        let magnitude = self.units.abs();
        let mut tenths = magnitude / divisor;
        if (magnitude % divisor) * 2 >= divisor {
            tenths += 1;
        }
        Self {
            units: tenths * self.units.signum(),
            scale: 1,
        }
    }

    /// Only called on values already rounded to tenths, which convert without loss of
    /// meaning: the result is the double nearest to that tenth.
    fn to_f64(self) -> f64 {
        let tenths = self.round_to_1_decimal().units;
        // A score is at most 100 tenths, which an f64 holds exactly.
        tenths as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_halves_away_from_zero() {
        let round = |units, scale| Decimal { units, scale }.round_to_1_decimal().units;
        assert_eq!(round(425, 2), 43);
        assert_eq!(round(424_999, 5), 42);
        assert_eq!(round(-425, 2), -43);
        assert_eq!(round(7, 0), 70);
    }

    #[test]
    fn exact_arithmetic() {
        let x = Decimal::milli(1000).sub(Decimal::milli(580));
        assert_eq!(x.mul(Decimal::milli(1000)).round_to_1_decimal().units, 4);
        assert_eq!(Decimal::milli(1500).min(Decimal::milli(1499)).units, 1499);
    }
}

//! CVSS v4.0: the metric table, the nomenclature (CVSS-B, -BT, -BE, -BTE) and the score,
//! computed by the MacroVector interpolation of FIRST's reference calculator (cvss40.js),
//! step for step, so that floating-point results match to the bit.

use super::syntax::{Metric, Values};
use super::v4_macrovector as macrovector;

pub(super) const METRICS: &[Metric] = &[
    Metric::mandatory("AV", &["N", "A", "L", "P"]),
    Metric::mandatory("AC", &["L", "H"]),
    Metric::mandatory("AT", &["N", "P"]),
    Metric::mandatory("PR", &["N", "L", "H"]),
    Metric::mandatory("UI", &["N", "P", "A"]),
    Metric::mandatory("VC", &["H", "L", "N"]),
    Metric::mandatory("VI", &["H", "L", "N"]),
    Metric::mandatory("VA", &["H", "L", "N"]),
    Metric::mandatory("SC", &["H", "L", "N"]),
    Metric::mandatory("SI", &["H", "L", "N"]),
    Metric::mandatory("SA", &["H", "L", "N"]),
    Metric::optional("E", &["X", "A", "P", "U"]),
    Metric::optional("CR", &["X", "H", "M", "L"]),
    Metric::optional("IR", &["X", "H", "M", "L"]),
    Metric::optional("AR", &["X", "H", "M", "L"]),
    Metric::optional("MAV", &["X", "N", "A", "L", "P"]),
    Metric::optional("MAC", &["X", "L", "H"]),
    Metric::optional("MAT", &["X", "N", "P"]),
    Metric::optional("MPR", &["X", "N", "L", "H"]),
    Metric::optional("MUI", &["X", "N", "P", "A"]),
    Metric::optional("MVC", &["X", "H", "L", "N"]),
    Metric::optional("MVI", &["X", "H", "L", "N"]),
    Metric::optional("MVA", &["X", "H", "L", "N"]),
    Metric::optional("MSC", &["X", "H", "L", "N"]),
    Metric::optional("MSI", &["X", "S", "H", "L", "N"]),
    Metric::optional("MSA", &["X", "S", "H", "L", "N"]),
    Metric::optional("S", &["X", "N", "P"]),
    Metric::optional("AU", &["X", "N", "Y"]),
    Metric::optional("R", &["X", "A", "U", "I"]),
    Metric::optional("V", &["X", "D", "C"]),
    Metric::optional("RE", &["X", "L", "M", "H"]),
    Metric::optional("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

pub(super) const THREAT: &[&str] = &["E"];
pub(super) const ENVIRONMENTAL: &[&str] = &[
    "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
];

// Slots of `METRICS` that scoring reads.
const AV: usize = 0;
const AC: usize = 1;
const AT: usize = 2;
const PR: usize = 3;
const UI: usize = 4;
const VC: usize = 5;
const VI: usize = 6;
const VA: usize = 7;
const SC: usize = 8;
const SI: usize = 9;
const SA: usize = 10;
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
const MAV: usize = 15;
const MAC: usize = 16;
const MAT: usize = 17;
const MPR: usize = 18;
const MUI: usize = 19;
const MVC: usize = 20;
const MVI: usize = 21;
const MVA: usize = 22;
const MSC: usize = 23;
const MSI: usize = 24;
const MSA: usize = 25;

/// The severity level of each rank, as the reference calculator writes them: 0.1 apart,
/// written out because `3.0 * 0.1` is not the double nearest 0.3.
const LEVEL: [f64; 4] = [0.0, 0.1, 0.2, 0.3];

/// The effective value of each metric that scoring reads, as a severity rank: 0 is the
/// most severe value, each step down adds one. SC, SI and SA share one scale whose rank 0
/// is Safety (only MSI and MSA can say it), so SC:H is 1. Not-defined threat and
/// requirement metrics count as their worst case (E:A, CR:H, ...), as the standard says.
#[derive(Clone, Copy)]
struct Ranks {
    av: u8,
    pr: u8,
    ui: u8,
    ac: u8,
    at: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    cr: u8,
    ir: u8,
    ar: u8,
    e: u8,
}

impl Ranks {
    fn of(values: &Values) -> Self {
        // A modified metric that is not defined takes the base metric's value; both list
        // their values from most to least severe, the modified one after its X.
        let modified = |base: usize, modified: usize| match values[modified] {
            0 => values[base],
            given => given - 1,
        };
        let worst_if_undefined = |slot: usize| values[slot].saturating_sub(1);
        Self {
            av: modified(AV, MAV),
            pr: modified(PR, MPR),
            ui: modified(UI, MUI),
            ac: modified(AC, MAC),
            at: modified(AT, MAT),
            vc: modified(VC, MVC),
            vi: modified(VI, MVI),
            va: modified(VA, MVA),
            sc: match values[MSC] {
                0 => values[SC] + 1,
                given => given,
            },
            si: match values[MSI] {
                0 => values[SI] + 1,
                given => given - 1,
            },
            sa: match values[MSA] {
                0 => values[SA] + 1,
                given => given - 1,
            },
            cr: worst_if_undefined(CR),
            ir: worst_if_undefined(IR),
            ar: worst_if_undefined(AR),
            e: worst_if_undefined(E),
        }
    }

    fn no_impact(&self) -> bool {
        let none = 2;
        let subsequent_none = 3;
        [self.vc, self.vi, self.va] == [none; 3]
            && [self.sc, self.si, self.sa] == [subsequent_none; 3]
    }

    /// The equivalence classes EQ1 to EQ6 (table 24 of the specification).
    fn macrovector(&self) -> [u8; 6] {
        let eq1 = if self.av == 0 && self.pr == 0 && self.ui == 0 {
            0
        } else if (self.av == 0 || self.pr == 0 || self.ui == 0) && self.av != 3 {
            1
        } else {
            2
        };
        let eq2 = u8::from(!(self.ac == 0 && self.at == 0));
        let eq3 = if self.vc == 0 && self.vi == 0 {
            0
        } else if self.vc == 0 || self.vi == 0 || self.va == 0 {
            1
        } else {
            2
        };
        let eq4 = if self.si == 0 || self.sa == 0 {
            0
        } else if self.sc == 1 || self.si == 1 || self.sa == 1 {
            1
        } else {
            2
        };
        let eq6 = u8::from(
            !((self.cr == 0 && self.vc == 0)
                || (self.ir == 0 && self.vi == 0)
                || (self.ar == 0 && self.va == 0)),
        );
        [eq1, eq2, eq3, eq4, self.e, eq6]
    }

    /// How far each metric is below `max` in severity levels, in the calculator's order.
    fn distances(&self, max: &Ranks) -> Distances {
        let distance = |rank: u8, max: u8| LEVEL[usize::from(rank)] - LEVEL[usize::from(max)];
        Distances {
            av: distance(self.av, max.av),
            pr: distance(self.pr, max.pr),
            ui: distance(self.ui, max.ui),
            ac: distance(self.ac, max.ac),
            at: distance(self.at, max.at),
            vc: distance(self.vc, max.vc),
            vi: distance(self.vi, max.vi),
            va: distance(self.va, max.va),
            sc: distance(self.sc, max.sc),
            si: distance(self.si, max.si),
            sa: distance(self.sa, max.sa),
            cr: distance(self.cr, max.cr),
            ir: distance(self.ir, max.ir),
            ar: distance(self.ar, max.ar),
            e: distance(self.e, max.e),
        }
    }
}

struct Distances {
    av: f64,
    pr: f64,
    ui: f64,
    ac: f64,
    at: f64,
    vc: f64,
    vi: f64,
    va: f64,
    sc: f64,
    si: f64,
    sa: f64,
    cr: f64,
    ir: f64,
    ar: f64,
    e: f64,
}

impl Distances {
    fn all_non_negative(&self) -> bool {
        [
            self.av, self.pr, self.ui, self.ac, self.at, self.vc, self.vi, self.va, self.sc,
            self.si, self.sa, self.cr, self.ir, self.ar, self.e,
        ]
        .iter()
        .all(|&distance| distance >= 0.0)
    }
}

/// The CVSS v4.0 score of a parsed vector.
pub(super) fn score(values: &Values) -> f64 {
    let ranks = Ranks::of(values);
    if ranks.no_impact() {
        return 0.0;
    }
    let eq = ranks.macrovector();
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
    // Every reachable MacroVector is in the table (a test walks them all).
    let Some(value) = macrovector::score(eq) else {
        return 0.0;
    };

    // The score of the next lower MacroVector along each EQ, where there is one.
    let lower = macrovector::score;
    let lower_eq1 = lower([eq1 + 1, eq2, eq3, eq4, eq5, eq6]);
    let lower_eq2 = lower([eq1, eq2 + 1, eq3, eq4, eq5, eq6]);
    let lower_eq3_eq6 = match (eq3, eq6) {
        // Two ways down; the higher one counts, and only if both exist.
        (0, 0) => lower([eq1, eq2, eq3, eq4, eq5, 1])
            .zip(lower([eq1, eq2, 1, eq4, eq5, eq6]))
            .map(|(left, right)| left.max(right)),
        (1, 0) => lower([eq1, eq2, eq3, eq4, eq5, 1]),
        _ => lower([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
    };
    let lower_eq4 = lower([eq1, eq2, eq3, eq4 + 1, eq5, eq6]);
    let lower_eq5 = lower([eq1, eq2, eq3, eq4, eq5 + 1, eq6]);

    // The first highest-severity vector of this MacroVector that the vector does not
    // exceed in any metric; like the reference, fall back to the last one tried.
    let mut distances = None;
    'search: for eq1_max in macrovector::EQ1_MAX[usize::from(eq1)] {
        for eq2_max in macrovector::EQ2_MAX[usize::from(eq2)] {
            for eq3_eq6_max in macrovector::eq3_eq6_max(eq3, eq6) {
                for eq4_max in macrovector::EQ4_MAX[usize::from(eq4)] {
                    let max = Ranks {
                        av: eq1_max[0],
                        pr: eq1_max[1],
                        ui: eq1_max[2],
                        ac: eq2_max[0],
                        at: eq2_max[1],
                        vc: eq3_eq6_max[0],
                        vi: eq3_eq6_max[1],
                        va: eq3_eq6_max[2],
                        cr: eq3_eq6_max[3],
                        ir: eq3_eq6_max[4],
                        ar: eq3_eq6_max[5],
                        sc: eq4_max[0],
                        si: eq4_max[1],
                        sa: eq4_max[2],
                        e: eq5,
                    };
                    let found = ranks.distances(&max);
                    let fits = found.all_non_negative();
                    distances = Some(found);
                    if fits {
                        break 'search;
                    }
                }
            }
        }
    }
    // Each EQ lists at least one highest-severity vector, so one was tried.
    let Some(d) = distances else {
        return 0.0;
    };

    // The mean, over the EQs that have a lower MacroVector, of the score distance to it
    // scaled by how deep into its MacroVector the vector sits.
    let step = 0.1;
    let mut sum = 0.0;
    let mut count = 0u8;
    let mut add = |lower: Option<f64>, distance: f64, depth: u8| {
        if let Some(lower) = lower {
            let available = value - lower;
            sum += available * (distance / (f64::from(depth) * step));
            count += 1;
        }
    };
    add(
        lower_eq1,
        d.av + d.pr + d.ui,
        macrovector::EQ1_DEPTH[usize::from(eq1)],
    );
    add(
        lower_eq2,
        d.ac + d.at,
        macrovector::EQ2_DEPTH[usize::from(eq2)],
    );
    add(
        lower_eq3_eq6,
        d.vc + d.vi + d.va + d.cr + d.ir + d.ar,
        macrovector::eq3_eq6_depth(eq3, eq6),
    );
    add(
        lower_eq4,
        d.sc + d.si + d.sa,
        macrovector::EQ4_DEPTH[usize::from(eq4)],
    );
    // EQ5 has a single value per level, so its proportion is always 0; it still counts
    // towards the mean when a lower level exists.
    add(lower_eq5, 0.0, 1);

    let mean = if count == 0 {
        0.0
    } else {
        sum / f64::from(count)
    };
    round_half_up((value - mean).clamp(0.0, 10.0))
}

/// The reference calculator's rounding to one decimal: a millionth is added first so
/// that 1.4499999999999993 (for 8.6 - 7.15) rounds as the 1.45 it stands for.
fn round_half_up(value: f64) -> f64 {
    ((value + 1e-6) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reachable_macrovector_has_a_score() {
        for eq1 in 0..3 {
            for eq2 in 0..2 {
                for eq3 in 0..3 {
                    for eq4 in 0..3 {
                        for eq5 in 0..3 {
                            for eq6 in 0..2 {
                                let reachable = !(eq3 == 2 && eq6 == 0);
                                let scored =
                                    macrovector::score([eq1, eq2, eq3, eq4, eq5, eq6]).is_some();
                                assert_eq!(reachable, scored, "{eq1}{eq2}{eq3}{eq4}{eq5}{eq6}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rounds_like_the_reference() {
        assert_eq!(round_half_up(8.6 - 7.15), 1.5);
        assert_eq!(round_half_up(4.25), 4.3);
        assert_eq!(round_half_up(4.945_833_333_333_333), 4.9);
    }
}

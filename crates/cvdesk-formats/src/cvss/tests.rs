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

//! Where a report came from. Today reports arrive through the form or the API, or are
//! filed by staff with an API token (a report received by phone or e-mail); the other
//! sources are for findings the organization makes itself or receives from others.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The public report form.
    Form,
    /// The public JSON API, without a staff token.
    Api,
    /// Filed by staff through the API with their token.
    Staff,
    /// Found inside the organization.
    Internal,
    Pentest,
    Scanner,
    Supplier,
    BugBounty,
    Other,
}

impl ReportSource {
    pub const ALL: [ReportSource; 9] = [
        ReportSource::Form,
        ReportSource::Api,
        ReportSource::Staff,
        ReportSource::Internal,
        ReportSource::Pentest,
        ReportSource::Scanner,
        ReportSource::Supplier,
        ReportSource::BugBounty,
        ReportSource::Other,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportSource::Form => "form",
            ReportSource::Api => "api",
            ReportSource::Staff => "staff",
            ReportSource::Internal => "internal",
            ReportSource::Pentest => "pentest",
            ReportSource::Scanner => "scanner",
            ReportSource::Supplier => "supplier",
            ReportSource::BugBounty => "bug_bounty",
            ReportSource::Other => "other",
        }
    }

    /// For people: "Report form", "Bug bounty".
    pub fn label(self) -> &'static str {
        match self {
            ReportSource::Form => "Report form",
            ReportSource::Api => "API",
            ReportSource::Staff => "Filed by staff",
            ReportSource::Internal => "Internal finding",
            ReportSource::Pentest => "Penetration test",
            ReportSource::Scanner => "Scanner",
            ReportSource::Supplier => "Supplier",
            ReportSource::BugBounty => "Bug bounty",
            ReportSource::Other => "Other",
        }
    }
}

impl fmt::Display for ReportSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a report source")]
pub struct UnknownSource(pub String);

impl FromStr for ReportSource {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportSource::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownSource(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for source in ReportSource::ALL {
            assert_eq!(source.as_str().parse(), Ok(source));
        }
        assert!("email".parse::<ReportSource>().is_err());
    }
}

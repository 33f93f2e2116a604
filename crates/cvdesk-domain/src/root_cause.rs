//! Why a vulnerability existed, in the broad categories clause 5.6 asks an organization to
//! learn from: a design flaw, a coding mistake, a setting, a component it depends on, or
//! how work was done.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    Design,
    Implementation,
    Configuration,
    Dependency,
    Process,
    Other,
}

impl RootCause {
    pub const ALL: [RootCause; 6] = [
        RootCause::Design,
        RootCause::Implementation,
        RootCause::Configuration,
        RootCause::Dependency,
        RootCause::Process,
        RootCause::Other,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RootCause::Design => "design",
            RootCause::Implementation => "implementation",
            RootCause::Configuration => "configuration",
            RootCause::Dependency => "dependency",
            RootCause::Process => "process",
            RootCause::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RootCause::Design => "Design",
            RootCause::Implementation => "Implementation",
            RootCause::Configuration => "Configuration",
            RootCause::Dependency => "Dependency",
            RootCause::Process => "Process",
            RootCause::Other => "Other",
        }
    }
}

impl fmt::Display for RootCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a root cause")]
pub struct UnknownRootCause(pub String);

impl FromStr for RootCause {
    type Err = UnknownRootCause;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RootCause::ALL
            .into_iter()
            .find(|cause| cause.as_str() == s)
            .ok_or_else(|| UnknownRootCause(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for cause in RootCause::ALL {
            assert_eq!(cause.as_str().parse(), Ok(cause));
        }
        assert!("luck".parse::<RootCause>().is_err());
    }
}

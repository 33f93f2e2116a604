//! Why a CVSS vector was refused, in words a person can act on.

use super::CvssVersion;

/// Longest piece of input echoed back in a message, so a pasted essay does not become the
/// error text.
const MAX_ECHO_CHARS: usize = 40;

/// A refused CVSS vector. `Display` gives the message for a person; [`CvssError::kind`]
/// gives the reason for code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct CvssError {
    kind: CvssErrorKind,
}

impl CvssError {
    pub fn kind(&self) -> &CvssErrorKind {
        &self.kind
    }
}

impl From<CvssErrorKind> for CvssError {
    fn from(kind: CvssErrorKind) -> Self {
        Self { kind }
    }
}

/// Every way a vector can break the grammar. Strings taken from the input are shortened
/// and escaped so the message stays printable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssErrorKind {
    #[error("the CVSS vector is empty")]
    Empty,
    #[error("a CVSS vector contains no spaces or other whitespace")]
    Whitespace,
    #[error(
        "unknown prefix '{0}': CVSS v3 and v4 vectors start with CVSS:3.0/, CVSS:3.1/ or \
         CVSS:4.0/, and CVSS v2 vectors have no prefix"
    )]
    UnknownPrefix(String),
    #[error(
        "unknown metric '{0}' in a CVSS v2.0 vector (CVSS v3 and v4 vectors start with a \
         prefix such as CVSS:3.1/ or CVSS:4.0/)"
    )]
    MissingPrefix(String),
    #[error("CVSS v2 vectors are written without parentheses, e.g. AV:N/AC:L/Au:N/C:P/I:P/A:P")]
    Parenthesized,
    #[error("empty metric: the vector has a stray '/'")]
    EmptyComponent,
    #[error("'{0}' is not a metric: expected METRIC:VALUE, e.g. AV:N")]
    MalformedComponent(String),
    #[error("unknown metric '{metric}' in a CVSS v{version} vector")]
    UnknownMetric {
        version: CvssVersion,
        metric: String,
    },
    #[error("metric {0} has no value")]
    MissingValue(&'static str),
    #[error("unknown value '{value}' for metric {metric}")]
    UnknownValue { metric: &'static str, value: String },
    #[error("metric {0} given twice")]
    Duplicate(&'static str),
    #[error("metric {0} missing")]
    Missing(&'static str),
    #[error("{earlier} must come before {later}")]
    OutOfOrder {
        earlier: &'static str,
        later: &'static str,
    },
}

/// `input` as it may appear inside a message: escaped, and cut after a few dozen characters.
pub(super) fn echo(input: &str) -> String {
    let mut shown: String = input
        .chars()
        .take(MAX_ECHO_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if input.chars().nth(MAX_ECHO_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_shortens_and_escapes() {
        assert_eq!(echo("AV"), "AV");
        assert_eq!(echo("a'\u{7}"), "a\\'\\u{7}");
        let long = "X".repeat(100);
        assert_eq!(echo(&long), format!("{}…", "X".repeat(MAX_ECHO_CHARS)));
    }
}

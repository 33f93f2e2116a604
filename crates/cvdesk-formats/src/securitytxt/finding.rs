//! Findings: what the linter tells a person about a security.txt file, one problem each.

use std::fmt;

use serde::Serialize;

/// An error makes the file invalid under RFC 9116; a warning is advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line number, or `None` for a problem of the whole file (e.g. a missing field).
    pub line: Option<usize>,
    /// The field concerned, spelled as RFC 9116 spells it (e.g. `Expires`).
    pub field: Option<String>,
    pub severity: Severity,
    /// A stable identifier of the rule, e.g. `no_contact`, for tests and tooling.
    pub code: &'static str,
    pub message: String,
}

impl Finding {
    pub(crate) fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            line: None,
            field: None,
            severity: Severity::Error,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub(crate) fn at(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub(crate) fn on(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// `line 3: Expires: error: …`, leaving out whichever of line and field is absent.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}: {}", self.severity, self.message)
    }
}

/// Everything the linter found, ordered by line (file-level findings last).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// A file is valid when nothing in it breaks RFC 9116; warnings do not count.
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Warning)
    }

    pub(crate) fn from_findings(mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|finding| (finding.line.unwrap_or(usize::MAX), finding.severity));
        Self { findings }
    }
}

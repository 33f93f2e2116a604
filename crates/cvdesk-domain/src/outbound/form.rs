//! The case form: items e–k of the policy's initial inquiry, read from what a person typed
//! into typed values, with one message per field that is wrong. Items a–d (the policy,
//! the deadlines, the researcher's contact and the wish to be credited) come from the
//! settings and the case's dates; the case may override the credit wish.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cvss::{Cvss, CvssVersion};
use serde::{Deserialize, Serialize};

/// Longest one-line value (title, product, type), in characters.
pub const SHORT_TEXT: usize = 200;
/// Longest free text (attack vector, technical details), in characters.
pub const LONG_TEXT: usize = 50_000;
/// Most tested versions listed.
pub const MAX_VERSIONS: usize = 50;

/// Who requests the CVE ID (item j), or the ID already assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CveRequest {
    /// The researcher requests it from a CVE Numbering Authority.
    Researcher,
    /// The vendor, as a CNA or through one, requests it.
    Vendor,
    /// No CVE ID is asked for.
    NotRequested,
    Assigned(CveId),
}

impl CveRequest {
    pub fn as_text(&self) -> String {
        match self {
            CveRequest::Researcher => "researcher".to_owned(),
            CveRequest::Vendor => "vendor".to_owned(),
            CveRequest::NotRequested => "not_requested".to_owned(),
            CveRequest::Assigned(id) => id.to_string(),
        }
    }

    /// The sentence of the inquiry.
    pub fn sentence(&self) -> String {
        match self {
            CveRequest::Researcher => {
                "We will request a CVE ID from MITRE (or the responsible CNA) and tell you the ID."
                    .to_owned()
            }
            CveRequest::Vendor => {
                "We ask you, as the vendor, to request the CVE ID and tell us the ID.".to_owned()
            }
            CveRequest::NotRequested => "No CVE ID will be requested.".to_owned(),
            CveRequest::Assigned(id) => format!("The CVE ID {id} is already assigned."),
        }
    }

    pub fn cve_id(&self) -> Option<&CveId> {
        match self {
            CveRequest::Assigned(id) => Some(id),
            _ => None,
        }
    }
}

impl FromStr for CveRequest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "researcher" => Ok(CveRequest::Researcher),
            "vendor" => Ok(CveRequest::Vendor),
            "not_requested" | "none" => Ok(CveRequest::NotRequested),
            other if other.starts_with("CVE-") => other
                .parse::<CveId>()
                .map(CveRequest::Assigned)
                .map_err(|error| error.to_string()),
            _ => Err(
                "say who requests the CVE ID: researcher, vendor or not_requested, or give the \
                 assigned ID (CVE-2026-12345)"
                    .to_owned(),
            ),
        }
    }
}

impl fmt::Display for CveRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

/// The case form as typed (a JSON body or a staff form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    #[serde(default, deserialize_with = "cvdesk_formats::json_number::optional_id")]
    pub vendor_id: Option<i64>,
    pub title: Option<String>,
    pub product: Option<String>,
    #[serde(default)]
    pub versions_tested: Vec<String>,
    pub vulnerability_type: Option<String>,
    pub severity: Option<String>,
    pub scoring_method: Option<String>,
    pub attack_vector: Option<String>,
    pub prerequisites: Option<String>,
    pub ease_of_exploitation: Option<String>,
    pub cve: Option<String>,
    pub credit: Option<bool>,
    pub technical_details: Option<String>,
    pub preset: Option<String>,
}

/// A checked case form.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseForm {
    pub title: String,
    /// Item e.
    pub product: String,
    pub versions_tested: Vec<String>,
    /// Item f: remote code execution, information disclosure…
    pub vulnerability_type: String,
    /// Item g: the vector, scored by the desk's calculator.
    pub severity: Cvss,
    /// How it was scored: what the researcher wrote, or the calculator the desk names.
    pub scoring_method: Option<String>,
    /// Item h.
    pub attack_vector: String,
    pub prerequisites: Option<String>,
    /// Item i.
    pub ease_of_exploitation: String,
    /// Item j.
    pub cve: CveRequest,
    /// Item d, when the case differs from the settings.
    pub credit: Option<bool>,
    /// Item k.
    pub technical_details: String,
}

/// Each wrong field's JSON name and what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FormErrors(pub BTreeMap<String, String>);

impl FormErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FormErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// A text value: trimmed, within `limit` characters, without control characters other
/// than line breaks and tabs (which only `multiline` text may hold). Blank is `None`.
pub fn text(
    errors: &mut FormErrors,
    field: &str,
    value: Option<&str>,
    limit: usize,
    multiline: bool,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > limit {
        errors.add(field, format!("at most {limit} characters"));
        return None;
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        errors.add(
            field,
            if multiline {
                "may not contain control characters"
            } else {
                "one line without control characters"
            },
        );
        return None;
    }
    Some(value.to_owned())
}

/// A text value that must be given.
pub fn required(
    errors: &mut FormErrors,
    field: &str,
    value: Option<&str>,
    limit: usize,
    multiline: bool,
) -> String {
    let blank = value.is_none_or(|v| v.trim().is_empty());
    let checked = text(errors, field, value, limit, multiline);
    if blank {
        errors.add(field, "required");
    }
    checked.unwrap_or_default()
}

impl CaseForm {
    pub fn parse(input: &CaseInput) -> Result<CaseForm, FormErrors> {
        let mut errors = FormErrors::default();
        let title = required(
            &mut errors,
            "title",
            input.title.as_deref(),
            SHORT_TEXT,
            false,
        );
        let product = required(
            &mut errors,
            "product",
            input.product.as_deref(),
            SHORT_TEXT,
            false,
        );
        let versions_tested = versions(&mut errors, &input.versions_tested);
        let vulnerability_type = required(
            &mut errors,
            "vulnerability_type",
            input.vulnerability_type.as_deref(),
            SHORT_TEXT,
            false,
        );
        let severity = match input.severity.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add(
                    "severity",
                    "required: a CVSS vector (v2.0, v3.0, v3.1 or v4.0) scoring the finding",
                );
                None
            }
            Some(vector) => match Cvss::parse(vector) {
                Ok(cvss) => Some(cvss),
                Err(error) => {
                    errors.add("severity", error.to_string());
                    None
                }
            },
        };
        let scoring_method = text(
            &mut errors,
            "scoring_method",
            input.scoring_method.as_deref(),
            SHORT_TEXT,
            false,
        );
        let attack_vector = required(
            &mut errors,
            "attack_vector",
            input.attack_vector.as_deref(),
            LONG_TEXT,
            true,
        );
        let prerequisites = text(
            &mut errors,
            "prerequisites",
            input.prerequisites.as_deref(),
            LONG_TEXT,
            true,
        );
        let ease_of_exploitation = required(
            &mut errors,
            "ease_of_exploitation",
            input.ease_of_exploitation.as_deref(),
            LONG_TEXT,
            true,
        );
        let cve = match input.cve.as_deref().map(str::trim) {
            None | Some("") => Some(CveRequest::Researcher),
            Some(text) => match text.parse::<CveRequest>() {
                Ok(cve) => Some(cve),
                Err(message) => {
                    errors.add("cve", message);
                    None
                }
            },
        };
        let technical_details = required(
            &mut errors,
            "technical_details",
            input.technical_details.as_deref(),
            LONG_TEXT,
            true,
        );
        match (severity, cve) {
            (Some(severity), Some(cve)) if errors.is_empty() => Ok(CaseForm {
                title,
                product,
                versions_tested,
                vulnerability_type,
                severity,
                scoring_method,
                attack_vector,
                prerequisites,
                ease_of_exploitation,
                cve,
                credit: input.credit,
                technical_details,
            }),
            _ => Err(errors),
        }
    }

    /// How the score was computed, as the inquiry states it (item g): the researcher's own
    /// words, else the calculator that gives the same score for the vector.
    pub fn scoring_method_text(&self) -> String {
        match &self.scoring_method {
            Some(method) => method.clone(),
            None => format!(
                "CVSS v{} base metrics, scored with the specification's formulas; the same \
                 vector in the public calculator: {}",
                self.severity.version().as_str(),
                calculator_url(&self.severity)
            ),
        }
    }
}

/// The public calculator that shows `cvss` (the policy names NVD's for v2 and v3).
pub fn calculator_url(cvss: &Cvss) -> String {
    let vector = cvss.to_string();
    match cvss.version() {
        CvssVersion::V2 => {
            format!("https://nvd.nist.gov/vuln-metrics/cvss/v2-calculator?vector=({vector})")
        }
        CvssVersion::V3_0 | CvssVersion::V3_1 => {
            let metrics = vector.split_once('/').map_or("", |(_, rest)| rest);
            let version = cvss.version().as_str();
            format!(
                "https://nvd.nist.gov/vuln-metrics/cvss/v3-calculator?vector={metrics}&version={version}"
            )
        }
        CvssVersion::V4_0 => format!("https://www.first.org/cvss/calculator/4.0#{vector}"),
    }
}

fn versions(errors: &mut FormErrors, given: &[String]) -> Vec<String> {
    let versions: Vec<String> = given
        .iter()
        .map(|version| version.trim().to_owned())
        .filter(|version| !version.is_empty())
        .collect();
    if versions.is_empty() {
        errors.add(
            "versions_tested",
            "required: the version or versions you tested (e.g. 4.2.1)",
        );
    } else if versions.len() > MAX_VERSIONS {
        errors.add(
            "versions_tested",
            format!("at most {MAX_VERSIONS} versions"),
        );
    } else if versions
        .iter()
        .any(|v| v.chars().count() > SHORT_TEXT || v.chars().any(char::is_control))
    {
        errors.add(
            "versions_tested",
            format!("each version is one line of at most {SHORT_TEXT} characters"),
        );
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> CaseInput {
        CaseInput {
            vendor_id: Some(1),
            title: Some("Remote code execution in the upload handler".into()),
            product: Some("Acme Router".into()),
            versions_tested: vec!["4.2.1".into(), " 4.3.0-beta ".into(), " ".into()],
            vulnerability_type: Some("Remote Code Execution".into()),
            severity: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            scoring_method: None,
            attack_vector: Some("An unauthenticated POST to /upload.".into()),
            prerequisites: Some("Network access to the admin interface.".into()),
            ease_of_exploitation: Some("Trivial: one request.".into()),
            cve: Some("researcher".into()),
            credit: None,
            technical_details: Some("The filename is passed to a shell.\n\nPoC: …".into()),
            preset: None,
        }
    }

    #[test]
    fn a_complete_form_is_read() {
        let form = CaseForm::parse(&complete()).expect("valid");
        assert_eq!(form.versions_tested, ["4.2.1", "4.3.0-beta"]);
        assert_eq!(form.cve, CveRequest::Researcher);
        assert!(form
            .scoring_method_text()
            .contains("v3-calculator?vector=AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H&version=3.1"));
    }

    #[test]
    fn every_wrong_field_is_named() {
        let input = CaseInput {
            title: Some("a\u{7}b".into()),
            severity: Some("CVSS:3.1/AV:N".into()),
            cve: Some("CVE-26-1".into()),
            versions_tested: vec![],
            ..CaseInput::default()
        };
        let errors = CaseForm::parse(&input).expect_err("refused");
        for field in [
            "title",
            "product",
            "versions_tested",
            "vulnerability_type",
            "severity",
            "attack_vector",
            "ease_of_exploitation",
            "cve",
            "technical_details",
        ] {
            assert!(errors.get(field).is_some(), "{field} in {errors:?}");
        }
        assert!(errors.get("severity").is_some_and(|m| m.contains("AC")));
        assert_eq!(errors.get("prerequisites"), None);
    }

    #[test]
    fn cve_requests() {
        assert_eq!("vendor".parse(), Ok(CveRequest::Vendor));
        assert_eq!("not_requested".parse(), Ok(CveRequest::NotRequested));
        let assigned: CveRequest = "CVE-2026-12345".parse().expect("id");
        assert_eq!(assigned.to_string(), "CVE-2026-12345");
        assert!("mitre".parse::<CveRequest>().is_err());
    }

    #[test]
    fn calculators_per_version() {
        let v2 = Cvss::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("v2");
        assert!(calculator_url(&v2).contains("v2-calculator?vector=(AV:N/AC:L/Au:N/C:P/I:P/A:P)"));
        let v4 = Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .expect("v4");
        assert!(
            calculator_url(&v4).starts_with("https://www.first.org/cvss/calculator/4.0#CVSS:4.0/")
        );
    }
}

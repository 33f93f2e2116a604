//! FIRST's JSON representation of a CVSS score (the `cvss-v2.0.json`, `cvss-v3.x.json`
//! and `cvss-v4.0.json` schemas), computed from a parsed [`Cvss`] so the scores in a
//! document always agree with its vector. CSAF embeds these objects as `cvss_v2` and
//! `cvss_v3`; CVE JSON 5 as `cvssV2_0`, `cvssV3_0`, `cvssV3_1` and `cvssV4_0`.
//!
//! Only the vector, the version and the scores are written: the per-metric properties
//! repeat the vector, and leaving them out means they can never contradict it.
//! Fields are declared in alphabetical order because CSAF wants sorted keys (test 6.2.13).

use serde::Serialize;

use crate::cvss::{Cvss, CvssVersion, Severity};

/// A CVSS v2.0 score object. v2.0 has no severity scale of its own, so none is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssV2Json {
    pub base_score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_score: Option<f64>,
    pub vector_string: String,
    pub version: &'static str,
}

/// A CVSS v3.0 or v3.1 score object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssV3Json {
    pub base_score: f64,
    pub base_severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_severity: Option<&'static str>,
    pub vector_string: String,
    pub version: &'static str,
}

/// A CVSS v4.0 score object. v4.0 has a single score; it is written as `baseScore`, the
/// one score property the CVE schema's v4.0 object has, whatever the vector's
/// nomenclature (CVSS-B, -BT, -BE or -BTE).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssV4Json {
    pub base_score: f64,
    pub base_severity: &'static str,
    pub vector_string: String,
    pub version: &'static str,
}

/// The score object of any version.
#[derive(Debug, Clone, PartialEq)]
pub enum CvssJson {
    V2(CvssV2Json),
    V3(CvssV3Json),
    V4(CvssV4Json),
}

impl CvssJson {
    pub fn from_cvss(cvss: &Cvss) -> CvssJson {
        let scores = cvss.scores();
        let vector_string = cvss.to_string();
        let version = cvss.version().as_str();
        match cvss.version() {
            CvssVersion::V2 => CvssJson::V2(CvssV2Json {
                base_score: scores.base,
                environmental_score: scores.environmental,
                temporal_score: scores.temporal,
                vector_string,
                version,
            }),
            CvssVersion::V3_0 | CvssVersion::V3_1 => CvssJson::V3(CvssV3Json {
                base_score: scores.base,
                base_severity: severity_v3(scores.base),
                environmental_score: scores.environmental,
                environmental_severity: scores.environmental.map(severity_v3),
                temporal_score: scores.temporal,
                temporal_severity: scores.temporal.map(severity_v3),
                vector_string,
                version,
            }),
            CvssVersion::V4_0 => CvssJson::V4(CvssV4Json {
                base_score: scores.score,
                base_severity: upper(scores.severity),
                vector_string,
                version,
            }),
        }
    }
}

/// The v3.x rating of one of a vector's scores (the parser rates only the most specific).
fn severity_v3(score: f64) -> &'static str {
    upper(Severity::of_score(score))
}

/// FIRST's JSON schemas spell severities in capitals.
fn upper(severity: Severity) -> &'static str {
    match severity {
        Severity::None => "NONE",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(vector: &str) -> String {
        let cvss = Cvss::parse(vector).expect("valid vector");
        match CvssJson::from_cvss(&cvss) {
            CvssJson::V2(object) => serde_json::to_string(&object),
            CvssJson::V3(object) => serde_json::to_string(&object),
            CvssJson::V4(object) => serde_json::to_string(&object),
        }
        .expect("serialises")
    }

    #[test]
    fn v3_base_only() {
        assert_eq!(
            json("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"),
            r#"{"baseScore":5.4,"baseSeverity":"MEDIUM","vectorString":"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N","version":"3.1"}"#
        );
    }

    #[test]
    fn v3_with_temporal_and_environmental_scores() {
        assert_eq!(
            json("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/CR:L/IR:L/AR:L"),
            r#"{"baseScore":9.8,"baseSeverity":"CRITICAL","environmentalScore":7.3,"environmentalSeverity":"HIGH","temporalScore":9.0,"temporalSeverity":"CRITICAL","vectorString":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/CR:L/IR:L/AR:L","version":"3.0"}"#
        );
    }

    #[test]
    fn v2_has_no_severity() {
        assert_eq!(
            json("AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            r#"{"baseScore":7.5,"vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","version":"2.0"}"#
        );
    }

    #[test]
    fn v4_writes_its_single_score() {
        assert_eq!(
            json("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"),
            r#"{"baseScore":5.1,"baseSeverity":"MEDIUM","vectorString":"CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N","version":"4.0"}"#
        );
    }

    #[test]
    fn zero_rates_none() {
        assert_eq!(severity_v3(0.0), "NONE");
        assert_eq!(severity_v3(3.9), "LOW");
        assert_eq!(severity_v3(9.0), "CRITICAL");
    }
}

//! CSAF 2.0: security advisories (profile `csaf_security_advisory`) and the files of a
//! trusted provider (`provider-metadata.json`, `index.txt`, `changes.csv`, the ROLIE
//! feed), with the rules the specification sets for names, paths and labels.

mod document;
mod provider;

pub use document::*;
pub use provider::*;

use crate::cvss::Cvss;
use crate::timestamp::Timestamp;
use crate::tlp::Tlp;

/// Where FIRST explains TLP; CSAF wants a URL beside the label.
pub const TLP_URL: &str = "https://www.first.org/tlp/";

/// The file name of a document (CSAF 2.0 §5.1): the tracking id in lower case, every run
/// of characters other than `+`, `-`, `a`–`z` and `0`–`9` replaced by one `_`, then
/// `.json`. `EXA-2026-0001` becomes `exa-2026-0001.json`.
pub fn file_name(tracking_id: &str) -> String {
    let mut name = String::with_capacity(tracking_id.len() + 5);
    let mut in_run = false;
    for c in tracking_id.chars().flat_map(char::to_lowercase) {
        if c == '+' || c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
            in_run = false;
        } else if !in_run {
            name.push('_');
            in_run = true;
        }
    }
    name.push_str(".json");
    name
}

/// A document's path inside its TLP folder (requirement 11): the UTC year of its initial
/// release, then its file name, e.g. `2026/exa-2026-0001.json`.
pub fn distribution_path(tracking_id: &str, initial_release_date: Timestamp) -> String {
    format!("{}/{}", initial_release_date.year(), file_name(tracking_id))
}

/// The CSAF 2.0 distribution for a TLP 2.0 label. CSAF 2.0 knows only TLP 1.0, so
/// `TLP:CLEAR` is written as `WHITE`, and `TLP:AMBER+STRICT` as `RED` (the nearest label
/// that does not widen the audience) with `TLP v2.0: TLP:AMBER+STRICT` in the text: the
/// convention CSAF 2.1's converter reads back. Every label is also named in the text so a
/// reader sees the TLP 2.0 label that was meant.
pub fn distribution_for(tlp: Tlp) -> Distribution {
    let label = match tlp {
        Tlp::Clear => TlpV1Label::White,
        Tlp::Green => TlpV1Label::Green,
        Tlp::Amber => TlpV1Label::Amber,
        Tlp::AmberStrict | Tlp::Red => TlpV1Label::Red,
    };
    Distribution {
        text: Some(format!("TLP v2.0: {tlp}")),
        tlp: TlpMarking {
            label,
            url: TLP_URL.to_owned(),
        },
    }
}

/// The TLP folder of a provider's directory for a label (`white/`, `green/`, …), named
/// after the CSAF 2.0 label the documents carry.
pub fn tlp_folder(tlp: Tlp) -> &'static str {
    match distribution_for(tlp).tlp.label {
        TlpV1Label::White => "white",
        TlpV1Label::Green => "green",
        TlpV1Label::Amber => "amber",
        TlpV1Label::Red => "red",
    }
}

/// CSAF 2.0 has no CVSS v4.0 score object. A v4.0 vector travels as an external reference
/// to FIRST's calculator with the vector in the fragment (which CSAF 2.1's converter turns
/// into a `cvss_v4` metric) and as a note a person can read.
pub fn cvss_v4_carriers(cvss: &Cvss) -> (Reference, Note) {
    let vector = cvss.to_string();
    let scores = cvss.scores();
    let reference = Reference {
        category: ReferenceCategory::External,
        summary: format!("CVSS v4.0 vector {vector}"),
        url: format!("https://www.first.org/cvss/calculator/4.0#{vector}"),
    };
    let note = Note {
        category: NoteCategory::Other,
        text: format!("{vector} (score {:.1}, {})", scores.score, scores.severity),
        title: Some("CVSS v4.0".to_owned()),
    };
    (reference, note)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn file_names_follow_section_5_1() {
        assert_eq!(file_name("EXA-2026-0001"), "exa-2026-0001.json");
        assert_eq!(file_name("CVD-SA-2026-0042"), "cvd-sa-2026-0042.json");
        assert_eq!(file_name("Example Corp: SA #1"), "example_corp_sa_1.json");
        assert_eq!(file_name("a+b--c"), "a+b--c.json");
        assert_eq!(file_name("Ünïcode/ID"), "_n_code_id.json");
    }

    #[test]
    fn paths_use_the_utc_year_of_the_first_release() {
        let first = Timestamp::from(datetime!(2027-01-01 00:30 +01:00));
        assert_eq!(
            distribution_path("EXA-2026-0001", first),
            "2026/exa-2026-0001.json"
        );
    }

    #[test]
    fn tlp_2_labels_map_to_csaf_2_0() {
        let label = |tlp| distribution_for(tlp).tlp.label;
        assert_eq!(label(Tlp::Clear), TlpV1Label::White);
        assert_eq!(label(Tlp::Green), TlpV1Label::Green);
        assert_eq!(label(Tlp::Amber), TlpV1Label::Amber);
        assert_eq!(label(Tlp::AmberStrict), TlpV1Label::Red);
        assert_eq!(label(Tlp::Red), TlpV1Label::Red);
        assert_eq!(
            distribution_for(Tlp::AmberStrict).text.as_deref(),
            Some("TLP v2.0: TLP:AMBER+STRICT")
        );
        assert_eq!(tlp_folder(Tlp::Clear), "white");
        assert_eq!(tlp_folder(Tlp::AmberStrict), "red");
    }

    #[test]
    fn cvss_v4_travels_as_reference_and_note() {
        let cvss = Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N")
            .expect("valid vector");
        let (reference, note) = cvss_v4_carriers(&cvss);
        assert_eq!(
            reference.url,
            "https://www.first.org/cvss/calculator/4.0#CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"
        );
        assert_eq!(
            note.text,
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N (score 5.1, medium)"
        );
    }
}

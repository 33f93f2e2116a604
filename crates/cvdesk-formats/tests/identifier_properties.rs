//! Properties of the TLP label, CVE ID and package URL parsers over arbitrary input.

use cvdesk_formats::csaf;
use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::purl::Purl;
use cvdesk_formats::tlp::Tlp;
use proptest::prelude::*;

proptest! {
    #[test]
    fn cve_ids_round_trip(year in 1999u16..=9999, sequence in 1u64..=9_999_999_999_999_999_999) {
        let id = CveId::new(year, sequence).ok_or_else(|| TestCaseError::fail("in range"))?;
        let text = id.to_string();
        prop_assert_eq!(text.parse::<CveId>(), Ok(id));
        // The CVE JSON schema's pattern.
        let digits = &text["CVE-YYYY-".len()..];
        prop_assert!(text.starts_with("CVE-") && (4..=19).contains(&digits.len()));
    }

    #[test]
    fn accepted_cve_ids_are_canonical(text in "(CVE|cve)-[0-9]{3,5}-[0-9]{0,21}|.{0,30}") {
        if let Ok(id) = text.parse::<CveId>() {
            prop_assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn accepted_tlp_labels_are_exact(text in "(TLP|tlp):(CLEAR|GREEN|AMBER|AMBER\\+STRICT|RED|WHITE| RED)|.{0,20}") {
        if let Ok(tlp) = text.parse::<Tlp>() {
            prop_assert_eq!(tlp.as_str(), text);
        }
    }

    #[test]
    fn purl_parsing_never_panics_and_keeps_the_text(text in "pkg:[a-z]{1,6}/[a-z%0-9/@.]{0,20}|.{0,30}") {
        if let Ok(purl) = text.parse::<Purl>() {
            prop_assert_eq!(purl.to_string(), text);
            prop_assert!(purl.without_version().starts_with("pkg:"));
        }
    }

    #[test]
    fn csaf_file_names_keep_to_the_allowed_characters(id in "\\PC{1,40}") {
        let name = csaf::file_name(&id);
        let stem = name.strip_suffix(".json").ok_or_else(|| TestCaseError::fail("suffix"))?;
        prop_assert!(stem.chars().all(|c| c == '+' || c == '-' || c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit()));
        prop_assert!(!stem.contains("__"));
        prop_assert_eq!(csaf::file_name(stem), name.clone());
    }
}

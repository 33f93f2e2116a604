//! Properties of CWE identifiers and catalogue search over arbitrary input.

use cvdesk_formats::cwe::{self, CweId};
use proptest::prelude::*;

proptest! {
    #[test]
    fn display_and_parse_round_trip(number in 1u32..1_000_000_000) {
        let id = CweId::new(number).ok_or_else(|| TestCaseError::fail("zero"))?;
        prop_assert_eq!(id.to_string().parse::<CweId>(), Ok(id));
        prop_assert_eq!(number.to_string().parse::<CweId>(), Ok(id));
        prop_assert_eq!(id.to_string().to_lowercase().parse::<CweId>(), Ok(id));
    }

    #[test]
    fn parsing_and_search_never_panic(text in ".{0,40}", limit in 0usize..50) {
        let _ = text.parse::<CweId>();
        let _ = cwe::parse_known(&text);
        let hits = cwe::search(&text, limit);
        prop_assert!(hits.len() <= limit);
    }

    #[test]
    fn every_catalogue_entry_is_found_by_its_id(index in 0usize..900) {
        let weakness = &cwe::all()[index % cwe::all().len()];
        prop_assert_eq!(cwe::lookup(weakness.id), Some(weakness));
        let hits = cwe::search(&weakness.id.to_string(), 1);
        prop_assert_eq!(hits.first().copied(), Some(weakness));
        prop_assert_eq!(cwe::parse_known(&weakness.id.to_string()), Ok(weakness));
    }
}

//! What a finder knows about a third party (ETSI clause 5.6.2): the component a report is
//! about when it is someone else's (its name, version and supplier), and any CVE IDs
//! already assigned to the vulnerability. All optional; a version or supplier needs the
//! component it belongs to, and each CVE ID is checked by its published syntax.

use cvdesk_formats::cve_id::CveId;

use crate::report_field::{Field, FieldErrors};

/// Trims a text field and checks it as the rest of the report's fields are checked: the
/// text kept (`None` when blank) or the message saying why it is refused.
pub(crate) type CleanText<'a> = dyn Fn(Field, Option<&str>) -> Result<Option<String>, String> + 'a;

/// Most CVE IDs one report names.
pub const MAX_KNOWN_CVES: usize = 20;

/// The third-party fields as typed; every one may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThirdPartyInput {
    pub component: Option<String>,
    pub version: Option<String>,
    pub supplier: Option<String>,
    /// One CVE ID per entry (a form's text is split with `split_cve_list`).
    pub known_cves: Vec<String>,
}

/// A third-party component named in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub version: Option<String>,
    pub supplier: Option<String>,
}

/// The checked third-party fields of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThirdParty {
    pub component: Option<Component>,
    /// In the order given, each once.
    pub known_cves: Vec<CveId>,
}

impl ThirdParty {
    pub fn is_empty(&self) -> bool {
        self.component.is_none() && self.known_cves.is_empty()
    }

    /// The known CVE IDs as one line, e.g. `CVE-2021-44228 CVE-2021-45046`.
    pub fn known_cves_text(&self) -> String {
        self.known_cves
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Checks `input`, naming each refused field in `errors`. `clean` trims a text field
    /// and checks its length and characters as the rest of the report's are checked (blank
    /// is `None`).
    pub(crate) fn parse(
        input: &ThirdPartyInput,
        errors: &mut FieldErrors,
        clean: &CleanText<'_>,
    ) -> ThirdParty {
        let mut text = |field: Field, value: &Option<String>| match clean(field, value.as_deref()) {
            Ok(value) => value,
            Err(message) => {
                errors.add(field, message);
                None
            }
        };
        let name = text(Field::ThirdPartyComponent, &input.component);
        let version = text(Field::ThirdPartyVersion, &input.version);
        let supplier = text(Field::ThirdPartySupplier, &input.supplier);
        if name.is_none() && (version.is_some() || supplier.is_some()) {
            errors.add(
                Field::ThirdPartyComponent,
                "Name the third-party component that the version or supplier belongs to.",
            );
        }
        let known_cves = parse_cves(&input.known_cves, errors);
        ThirdParty {
            component: name.map(|name| Component {
                name,
                version,
                supplier,
            }),
            known_cves,
        }
    }
}

/// The entries of a form's CVE list: separated by commas, semicolons or white space.
pub fn split_cve_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_cves(entries: &[String], errors: &mut FieldErrors) -> Vec<CveId> {
    let entries: Vec<&str> = entries
        .iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.len() > MAX_KNOWN_CVES {
        errors.add(
            Field::KnownCves,
            format!("Name at most {MAX_KNOWN_CVES} CVE IDs."),
        );
        return Vec::new();
    }
    let mut known: Vec<CveId> = Vec::new();
    for entry in entries {
        match entry.parse::<CveId>() {
            Ok(cve) if !known.contains(&cve) => known.push(cve),
            Ok(_) => {}
            Err(error) => {
                errors.add(Field::KnownCves, format!("{error}."));
                return Vec::new();
            }
        }
    }
    known
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &ThirdPartyInput) -> (ThirdParty, FieldErrors) {
        let mut errors = FieldErrors::default();
        let clean = |_: Field, value: Option<&str>| {
            Ok(value
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned))
        };
        let parsed = ThirdParty::parse(input, &mut errors, &clean);
        (parsed, errors)
    }

    #[test]
    fn nothing_given_is_empty() {
        let (parsed, errors) = parse(&ThirdPartyInput::default());
        assert!(parsed.is_empty());
        assert!(errors.is_empty());
    }

    #[test]
    fn a_component_with_its_version_supplier_and_known_cves() {
        let (parsed, errors) = parse(&ThirdPartyInput {
            component: Some("log4j-core".into()),
            version: Some("2.14.1".into()),
            supplier: Some("Apache Software Foundation".into()),
            known_cves: split_cve_list("CVE-2021-44228, CVE-2021-45046;CVE-2021-44228"),
        });
        assert!(errors.is_empty(), "{errors:?}");
        let component = parsed.component.as_ref().expect("component");
        assert_eq!(component.name, "log4j-core");
        assert_eq!(component.version.as_deref(), Some("2.14.1"));
        assert_eq!(parsed.known_cves_text(), "CVE-2021-44228 CVE-2021-45046");
    }

    #[test]
    fn each_refusal_names_its_field() {
        let table: [(ThirdPartyInput, Field, &str); 4] = [
            (
                ThirdPartyInput {
                    version: Some("1.0".into()),
                    ..ThirdPartyInput::default()
                },
                Field::ThirdPartyComponent,
                "Name the third-party component",
            ),
            (
                ThirdPartyInput {
                    supplier: Some("Acme".into()),
                    ..ThirdPartyInput::default()
                },
                Field::ThirdPartyComponent,
                "Name the third-party component",
            ),
            (
                ThirdPartyInput {
                    known_cves: vec!["CVE-21-1".into()],
                    ..ThirdPartyInput::default()
                },
                Field::KnownCves,
                "'CVE-21-1' is not a CVE ID",
            ),
            (
                ThirdPartyInput {
                    known_cves: (1..=21).map(|n| format!("CVE-2026-{n:04}")).collect(),
                    ..ThirdPartyInput::default()
                },
                Field::KnownCves,
                "at most 20",
            ),
        ];
        for (input, field, message) in table {
            let (_, errors) = parse(&input);
            assert!(
                errors.get(field).is_some_and(|m| m.contains(message)),
                "{input:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn lowercase_and_padded_ids_are_refused_not_guessed() {
        for entry in ["cve-2021-44228", "CVE-2021-044228"] {
            let (_, errors) = parse(&ThirdPartyInput {
                known_cves: vec![entry.into()],
                ..ThirdPartyInput::default()
            });
            assert!(errors.get(Field::KnownCves).is_some(), "{entry}");
        }
    }
}

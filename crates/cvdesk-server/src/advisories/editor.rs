//! The advisory editor as a plain HTML form: fixed fields, then numbered slots for
//! vulnerabilities (`v0_cwe`, …) and their products (`v0_p1_affected`, …); lists are one
//! item a line. Slots left blank are ignored, and the form can ask for one more slot of
//! either kind. The domain's field paths (`vulnerabilities[0].products[1].affected[2]`)
//! map onto the slot that holds them, so each message shows beside its field.

use std::collections::{BTreeMap, HashMap};

use cvdesk_domain::advisory::content::{ProductInput, SeverityInput, VulnerabilityInput};
use cvdesk_domain::advisory::AdvisoryInput;

/// Most slots the form offers of each kind, so a form cannot ask for unbounded work.
const MAX_SLOTS: usize = 50;

/// The form as sent, by field name (a repeated name keeps its last value).
pub type RawForm = HashMap<String, String>;

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn count(form: &RawForm, name: &str, at_least: usize) -> usize {
    form.get(name)
        .and_then(|text| text.trim().parse::<usize>().ok())
        .unwrap_or(at_least)
        .clamp(at_least, MAX_SLOTS)
}

/// The advisory the form describes, and how many slots to show again.
pub struct Editor {
    pub input: AdvisoryInput,
    /// Per vulnerability slot, its product slots.
    pub slots: Vec<usize>,
}

impl Editor {
    /// The editor for content as typed (or stored), with one empty product slot per
    /// vulnerability and one empty vulnerability slot to add to.
    pub fn of(input: AdvisoryInput) -> Editor {
        let mut slots: Vec<usize> = input
            .vulnerabilities
            .iter()
            .map(|vulnerability| vulnerability.products.len() + 1)
            .collect();
        if slots.is_empty() {
            slots.push(1);
        }
        Editor { input, slots }
    }

    /// Reads the form; `more` (`vulnerability` or `product:N`) adds a slot.
    pub fn read(form: &RawForm) -> Editor {
        let field = |name: &str| form.get(name).cloned().unwrap_or_default();
        let vulnerability_slots = count(form, "vulnerability_slots", 1);
        let mut slots = Vec::new();
        let mut vulnerabilities = Vec::new();
        for v in 0..vulnerability_slots {
            let product_slots = count(form, &format!("v{v}_product_slots"), 1);
            slots.push(product_slots);
            let mut products = Vec::new();
            for p in 0..product_slots {
                let at = |name: &str| form.get(&format!("v{v}_p{p}_{name}"));
                let product_id = at("product").and_then(|id| id.trim().parse::<i64>().ok());
                let product = ProductInput {
                    product_id,
                    name: optional(at("name")),
                    vendor: optional(at("vendor")),
                    purl: optional(at("purl")),
                    cpe: optional(at("cpe")),
                    affected: lines(at("affected").map_or("", String::as_str)),
                    fixed: lines(at("fixed").map_or("", String::as_str)),
                };
                if product != ProductInput::default() {
                    products.push(product);
                }
            }
            let at = |name: &str| form.get(&format!("v{v}_{name}"));
            let vulnerability = VulnerabilityInput {
                title: optional(at("title")),
                cwe: at("cwe").map(|t| t.trim().to_owned()).unwrap_or_default(),
                severity: SeverityInput::Many(lines(at("severity").map_or("", String::as_str))),
                cves: lines(&at("cves").map_or(String::new(), |t| t.replace(',', "\n"))),
                products,
                remediation: optional(at("remediation")),
                workaround: optional(at("workaround")),
            };
            let blank = vulnerability.title.is_none()
                && vulnerability.cwe.is_empty()
                && vulnerability.severity == SeverityInput::Many(Vec::new())
                && vulnerability.cves.is_empty()
                && vulnerability.products.is_empty()
                && vulnerability.remediation.is_none()
                && vulnerability.workaround.is_none();
            if !blank {
                vulnerabilities.push(vulnerability);
            }
        }
        match form.get("more").map(String::as_str) {
            Some("vulnerability") if slots.len() < MAX_SLOTS => slots.push(1),
            Some(other) => {
                if let Some(slot) = other
                    .strip_prefix("product:")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| slots.get_mut(n))
                {
                    *slot = (*slot + 1).min(MAX_SLOTS);
                }
            }
            None => {}
        }
        let input = AdvisoryInput {
            title: field("title"),
            summary: field("summary"),
            description: field("description"),
            impact: field("impact"),
            exploitability: optional(form.get("exploitability")),
            remediation: field("remediation"),
            tlp: field("tlp"),
            reports: lines(&field("reports")),
            vulnerabilities,
        };
        Editor { input, slots }
    }

    /// Whether the form asked for another slot rather than to save.
    pub fn wants_more(form: &RawForm) -> bool {
        form.contains_key("more")
    }
}

/// The form field that shows a message for a domain field path.
pub fn form_field(path: &str) -> String {
    let mut name = path
        .replace("vulnerabilities[", "v")
        .replace("].products[", "_p")
        .replace("].", "_");
    // `…affected[2]` and `reports[1]` show beside their list.
    if let Some(open) = name.find('[') {
        name.truncate(open);
    }
    if let Some(stripped) = name.strip_suffix(']') {
        name = stripped.to_owned();
    }
    name
}

/// Messages by form field; several for one field are joined.
pub fn form_errors(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    for (path, message) in fields {
        let field = form_field(path);
        let entry = errors.entry(field).or_default();
        if !entry.is_empty() {
            entry.push_str("; ");
        }
        entry.push_str(message);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RawForm {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn slots_become_vulnerabilities_and_blank_ones_are_ignored() {
        let editor = Editor::read(&form(&[
            ("title", "XSS"),
            ("reports", "CVD-2026-0001\n\nCVD-2026-0002\n"),
            ("vulnerability_slots", "2"),
            ("v0_product_slots", "2"),
            ("v0_cwe", "CWE-79"),
            (
                "v0_severity",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\n",
            ),
            ("v0_cves", "CVE-2026-1000, CVE-2026-1001"),
            ("v0_p0_product", "3"),
            ("v0_p0_affected", "< 4.2.1\n4.0.0"),
            ("v0_p0_fixed", "4.2.1"),
            ("v0_p1_name", ""),
            ("v1_product_slots", "1"),
            ("more", "product:0"),
        ]));
        assert_eq!(editor.input.reports, ["CVD-2026-0001", "CVD-2026-0002"]);
        assert_eq!(editor.input.vulnerabilities.len(), 1);
        let vulnerability = &editor.input.vulnerabilities[0];
        assert_eq!(vulnerability.cves, ["CVE-2026-1000", "CVE-2026-1001"]);
        assert_eq!(vulnerability.products.len(), 1);
        assert_eq!(vulnerability.products[0].product_id, Some(3));
        assert_eq!(vulnerability.products[0].affected, ["< 4.2.1", "4.0.0"]);
        assert_eq!(editor.slots, [3, 1]);
    }

    #[test]
    fn slot_counts_are_bounded() {
        let editor = Editor::read(&form(&[("vulnerability_slots", "100000")]));
        assert_eq!(editor.slots.len(), MAX_SLOTS);
    }

    #[test]
    fn domain_paths_land_on_their_form_fields() {
        assert_eq!(form_field("title"), "title");
        assert_eq!(form_field("reports[1]"), "reports");
        assert_eq!(form_field("vulnerabilities[0].cwe"), "v0_cwe");
        assert_eq!(form_field("vulnerabilities[2].cves[1]"), "v2_cves");
        assert_eq!(
            form_field("vulnerabilities[0].products[1].affected[2]"),
            "v0_p1_affected"
        );
        assert_eq!(form_field("vulnerabilities[0].products"), "v0_products");
        let errors = form_errors(&BTreeMap::from([
            ("reports[0]".to_owned(), "a".to_owned()),
            ("reports[1]".to_owned(), "b".to_owned()),
        ]));
        assert_eq!(errors["reports"], "a; b");
    }
}

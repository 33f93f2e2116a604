//! What changed between two revisions, field by field, in words a reader can follow:
//! text fields as a word diff (via `similar`), other fields as before and after.
//! Vulnerabilities and products are matched by position, as the editor keeps them.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::content::{AdvisoryContent, AffectedProduct, Vulnerability};
use super::credit::PublishedCredit;
use super::revision::Revision;
use crate::coordination::VendorPosition;

/// One changed field, e.g. `vulnerabilities[0].severity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A text that was edited: the words kept, removed and added, in order.
    Text {
        segments: Vec<Segment>,
    },
    /// A value that was replaced.
    Value {
        before: String,
        after: String,
    },
    Added {
        value: String,
    },
    Removed {
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub tag: SegmentTag,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentTag {
    Kept,
    Removed,
    Added,
}

/// The changes from `old` to `new`; empty when they say the same.
pub fn diff(old: &Revision, new: &Revision) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    diff_content(&mut changes, old.content(), new.content());
    value(
        &mut changes,
        "credits",
        &credits_text(old.credits()),
        &credits_text(new.credits()),
    );
    changes
}

fn diff_content(changes: &mut Vec<FieldChange>, old: &AdvisoryContent, new: &AdvisoryContent) {
    text(changes, "title", &old.title, &new.title);
    text(changes, "summary", &old.summary, &new.summary);
    text(changes, "description", &old.description, &new.description);
    text(changes, "impact", &old.impact, &new.impact);
    optional_text(
        changes,
        "exploitability",
        old.exploitability.as_deref(),
        new.exploitability.as_deref(),
    );
    text(changes, "remediation", &old.remediation, &new.remediation);
    value(changes, "tlp", old.tlp.as_str(), new.tlp.as_str());
    value(
        changes,
        "vendors",
        &vendors_text(&old.vendors),
        &vendors_text(&new.vendors),
    );
    let count = old.vulnerabilities.len().max(new.vulnerabilities.len());
    for index in 0..count {
        let field = format!("vulnerabilities[{index}]");
        match (
            old.vulnerabilities.get(index),
            new.vulnerabilities.get(index),
        ) {
            (Some(old), Some(new)) => diff_vulnerability(changes, &field, old, new),
            (None, Some(new)) => changes.push(FieldChange {
                field,
                change: Change::Added {
                    value: vulnerability_text(new),
                },
            }),
            (Some(old), None) => changes.push(FieldChange {
                field,
                change: Change::Removed {
                    value: vulnerability_text(old),
                },
            }),
            (None, None) => {}
        }
    }
}

fn diff_vulnerability(
    changes: &mut Vec<FieldChange>,
    path: &str,
    old: &Vulnerability,
    new: &Vulnerability,
) {
    optional_text(
        changes,
        &format!("{path}.title"),
        old.title.as_deref(),
        new.title.as_deref(),
    );
    value(
        changes,
        &format!("{path}.cwe"),
        &old.cwe.to_string(),
        &new.cwe.to_string(),
    );
    let join = |items: Vec<String>| items.join(", ");
    value(
        changes,
        &format!("{path}.severity"),
        &join(old.scores.iter().map(ToString::to_string).collect()),
        &join(new.scores.iter().map(ToString::to_string).collect()),
    );
    value(
        changes,
        &format!("{path}.cves"),
        &join(old.cves.iter().map(ToString::to_string).collect()),
        &join(new.cves.iter().map(ToString::to_string).collect()),
    );
    optional_text(
        changes,
        &format!("{path}.remediation"),
        old.remediation.as_deref(),
        new.remediation.as_deref(),
    );
    optional_text(
        changes,
        &format!("{path}.workaround"),
        old.workaround.as_deref(),
        new.workaround.as_deref(),
    );
    let count = old.products.len().max(new.products.len());
    for index in 0..count {
        let field = format!("{path}.products[{index}]");
        match (old.products.get(index), new.products.get(index)) {
            (Some(old), Some(new)) => {
                value(changes, &field, &product_text(old), &product_text(new))
            }
            (None, Some(new)) => changes.push(FieldChange {
                field,
                change: Change::Added {
                    value: product_text(new),
                },
            }),
            (Some(old), None) => changes.push(FieldChange {
                field,
                change: Change::Removed {
                    value: product_text(old),
                },
            }),
            (None, None) => {}
        }
    }
}

fn text(changes: &mut Vec<FieldChange>, field: &str, old: &str, new: &str) {
    if old == new {
        return;
    }
    let diff = TextDiff::from_words(old, new);
    let mut segments: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let tag = match change.tag() {
            ChangeTag::Equal => SegmentTag::Kept,
            ChangeTag::Delete => SegmentTag::Removed,
            ChangeTag::Insert => SegmentTag::Added,
        };
        // Runs of the same kind become one segment, so a reader sees phrases, not words.
        match segments.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(change.value()),
            _ => segments.push(Segment {
                tag,
                text: change.value().to_owned(),
            }),
        }
    }
    changes.push(FieldChange {
        field: field.to_owned(),
        change: Change::Text { segments },
    });
}

fn optional_text(
    changes: &mut Vec<FieldChange>,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) {
    match (old, new) {
        (Some(old), Some(new)) => text(changes, field, old, new),
        (None, Some(new)) => changes.push(FieldChange {
            field: field.to_owned(),
            change: Change::Added {
                value: new.to_owned(),
            },
        }),
        (Some(old), None) => changes.push(FieldChange {
            field: field.to_owned(),
            change: Change::Removed {
                value: old.to_owned(),
            },
        }),
        (None, None) => {}
    }
}

fn value(changes: &mut Vec<FieldChange>, field: &str, old: &str, new: &str) {
    if old == new {
        return;
    }
    let change = match (old.is_empty(), new.is_empty()) {
        (true, false) => Change::Added {
            value: new.to_owned(),
        },
        (false, true) => Change::Removed {
            value: old.to_owned(),
        },
        _ => Change::Value {
            before: old.to_owned(),
            after: new.to_owned(),
        },
    };
    changes.push(FieldChange {
        field: field.to_owned(),
        change,
    });
}

fn credits_text(credits: &[PublishedCredit]) -> String {
    credits
        .iter()
        .map(|credit| format!("{} ({})", credit.display(), credit.role.label()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "Acme: Acknowledged (Router: Affected) · Globex: Unresponsive".
fn vendors_text(vendors: &[VendorPosition]) -> String {
    vendors
        .iter()
        .map(|position| {
            let products: Vec<String> = position
                .products
                .iter()
                .map(|status| format!("{}: {}", status.product, status.summary()))
                .collect();
            if products.is_empty() {
                format!("{}: {}", position.vendor, position.contact.label())
            } else {
                format!(
                    "{}: {} ({})",
                    position.vendor,
                    position.contact.label(),
                    products.join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn product_text(product: &AffectedProduct) -> String {
    let vendor = product
        .vendor
        .as_deref()
        .map(|v| format!("{v} "))
        .unwrap_or_default();
    let affected: Vec<String> = product.affected.iter().map(ToString::to_string).collect();
    let mut text = format!("{vendor}{}: affected {}", product.name, affected.join("; "));
    if !product.fixed.is_empty() {
        text.push_str(&format!("; fixed in {}", product.fixed.join(", ")));
    }
    text
}

fn vulnerability_text(vulnerability: &Vulnerability) -> String {
    let products: Vec<String> = vulnerability.products.iter().map(product_text).collect();
    let title = vulnerability
        .title
        .as_deref()
        .map(|t| format!("{t}: "))
        .unwrap_or_default();
    format!("{title}{} in {}", vulnerability.cwe, products.join(" / "))
}

impl std::fmt::Display for FieldChange {
    /// A plain-text line per change, for mail and logs: `title: "old" → "new"`, with a text
    /// change shown as `[-removed-]{+added+}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.field)?;
        match &self.change {
            Change::Text { segments } => {
                for segment in segments {
                    match segment.tag {
                        SegmentTag::Kept => f.write_str(&segment.text)?,
                        SegmentTag::Removed => write!(f, "[-{}-]", segment.text)?,
                        SegmentTag::Added => write!(f, "{{+{}+}}", segment.text)?,
                    }
                }
                Ok(())
            }
            Change::Value { before, after } => write!(f, "{before} → {after}"),
            Change::Added { value } => write!(f, "added {value}"),
            Change::Removed { value } => write!(f, "removed {value}"),
        }
    }
}

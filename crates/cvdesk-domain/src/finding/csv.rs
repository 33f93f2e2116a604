//! Findings from a CSV table with a header row naming its columns. The columns:
//!
//! | column | required | what |
//! |---|---|---|
//! | `source` | yes | `internal`, `pentest`, `scanner`, `supplier`, `bug_bounty` or `other` |
//! | `title`, `summary`, `steps_to_reproduce`, `impact` | yes | as on the report form |
//! | `asset`, `weakness`, `severity`, `mitigation` | no | as on the report form (a CWE, a CVSS vector) |
//! | `product` | no | the product's number |
//! | `external_id` | no | the finding's id where it came from; a row whose source and id were imported before is not imported again |
//!
//! Columns may come in any order; an unknown or repeated column is refused.

use crate::draft::TextLimits;
use crate::report_source::ReportSource;
use crate::staff::ProductId;
use crate::{ReportDraft, ReportInput};

use super::table::{read_table, Record};
use super::{
    field_problems, finding_source, first_of_each, Finding, Fingerprint, ImportProblem,
    ImportProblems,
};

/// The columns a table may have, and whether it must.
pub const CSV_COLUMNS: [(&str, bool); 11] = [
    ("source", true),
    ("title", true),
    ("summary", true),
    ("steps_to_reproduce", true),
    ("impact", true),
    ("asset", false),
    ("weakness", false),
    ("severity", false),
    ("mitigation", false),
    ("product", false),
    ("external_id", false),
];

/// Rows after the header one import takes at most.
pub const MAX_ROWS: usize = 5_000;

/// The findings of every row, or every problem of every row (nothing is imported then).
pub fn from_csv(text: &str, limits: TextLimits) -> Result<Vec<Finding>, ImportProblems> {
    let records = read_table(text).map_err(|problem| vec![problem])?;
    let Some((header, rows)) = records.split_first() else {
        return Err(vec![whole_file(
            "the file is empty; the first row names the columns",
        )]);
    };
    let columns = read_header(header)?;
    if rows.len() > MAX_ROWS {
        return Err(vec![whole_file(&format!(
            "{} rows; one import takes at most {MAX_ROWS}",
            rows.len()
        ))]);
    }
    let mut findings = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for record in rows {
        match read_row(&columns, record, limits) {
            Ok(finding) => findings.push(finding),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(first_of_each(findings))
    } else {
        Err(problems)
    }
}

fn whole_file(message: &str) -> ImportProblem {
    ImportProblem {
        place: String::new(),
        message: message.to_owned(),
    }
}

/// The column names in the header's order.
fn read_header(header: &Record) -> Result<Vec<&'static str>, ImportProblems> {
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    let at = |message: String| ImportProblem {
        place: format!("row {}", header.row),
        message,
    };
    for name in &header.fields {
        let name = name.trim();
        match CSV_COLUMNS.iter().find(|(known, _)| *known == name) {
            Some((known, _)) if columns.contains(known) => {
                problems.push(at(format!("the column '{name}' is named twice")));
            }
            Some((known, _)) => columns.push(*known),
            None => problems.push(at(format!(
                "'{name}' is not a column; the columns are {}",
                CSV_COLUMNS.map(|(name, _)| name).join(", ")
            ))),
        }
    }
    for (name, required) in CSV_COLUMNS {
        if required && !columns.contains(&name) {
            problems.push(at(format!("the column '{name}' is missing")));
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

fn read_row(
    columns: &[&'static str],
    record: &Record,
    limits: TextLimits,
) -> Result<Finding, ImportProblems> {
    let place = format!("row {}", record.row);
    if record.fields.len() != columns.len() {
        return Err(vec![ImportProblem {
            place,
            message: format!(
                "{} fields; the header names {} columns",
                record.fields.len(),
                columns.len()
            ),
        }]);
    }
    let value = |name: &str| {
        columns
            .iter()
            .position(|column| *column == name)
            .map(|index| record.fields[index].clone())
            .filter(|value| !value.trim().is_empty())
    };
    let mut problems = Vec::new();
    let source = match finding_source(&value("source").unwrap_or_default()) {
        Ok(source) => Some(source),
        Err(message) => {
            problems.push(ImportProblem {
                place: place.clone(),
                message: format!("source: {message}"),
            });
            None
        }
    };
    let product = match value("product") {
        None => None,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(number) if number > 0 => Some(ProductId(number)),
            _ => {
                problems.push(ImportProblem {
                    place: place.clone(),
                    message: format!("product: '{}' is not a product number", text.trim()),
                });
                None
            }
        },
    };
    let input = ReportInput {
        asset: value("asset"),
        weakness: value("weakness"),
        severity: value("severity"),
        title: value("title"),
        summary: value("summary"),
        steps_to_reproduce: value("steps_to_reproduce"),
        impact: value("impact"),
        mitigation: value("mitigation"),
        ..ReportInput::default()
    };
    let draft = ReportDraft::parse(&input, limits)
        .map_err(|errors| problems.extend(field_problems(&place, &errors)))
        .ok();
    match (source, draft) {
        (Some(source), Some(draft)) if problems.is_empty() => Ok(Finding {
            fingerprint: value("external_id").map(|id| identity(source, id.trim())),
            source,
            draft,
            product,
            origin: place,
        }),
        _ => Err(problems),
    }
}

fn identity(source: ReportSource, external_id: &str) -> Fingerprint {
    Fingerprint::of(&format!("csv\n{source}\n{external_id}"))
}

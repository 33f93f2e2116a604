//! Findings from a scanner's SARIF log: one per failing result, filed as a `scanner`
//! finding of the product the import names. The scanner's words become the report's
//! texts; its CWE tag, when the catalogue knows it, the weakness; the result's identity
//! (scanner, rule, place) the fingerprint, so a log imported again adds nothing.

use cvdesk_formats::cwe;
use cvdesk_formats::sarif::{self, SarifResult};

use crate::draft::TextLimits;
use crate::report_source::ReportSource;
use crate::staff::ProductId;
use crate::{ReportDraft, ReportInput};

use super::{field_problems, first_of_each, Finding, Fingerprint, ImportProblem, ImportProblems};

/// The findings of a log and how many of its results were left out (not failures,
/// suppressed, or the same rule and place again).
#[derive(Debug, Clone, PartialEq)]
pub struct SarifFindings {
    pub findings: Vec<Finding>,
    pub left_out: usize,
}

pub fn from_sarif(
    text: &str,
    product: Option<ProductId>,
    limits: TextLimits,
) -> Result<SarifFindings, ImportProblems> {
    let log = sarif::read(text).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| ImportProblem {
                place: problem.pointer,
                message: problem.message,
            })
            .collect::<Vec<_>>()
    })?;
    let mut findings = Vec::with_capacity(log.results.len());
    let mut problems = Vec::new();
    for result in &log.results {
        let input = report_input(result, limits);
        match ReportDraft::parse(&input, limits) {
            Ok(draft) => findings.push(Finding {
                source: ReportSource::Scanner,
                draft,
                product,
                fingerprint: Some(Fingerprint::of(&result.identity())),
                origin: result.pointer.clone(),
            }),
            Err(errors) => problems.extend(field_problems(&result.pointer, &errors)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let read = findings.len();
    let findings = first_of_each(findings);
    Ok(SarifFindings {
        left_out: log.skipped + (read - findings.len()),
        findings,
    })
}

/// The report a result reads as, in the report form's fields.
fn report_input(result: &SarifResult, limits: TextLimits) -> ReportInput {
    let place = result
        .location
        .as_ref()
        .map(|location| location.display())
        .unwrap_or_else(|| "no file named".to_owned());
    let what = result
        .rule_name
        .clone()
        .unwrap_or_else(|| first_line(&result.message));
    let title = cut(
        &format!("{}: {what} ({place})", result.rule_id),
        limits.short,
    );
    let mut steps = format!(
        "{} reported rule {}{} at {place}.",
        tool_name(result),
        result.rule_id,
        result
            .rule_name
            .as_ref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default()
    );
    if let Some(help) = &result.help_uri {
        steps.push_str(&format!("\nThe rule is explained at {help}"));
    }
    ReportInput {
        asset: result
            .location
            .as_ref()
            .map(|location| cut(&location.uri, limits.short)),
        weakness: known_weakness(result),
        title: Some(title),
        summary: Some(cut(&result.message, limits.long)),
        steps_to_reproduce: Some(steps),
        impact: Some(format!(
            "Not yet assessed; the scanner rates the result '{}'.",
            result.level.as_str()
        )),
        ..ReportInput::default()
    }
}

fn tool_name(result: &SarifResult) -> &str {
    if result.tool.is_empty() {
        "The scanner"
    } else {
        &result.tool
    }
}

/// The first CWE the result's tags name that the catalogue knows; an unknown number
/// is left for triage rather than refusing the result.
fn known_weakness(result: &SarifResult) -> Option<String> {
    result
        .cwe_numbers()
        .into_iter()
        .map(|number| format!("CWE-{number}"))
        .find(|id| cwe::parse_known(id).is_ok())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// `text` within `max_chars`, ending in an ellipsis when cut.
fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max_chars => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

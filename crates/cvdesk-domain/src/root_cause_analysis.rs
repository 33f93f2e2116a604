//! A report's root cause analysis (ETSI 5.6.1, "analyse the root cause"): the broad
//! category it falls in, the analysis in words, and the lessons learned, so the same
//! kind of vulnerability is not made again. Any part may stay empty until it is known.

use crate::root_cause::RootCause;

/// The longest analysis or lessons text, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootCauseAnalysis {
    pub category: Option<RootCause>,
    pub detail: Option<String>,
    pub lessons_learned: Option<String>,
}

/// The analysis as typed, every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootCauseInput {
    pub category: Option<String>,
    pub detail: Option<String>,
    pub lessons_learned: Option<String>,
}

/// A refused part of the analysis, by its field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCauseProblem {
    pub field: &'static str,
    pub message: String,
}

impl RootCauseAnalysis {
    /// Reads `input`; blank parts are empty. Every refused part is named at once.
    pub fn parse(input: &RootCauseInput) -> Result<Self, Vec<RootCauseProblem>> {
        let mut problems = Vec::new();
        let category = match input.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => match name.parse::<RootCause>() {
                Ok(category) => Some(category),
                Err(_) => {
                    let names: Vec<&str> = RootCause::ALL.iter().map(|c| c.as_str()).collect();
                    problems.push(RootCauseProblem {
                        field: "category",
                        message: format!(
                            "'{name}' is not a root cause category; use one of {}",
                            names.join(", ")
                        ),
                    });
                    None
                }
            },
        };
        let mut text = |field: &'static str, value: &Option<String>| {
            clean(value.as_deref()).unwrap_or_else(|message| {
                problems.push(RootCauseProblem { field, message });
                None
            })
        };
        let detail = text("detail", &input.detail);
        let lessons_learned = text("lessons_learned", &input.lessons_learned);
        if problems.is_empty() {
            Ok(RootCauseAnalysis {
                category,
                detail,
                lessons_learned,
            })
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &RootCauseAnalysis::default()
    }
}

fn clean(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = value.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("This contains control characters; please remove them.".to_owned());
    }
    let length = text.chars().count();
    if length > MAX_TEXT_CHARS {
        return Err(format!(
            "This is {length} characters long; the limit is {MAX_TEXT_CHARS}."
        ));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(category: &str, detail: &str, lessons: &str) -> RootCauseInput {
        RootCauseInput {
            category: Some(category.to_owned()),
            detail: Some(detail.to_owned()),
            lessons_learned: Some(lessons.to_owned()),
        }
    }

    #[test]
    fn reads_each_part_and_leaves_blank_ones_empty() {
        let cases: [(RootCauseInput, Result<RootCauseAnalysis, Vec<&str>>); 5] = [
            (
                input(
                    "implementation",
                    " Query built by concatenation \r\n",
                    "Use binds",
                ),
                Ok(RootCauseAnalysis {
                    category: Some(RootCause::Implementation),
                    detail: Some("Query built by concatenation".to_owned()),
                    lessons_learned: Some("Use binds".to_owned()),
                }),
            ),
            (input(" ", "", "  "), Ok(RootCauseAnalysis::default())),
            (RootCauseInput::default(), Ok(RootCauseAnalysis::default())),
            (
                input("luck", "a\u{0}b", "ok"),
                Err(vec!["category", "detail"]),
            ),
            (
                input("design", "ok", &"x".repeat(MAX_TEXT_CHARS + 1)),
                Err(vec!["lessons_learned"]),
            ),
        ];
        for (given, expected) in cases {
            let read = RootCauseAnalysis::parse(&given)
                .map_err(|problems| problems.iter().map(|p| p.field).collect::<Vec<_>>());
            assert_eq!(read, expected, "{given:?}");
        }
    }

    #[test]
    fn an_unknown_category_names_the_known_ones() {
        let problems = RootCauseAnalysis::parse(&input("luck", "", "")).expect_err("unknown");
        assert!(
            problems[0].message.contains("design, implementation"),
            "{problems:?}"
        );
    }
}

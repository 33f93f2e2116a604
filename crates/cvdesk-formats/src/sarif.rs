//! SARIF 2.1.0 logs, the format scanners write their results in, read into the results a
//! desk can file: one per failing result, with its rule, the place it points at and the
//! scanner's own words. A log is first checked against OASIS's published schema
//! (compiled in, so nothing is fetched), then read; every refusal names where in the log
//! it is, as a JSON pointer (`/runs/0/results/3/message`).

mod schema;

use serde_json::{Map, Value};

/// More results than this in one log are refused: a log that large is better cut by
/// rule or folder first than triaged as one import.
pub const MAX_RESULTS: usize = 5_000;

/// Refusals reported at most, so a badly broken log gives a readable answer.
pub const MAX_PROBLEMS: usize = 50;

/// What a scanner says of a result's importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "none" => Some(Level::None),
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// The file and place a result points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub uri: String,
    pub start_line: Option<u64>,
    pub start_column: Option<u64>,
}

impl Location {
    /// `src/app.py:12:5`, `src/app.py:12` or `src/app.py`.
    pub fn display(&self) -> String {
        match (self.start_line, self.start_column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.uri),
            (Some(line), None) => format!("{}:{line}", self.uri),
            _ => self.uri.clone(),
        }
    }
}

/// One failing result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifResult {
    /// Where in the log it is, as a JSON pointer.
    pub pointer: String,
    /// The scanner (`run.tool.driver.name`).
    pub tool: String,
    pub rule_id: String,
    /// The rule's short description or name, when the log gives one.
    pub rule_name: Option<String>,
    pub level: Level,
    pub message: String,
    /// The first location, when the result has one with a file.
    pub location: Option<Location>,
    /// Where the rule is explained.
    pub help_uri: Option<String>,
    /// The rule's and the result's tags (`external/cwe/cwe-89`, `security`).
    pub tags: Vec<String>,
}

impl SarifResult {
    /// What makes two results the same finding: the scanner, the rule and the place.
    /// Importing a log again, or a later log that still has the result, finds it by this.
    pub fn identity(&self) -> String {
        let (uri, line, column) = match &self.location {
            Some(location) => (
                location.uri.as_str(),
                location.start_line.unwrap_or(0),
                location.start_column.unwrap_or(0),
            ),
            None => ("", 0, 0),
        };
        format!(
            "sarif\n{}\n{}\n{uri}\n{line}\n{column}",
            self.tool, self.rule_id
        )
    }

    /// CWE numbers the tags name, in the two spellings scanners use
    /// (`external/cwe/cwe-89`, `CWE-89`).
    pub fn cwe_numbers(&self) -> Vec<u32> {
        let mut numbers = Vec::new();
        for tag in &self.tags {
            let lower = tag.to_ascii_lowercase();
            let digits = lower
                .strip_prefix("external/cwe/cwe-")
                .or_else(|| lower.strip_prefix("cwe-"));
            if let Some(number) = digits.and_then(|digits| digits.parse::<u32>().ok()) {
                if !numbers.contains(&number) {
                    numbers.push(number);
                }
            }
        }
        numbers
    }
}

/// A log read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifLog {
    pub results: Vec<SarifResult>,
    /// Results left out because they are not failures (`kind` other than `fail`) or were
    /// suppressed in the scanner.
    pub skipped: usize,
}

/// One refusal, at one place of the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", if pointer.is_empty() { "the log" } else { pointer.as_str() })]
pub struct SarifProblem {
    /// A JSON pointer into the log; empty for the log as a whole.
    pub pointer: String,
    pub message: String,
}

fn problem(pointer: impl Into<String>, message: impl Into<String>) -> SarifProblem {
    SarifProblem {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Reads a SARIF 2.1.0 log: valid JSON, valid against the schema, and every failing
/// result with a rule and a message. Refused whole, with each problem found (at most
/// `MAX_PROBLEMS`), when anything is wrong.
pub fn read(text: &str) -> Result<SarifLog, Vec<SarifProblem>> {
    let document: Value = serde_json::from_str(text).map_err(|error| {
        vec![problem(
            "",
            format!(
                "not JSON (line {}, column {}): {}",
                error.line(),
                error.column(),
                error_without_position(&error)
            ),
        )]
    })?;
    if document.get("version").and_then(Value::as_str) != Some("2.1.0") {
        return Err(vec![problem(
            "/version",
            "only SARIF version 2.1.0 is read",
        )]);
    }
    let violations = schema::violations(&document);
    if !violations.is_empty() {
        return Err(violations);
    }
    let mut reader = Reader::default();
    let runs = document
        .get("runs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (run_index, run) in runs.iter().enumerate() {
        reader.read_run(&format!("/runs/{run_index}"), run);
        if reader.problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if reader.results.len() > MAX_RESULTS {
        reader.problems.insert(
            0,
            problem(
                "/runs",
                format!(
                    "{} results; one import takes at most {MAX_RESULTS}",
                    reader.results.len()
                ),
            ),
        );
    }
    if reader.problems.is_empty() {
        Ok(SarifLog {
            results: reader.results,
            skipped: reader.skipped,
        })
    } else {
        reader.problems.truncate(MAX_PROBLEMS);
        Err(reader.problems)
    }
}

/// serde_json's message without its trailing " at line L column C", said once already.
fn error_without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}

#[derive(Default)]
struct Reader {
    results: Vec<SarifResult>,
    skipped: usize,
    problems: Vec<SarifProblem>,
}

/// What a run says about every result in it.
struct Run<'a> {
    tool: String,
    rules: &'a [Value],
    artifacts: &'a [Value],
}

impl Run<'_> {
    fn rule_by_id(&self, id: &str) -> Option<&Value> {
        self.rules
            .iter()
            .find(|rule| rule.get("id").and_then(Value::as_str) == Some(id))
    }

    fn rule_at(&self, index: Option<u64>) -> Option<&Value> {
        let index = usize::try_from(index?).ok()?;
        self.rules.get(index)
    }
}

impl Reader {
    fn read_run(&mut self, pointer: &str, run: &Value) {
        let driver = run.pointer("/tool/driver");
        let tool = driver
            .and_then(|driver| text_at(driver, "/name"))
            .unwrap_or_default();
        let context = Run {
            tool,
            rules: array_at(driver, "/rules"),
            artifacts: array_at(Some(run), "/artifacts"),
        };
        for (index, result) in array_at(Some(run), "/results").iter().enumerate() {
            let pointer = format!("{pointer}/results/{index}");
            match read_result(&context, &pointer, result) {
                Ok(Some(result)) => self.results.push(result),
                Ok(None) => self.skipped += 1,
                Err(refusal) => self.problems.push(refusal),
            }
        }
    }
}

/// A failing result as the desk files it; `None` for one that is not a failure.
fn read_result(
    run: &Run<'_>,
    pointer: &str,
    result: &Value,
) -> Result<Option<SarifResult>, SarifProblem> {
    let kind = text_at(result, "/kind").unwrap_or_else(|| "fail".to_owned());
    let suppressed = array_at(Some(result), "/suppressions")
        .iter()
        .any(|suppression| {
            matches!(
                suppression.get("status").and_then(Value::as_str),
                None | Some("accepted")
            )
        });
    if kind != "fail" || suppressed {
        return Ok(None);
    }
    let index = result
        .get("ruleIndex")
        .or_else(|| result.pointer("/rule/index"))
        .and_then(Value::as_u64);
    let named = text_at(result, "/ruleId").or_else(|| text_at(result, "/rule/id"));
    let rule = match &named {
        Some(id) => run.rule_at(index).or_else(|| run.rule_by_id(id)),
        None => run.rule_at(index),
    };
    let rule_id = named
        .or_else(|| rule.and_then(|rule| text_at(rule, "/id")))
        .ok_or_else(|| {
            problem(
                pointer,
                "the result names no rule (ruleId, rule.id or a ruleIndex into the run's rules)",
            )
        })?;
    let message = message_text(result, rule).ok_or_else(|| {
        problem(
            format!("{pointer}/message"),
            "the message has no text, nor an id the rule's messageStrings explain",
        )
    })?;
    let level = text_at(result, "/level")
        .or_else(|| rule.and_then(|rule| text_at(rule, "/defaultConfiguration/level")))
        .map(|level| {
            Level::parse(&level).ok_or_else(|| {
                problem(
                    format!("{pointer}/level"),
                    format!("'{level}' is not a level"),
                )
            })
        })
        .transpose()?
        .unwrap_or(Level::Warning);
    let rule_name = rule.and_then(|rule| {
        text_at(rule, "/shortDescription/text").or_else(|| text_at(rule, "/name"))
    });
    let mut tags = strings_at(rule, "/properties/tags");
    for tag in strings_at(Some(result), "/properties/tags") {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(Some(SarifResult {
        pointer: pointer.to_owned(),
        tool: run.tool.clone(),
        rule_id,
        rule_name,
        level,
        message,
        location: location(run, result),
        help_uri: rule.and_then(|rule| text_at(rule, "/helpUri")),
        tags,
    }))
}

/// The message's own text, or the rule's message string it names with its `{0}`
/// placeholders filled from the arguments.
fn message_text(result: &Value, rule: Option<&Value>) -> Option<String> {
    if let Some(text) = text_at(result, "/message/text") {
        return Some(text);
    }
    let id = text_at(result, "/message/id")?;
    let template = rule?
        .get("messageStrings")
        .and_then(Value::as_object)
        .and_then(|strings: &Map<String, Value>| strings.get(&id))
        .and_then(|string| text_at(string, "/text"))?;
    let arguments = strings_at(Some(result), "/message/arguments");
    let mut text = template;
    for (index, argument) in arguments.iter().enumerate() {
        text = text.replace(&format!("{{{index}}}"), argument);
    }
    Some(text).filter(|text| !text.trim().is_empty())
}

/// The first location with a file: its own URI, or the run's artifact it points at.
fn location(run: &Run<'_>, result: &Value) -> Option<Location> {
    array_at(Some(result), "/locations")
        .iter()
        .find_map(|location| {
            let physical = location.get("physicalLocation")?;
            let artifact = physical.get("artifactLocation")?;
            let uri = text_at(artifact, "/uri").or_else(|| {
                let index = usize::try_from(artifact.get("index")?.as_u64()?).ok()?;
                text_at(run.artifacts.get(index)?, "/location/uri")
            })?;
            Some(Location {
                uri,
                start_line: physical
                    .pointer("/region/startLine")
                    .and_then(Value::as_u64),
                start_column: physical
                    .pointer("/region/startColumn")
                    .and_then(Value::as_u64),
            })
        })
}

/// A non-blank string at `pointer`, trimmed.
fn text_at(value: &Value, pointer: &str) -> Option<String> {
    let text = value.pointer(pointer)?.as_str()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn array_at<'a>(value: Option<&'a Value>, pointer: &str) -> &'a [Value] {
    value
        .and_then(|value| value.pointer(pointer))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn strings_at(value: Option<&Value>, pointer: &str) -> Vec<String> {
    array_at(value, pointer)
        .iter()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests;

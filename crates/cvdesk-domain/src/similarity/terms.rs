//! A report's words as duplicate suggestions compare them, made once at intake and stored
//! with the report, so that showing a report compares stored counts instead of reading
//! and splitting the full text of a thousand earlier reports.
//!
//! Only the first `COMPARED_CHARS` characters of each field are read: a duplicate shows in
//! how a report starts (its title, the vulnerable place, the first steps), and the bound
//! keeps both the work at intake and the stored vector small whatever a finder pastes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ReportText;

/// Characters of each field (title, summary, steps) that are split into words: about a
/// page, which holds the vulnerable place and the first steps. Showing a report compares
/// it with a thousand others, so the size of every stored vector is paid a thousand times.
pub const COMPARED_CHARS: usize = 1_000;

/// The version of the word splitting and of the stored form below. Vectors stored under
/// another version are made again from the report's text when next compared.
pub const TERMS_VERSION: i32 = 2;

/// How many times a title word counts.
const TITLE_WEIGHT: u32 = 2;

/// Words too common to say anything about a vulnerability.
const STOP_WORDS: &[&str] = &[
    "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "before",
    "being", "both", "but", "by", "can", "could", "did", "do", "does", "each", "for", "from",
    "had", "has", "have", "he", "her", "here", "his", "how", "http", "https", "if", "in", "into",
    "is", "it", "its", "just", "may", "me", "might", "more", "most", "must", "my", "no", "not",
    "of", "on", "only", "or", "other", "our", "out", "over", "same", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "under", "up", "us", "very", "via", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "will", "with", "would", "www", "you", "your",
];

/// Characters that join the parts of an identifier, a path or a URL.
pub(super) const JOINERS: &[char] = &['_', '-', '.', '/', ':'];

/// A report's words with their counts (title words counted twice), owned: what intake
/// stores.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermVector {
    words: BTreeMap<String, Count>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Count {
    weighted: u32,
    in_title: bool,
}

impl TermVector {
    /// The words of `text`'s title, summary and steps, each field bounded to
    /// `COMPARED_CHARS` characters.
    pub fn of(text: &ReportText) -> Self {
        let mut words: BTreeMap<String, Count> = BTreeMap::new();
        for (field, weight, is_title) in [
            (text.title, TITLE_WEIGHT, true),
            (text.summary, 1, false),
            (text.steps, 1, false),
        ] {
            for word in self::words(bounded(field)) {
                let count = words.entry(word).or_default();
                count.weighted = count.weighted.saturating_add(weight);
                count.in_title |= is_title;
            }
        }
        TermVector { words }
    }

    /// One line a word, `COUNT WORD`, with `t` after the count for a title word. Words
    /// never hold spaces or line breaks, so the form needs no escaping.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        for (word, count) in &self.words {
            let title = if count.in_title { "t" } else { "" };
            let _ = writeln!(text, "{}{title} {word}", count.weighted);
        }
        text
    }

    /// The words as the comparison reads them.
    pub fn terms(&self) -> Terms<'_> {
        Terms {
            words: self
                .words
                .iter()
                .map(|(word, count)| Word {
                    text: word,
                    count: f64::from(count.weighted),
                    in_title: count.in_title,
                })
                .collect(),
        }
    }
}

/// A report's words, borrowed from a `TermVector` or from its stored form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Terms<'a> {
    pub(super) words: Vec<Word<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Word<'a> {
    pub text: &'a str,
    pub count: f64,
    pub in_title: bool,
}

/// A stored vector that is not in the form `TermVector::encode` writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of a stored word vector is not 'COUNT WORD'")]
pub struct InvalidTerms {
    pub line: usize,
}

impl<'a> Terms<'a> {
    /// Reads the form `TermVector::encode` writes, without copying the words.
    pub fn decode(encoded: &'a str) -> Result<Self, InvalidTerms> {
        let words = encoded
            .lines()
            .enumerate()
            .map(|(index, line)| {
                let invalid = InvalidTerms { line: index + 1 };
                let (count, text) = line.split_once(' ').ok_or(invalid.clone())?;
                let (count, in_title) = match count.strip_suffix('t') {
                    Some(count) => (count, true),
                    None => (count, false),
                };
                let count: u32 = count.parse().map_err(|_| invalid.clone())?;
                if count == 0 || text.is_empty() || text.contains(' ') {
                    return Err(invalid);
                }
                Ok(Word {
                    text,
                    count: f64::from(count),
                    in_title,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Terms { words })
    }
}

/// At most `COMPARED_CHARS` characters of `text`.
fn bounded(text: &str) -> &str {
    text.char_indices()
        .nth(COMPARED_CHARS)
        .map_or(text, |(end, _)| &text[..end])
}

/// Splits text into the words compared; see the module documentation of `similarity`.
pub(super) fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let pieces = lower.split(|c: char| !(c.is_alphanumeric() || JOINERS.contains(&c)));
    pieces
        .flat_map(forms)
        .filter(|word| word.chars().count() >= 2 && !STOP_WORDS.contains(word))
        .map(str::to_owned)
        .collect()
}

/// Joiners at the edges are punctuation ("login." or "/search"); an underscore at an edge
/// belongs to the name (`__proto__`).
fn trim_joiners(form: &str) -> &str {
    form.trim_matches(|c: char| JOINERS.contains(&c) && c != '_')
}

/// The words one piece of text stands for: itself and, for an identifier, a URL or a path,
/// its host, its path and each of its parts, so `https://shop.example.com/api/v1/login`
/// meets `/api/v1/login`, `shop.example.com` and "login".
pub(super) fn forms(piece: &str) -> Vec<&str> {
    let whole = trim_joiners(piece);
    let mut forms = vec![whole];
    if whole.contains(JOINERS) {
        let without_scheme = whole.split_once("://").map_or(whole, |(_, rest)| rest);
        forms.push(without_scheme);
        if let Some((host, path)) = without_scheme.split_once('/') {
            if host.contains('.') {
                forms.extend([host, trim_joiners(path)]);
            }
        }
        forms.extend(whole.split(JOINERS));
    }
    let mut distinct: Vec<&str> = Vec::with_capacity(forms.len());
    for form in forms {
        if !distinct.contains(&form) {
            distinct.push(form);
        }
    }
    distinct
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: ReportText<'static> = ReportText {
        title: "XSS in search (q param)",
        summary: "The q parameter of /search is echoed; search again.",
        steps: "GET https://shop.example.com/search?q=<script>",
        asset: None,
    };

    #[test]
    fn title_words_count_twice_and_are_marked() {
        let vector = TermVector::of(&REPORT);
        let terms = vector.terms();
        let word = |text: &str| terms.words.iter().find(|w| w.text == text).copied();
        let search = word("search").expect("search");
        // Twice from the title, once from the summary's path, once more from "search
        // again", once from the steps' path.
        assert_eq!(search.count, 5.0);
        assert!(search.in_title);
        let parameter = word("parameter").expect("parameter");
        assert_eq!((parameter.count, parameter.in_title), (1.0, false));
        assert!(word("shop.example.com").is_some());
        assert!(word("the").is_none());
    }

    #[test]
    fn the_stored_form_reads_back_as_the_same_terms() {
        let vector = TermVector::of(&REPORT);
        let encoded = vector.encode();
        assert!(encoded.lines().any(|l| l == "5t search"), "{encoded}");
        assert_eq!(Terms::decode(&encoded), Ok(vector.terms()));
        assert_eq!(Terms::decode(""), Ok(Terms::default()));
        for (bad, line) in [
            ("search", 1),
            ("2t search\nx search", 2),
            ("0 search", 1),
            ("2 ", 1),
            ("2 two words", 1),
        ] {
            assert_eq!(Terms::decode(bad), Err(InvalidTerms { line }), "{bad:?}");
        }
    }

    #[test]
    fn only_the_start_of_a_long_field_is_read() {
        let long = format!("{} needle", "word ".repeat(COMPARED_CHARS));
        let vector = TermVector::of(&ReportText {
            summary: &long,
            ..REPORT
        });
        assert!(!vector.encode().contains("needle"));
        let short = format!("{} needle", "word ".repeat(10));
        let vector = TermVector::of(&ReportText {
            summary: &short,
            ..REPORT
        });
        assert!(vector.encode().contains("needle"));
        assert_eq!(bounded("äöü"), "äöü");
    }
}

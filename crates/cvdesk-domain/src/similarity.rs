//! Duplicate suggestions: which earlier reports look like a new one, how much, and why.
//!
//! The method is meant to be explained to the triager who reads the suggestion:
//! - Each report's title, summary and steps become words: lowercased, split on spaces and
//!   punctuation but keeping identifiers whole (`cve-2021-44228`, `api/v1/login`,
//!   `redirect_uri`). An identifier also stands for its parts, and a URL for its host and
//!   path, so `https://shop.example.com/api/v1/login`, `/api/v1/login` and "login" meet.
//!   Common English words and one-letter words are dropped. Title words count twice.
//! - Words are weighted by TF-IDF over the new report and the candidates: a word found in
//!   every report says little, a rare one (a parameter name, a CVE id) says a lot.
//! - The text score is the cosine of the two weighted word sets, from 0 (nothing in common)
//!   to 1 (the same words in the same proportions).
//! - When both reports name an asset, the asset counts for a fifth of the score: the same
//!   asset scores fully, the same host half, a different one nothing. When either has no
//!   asset, the text score is the whole score.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::draft::ReportDraft;
use crate::reference::Reference;

/// The parts of a report compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportText<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub steps: &'a str,
    pub asset: Option<&'a str>,
}

impl<'a> ReportText<'a> {
    pub fn of_draft(draft: &'a ReportDraft) -> Self {
        ReportText {
            title: &draft.title,
            summary: &draft.summary,
            steps: &draft.steps_to_reproduce,
            asset: draft.asset.as_deref(),
        }
    }
}

/// An earlier report that the new one might duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: i64,
    pub reference: &'a Reference,
    pub text: ReportText<'a>,
}

/// A likely original, with a score from 0.0 to 1.0 and short reasons a person can check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: i64,
    pub reference: Reference,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// How much of the score the asset carries when both reports name one.
const ASSET_SHARE: f64 = 0.2;
const TITLE_WEIGHT: f64 = 2.0;
/// How many shared words a reason lists.
const WORDS_IN_REASON: usize = 4;

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
const JOINERS: &[char] = &['_', '-', '.', '/', ':'];

/// The `limit` candidates most similar to `new` that score at least `threshold`, best
/// first (ties by id). A candidate with nothing in common is never suggested.
pub fn suggest_duplicates(
    new: &ReportText,
    candidates: &[Candidate],
    limit: usize,
    threshold: f64,
) -> Vec<Suggestion> {
    let new_terms = terms(new);
    let candidate_terms: Vec<Terms> = candidates.iter().map(|c| terms(&c.text)).collect();
    let idf = inverse_document_frequency(
        std::iter::once(&new_terms).chain(&candidate_terms),
        candidates.len() + 1,
    );
    let new_vector = weigh(&new_terms.all, &idf);
    let new_asset = new.asset.and_then(Asset::parse);

    let mut suggestions: Vec<Suggestion> = candidates
        .iter()
        .zip(&candidate_terms)
        .filter_map(|(candidate, candidate_terms)| {
            let vector = weigh(&candidate_terms.all, &idf);
            let text_score = cosine(&new_vector, &vector);
            let asset = candidate.text.asset.and_then(Asset::parse);
            let asset_match = match (&new_asset, &asset) {
                (Some(new_asset), Some(asset)) => Some(new_asset.compare(asset)),
                _ => None,
            };
            let score = match asset_match {
                Some(matched) => (1.0 - ASSET_SHARE) * text_score + ASSET_SHARE * matched.share(),
                None => text_score,
            }
            .clamp(0.0, 1.0);
            if score <= 0.0 || score < threshold {
                return None;
            }
            let mut reasons = Vec::new();
            if let Some(reason) = asset_match.and_then(AssetMatch::reason) {
                reasons.push(reason);
            }
            reasons.extend(word_reasons(&new_terms, candidate_terms, &idf));
            Some(Suggestion {
                id: candidate.id,
                reference: candidate.reference.clone(),
                score,
                reasons,
            })
        })
        .collect();
    suggestions.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    suggestions.truncate(limit);
    suggestions
}

/// A report's words: weighted counts over all compared fields, and the title's words.
struct Terms {
    all: HashMap<String, f64>,
    title: HashSet<String>,
}

fn terms(text: &ReportText) -> Terms {
    let mut all = HashMap::new();
    let title: HashSet<String> = words(text.title).into_iter().collect();
    for (field, weight) in [
        (text.title, TITLE_WEIGHT),
        (text.summary, 1.0),
        (text.steps, 1.0),
    ] {
        for word in words(field) {
            *all.entry(word).or_insert(0.0) += weight;
        }
    }
    Terms { all, title }
}

/// Splits text into the words compared; see the module documentation.
fn words(text: &str) -> Vec<String> {
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
fn forms(piece: &str) -> Vec<&str> {
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

fn inverse_document_frequency<'a>(
    documents: impl Iterator<Item = &'a Terms>,
    count: usize,
) -> HashMap<&'a str, f64> {
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for document in documents {
        for word in document.all.keys() {
            *frequency.entry(word.as_str()).or_insert(0) += 1;
        }
    }
    // Smoothed so a word in every report still weighs a little and none weighs zero.
    let documents = count as f64;
    frequency
        .into_iter()
        .map(|(word, found_in)| {
            let idf = ((1.0 + documents) / (1.0 + found_in as f64)).ln() + 1.0;
            (word, idf)
        })
        .collect()
}

/// Sublinear term frequency times IDF, so a word repeated ten times does not drown the rest.
fn weigh<'a>(counts: &'a HashMap<String, f64>, idf: &HashMap<&str, f64>) -> HashMap<&'a str, f64> {
    counts
        .iter()
        .map(|(word, &count)| {
            let rarity = idf.get(word.as_str()).copied().unwrap_or(1.0);
            (word.as_str(), (1.0 + count.ln()) * rarity)
        })
        .collect()
}

fn cosine(a: &HashMap<&str, f64>, b: &HashMap<&str, f64>) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let dot: f64 = small
        .iter()
        .filter_map(|(word, weight)| large.get(word).map(|other| weight * other))
        .sum();
    let norm = |v: &HashMap<&str, f64>| v.values().map(|w| w * w).sum::<f64>().sqrt();
    let norms = norm(a) * norm(b);
    if norms > 0.0 {
        (dot / norms).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// "title words in common: …" and "also in common: …", rarest words first.
fn word_reasons(new: &Terms, candidate: &Terms, idf: &HashMap<&str, f64>) -> Vec<String> {
    let in_titles = rarest_first(
        idf,
        new.title
            .iter()
            .filter(|word| candidate.title.contains(*word))
            .map(String::as_str)
            .collect(),
    );
    let elsewhere = rarest_first(
        idf,
        new.all
            .keys()
            .filter(|word| candidate.all.contains_key(*word) && !in_titles.contains(&word.as_str()))
            .map(String::as_str)
            .collect(),
    );
    let mut reasons = Vec::new();
    if !in_titles.is_empty() {
        reasons.push(format!("title words in common: {}", in_titles.join(", ")));
    }
    if !elsewhere.is_empty() {
        reasons.push(format!("also in common: {}", elsewhere.join(", ")));
    }
    reasons
}

/// The most telling shared words: rarest first, longer first among equals, and no word
/// that is only a part of one already listed (`cve` next to `cve-2021-44228`).
fn rarest_first<'a>(idf: &HashMap<&str, f64>, mut shared: Vec<&'a str>) -> Vec<&'a str> {
    let rarity = |word: &str| idf.get(word).copied().unwrap_or(1.0);
    shared.sort_by(|a, b| {
        rarity(b)
            .total_cmp(&rarity(a))
            .then(b.len().cmp(&a.len()))
            .then(a.cmp(b))
    });
    let mut listed: Vec<&str> = Vec::new();
    for word in shared {
        let is_part = listed.iter().any(|whole| forms(whole).contains(&word));
        if !is_part && listed.len() < WORDS_IN_REASON {
            listed.push(word);
        }
    }
    listed
}

/// An asset as compared: the whole name without scheme, `www.` or trailing slash, and the
/// host part of it.
struct Asset {
    whole: String,
    host: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AssetMatch {
    Same,
    SameHost,
    Different,
}

impl Asset {
    fn parse(asset: &str) -> Option<Asset> {
        let lower = asset.trim().to_lowercase();
        let without_scheme = lower
            .split_once("://")
            .map_or(lower.as_str(), |(_, rest)| rest);
        let without_www = without_scheme
            .strip_prefix("www.")
            .unwrap_or(without_scheme);
        let whole = without_www.trim_end_matches('/');
        let host = whole.split(['/', '?', '#', ':']).next().unwrap_or_default();
        (!whole.is_empty()).then(|| Asset {
            whole: whole.to_owned(),
            host: host.to_owned(),
        })
    }

    fn compare(&self, other: &Asset) -> AssetMatch {
        if self.whole == other.whole {
            AssetMatch::Same
        } else if !self.host.is_empty() && self.host == other.host {
            AssetMatch::SameHost
        } else {
            AssetMatch::Different
        }
    }
}

impl AssetMatch {
    fn share(self) -> f64 {
        match self {
            AssetMatch::Same => 1.0,
            AssetMatch::SameHost => 0.5,
            AssetMatch::Different => 0.0,
        }
    }

    fn reason(self) -> Option<String> {
        match self {
            AssetMatch::Same => Some("same asset".to_owned()),
            AssetMatch::SameHost => Some("same host".to_owned()),
            AssetMatch::Different => None,
        }
    }
}

#[cfg(test)]
mod tests;

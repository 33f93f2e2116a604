//! Duplicate suggestions: which earlier reports look like a new one, how much, and why.
//!
//! The method is meant to be explained to the triager who reads the suggestion:
//! - Each report's title, summary and steps (the first 4,000 characters of each, counted
//!   once when the report arrives and stored with it) become words: lowercased, split on
//!   spaces and punctuation but keeping identifiers whole (`cve-2021-44228`,
//!   `api/v1/login`, `redirect_uri`). An identifier also stands for its parts, and a URL
//!   for its host and path, so `https://shop.example.com/api/v1/login`, `/api/v1/login`
//!   and "login" meet. Common English words and one-letter words are dropped. Title words
//!   count twice.
//! - Words are weighted by TF-IDF over the new report and the candidates: a word found in
//!   every report says little, a rare one (a parameter name, a CVE id) says a lot.
//! - The text score is the cosine of the two weighted word sets, from 0 (nothing in common)
//!   to 1 (the same words in the same proportions).
//! - When both reports name an asset, the asset counts for a fifth of the score: the same
//!   asset scores fully, the same host half, a different one nothing. When either has no
//!   asset, the text score is the whole score.

use std::collections::HashMap;

use foldhash::HashMap as FoldHashMap;

use serde::Serialize;

use crate::draft::ReportDraft;
use crate::reference::Reference;

mod terms;

#[cfg(test)]
use terms::words;
use terms::{forms, Word};
pub use terms::{InvalidTerms, TermVector, Terms, COMPARED_CHARS, TERMS_VERSION};

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

/// An earlier report as stored for comparison: its words, already counted.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedCandidate<'a> {
    pub id: i64,
    pub reference: &'a Reference,
    pub terms: Terms<'a>,
    pub asset: Option<&'a str>,
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
/// How many shared words a reason lists.
const WORDS_IN_REASON: usize = 4;

/// The `limit` candidates most similar to `new` that score at least `threshold`, best
/// first (ties by id). A candidate with nothing in common is never suggested.
pub fn suggest_duplicates(
    new: &ReportText,
    candidates: &[Candidate],
    limit: usize,
    threshold: f64,
) -> Vec<Suggestion> {
    let new_vector = TermVector::of(new);
    let vectors: Vec<TermVector> = candidates.iter().map(|c| TermVector::of(&c.text)).collect();
    let counted: Vec<CountedCandidate> = candidates
        .iter()
        .zip(&vectors)
        .map(|(candidate, vector)| CountedCandidate {
            id: candidate.id,
            reference: candidate.reference,
            terms: vector.terms(),
            asset: candidate.text.asset,
        })
        .collect();
    suggest_among_counted(&new_vector.terms(), new.asset, &counted, limit, threshold)
}

/// `suggest_duplicates` for candidates whose words were counted when they were received.
pub fn suggest_among_counted(
    new: &Terms,
    new_asset: Option<&str>,
    candidates: &[CountedCandidate],
    limit: usize,
    threshold: f64,
) -> Vec<Suggestion> {
    let documents: Vec<&Terms> = std::iter::once(new)
        .chain(candidates.iter().map(|c| &c.terms))
        .collect();
    let (rarity, interned) = Rarity::over(&documents);
    // Sublinear term frequency times IDF, so a word repeated ten times does not drown the
    // rest.
    let weight = |&(id, count): &(usize, f64)| (1.0 + count.ln()) * rarity.idf[id];
    let new_words = interned.first().map_or(&[][..], Vec::as_slice);
    let candidate_words = interned.get(1..).unwrap_or_default();
    let mut new_weights = vec![0.0; rarity.idf.len()];
    for word in new_words {
        new_weights[word.0] = weight(word);
    }
    let new_norm = norm(new_words.iter().map(|word| new_weights[word.0]));
    let new_asset = new_asset.and_then(Asset::parse);

    let mut scored: Vec<(f64, Option<AssetMatch>, &CountedCandidate)> = candidates
        .iter()
        .zip(candidate_words)
        .filter_map(|(candidate, words)| {
            let mut dot = 0.0;
            let mut squares = 0.0;
            for word in words {
                let weight = weight(word);
                squares += weight * weight;
                dot += weight * new_weights[word.0];
            }
            let norms = new_norm * squares.sqrt();
            let text_score = if norms > 0.0 {
                (dot / norms).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let asset = candidate.asset.and_then(Asset::parse);
            let asset_match = match (&new_asset, &asset) {
                (Some(new_asset), Some(asset)) => Some(new_asset.compare(asset)),
                _ => None,
            };
            let score = match asset_match {
                Some(matched) => (1.0 - ASSET_SHARE) * text_score + ASSET_SHARE * matched.share(),
                None => text_score,
            }
            .clamp(0.0, 1.0);
            (score > 0.0 && score >= threshold).then_some((score, asset_match, candidate))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.id.cmp(&b.2.id)));
    scored.truncate(limit);
    // Reasons only for what is shown: they are the costly part per candidate.
    scored
        .into_iter()
        .map(|(score, asset_match, candidate)| {
            let mut reasons = Vec::new();
            if let Some(reason) = asset_match.and_then(AssetMatch::reason) {
                reasons.push(reason);
            }
            reasons.extend(word_reasons(new, &candidate.terms, &rarity));
            Suggestion {
                id: candidate.id,
                reference: candidate.reference.clone(),
                score,
                reasons,
            }
        })
        .collect()
}

/// How rare each word of the compared reports is: its inverse document frequency, every
/// word interned once so the comparison itself hashes no word again.
struct Rarity<'a> {
    ids: FoldHashMap<&'a str, usize>,
    idf: Vec<f64>,
}

/// Each compared report's words as (word id, count).
type Interned = Vec<Vec<(usize, f64)>>;

impl<'a> Rarity<'a> {
    /// The rarity of every word of `documents`, and each document's words by id.
    fn over(documents: &[&Terms<'a>]) -> (Self, Interned) {
        // Every word of a thousand reports is hashed here: a fast hash, seeded at random
        // per table, since finders choose the words.
        let mut ids: FoldHashMap<&str, usize> = FoldHashMap::default();
        let mut found_in: Vec<u32> = Vec::new();
        let interned = documents
            .iter()
            .map(|document| {
                document
                    .words
                    .iter()
                    .map(|word| {
                        let next = ids.len();
                        let id = *ids.entry(word.text).or_insert(next);
                        if id == found_in.len() {
                            found_in.push(0);
                        }
                        found_in[id] += 1;
                        (id, word.count)
                    })
                    .collect()
            })
            .collect();
        // Smoothed so a word in every report still weighs a little and none weighs zero.
        let count = documents.len() as f64;
        let idf = found_in
            .iter()
            .map(|&found| ((1.0 + count) / (1.0 + f64::from(found))).ln() + 1.0)
            .collect();
        (Rarity { ids, idf }, interned)
    }

    fn of(&self, word: &str) -> f64 {
        self.ids.get(word).map_or(1.0, |&id| self.idf[id])
    }
}

fn norm(weights: impl Iterator<Item = f64>) -> f64 {
    weights.map(|w| w * w).sum::<f64>().sqrt()
}

/// "title words in common: …" and "also in common: …", rarest words first.
fn word_reasons(new: &Terms, candidate: &Terms, rarity: &Rarity) -> Vec<String> {
    let theirs: HashMap<&str, &Word> = candidate.words.iter().map(|w| (w.text, w)).collect();
    let in_titles = rarest_first(
        rarity,
        new.words
            .iter()
            .filter(|word| word.in_title && theirs.get(word.text).is_some_and(|w| w.in_title))
            .map(|word| word.text)
            .collect(),
    );
    let elsewhere = rarest_first(
        rarity,
        new.words
            .iter()
            .filter(|word| theirs.contains_key(word.text) && !in_titles.contains(&word.text))
            .map(|word| word.text)
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
fn rarest_first<'a>(rarity: &Rarity, mut shared: Vec<&'a str>) -> Vec<&'a str> {
    shared.sort_by(|a, b| {
        rarity
            .of(b)
            .total_cmp(&rarity.of(a))
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

//! Published revisions: each publication of an advisory is an immutable revision with its
//! number (1, 2, …), date, a summary of what changed, the content as published and the
//! credits the finders had consented to at that moment. The history only grows.

use time::OffsetDateTime;

use super::content::AdvisoryContent;
use super::credit::PublishedCredit;

pub const CHANGE_SUMMARY_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    number: u32,
    date: OffsetDateTime,
    summary: String,
    content: AdvisoryContent,
    credits: Vec<PublishedCredit>,
}

impl Revision {
    /// A revision as the store kept it; [`RevisionHistory::restore`] checks the sequence.
    pub fn new(
        number: u32,
        date: OffsetDateTime,
        summary: String,
        content: AdvisoryContent,
        credits: Vec<PublishedCredit>,
    ) -> Revision {
        Revision {
            number,
            date,
            summary,
            content,
            credits,
        }
    }

    pub fn number(&self) -> u32 {
        self.number
    }

    pub fn date(&self) -> OffsetDateTime {
        self.date
    }

    pub fn summary(&self) -> &str {
        &self.summary
    }

    pub fn content(&self) -> &AdvisoryContent {
        &self.content
    }

    pub fn credits(&self) -> &[PublishedCredit] {
        &self.credits
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    #[error("summary: say what changed in this revision")]
    SummaryMissing,
    #[error("summary: one line of at most {CHANGE_SUMMARY_MAX_CHARS} characters")]
    SummaryTooLong,
    #[error("nothing changed since revision {0}")]
    Unchanged(u32),
    #[error("a revision cannot be dated before revision {0}")]
    OutOfOrder(u32),
    #[error("revision {found} follows revision {previous}; revisions are numbered 1, 2, 3, …")]
    Numbering { previous: u32, found: u32 },
    #[error("reason: say why the advisory is withdrawn")]
    ReasonMissing,
    #[error("an advisory that was never published cannot be withdrawn")]
    NotPublished,
}

/// Every revision of one advisory, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionHistory(Vec<Revision>);

impl RevisionHistory {
    /// Rebuilds a history from stored revisions, refusing gaps and dates that run back.
    pub fn restore(revisions: Vec<Revision>) -> Result<RevisionHistory, RevisionError> {
        let mut previous: Option<&Revision> = None;
        for revision in &revisions {
            let expected = previous.map_or(1, |p| p.number + 1);
            if revision.number != expected {
                return Err(RevisionError::Numbering {
                    previous: expected - 1,
                    found: revision.number,
                });
            }
            if let Some(previous) = previous {
                if revision.date < previous.date {
                    return Err(RevisionError::OutOfOrder(previous.number));
                }
            }
            previous = Some(revision);
        }
        Ok(RevisionHistory(revisions))
    }

    pub fn revisions(&self) -> &[Revision] {
        &self.0
    }

    pub fn first(&self) -> Option<&Revision> {
        self.0.first()
    }

    pub fn latest(&self) -> Option<&Revision> {
        self.0.last()
    }

    /// Publishes `content` with `credits` as the next revision, dated `at`.
    pub fn publish(
        &mut self,
        content: AdvisoryContent,
        credits: Vec<PublishedCredit>,
        summary: &str,
        at: OffsetDateTime,
    ) -> Result<&Revision, RevisionError> {
        let summary = checked_summary(summary)?.ok_or(RevisionError::SummaryMissing)?;
        if let Some(latest) = self.latest() {
            if latest.content == content && latest.credits == credits {
                return Err(RevisionError::Unchanged(latest.number));
            }
            if at < latest.date {
                return Err(RevisionError::OutOfOrder(latest.number));
            }
        }
        let number = self.latest().map_or(1, |latest| latest.number + 1);
        self.0
            .push(Revision::new(number, at, summary, content, credits));
        Ok(&self.0[self.0.len() - 1])
    }

    /// Withdraws the advisory in a last revision dated `at`: the content and credits stay
    /// as published, and the summary says why, so every document of the advisory carries
    /// a new version that consumers notice.
    pub fn withdraw(
        &mut self,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<&Revision, RevisionError> {
        let reason = checked_summary(reason)?.ok_or(RevisionError::ReasonMissing)?;
        let latest = self.latest().ok_or(RevisionError::NotPublished)?;
        if at < latest.date {
            return Err(RevisionError::OutOfOrder(latest.number));
        }
        let withdrawn = Revision::new(
            latest.number + 1,
            at,
            format!("Withdrawn: {reason}"),
            latest.content.clone(),
            latest.credits.clone(),
        );
        self.0.push(withdrawn);
        Ok(&self.0[self.0.len() - 1])
    }
}

/// A summary of change (or reason) trimmed, on one line, not too long; `None` when blank.
fn checked_summary(text: &str) -> Result<Option<String>, RevisionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > CHANGE_SUMMARY_MAX_CHARS || text.chars().any(char::is_control) {
        return Err(RevisionError::SummaryTooLong);
    }
    Ok(Some(text.to_owned()))
}

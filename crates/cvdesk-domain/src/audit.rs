//! The audit log: every staff action as an append-only, hash-chained entry. The store keeps
//! the rows; this module owns their canonical encoding, how a new entry is chained to the
//! last one, and how a whole log is verified.
//!
//! # Canonical encoding (version 1)
//!
//! `entry_hash` is the lower-case hex SHA-256 of these items, concatenated in this order:
//!
//! | item            | bytes                                                        |
//! |-----------------|--------------------------------------------------------------|
//! | version tag     | text `cvdesk-audit-v1`                                       |
//! | `sequence`      | 8 bytes, big-endian two's complement                         |
//! | `previous_hash` | text                                                         |
//! | `at`            | text, RFC 3339 in UTC with exactly six fraction digits       |
//! | `actor`         | `0x00` when absent; `0x01` then the id as 8 bytes big-endian |
//! | `actor_label`   | text                                                         |
//! | `action`        | text                                                         |
//! | `subject`       | `0x00` when absent; `0x01` then text                         |
//! | `detail`        | text                                                         |
//!
//! The time looks like `2026-03-01T09:30:00.000000Z`. Everywhere above, *text* is the UTF-8
//! byte length as 8 bytes big-endian followed by the bytes. The length prefixes and
//! presence markers make the encoding unambiguous: no two different entries encode to the
//! same bytes, so moving a character from one field to the next, or turning an absent
//! subject into an empty one, changes the hash.
//!
//! Time is kept to whole microseconds because that is what PostgreSQL's `timestamptz`
//! stores; `chain` truncates the event's time so the row read back hashes the same. An
//! instant so close to the supported year range that UTC cannot represent it keeps its own
//! offset in the text instead of `Z`.
//!
//! # What the chain proves
//!
//! Each entry's hash covers the previous entry's hash, so changing, removing or reordering
//! any entry breaks every later link. Removing the *last* entries leaves a shorter chain that
//! is still valid, so the store also keeps the head — the entry count and the last hash — in
//! a separate table, updated in the same transaction as each append, and `verify_against`
//! compares the rows with it. The hash is not keyed: someone able to rewrite every row and
//! the head could forge a consistent log, which is why operators can record the head
//! elsewhere (it is what `cvdesk audit verify` reports) and compare later.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::staff::UserId;

/// The previous hash of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const VERSION_TAG: &str = "cvdesk-audit-v1";

/// One staff or system action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: OffsetDateTime,
    /// `None` for the system itself or the command line.
    pub actor: Option<UserId>,
    /// The actor's e-mail address, or `cli` / `system`, kept as text so the entry still
    /// reads correctly after the account is renamed or removed.
    pub actor_label: String,
    /// What happened, e.g. `report.view`, `report.transition`, `user.login_failed`.
    pub action: String,
    /// What it happened to, e.g. a report reference.
    pub subject: Option<String>,
    /// JSON text or plain text with the particulars.
    pub detail: String,
}

/// An event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub sequence: i64,
    pub event: AuditEvent,
    pub previous_hash: String,
    pub hash: String,
}

/// What a successful verification saw: compare it with the stored head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    pub count: i64,
    pub last_hash: String,
}

/// The first place where the log stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("the log does not start at entry 1 (its first entry is {first})")]
    DoesNotStartAtOne { first: i64 },
    #[error("entry {sequence} is missing (sequence jumps from {before} to {after})")]
    Missing {
        sequence: i64,
        before: i64,
        after: i64,
    },
    #[error("entry {sequence} is out of order (it comes after entry {after})")]
    OutOfOrder { sequence: i64, after: i64 },
    #[error("entry {sequence} was changed (its hash does not match its content)")]
    Changed { sequence: i64 },
    #[error("entry 1 does not start the chain (its previous hash is not the genesis hash)")]
    NotGenesis,
    #[error("entry {sequence} does not follow entry {previous} (previous hash differs)")]
    DoesNotFollow { sequence: i64, previous: i64 },
    #[error(
        "entry {sequence} is missing: the log ends at entry {count} but its head records \
         {recorded} entries"
    )]
    Truncated {
        sequence: i64,
        count: i64,
        recorded: i64,
    },
    #[error(
        "entry {sequence} is not in the head: the log has {count} entries but its head \
         records {recorded}"
    )]
    BeyondHead {
        sequence: i64,
        count: i64,
        recorded: i64,
    },
    #[error("entry {sequence} was replaced (its hash is not the one the head records)")]
    HeadMismatch { sequence: i64 },
}

impl ChainBreak {
    /// The sequence number of the first entry that is wrong or missing.
    pub fn sequence(&self) -> i64 {
        match self {
            ChainBreak::DoesNotStartAtOne { .. } | ChainBreak::NotGenesis => 1,
            ChainBreak::Missing { sequence, .. }
            | ChainBreak::OutOfOrder { sequence, .. }
            | ChainBreak::Changed { sequence }
            | ChainBreak::DoesNotFollow { sequence, .. }
            | ChainBreak::Truncated { sequence, .. }
            | ChainBreak::BeyondHead { sequence, .. }
            | ChainBreak::HeadMismatch { sequence } => *sequence,
        }
    }
}

/// Appends `event` after `previous` (or starts the log when there is none).
pub fn chain(previous: Option<&ChainedEntry>, mut event: AuditEvent) -> ChainedEntry {
    let (sequence, previous_hash) = match previous {
        Some(entry) => (entry.sequence.saturating_add(1), entry.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    event.at = storable_time(event.at);
    let hash = entry_hash(sequence, &event, &previous_hash);
    ChainedEntry {
        sequence,
        event,
        previous_hash,
        hash,
    }
}

/// The hash of one entry over the canonical encoding described in the module docs.
pub fn entry_hash(sequence: i64, event: &AuditEvent, previous_hash: &str) -> String {
    let mut hasher = Sha256::new();
    text(&mut hasher, VERSION_TAG);
    hasher.update(sequence.to_be_bytes());
    text(&mut hasher, previous_hash);
    text(&mut hasher, &canonical_time(event.at));
    match event.actor {
        Some(UserId(id)) => {
            hasher.update([1]);
            hasher.update(id.to_be_bytes());
        }
        None => hasher.update([0]),
    }
    text(&mut hasher, &event.actor_label);
    text(&mut hasher, &event.action);
    match &event.subject {
        Some(subject) => {
            hasher.update([1]);
            text(&mut hasher, subject);
        }
        None => hasher.update([0]),
    }
    text(&mut hasher, &event.detail);
    hex::encode(hasher.finalize())
}

/// Verification fed a few entries at a time, so a log of any length is checked in the
/// memory of one batch: `push` each batch in order, then `finish` with the head.
/// `verify` and `verify_against` are this verifier fed everything at once.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected: 1,
            last_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next entries, in the order the store returns them (by sequence).
    pub fn push(
        &mut self,
        entries: impl IntoIterator<Item = ChainedEntry>,
    ) -> Result<(), ChainBreak> {
        for entry in entries {
            self.push_one(entry)?;
        }
        Ok(())
    }

    fn push_one(&mut self, entry: ChainedEntry) -> Result<(), ChainBreak> {
        let expected = self.expected;
        let sequence = entry.sequence;
        if sequence != expected {
            return Err(if expected == 1 {
                ChainBreak::DoesNotStartAtOne { first: sequence }
            } else if sequence > expected {
                ChainBreak::Missing {
                    sequence: expected,
                    before: expected - 1,
                    after: sequence,
                }
            } else {
                ChainBreak::OutOfOrder {
                    sequence,
                    after: expected - 1,
                }
            });
        }
        if entry_hash(sequence, &entry.event, &entry.previous_hash) != entry.hash {
            return Err(ChainBreak::Changed { sequence });
        }
        if entry.previous_hash != self.last_hash {
            return Err(if sequence == 1 {
                ChainBreak::NotGenesis
            } else {
                ChainBreak::DoesNotFollow {
                    sequence,
                    previous: sequence - 1,
                }
            });
        }
        self.last_hash = entry.hash;
        self.expected = expected.saturating_add(1);
        Ok(())
    }

    /// The sequence of the last entry checked (0 before any).
    pub fn last_sequence(&self) -> i64 {
        self.expected - 1
    }

    /// What the entries pushed so far add up to, compared with the recorded head
    /// (`(count, last_hash)`) when the store has one, which detects removal of the newest
    /// entries.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<VerifiedChain, ChainBreak> {
        let verified = VerifiedChain {
            count: self.expected - 1,
            last_hash: self.last_hash,
        };
        let Some((recorded, recorded_hash)) = head else {
            return Ok(verified);
        };
        let count = verified.count;
        if count < recorded {
            return Err(ChainBreak::Truncated {
                sequence: count + 1,
                count,
                recorded,
            });
        }
        if count > recorded {
            return Err(ChainBreak::BeyondHead {
                sequence: recorded + 1,
                count,
                recorded,
            });
        }
        if verified.last_hash != recorded_hash {
            return Err(ChainBreak::HeadMismatch { sequence: count });
        }
        Ok(verified)
    }
}

/// Checks the rows alone, in the order given (the store returns them by sequence). This
/// cannot notice that the newest entries were removed; use `verify_against` with the head.
pub fn verify(
    entries: impl IntoIterator<Item = ChainedEntry>,
) -> Result<VerifiedChain, ChainBreak> {
    verify_against(entries, None)
}

/// Checks the rows and, when the store has one, compares them with the recorded head
/// (`(count, last_hash)`), which detects removal of the newest entries.
pub fn verify_against(
    entries: impl IntoIterator<Item = ChainedEntry>,
    head: Option<(i64, &str)>,
) -> Result<VerifiedChain, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    verifier.push(entries)?;
    verifier.finish(head)
}

fn text(hasher: &mut Sha256, value: &str) {
    hasher.update((value.len() as u64).to_be_bytes());
    hasher.update(value.as_bytes());
}

/// UTC at whole microseconds: the form every store can keep exactly.
fn storable_time(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    at - Duration::nanoseconds(i64::from(at.nanosecond() % 1_000))
}

fn canonical_time(at: OffsetDateTime) -> String {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    let offset = at.offset();
    let zone = if offset.is_utc() {
        "Z".to_owned()
    } else {
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!(
            "{sign}{:02}:{:02}",
            offset.whole_hours().unsigned_abs(),
            offset.minutes_past_hour().unsigned_abs()
        )
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{zone}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

#[cfg(test)]
mod tests;

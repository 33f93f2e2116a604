//! Tests of the audit chain: tampering with any part of any entry is found.

use super::*;
use proptest::prelude::*;
use time::macros::datetime;

fn event(n: i64) -> AuditEvent {
    AuditEvent {
        at: datetime!(2026-03-01 09:30:00 UTC) + Duration::minutes(n),
        actor: Some(UserId(n % 3 + 1)),
        actor_label: format!("staff{}@example.org", n % 3 + 1),
        action: "report.view".to_owned(),
        subject: Some(format!("CVD-2026-{n:04}")),
        detail: format!("{{\"n\":{n}}}"),
    }
}

fn log(len: i64) -> Vec<ChainedEntry> {
    let mut entries: Vec<ChainedEntry> = Vec::new();
    for n in 1..=len {
        let entry = chain(entries.last(), event(n));
        entries.push(entry);
    }
    entries
}

fn head(entries: &[ChainedEntry]) -> Option<(i64, &str)> {
    entries
        .last()
        .map(|last| (last.sequence, last.hash.as_str()))
}

#[test]
fn genesis_is_64_zeros() {
    assert_eq!(GENESIS_HASH.len(), 64);
    assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
}

#[test]
fn chain_numbers_from_one_and_links_hashes() {
    let entries = log(3);
    assert_eq!(entries[0].sequence, 1);
    assert_eq!(entries[0].previous_hash, GENESIS_HASH);
    assert_eq!(entries[1].sequence, 2);
    assert_eq!(entries[1].previous_hash, entries[0].hash);
    assert_eq!(entries[2].previous_hash, entries[1].hash);
    assert_eq!(entries[2].hash.len(), 64);
}

#[test]
fn intact_log_verifies() {
    let entries = log(20);
    let last = entries[19].hash.clone();
    assert_eq!(
        verify(entries.clone()),
        Ok(VerifiedChain {
            count: 20,
            last_hash: last.clone()
        })
    );
    assert!(verify_against(entries.clone(), head(&entries)).is_ok());
}

#[test]
fn empty_log_verifies_to_genesis() {
    assert_eq!(
        verify(Vec::new()),
        Ok(VerifiedChain {
            count: 0,
            last_hash: GENESIS_HASH.to_owned()
        })
    );
    assert!(verify_against(Vec::new(), Some((0, GENESIS_HASH))).is_ok());
}

/// Pins encoding version 1: stored chains stay verifiable only while this holds.
#[test]
fn encoding_is_stable() {
    let event = AuditEvent {
        at: datetime!(2026-03-01 09:30:00.123456 UTC),
        actor: Some(UserId(7)),
        actor_label: "alice@example.org".to_owned(),
        action: "report.transition".to_owned(),
        subject: Some("CVD-2026-0001".to_owned()),
        detail: r#"{"from":"new","to":"triaged"}"#.to_owned(),
    };
    assert_eq!(
        entry_hash(1, &event, GENESIS_HASH),
        "5eb09e032671cf6f3f60ab7190195fbf46fddfeef265a4932c25f0e683c39340"
    );
    assert_eq!(canonical_time(event.at), "2026-03-01T09:30:00.123456Z");
}

#[test]
fn time_is_kept_to_microseconds_in_utc() {
    let mut noisy = event(1);
    noisy.at = datetime!(2026-03-01 10:30:00.123456789 +01:00);
    let entry = chain(None, noisy);
    assert_eq!(entry.event.at, datetime!(2026-03-01 09:30:00.123456 UTC));
    assert!(entry.event.at.offset().is_utc());
    assert_eq!(
        canonical_time(datetime!(2026-03-01 10:30:00 +01:00)),
        "2026-03-01T09:30:00.000000Z"
    );
    assert!(verify(vec![entry]).is_ok());
}

#[test]
fn time_beyond_utc_range_keeps_its_offset() {
    let edge = datetime!(-9999-01-01 00:30:00 +01:00);
    assert_eq!(canonical_time(edge), "-9999-01-01T00:30:00.000000+01:00");
    assert!(verify(vec![chain(
        None,
        AuditEvent {
            at: edge,
            ..event(1)
        }
    )])
    .is_ok());
}

#[test]
fn fields_are_unambiguous() {
    let base = event(1);
    let moved = AuditEvent {
        action: "report.vie".to_owned(),
        subject: Some(format!("w{}", base.subject.clone().unwrap_or_default())),
        ..base.clone()
    };
    assert_ne!(
        entry_hash(1, &base, GENESIS_HASH),
        entry_hash(1, &moved, GENESIS_HASH)
    );
    let absent = AuditEvent {
        subject: None,
        ..base.clone()
    };
    let empty = AuditEvent {
        subject: Some(String::new()),
        ..base.clone()
    };
    assert_ne!(
        entry_hash(1, &absent, GENESIS_HASH),
        entry_hash(1, &empty, GENESIS_HASH)
    );
    let system = AuditEvent {
        actor: None,
        ..base.clone()
    };
    assert_ne!(
        entry_hash(1, &base, GENESIS_HASH),
        entry_hash(1, &system, GENESIS_HASH)
    );
}

fn tampered(change: impl Fn(&mut ChainedEntry)) -> Result<VerifiedChain, ChainBreak> {
    let mut entries = log(20);
    change(&mut entries[16]);
    verify(entries)
}

#[test]
fn tampering_with_any_field_is_detected() {
    let changed = Err(ChainBreak::Changed { sequence: 17 });
    assert_eq!(
        tampered(|e| e.event.at += Duration::microseconds(1)),
        changed
    );
    assert_eq!(tampered(|e| e.event.actor = Some(UserId(99))), changed);
    assert_eq!(tampered(|e| e.event.actor = None), changed);
    assert_eq!(tampered(|e| e.event.actor_label.push('x')), changed);
    assert_eq!(
        tampered(|e| e.event.action = "report.export".into()),
        changed
    );
    assert_eq!(tampered(|e| e.event.subject = None), changed);
    assert_eq!(tampered(|e| e.event.detail.clear()), changed);
    assert_eq!(tampered(|e| e.previous_hash = GENESIS_HASH.into()), changed);
    assert_eq!(tampered(|e| e.hash = GENESIS_HASH.into()), changed);
}

#[test]
fn rehashed_change_breaks_the_next_link() {
    let mut entries = log(20);
    entries[16].event.detail = "forged".to_owned();
    entries[16].hash = entry_hash(17, &entries[16].event, &entries[16].previous_hash);
    let error = verify(entries).err();
    assert_eq!(
        error,
        Some(ChainBreak::DoesNotFollow {
            sequence: 18,
            previous: 17
        })
    );
    assert_eq!(
        error.map(|e| e.to_string()).as_deref(),
        Some("entry 18 does not follow entry 17 (previous hash differs)")
    );
}

#[test]
fn changed_message_names_the_entry() {
    let error = tampered(|e| e.event.detail.push('!')).err();
    assert_eq!(
        error.map(|e| e.to_string()).as_deref(),
        Some("entry 17 was changed (its hash does not match its content)")
    );
}

#[test]
fn deleting_a_middle_entry_is_detected() {
    let mut entries = log(20);
    entries.remove(17);
    let error = verify(entries).err();
    assert_eq!(
        error,
        Some(ChainBreak::Missing {
            sequence: 18,
            before: 17,
            after: 19
        })
    );
    assert_eq!(
        error.map(|e| e.to_string()).as_deref(),
        Some("entry 18 is missing (sequence jumps from 17 to 19)")
    );
}

#[test]
fn deleting_and_renumbering_is_detected() {
    let mut entries = log(20);
    entries.remove(17);
    for entry in &mut entries[17..] {
        entry.sequence -= 1;
        entry.hash = entry_hash(entry.sequence, &entry.event, &entry.previous_hash);
    }
    assert_eq!(
        verify(entries).err(),
        Some(ChainBreak::DoesNotFollow {
            sequence: 18,
            previous: 17
        })
    );
}

#[test]
fn deleting_the_first_entry_is_detected() {
    let mut entries = log(5);
    entries.remove(0);
    let error = verify(entries).err();
    assert_eq!(error, Some(ChainBreak::DoesNotStartAtOne { first: 2 }));
    assert_eq!(error.map(|e| e.sequence()), Some(1));
}

#[test]
fn a_forged_first_entry_is_detected() {
    let mut entries = log(3);
    entries[0].previous_hash = "f".repeat(64);
    entries[0].hash = entry_hash(1, &entries[0].event, &entries[0].previous_hash);
    assert_eq!(verify(entries).err(), Some(ChainBreak::NotGenesis));
}

#[test]
fn reordering_is_detected() {
    let mut entries = log(10);
    entries.swap(3, 6);
    assert_eq!(
        verify(entries).err(),
        Some(ChainBreak::Missing {
            sequence: 4,
            before: 3,
            after: 7
        })
    );

    let mut entries = log(10);
    entries.swap(3, 4);
    entries[3].sequence = 4;
    entries[4].sequence = 5;
    assert_eq!(
        verify(entries).err(),
        Some(ChainBreak::Changed { sequence: 4 })
    );

    let mut entries = log(10);
    let repeated = entries[2].clone();
    entries.insert(4, repeated);
    assert_eq!(
        verify(entries).err(),
        Some(ChainBreak::OutOfOrder {
            sequence: 3,
            after: 4
        })
    );
}

#[test]
fn truncation_passes_without_a_head_and_fails_with_one() {
    let entries = log(20);
    let recorded = (20, entries[19].hash.clone());
    let truncated = entries[..18].to_vec();
    assert_eq!(verify(truncated.clone()).map(|v| v.count), Ok(18));
    assert_eq!(
        verify_against(truncated.clone(), None).map(|v| v.count),
        Ok(18)
    );
    let error = verify_against(truncated, Some((recorded.0, &recorded.1))).err();
    assert_eq!(
        error,
        Some(ChainBreak::Truncated {
            sequence: 19,
            count: 18,
            recorded: 20
        })
    );
    assert_eq!(
        error.map(|e| e.to_string()).as_deref(),
        Some("entry 19 is missing: the log ends at entry 18 but its head records 20 entries")
    );
    assert!(verify_against(Vec::new(), Some((recorded.0, &recorded.1))).is_err());
}

#[test]
fn replacing_the_last_entry_is_detected_by_the_head() {
    let mut entries = log(5);
    let recorded = entries[4].hash.clone();
    entries.pop();
    let forged = chain(entries.last(), event(42));
    entries.push(forged);
    assert!(verify(entries.clone()).is_ok());
    assert_eq!(
        verify_against(entries, Some((5, &recorded))).err(),
        Some(ChainBreak::HeadMismatch { sequence: 5 })
    );
}

#[test]
fn rows_beyond_the_head_are_reported() {
    let entries = log(6);
    let recorded = entries[4].hash.clone();
    assert_eq!(
        verify_against(entries, Some((5, &recorded))).err(),
        Some(ChainBreak::BeyondHead {
            sequence: 6,
            count: 6,
            recorded: 5
        })
    );
}

fn arbitrary_event() -> impl Strategy<Value = AuditEvent> {
    (
        0_i64..4_000_000_000,
        proptest::option::of(0_i64..1_000_000),
        "[ -~é€]{0,12}",
        "[a-z._]{1,12}",
        proptest::option::of("[ -~é€]{0,12}"),
        "[ -~é€\n]{0,24}",
    )
        .prop_map(
            |(seconds, actor, label, action, subject, detail)| AuditEvent {
                at: OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds),
                actor: actor.map(UserId),
                actor_label: label,
                action,
                subject,
                detail,
            },
        )
}

fn flip_byte(text: &mut String, position: usize, mask: u8) -> bool {
    let mut bytes = std::mem::take(text).into_bytes();
    if bytes.is_empty() {
        bytes.push(mask);
    } else {
        let index = position % bytes.len();
        bytes[index] ^= mask;
    }
    match String::from_utf8(bytes) {
        Ok(changed) => {
            *text = changed;
            true
        }
        Err(_) => false,
    }
}

fn flip_int(value: i64, position: usize, mask: u8) -> i64 {
    let mut bytes = value.to_be_bytes();
    bytes[7 - position % 7] ^= mask;
    i64::from_be_bytes(bytes)
}

proptest! {
    #[test]
    fn any_single_byte_change_is_detected(
        events in proptest::collection::vec(arbitrary_event(), 1..6),
        pick in any::<usize>(),
        field in 0_usize..9,
        position in any::<usize>(),
        mask in 1_u8..=255,
    ) {
        let mut entries: Vec<ChainedEntry> = Vec::new();
        for event in events {
            let entry = chain(entries.last(), event);
            entries.push(entry);
        }
        let recorded = head(&entries).map(|(count, hash)| (count, hash.to_owned()));
        let index = pick % entries.len();
        let entry = &mut entries[index];
        let changed = match field {
            0 => {
                entry.sequence = flip_int(entry.sequence, position, mask);
                true
            }
            1 => {
                let micros = i64::try_from(entry.event.at.unix_timestamp_nanos() / 1_000)
                    .unwrap_or_default();
                entry.event.at = OffsetDateTime::UNIX_EPOCH
                    + Duration::microseconds(flip_int(micros, position, mask));
                true
            }
            2 => {
                entry.event.actor = Some(UserId(match entry.event.actor {
                    Some(UserId(id)) => flip_int(id, position, mask),
                    None => i64::from(mask),
                }));
                true
            }
            3 => flip_byte(&mut entry.event.actor_label, position, mask),
            4 => flip_byte(&mut entry.event.action, position, mask),
            5 => match &mut entry.event.subject {
                Some(subject) => flip_byte(subject, position, mask),
                None => {
                    entry.event.subject = Some(char::from(mask % 128).to_string());
                    true
                }
            },
            6 => flip_byte(&mut entry.event.detail, position, mask),
            7 => flip_byte(&mut entry.previous_hash, position, mask),
            _ => flip_byte(&mut entry.hash, position, mask),
        };
        prop_assume!(changed);
        let anchor = recorded.as_ref().map(|(count, hash)| (*count, hash.as_str()));
        prop_assert!(verify(entries.clone()).is_err());
        prop_assert!(verify_against(entries, anchor).is_err());
    }
}

/// Every way of breaking a log, verified whole and in batches of every size.
#[test]
fn batches_verify_exactly_as_the_whole_log() {
    let intact = log(7);
    type Case = (Vec<ChainedEntry>, Option<(i64, String)>);
    let mut cases: Vec<Case> = Vec::new();
    let with_head = |entries: Vec<ChainedEntry>, head: &[ChainedEntry]| {
        let recorded = head.last().map(|e| (e.sequence, e.hash.clone()));
        (entries, recorded)
    };
    cases.push(with_head(intact.clone(), &intact));
    cases.push((Vec::new(), None));
    let mut changed = intact.clone();
    changed[4].event.detail.push('!');
    cases.push(with_head(changed, &intact));
    let mut missing = intact.clone();
    missing.remove(3);
    cases.push(with_head(missing, &intact));
    let mut reordered = intact.clone();
    reordered.swap(2, 5);
    cases.push(with_head(reordered, &intact));
    cases.push(with_head(intact[..5].to_vec(), &intact));
    cases.push(with_head(intact.clone(), &intact[..5]));
    cases.push(with_head(intact[1..].to_vec(), &intact));
    for (entries, head) in cases {
        let head = head.as_ref().map(|(count, hash)| (*count, hash.as_str()));
        let whole = verify_against(entries.clone(), head);
        for size in 1..=entries.len().max(1) {
            let mut verifier = ChainVerifier::default();
            let mut outcome = Ok(());
            for batch in entries.chunks(size) {
                outcome = verifier.push(batch.to_vec());
                if outcome.is_err() {
                    break;
                }
            }
            let batched = outcome.and_then(|()| verifier.finish(head));
            assert_eq!(batched, whole, "batches of {size}");
        }
    }
}

//! A kept part's reports of one product, in the binary form they are kept in: what the
//! dashboards count of each report, without the text's decimal numbers to read and names
//! to compare. Reading a long period is then mostly counting.
//!
//! The form: the names the reports use (a count, then each name's length and UTF-8
//! bytes), then each report: its flags (`u16`, little-endian), its source's name number,
//! the name numbers of the rating, weakness and root cause it has, its receipt and each
//! milestone it reached (`i64` microseconds, little-endian). Counts, lengths and name
//! numbers are LEB128.

use foldhash::HashMap;

use super::tally::Received;
use crate::StoreError;

const RATING: u16 = 1;
const WEAKNESS: u16 = 1 << 1;
const CAUSE: u16 = 1 << 2;
const DUPLICATE: u16 = 1 << 3;
const SPAM: u16 = 1 << 4;
/// The milestones, in the order they are written: first response, triaged, assigned,
/// remediated, closed.
const MILESTONES: [u16; 5] = [1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 9];
const KNOWN: u16 = (1 << 10) - 1;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("a kept dashboard part {what}"))
}

fn push_number(out: &mut Vec<u8>, mut number: usize) {
    loop {
        let low = (number & 0x7f) as u8;
        number >>= 7;
        if number == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Writes reports in the kept form, one at a time.
#[derive(Default)]
pub(super) struct Encoder<'a> {
    names: Vec<&'a str>,
    numbers: HashMap<&'a str, usize>,
    body: Vec<u8>,
}

impl<'a> Encoder<'a> {
    pub fn push(&mut self, report: Received<&'a str>) {
        let (names, numbers) = (&mut self.names, &mut self.numbers);
        let report = report.numbered(|_, name| {
            *numbers.entry(name).or_insert_with(|| {
                names.push(name);
                names.len() - 1
            })
        });
        let milestones = [
            report.first_response,
            report.triaged,
            report.assigned,
            report.remediated,
            report.closed,
        ];
        let mut flags = 0;
        for (flag, set) in [
            (RATING, report.rating.is_some()),
            (WEAKNESS, report.weakness.is_some()),
            (CAUSE, report.root_cause.is_some()),
            (DUPLICATE, report.duplicate),
            (SPAM, report.spam),
        ] {
            flags |= if set { flag } else { 0 };
        }
        for (flag, at) in MILESTONES.into_iter().zip(milestones) {
            flags |= if at.is_some() { flag } else { 0 };
        }
        let body = &mut self.body;
        body.extend_from_slice(&flags.to_le_bytes());
        push_number(body, report.source);
        for number in [report.rating, report.weakness, report.root_cause]
            .into_iter()
            .flatten()
        {
            push_number(body, number);
        }
        body.extend_from_slice(&report.created.to_le_bytes());
        for at in milestones.into_iter().flatten() {
            body.extend_from_slice(&at.to_le_bytes());
        }
    }

    /// The reports pushed, in the kept form.
    pub fn finish(self) -> Vec<u8> {
        let lengths: usize = self.names.iter().map(|name| name.len() + 4).sum();
        let mut out = Vec::with_capacity(self.body.len() + lengths + 4);
        push_number(&mut out, self.names.len());
        for name in self.names {
            push_number(&mut out, name.len());
            out.extend_from_slice(name.as_bytes());
        }
        out.extend_from_slice(&self.body);
        out
    }
}

/// The reports of a kept form, read in order.
pub(super) struct KeptReports<'a> {
    names: Vec<&'a str>,
    rest: &'a [u8],
}

impl<'a> KeptReports<'a> {
    /// Reads the names; the reports follow with `next_report`.
    pub fn new(kept: &'a [u8]) -> Result<KeptReports<'a>, StoreError> {
        let mut reports = KeptReports {
            names: Vec::new(),
            rest: kept,
        };
        let count = reports.number()?;
        // Each name takes a byte at least, so a count past the bytes left is not one.
        if count > reports.rest.len() {
            return Err(corrupt("names more names than it holds"));
        }
        reports.names.reserve(count);
        for _ in 0..count {
            let length = reports.number()?;
            let bytes = reports.bytes(length)?;
            let name = std::str::from_utf8(bytes).map_err(|_| corrupt("has a name not UTF-8"))?;
            reports.names.push(name);
        }
        Ok(reports)
    }

    /// The names the reports' name numbers stand for.
    pub fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// The next report, with its names as numbers within `names`; `None` after the last.
    pub fn next_report(&mut self) -> Result<Option<Received<usize>>, StoreError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let flags = u16::from_le_bytes(self.array()?);
        if flags & !KNOWN != 0 {
            return Err(corrupt("has a report of an unknown form"));
        }
        let source = self.name()?;
        let rating = self.name_if(flags & RATING != 0)?;
        let weakness = self.name_if(flags & WEAKNESS != 0)?;
        let root_cause = self.name_if(flags & CAUSE != 0)?;
        let created = i64::from_le_bytes(self.array()?);
        let mut milestones = [None; 5];
        for (flag, at) in MILESTONES.into_iter().zip(&mut milestones) {
            if flags & flag != 0 {
                *at = Some(i64::from_le_bytes(self.array()?));
            }
        }
        let [first_response, triaged, assigned, remediated, closed] = milestones;
        Ok(Some(Received {
            rating,
            source,
            weakness,
            root_cause,
            duplicate: flags & DUPLICATE != 0,
            spam: flags & SPAM != 0,
            created,
            first_response,
            triaged,
            assigned,
            remediated,
            closed,
        }))
    }

    fn bytes(&mut self, length: usize) -> Result<&'a [u8], StoreError> {
        if length > self.rest.len() {
            return Err(corrupt("ends within a report"));
        }
        let (bytes, rest) = self.rest.split_at(length);
        self.rest = rest;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let bytes = self.bytes(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn number(&mut self) -> Result<usize, StoreError> {
        let mut number: usize = 0;
        for shift in (0..usize::BITS).step_by(7) {
            let [byte] = self.array()?;
            let low = usize::from(byte & 0x7f);
            if shift > 0 && low >> (usize::BITS - shift) != 0 {
                return Err(corrupt("has a number too large"));
            }
            number |= low << shift;
            if byte & 0x80 == 0 {
                return Ok(number);
            }
        }
        Err(corrupt("has a number too large"))
    }

    /// A name number, checked against the names.
    fn name(&mut self) -> Result<usize, StoreError> {
        let number = self.number()?;
        if number >= self.names.len() {
            return Err(corrupt("names a report's name it does not hold"));
        }
        Ok(number)
    }

    fn name_if(&mut self, present: bool) -> Result<Option<usize>, StoreError> {
        present.then(|| self.name()).transpose()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Encoder, KeptReports};
    use crate::sql_store::insights::tally::Received;

    fn report() -> impl Strategy<Value = Received<String>> {
        let name = "[a-z0-9-]{0,12}";
        let at = prop::option::of(any::<i64>());
        (
            (
                prop::option::of(name),
                name,
                prop::option::of(name),
                prop::option::of(name),
            ),
            (any::<bool>(), any::<bool>(), any::<i64>()),
            (at.clone(), at.clone(), at.clone(), at.clone(), at),
        )
            .prop_map(
                |(
                    (rating, source, weakness, root_cause),
                    (duplicate, spam, created),
                    (first_response, triaged, assigned, remediated, closed),
                )| Received {
                    rating,
                    source,
                    weakness,
                    root_cause,
                    duplicate,
                    spam,
                    created,
                    first_response,
                    triaged,
                    assigned,
                    remediated,
                    closed,
                },
            )
    }

    fn encode(reports: &[Received<String>]) -> Vec<u8> {
        let mut encoder = Encoder::default();
        for report in reports {
            encoder.push(borrowed(report));
        }
        encoder.finish()
    }

    fn decode(kept: &[u8]) -> Result<Vec<Received<String>>, crate::StoreError> {
        let mut reports = KeptReports::new(kept)?;
        let mut all = Vec::new();
        while let Some(report) = reports.next_report()? {
            let names = reports.names();
            all.push(report.numbered(|_, number| names[number].to_owned()));
        }
        Ok(all)
    }

    fn borrowed(report: &Received<String>) -> Received<&str> {
        Received {
            rating: report.rating.as_deref(),
            source: report.source.as_str(),
            weakness: report.weakness.as_deref(),
            root_cause: report.root_cause.as_deref(),
            duplicate: report.duplicate,
            spam: report.spam,
            created: report.created,
            first_response: report.first_response,
            triaged: report.triaged,
            assigned: report.assigned,
            remediated: report.remediated,
            closed: report.closed,
        }
    }

    proptest! {
        /// Every report comes back as it went in, names, flags and times alike.
        #[test]
        fn reports_come_back_as_they_were_kept(reports in prop::collection::vec(report(), 0..40)) {
            let kept = encode(&reports);
            prop_assert_eq!(decode(&kept).expect("decoded"), reports);
        }

        /// Whatever the bytes, reading them ends in reports or a refusal, never a panic;
        /// and a kept form cut short is refused.
        #[test]
        fn any_bytes_are_read_or_refused(
            bytes in prop::collection::vec(any::<u8>(), 0..200),
            reports in prop::collection::vec(report(), 1..5),
        ) {
            let _ = decode(&bytes);
            let kept = encode(&reports);
            prop_assert!(decode(&kept[..kept.len() - 1]).is_err());
        }
    }
}

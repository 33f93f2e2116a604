//! The queue of reports waiting to be written together: a place for each, in the order of
//! the ids and numbers it hands out, written only from the front.

use std::collections::VecDeque;

use tokio::sync::{oneshot, watch};

use super::statements::Statements;
use super::Outcome;

/// Reports waiting to be written together, in the order of their numbers.
#[derive(Default)]
pub(super) struct Queue {
    /// The id and number the next report of a year's sequence takes, when known.
    pub(super) next: Option<Expected>,
    /// The place of `places`' first report among all the queue has handed out.
    pub(super) first: u64,
    pub(super) places: VecDeque<Place>,
    /// A task is on its way to write what is ready.
    pub(super) draining: bool,
}

/// One report's place in the queue: empty while its writer composes it.
pub(super) struct Place {
    pub(super) written: oneshot::Sender<Written>,
    pub(super) ready: Option<Statements>,
}

/// What happened to a report left in the queue.
pub(super) enum Written {
    /// Written into the group whose commit this tells.
    Stored(watch::Receiver<Outcome>),
    /// Not written: its number did not hold, or the group could not take it. Its writer
    /// writes it the careful way.
    Again,
    /// Not written, and the group failed with this error.
    Failed(String),
}

/// The id and reference number the next report of a year's sequence takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) prefix: String,
    pub(crate) year: i64,
    pub(crate) id: i64,
    pub(crate) sequence: i64,
}

impl Queue {
    pub(super) fn reserve(&mut self, prefix: &str, year: i64) -> Option<(u64, Expected)> {
        let next = self
            .next
            .as_mut()
            .filter(|next| next.prefix == prefix && next.year == year)?;
        let expected = next.clone();
        match (next.id.checked_add(1), next.sequence.checked_add(1)) {
            (Some(id), Some(sequence)) => {
                next.id = id;
                next.sequence = sequence;
            }
            _ => self.next = None,
        }
        Some((self.first + self.places.len() as u64, expected))
    }

    pub(super) fn place(&mut self, ticket: u64) -> Option<&mut Place> {
        let index = usize::try_from(ticket.checked_sub(self.first)?).ok()?;
        self.places.get_mut(index)
    }

    /// The reports ready at the front, in order, taken out of the queue.
    pub(super) fn take_ready(&mut self) -> Vec<(Statements, oneshot::Sender<Written>)> {
        let mut ready = Vec::new();
        while self
            .places
            .front()
            .is_some_and(|place| place.ready.is_some())
        {
            if let Some(Place {
                written,
                ready: Some(statements),
            }) = self.places.pop_front()
            {
                ready.push((statements, written));
                self.first += 1;
            }
        }
        ready
    }

    /// Forgets the next number and sends every waiting report's writer the careful way:
    /// the numbers they were given no longer hold.
    pub(super) fn forget(&mut self) {
        self.next = None;
        self.first += self.places.len() as u64;
        for place in self.places.drain(..) {
            let _ = place.written.send(Written::Again);
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::oneshot;

    use super::super::statements::{Batch, Statements, Values};
    use super::{Expected, Place, Queue, Written};

    fn queue_expecting(id: i64, sequence: i64) -> Queue {
        Queue {
            next: Some(Expected {
                prefix: "CVD".into(),
                year: 2026,
                id,
                sequence,
            }),
            ..Queue::default()
        }
    }

    /// Reserves the next place, as `Member::reserve` does.
    fn reserve(queue: &mut Queue) -> (u64, Expected, oneshot::Receiver<Written>) {
        let (ticket, expected) = queue.reserve("CVD", 2026).expect("a number is known");
        let (written, receiver) = oneshot::channel();
        queue.places.push_back(Place {
            written,
            ready: None,
        });
        (ticket, expected, receiver)
    }

    fn fill(queue: &mut Queue, ticket: u64, marker: &str) {
        let mut batch = Batch::default();
        batch.push(marker);
        queue.place(ticket).expect("still queued").ready = Some(Statements {
            batch,
            values: Values::default(),
        });
    }

    fn taken(queue: &mut Queue) -> Vec<String> {
        queue
            .take_ready()
            .into_iter()
            .map(|(statements, _)| statements.batch.text().to_owned())
            .collect()
    }

    #[test]
    fn places_are_given_out_in_number_order_and_written_only_from_the_front() {
        let mut queue = queue_expecting(10, 4);
        let (first, one, _) = reserve(&mut queue);
        let (second, two, _) = reserve(&mut queue);
        let (third, three, _) = reserve(&mut queue);
        assert_eq!(
            [one, two, three].map(|e| (e.id, e.sequence)),
            [(10, 4), (11, 5), (12, 6)]
        );
        assert!(
            queue.reserve("CVD", 2027).is_none(),
            "another year's sequence"
        );
        assert!(queue.reserve("SEC", 2026).is_none(), "another prefix");
        fill(&mut queue, second, "two");
        fill(&mut queue, third, "three");
        assert!(
            taken(&mut queue).is_empty(),
            "the second and third wait for the first"
        );
        fill(&mut queue, first, "one");
        assert_eq!(taken(&mut queue), ["one", "two", "three"]);
        assert!(queue.places.is_empty());
    }

    #[test]
    fn forgetting_sends_every_waiting_writer_the_careful_way_and_tickets_never_repeat() {
        let mut queue = queue_expecting(1, 1);
        let (first, _, mut first_written) = reserve(&mut queue);
        let (second, _, mut second_written) = reserve(&mut queue);
        fill(&mut queue, second, "two");
        queue.forget();
        assert!(queue.next.is_none());
        assert!(queue.reserve("CVD", 2026).is_none());
        for written in [&mut first_written, &mut second_written] {
            assert!(matches!(written.try_recv(), Ok(Written::Again)));
        }
        assert!(queue.place(first).is_none() && queue.place(second).is_none());
        queue.next = Some(Expected {
            prefix: "CVD".into(),
            year: 2026,
            id: 3,
            sequence: 3,
        });
        let (third, _, _) = reserve(&mut queue);
        assert!(
            third > second,
            "a forgotten place's ticket is never given again"
        );
        fill(&mut queue, third, "three");
        assert_eq!(taken(&mut queue), ["three"]);
    }
}

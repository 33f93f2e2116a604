//! Spam: a report is closed as spam by moving it to not applicable with the reason
//! "spam" (the staff "Mark as spam" button, or a bulk close with that reason). Only such a
//! report may be purged, deleted with its files; anything else stays for the record.

use crate::report::ReportState;

/// The reason that marks a close as spam.
pub const SPAM_REASON: &str = "spam";

/// Whether a report in `state`, whose last move was made for `last_reason`, was closed as
/// spam and may be purged.
pub fn closed_as_spam(state: ReportState, last_reason: Option<&str>) -> bool {
    state == ReportState::NotApplicable
        && last_reason.is_some_and(|reason| reason.trim().eq_ignore_ascii_case(SPAM_REASON))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_report_closed_for_spam_counts() {
        assert!(closed_as_spam(ReportState::NotApplicable, Some("spam")));
        assert!(closed_as_spam(ReportState::NotApplicable, Some(" Spam ")));
        assert!(!closed_as_spam(
            ReportState::NotApplicable,
            Some("out of scope")
        ));
        assert!(!closed_as_spam(ReportState::NotApplicable, None));
        assert!(!closed_as_spam(ReportState::Informative, Some("spam")));
        assert!(!closed_as_spam(ReportState::New, Some("spam")));
    }
}

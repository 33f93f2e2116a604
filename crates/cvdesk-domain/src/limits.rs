//! Limits that several rules share, kept apart so that none of them depends on another
//! for a number.

/// The longest reason a person may give, in characters: for moving a report
/// (workflow) and for overriding its computed priority (priority).
pub const MAX_REASON_CHARS: usize = 2_000;

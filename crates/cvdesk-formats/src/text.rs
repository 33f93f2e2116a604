//! Small helpers for the messages parsers give back.

/// Longest input echoed back in an error, so a pasted essay does not become the message.
const MAX_ECHO_CHARS: usize = 40;

/// The start of `input` for an error message, with `…` when it was cut.
pub(crate) fn echo(input: &str) -> String {
    let mut chars = input.chars();
    let mut shown: String = chars.by_ref().take(MAX_ECHO_CHARS).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::echo;

    #[test]
    fn echo_cuts_long_input() {
        assert_eq!(echo("short"), "short");
        let long = "x".repeat(50);
        assert_eq!(echo(&long), format!("{}…", "x".repeat(40)));
    }
}

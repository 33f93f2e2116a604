//! The text of a message between the desk and a finder.

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 20_000;

/// The message as it will be kept: trimmed, CR LF as LF; or why it cannot be sent.
pub fn parse_body(text: &str) -> Result<String, String> {
    let body = text.trim().replace("\r\n", "\n");
    if body.is_empty() {
        return Err("Write a message first.".to_owned());
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!(
            "Keep the message under {MAX_MESSAGE_CHARS} characters; attach longer material \
             as a file to a new report if needed."
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("Remove the control characters from the message.".to_owned());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_checked() {
        assert_eq!(
            parse_body("  Hello\r\nthere \n").as_deref(),
            Ok("Hello\nthere")
        );
        assert!(parse_body(" \n\t ").is_err());
        assert!(parse_body("bell\u{7}").is_err());
        assert!(parse_body(&"x".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(parse_body(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
    }
}

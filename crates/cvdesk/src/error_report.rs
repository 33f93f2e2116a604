//! An error as one line for the operator: each cause after the message it explains, but
//! a cause already spelled out by the message before it is not said again (many errors
//! print their source in their own text and also return it as their source).

/// `error` and its causes joined by ": ", each said once.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapping(std::io::Error);

    impl std::fmt::Display for Wrapping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "database error: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_its_message_already_says_is_said_once() {
        let inner = std::io::Error::other("pool timed out while waiting for a connection");
        let error = anyhow::Error::new(Wrapping(inner)).context("cannot open the store");
        assert_eq!(
            format!("{error:#}"),
            "cannot open the store: database error: pool timed out while waiting for a \
             connection: pool timed out while waiting for a connection",
            "what the plain chain says"
        );
        assert_eq!(
            one_line(&error),
            "cannot open the store: database error: pool timed out while waiting for a \
             connection"
        );
    }

    #[test]
    fn distinct_causes_are_all_said() {
        let error = anyhow::anyhow!("connection refused").context("cannot reach the database");
        assert_eq!(
            one_line(&error),
            "cannot reach the database: connection refused"
        );
    }
}

//! Connection URLs (the database's, the mail server's) as they may be shown to people, in
//! errors, logs and `Debug` output: with the secrets they can carry hidden.

/// What a hidden secret is shown as.
const HIDDEN: &str = "***";

/// The URL with its secrets replaced by `***`: the password after `user:` in the user
/// part, and the value of every query parameter whose name contains `password`
/// (`password=`, `sslpassword=`). It works on text that is no valid URL too, as it is
/// mostly shown when parsing failed; when unsure where the user part ends it hides more
/// rather than less.
pub fn redact_url(text: &str) -> String {
    let user_part_start = text.find("://").map_or(0, |scheme_end| scheme_end + 3);
    // The last `@` ends the user part: a password may hold an unencoded `@`.
    let (start, rest) = match text[user_part_start..].rfind('@') {
        Some(at) => {
            let user_part = &text[user_part_start..user_part_start + at];
            let user = match user_part.split_once(':') {
                Some((user, _password)) => format!("{user}:{HIDDEN}"),
                None => user_part.to_owned(),
            };
            (
                format!("{}{user}", &text[..user_part_start]),
                &text[user_part_start + at..],
            )
        }
        None => (String::new(), text),
    };
    let rest = match rest.split_once('?') {
        Some((before, query)) => format!("{before}?{}", redact_query(query)),
        None => rest.to_owned(),
    };
    start + &rest
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, _value)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}={HIDDEN}")
            }
            _ => parameter.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_the_user_part_is_hidden() {
        assert_eq!(
            redact_url("postgres://cv:hunter2@db:5432/cvdesk"),
            "postgres://cv:***@db:5432/cvdesk"
        );
        assert_eq!(
            redact_url("smtps://desk:p@ss:w@rd@mail.example.org"),
            "smtps://desk:***@mail.example.org"
        );
        assert_eq!(
            redact_url("smtps://:secret@mail.example.org"),
            "smtps://:***@mail.example.org"
        );
        assert_eq!(redact_url("user:secret@host"), "user:***@host");
    }

    #[test]
    fn password_parameters_are_hidden() {
        assert_eq!(
            redact_url("postgres://cv@db/cvdesk?password=hunter2"),
            "postgres://cv@db/cvdesk?password=***"
        );
        assert_eq!(
            redact_url("postgresql:///cvdesk?host=/run/postgresql&PASSWORD=a&sslpassword=b&sslmode=require"),
            "postgresql:///cvdesk?host=/run/postgresql&PASSWORD=***&sslpassword=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://cv:one@db/x?password=two"),
            "postgres://cv:***@db/x?password=***"
        );
        assert_eq!(redact_url("/?password=secret"), "/?password=***");
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "postgres://db/cvdesk",
            "postgres://cv@db:5432/cvdesk?sslmode=require&application_name=desk",
            "smtp://127.0.0.1:2525",
            "mail.example.org",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn no_secret_survives_odd_text() {
        for text in [
            "postgres://cv:secret@db/x?application_name=a@b",
            "postgres://cv:sec?ret@db/x",
            "postgres://cv:sec/ret@db/x",
            "smtp ://user:secret@host",
            "postgres://db/x?password=secret&password=secret",
            "postgres://db/x?password=secret#fragment",
        ] {
            let shown = redact_url(text);
            assert!(!shown.contains("secret"), "{text} -> {shown}");
        }
    }
}

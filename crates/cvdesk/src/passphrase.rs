//! The passphrase that unlocks the organization's OpenPGP key: from
//! `CVDESK_PGP_PASSPHRASE`, or the file named by `CVDESK_PGP_PASSPHRASE_FILE`. It is part
//! of the configuration `serve` reads and of what `cvdesk pgp` needs, and is never printed.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{anyhow, bail, Context};

pub const PASSPHRASE_VARIABLE: &str = "CVDESK_PGP_PASSPHRASE";
pub const PASSPHRASE_FILE_VARIABLE: &str = "CVDESK_PGP_PASSPHRASE_FILE";

pub fn passphrase() -> anyhow::Result<Option<String>> {
    passphrase_from(
        std::env::var_os(PASSPHRASE_VARIABLE),
        std::env::var_os(PASSPHRASE_FILE_VARIABLE),
    )
}

/// The passphrase from the variable or the file it names; an empty one means none.
fn passphrase_from(
    value: Option<OsString>,
    file: Option<OsString>,
) -> anyhow::Result<Option<String>> {
    let passphrase = match (value, file) {
        (Some(_), Some(_)) => {
            bail!("set {PASSPHRASE_VARIABLE} or {PASSPHRASE_FILE_VARIABLE}, not both")
        }
        (Some(value), None) => value
            .into_string()
            .map_err(|_| anyhow!("{PASSPHRASE_VARIABLE} is not valid UTF-8"))?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read {PASSPHRASE_FILE_VARIABLE} {}",
                    Path::new(&path).display()
                )
            })?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            text.strip_suffix('\r').unwrap_or(text).to_owned()
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(passphrase).filter(|passphrase| !passphrase.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passphrase_comes_from_the_variable() {
        let passphrase = passphrase_from(Some("  spaced  ".into()), None).expect("read");
        assert_eq!(passphrase.as_deref(), Some("  spaced  "));
        assert_eq!(passphrase_from(None, None).expect("read"), None);
        assert_eq!(passphrase_from(Some("".into()), None).expect("read"), None);
    }

    #[test]
    fn the_passphrase_file_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (content, expected) in [
            ("secret\n", Some("secret")),
            ("secret\r\n", Some("secret")),
            ("secret ", Some("secret ")),
            ("two\n\n", Some("two\n")),
            ("\n", None),
        ] {
            let path = dir.path().join("passphrase");
            std::fs::write(&path, content).expect("written");
            let passphrase = passphrase_from(None, Some(path.into_os_string())).expect("read");
            assert_eq!(passphrase.as_deref(), expected, "{content:?}");
        }
    }

    #[test]
    fn both_sources_or_a_missing_file_are_refused() {
        let both = passphrase_from(Some("a".into()), Some("/nonexistent".into()));
        assert!(both.expect_err("refused").to_string().contains("not both"));
        let missing = passphrase_from(None, Some("/nonexistent/passphrase".into()));
        let message = format!("{:#}", missing.expect_err("refused"));
        assert!(message.contains("CVDESK_PGP_PASSPHRASE_FILE /nonexistent/passphrase"));
    }
}

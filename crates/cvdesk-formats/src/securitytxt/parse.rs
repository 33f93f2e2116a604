//! Reading a security.txt file into its fields: line syntax, comments, and the OpenPGP
//! cleartext-signature envelope (RFC 4880 §7) around a signed file. Checking what the
//! fields say is the linter's job; checking the signature's cryptography is not this
//! crate's.

use super::finding::Finding;
use super::pgp;

const BEGIN_SIGNED: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &str = "-----END PGP SIGNATURE-----";

/// The fields of a security.txt file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Whether the file is wrapped in an OpenPGP cleartext signature.
    pub signed: bool,
    pub fields: Vec<Field>,
}

impl Document {
    /// Values of every field called `name`, compared case-insensitively as RFC 9116 asks.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |field| field.is(name))
            .map(|field| field.value.as_str())
    }
}

/// One `Name: value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// 1-based line number in the file.
    pub line: usize,
    /// The name as written.
    pub name: String,
    /// The value without surrounding whitespace.
    pub value: String,
}

impl Field {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Reads `text` into its fields, skipping lines it cannot read; [`super::lint`] says
/// what is wrong with them.
pub fn parse(text: &str) -> Document {
    parse_with_findings(text).0
}

enum State {
    Plain,
    /// After `BEGIN PGP SIGNED MESSAGE`, before the empty line that ends the `Hash` headers.
    ArmorHeaders,
    SignedText,
    /// Inside the signature block; holds its lines and where it began.
    Signature {
        begin: usize,
        lines: Vec<(usize, String)>,
    },
    AfterSignature,
}

pub(crate) fn parse_with_findings(text: &str) -> (Document, Vec<Finding>) {
    let mut reader = Reader::default();
    let mut state = State::Plain;
    let segments: Vec<&str> = text.split('\n').collect();
    for (index, segment) in segments.iter().enumerate() {
        let line_no = index + 1;
        let line = segment.trim_end();
        state = reader.step(state, line_no, line);
    }
    match state {
        State::ArmorHeaders | State::SignedText => reader.findings.push(
            Finding::error(
                "signed_format",
                format!("the signed message has no signature block ('{BEGIN_SIGNATURE}')"),
            )
            .at(segments.len()),
        ),
        State::Signature { begin, .. } => reader.findings.push(
            Finding::error(
                "signed_format",
                format!("the signature block is not closed with '{END_SIGNATURE}'"),
            )
            .at(begin),
        ),
        State::Plain | State::AfterSignature => {}
    }
    check_line_ends(&segments, reader.document.signed, &mut reader.findings);
    (reader.document, reader.findings)
}

/// RFC 9116 §2.2: every line ends with CRLF or LF, the last one included; a signed
/// file must not trail extra empty lines after its signature.
fn check_line_ends(segments: &[&str], signed: bool, findings: &mut Vec<Finding>) {
    let blank = |segment: &&str| segment.trim_end().is_empty();
    let count = segments.len();
    if segments.last().is_some_and(|last| !blank(last)) {
        findings.push(
            Finding::error(
                "no_line_separators",
                "the last line must end with a line break (LF or CRLF)",
            )
            .at(count),
        );
    }
    if signed && count >= 2 && segments[count - 2..].iter().all(blank) {
        findings.push(
            Finding::error(
                "too_many_line_separators",
                "a signed file must end right after the signature, without empty lines",
            )
            .at(count - 1),
        );
    }
}

#[derive(Default)]
struct Reader {
    document: Document,
    findings: Vec<Finding>,
}

impl Reader {
    fn step(&mut self, state: State, line_no: usize, line: &str) -> State {
        if line == BEGIN_SIGNED && !matches!(state, State::Signature { .. }) {
            if line_no != 1 {
                self.findings.push(
                    Finding::error(
                        "signed_format",
                        format!("'{BEGIN_SIGNED}' must be the very first line of a signed file"),
                    )
                    .at(line_no),
                );
            }
            self.document.signed = true;
            return State::ArmorHeaders;
        }
        match state {
            State::Plain => {
                self.content_line(line_no, line);
                State::Plain
            }
            State::ArmorHeaders => self.armor_header(line_no, line),
            State::SignedText => self.signed_text(line_no, line),
            State::Signature { begin, mut lines } => {
                if line == END_SIGNATURE {
                    self.findings
                        .extend(pgp::check_signature_block(begin, &lines));
                    State::AfterSignature
                } else {
                    lines.push((line_no, line.to_owned()));
                    State::Signature { begin, lines }
                }
            }
            State::AfterSignature => {
                if !line.is_empty() {
                    self.findings.push(
                        Finding::error(
                            "data_after_sig",
                            "nothing may follow the signature of a signed file",
                        )
                        .at(line_no),
                    );
                }
                State::AfterSignature
            }
        }
    }

    fn armor_header(&mut self, line_no: usize, line: &str) -> State {
        if line.is_empty() {
            return State::SignedText;
        }
        let is_hash_header = line
            .split_once(": ")
            .is_some_and(|(name, _)| name.eq_ignore_ascii_case("hash"));
        if is_hash_header {
            return State::ArmorHeaders;
        }
        self.findings.push(
            Finding::error(
                "signed_format",
                "the signed-message header must be followed by an empty line \
                 (only 'Hash: …' lines may come between them)",
            )
            .at(line_no),
        );
        self.signed_text(line_no, line)
    }

    fn signed_text(&mut self, line_no: usize, line: &str) -> State {
        if line == BEGIN_SIGNATURE {
            return State::Signature {
                begin: line_no,
                lines: Vec::new(),
            };
        }
        if let Some(unescaped) = line.strip_prefix("- ") {
            self.content_line(line_no, unescaped);
        } else if line.starts_with('-') {
            self.findings.push(
                Finding::error(
                    "dash_escape",
                    "in a signed file a line starting with '-' must be dash-escaped as '- -…'",
                )
                .at(line_no),
            );
        } else {
            self.content_line(line_no, line);
        }
        State::SignedText
    }

    /// One line of the security.txt proper: empty, a comment, or `Name: value`.
    fn content_line(&mut self, line_no: usize, line: &str) {
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        let Some((raw_name, raw_value)) = line.split_once(':') else {
            self.findings.push(
                Finding::error(
                    "invalid_line",
                    "a line must be a field ('Name: value'), a comment ('# …') or empty",
                )
                .at(line_no),
            );
            return;
        };
        let name = raw_name.trim_end();
        if name.len() != raw_name.len() {
            self.findings.push(
                Finding::error(
                    "prec_ws",
                    "there must be no space between the field name and the colon",
                )
                .at(line_no)
                .on(name),
            );
        }
        if !raw_value.is_empty() && !raw_value.starts_with(' ') {
            self.findings.push(
                Finding::error("no_space", "the colon must be followed by a space")
                    .at(line_no)
                    .on(name),
            );
        }
        let value = raw_value.trim_start();
        if name.is_empty() {
            self.findings.push(
                Finding::error("empty_key", "the field name before the colon is missing")
                    .at(line_no),
            );
            return;
        }
        if value.is_empty() {
            self.findings.push(
                Finding::error("empty_value", "the field has no value")
                    .at(line_no)
                    .on(name),
            );
            return;
        }
        self.document.fields.push(Field {
            line: line_no,
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        parse_with_findings(text)
            .1
            .iter()
            .map(|finding| finding.code)
            .collect()
    }

    #[test]
    fn reads_fields_comments_and_crlf() {
        let document = parse("# hello\r\nContact: mailto:a@example.com\r\n\r\nX-Custom: yes\r\n");
        assert!(!document.signed);
        assert_eq!(document.fields.len(), 2);
        assert_eq!(document.fields[0].line, 2);
        assert_eq!(document.fields[0].value, "mailto:a@example.com");
        assert_eq!(document.values("CONTACT").count(), 1);
        assert!(codes("# hello\r\nContact: mailto:a@example.com\r\n").is_empty());
    }

    #[test]
    fn reports_line_syntax() {
        assert_eq!(codes("Contact security\n"), ["invalid_line"]);
        assert_eq!(codes("Contact mailto:a\n"), ["no_space"]);
        assert_eq!(codes("Contact : mailto:a\n"), ["prec_ws"]);
        assert_eq!(codes("Contact:mailto:a\n"), ["no_space"]);
        assert_eq!(codes(": x\n"), ["empty_key"]);
        assert_eq!(codes("Contact:\n"), ["empty_value"]);
        assert_eq!(codes("Contact: mailto:a"), ["no_line_separators"]);
    }

    #[test]
    fn unwraps_a_cleartext_signature() {
        let text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n\
                    - -Contact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n\
                    -----BEGIN PGP SIGNATURE-----\n\n\
                    -----END PGP SIGNATURE-----\n";
        let (document, _) = parse_with_findings(text);
        assert!(document.signed);
        let names: Vec<&str> = document.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["-Contact", "Expires"]);
    }

    #[test]
    fn reports_signed_structure() {
        let unclosed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x:y\n";
        assert_eq!(codes(unclosed), ["signed_format"]);
        let no_blank = "-----BEGIN PGP SIGNED MESSAGE-----\nContact: x:y\n";
        assert_eq!(codes(no_blank), ["signed_format", "signed_format"]);
        let late = "Contact: x:y\n-----BEGIN PGP SIGNED MESSAGE-----\n";
        assert!(codes(late).contains(&"signed_format"));
        let unescaped = "-----BEGIN PGP SIGNED MESSAGE-----\n\n-x: y\n";
        assert!(codes(unescaped).contains(&"dash_escape"));
    }
}

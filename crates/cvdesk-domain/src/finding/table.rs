//! Comma-separated tables as RFC 4180 writes them (what spreadsheets export): fields
//! separated by commas, records by CRLF or LF, a field in double quotes may hold commas,
//! line breaks and doubled quotes. Strict: a stray quote is refused with its row, not
//! guessed at.

use super::ImportProblem;

/// One record and the row it is, counting the header as row 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub row: usize,
    pub fields: Vec<String>,
}

/// Reads every non-blank record of `text`.
pub(super) fn read_table(text: &str) -> Result<Vec<Record>, ImportProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut row = 1;
    // Whether the current field was quoted, and its closing quote seen.
    let mut quoted_closed = false;
    // Whether anything of the current record was read: an empty line is no record.
    let mut started = false;
    let refuse = |row: usize, message: &str| ImportProblem {
        place: format!("row {row}"),
        message: message.to_owned(),
    };
    while let Some(c) = chars.next() {
        if c != '\n' && c != '\r' {
            started = true;
        }
        match c {
            '"' if field.is_empty() && !quoted_closed => {
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(inner) => field.push(inner),
                        None => {
                            return Err(refuse(row, "a quoted field is not closed"));
                        }
                    }
                }
                quoted_closed = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted_closed = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                quoted_closed = false;
                if std::mem::take(&mut started) {
                    records.push(Record {
                        row,
                        fields: std::mem::take(&mut fields),
                    });
                    row += 1;
                } else {
                    fields.clear();
                }
            }
            '"' => {
                return Err(refuse(
                    row,
                    "a double quote inside a field that does not start with one; quote the \
                     whole field and double the quotes inside",
                ));
            }
            _ if quoted_closed => {
                return Err(refuse(
                    row,
                    "text after a quoted field's closing quote; a comma must follow it",
                ));
            }
            other => field.push(other),
        }
    }
    if started {
        fields.push(field);
        records.push(Record { row, fields });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        read_table(text)
            .expect("valid")
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn reads_quoted_and_plain_fields() {
        assert_eq!(
            fields("a,b\r\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n1,\n"),
            vec![
                vec!["a".to_owned(), "b".to_owned()],
                vec!["x, y".to_owned(), "say \"hi\"\nthere".to_owned()],
                vec!["1".to_owned(), String::new()],
            ]
        );
        assert_eq!(
            fields("\u{feff}a,b"),
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
        assert_eq!(fields("\"\""), vec![vec![String::new()]]);
    }

    #[test]
    fn rows_count_lines_of_records_not_of_text() {
        let records = read_table("h\n\"two\nlines\"\nthird\n").expect("valid");
        assert_eq!(
            records.iter().map(|r| r.row).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn stray_quotes_are_refused_with_their_row() {
        for (text, row, words) in [
            ("a\nb\"c\n", "row 2", "does not start with one"),
            ("a\n\"open\n", "row 2", "not closed"),
            ("a\n\"x\"y\n", "row 2", "closing quote"),
        ] {
            let problem = read_table(text).expect_err(text);
            assert_eq!(problem.place, row, "{text}");
            assert!(problem.message.contains(words), "{text}: {problem}");
        }
    }

    fn write_field(field: &str) -> String {
        format!("\"{}\"", field.replace('"', "\"\""))
    }

    proptest! {
        #[test]
        fn what_a_spreadsheet_writes_is_read_back(
            table in proptest::collection::vec(
                proptest::collection::vec("[ -~\n]{0,12}", 1..5), 1..6)
        ) {
            let text: String = table
                .iter()
                .map(|row| row.iter().map(|f| write_field(f)).collect::<Vec<_>>().join(",") + "\r\n")
                .collect();
            let read: Vec<Vec<String>> = read_table(&text)
                .expect("written by the rules")
                .into_iter()
                .map(|record| record.fields)
                .collect();
            prop_assert_eq!(read, table);
        }

        #[test]
        fn any_text_is_read_or_refused_never_a_panic(text in "\\PC{0,200}") {
            let _ = read_table(&text);
        }
    }
}

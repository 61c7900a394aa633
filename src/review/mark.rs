//! Recording a completed review: `federation.access_control.last_reviewed` is set in the
//! record's text, changing only that one line (or adding it, indented like its siblings), so
//! comments, quoting and layout survive. The edit is checked by parsing the file before and
//! after: the two records must differ in `last_reviewed` and nothing else.

use crate::record::{IsoDate, RecordFile};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarkError {
    #[error("not a valid federation record: {0}")]
    NotARecord(String),
    #[error("no `{0}:` mapping found in block style")]
    MissingKey(&'static str),
    #[error("`{key}` on line {line} is written inline (flow style); set last_reviewed by hand")]
    Inline { key: &'static str, line: usize },
    #[error("the value of last_reviewed on line {line} is not a plain or quoted date")]
    UnsupportedValue { line: usize },
    #[error("{date} is after today ({today}): a review cannot be recorded before it is done")]
    FutureDate { date: IsoDate, today: IsoDate },
    #[error("the edit would change more than last_reviewed; the file was left alone")]
    Unverified,
}

const FEDERATION: &str = "federation";
const ACCESS_CONTROL: &str = "access_control";
const LAST_REVIEWED: &str = "last_reviewed";

/// A review is recorded when it has been done: not on a date after `today`.
pub fn check_date(date: IsoDate, today: IsoDate) -> Result<(), MarkError> {
    if date > today {
        return Err(MarkError::FutureDate { date, today });
    }
    Ok(())
}

/// The record text with `last_reviewed` set to `date` (unchanged text if it already is).
pub fn set_last_reviewed(text: &str, date: IsoDate) -> Result<String, MarkError> {
    let before = parse(text)?;
    let lines: Vec<Line<'_>> = text.split_inclusive('\n').map(Line::new).collect();
    let top = Block::top(&lines);
    let federation = top.find(&lines, FEDERATION)?;
    let federation = lines[federation].children(&lines, federation, FEDERATION)?;
    let access = federation.find(&lines, ACCESS_CONTROL)?;
    let block = lines[access].children(&lines, access, ACCESS_CONTROL)?;
    let value = format!("\"{date}\"");
    let edited = match block.find(&lines, LAST_REVIEWED) {
        Ok(index) => replace_value(&lines, index, &date)?,
        Err(_) => insert_line(&lines, &block, &format!("{LAST_REVIEWED}: {value}"), text),
    };
    verify(before, &edited, date)?;
    Ok(edited)
}

fn parse(text: &str) -> Result<RecordFile, MarkError> {
    serde_saphyr::from_str(text).map_err(|e| MarkError::NotARecord(e.to_string()))
}

fn verify(mut before: RecordFile, edited: &str, date: IsoDate) -> Result<(), MarkError> {
    before.federation.access_control.last_reviewed = Some(date);
    match parse(edited) {
        Ok(after) if after == before => Ok(()),
        _ => Err(MarkError::Unverified),
    }
}

/// One line split into its body and its line ending (`\n`, `\r\n` or none at the end).
#[derive(Clone, Copy)]
struct Line<'t> {
    body: &'t str,
    eol: &'t str,
}

impl<'t> Line<'t> {
    fn new(raw: &'t str) -> Line<'t> {
        let body = raw.trim_end_matches(['\n', '\r']);
        Line {
            body,
            eol: &raw[body.len()..],
        }
    }

    /// Indentation and text of a line with content; `None` for blank and comment lines.
    fn content(&self) -> Option<(usize, &'t str)> {
        let text = self.body.trim_start_matches(' ');
        (!text.is_empty() && !text.starts_with('#')).then(|| (self.body.len() - text.len(), text))
    }

    /// The key of a `key: value` line and what follows its colon.
    fn key_value(&self) -> Option<(&'t str, &'t str)> {
        let (_, text) = self.content()?;
        let (key, rest) = match text.chars().next()? {
            quote @ ('"' | '\'') => {
                let end = text[1..].find(quote)? + 1;
                (&text[1..end], text[end + 1..].strip_prefix(':')?)
            }
            _ => {
                let colon = text.match_indices(':').map(|(i, _)| i).find(|&i| {
                    text[i + 1..].is_empty() || text[i + 1..].starts_with([' ', '\t'])
                })?;
                (text[..colon].trim_end(), &text[colon + 1..])
            }
        };
        Some((key, rest))
    }

    /// The block of lines that make up the value of this `key:` line (a block mapping).
    fn children(
        &self,
        lines: &[Line<'t>],
        index: usize,
        key: &'static str,
    ) -> Result<Block, MarkError> {
        let (indent, _) = self.content().expect("a key line has content");
        let (_, value) = self.key_value().expect("a key line has a key");
        if !Scalar::parse(value).text.is_empty() {
            return Err(MarkError::Inline {
                key,
                line: index + 1,
            });
        }
        let start = index + 1;
        let end = (start..lines.len())
            .find(|&i| lines[i].content().is_some_and(|(other, _)| other <= indent))
            .unwrap_or(lines.len());
        let child = (start..end)
            .find_map(|i| lines[i].content().map(|(indent, _)| indent))
            .ok_or(MarkError::MissingKey(key))?;
        Ok(Block {
            start,
            end,
            indent: child,
        })
    }
}

/// Lines `start..end`, whose keys sit at `indent`.
struct Block {
    start: usize,
    end: usize,
    indent: usize,
}

impl Block {
    fn top(lines: &[Line<'_>]) -> Block {
        Block {
            start: 0,
            end: lines.len(),
            indent: 0,
        }
    }

    fn find(&self, lines: &[Line<'_>], key: &'static str) -> Result<usize, MarkError> {
        (self.start..self.end)
            .find(|&i| {
                let line = &lines[i];
                line.content()
                    .is_some_and(|(indent, _)| indent == self.indent)
                    && line.key_value().is_some_and(|(k, _)| k == key)
            })
            .ok_or(MarkError::MissingKey(key))
    }

    /// The last line with content: a new key goes right after it, before trailing comments.
    fn last_content(&self, lines: &[Line<'_>]) -> usize {
        (self.start..self.end)
            .rev()
            .find(|&i| lines[i].content().is_some())
            .expect("a block has at least one line with content")
    }
}

/// A scalar value after a colon: `<space><text><tail>`, where the tail is trailing space and
/// an optional comment.
struct Scalar<'t> {
    space: &'t str,
    text: &'t str,
    tail: &'t str,
}

impl<'t> Scalar<'t> {
    fn parse(value: &'t str) -> Scalar<'t> {
        let text = value.trim_start_matches([' ', '\t']);
        let space = &value[..value.len() - text.len()];
        let length = match text.chars().next() {
            Some(quote @ ('"' | '\'')) => text[1..].find(quote).map_or(text.len(), |i| i + 2),
            Some('#') | None => 0,
            // A plain scalar ends where a comment starts (` #`) or at the end of the line.
            Some(_) => text.find(" #").unwrap_or(text.len()),
        };
        let scalar = text[..length].trim_end();
        Scalar {
            space,
            text: scalar,
            tail: &text[scalar.len()..],
        }
    }
}

fn replace_value(lines: &[Line<'_>], index: usize, date: &IsoDate) -> Result<String, MarkError> {
    let line = &lines[index];
    let (_, value) = line.key_value().expect("found as a key line");
    let head = &line.body[..line.body.len() - value.len()];
    let scalar = Scalar::parse(value);
    let new_value = match scalar.text.chars().next() {
        Some(quote @ ('"' | '\'')) => format!("{quote}{date}{quote}"),
        None => format!("\"{date}\""),
        Some(_) if ["null", "~", "Null", "NULL"].contains(&scalar.text) => format!("\"{date}\""),
        Some('|' | '>' | '&' | '*' | '!' | '[' | '{') => {
            return Err(MarkError::UnsupportedValue { line: index + 1 });
        }
        Some(_) => date.to_string(),
    };
    let space = if scalar.space.is_empty() {
        " "
    } else {
        scalar.space
    };
    let tail = match scalar.tail {
        comment if comment.starts_with('#') => format!(" {comment}"),
        tail => tail.to_owned(),
    };
    let body = format!("{head}{space}{new_value}{tail}");
    Ok(rejoin(lines, index, |out| {
        out.push_str(&body);
        out.push_str(line.eol);
    }))
}

fn insert_line(lines: &[Line<'_>], block: &Block, entry: &str, text: &str) -> String {
    let after = block.last_content(lines);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = " ".repeat(block.indent);
    rejoin(lines, after, |out| {
        let line = &lines[after];
        out.push_str(line.body);
        if line.eol.is_empty() {
            // The file ended without a newline: it still does, after the new line.
            out.push_str(&format!("{eol}{indent}{entry}"));
        } else {
            out.push_str(&format!("{}{indent}{entry}{eol}", line.eol));
        }
    })
}

/// The lines joined back, with line `index` written by `write`.
fn rejoin(lines: &[Line<'_>], index: usize, write: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    let mut write = Some(write);
    for (i, line) in lines.iter().enumerate() {
        if i == index {
            (write.take().expect("one line is rewritten"))(&mut out);
        } else {
            out.push_str(line.body);
            out.push_str(line.eol);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> IsoDate {
        text.parse().unwrap()
    }

    const RECORD: &str = r#"# Partner record
federation:
  partner: "Example Partner Organisation"   # display name
  type: "saml"
  direction: "your-idp-to-partner-sp"
  technical:
    your_entity_id: "https://idp.example.org/realms/demo"
    partner_entity_id: "https://app.partner.example.org"
  access_control:
    group: "partner-example-users"
    approver: "IT Manager"
    review_frequency: "quarterly"       # monthly | quarterly
    pilot_users:
      - alice
    # reviewed every quarter
  contacts:
    partner_technical: "techsupport@partner.example.org"
"#;

    #[test]
    fn inserts_after_the_blocks_last_entry_with_its_indentation() {
        let edited = set_last_reviewed(RECORD, date("2025-06-30")).unwrap();
        let expected = RECORD.replace(
            "      - alice\n",
            "      - alice\n    last_reviewed: \"2025-06-30\"\n",
        );
        assert_eq!(edited, expected);
    }

    #[test]
    fn replaces_only_the_value_keeping_quotes_and_comments() {
        let with = |line: &str| {
            RECORD.replace("    pilot_users:\n", &format!("{line}\n    pilot_users:\n"))
        };
        let cases = [
            (
                "    last_reviewed: \"2025-01-01\"   # Q1",
                "    last_reviewed: \"2025-06-30\"   # Q1",
            ),
            (
                "    last_reviewed: '2025-01-01'",
                "    last_reviewed: '2025-06-30'",
            ),
            (
                "    last_reviewed: 2025-01-01 # plain",
                "    last_reviewed: 2025-06-30 # plain",
            ),
            ("    last_reviewed:", "    last_reviewed: \"2025-06-30\""),
            ("    last_reviewed: ~", "    last_reviewed: \"2025-06-30\""),
            (
                "    last_reviewed: # todo",
                "    last_reviewed: \"2025-06-30\" # todo",
            ),
        ];
        for (old, new) in cases {
            let edited = set_last_reviewed(&with(old), date("2025-06-30")).unwrap();
            assert_eq!(edited, with(new), "{old}");
        }
    }

    #[test]
    fn keeps_crlf_and_a_missing_final_newline() {
        let crlf = RECORD.replace('\n', "\r\n");
        let edited = set_last_reviewed(&crlf, date("2025-06-30")).unwrap();
        assert!(edited.contains("  - alice\r\n    last_reviewed: \"2025-06-30\"\r\n"));
        let short = "federation:\n  partner: P\n  type: saml\n  direction: your-idp-to-partner-sp\n  technical:\n    your_entity_id: https://idp/realms/r\n  access_control:\n    group: g\n    approver: A\n    review_frequency: annual";
        let edited = set_last_reviewed(short, date("2025-06-30")).unwrap();
        assert_eq!(
            edited,
            format!("{short}\n    last_reviewed: \"2025-06-30\"")
        );
    }

    #[test]
    fn same_date_changes_nothing() {
        let once = set_last_reviewed(RECORD, date("2025-06-30")).unwrap();
        assert_eq!(set_last_reviewed(&once, date("2025-06-30")).unwrap(), once);
    }

    #[test]
    fn ignores_look_alike_keys_inside_block_scalars() {
        let text = RECORD.replace(
            "  partner: \"Example Partner Organisation\"   # display name\n",
            "  partner: |\n    access_control:\n      last_reviewed: x\n",
        );
        let edited = set_last_reviewed(&text, date("2025-06-30")).unwrap();
        assert!(edited.contains("      last_reviewed: x\n"));
        assert!(edited.contains("      - alice\n    last_reviewed: \"2025-06-30\"\n"));
    }

    #[test]
    fn refuses_flow_style_and_non_records() {
        let flow = "federation:\n  partner: P\n  type: saml\n  direction: your-idp-to-partner-sp\n  technical: {your_entity_id: \"https://idp/realms/r\"}\n  access_control: {group: g, approver: A, review_frequency: annual}\n";
        assert_eq!(
            set_last_reviewed(flow, date("2025-06-30")),
            Err(MarkError::Inline {
                key: ACCESS_CONTROL,
                line: 6
            })
        );
        assert!(matches!(
            set_last_reviewed("not: a record\n", date("2025-06-30")),
            Err(MarkError::NotARecord(_))
        ));
    }

    #[test]
    fn future_dates_are_refused() {
        assert!(check_date(date("2025-06-30"), date("2025-06-30")).is_ok());
        assert_eq!(
            check_date(date("2025-07-01"), date("2025-06-30")),
            Err(MarkError::FutureDate {
                date: date("2025-07-01"),
                today: date("2025-06-30")
            })
        );
    }
}

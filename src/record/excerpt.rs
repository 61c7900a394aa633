//! The part of a file a diagnostic shows: the problem's line and its neighbours, each cut to
//! a window of columns around the problem. A record file may hold a line of any length (a
//! one-line JSON record, a 100 MB scalar); showing it whole floods the terminal, and miette
//! cannot draw a label past column 65,535 at all.

use std::borrow::Cow;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Characters of a line shown around the problem's column.
const WINDOW: usize = 120;
/// Lines shown before and after the problem's line.
const CONTEXT_LINES: usize = 1;
const ELLIPSIS: char = '…';

/// A window of a file around one span, with the span's place in the window and in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    name: String,
    text: String,
    /// The problem, as an offset and length into `text`.
    pub span: SourceSpan,
    /// 0-based line and column (in characters) of the problem in the file.
    line: usize,
    column: usize,
    /// 0-based line in the file of the excerpt's first line.
    first_line: usize,
}

impl Excerpt {
    /// The excerpt of `source` (named `name`) around `span`, a byte range of `source`.
    pub fn new(name: String, source: &str, span: SourceSpan) -> Excerpt {
        let offset = floor_char_boundary(source, span.offset().min(source.len()));
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line = source[..line_start].matches('\n').count();
        let column = source[line_start..offset].chars().count();
        let window_start = column.saturating_sub(WINDOW / 2);

        let first_line = line.saturating_sub(CONTEXT_LINES);
        let mut text = String::new();
        let mut excerpt_span = (0, 0);
        for (number, full) in source
            .split('\n')
            .enumerate()
            .skip(first_line)
            .take(line - first_line + 1 + CONTEXT_LINES)
        {
            if number > first_line {
                text.push('\n');
            }
            // Context lines are shown from their start: they only orient the reader.
            let from = if number == line { window_start } else { 0 };
            let (cut, cut_end) = cut(full, from);
            if number == line {
                // The problem starts `column - window_start` characters into the window,
                // after the ellipsis when the line was cut at the front.
                let before: usize = cut
                    .chars()
                    .take(usize::from(window_start > 0) + column - window_start)
                    .map(char::len_utf8)
                    .sum();
                let rest = cut.len() - before - if cut_end { ELLIPSIS.len_utf8() } else { 0 };
                let wanted = span.len().min(rest);
                excerpt_span = (text.len() + before, wanted);
            }
            text.push_str(&cut);
        }
        Excerpt {
            name,
            text,
            span: excerpt_span.into(),
            line,
            column,
            first_line,
        }
    }

    #[cfg(test)]
    fn text(&self) -> &str {
        &self.text
    }
}

/// `line` from character `start`, at most [`WINDOW`] characters, an ellipsis where cut; and
/// whether the end was cut.
fn cut(line: &str, start: usize) -> (Cow<'_, str>, bool) {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut chars = line.char_indices().skip(start);
    let Some((from, _)) = chars.next() else {
        return (Cow::Borrowed(if start == 0 { line } else { "" }), false);
    };
    let to = chars.nth(WINDOW - 1).map(|(i, _)| i);
    if start == 0 && to.is_none() {
        return (Cow::Borrowed(line), false);
    }
    let mut out = String::with_capacity(WINDOW * 4 + 6);
    if start > 0 {
        out.push(ELLIPSIS);
    }
    out.push_str(&line[from..to.unwrap_or(line.len())]);
    if to.is_some() {
        out.push(ELLIPSIS);
    }
    (Cow::Owned(out), to.is_some())
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl SourceCode for Excerpt {
    /// The whole excerpt, numbered as in the file. miette asks for the primary label without
    /// context lines to head the report with its line and column: those are the file's.
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let header = context_lines_before == 0 && context_lines_after == 0;
        let (line, column) = if header {
            (self.line, self.column)
        } else {
            (self.first_line, 0)
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                self.text.as_bytes(),
                (0, self.text.len()).into(),
                line,
                column,
                self.text.lines().count(),
            )
            .with_language("yaml"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(source: &str, offset: usize, len: usize) -> Excerpt {
        Excerpt::new("r.yaml".into(), source, (offset, len).into())
    }

    fn marked(excerpt: &Excerpt) -> &str {
        let span = excerpt.span;
        &excerpt.text()[span.offset()..span.offset() + span.len()]
    }

    #[test]
    fn short_lines_are_shown_whole_with_their_neighbours() {
        let source = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let shown = excerpt(source, 13, 1);
        assert_eq!(shown.text(), "b: 2\nc: 3\nd: 4");
        assert_eq!(marked(&shown), "3");
        assert_eq!((shown.line, shown.column, shown.first_line), (2, 3, 1));
    }

    #[test]
    fn a_long_line_is_cut_around_the_problem() {
        let source = format!(
            "k: \"{}\" bad: é{}\n",
            "x".repeat(100_000),
            "y".repeat(1000)
        );
        let offset = source.find("bad").unwrap();
        let shown = excerpt(&source, offset, 3);
        let line = shown.text().lines().next().unwrap();
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), WINDOW + 2);
        assert_eq!(marked(&shown), "bad");
        assert_eq!(shown.column, 100_006);
    }

    #[test]
    fn context_lines_are_shown_from_their_start() {
        let source = format!("federation:\n  {}: 1\n", "u".repeat(1000));
        let shown = excerpt(&source, 1000, 1);
        assert!(
            shown.text().starts_with("federation:\n…u"),
            "{}",
            shown.text()
        );
    }

    #[test]
    fn a_huge_span_is_cut_to_the_window() {
        let source = format!("k: {}\n", "z".repeat(1_000_000));
        let shown = excerpt(&source, 3, 1_000_000);
        assert_eq!(shown.text(), format!("k: {}…\n", "z".repeat(WINDOW - 3)));
        assert_eq!(marked(&shown).chars().count(), WINDOW - 3);
    }

    #[test]
    fn spans_at_the_end_and_in_empty_files_are_shown() {
        assert_eq!(excerpt("", 0, 0).text(), "");
        let shown = excerpt("a: 1\n", 5, 0);
        assert_eq!((shown.line, shown.text()), (1, "a: 1\n"));
    }
}

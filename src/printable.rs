//! Text from outside (Keycloak user fields, file names, metadata values) made safe to show a
//! person. A terminal obeys escape sequences, and bidirectional overrides make text read
//! differently from what it is, so both are shown as visible `\u{…}` escapes instead.

use std::borrow::Cow;

/// `text` with every control character and bidirectional formatting character escaped;
/// borrowed unchanged when there is nothing to escape (the common case).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether output to a stream may carry ANSI colour: only a terminal, and never when
/// `NO_COLOR` is set to anything (no-color.org) or the terminal says it is `dumb`.
pub fn colour_allowed(stream_is_terminal: bool) -> bool {
    let set = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    stream_is_terminal && set("NO_COLOR").is_none() && set("TERM").is_none_or(|t| t != "dumb")
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Unicode's explicit directional formatting characters (UAX #9), the ones that reorder text.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(printable("Ada Lovelace – ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_bidi_overrides_become_visible() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(printable("line\nbreak\u{7f}"), "line\\u{a}break\\u{7f}");
    }
}

//! Registry text made inert for each place it is written.
//!
//! [`crate::validate`] keeps the registry's names to fixed character sets and
//! its text to one printable line; these functions do not rely on that. Each
//! one takes any string and returns what shows that string, literally, in one
//! kind of place, on one line:
//!
//! - [`markdown`]: inside a line of Markdown (a README, a doc comment, which
//!   rustdoc reads as Markdown and whose code blocks it runs): no character of
//!   it opens a code span, a link, HTML, emphasis or a table cell;
//! - [`code_span`]: a Markdown code span that holds exactly the text;
//! - [`cell`]: either of those inside a table cell;
//! - [`comment`]: inside a `//` comment line, which a line break would end.
//!
//! Rust string literals go through `quote` (`proc_macro2::Literal::string`)
//! and TOML through `toml_edit`, which escape for those sinks themselves.

use crate::validate::invisible;

/// `text` with every line break, control or invisible character (which would
/// end a comment line, or reorder what is shown) replaced by a space or `�`.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_whitespace() => ' ',
            c if c.is_control() || invisible(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// `text` for a `//` comment line (or `//!` outside Markdown): one line.
pub fn comment(text: &str) -> String {
    one_line(text)
}

/// `text` as Markdown placed inside a line, reading as the text itself: one
/// line, with each ASCII punctuation mark that Markdown (CommonMark, GitHub's
/// tables, rustdoc's intra-doc links) may read as syntax escaped with `\`.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        if "\\`*_[]<>|~#&!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown code span that shows `text` (on one line) exactly: delimited by
/// one more backtick than its longest run of backticks, and padded with a
/// space where CommonMark would otherwise read an edge as a delimiter or
/// strip one.
pub fn code_span(text: &str) -> String {
    let text = one_line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Markdown (from [`markdown`] or [`code_span`]) inside a table cell: GitHub
/// splits cells at every `|` not escaped, code spans included, and reads
/// `\|` as `|` in both.
pub fn cell(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut escaped = false;
    for c in markdown.chars() {
        if c == '|' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_syntax_and_stays_on_one_line() {
        assert_eq!(markdown("Gcore IAM"), "Gcore IAM");
        assert_eq!(
            markdown("a\n```rust\nx\r\n```"),
            "a \\`\\`\\`rust x  \\`\\`\\`"
        );
        assert_eq!(
            markdown("[x](y) <b> *e* _u_ | # & ! ~ \\"),
            "\\[x\\](y) \\<b\\> \\*e\\* \\_u\\_ \\| \\# \\& \\! \\~ \\\\"
        );
        assert_eq!(markdown("rtl\u{202E}"), "rtl\u{FFFD}");
    }

    #[test]
    fn code_spans_hold_any_text() {
        assert_eq!(
            code_span("Authorization: Bearer <x>"),
            "`Authorization: Bearer <x>`"
        );
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("``x"), "``` ``x ```");
        assert_eq!(code_span(" x "), "`  x  `");
        assert_eq!(code_span("a\nb"), "`a b`");
    }

    #[test]
    fn cells_escape_bars_once() {
        assert_eq!(cell("`a|b`"), "`a\\|b`");
        assert_eq!(cell(&markdown("a|b")), "a\\|b");
        assert_eq!(cell("a\\\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn comments_are_one_line() {
        assert_eq!(comment("a\nfn evil() {}\r"), "a fn evil() {} ");
        assert_eq!(comment("nul\0"), "nul\u{FFFD}");
    }
}

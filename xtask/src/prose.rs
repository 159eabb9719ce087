//! Vendor prose is data, never code.
//!
//! Descriptions from a spec end up in rustdoc comments of the generated crates,
//! and rustdoc compiles and runs every Rust code block it finds there as a
//! doctest: a fenced block without a language or with `rust`, `no_run`,
//! `should_panic`..., and an indented (four-space) block. A vendor's curl
//! example in a plain fence breaks `cargo test --doc`; a `rust` fence in a spec
//! would run the vendor's code on the developer's machine.
//!
//! [`sanitize`] rewrites a vendor string so that no part of it can be a Rust
//! code block: every code block it holds (fenced with backticks or tildes,
//! whatever the info string, or indented) comes out as a ```` ```text ```` fence,
//! and nothing outside those fences can open one. [`sanitize_docs`] applies it to
//! the doc comments of generated items, [`inline`] to vendor text placed in a
//! line of a generated README.
//!
//! The output is built so that its reading does not depend on guessing the
//! input's structure right:
//!
//! - each code block is re-emitted after a blank line, at column 0, with a fence
//!   longer than any backtick run it contains and the info string `text`: it
//!   ends exactly where it is meant to, whatever surrounded it;
//! - every other line that might open a fence, or be part of an indented block
//!   (by any reading: in a list, a block quote, after a heading...), is treated
//!   as a code block too, so at worst prose renders as text, never as Rust;
//! - HTML blocks that run past a line (`<pre>`, `<!--`...) could swallow a fence
//!   and end inside it: their opening `<` is escaped;
//! - rustc trims a leading `*` column from a multi-line `/** */` doc comment
//!   (which prettyplease prints for multi-line docs), which could shift text
//!   into an indented block: such text gets a `*` escaped.
//!
//! `tests/prose.rs` runs rustdoc on the result: on cases of each kind, and (an
//! ignored test) on random markdown.

use syn::visit_mut::VisitMut;

/// Rewrites `text` so that rustdoc finds no Rust code block in it. Text that
/// holds none and nothing that could turn into one is returned unchanged.
pub fn sanitize(text: &str) -> String {
    // Nothing to do without a fence character, an HTML block, an indentation
    // of four columns, a star column or a carriage return.
    if !text.contains(['`', '~', '<', '*', '\t', '\r']) && !text.contains("    ") {
        return text.to_string();
    }
    // CommonMark ends lines at `\r` too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    // Whether the previous line may be something other than paragraph text,
    // after which an indented line starts a code block.
    let mut block_start = true;
    // The previous line's block-quote depth and indentation: a line with less
    // of either may end the container (and the HTML block or heading in it)
    // that made the previous line more than paragraph text.
    let mut previous = (0, 0);
    let mut in_table = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            in_table = false;
        } else if line.contains('|') {
            in_table = true;
        }
        let here = (quote_depth(line), whitespace(line, 0, 0).1);
        let start = block_start || here.0 < previous.0 || here.1 < previous.1;
        previous = here;
        if let Some(first) = indented_code(line, start) {
            let mut code = vec![first];
            let mut blanks = Vec::new();
            i += 1;
            while i < lines.len() {
                let next = lines[i];
                if next.trim_start_matches([' ', '\t', '>']).trim().is_empty() {
                    blanks.push(String::new());
                } else if let Some(more) = indented_code(next, true) {
                    code.append(&mut blanks);
                    code.push(more);
                } else {
                    break;
                }
                i += 1;
            }
            // Trailing blank lines are not part of the block.
            i -= blanks.len();
            push_block(&mut out, &code);
            block_start = true;
            previous = (0, 0);
            in_table = false;
            continue;
        }
        if let Some(fence) = Fence::open(line) {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() {
                match fence.line(lines[i]) {
                    FenceLine::Content(text) => code.push(text),
                    FenceLine::Close => {
                        i += 1;
                        break;
                    }
                    FenceLine::Outside => break,
                }
                i += 1;
            }
            push_block(&mut out, &code);
            block_start = true;
            previous = (0, 0);
            in_table = false;
            continue;
        }
        out.push(escape_html_block(line));
        block_start = in_table || may_end_paragraph(line);
        i += 1;
    }
    // rustc only trims comments of more than one line.
    if out.len() > 1 {
        escape_star_trim(&mut out);
    }
    let result = out.join("\n");
    if result == text { text } else { result }
}

/// `text` as one line of markdown for a generated README: [`sanitize`]d, with
/// line breaks and runs of whitespace collapsed to single spaces, so that it
/// cannot start a block of its own wherever it is placed in a line.
pub fn inline(text: &str) -> String {
    sanitize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Applies [`sanitize`] to the docs of every item, field and variant of `file`.
///
/// rustdoc joins an item's doc attributes with line breaks before reading them
/// as markdown, so they are sanitized together; when that changes anything they
/// are replaced by one attribute holding the result.
pub fn sanitize_docs(file: &mut syn::File) {
    sanitize_attrs(&mut file.attrs);
    DocSanitizer.visit_file_mut(file);
}

struct DocSanitizer;

impl VisitMut for DocSanitizer {
    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        if let Some(attrs) = item_attrs(item) {
            sanitize_attrs(attrs);
        }
        syn::visit_mut::visit_item_mut(self, item);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        sanitize_attrs(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        sanitize_attrs(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }

    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        use syn::ImplItem as I;
        match item {
            I::Const(x) => sanitize_attrs(&mut x.attrs),
            I::Fn(x) => sanitize_attrs(&mut x.attrs),
            I::Type(x) => sanitize_attrs(&mut x.attrs),
            I::Macro(x) => sanitize_attrs(&mut x.attrs),
            _ => {}
        }
        syn::visit_mut::visit_impl_item_mut(self, item);
    }

    fn visit_trait_item_mut(&mut self, item: &mut syn::TraitItem) {
        use syn::TraitItem as T;
        match item {
            T::Const(x) => sanitize_attrs(&mut x.attrs),
            T::Fn(x) => sanitize_attrs(&mut x.attrs),
            T::Type(x) => sanitize_attrs(&mut x.attrs),
            T::Macro(x) => sanitize_attrs(&mut x.attrs),
            _ => {}
        }
        syn::visit_mut::visit_trait_item_mut(self, item);
    }

    fn visit_foreign_item_mut(&mut self, item: &mut syn::ForeignItem) {
        use syn::ForeignItem as F;
        match item {
            F::Fn(x) => sanitize_attrs(&mut x.attrs),
            F::Static(x) => sanitize_attrs(&mut x.attrs),
            F::Type(x) => sanitize_attrs(&mut x.attrs),
            F::Macro(x) => sanitize_attrs(&mut x.attrs),
            _ => {}
        }
        syn::visit_mut::visit_foreign_item_mut(self, item);
    }
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    use syn::Item as I;
    Some(match item {
        I::Const(x) => &mut x.attrs,
        I::Enum(x) => &mut x.attrs,
        I::ExternCrate(x) => &mut x.attrs,
        I::Fn(x) => &mut x.attrs,
        I::ForeignMod(x) => &mut x.attrs,
        I::Impl(x) => &mut x.attrs,
        I::Macro(x) => &mut x.attrs,
        I::Mod(x) => &mut x.attrs,
        I::Static(x) => &mut x.attrs,
        I::Struct(x) => &mut x.attrs,
        I::Trait(x) => &mut x.attrs,
        I::TraitAlias(x) => &mut x.attrs,
        I::Type(x) => &mut x.attrs,
        I::Union(x) => &mut x.attrs,
        I::Use(x) => &mut x.attrs,
        _ => return None,
    })
}

/// The text of `#[doc = "..."]`.
fn doc_text(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("doc") {
        return None;
    }
    if let syn::Meta::NameValue(nv) = &attr.meta
        && let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &nv.value
    {
        return Some(text.value());
    }
    None
}

/// Applies [`sanitize`] to the `#[doc = "..."]` attributes among `attrs`, read
/// together as rustdoc reads them; when that changes anything, they are
/// replaced by one attribute holding the result.
fn sanitize_attrs(attrs: &mut Vec<syn::Attribute>) {
    let docs: Vec<(usize, String)> = attrs
        .iter()
        .enumerate()
        .filter_map(|(i, a)| doc_text(a).map(|t| (i, t)))
        .collect();
    let Some(&(first, _)) = docs.first() else {
        return;
    };
    let texts: Vec<&str> = docs.iter().map(|(_, t)| t.as_str()).collect();
    let joined = texts.join("\n");
    let clean = sanitize(&joined);
    // Each attribute is printed as a comment of its own, which rustc may trim
    // on its own (see `escape_star_trim`): one that is not safe alone is merged.
    let merge = texts.len() > 1 && texts.iter().any(|t| sanitize(t) != *t);
    if clean == joined && !merge {
        return;
    }
    if let syn::Meta::NameValue(nv) = &mut attrs[first].meta {
        let lit = syn::LitStr::new(&clean, proc_macro2::Span::call_site());
        nv.value = syn::parse_quote!(#lit);
    }
    for &(i, _) in docs[1..].iter().rev() {
        attrs.remove(i);
    }
}

/// Appends a code block as a `text` fence that nothing in it can close.
fn push_block(out: &mut Vec<String>, code: &[String]) {
    let longest = code.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    // A blank line ends any paragraph, HTML block or block quote before the
    // fence; only spaces and tabs make a line blank.
    if out
        .last()
        .is_some_and(|l| !l.chars().all(|c| c == ' ' || c == '\t'))
    {
        out.push(String::new());
    }
    out.push(format!("{fence}text"));
    out.extend(code.iter().cloned());
    out.push(fence);
}

fn longest_run(line: &str, ch: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in line.chars() {
        run = if c == ch { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The column after `c` at column `col`. A tab counts as four columns, the
/// most it can be: where it stops depends on container details (a tab after a
/// list marker in a footnote...), and reading more indentation than there is
/// only ever makes more code blocks.
fn advance(col: usize, c: char) -> usize {
    if c == '\t' { col + 4 } else { col + 1 }
}

/// Leading spaces and tabs from byte `at` of `line`, starting at column `col`:
/// (bytes, column after them).
fn whitespace(line: &str, at: usize, col: usize) -> (usize, usize) {
    let mut end = at;
    let mut col = col;
    for c in line[at..].chars() {
        if c != ' ' && c != '\t' {
            break;
        }
        col = advance(col, c);
        end += 1;
    }
    (end, col)
}

/// `s` with `cols` columns of leading whitespace removed (at most what there is),
/// the rest of its leading whitespace written as spaces. `col` is the column at
/// which `s` starts.
fn unindent(s: &str, col: usize, cols: usize) -> String {
    let (end, after) = whitespace(s, 0, col);
    let width = after - col;
    format!("{}{}", " ".repeat(width.saturating_sub(cols)), &s[end..])
}

/// Byte length of a list marker (`-`, `*`, `+`, `1.`, `1)`) or footnote
/// definition (`[^note]:`) at the start of `s`, if one is there (a list marker
/// followed by whitespace or the end of the line). Both hold blocks, fences
/// included, after them.
fn list_marker(s: &str) -> Option<usize> {
    if let Some(label) = s.strip_prefix("[^") {
        let close = label.find(']')?;
        return label[close..].starts_with("]:").then_some(close + 4);
    }
    let b = s.as_bytes();
    let n = match b.first()? {
        b'-' | b'*' | b'+' => 1,
        _ => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=9).contains(&digits) || !matches!(b.get(digits), Some(b'.' | b')')) {
                return None;
            }
            digits + 1
        }
    };
    matches!(b.get(n), None | Some(b' ' | b'\t')).then_some(n)
}

/// The line without its leading whitespace, block-quote markers, list markers
/// and footnote labels, at any depth and indentation.
fn content(line: &str) -> &str {
    let mut s = line;
    loop {
        let t = s.trim_start_matches([' ', '\t']);
        if let Some(rest) = t.strip_prefix('>') {
            s = rest;
        } else if let Some(n) = list_marker(t) {
            s = &t[n..];
        } else {
            return t;
        }
    }
}

/// The block-quote markers in front of `line`'s content.
fn quote_depth(line: &str) -> usize {
    line[..line.len() - content(line).len()]
        .matches('>')
        .count()
}

/// If `line` may be part of an indented code block, its code.
///
/// A line indented by four columns is code unless it continues a paragraph
/// (`block_start` is false); so is a line whose block-quote or list marker is
/// followed by four more columns than the marker needs, which starts a block
/// whatever came before. Both are judged at any indentation and nesting.
fn indented_code(line: &str, block_start: bool) -> Option<String> {
    if line.trim().is_empty() {
        return None;
    }
    let (end, col) = whitespace(line, 0, 0);
    if block_start && col >= 4 {
        return Some(unindent(line, 0, 4));
    }
    let (mut at, mut col) = (end, col);
    loop {
        let rest = &line[at..];
        let marker = if rest.starts_with('>') {
            1
        } else {
            list_marker(rest)?
        };
        let (end, after) = whitespace(line, at + marker, col + marker);
        if line[end..].trim().is_empty() {
            return None;
        }
        // One column of whitespace belongs to the marker, four more make code.
        if after - (col + marker) >= 5 {
            return Some(unindent(&line[at + marker..], col + marker, 5));
        }
        (at, col) = (end, after);
    }
}

/// Whether `line` may be something after which an indented line starts a code
/// block: anything but plain paragraph text, read generously.
fn may_end_paragraph(line: &str) -> bool {
    let c = content(line).trim();
    if c.is_empty() || line.contains('|') {
        return true;
    }
    // Thematic breaks and setext underlines, in a list item too.
    let thematic = |t: &str| t.chars().all(|ch| "-*_= \t".contains(ch));
    if thematic(c) || thematic(line.trim_start_matches([' ', '\t', '>'])) {
        return true;
    }
    // Headings, HTML, link reference and footnote definitions, fences.
    c.starts_with(['#', '<', '[', '`', '~'])
}

/// An open fence of the input: its character and length, the block-quote depth
/// and the column of the fence within the quote.
struct Fence {
    ch: char,
    len: usize,
    quotes: usize,
    indent: usize,
}

enum FenceLine {
    Content(String),
    Close,
    /// The line is outside the block (its block quote ended).
    Outside,
}

impl Fence {
    /// The fence `line` opens, if it may open one: backticks or tildes, at any
    /// indentation, after any block-quote and list markers.
    fn open(line: &str) -> Option<Fence> {
        let c = content(line);
        let ch = c.chars().next().filter(|&ch| ch == '`' || ch == '~')?;
        let len = c.chars().take_while(|&x| x == ch).count();
        // A backtick in a backtick fence's info string makes it inline code.
        if len < 3 || (ch == '`' && c[len..].contains('`')) {
            return None;
        }
        // Only block quotes in front of everything else are followed into the
        // block's lines; other prefixes count as indentation.
        let mut quotes = 0;
        while strip_quotes(line, quotes + 1).is_some() {
            quotes += 1;
        }
        let (at, col) = strip_quotes(line, quotes).unwrap_or((0, 0));
        let fence_col = line[at..line.len() - c.len()].chars().fold(col, advance);
        Some(Fence {
            ch,
            len,
            quotes,
            indent: fence_col - col,
        })
    }

    fn line(&self, line: &str) -> FenceLine {
        let Some((at, col)) = strip_quotes(line, self.quotes) else {
            return FenceLine::Outside;
        };
        let rest = &line[at..];
        let t = rest.trim_start_matches([' ', '\t']);
        let run = t.chars().take_while(|&x| x == self.ch).count();
        if run >= self.len && t[run * self.ch.len_utf8()..].trim().is_empty() {
            return FenceLine::Close;
        }
        FenceLine::Content(unindent(rest, col, self.indent))
    }
}

/// Byte offset and column after `depth` block-quote markers (each with the
/// whitespace before it and one space after it), if the line has that many.
fn strip_quotes(line: &str, depth: usize) -> Option<(usize, usize)> {
    let (mut at, mut col) = (0, 0);
    for _ in 0..depth {
        let (end, after) = whitespace(line, at, col);
        if !line[end..].starts_with('>') {
            return None;
        }
        (at, col) = (end + 1, after + 1);
        if line[at..].starts_with(' ') {
            (at, col) = (at + 1, col + 1);
        }
    }
    Some((at, col))
}

/// `line` with the `<` escaped if it opens an HTML block that does not end on
/// the same line (`<pre>`, `<script>`, `<style>`, `<textarea>`, `<!--`, `<?`,
/// `<!...>`): such a block ends only at its end marker, which could lie inside a
/// later fence and end the block there, making the rest of the fence markdown.
fn escape_html_block(line: &str) -> String {
    let c = content(line);
    let lower = c.to_ascii_lowercase();
    let tag = ["script", "pre", "style", "textarea"]
        .into_iter()
        .find(|t| lower.strip_prefix('<').is_some_and(|l| l.starts_with(t)));
    // The end marker, looked for after the opening (so `<!-->` counts as open).
    let (opening, end) = if let Some(tag) = tag {
        // rustdoc's parser ends such a block only at the same tag, in lower case.
        (1 + tag.len(), format!("</{tag}>"))
    } else if lower.starts_with("<!--") {
        (4, "-->".into())
    } else if lower.starts_with("<![cdata[") {
        (9, "]]>".into())
    } else if lower.starts_with("<?") {
        (2, "?>".into())
    } else if lower.starts_with("<!") {
        (2, ">".into())
    } else {
        return line.to_string();
    };
    if c[opening..].contains(&end) {
        return line.to_string();
    }
    let at = line.len() - c.len();
    format!("{}\\{}", &line[..at], &line[at..])
}

/// Escapes stars of a text that rustc would trim until it would not.
///
/// prettyplease prints a multi-line doc as a `/** */` comment (without the
/// trailing spaces of its lines but the last), and rustc strips a column of
/// leading `*` from such a comment (with the space after each) when every line
/// has one: `*     code` becomes an indented code block. The text is checked as
/// printed and as it is.
fn escape_star_trim(lines: &mut [String]) {
    loop {
        let last = lines.len().saturating_sub(1);
        let printed: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i < last {
                    l.trim_end_matches(' ').to_string()
                } else {
                    l.clone()
                }
            })
            .collect();
        let Some((line, star)) = star_trim(&printed).or_else(|| star_trim(lines)) else {
            return;
        };
        let line = &mut lines[line];
        let at = line.char_indices().nth(star).map_or(line.len(), |(b, _)| b);
        line.insert(at, '\\');
    }
}

/// Where rustc's `beautify_doc_string` would trim a star column from a block
/// comment made of `lines`: the line to escape to stop it, and the star's
/// column (in chars). A mirror of rustc's code.
fn star_trim(lines: &[String]) -> Option<(usize, usize)> {
    // rustc reads the comment with `str::lines`: no line after a final `\n`.
    let lines = match lines {
        [rest @ .., last] if last.is_empty() => rest,
        all => all,
    };
    if lines.is_empty() {
        return None;
    }
    // Vertical trim: a first line of stars (or empty) and a last line of stars.
    let mut from = 0;
    let mut to = lines.len();
    if lines[0].chars().all(|c| c == '*') {
        from += 1;
    }
    if to > from && !lines[to - 1].is_empty() && lines[to - 1].chars().all(|c| c == '*') {
        to -= 1;
    }
    // Horizontal trim: the first line only counts if it starts with a star.
    let mut i = from;
    if lines
        .get(from)
        .is_some_and(|l| !l.trim_start().starts_with('*'))
    {
        i += 1;
    }
    while i < to && lines[i].trim().is_empty() {
        i += 1;
    }
    while to > i && lines[to - 1].trim().is_empty() {
        to -= 1;
    }
    if i >= to {
        return None;
    }
    let mut star: Option<usize> = None;
    for line in &lines[i..to] {
        let mut found = false;
        for (j, c) in line.chars().enumerate() {
            if star.is_some_and(|s| j > s) || !"* \t".contains(c) {
                return None;
            }
            if c == '*' {
                if star.is_some_and(|s| s != j) {
                    return None;
                }
                star = Some(j);
                found = true;
                break;
            }
        }
        // rustc gives up on a line shorter than the star column (an empty
        // line included); a line without a star counts as such.
        if !found && star.is_none_or(|s| s >= line.len()) {
            return None;
        }
    }
    // The last line (which has a star): escaping the first would only make
    // rustc skip it (a first line counts only if it starts with a star).
    star.map(|s| (to - 1, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        sanitize(text)
    }

    #[test]
    fn prose_without_code_is_unchanged() {
        for text in [
            "",
            "Deletes a token.",
            "Deletes a token.\n\nSends a `DELETE` request to `/a/{b}`\n\nArguments:\n- `b`: the token\n",
            "A list:\n* one\n* two\n\n1. first\n2. second",
            "Inline `code` and ``more``, a | table | row\n|---|---|",
            "> quoted\n> text",
            "<details><summary>x</summary>\n\ninside\n</details>",
            "<!-- one-line comment -->",
            "Nested:\n- item\n  - sub item\n    continued",
        ] {
            assert_eq!(s(text), text, "{text:?}");
        }
    }

    #[test]
    fn every_fence_becomes_text() {
        for info in [
            "",
            "rust",
            "no_run",
            "should_panic",
            "rust,ignore",
            "sh",
            "json",
        ] {
            let text = format!("Example:\n```{info}\ncurl -X DELETE https://x\n```\nDone.");
            assert_eq!(
                s(&text),
                "Example:\n\n```text\ncurl -X DELETE https://x\n```\nDone.",
                "{info:?}"
            );
        }
        assert_eq!(
            s("~~~rust\npanic!()\n~~~"),
            "```text\npanic!()\n```",
            "tildes"
        );
        assert_eq!(
            s("````\n```rust\npanic!()\n```\n````"),
            "````text\n```rust\npanic!()\n```\n````",
            "a longer fence holding a shorter one"
        );
    }

    #[test]
    fn an_unclosed_fence_is_closed_at_the_end() {
        assert_eq!(s("a\n```\npanic!()"), "a\n\n```text\npanic!()\n```");
    }

    #[test]
    fn indented_code_becomes_text() {
        assert_eq!(
            s("Example:\n\n    panic!();\n\n    let x = 1;\n\nDone."),
            "Example:\n\n```text\npanic!();\n\nlet x = 1;\n```\n\nDone."
        );
        assert_eq!(s("\tpanic!();"), "```text\npanic!();\n```", "a tab");
        assert_eq!(
            s("# Heading\n    panic!();"),
            "# Heading\n\n```text\npanic!();\n```",
            "after a heading, no blank line is needed"
        );
        assert_eq!(
            s("1. ***\n    panic!();"),
            "1. ***\n\n```text\npanic!();\n```",
            "after a thematic break in a list item"
        );
        // A paragraph continues over an indented line.
        assert_eq!(s("text\n    more text"), "text\n    more text");
        // Not an HTML block in a quote: it ends with the quote.
        assert_eq!(
            s("> <div>\n> text\n    panic!();"),
            "> <div>\n> text\n\n```text\npanic!();\n```"
        );
    }

    #[test]
    fn code_in_lists_and_quotes_becomes_text() {
        assert_eq!(
            s("- item\n  ```rust\n  panic!()\n  ```"),
            "- item\n\n```text\npanic!()\n```"
        );
        assert_eq!(s("> ```\n> panic!()\n> ```"), "```text\npanic!()\n```");
        assert_eq!(s("-     panic!()"), "```text\npanic!()\n```");
        assert_eq!(s(">     panic!()"), "```text\npanic!()\n```");
        assert_eq!(
            s("[^1]: ```\npanic!()\n```"),
            "```text\npanic!()\n```",
            "a footnote holds blocks too"
        );
        assert_eq!(
            s("- item\n\n      panic!()"),
            "- item\n\n```text\n  panic!()\n```"
        );
    }

    #[test]
    fn a_fence_cannot_be_closed_by_its_content() {
        assert_eq!(
            s("```\nlet s = \"````\";\n```"),
            "`````text\nlet s = \"````\";\n`````"
        );
    }

    #[test]
    fn html_blocks_that_span_lines_are_escaped() {
        assert_eq!(s("<pre>\nx\n</pre>"), "\\<pre>\nx\n</pre>");
        assert_eq!(s("<!--\nx -->"), "\\<!--\nx -->");
        assert_eq!(s("<pre>x</pre>"), "<pre>x</pre>");
        assert_eq!(s("<!-- x -->"), "<!-- x -->");
        // Only the same tag, in lower case, ends the block.
        assert_eq!(s("<pre></script>\nx"), "\\<pre></script>\nx");
        assert_eq!(s("<PRE>x</PRE>\nx"), "\\<PRE>x</PRE>\nx");
    }

    #[test]
    fn carriage_returns_end_lines() {
        assert_eq!(
            s("a\r```rust\rpanic!()\r```"),
            "a\n\n```text\npanic!()\n```"
        );
    }

    #[test]
    fn a_star_column_rustc_would_trim_is_escaped() {
        assert_eq!(
            s("****\n*    panic!();\n*    x();"),
            "****\n*    panic!();\n\\*    x();"
        );
        // A text whose first line has no star is trimmed from its second line;
        // as printed, a first line of spaces is empty, and skipped.
        assert_eq!(s("a\n* b\n* c"), "a\n* b\n\\* c");
        assert_eq!(s("\n* b\n* c"), "\n* b\n\\* c");
        assert_eq!(s("  \n*\n*    x"), "  \n*\n\\*    x");
        // A blank line between stops rustc's trimming.
        assert_eq!(s("* b\n\n* c"), "* b\n\n* c");
    }

    #[test]
    fn sanitizing_twice_changes_nothing_more() {
        for text in [
            "a\n```rust\nx\n```\n    y\n\n    z",
            "- ```\n  a\n  ```\n> ```\n> b",
            "****\n*    panic!();",
            "<pre>\n```\n</pre>\n```",
        ] {
            let once = s(text);
            assert_eq!(s(&once), once, "{text:?}");
        }
    }

    #[test]
    fn inline_is_one_line() {
        assert_eq!(
            inline("Acme\n\n```rust\npanic!()\n```"),
            "Acme ```text panic!() ```"
        );
        assert_eq!(inline("  Acme   API "), "Acme API");
    }

    #[test]
    fn docs_of_items_are_sanitized_together() {
        let mut file: syn::File = syn::parse_quote! {
            #[doc = "Example:"]
            #[doc = "```"]
            #[doc = "panic!()"]
            #[doc = "```"]
            pub struct A {
                #[doc = "```rust\npanic!()\n```"]
                pub x: i64,
            }
            /// Plain.
            pub fn f() {}
        };
        sanitize_docs(&mut file);
        let text = prettyplease::unparse(&file);
        assert!(
            text.contains("/**Example:\n\n```text\npanic!()\n```*/\npub struct A"),
            "{text}"
        );
        assert!(
            text.contains("/**```text\npanic!()\n```*/\n    pub x"),
            "{text}"
        );
        assert!(text.contains("/// Plain.\npub fn f"), "{text}");
    }
}

//! The summary of a run: counts by outcome, failures grouped by reason, the
//! slowest documents, operations left out, and time percentiles. A table of
//! 2,639 rows cannot be read; these figures are what a sweep is for.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::child::{CRASHED, STOPPED_MEMORY, STOPPED_TIME};
use super::table::{Outcome, Row, cell, first_line, secs};

/// The outcome classes of the summary, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Generated (and compiled cleanly, when checked) with every operation a method.
    Whole,
    /// Generated (and compiled cleanly, when checked), some operations left out.
    LeftOut,
    /// The pipeline refused the document.
    Refused,
    /// Stopped at the time limit.
    TimedOut,
    /// The child died, or was stopped over its memory limit.
    Crashed,
    /// Generated, but `cargo check` reported errors.
    NotCompiled,
    /// Generated and compiled, with warnings (a failure: the crates must be clean).
    Warnings,
    /// Generated, but its batch's `cargo check` failed before reaching it.
    NotChecked,
    /// Not tried (`--skip`, `--max-operations`).
    Skipped,
}

impl Class {
    /// How the summary names the class.
    pub fn label(self) -> &'static str {
        match self {
            Class::Whole => "generated whole (every operation a method)",
            Class::LeftOut => "generated, operations left out",
            Class::Refused => "refused",
            Class::TimedOut => "timed out",
            Class::Crashed => "crashed or over the memory limit",
            Class::NotCompiled => "generated, did not compile",
            Class::Warnings => "generated, compiled with warnings",
            Class::NotChecked => "generated, not checked (its batch failed first)",
            Class::Skipped => "skipped",
        }
    }

    const ALL: [Class; 9] = [
        Class::Whole,
        Class::LeftOut,
        Class::Refused,
        Class::TimedOut,
        Class::Crashed,
        Class::NotCompiled,
        Class::Warnings,
        Class::NotChecked,
        Class::Skipped,
    ];
}

/// The class of one row. A row still `Generated` is one of a
/// `--generate-only` run, classed by its methods alone.
pub fn class(row: &Row) -> Class {
    let generated = || {
        if row.methods.unwrap_or(0) < row.operations.unwrap_or(0) {
            Class::LeftOut
        } else {
            Class::Whole
        }
    };
    match &row.outcome {
        Outcome::Skipped(_) => Class::Skipped,
        Outcome::GenerationFailed(e) if e.starts_with(STOPPED_TIME) => Class::TimedOut,
        Outcome::GenerationFailed(e) if e.starts_with(STOPPED_MEMORY) || e.starts_with(CRASHED) => {
            Class::Crashed
        }
        Outcome::GenerationFailed(_) => Class::Refused,
        Outcome::NotChecked(_) => Class::NotChecked,
        Outcome::Checked { errors, .. } if !errors.is_empty() => Class::NotCompiled,
        Outcome::Checked { warnings, .. } if !warnings.is_empty() => Class::Warnings,
        Outcome::Generated | Outcome::Checked { .. } => generated(),
    }
}

/// The message of a failing row, reduced to its kind: the document's own
/// file name, quoted names, JSON pointers, paths and numbers are replaced,
/// so that "`Foo` … `#/components/schemas/Foo`" in one document and
/// "`Bar` … `#/components/schemas/Bar`" in another count as one reason.
pub fn reason(row: &Row) -> Option<String> {
    let message = match &row.outcome {
        Outcome::GenerationFailed(e) => format!("{}: {e}", class(row).label()),
        Outcome::Checked { errors, .. } if !errors.is_empty() => {
            format!("did not compile: {}", errors[0])
        }
        Outcome::Checked { warnings, .. } if !warnings.is_empty() => {
            format!("warning: {}", warnings[0])
        }
        Outcome::NotChecked(why) => format!("not checked: {why}"),
        _ => return None,
    };
    let message = first_line(&message)
        .replace(&format!("specs/{}", row.file), "DOC")
        .replace(&row.file, "DOC")
        .replace(&row.name, "CRATE")
        .replace(&row.name.replace('-', "_"), "CRATE");
    Some(normalize(&message))
}

/// [`reason`]'s reduction of one line: spans in backticks or double quotes
/// become `…`, as do single-quoted words; a token starting with `#/` or
/// holding a `/` (a pointer or a path) becomes `#/…` or `…/…`; digits become
/// `N`; the result is at most 160 characters.
pub fn normalize(line: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let closing = |open: char, from: usize, spaces: bool| {
            chars[from + 1..]
                .iter()
                .take(200)
                .position(|&d| d == open || (!spaces && d.is_whitespace()))
                .map(|p| from + 1 + p)
                .filter(|&j| chars[j] == open)
        };
        let spaces = c != '\'';
        if matches!(c, '`' | '"' | '\'')
            && let Some(end) = closing(c, i, spaces)
        {
            out.push(c);
            out.push('…');
            out.push(c);
            i = end + 1;
            continue;
        }
        let token_start = i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(';
        if token_start {
            let end = chars[i..]
                .iter()
                .position(|d| d.is_whitespace() || matches!(d, ')' | ',' | ';'))
                .map_or(chars.len(), |p| i + p);
            let token: String = chars[i..end].iter().collect();
            let token = token.trim_end_matches([':', '.']);
            if token.starts_with("#/") {
                out.push_str("#/…");
                i += token.chars().count();
                continue;
            }
            if token.contains('/') && token.len() > 1 {
                out.push_str("…/…");
                i += token.chars().count();
                continue;
            }
        }
        if c.is_ascii_digit() {
            out.push('N');
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 160 {
        let cut: String = out.chars().take(159).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// The `p`-th percentile (0–100) of `sorted`, nearest rank; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Operations of a row for the totals: the pipeline's count, or else the
/// count read from the document (for those that did not generate).
fn operations(row: &Row) -> usize {
    row.operations.or(row.document_operations).unwrap_or(0)
}

/// A number with thousands separators: 116,111.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary, as markdown.
pub fn summary(rows: &[Row]) -> String {
    let mut out = String::new();
    let tried: Vec<&Row> = rows.iter().filter(|r| class(r) != Class::Skipped).collect();
    let _ = writeln!(
        out,
        "### Summary: {} document(s), {} tried\n\n| outcome | documents |\n|---|---|",
        rows.len(),
        tried.len()
    );
    let mut by_class: BTreeMap<Class, usize> = BTreeMap::new();
    for row in rows {
        *by_class.entry(class(row)).or_default() += 1;
    }
    for c in Class::ALL {
        let _ = writeln!(
            out,
            "| {} | {} |",
            c.label(),
            by_class.get(&c).unwrap_or(&0)
        );
    }

    let total: usize = tried.iter().map(|r| operations(r)).sum();
    let methods: usize = tried.iter().filter_map(|r| r.methods).sum();
    let with_paths = tried.iter().filter(|r| operations(r) > 0).count();
    let _ = writeln!(
        out,
        "\nOperations: {} of {} became methods ({}), over the {} tried document(s) with operations.",
        thousands(methods),
        thousands(total),
        percent(methods, total),
        with_paths
    );
    let mut times: Vec<f64> = tried.iter().filter_map(|r| r.generation).collect();
    times.sort_by(f64::total_cmp);
    let _ = writeln!(
        out,
        "Generation time per document (a stopped one counts at its limit): median {}, p99 {}, max {}; {} in all.",
        secs(percentile(&times, 50.0)),
        secs(percentile(&times, 99.0)),
        secs(times.last().copied().unwrap_or(0.0)),
        secs(times.iter().sum())
    );

    let mut reasons: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for row in &tried {
        if let Some(reason) = reason(row) {
            reasons.entry(reason).or_default().push(&row.file);
        }
    }
    if !reasons.is_empty() {
        let failing: usize = reasons.values().map(Vec::len).sum();
        let mut reasons: Vec<_> = reasons.into_iter().collect();
        reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            out,
            "\nFailures by reason ({failing} document(s), {} reason(s)):\n\n| documents | reason | for example |\n|---|---|---|",
            reasons.len()
        );
        for (reason, files) in &reasons {
            let mut examples = files.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            if files.len() > 3 {
                examples.push_str(", …");
            }
            let _ = writeln!(out, "| {} | {} | {} |", files.len(), cell(reason), examples);
        }
    }

    let mut slow: Vec<&Row> = tried
        .iter()
        .copied()
        .filter(|r| r.generation.is_some())
        .collect();
    slow.sort_by(|a, b| {
        b.generation
            .unwrap_or(0.0)
            .total_cmp(&a.generation.unwrap_or(0.0))
            .then(a.file.cmp(&b.file))
    });
    let _ = writeln!(
        out,
        "\nSlowest documents:\n\n| document | operations | generate | ms per operation | outcome |\n|---|---|---|---|---|"
    );
    for row in slow.iter().take(10) {
        let seconds = row.generation.unwrap_or(0.0);
        let ops = operations(row);
        let per = if ops == 0 {
            "—".into()
        } else {
            format!("{:.2}", seconds * 1e3 / ops as f64)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.file,
            ops,
            secs(seconds),
            per,
            class(row).label()
        );
    }

    let mut left: Vec<(&Row, usize)> = tried
        .iter()
        .filter_map(|r| {
            let (ops, methods) = (r.operations?, r.methods?);
            (methods < ops).then_some((*r, ops - methods))
        })
        .collect();
    left.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.file.cmp(&b.0.file)));
    if !left.is_empty() {
        let missing: usize = left.iter().map(|(_, n)| n).sum();
        let _ = writeln!(
            out,
            "\nOperations left out: {} in {} generated document(s):\n\n| document | left out | of | notes |\n|---|---|---|---|",
            thousands(missing),
            left.len()
        );
        for (row, n) in &left {
            let notes = row
                .notes
                .iter()
                .map(|(kind, n)| format!("{kind} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "| {} | {n} | {} | {} |",
                row.file,
                row.operations.unwrap_or(0),
                if notes.is_empty() {
                    "—".into()
                } else {
                    notes
                }
            );
        }
    }
    out
}

/// `part` of `whole` as a percentage with one decimal, `—` of nothing.
pub fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(file: &str, outcome: Outcome) -> Row {
        Row {
            file: file.into(),
            name: super::super::provider_name(file.trim_end_matches(".json")),
            openapi: "3.0.0".into(),
            operations: None,
            methods: None,
            document_operations: None,
            notes: BTreeMap::new(),
            generation: Some(0.1),
            memory_kib: None,
            check: None,
            outcome,
        }
    }

    #[test]
    fn messages_of_one_kind_group_as_one_reason() {
        let a = row(
            "a.com/x.json",
            Outcome::GenerationFailed(
                "specs/a.com/x.json: the $ref `#/paths/~1a~1%7Bid%7D/get/responses/200` at #/paths/~1a/get is not of the form `#/components/…` (line 12)".into(),
            ),
        );
        let b = row(
            "b.io.json",
            Outcome::GenerationFailed(
                "specs/b.io.json: the $ref `#/paths/~1other/post` at #/paths/~1b/post is not of the form `#/components/…` (line 9081)".into(),
            ),
        );
        assert_eq!(reason(&a), reason(&b));
        assert_eq!(
            reason(&a).unwrap(),
            "refused: DOC: the $ref `…` at #/… is not of the form `…` (line N)"
        );
        let other = row(
            "c.json",
            Outcome::GenerationFailed("specs/c.json: not a valid OpenAPI 3.0 document".into()),
        );
        assert_ne!(reason(&a), reason(&other));
    }

    #[test]
    fn quoted_names_numbers_and_paths_are_reduced() {
        assert_eq!(
            normalize("enum \"Alarm\" has 'ALARM' and 'alarm' in /tmp/x/y.rs:12"),
            "enum \"…\" has '…' and '…' in …/…"
        );
        // An apostrophe inside a word is not a quote.
        assert_eq!(normalize("the vendor's schema"), "the vendor's schema");
        assert_eq!(
            normalize("error[E0428]: the name `Foo` is defined multiple times"),
            "error[EN]: the name `…` is defined multiple times"
        );
    }

    #[test]
    fn timeouts_crashes_and_left_out_operations_are_classed() {
        let timed = row(
            "t.json",
            Outcome::GenerationFailed(format!("{STOPPED_TIME} 60 s, the time limit")),
        );
        assert_eq!(class(&timed), Class::TimedOut);
        let crashed = row(
            "c.json",
            Outcome::GenerationFailed(format!("{CRASHED} was killed by a signal: x")),
        );
        assert_eq!(class(&crashed), Class::Crashed);
        let mut partial = row("p.json", Outcome::Generated);
        partial.operations = Some(390);
        partial.methods = Some(381);
        assert_eq!(class(&partial), Class::LeftOut);
        partial.methods = Some(390);
        assert_eq!(class(&partial), Class::Whole);
        let warned = row(
            "w.json",
            Outcome::Checked {
                errors: vec![],
                warnings: vec!["unused".into()],
            },
        );
        assert_eq!(class(&warned), Class::Warnings);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(thousands(116_111), "116,111");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn the_summary_counts_operations_over_failures_too() {
        let mut ok = row("ok.json", Outcome::Generated);
        ok.operations = Some(10);
        ok.methods = Some(10);
        let mut refused = row(
            "no.json",
            Outcome::GenerationFailed("specs/no.json: bad".into()),
        );
        refused.document_operations = Some(30);
        let text = summary(&[ok, refused]);
        assert!(
            text.contains("Operations: 10 of 40 became methods (25.0 %)"),
            "{text}"
        );
        assert!(text.contains("| refused | 1 |"), "{text}");
        assert!(
            text.contains("| 1 | refused: DOC: bad | no.json |"),
            "{text}"
        );
    }
}

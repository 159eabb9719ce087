//! The progress of a long run on stderr: one live line on a terminal, and
//! in a log (CI) a line every [`EVERY_DOCUMENTS`] documents or
//! [`EVERY_SECONDS`], whichever comes first, so that a sweep of thousands of
//! documents shows it is alive without a line per document.

use std::io::{IsTerminal, Write as _};
use std::time::{Duration, Instant};

/// In a log, a line after this many more documents...
pub const EVERY_DOCUMENTS: usize = 25;
/// ...or after this long without one.
pub const EVERY_SECONDS: Duration = Duration::from_secs(10);

/// Counts of a run so far, and when they were last printed.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
    tty: bool,
    printed_done: usize,
    printed_at: Instant,
    last: String,
}

impl Progress {
    /// A run of `total` documents; `what` is the verb of its lines ("generated").
    pub fn new(what: &'static str, total: usize) -> Self {
        let now = Instant::now();
        Progress {
            what,
            total,
            done: 0,
            failed: 0,
            started: now,
            tty: std::io::stderr().is_terminal(),
            printed_done: 0,
            printed_at: now,
            last: String::new(),
        }
    }

    /// One more document is done (`failed` if it did not succeed); `file` names it.
    pub fn done(&mut self, file: &str, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        self.last = file.to_string();
        self.tick();
    }

    /// Prints a line if one is due: always on a terminal (the line is
    /// rewritten in place), in a log only per `due`.
    pub fn tick(&mut self) {
        let now = Instant::now();
        if self.tty {
            eprint!("\r\x1b[2K{}", self.line(true));
            let _ = std::io::stderr().flush();
        } else if due(
            self.done - self.printed_done,
            now.duration_since(self.printed_at),
        ) {
            eprintln!("{}", self.line(false));
            self.printed_done = self.done;
            self.printed_at = now;
        }
    }

    /// The last line, and the end of the live one.
    pub fn finish(&mut self) {
        if self.tty {
            eprintln!("\r\x1b[2K{}", self.line(false));
        } else if self.printed_done != self.done || self.done == 0 {
            eprintln!("{}", self.line(false));
        }
    }

    fn line(&self, with_last: bool) -> String {
        let mut line = format!(
            "corpus: {}/{} {}, {} failed so far, {} elapsed",
            self.done,
            self.total,
            self.what,
            self.failed,
            clock(self.started.elapsed())
        );
        if with_last && !self.last.is_empty() {
            line.push_str(" — ");
            line.push_str(&self.last);
        }
        line
    }
}

/// Whether a log line is due after `documents` more documents and `since`
/// the last line.
pub fn due(documents: usize, since: Duration) -> bool {
    documents >= EVERY_DOCUMENTS || (since >= EVERY_SECONDS)
}

/// `1m02s`, `9s`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_every_25_documents_or_10_seconds() {
        assert!(!due(24, Duration::from_secs(9)));
        assert!(due(25, Duration::ZERO));
        assert!(due(0, Duration::from_secs(10)));
        assert_eq!(clock(Duration::from_secs(62)), "1m02s");
        assert_eq!(clock(Duration::from_secs(9)), "9s");
    }
}

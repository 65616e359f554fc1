//! The analysis as the TUI shows it (`smbcheck --tui`): collects every judged message with
//! its first bytes while the engine runs, then hands them over with the analysis model.
//! Nothing is parsed or named here: the engine attached what the TUI shows to each
//! message, and the TUI makes its strings from the model.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tui::model::{DUMP_BYTES, Row, Timeline};

use crate::capture::Timestamp;
use crate::flow;
use crate::model::{Analysis, Message};

// What the timeline shows of a message is always among the bytes the sink is given.
const _: () = assert!(flow::HEAD_LEN >= DUMP_BYTES);

/// How often the progress line on stderr is refreshed while a capture is analysed.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Gathers the messages for the timeline as the engine judges them, and shows progress on
/// stderr while a long capture is read.
pub struct Collector {
    rows: Vec<Row>,
    /// Time zero of the timeline, fixed by the first update that knows one.
    start: Option<Timestamp>,
    /// Whether progress is shown on stderr (not under a live TUI).
    show_progress: bool,
    started: Instant,
    last_progress: Option<Instant>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new()
    }
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            rows: Vec::new(),
            start: None,
            show_progress: true,
            started: Instant::now(),
            last_progress: None,
        }
    }

    /// For a live capture shown while it runs: no progress line on the terminal.
    pub fn live() -> Collector {
        Collector {
            show_progress: false,
            ..Collector::new()
        }
    }

    /// One judged message and its bytes, or its first `flow::HEAD_LEN` at least (the
    /// engine's sink).
    pub fn push(&mut self, m: &Message, bytes: &[u8]) {
        let keep = bytes.len().min(DUMP_BYTES);
        self.rows.push(Row {
            message: m.clone(),
            bytes: bytes.get(..keep).unwrap_or_default().to_vec(),
        });
        self.progress(m.frame);
    }

    fn progress(&mut self, frame: u64) {
        if !self.show_progress {
            return;
        }
        let now = Instant::now();
        let due = match self.last_progress {
            Some(t) => now.duration_since(t) >= PROGRESS_EVERY,
            None => now.duration_since(self.started) >= PROGRESS_EVERY,
        };
        if due && self.rows.len() % 256 == 0 {
            self.last_progress = Some(now);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\ranalysing… {frame} frames, {} messages",
                self.rows.len()
            );
            let _ = err.flush();
        }
    }

    /// The timeline of the whole analysis, with the collected messages.
    pub fn finish(mut self, analysis: &Analysis, captures: &[PathBuf]) -> Timeline {
        if self.last_progress.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
        self.update(analysis, captures)
    }

    /// For a live capture: the messages collected since the last update (handed over, not
    /// kept) and the analysis as it stands now (`tui::App::extend`).
    pub fn update(&mut self, analysis: &Analysis, captures: &[PathBuf]) -> Timeline {
        if self.start.is_none() {
            self.start = analysis
                .connections
                .iter()
                .map(|c| c.first_ts)
                .chain(self.rows.first().map(|r| r.message.ts))
                .min();
        }
        let title = captures
            .iter()
            .map(|p| {
                p.file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect::<Vec<_>>()
            .join(", ");
        Timeline {
            title,
            start: self.start.unwrap_or_default(),
            analysis: analysis.clone(),
            messages: std::mem::take(&mut self.rows),
        }
    }
}

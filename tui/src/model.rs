//! What the browser shows: the analysis model (`smbcheck-model`) as the engine made it, with
//! what only the view needs: each message's first bytes for the hex dump, the time the
//! capture started (times are shown relative to it) and a title. The smbcheck binary hands
//! it over (`smbcheck::app::tui_view`); display strings are made where they are drawn.

use smbcheck_model::{Analysis, Message, Timestamp};

/// How many bytes of each message are kept for the hex dump.
pub const DUMP_BYTES: usize = 512;

/// Everything the browser shows about one analysed capture.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// What was opened (the capture file names), shown in the status bar.
    pub title: String,
    /// Time zero of the timeline.
    pub start: Timestamp,
    /// The analysis (of a live capture: as it stands).
    pub analysis: Analysis,
    /// Every SMB message in the order the analysis judged them.
    pub messages: Vec<Row>,
}

/// One judged message and its first bytes.
#[derive(Clone, Debug)]
pub struct Row {
    pub message: Message,
    /// The first `DUMP_BYTES` bytes of the message.
    pub bytes: Vec<u8>,
}

impl Timeline {
    /// Seconds from the start of the capture to `m`.
    pub fn time(&self, m: &Message) -> f64 {
        self.at(m.ts)
    }

    /// Seconds from the start of the capture to `ts`.
    pub fn at(&self, ts: Timestamp) -> f64 {
        (ts.0 - self.start.0) as f64 / 1e9
    }
}

//! A progress bar on stderr (bytes of the capture files read of their total size) for long
//! captures, shown only when stderr is a terminal and the report is not the TUI.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::capture::BytesRead;

/// Captures smaller than this are read too fast for a bar to help.
const MIN_TOTAL: u64 = 4 << 20;
/// Bytes read between two updates (an update is cheap, not free).
const STEP: u64 = 1 << 20;

pub struct Progress {
    bar: Option<ProgressBar>,
    read: BytesRead,
    shown: u64,
}

impl Progress {
    /// A bar for `total` bytes if `wanted`, the captures are long and stderr is a terminal.
    pub fn new(wanted: bool, total: u64, read: BytesRead) -> Self {
        let show = wanted && total >= MIN_TOTAL && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                )
                .expect("a valid template"),
            );
            bar
        });
        Progress {
            bar,
            read,
            shown: 0,
        }
    }

    /// Called once per frame.
    pub fn frame(&mut self) {
        if let Some(bar) = &self.bar {
            let read = self.read.get();
            if read >= self.shown + STEP {
                bar.set_position(read);
                self.shown = read;
            }
        }
    }

    /// Removes the bar before the report is written.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

//! Errors that stop reading a capture, and damage after which the usable part is kept.

use std::fmt;
use std::path::PathBuf;

/// A capture file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{}: cannot open", file.display())]
    Open {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: empty file", file.display())]
    Empty { file: PathBuf },
    #[error("{}: not a pcap or pcapng file", file.display())]
    NotACapture { file: PathBuf },
    #[error("{}: damaged capture header: {detail}", file.display())]
    BadHeader { file: PathBuf, detail: String },
}

/// Damage found while reading: reading stopped or skipped something, what was read is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureIssue {
    pub file: PathBuf,
    /// 1-based index of the packet record in its file the damage concerns, if any.
    pub record: Option<u64>,
    pub message: String,
}

impl fmt::Display for CaptureIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(record) => write!(
                f,
                "{}: record {record}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

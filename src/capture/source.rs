//! The frames of the capture files, the fastest way they can be had: straight from the
//! files' mappings, or, when a file has to be streamed (gzip, a pipe), from a reader thread
//! that does the copying beside the analysis.

use super::prefetch::Prefetch;
use super::{BytesRead, CaptureError, CaptureIssue, CaptureSet, FrameRef};

pub enum Frames {
    Mapped(CaptureSet),
    Streamed(Prefetch),
}

impl Frames {
    /// Opens the files (errors in their headers come back here).
    pub fn open<P: AsRef<std::path::Path>>(paths: &[P]) -> Result<Frames, CaptureError> {
        let captures = CaptureSet::open(paths)?;
        Ok(if captures.all_mapped() {
            Frames::Mapped(captures)
        } else {
            Frames::Streamed(Prefetch::start(captures))
        })
    }

    /// The next frame of the merged timeline (as [`CaptureSet::next_frame`]).
    pub fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        match self {
            Frames::Mapped(captures) => captures.next_frame(),
            Frames::Streamed(prefetch) => prefetch.next_frame(),
        }
    }

    /// Damage found in the files (complete once `next_frame` gave None).
    pub fn issues(&self) -> &[CaptureIssue] {
        match self {
            Frames::Mapped(captures) => captures.issues(),
            Frames::Streamed(prefetch) => prefetch.issues(),
        }
    }

    /// Frames numbered, including skipped ones (complete once `next_frame` gave None).
    pub fn frames_read(&self) -> u64 {
        match self {
            Frames::Mapped(captures) => captures.frames_read(),
            Frames::Streamed(prefetch) => prefetch.frames_read(),
        }
    }

    pub fn total_bytes(&self) -> u64 {
        match self {
            Frames::Mapped(captures) => captures.total_bytes(),
            Frames::Streamed(prefetch) => prefetch.total_bytes(),
        }
    }

    pub fn bytes_read(&self) -> BytesRead {
        match self {
            Frames::Mapped(captures) => captures.bytes_read(),
            Frames::Streamed(prefetch) => prefetch.bytes_read(),
        }
    }
}

//! Several capture files read as one timeline: a k-way merge by timestamp, each file one
//! frame ahead, frames numbered 1, 2, 3... in merged order.

use std::path::Path;

use super::file::{FileReader, Frame};
use super::{CaptureError, CaptureIssue, link};

struct Source {
    reader: FileReader,
    /// The file's next frame, valid when `ready`.
    head: Frame,
    ready: bool,
}

/// The frames of all capture files in timestamp order (file order among equal times; a
/// file's own order is kept even where its timestamps go backwards).
pub struct CaptureSet {
    sources: Vec<Source>,
    /// The source whose head was returned last and must be advanced before the next pick.
    returned: Option<usize>,
    primed: bool,
    next_number: u64,
    issues: Vec<CaptureIssue>,
}

impl CaptureSet {
    /// Opens every file and checks its header; any file that is not a usable capture fails.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<CaptureSet, CaptureError> {
        let sources = paths
            .iter()
            .map(|path| {
                Ok(Source {
                    reader: FileReader::open(path.as_ref())?,
                    head: Frame::default(),
                    ready: false,
                })
            })
            .collect::<Result<Vec<_>, CaptureError>>()?;
        Ok(CaptureSet {
            sources,
            returned: None,
            primed: false,
            next_number: 1,
            issues: Vec::new(),
        })
    }

    /// The next frame of the merged timeline. Frames of unknown link types are numbered
    /// but skipped (reported once per interface in `issues`).
    pub fn next_frame(&mut self) -> Result<Option<&Frame>, CaptureError> {
        if !self.primed {
            self.primed = true;
            for index in 0..self.sources.len() {
                self.advance(index);
            }
        }
        if let Some(index) = self.returned.take() {
            self.advance(index);
        }
        loop {
            let next = self
                .sources
                .iter()
                .enumerate()
                .filter(|(_, source)| source.ready)
                .min_by_key(|(index, source)| (source.head.ts, *index))
                .map(|(index, _)| index);
            let Some(index) = next else { return Ok(None) };
            let head = &mut self.sources[index].head;
            head.number = self.next_number;
            self.next_number += 1;
            if link::is_supported(head.linktype) {
                self.returned = Some(index);
                return Ok(Some(&self.sources[index].head));
            }
            self.advance(index);
        }
    }

    /// Damage found so far in any file (reading went on or stopped with what was read).
    pub fn issues(&self) -> &[CaptureIssue] {
        &self.issues
    }

    /// Frames numbered so far, including skipped ones.
    pub fn frames_read(&self) -> u64 {
        self.next_number - 1
    }

    fn advance(&mut self, index: usize) {
        let source = &mut self.sources[index];
        source.ready = source.reader.read_frame(&mut source.head, &mut self.issues);
        source.head.file = index;
    }
}

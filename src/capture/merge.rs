//! Several capture files read as one timeline: a k-way merge by timestamp, each file one
//! frame ahead, frames numbered 1, 2, 3... in merged order.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::file::{FileReader, Frame, FrameRef};
use super::{CaptureError, CaptureIssue, link};

/// See [`CaptureSet::bytes_read`].
#[derive(Clone)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

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
    /// Bytes read from the files so far, and their total size.
    read: Arc<AtomicU64>,
    total: u64,
}

impl CaptureSet {
    /// Opens every file and checks its header; any file that is not a usable capture fails.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<CaptureSet, CaptureError> {
        let read = Arc::new(AtomicU64::new(0));
        let total = paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let sources = paths
            .iter()
            .map(|path| {
                Ok(Source {
                    reader: FileReader::open(path.as_ref(), Arc::clone(&read))?,
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
            read,
            total,
        })
    }

    /// Bytes read from the capture files so far (compressed bytes for gzip files), as a
    /// counter that can be read while frames are borrowed.
    pub fn bytes_read(&self) -> BytesRead {
        BytesRead(Arc::clone(&self.read))
    }

    /// The size of the capture files together.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The next frame of the merged timeline. Frames of unknown link types are numbered
    /// but skipped (reported once per interface in `issues`).
    pub fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
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
                let source = &self.sources[index];
                let head = &source.head;
                return Ok(Some(FrameRef {
                    number: head.number,
                    ts: head.ts,
                    linktype: head.linktype,
                    data: source.reader.bytes(head),
                    orig_len: head.orig_len,
                    file: index,
                    backing: source.reader.backing(),
                }));
            }
            self.advance(index);
        }
    }

    /// Whether every file is read through a mapping (no copies to move to another thread).
    pub fn all_mapped(&self) -> bool {
        self.sources.iter().all(|s| s.reader.is_mapped())
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
    }
}

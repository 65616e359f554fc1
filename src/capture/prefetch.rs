//! Streamed capture files (compressed, or not mappable) read on a thread of their own, one batch of frames ahead of the
//! analysis: reading (the `read` system call's copy, pcap parsing, the merge) then runs beside
//! reassembly and the engine instead of before them. Batches are reused buffers of about
//! 1 MiB, so a frame costs no allocation, and at most `BATCHES` of them exist: memory stays
//! flat however long the capture.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::{BytesRead, CaptureError, CaptureIssue, CaptureSet, FrameRef, Timestamp};

/// Bytes of frame data after which a batch is sent.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in existence: one being filled, one in the channel, one being read.
const BATCHES: usize = 3;

struct FrameMeta {
    number: u64,
    ts: Timestamp,
    linktype: u32,
    orig_len: u32,
    file: usize,
    range: Range<usize>,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    frames: Vec<FrameMeta>,
    /// Set on the last batch: why reading stopped early, if it did.
    error: Option<CaptureError>,
    last: bool,
}

pub struct Prefetch {
    batches: Receiver<Batch>,
    recycle: SyncSender<Batch>,
    current: Batch,
    next: usize,
    reader: Option<JoinHandle<CaptureSet>>,
    /// The capture set, back from the reader once it is done.
    done: Option<CaptureSet>,
    total: u64,
    read: BytesRead,
}

impl Prefetch {
    /// Starts reading the opened files.
    pub fn start(mut captures: CaptureSet) -> Prefetch {
        let total = captures.total_bytes();
        let read = captures.bytes_read();
        let (batch_tx, batches) = sync_channel::<Batch>(1);
        let (recycle, free) = sync_channel::<Batch>(BATCHES);
        for _ in 1..BATCHES {
            recycle
                .send(Batch::default())
                .expect("room for every batch");
        }
        let reader = std::thread::Builder::new()
            .name("read".into())
            .spawn(move || {
                fill(&mut captures, &batch_tx, &free);
                captures
            })
            .expect("spawning the reader thread");
        Prefetch {
            batches,
            recycle,
            current: Batch::default(),
            next: 0,
            reader: Some(reader),
            done: None,
            total,
            read,
        }
    }

    /// The next frame of the merged timeline (as [`CaptureSet::next_frame`]).
    pub fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        while self.next == self.current.frames.len() {
            if let Some(e) = self.current.error.take() {
                return Err(e);
            }
            if self.current.last {
                self.finish();
                return Ok(None);
            }
            let Ok(batch) = self.batches.recv() else {
                // The reader is gone without a last batch: it panicked.
                self.finish();
                return Ok(None);
            };
            let used = std::mem::replace(&mut self.current, batch);
            let _ = self.recycle.try_send(used);
            self.next = 0;
        }
        let meta = &self.current.frames[self.next];
        self.next += 1;
        Ok(Some(FrameRef {
            number: meta.number,
            ts: meta.ts,
            linktype: meta.linktype,
            data: &self.current.data[meta.range.clone()],
            orig_len: meta.orig_len,
            file: meta.file,
            backing: None,
        }))
    }

    fn finish(&mut self) {
        if let Some(reader) = self.reader.take() {
            self.done = reader.join().ok();
        }
    }

    /// Damage found in the files (complete once `next_frame` gave None).
    pub fn issues(&self) -> &[CaptureIssue] {
        self.done.as_ref().map_or(&[], |c| c.issues())
    }

    /// Frames numbered, including skipped ones (complete once `next_frame` gave None).
    pub fn frames_read(&self) -> u64 {
        self.done.as_ref().map_or(0, |c| c.frames_read())
    }

    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    pub fn bytes_read(&self) -> BytesRead {
        self.read.clone()
    }
}

/// The reader thread: frames into batches until the files end, an error stops them, or the
/// analysis is gone.
fn fill(captures: &mut CaptureSet, batches: &SyncSender<Batch>, free: &Receiver<Batch>) {
    loop {
        let Ok(mut batch) = free.recv() else { return };
        batch.data.clear();
        batch.frames.clear();
        loop {
            match captures.next_frame() {
                Ok(Some(frame)) => {
                    let start = batch.data.len();
                    batch.data.extend_from_slice(frame.data);
                    batch.frames.push(FrameMeta {
                        number: frame.number,
                        ts: frame.ts,
                        linktype: frame.linktype,
                        orig_len: frame.orig_len,
                        file: frame.file,
                        range: start..batch.data.len(),
                    });
                    if batch.data.len() >= BATCH_BYTES {
                        break;
                    }
                }
                Ok(None) => {
                    batch.last = true;
                    break;
                }
                Err(e) => {
                    batch.error = Some(e);
                    batch.last = true;
                    break;
                }
            }
        }
        let last = batch.last;
        if batches.send(batch).is_err() || last {
            return;
        }
    }
}

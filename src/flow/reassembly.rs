//! Per-direction TCP reassembly: sequence numbers become an ordered byte stream, with
//! retransmissions and overlaps dropped (the first copy wins), out-of-order segments
//! buffered (bounded), and holes that will never be filled handed on as missing bytes.

use std::collections::BTreeMap;

use crate::capture::Timestamp;

use super::Damage;
use crate::limits::Limit;

/// Acknowledgments past a hole, from the other side, before the hole is given up: the
/// receiver got the bytes, so the capture missed them. More than one, since a capture
/// may itself show a segment a little after its acknowledgment.
const ACKS_PAST_HOLE: u32 = 4;
/// Sequence numbers further ahead than this are not taken for this stream's.
const MAX_AHEAD: u32 = 1 << 30;

/// Receives the reassembled stream.
pub(crate) trait StreamSink {
    fn data(&mut self, bytes: &[u8], frame: u64, ts: Timestamp);
    fn missing(&mut self, count: u64, damage: Damage, frame: u64, ts: Timestamp);
    /// A limit made the reassembler give bytes up (they come as `missing` next).
    fn limit_reached(&mut self, limit: Limit, frame: u64, ts: Timestamp);
    /// The segment at `frame` re-sends bytes already seen, first carried by `of_frame`
    /// when that is still remembered.
    fn retransmission(&mut self, of_frame: Option<u64>, frame: u64, ts: Timestamp);
    /// The other side's TCP acknowledged, at `frame`, all of the segment first seen at
    /// `of_frame`; `rtt_ns` is the time from that segment to this acknowledgment when the
    /// segment was never re-sent (Karn's rule, RFC 6298 3: a re-sent one's is ambiguous).
    fn acknowledged(&mut self, of_frame: u64, rtt_ns: Option<i64>, frame: u64, ts: Timestamp);
}

/// Segments remembered (stream range, frame) to name the frame a retransmission repeats.
const SEEN_SEGMENTS: usize = 64;

/// A segment seen for the first time: its stream range, frame and time, whether it was
/// re-sent, and whether the other side's TCP acknowledged all of it.
struct Seen {
    start: u64,
    end: u64,
    frame: u64,
    ts: Timestamp,
    resent: bool,
    acked: bool,
}

struct Pending {
    data: Vec<u8>,
    cut: u32,
    frame: u64,
    ts: Timestamp,
}

impl Pending {
    fn len(&self) -> u64 {
        self.data.len() as u64 + u64::from(self.cut)
    }
}

/// A segment as the reassembler sees it; `cut` bytes follow `data` in sequence space.
pub(crate) struct SegmentBytes<'a> {
    pub seq: u32,
    pub data: &'a [u8],
    pub cut: u32,
    pub fin: bool,
    pub frame: u64,
    pub ts: Timestamp,
}

pub(crate) struct Reassembler {
    /// Out-of-order bytes buffered before the hole in front of them is given up
    /// (`Limits::max_backlog_per_flow`).
    max_pending: usize,
    /// Sequence number of the next stream byte, once the stream start is known.
    next_seq: Option<u32>,
    /// Stream offset of `next_seq` (offsets do not wrap).
    next_off: u64,
    /// Out-of-order segments by stream offset.
    pending: BTreeMap<u64, Pending>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin_off: Option<u64>,
    acks_past_hole: u32,
    /// The furthest stream offset the other side acknowledged, and the frame that did.
    acked: Option<(u64, u64, Timestamp)>,
    /// The end of the furthest segment seen (stream offset): a segment starting before it
    /// re-sends bytes (a retransmission, as tshark's `tcp.analysis.retransmission`).
    seen_end: u64,
    /// The latest segments seen for the first time.
    seen: std::collections::VecDeque<Seen>,
}

impl Reassembler {
    pub(crate) fn new(max_pending: usize) -> Self {
        Reassembler {
            max_pending,
            next_seq: None,
            next_off: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            fin_off: None,
            acks_past_hole: 0,
            acked: None,
            seen_end: 0,
            seen: std::collections::VecDeque::new(),
        }
    }

    /// Bytes held: the out-of-order backlog.
    pub(crate) fn buffered(&self) -> usize {
        self.pending_bytes
    }

    /// The stream starts after this SYN's sequence number.
    pub(crate) fn syn(&mut self, isn: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(isn.wrapping_add(1));
        }
    }

    /// The connection is over: the segments remembered are let go (a closed connection
    /// stays in the flow table until room is needed; 64 remembered segments each way
    /// would make it weigh kilobytes).
    pub(crate) fn release(&mut self) {
        self.seen = std::collections::VecDeque::new();
    }

    pub(crate) fn started(&self) -> bool {
        self.next_seq.is_some()
    }

    /// All bytes up to the FIN were delivered.
    pub(crate) fn finished(&self) -> bool {
        self.fin_off == Some(self.next_off)
    }

    pub(crate) fn push(&mut self, seg: &SegmentBytes, sink: &mut impl StreamSink) {
        let len = seg.data.len() as u64 + u64::from(seg.cut);
        if len == 0 && seg.fin && self.fin_off.is_some() {
            // A FIN sent again: a retransmission too (of no stream byte).
            sink.retransmission(None, seg.frame, seg.ts);
        }
        if len == 0 && !seg.fin || self.finished() {
            return;
        }
        // Without a SYN the first segment with data starts the stream.
        let next_seq = *self.next_seq.get_or_insert(seg.seq);
        let ahead = seg.seq.wrapping_sub(next_seq);
        let off = if ahead < MAX_AHEAD {
            self.next_off + u64::from(ahead)
        } else {
            // Behind: a retransmission of delivered bytes (or garbage).
            let behind = u64::from(next_seq.wrapping_sub(seg.seq));
            if behind >= u64::from(MAX_AHEAD) || behind > self.next_off {
                return;
            }
            self.next_off - behind
        };
        self.note_segment(off, len, seg, sink);
        if seg.fin && self.fin_off.is_none() {
            self.fin_off = Some(off + len);
        }
        if off <= self.next_off {
            self.deliver(off, seg.data, seg.cut, seg.frame, seg.ts, sink);
            self.drain(sink);
        } else if len > 0 {
            self.buffer(off, seg);
            if self.pending_bytes > self.max_pending {
                sink.limit_reached(Limit::BacklogPerFlow, seg.frame, seg.ts);
                while self.pending_bytes > self.max_pending {
                    self.skip_to_pending(sink);
                }
            }
        }
    }

    /// Counts a segment that re-sends bytes already seen (a keep-alive, one byte just
    /// before the furthest seen, is none), else remembers where it lies.
    fn note_segment(&mut self, off: u64, len: u64, seg: &SegmentBytes, sink: &mut impl StreamSink) {
        if len == 0 {
            return;
        }
        if off < self.seen_end {
            if !(len == 1 && off + 1 == self.seen_end) {
                let of = self
                    .seen
                    .iter_mut()
                    .rev()
                    .find(|s| s.start <= off && off < s.end);
                let of_frame = of.map(|s| {
                    s.resent = true;
                    s.frame
                });
                sink.retransmission(of_frame, seg.frame, seg.ts);
            }
            self.seen_end = self.seen_end.max(off + len);
            return;
        }
        self.seen_end = off + len;
        if self.seen.len() >= SEEN_SEGMENTS {
            self.seen.pop_front();
        }
        self.seen.push_back(Seen {
            start: off,
            end: off + len,
            frame: seg.frame,
            ts: seg.ts,
            resent: false,
            acked: false,
        });
    }

    /// The other side's TCP acknowledged the stream up to `ahead` bytes past the stream
    /// position (or `behind` bytes before it): the segments remembered that it now covers
    /// for the first time are reported, latest first.
    fn note_acked(
        &mut self,
        ahead: u32,
        behind: u32,
        frame: u64,
        ts: Timestamp,
        sink: &mut impl StreamSink,
    ) {
        let upto = if ahead < MAX_AHEAD {
            self.next_off + u64::from(ahead)
        } else if u64::from(behind) <= self.next_off {
            self.next_off - u64::from(behind)
        } else {
            return;
        };
        for entry in self.seen.iter_mut().rev() {
            if entry.end > upto {
                continue;
            }
            if entry.acked {
                break; // acknowledgments are cumulative: the ones before were reported
            }
            entry.acked = true;
            let rtt = (!entry.resent).then_some(ts.0 - entry.ts.0);
            sink.acknowledged(entry.frame, rtt, frame, ts);
        }
    }

    /// The other side acknowledged up to `ack`: evidence that bytes before it were sent.
    pub(crate) fn acked(
        &mut self,
        ack: u32,
        frame: u64,
        ts: Timestamp,
        sink: &mut impl StreamSink,
    ) {
        let Some(next_seq) = self.next_seq else {
            return;
        };
        let ahead = ack.wrapping_sub(next_seq);
        self.note_acked(ahead, next_seq.wrapping_sub(ack), frame, ts, sink);
        if ahead == 0 || ahead >= MAX_AHEAD || self.finished() {
            return;
        }
        let mut hole_end = self.next_off + u64::from(ahead);
        if let Some(fin_off) = self.fin_off {
            // The FIN takes one sequence number that is no stream byte.
            hole_end = hole_end.min(fin_off);
        }
        if let Some((&first, _)) = self.pending.first_key_value() {
            hole_end = hole_end.min(first);
        }
        if hole_end <= self.next_off {
            return;
        }
        if self
            .acked
            .is_none_or(|(furthest, _, _)| hole_end > furthest)
        {
            self.acked = Some((hole_end, frame, ts));
        }
        self.acks_past_hole += 1;
        if self.acks_past_hole >= ACKS_PAST_HOLE {
            let (frame, ts) = self
                .pending
                .first_key_value()
                .map_or((frame, ts), |(_, p)| (p.frame, p.ts));
            self.skip(hole_end, frame, ts, sink);
            self.drain(sink);
        }
    }

    /// End of capture or connection reset: every hole before buffered or acknowledged
    /// bytes is given up.
    pub(crate) fn flush(&mut self, sink: &mut impl StreamSink) {
        while !self.pending.is_empty() {
            self.skip_to_pending(sink);
        }
        // One sequence number past the bytes may be a FIN the capture missed.
        if let Some((acked, frame, ts)) = self.acked.take()
            && acked > self.next_off + 1
        {
            self.skip(acked, frame, ts, sink);
        }
    }

    /// Drops the whole backlog undelivered: the stream jumps past its last byte and
    /// everything in between counts as lost.
    pub(crate) fn drop_backlog(&mut self, frame: u64, ts: Timestamp, sink: &mut impl StreamSink) {
        let end = self
            .pending
            .iter()
            .map(|(off, p)| off + p.len())
            .max()
            .unwrap_or(self.next_off);
        self.pending.clear();
        self.pending_bytes = 0;
        self.skip(end, frame, ts, sink);
    }

    fn skip_to_pending(&mut self, sink: &mut impl StreamSink) {
        if let Some((&first, pending)) = self.pending.first_key_value() {
            let (frame, ts) = (pending.frame, pending.ts);
            self.skip(first, frame, ts, sink);
            self.drain(sink);
        }
    }

    fn skip(&mut self, to_off: u64, frame: u64, ts: Timestamp, sink: &mut impl StreamSink) {
        if to_off > self.next_off {
            sink.missing(to_off - self.next_off, Damage::LostBytes, frame, ts);
            self.advance(to_off - self.next_off);
        }
    }

    fn buffer(&mut self, off: u64, seg: &SegmentBytes) {
        let len = seg.data.len() as u64 + u64::from(seg.cut);
        if self.pending.get(&off).is_some_and(|kept| kept.len() >= len) {
            return;
        }
        let pending = Pending {
            data: seg.data.to_vec(),
            cut: seg.cut,
            frame: seg.frame,
            ts: seg.ts,
        };
        self.pending_bytes += pending.data.len();
        if let Some(replaced) = self.pending.insert(off, pending) {
            self.pending_bytes -= replaced.data.len();
        }
    }

    /// Delivers pending segments that now start at or before the stream position.
    fn drain(&mut self, sink: &mut impl StreamSink) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.next_off {
                break;
            }
            let (off, pending) = entry.remove_entry();
            self.pending_bytes -= pending.data.len();
            self.deliver(
                off,
                &pending.data,
                pending.cut,
                pending.frame,
                pending.ts,
                sink,
            );
        }
    }

    /// Delivers the part of a segment at `off` (<= next_off) that is new.
    fn deliver(
        &mut self,
        off: u64,
        data: &[u8],
        cut: u32,
        frame: u64,
        ts: Timestamp,
        sink: &mut impl StreamSink,
    ) {
        let skip = self.next_off - off;
        let len = data.len() as u64 + u64::from(cut);
        if skip >= len {
            return;
        }
        if let Some(fresh) = usize::try_from(skip).ok().and_then(|skip| data.get(skip..))
            && !fresh.is_empty()
        {
            sink.data(fresh, frame, ts);
        }
        let cut_fresh = (len - skip).min(u64::from(cut));
        if cut_fresh > 0 {
            sink.missing(cut_fresh, Damage::Truncated, frame, ts);
        }
        self.advance(len - skip);
    }

    fn advance(&mut self, count: u64) {
        self.next_off += count;
        self.next_seq = self.next_seq.map(|seq| seq.wrapping_add(count as u32));
        self.acks_past_hole = 0;
    }
}

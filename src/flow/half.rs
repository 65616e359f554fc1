//! One direction of a connection: reassembly feeding NBSS framing, events out.

use crate::capture::{Backing, TcpSegment, Timestamp};

use super::nbss::{FramedPdu, Framer};
use super::reassembly::{Reassembler, SegmentBytes, StreamSink};
use super::{ConnId, Damage, Direction, FlowEvent, Pdu};
use crate::limits::Limit;
use std::net::SocketAddr;

pub(crate) struct HalfStream {
    reassembler: Reassembler,
    framing: Framing,
    max_len: u32,
    tail_min_len: Option<usize>,
    last_frame: u64,
    last_ts: Timestamp,
    /// The unfinished PDU at the FIN was already flushed.
    closed: bool,
}

/// The framer and the names its events carry; apart from the reassembler, so that the
/// reassembler can feed a sink borrowed from it.
struct Framing {
    conn: ConnId,
    dir: Direction,
    /// Sender and receiver, to name the flow when a limit is reached.
    flow: (SocketAddr, SocketAddr),
    framer: Framer,
    /// Bytes cut by the snap length outside any message since the last PDU, reported as
    /// one Gap before the next PDU or at the end.
    unframed: Option<Unframed>,
}

struct Unframed {
    bytes: u64,
    frame: u64,
    ts: Timestamp,
}

impl Framing {
    /// A sink for the reassembled bytes; `backing` is the mapped file they may lie in.
    fn sink<'a>(
        &'a mut self,
        backing: Option<Backing<'a>>,
        out: &'a mut Vec<FlowEvent>,
    ) -> Sink<'a> {
        Sink {
            conn: self.conn,
            dir: self.dir,
            flow: self.flow,
            framer: &mut self.framer,
            unframed: &mut self.unframed,
            backing,
            out,
        }
    }
}

impl HalfStream {
    pub(crate) fn new(
        conn: ConnId,
        dir: Direction,
        flow: (SocketAddr, SocketAddr),
        max_len: u32,
        max_backlog: usize,
        tail_min_len: Option<usize>,
    ) -> Self {
        HalfStream {
            reassembler: Reassembler::new(max_backlog),
            framing: Framing {
                conn,
                dir,
                flow,
                // Hunting until a SYN says where the stream starts.
                framer: Framer::new(false, max_len, tail_min_len),
                unframed: None,
            },
            max_len,
            tail_min_len,
            last_frame: 0,
            last_ts: Timestamp::default(),
            closed: false,
        }
    }

    pub(crate) fn push(
        &mut self,
        seg: &TcpSegment,
        frame: u64,
        ts: Timestamp,
        out: &mut Vec<FlowEvent>,
    ) {
        if seg.syn && !self.reassembler.started() {
            self.reassembler.syn(seg.seq);
            self.framing.framer = Framer::new(true, self.max_len, self.tail_min_len);
        }
        if seg.syn {
            return;
        }
        self.last_frame = frame;
        self.last_ts = ts;
        let bytes = SegmentBytes {
            seq: seg.seq,
            data: seg.payload,
            cut: seg.cut,
            fin: seg.fin,
            frame,
            ts,
        };
        self.reassembler
            .push(&bytes, &mut self.framing.sink(seg.backing, out));
        self.flush_at_fin(out);
    }

    /// The other side acknowledged `ack`.
    pub(crate) fn acked(&mut self, ack: u32, frame: u64, ts: Timestamp, out: &mut Vec<FlowEvent>) {
        self.reassembler
            .acked(ack, frame, ts, &mut self.framing.sink(None, out));
        self.flush_at_fin(out);
    }

    /// The connection is over: what was kept to name retransmitted and acknowledged
    /// segments is let go.
    pub(crate) fn release(&mut self) {
        self.reassembler.release();
    }

    /// All bytes up to the FIN were delivered.
    pub(crate) fn finished(&self) -> bool {
        self.reassembler.finished()
    }

    /// Nothing more will arrive: holes are given up and an unfinished PDU is completed
    /// with zeros (damage LostBytes) after a Gap event for its missing tail.
    pub(crate) fn flush(&mut self, out: &mut Vec<FlowEvent>) {
        self.reassembler.flush(&mut self.framing.sink(None, out));
        self.flush_unfinished(out);
    }

    /// Bytes held: the out-of-order backlog and a message in progress.
    pub(crate) fn buffered(&self) -> usize {
        self.reassembler.buffered() + self.framing.framer.buffered()
    }

    /// A limit on the bytes held by all connections was reached: everything this
    /// direction holds is given up (the message in progress handed on, short and marked
    /// lost; the backlog counted as lost).
    pub(crate) fn drop_buffers(&mut self, frame: u64, ts: Timestamp, out: &mut Vec<FlowEvent>) {
        if self.buffered() == 0 {
            return;
        }
        let mut sink = self.framing.sink(None, out);
        sink.limit_reached(Limit::BufferedTotal, frame, ts);
        sink.framer.drop_unfinished(
            frame,
            ts,
            &mut Sink::emit(sink.conn, sink.dir, sink.unframed, sink.out),
        );
        self.reassembler.drop_backlog(frame, ts, &mut sink);
    }

    fn flush_at_fin(&mut self, out: &mut Vec<FlowEvent>) {
        if !self.closed && self.reassembler.finished() {
            self.closed = true;
            self.flush_unfinished(out);
        }
    }

    /// Completes the unfinished PDU (lost tail) and reports the bytes cut outside messages
    /// since the last PDU.
    fn flush_unfinished(&mut self, out: &mut Vec<FlowEvent>) {
        let missing = self.framing.framer.unfinished_len();
        if missing > 0 {
            let (frame, ts) = (self.last_frame, self.last_ts);
            self.framing
                .sink(None, out)
                .missing(missing, Damage::LostBytes, frame, ts);
        }
        let framing = &mut self.framing;
        Sink::report_unframed(framing.conn, framing.dir, &mut framing.unframed, out);
    }
}

/// Feeds the framer and turns what comes out into events.
struct Sink<'a> {
    conn: ConnId,
    dir: Direction,
    flow: (SocketAddr, SocketAddr),
    framer: &'a mut Framer,
    unframed: &'a mut Option<Unframed>,
    /// The mapped file the segment being pushed lies in.
    backing: Option<Backing<'a>>,
    out: &'a mut Vec<FlowEvent>,
}

impl Sink<'_> {
    /// Turns the framer's PDUs into events, each after the Gap of bytes cut before it.
    fn emit<'b>(
        conn: ConnId,
        dir: Direction,
        unframed: &'b mut Option<Unframed>,
        out: &'b mut Vec<FlowEvent>,
    ) -> impl FnMut(FramedPdu) + 'b {
        move |pdu: FramedPdu| {
            Self::report_unframed(conn, dir, unframed, out);
            out.push(FlowEvent::Pdu(Pdu {
                conn,
                dir,
                first_frame: pdu.first_frame,
                last_frame: pdu.last_frame,
                ts: pdu.ts,
                data: pdu.data,
                tail: pdu.tail,
                damage: pdu.damage,
                first_missing: pdu.first_missing,
            }))
        }
    }

    fn report_unframed(
        conn: ConnId,
        dir: Direction,
        unframed: &mut Option<Unframed>,
        out: &mut Vec<FlowEvent>,
    ) {
        if let Some(Unframed { bytes, frame, ts }) = unframed.take() {
            out.push(FlowEvent::Gap {
                conn,
                dir,
                frame,
                ts,
                bytes,
                damage: Damage::Truncated,
            });
        }
    }
}

impl StreamSink for Sink<'_> {
    fn acknowledged(&mut self, of_frame: u64, rtt_ns: Option<i64>, frame: u64, ts: Timestamp) {
        self.out.push(FlowEvent::Tcp {
            conn: self.conn,
            dir: self.dir,
            frame,
            ts,
            note: super::TcpNote::Acknowledged { of_frame, rtt_ns },
        });
    }

    fn retransmission(&mut self, of_frame: Option<u64>, frame: u64, ts: Timestamp) {
        self.out.push(FlowEvent::Tcp {
            conn: self.conn,
            dir: self.dir,
            frame,
            ts,
            note: super::TcpNote::Retransmission { of_frame },
        });
    }

    fn limit_reached(&mut self, limit: Limit, frame: u64, ts: Timestamp) {
        self.out.push(FlowEvent::LimitReached {
            conn: Some(self.conn),
            flow: self.flow,
            frame,
            ts,
            limit,
        });
    }

    fn data(&mut self, bytes: &[u8], frame: u64, ts: Timestamp) {
        self.framer.data(
            bytes,
            frame,
            ts,
            self.backing,
            &mut Self::emit(self.conn, self.dir, self.unframed, self.out),
        );
    }

    fn missing(&mut self, count: u64, damage: Damage, frame: u64, ts: Timestamp) {
        if damage == Damage::LostBytes {
            let (conn, dir) = (self.conn, self.dir);
            self.out.push(FlowEvent::Gap {
                conn,
                dir,
                frame,
                ts,
                bytes: count,
                damage,
            });
        }
        let outside = self.framer.missing(
            count,
            damage,
            frame,
            ts,
            &mut Self::emit(self.conn, self.dir, self.unframed, self.out),
        );
        if damage == Damage::Truncated && outside > 0 {
            let run = self.unframed.get_or_insert(Unframed {
                bytes: 0,
                frame,
                ts,
            });
            run.bytes += outside;
        }
    }
}

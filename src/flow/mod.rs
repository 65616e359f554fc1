//! TCP flows: which carry SMB, per-direction reassembly and NBSS framing into SMB PDUs.

mod half;
mod nbss;
mod reassembly;
mod silence;
mod table;

pub use table::{FlowConfig, FlowTable};

/// Bytes of a PDU always copied, before any `Tail`: the header and fixed body of the long
/// messages read from the file in place (SMB2 READ response, WRITE request) and what the TUI
/// shows of a message.
pub const HEAD_LEN: usize = 512;

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;

use crate::capture::{Mapping, Timestamp};

/// The connection index and the direction of a message are types of the analysis model.
pub use smbcheck_model::{ConnId, Direction, Silence, SilenceEnd};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoints {
    pub client: SocketAddr,
    pub server: SocketAddr,
}

/// Why some bytes of a PDU are not the bytes that were sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Damage {
    /// Segments were never captured (packet loss): the hole is filled with zeros.
    LostBytes,
    /// Segments were captured but cut by the snap length.
    Truncated,
}

/// One NBSS session message (type 0x00): the SMB bytes of one PDU.
#[derive(Clone, Debug)]
pub struct Pdu {
    pub conn: ConnId,
    pub dir: Direction,
    /// Frame that carried the first byte of the PDU.
    pub first_frame: u64,
    /// Frame that completed the PDU (the frame Wireshark shows the message in).
    pub last_frame: u64,
    pub ts: Timestamp,
    /// The PDU's bytes; with a `tail`, only the first ones.
    pub data: Vec<u8>,
    /// The rest of a long PDU, where it lies in the mapped capture file (not copied).
    pub tail: Option<Tail>,
    pub damage: Option<Damage>,
    /// In a damaged PDU, where the first byte that was not captured lies (it and what
    /// follows stand in as zeros, or the PDU ends short).
    pub first_missing: Option<usize>,
}

impl Pdu {
    /// The PDU's length in bytes, tail included.
    pub fn size(&self) -> usize {
        self.data.len() + self.tail.as_ref().map_or(0, Tail::size)
    }

    /// Whether the PDU's bytes up to `end` were all captured.
    pub fn captured_to(&self, end: usize) -> bool {
        self.first_missing.is_none_or(|at| at >= end)
    }

    /// Copies the tail into `data`: the PDU is then one slice, as every PDU without a tail.
    pub fn materialize(&mut self) {
        if let Some(tail) = self.tail.take() {
            tail.copy_to(&mut self.data);
        }
    }
}

/// A tail keeps its pages mapped while it lives (`Mapping::hold`), and so does a copy.
impl Clone for Tail {
    fn clone(&self) -> Self {
        if let Some(first) = self.ranges.first() {
            self.map.hold(first.start);
        }
        Tail {
            map: Arc::clone(&self.map),
            ranges: self.ranges.clone(),
            len: self.len,
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        if let Some(first) = self.ranges.first() {
            self.map.release(first.start);
        }
    }
}

/// The bytes of a PDU after its first ones, as ranges of the mapped capture file they were
/// captured in, in stream order: the TCP payloads of consecutive frames (issue 9: a long
/// signed message is MACed from the file without being copied).
#[derive(Debug)]
pub struct Tail {
    map: Arc<Mapping>,
    ranges: Vec<Range<usize>>,
    len: usize,
}

impl Tail {
    pub(crate) fn new(map: Arc<Mapping>) -> Tail {
        Tail {
            map,
            ranges: Vec::new(),
            len: 0,
        }
    }

    pub fn size(&self) -> usize {
        self.len
    }

    /// Appends the tail's bytes to `out`.
    pub fn copy_to(&self, out: &mut Vec<u8>) {
        out.reserve_exact(self.len);
        for part in self.parts() {
            out.extend_from_slice(part);
        }
    }

    /// The tail's bytes, part by part.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        self.ranges
            .iter()
            .map(|r| self.map.get(r.clone()).unwrap_or_default())
    }

    /// Adds `bytes` if they lie in this tail's mapping; false (nothing added) if not.
    pub(crate) fn add(&mut self, bytes: &[u8]) -> bool {
        let Some(Range { start, end }) = crate::slices::range_in(&self.map, bytes) else {
            return false;
        };
        match self.ranges.last_mut() {
            Some(last) if last.end == start => last.end = end,
            Some(_) => self.ranges.push(start..end),
            None => {
                self.map.hold(start);
                self.ranges.push(start..end);
            }
        }
        self.len += bytes.len();
        true
    }
}

/// See [`FlowEvent::Tcp`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TcpNote {
    /// A segment re-sending bytes already seen; `of_frame` first carried them (when still
    /// remembered).
    Retransmission {
        of_frame: Option<u64>,
    },
    /// The other side's TCP acknowledged (at the event's frame) every byte of the segment
    /// first seen at `of_frame`, which went in the event's direction; `rtt_ns`: the time
    /// from that segment to the acknowledgment, unless the segment was re-sent.
    Acknowledged {
        of_frame: u64,
        rtt_ns: Option<i64>,
    },
    Reset,
    Fin,
    /// The client was silent while the server retransmitted (`silence.rs`); the event comes
    /// at the silence's end, direction ToClient.
    Silence(Silence),
}

#[derive(Clone, Debug)]
pub enum FlowEvent {
    Opened {
        conn: ConnId,
        endpoints: Endpoints,
        frame: u64,
        ts: Timestamp,
    },
    Pdu(Pdu),
    /// Bytes of a direction were never seen (LostBytes: a hole in the stream), or were cut
    /// by the snap length where no message header had been read (Truncated: the messages
    /// in them cannot be told apart); `bytes` is their number, `frame` where they begin.
    Gap {
        conn: ConnId,
        dir: Direction,
        frame: u64,
        ts: Timestamp,
        bytes: u64,
        damage: Damage,
    },
    Closed {
        conn: ConnId,
        frame: u64,
        ts: Timestamp,
    },
    /// What TCP did on a connection that is no byte of the stream: a retransmission, an
    /// acknowledgment, a RST or a FIN sent in direction `dir`, a silence of the client
    /// (channel health, issue 23).
    Tcp {
        conn: ConnId,
        dir: Direction,
        frame: u64,
        ts: Timestamp,
        note: TcpNote,
    },
    /// The capture ended; its last frame (of any kind), the last event.
    End {
        frame: u64,
        ts: Timestamp,
    },
    /// A resource limit was reached: `conn` (None for a flow that was not followed at
    /// all) lost buffered bytes or was refused; `flow` names its two endpoints.
    LimitReached {
        conn: Option<ConnId>,
        flow: (SocketAddr, SocketAddr),
        frame: u64,
        ts: Timestamp,
        limit: crate::limits::Limit,
    },
}

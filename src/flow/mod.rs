//! TCP flows: which carry SMB, per-direction reassembly and NBSS framing into SMB PDUs.

mod half;
mod nbss;
mod reassembly;
mod table;

pub use table::{FlowConfig, FlowTable};

use std::net::SocketAddr;

use crate::capture::Timestamp;

/// Index of a TCP connection in capture order (0, 1, 2, ...).
pub type ConnId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    ToServer,
    ToClient,
}

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
    pub data: Vec<u8>,
    pub damage: Option<Damage>,
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
    /// Bytes of a direction were never seen; `bytes` is the size of the hole.
    Gap {
        conn: ConnId,
        dir: Direction,
        frame: u64,
        ts: Timestamp,
        bytes: u64,
    },
    Closed {
        conn: ConnId,
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

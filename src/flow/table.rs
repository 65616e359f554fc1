//! The connections of a capture: which TCP flows carry SMB, who is the client, connection
//! ids, 4-tuple reuse, FIN/RST.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::capture::{TcpSegment, Timestamp};
use crate::limits::{Limit, Limits};

use super::half::HalfStream;
use super::nbss::{max_len_for_port, plausible_header};
use super::silence::SilenceWatch;
use super::{ConnId, Direction, Endpoints, FlowEvent, SilenceEnd};

const SMB_PORTS: [u16; 2] = [445, 139];

/// Which flows are SMB beyond ports 445, 139 and streams starting with an SMB header.
#[derive(Clone, Debug, Default)]
pub struct FlowConfig {
    pub extra_ports: Vec<u16>,
    pub limits: Limits,
    /// Messages at least this long whose bytes lie in a mapped capture file are handed on
    /// as ranges of it after their first bytes (`Tail`) instead of copies; None: never.
    pub tail_min_len: Option<usize>,
}

/// All TCP flows of a capture; SMB ones are reassembled into PDUs.
pub struct FlowTable {
    config: FlowConfig,
    flows: HashMap<FlowKey, Flow, foldhash::fast::RandomState>,
    next_id: ConnId,
    /// SMB connections in `flows` not closed yet.
    open: usize,
    /// Bytes buffered by all connections (`Limits::max_buffered_total`).
    buffered: usize,
    /// A new flow was refused because the table was full (reported once).
    refused: bool,
}

/// A 4-tuple independent of direction.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey(SocketAddr, SocketAddr);

impl FlowKey {
    fn of(seg: &TcpSegment) -> Self {
        if seg.src <= seg.dst {
            FlowKey(seg.src, seg.dst)
        } else {
            FlowKey(seg.dst, seg.src)
        }
    }
}

enum Flow {
    /// Not known to be SMB yet: waiting for the first payload.
    Candidate(Candidate),
    Smb(Box<Connection>),
    NotSmb,
}

/// What was seen of a flow before its first payload.
struct Candidate {
    /// The sender and sequence number of a SYN (without ACK) and of a SYN-ACK.
    syn: Option<(SocketAddr, u32)>,
    syn_ack: Option<(SocketAddr, u32)>,
    frame: u64,
    ts: Timestamp,
}

struct Connection {
    id: ConnId,
    endpoints: Endpoints,
    client_isn: Option<u32>,
    to_server: HalfStream,
    to_client: HalfStream,
    closed: bool,
    /// The side that sent a RST: the other side's data already on its way is still
    /// delivered after it (it was sent before the RST reached that side).
    reset_by: Option<SocketAddr>,
    /// Bytes both directions held after the last segment (counted in the table's total).
    buffered: usize,
    silence: SilenceWatch,
}

impl FlowTable {
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            config,
            flows: HashMap::default(),
            next_id: 0,
            open: 0,
            buffered: 0,
            refused: false,
        }
    }

    /// Feeds one TCP segment; events (Opened, Pdu, Gap, Closed) are appended to `out`.
    pub fn push(&mut self, frame: u64, ts: Timestamp, seg: &TcpSegment, out: &mut Vec<FlowEvent>) {
        let key = FlowKey::of(seg);
        let is_client_syn = seg.syn && seg.ack.is_none();
        // A stray ACK or FIN of a flow not seen before opens nothing (below).
        let may_open = seg.syn || !seg.payload.is_empty() || seg.cut > 0;
        let flow = match self.flows.get_mut(&key) {
            Some(flow) => {
                if is_client_syn && starts_new_connection(flow, seg.seq) {
                    if let Flow::Smb(conn) = flow {
                        // The new SYN is the old connection's client speaking.
                        let id = conn.id;
                        conn.silence
                            .end(id, (frame, ts), SilenceEnd::ClientSegment, out);
                        self.open -= usize::from(!conn.closed);
                        conn.end(frame, ts, out);
                        self.buffered -= std::mem::take(&mut conn.buffered);
                    }
                    *flow = Flow::Candidate(Candidate {
                        syn: None,
                        syn_ack: None,
                        frame,
                        ts,
                    });
                }
                flow
            }
            // A stray ACK or FIN of a flow not seen before opens nothing.
            None if !may_open => return,
            None => {
                if !self.make_room(frame, ts, seg, out) {
                    return;
                }
                self.flows.entry(key).or_insert(Flow::Candidate(Candidate {
                    syn: None,
                    syn_ack: None,
                    frame,
                    ts,
                }))
            }
        };
        if let Flow::Candidate(candidate) = flow {
            if seg.syn {
                let slot = if is_client_syn {
                    &mut candidate.syn
                } else {
                    &mut candidate.syn_ack
                };
                slot.get_or_insert((seg.src, seg.seq));
            }
            if let Some(conn) = promote(candidate, seg, &self.config, &mut self.next_id, out) {
                self.open += 1;
                *flow = conn;
            } else if !seg.payload.is_empty() {
                *flow = Flow::NotSmb;
            }
        }
        if let Flow::Smb(conn) = flow {
            let was_open = !conn.closed;
            conn.push(frame, ts, seg, out);
            self.open -= usize::from(was_open && conn.closed);
            self.buffered -= conn.buffered;
            conn.buffered = conn.to_server.buffered() + conn.to_client.buffered();
            if self.buffered + conn.buffered > self.config.limits.max_buffered_total {
                conn.to_server.drop_buffers(frame, ts, out);
                conn.to_client.drop_buffers(frame, ts, out);
                conn.buffered = conn.to_server.buffered() + conn.to_client.buffered();
            }
            self.buffered += conn.buffered;
        }
    }

    /// Room for one more flow: when the table is full, flows that are over (closed
    /// connections, non-SMB flows, handshakes without data) are forgotten, unless open
    /// connections fill most of it; then the new flow is not followed (reported once).
    fn make_room(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &TcpSegment,
        out: &mut Vec<FlowEvent>,
    ) -> bool {
        let max = self.config.limits.max_flows;
        if self.flows.len() < max {
            return true;
        }
        // Forgetting must free a quarter of the table, so it runs rarely.
        if self.open < max - max / 4 {
            self.flows
                .retain(|_, flow| matches!(flow, Flow::Smb(conn) if !conn.closed));
            if self.flows.len() < max {
                return true;
            }
        }
        if !std::mem::replace(&mut self.refused, true) {
            out.push(FlowEvent::LimitReached {
                conn: None,
                flow: (seg.src, seg.dst),
                frame,
                ts,
                limit: Limit::Flows,
            });
        }
        false
    }

    /// End of capture, whose last frame (of any kind) is `end`: holes are given up and
    /// unfinished PDUs flushed as damaged, silences still going on end, in connection
    /// order; then the `End` event.
    pub fn finish(&mut self, end: Option<(u64, Timestamp)>, out: &mut Vec<FlowEvent>) {
        let mut conns: Vec<&mut Connection> = self
            .flows
            .values_mut()
            .filter_map(|flow| match flow {
                Flow::Smb(conn) => Some(conn.as_mut()),
                _ => None,
            })
            .collect();
        conns.sort_by_key(|conn| conn.id);
        for conn in conns {
            if !conn.closed || conn.reset_by.is_some() {
                conn.to_server.flush(out);
                conn.to_client.flush(out);
            }
            if let Some(end) = end {
                conn.silence.end(conn.id, end, SilenceEnd::CaptureEnd, out);
            }
        }
        if let Some((frame, ts)) = end {
            out.push(FlowEvent::End { frame, ts });
        }
    }

    fn is_smb_port(config: &FlowConfig, port: u16) -> bool {
        SMB_PORTS.contains(&port) || config.extra_ports.contains(&port)
    }
}

/// A SYN on a known 4-tuple starts a new connection unless it repeats the open one's SYN.
fn starts_new_connection(flow: &Flow, isn: u32) -> bool {
    match flow {
        Flow::Smb(conn) => conn.closed || conn.client_isn != Some(isn),
        Flow::Candidate(candidate) => candidate.syn.is_some_and(|(_, seen)| seen != isn),
        Flow::NotSmb => true,
    }
}

/// Decides whether a candidate flow is SMB; if so it becomes a connection (Opened).
fn promote(
    candidate: &Candidate,
    seg: &TcpSegment,
    config: &FlowConfig,
    next_id: &mut ConnId,
    out: &mut Vec<FlowEvent>,
) -> Option<Flow> {
    let on_smb_port = FlowTable::is_smb_port(config, seg.src.port())
        || FlowTable::is_smb_port(config, seg.dst.port());
    let starts_with_smb = plausible_header(seg.payload, max_len_for_port(0));
    if !on_smb_port && !starts_with_smb {
        return None;
    }
    let client = choose_client(candidate, seg, config);
    let server = if client == seg.src { seg.dst } else { seg.src };
    let endpoints = Endpoints { client, server };
    let id = *next_id;
    *next_id += 1;
    out.push(FlowEvent::Opened {
        conn: id,
        endpoints,
        frame: candidate.frame,
        ts: candidate.ts,
    });
    let max_len = max_len_for_port(server.port());
    let backlog = config.limits.max_backlog_per_flow;
    let mut conn = Connection {
        id,
        endpoints,
        client_isn: None,
        to_server: HalfStream::new(
            id,
            Direction::ToServer,
            (client, server),
            max_len,
            backlog,
            config.tail_min_len,
        ),
        to_client: HalfStream::new(
            id,
            Direction::ToClient,
            (server, client),
            max_len,
            backlog,
            config.tail_min_len,
        ),
        closed: false,
        reset_by: None,
        buffered: 0,
        silence: SilenceWatch::default(),
    };
    // Replay the handshake seen so far so both directions know where they start.
    for (sender, isn) in [candidate.syn, candidate.syn_ack].into_iter().flatten() {
        let syn = TcpSegment {
            src: sender,
            dst: sender,
            seq: isn,
            ack: None,
            syn: true,
            fin: false,
            rst: false,
            payload: &[],
            cut: 0,
            backing: None,
        };
        conn.half(sender)
            .push(&syn, candidate.frame, candidate.ts, out);
    }
    conn.client_isn = candidate.syn.map(|(_, isn)| isn);
    Some(Flow::Smb(Box::new(conn)))
}

/// The SYN sender; else the side not on an SMB port; else the side whose first SMB
/// header is a request; else the side on the higher (ephemeral) port.
fn choose_client(candidate: &Candidate, seg: &TcpSegment, config: &FlowConfig) -> SocketAddr {
    let other = |addr: SocketAddr| if addr == seg.src { seg.dst } else { seg.src };
    if let Some((sender, _)) = candidate.syn {
        return sender;
    }
    if let Some((sender, _)) = candidate.syn_ack {
        return other(sender);
    }
    let src_smb = FlowTable::is_smb_port(config, seg.src.port());
    let dst_smb = FlowTable::is_smb_port(config, seg.dst.port());
    if src_smb != dst_smb {
        return if dst_smb { seg.src } else { seg.dst };
    }
    if let Some(response) = smb_is_response(seg.payload) {
        return if response { seg.dst } else { seg.src };
    }
    if seg.src.port() > seg.dst.port() {
        seg.src
    } else {
        seg.dst
    }
}

/// The response flag of the SMB header after an NBSS header (SMB1: FLAGS 0x80 at 9,
/// SMB2: FLAGS bit 0 at 16), if the payload starts with one.
fn smb_is_response(payload: &[u8]) -> Option<bool> {
    let smb = payload.get(4..)?;
    match smb.first()? {
        0xFF => Some(smb.get(9)? & 0x80 != 0),
        0xFE => Some(smb.get(16)? & 0x01 != 0),
        _ => None,
    }
}

impl Connection {
    fn half(&mut self, sender: SocketAddr) -> &mut HalfStream {
        if sender == self.endpoints.client {
            &mut self.to_server
        } else {
            &mut self.to_client
        }
    }

    fn push(&mut self, frame: u64, ts: Timestamp, seg: &TcpSegment, out: &mut Vec<FlowEvent>) {
        if self.closed {
            let in_flight = self.reset_by.is_some_and(|by| by != seg.src);
            if in_flight && !seg.syn && !seg.rst && !seg.payload.is_empty() {
                self.half(seg.src).push(seg, frame, ts, out);
            }
            // The client's last ACK, after the FINs, still ends a silence.
            if seg.src == self.endpoints.client {
                self.silence
                    .end(self.id, (frame, ts), SilenceEnd::ClientSegment, out);
            }
            return;
        }
        if seg.syn && seg.ack.is_none() && seg.src == self.endpoints.client {
            self.client_isn.get_or_insert(seg.seq);
        }
        let to_server = seg.src == self.endpoints.client;
        let mark = out.len();
        self.silence.handshake(to_server, seg.syn, ts);
        if to_server && !seg.rst {
            self.silence
                .end(self.id, (frame, ts), SilenceEnd::ClientSegment, out);
        }
        if seg.rst || seg.fin {
            out.push(FlowEvent::Tcp {
                conn: self.id,
                dir: if to_server {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                },
                frame,
                ts,
                note: if seg.rst {
                    super::TcpNote::Reset
                } else {
                    super::TcpNote::Fin
                },
            });
        }
        if seg.rst {
            self.silence
                .end(self.id, (frame, ts), SilenceEnd::Reset, out);
            self.reset_by = Some(seg.src);
            self.end(frame, ts, out);
            return;
        }
        let (sender, receiver) = if to_server {
            (&mut self.to_server, &mut self.to_client)
        } else {
            (&mut self.to_client, &mut self.to_server)
        };
        sender.push(seg, frame, ts, out);
        if let Some(ack) = seg.ack {
            receiver.acked(ack, frame, ts, out);
        }
        self.silence
            .events(self.id, out.get(mark..).unwrap_or_default());
        if self.to_server.finished() && self.to_client.finished() {
            self.closed = true;
            self.to_server.release();
            self.to_client.release();
            out.push(FlowEvent::Closed {
                conn: self.id,
                frame,
                ts,
            });
        }
    }

    /// Reset, or replaced by a new connection on the same 4-tuple.
    fn end(&mut self, frame: u64, ts: Timestamp, out: &mut Vec<FlowEvent>) {
        if !self.closed {
            self.to_server.flush(out);
            self.to_client.flush(out);
            self.to_server.release();
            self.to_client.release();
            self.closed = true;
            out.push(FlowEvent::Closed {
                conn: self.id,
                frame,
                ts,
            });
        }
    }
}

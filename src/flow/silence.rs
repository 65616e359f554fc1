//! The client's silences on a connection (issue 23, channel health): the server
//! retransmits and nothing comes back from the client.
//!
//! Definition. A silence begins at a server-to-client retransmission (a segment that
//! re-sends stream bytes, as tshark's `tcp.analysis.retransmission`) when none is open; it
//! ends at the client's next segment of any kind (data, ACK, FIN, SYN), at a RST from either
//! side, or at the capture's last frame. It counts the server's retransmissions from its
//! start to its end, and is reported when it lasted longer than the threshold:
//! `SILENCE_RTTS` times the connection's round-trip time, and at least `MAX_ACK_DELAY`
//! (a client that got the retransmission answers within one RTT, or after the longest delay
//! TCP allows an ACK: RFC 1122 4.2.3.2, RFC 5681 4.2). A retransmission answered promptly
//! (a fast retransmit, a lost ACK) is no silence. A FIN from the server does not end one:
//! the server closing its side is no word from the client.
//!
//! The round-trip time: the connection's handshake when the capture shows it (client SYN
//! to the client's ACK of the SYN/ACK, as tshark's `tcp.analysis.initial_rtt`), else the
//! shortest data-to-ACK time seen each way summed (tshark's `tcp.analysis.ack_rtt`, not of
//! re-sent segments), which is the whole round trip wherever on the path the capture was
//! made; none before either is seen (the threshold is then `MAX_ACK_DELAY`).

use crate::capture::Timestamp;

use super::{ConnId, Direction, FlowEvent, Silence, SilenceEnd, TcpNote};

/// A silence lasts longer than this many round-trip times.
pub const SILENCE_RTTS: i64 = 4;
/// ... and longer than the longest an ACK may be delayed (RFC 1122 4.2.3.2: 0.5 s), ns.
pub const MAX_ACK_DELAY: i64 = 500_000_000;

/// One connection's watch: its RTT estimate and the silence in progress.
#[derive(Default)]
pub(crate) struct SilenceWatch {
    /// The client's SYN time, until the handshake's ACK gives `handshake_rtt`.
    syn: Option<Timestamp>,
    syn_ack: bool,
    handshake_rtt: Option<i64>,
    /// Shortest data-to-ACK times: of the client's data (the server's ACK), of the
    /// server's data (the client's ACK).
    min_client_data: Option<i64>,
    min_server_data: Option<i64>,
    open: Option<Open>,
}

struct Open {
    frame: u64,
    ts: Timestamp,
    retransmissions: u64,
}

impl SilenceWatch {
    /// The round-trip time estimate, ns.
    fn rtt(&self) -> Option<i64> {
        self.handshake_rtt
            .or(match (self.min_client_data, self.min_server_data) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            })
    }

    /// A segment of the handshake, maybe: the client's SYN, the server's SYN/ACK, then the
    /// client's first ACK.
    pub(crate) fn handshake(&mut self, from_client: bool, syn: bool, ts: Timestamp) {
        if self.handshake_rtt.is_some() {
            return;
        }
        match (from_client, syn) {
            (true, true) => {
                self.syn.get_or_insert(ts);
            }
            (false, true) => self.syn_ack = self.syn.is_some(),
            (true, false) if self.syn_ack => {
                self.handshake_rtt = self.syn.map(|syn| ts.0 - syn.0);
            }
            _ => {}
        }
    }

    /// What the segment at `frame` made the connection's halves report (`events`, the
    /// flow events it produced): retransmissions by the server open or extend a silence,
    /// acknowledgments give round-trip samples.
    pub(crate) fn events(&mut self, conn: ConnId, events: &[FlowEvent]) {
        for e in events {
            let FlowEvent::Tcp {
                conn: c,
                dir,
                frame,
                ts,
                note,
            } = e
            else {
                continue;
            };
            if *c != conn {
                continue;
            }
            match (note, dir) {
                (TcpNote::Retransmission { .. }, Direction::ToClient) => match &mut self.open {
                    Some(open) => open.retransmissions += 1,
                    None => {
                        self.open = Some(Open {
                            frame: *frame,
                            ts: *ts,
                            retransmissions: 1,
                        })
                    }
                },
                // Samples are needed only without the handshake's round trip.
                (
                    TcpNote::Acknowledged {
                        rtt_ns: Some(rtt), ..
                    },
                    dir,
                ) if self.handshake_rtt.is_none() => {
                    let min = match dir {
                        Direction::ToClient => &mut self.min_server_data,
                        Direction::ToServer => &mut self.min_client_data,
                    };
                    *min = Some(min.map_or(*rtt, |m| m.min(*rtt)));
                }
                _ => {}
            }
        }
    }

    /// The silence in progress, if any, ends at `frame` (`how`); reported on `conn` if it
    /// lasted longer than the threshold.
    #[inline]
    pub(crate) fn end(
        &mut self,
        conn: ConnId,
        (frame, ts): (u64, Timestamp),
        how: SilenceEnd,
        out: &mut Vec<FlowEvent>,
    ) {
        let Some(open) = self.open.take() else {
            return;
        };
        let rtt = self.rtt();
        let threshold = rtt.map_or(0, |r| r * SILENCE_RTTS).max(MAX_ACK_DELAY);
        if ts.0 - open.ts.0 <= threshold {
            return;
        }
        out.push(FlowEvent::Tcp {
            conn,
            dir: Direction::ToClient,
            frame,
            ts,
            note: TcpNote::Silence(Silence {
                start_frame: open.frame,
                start_ts: open.ts,
                end_frame: frame,
                end_ts: ts,
                ended_by: how,
                retransmissions: open.retransmissions,
                rtt_ms: rtt.map(|r| r as f64 / 1e6),
            }),
        });
    }
}

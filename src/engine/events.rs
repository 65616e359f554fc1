//! Oplock breaks, lease breaks and multichannel facts, observed on every message after it
//! is dissected (issue 5). Break bookkeeping lives in `breaks/`; what belongs to a
//! channel (requests per session, the server's network interfaces) is kept on the
//! connection's record here.

use std::collections::HashMap;

use dissectors::smb1;
use dissectors::smb2::{self, Body, COMMAND_IOCTL};
use dissectors::status::STATUS_SUCCESS;

use super::Engine;
use super::breaks::Ctx;
use crate::flow::{ConnId, Direction, Pdu};
use crate::model::{
    Break, BreakOutcome, Interface, MAX_SESSIONS_PER_CONNECTION, ProblemKind, Timestamp,
};

/// Interfaces kept per FSCTL_QUERY_NETWORK_INTERFACE_INFO answer.
const MAX_INTERFACES: usize = 256;

impl Engine {
    pub(super) fn observe_smb2(
        &mut self,
        pdu: &Pdu,
        el: &smb2::Element,
        body: Option<&smb2::Body>,
    ) {
        let h = &el.header;
        let Some(c) = self.conns.get_mut(pdu.conn as usize) else {
            return;
        };
        if !h.is_response() && h.session_id != 0 {
            count_request(&mut c.info.session_requests, h.session_id);
        }
        if h.is_response()
            && h.command == COMMAND_IOCTL
            && h.status == STATUS_SUCCESS
            && let Some(Body::IoctlResponse(r)) = body
            && let Some(list) = r.network_interfaces()
        {
            c.info.interfaces = list
                .take(MAX_INTERFACES)
                .map_while(Result::ok)
                .map(|i| Interface {
                    frame: pdu.last_frame,
                    if_index: i.if_index,
                    capability: i.capability,
                    rss: i.is_rss(),
                    rdma: i.is_rdma(),
                    link_speed: i.link_speed,
                    address: i.ip(),
                })
                .collect();
        }
        let server = server_key(self, pdu.conn);
        let c = &self.conns[pdu.conn as usize];
        let cx = ctx(pdu, &server, c.info.client_guid.as_deref());
        self.tracker.smb2(&cx, el, body);
    }

    pub(super) fn observe_smb1(&mut self, pdu: &Pdu, msg: &smb1::Message) {
        let Some(c) = self.conns.get_mut(pdu.conn as usize) else {
            return;
        };
        if pdu.dir == Direction::ToServer && msg.header.uid != 0 {
            count_request(&mut c.info.session_requests, msg.header.uid.into());
        }
        let server = server_key(self, pdu.conn);
        let cx = ctx(pdu, &server, None);
        self.tracker.smb1(&cx, msg);
    }

    /// Moves the breaks into the analysis; acknowledgments that matched nothing and breaks
    /// never acknowledged become problems (not failures: the capture may have begun or
    /// ended in the middle).
    pub(super) fn finish_breaks(&mut self) {
        let (breaks, counts) = self.tracker.finish();
        for (frame, ts, conn, detail) in std::mem::take(&mut self.tracker.unmatched) {
            self.problem(
                frame,
                ts,
                Some(conn),
                ProblemKind::UnmatchedBreakAck,
                detail,
                false,
            );
        }
        let acks = AckTimes::of(&breaks);
        for b in &breaks {
            self.copy_unseen(b, &acks);
            let what = match &b.file {
                Some(f) => format!("{} break of {f}", b.kind.name()),
                None => format!("{} break", b.kind.name()),
            };
            let levels = format!(
                "{} -> {}",
                b.old_level.as_deref().unwrap_or("?"),
                b.new_level
            );
            match (b.outcome(), b.ack.as_ref()) {
                (BreakOutcome::Unacknowledged, _) => self.problem(
                    b.frame,
                    b.ts,
                    Some(b.conn),
                    ProblemKind::BreakUnacknowledged,
                    format!(
                        "{what} ({levels}) on connection #{} never acknowledged in the capture",
                        b.conn
                    ),
                    false,
                ),
                (BreakOutcome::AckRejected, Some(ack)) => {
                    self.problem(
                        ack.response_frame.unwrap_or(ack.frame),
                        ack.ts,
                        Some(ack.conn),
                        ProblemKind::BreakAckRejected,
                        format!(
                            "{what} ({levels}): acknowledgment at frame {} rejected: {}{}",
                            ack.frame,
                            crate::model::names::status_text(ack.status.unwrap_or(0)),
                            // MS-SMB2 2.2.24.1: a break from level II goes to none and is
                            // not acknowledged; the client's ack was one too many.
                            if b.ack_required == Some(false) {
                                " (the break needed no acknowledgment: level II to none, MS-SMB2 2.2.24.1)"
                            } else {
                                ""
                            }
                        ),
                        false,
                    )
                }
                _ => {}
            }
        }
        self.analysis.breaks = breaks;
        self.analysis.break_counts = counts;
    }

    /// A CREATE that waited far longer than its break's chain explains (the chain's first
    /// copy seen at least a second after the request, and after more than half the wait): a
    /// copy may have sat in the server's socket behind retransmissions on a blocked channel,
    /// never reaching the wire (issue 23). A finding, not a failure. Not when the CREATE was
    /// answered before that copy (it did not wait for it), nor when an earlier break of the
    /// same lease or open was acknowledged in the gap: the server sends the next break only
    /// after the previous one's acknowledgment (MS-SMB2 3.3.4.7), so the client's slow
    /// acknowledgment explains the wait.
    fn copy_unseen(&mut self, b: &Break, acks: &AckTimes) {
        if b.frame != b.chain_first {
            return;
        }
        let Some(c) = &b.cause else { return };
        let Some(wait) = c.wait_ms else { return };
        let gap = (b.ts.0 - c.ts.0) as f64 / 1e6;
        if gap < 1000.0 || gap < wait / 2.0 || gap > wait {
            return;
        }
        let acked_in_gap = acks.any_between(b, c.ts, b.ts);
        if acked_in_gap {
            return;
        }
        let server = self.conns.get(b.conn as usize).map(|s| s.info.server);
        let blocked: Vec<String> = self
            .conns
            .iter()
            .filter(|s| s.info.tcp.retransmissions_to_client > 0 && Some(s.info.server) == server)
            .map(|s| {
                // The client's silence there while the CREATE waited, if one.
                let silent = s
                    .info
                    .tcp
                    .silences
                    .iter()
                    .find(|q| q.start_ts.0 <= b.ts.0 && q.end_ts.0 >= c.ts.0);
                match silent {
                    Some(q) => format!(
                        "#{} (client silent {:.3} s from frame {})",
                        s.info.id,
                        q.duration_ms() / 1000.0,
                        q.start_frame
                    ),
                    None => format!("#{}", s.info.id),
                }
            })
            .collect();
        let blocked = if blocked.is_empty() {
            String::new()
        } else {
            format!(
                "; the server retransmitted to the client on {}",
                blocked.join(", ")
            )
        };
        let detail = format!(
            "{} at frame {} on #{} waited {:.3} s, but the first copy of its {} break was seen \
             {:.3} s after the request (frame {} on #{}): a break copy may not have reached the \
             wire{blocked}",
            c.command,
            c.frame,
            c.conn,
            wait / 1000.0,
            b.kind.name(),
            gap / 1000.0,
            b.frame,
            b.conn
        );
        self.problem(
            c.frame,
            c.ts,
            Some(c.conn),
            ProblemKind::BreakCopyUnseen,
            detail,
            false,
        );
    }
}

/// The acknowledgment times of the breaks of each lease (its key) or oplocked open (its
/// FileId), in time order, with the chain each acknowledged.
struct AckTimes(HashMap<String, Vec<(Timestamp, u64)>>);

impl AckTimes {
    fn of(breaks: &[Break]) -> Self {
        let mut map: HashMap<String, Vec<(Timestamp, u64)>> = HashMap::new();
        for b in breaks {
            if let (Some(target), Some(ack)) = (target(b), &b.ack) {
                map.entry(target).or_default().push((ack.ts, b.chain_first));
            }
        }
        for times in map.values_mut() {
            times.sort_unstable();
        }
        AckTimes(map)
    }

    /// Whether a break of `b`'s lease or open, of another chain, was acknowledged after
    /// `from` and at `to` or before.
    fn any_between(&self, b: &Break, from: Timestamp, to: Timestamp) -> bool {
        let Some(times) = target(b).and_then(|t| self.0.get(&t)) else {
            return false;
        };
        let start = times.partition_point(|(ts, _)| *ts <= from);
        times[start..]
            .iter()
            .take_while(|(ts, _)| *ts <= to)
            .any(|(_, chain)| *chain != b.chain_first)
    }
}

/// What a break is of: its lease, or else its oplocked open.
fn target(b: &Break) -> Option<String> {
    match (&b.lease_key, &b.file_id) {
        (Some(key), _) => Some(format!("lease {key}")),
        (None, Some(fid)) => Some(format!("open {fid}")),
        (None, None) => None,
    }
}

fn count_request(map: &mut std::collections::BTreeMap<u64, u64>, session: u64) {
    if map.len() < MAX_SESSIONS_PER_CONNECTION || map.contains_key(&session) {
        *map.entry(session).or_default() += 1;
    }
}

/// Names the server across channels: the endpoint the connection reached, or the one of
/// the session it was bound to (a channel over another interface). Not the ServerGuid: a
/// relay passes it on, and its two legs are two servers.
fn server_key(e: &Engine, conn: ConnId) -> String {
    e.conns
        .get(conn as usize)
        .map(|c| c.server_id.to_string())
        .unwrap_or_default()
}

/// The break tracker's view of where a message of `pdu` was seen.
fn ctx<'a>(pdu: &Pdu, server: &'a str, client_guid: Option<&'a str>) -> Ctx<'a> {
    Ctx {
        conn: pdu.conn,
        frame: pdu.last_frame,
        ts: pdu.ts,
        dir: pdu.dir,
        server,
        client_guid,
    }
}

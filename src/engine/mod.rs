//! The analysis engine: consumes flow events in capture order, keeps connection and session
//! state (sessions are global: a bound channel joins a session from another connection),
//! replays authentications, derives keys, and judges every message.

pub mod auth;
mod breaks;
mod compressed;
mod deferred;
mod diagnose;
mod events;
pub mod export;
mod findings;
mod kdc;
mod limits;

pub mod news;
mod requests;
mod security;
mod smb1;
mod smb2;
mod state;
mod transform;
mod validate;
mod verify_pool;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::model::{self, Analysis, Connection, Message, Problem, Protocol, Session, Verdict};
use state::{ConnState, SessionRef, Smb1Session, Smb2Session};

use crate::auth::Secrets;
use crate::capture::Timestamp;
use crate::flow::{ConnId, Damage, FlowEvent, Pdu};
use crate::model::ProblemKind;
use crate::model::names::session_hex;
use dissectors::transform::{COMPRESSION_HEADER_LEN, TRANSFORM_HEADER_LEN};

pub struct EngineConfig {
    pub secrets: Secrets,
    /// Keep the plaintext of each decrypted transform for `Engine::take_plaintext`.
    pub keep_plaintext: bool,
    pub limits: crate::limits::Limits,
}

/// Where judged messages go as soon as they are judged, with the connection they travelled
/// on (as it stands then) and the message's bytes (one compound element, or the whole PDU
/// for SMB1 and undecrypted transforms).
pub type Sink<'s> = dyn FnMut(&Message, Option<&Connection>, &[u8]) + 's;

pub struct Engine {
    secrets: Secrets,
    conns: Vec<ConnState>,
    smb2_sessions: BTreeMap<SessionRef, Smb2Session>,
    /// A channel bound to a session on another endpoint of the same server (multichannel
    /// over several interfaces): its own (server, SessionId) names that session.
    session_aliases: HashMap<SessionRef, SessionRef>,
    smb1_sessions: BTreeMap<(ConnId, u16), Smb1Session>,
    /// Kerberos exchanges with the KDC seen so far (kdc.rs).
    kdc: kdc::Kdc,
    analysis: Analysis,
    /// Oplock and lease breaks (events.rs, breaks/).
    tracker: breaks::Tracker,
    keep_plaintext: bool,
    /// The plaintext of the transform just handled (transform.rs).
    plaintext: Option<Vec<u8>>,
    /// While the message of a compression transform is analysed: how it was compressed.
    compression: Option<model::Compression>,
    /// Signatures checked on worker threads (deferred.rs); None: all inline.
    deferral: Option<deferred::Deferral>,
    limits: crate::limits::Limits,
    /// Limits already reported, by connection (limits.rs).
    limits_reported: HashSet<(Option<ConnId>, crate::limits::Limit)>,
    /// The logon just concluded: its own signatures, for the SESSION_SETUP response line.
    last_logon: Option<model::LogonChecks>,
    /// Weak settings seen so far (security.rs).
    posture: security::Posture,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        let analysis = Analysis {
            secrets_given: !config.secrets.is_empty(),
            ..Analysis::default()
        };
        Engine {
            secrets: config.secrets,
            conns: Vec::new(),
            smb2_sessions: BTreeMap::new(),
            session_aliases: HashMap::new(),
            smb1_sessions: BTreeMap::new(),
            kdc: kdc::Kdc::default(),
            analysis,
            tracker: breaks::Tracker::default(),
            keep_plaintext: config.keep_plaintext,
            plaintext: None,
            compression: None,
            deferral: None,
            limits: config.limits,
            limits_reported: HashSet::new(),
            last_logon: None,
            posture: Default::default(),
        }
    }

    /// Checks signed SMB2 messages of at least `min_len` bytes on `threads` worker threads
    /// while the engine reads on; verdicts, counts and the sink's order stay those of the
    /// sequential engine. Call [`Engine::drain`] after the last event.
    pub fn with_verify_pool(mut self, threads: usize, min_len: usize) -> Self {
        self.deferral = Some(deferred::Deferral::new(threads, min_len));
        self
    }

    /// Waits for the checks still running and hands their messages to the sink.
    pub fn drain(&mut self, sink: &mut Sink) {
        self.settle(sink, true);
    }

    pub fn handle(&mut self, event: FlowEvent, sink: &mut Sink) {
        match event {
            FlowEvent::Opened {
                conn,
                endpoints,
                frame,
                ts,
            } => {
                let index = conn as usize;
                if self.conns.len() <= index {
                    self.conns.resize_with(index + 1, ConnState::default);
                }
                self.conns[index] = ConnState::new(conn, endpoints, frame, ts);
            }
            FlowEvent::Pdu(mut pdu) => {
                if pdu.tail.is_some() && !self.checks_in_place(&pdu) {
                    pdu.materialize();
                }
                let pdu = Arc::new(pdu);
                if let Some(d) = &mut self.deferral {
                    d.current = Some(Arc::clone(&pdu));
                }
                self.pdu(&pdu, sink);
                if let Some(d) = &mut self.deferral {
                    d.current = None;
                }
                self.settle(sink, false);
            }
            FlowEvent::Gap {
                conn,
                dir,
                frame,
                ts,
                bytes,
                damage,
            } => {
                // Lost or cut outside any message, the bytes may hold whole messages.
                self.messages_unseen(conn);
                let side = match dir {
                    crate::flow::Direction::ToServer => "client to server",
                    crate::flow::Direction::ToClient => "server to client",
                };
                let (kind, detail) = match damage {
                    Damage::LostBytes => (
                        ProblemKind::LostBytes,
                        format!(
                            "{bytes} bytes {side} never captured; messages touched are unverified"
                        ),
                    ),
                    Damage::Truncated => (
                        ProblemKind::HeaderNotCaptured,
                        format!(
                            "{bytes} bytes {side} cut by the snap length where no SMB header \
                             could be read: the messages in them are not counted or checked"
                        ),
                    ),
                };
                self.problem(frame, ts, Some(conn), kind, detail, false);
            }
            FlowEvent::Closed { conn, .. } => {
                if let Some(c) = self.conns.get_mut(conn as usize) {
                    c.info.closed = true;
                }
            }
            FlowEvent::Tcp {
                conn,
                dir,
                frame,
                ts,
                note,
            } => self.tcp(conn, dir, (frame, ts), note),
            FlowEvent::End { ts, .. } => self.tracker.seen_at(ts),
            FlowEvent::LimitReached {
                conn,
                flow,
                frame,
                ts,
                limit,
            } => self.limit_reached(conn, Some(flow), frame, ts, limit),
        }
    }

    /// What TCP did on `conn` (issue 23): counted on the connection (silences kept there),
    /// and the break copies and late acknowledgments it concerns learn of it.
    fn tcp(
        &mut self,
        conn: ConnId,
        dir: crate::flow::Direction,
        (frame, ts): (u64, crate::capture::Timestamp),
        note: crate::flow::TcpNote,
    ) {
        use crate::flow::{Direction, TcpNote};
        let Some(c) = self.conns.get_mut(conn as usize) else {
            return;
        };
        let tcp = &mut c.info.tcp;
        let by_server = dir == Direction::ToClient;
        match note {
            TcpNote::Retransmission { of_frame } => {
                if by_server {
                    tcp.retransmissions_to_client += 1;
                } else {
                    tcp.retransmissions_to_server += 1;
                }
                if let Some(of) = of_frame {
                    self.tracker.retransmitted(conn, dir, of);
                }
            }
            TcpNote::Acknowledged { of_frame, .. } => {
                if by_server {
                    self.tracker.tcp_acknowledged(conn, of_frame, frame);
                }
            }
            TcpNote::Reset => {
                tcp.rst.get_or_insert((frame, ts, by_server));
                self.tracker.reset(conn, dir, frame);
            }
            TcpNote::Fin => {
                tcp.fin.get_or_insert((frame, ts, by_server));
            }
            TcpNote::Silence(silence) => {
                if tcp.silences.len() < crate::model::MAX_SILENCES {
                    tcp.silences.push(silence);
                }
            }
        }
    }

    /// Which session `session_id` names on `conn`: the one of `conn`'s server.
    fn session_ref(&self, conn: ConnId, session_id: u64) -> SessionRef {
        let server = self
            .conns
            .get(conn as usize)
            .map_or(std::net::SocketAddr::from(([0, 0, 0, 0], 0)), |c| {
                c.info.server
            });
        let own = (server, session_id);
        self.session_aliases.get(&own).copied().unwrap_or(own)
    }

    fn smb2_session(&self, conn: ConnId, session_id: u64) -> Option<&Smb2Session> {
        self.smb2_sessions.get(&self.session_ref(conn, session_id))
    }

    fn smb2_session_mut(&mut self, conn: ConnId, session_id: u64) -> Option<&mut Smb2Session> {
        let r = self.session_ref(conn, session_id);
        self.smb2_sessions.get_mut(&r)
    }

    fn pdu(&mut self, pdu: &Pdu, sink: &mut Sink) {
        if self.conns.get(pdu.conn as usize).is_none() {
            return;
        }
        // Header lengths: SMB2 (MS-SMB2 2.2.1), transform (2.2.41), compression transform
        // (2.2.42), SMB1 (MS-CIFS 2.2.3.1).
        type Handle = fn(&mut Engine, &Pdu, &mut Sink);
        let (protocol, header_len, handle): (&str, usize, Handle) = match pdu.data.get(..4) {
            Some([0xFE, b'S', b'M', b'B']) => ("SMB2", dissectors::smb2::HEADER_LEN, |e, p, s| {
                e.smb2_pdu(p, &p.data, None, s)
            }),
            Some([0xFD, b'S', b'M', b'B']) => {
                ("SMB2 transform", TRANSFORM_HEADER_LEN, Engine::transform)
            }
            Some([0xFC, b'S', b'M', b'B']) => (
                "SMB2 compression transform",
                COMPRESSION_HEADER_LEN,
                |e, p, s| e.compressed(p, &p.data, None, s),
            ),
            Some([0xFF, b'S', b'M', b'B']) => {
                ("SMB1", dissectors::smb1::HEADER_LEN, Engine::smb1_pdu)
            }
            _ => ("SMB", 4, |e, p, _| e.not_smb(p)),
        };
        // Zeros standing in for bytes not captured are no header: nothing can be said.
        if !pdu.captured_to(header_len) {
            self.header_not_captured(pdu, protocol, 0);
            return;
        }
        handle(self, pdu, sink);
    }

    fn not_smb(&mut self, pdu: &Pdu) {
        self.problem(
            pdu.last_frame,
            pdu.ts,
            Some(pdu.conn),
            ProblemKind::NotSmb,
            format!("{} bytes that are not an SMB message", pdu.data.len()),
            false,
        );
    }

    /// Messages of `conn` went by unseen (a hole, or headers not captured): SMB1 sequence
    /// numbers and logons in progress cannot be trusted after them.
    fn messages_unseen(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(conn as usize) {
            c.lost_bytes = true;
            c.smb1.seq_lost = true;
            // They may be messages of a logon in progress (its 3.1.1 hash covers them), and
            // the reassembly held back data behind a hole.
            for setup in &mut c.setups {
                setup.auth.damaged = true;
            }
        }
    }

    /// A damaged PDU whose `protocol` header at `offset` was not all captured.
    fn header_not_captured(&mut self, pdu: &Pdu, protocol: &str, offset: usize) {
        self.messages_unseen(pdu.conn);
        let how = pdu.damage.map_or("lost", damage_name);
        let at = pdu.first_missing.unwrap_or(0).saturating_sub(offset);
        self.problem(
            pdu.last_frame,
            pdu.ts,
            Some(pdu.conn),
            ProblemKind::HeaderNotCaptured,
            format!(
                "{}-byte message: its {protocol} header at byte {offset} was {how} after \
                 {at} bytes; not checked",
                pdu.size()
            ),
            false,
        );
    }

    /// Records the logon's own signatures for its final response line, and makes an invalid
    /// one a problem that fails the run.
    fn logon_macs(&mut self, pdu: &Pdu, outcome: &auth::AuthOutcome, what: &str) {
        let checks = model::LogonChecks {
            frame: outcome.authenticate_frame,
            ntlm_mic: outcome.ntlm_mic.clone(),
            mech_list_mic: outcome.mech_list_mic.clone(),
        };
        if let Some(model::LogonMac::Invalid(why)) = &checks.ntlm_mic {
            let frame = outcome.authenticate_frame.unwrap_or(pdu.last_frame);
            let detail = format!("NTLM MIC of {what} is invalid: {why}");
            self.problem(
                frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::InvalidMic,
                detail,
                true,
            );
        }
        if let Some(model::LogonMac::Invalid(why)) = &checks.mech_list_mic {
            let frame = outcome.mech_list_mic_frame.unwrap_or(pdu.last_frame);
            let detail = format!("SPNEGO mechListMIC of {what} is invalid: {why}");
            self.problem(
                frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::InvalidMechListMic,
                detail,
                true,
            );
        }
        self.last_logon = Some(checks);
    }

    /// A message record with the fields every protocol has.
    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        pdu: &Pdu,
        protocol: Protocol,
        command: u16,
        is_response: bool,
        session_id: u64,
        message_id: u64,
        status: u32,
    ) -> Message {
        Message {
            frame: pdu.last_frame,
            ts: pdu.ts,
            conn: pdu.conn,
            dir: pdu.dir,
            protocol,
            command,
            is_response,
            session_id,
            message_id,
            status,
            verdict: Verdict::Unsigned,
            algorithm: None,
            key: None,
            encrypted: protocol == Protocol::Transform,
            compression: self.compression,
            len: 0,
            file: None,
            request_frame: None,
            header: None,
            logon: None,
        }
    }

    /// Records a judged message in every count and hands it to the sink (in capture order:
    /// see `emit` in deferred.rs).
    fn record(&mut self, mut m: Message, judged: Judged, bytes: &[u8], sink: &mut Sink) {
        let Judged {
            verdict,
            algorithm,
            key,
            diagnosis,
            pending: _,
        } = judged;
        m.verdict = verdict;
        m.algorithm = algorithm;
        m.key = key;
        self.analysis.summary.add(verdict);
        if let Verdict::Unverified(why) = verdict {
            *self.analysis.unverified_reasons.entry(why).or_default() += 1;
        }
        if matches!(verdict, Verdict::Valid | Verdict::Invalid) {
            self.analysis.summary.verified_bytes += m.len as u64;
        }
        if let Some(c) = self.conns.get_mut(m.conn as usize) {
            c.info.messages += 1;
            c.info.signed += u64::from(verdict.is_signed());
            *c.info
                .commands
                .entry((m.protocol, m.command, m.is_response))
                .or_default() += 1;
        }
        let session = match m.protocol {
            Protocol::Smb1 => self
                .smb1_sessions
                .get_mut(&(m.conn, m.session_id as u16))
                .map(|s| &mut s.info),
            _ => self
                .smb2_session_mut(m.conn, m.session_id)
                .map(|s| &mut s.info),
        };
        if let Some(s) = session {
            s.counts.add(verdict);
        }
        if verdict == Verdict::Invalid {
            let conn = self.conns.get(m.conn as usize);
            let name = crate::model::names::command(m.protocol, m.command);
            let kind = if m.is_response { "response" } else { "request" };
            let via = conn
                .map(|c| format!(" on {}", c.channel_name()))
                .unwrap_or_default();
            self.analysis.problems.push(Problem {
                frame: m.frame,
                ts: m.ts,
                conn: Some(m.conn),
                kind: ProblemKind::InvalidSignature,
                detail: format!(
                    "{name} {kind}  msg {}  sess {}  signature invalid ({}{via}{}): {}",
                    m.message_id,
                    session_hex(m.session_id),
                    algorithm.unwrap_or("?"),
                    key.map(|k| format!(", {}: {}", k.describe(), k.why()))
                        .unwrap_or_default(),
                    diagnosis
                        .as_deref()
                        .unwrap_or("no likely mistake reproduces it"),
                ),
                failure: true,
            });
        }
        sink(&m, self.conns.get(m.conn as usize).map(|c| &c.info), bytes);
    }

    fn problem(
        &mut self,
        frame: u64,
        ts: Timestamp,
        conn: Option<ConnId>,
        kind: ProblemKind,
        detail: String,
        failure: bool,
    ) {
        self.push_problem(Problem {
            frame,
            ts,
            conn,
            kind,
            detail,
            failure,
        });
    }

    /// Ends the analysis: the per-connection and per-session records in order.
    pub fn finish(mut self, frames: u64) -> Analysis {
        // Callers that never drained lose no count, only the sink's view of the last ones.
        self.settle(&mut |_, _, _| {}, true);
        self.report_findings();
        self.analysis.frames = frames;
        self.finish_breaks();
        self.finish_validation();
        self.analysis.connections = self
            .conns
            .into_iter()
            .filter(|c| c.opened)
            .map(|c| c.info)
            .collect::<Vec<Connection>>();
        let mut sessions: Vec<Session> = self
            .smb1_sessions
            .into_values()
            .map(|s| s.info)
            .chain(self.smb2_sessions.into_values().map(|s| s.info))
            .collect();
        sessions.sort_by_key(|s| s.first_frame);
        self.analysis.sessions = sessions;
        let posture = std::mem::take(&mut self.posture);
        self.analysis.security = posture.finish(&self.analysis.sessions);
        self.analysis.problems.sort_by_key(|p| p.frame);
        self.analysis
    }
}

/// How the messages in a decrypted transform were protected: the cipher and the key whose
/// AEAD tag verified.
#[derive(Clone, Copy, Debug)]
struct Sealed {
    cipher: &'static str,
    key: Option<model::KeyUsed>,
}

/// A message's verdict, the algorithm it was checked with, and for an invalid signature
/// which likely mistake reproduces it.
#[derive(Debug)]
struct Judged {
    verdict: Verdict,
    algorithm: Option<&'static str>,
    key: Option<model::KeyUsed>,
    diagnosis: Option<String>,
    /// A check running on the verify pool: until it is back, `verdict` says only that the
    /// message is signed.
    pending: Option<deferred::Pending>,
}

impl Judged {
    fn new(verdict: Verdict, algorithm: Option<&'static str>) -> Self {
        Judged {
            verdict,
            algorithm,
            key: None,
            diagnosis: None,
            pending: None,
        }
    }
}

fn damage_name(d: Damage) -> &'static str {
    match d {
        Damage::LostBytes => "lost",
        Damage::Truncated => "cut by the snap length",
    }
}

/// The verdict of a signed message whose bytes are not all there.
fn damaged(damage: Option<Damage>) -> Option<Verdict> {
    damage.map(|d| {
        Verdict::Unverified(match d {
            Damage::LostBytes => model::Unverified::LostBytes,
            Damage::Truncated => model::Unverified::Truncated,
        })
    })
}

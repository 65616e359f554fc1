//! The analysis as the TUI shows it (`smbcheck --tui`): collects every judged message with
//! its first bytes while the engine runs, then converts the engine's model into the `tui`
//! crate's plain view model. The `tui` crate knows nothing of smbcheck; this is the bridge.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dissectors::status::STATUS_PENDING;
use dissectors::{smb1, smb2};
use tui::model::{
    BindingInfo, BreakInfo, ConnectionInfo, DUMP_BYTES, Direction, ProblemInfo, Row, SessionInfo,
    Summary, Timeline, Verdict,
};

use crate::capture::Timestamp;
use crate::flow::{self, ConnId};
use crate::model::{self, Analysis, Message, Protocol};
use crate::report::{names, session_hex, status_hex};

// What the timeline shows of a message is always among the bytes the sink is given.
const _: () = assert!(flow::HEAD_LEN >= DUMP_BYTES);

/// How often the progress line on stderr is refreshed while a capture is analysed.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Gathers the messages for the timeline as the engine judges them, and shows progress on
/// stderr while a long capture is read.
pub struct Collector {
    rows: Vec<Row>,
    /// Capture time of each row, to make times relative once the start is known.
    times: Vec<Timestamp>,
    /// File names of CREATE requests not yet answered, by connection and message id.
    opening: HashMap<(ConnId, u64), String>,
    /// Time zero of the timeline, fixed by the first update.
    start: Option<Timestamp>,
    /// Whether progress is shown on stderr (not under a live TUI).
    show_progress: bool,
    started: Instant,
    last_progress: Option<Instant>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new()
    }
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            rows: Vec::new(),
            times: Vec::new(),
            opening: HashMap::new(),
            start: None,
            show_progress: true,
            started: Instant::now(),
            last_progress: None,
        }
    }

    /// For a live capture shown while it runs: no progress line on the terminal.
    pub fn live() -> Collector {
        Collector {
            show_progress: false,
            ..Collector::new()
        }
    }

    /// One judged message and its bytes, or its first `flow::HEAD_LEN` at least (the
    /// engine's sink).
    pub fn push(&mut self, m: &Message, bytes: &[u8]) {
        let file = self.file_name(m, bytes);
        let signature = match (m.verdict.is_signed(), m.protocol) {
            (false, _) | (true, Protocol::Compressed) => None,
            (true, Protocol::Smb2) => Some(smb2::SIGNATURE_OFFSET..smb2::SIGNATURE_OFFSET + 16),
            (true, Protocol::Smb1) => Some(14..22),
            // The AEAD tag of an undecrypted transform.
            (true, Protocol::Transform) => Some(4..20),
        };
        let keep = bytes.len().min(DUMP_BYTES);
        self.rows.push(Row {
            time: 0.0,
            frame: m.frame,
            channel: m.conn,
            direction: match m.dir {
                flow::Direction::ToServer => Direction::ToServer,
                flow::Direction::ToClient => Direction::ToClient,
            },
            protocol: m.protocol.name().to_uppercase(),
            command: names::command(m.protocol, m.command),
            is_response: m.is_response,
            status: names::status_text(m.status),
            session_id: m.session_id,
            message_id: m.message_id,
            verdict: match m.verdict {
                model::Verdict::Valid => Verdict::Valid,
                model::Verdict::Invalid => Verdict::Invalid,
                model::Verdict::Unsigned => Verdict::Unsigned,
                model::Verdict::Unverified(_) => Verdict::Unverified,
            },
            reason: m.verdict.reason().map(str::to_string),
            algorithm: m.algorithm.map(str::to_string),
            key: match (m.key, m.verdict) {
                (Some(k), _) => Some(format!(
                    "{} of session {}",
                    k.describe(),
                    session_hex(m.session_id)
                )),
                (None, model::Verdict::Unverified(why)) => Some(format!(
                    "none: {}",
                    crate::report::unverified_why(why, true)
                )),
                _ => None,
            },
            file,
            length: m.len,
            bytes: bytes.get(..keep).unwrap_or_default().to_vec(),
            signature,
        });
        self.times.push(m.ts);
        self.progress(m.frame);
    }

    fn progress(&mut self, frame: u64) {
        if !self.show_progress {
            return;
        }
        let now = Instant::now();
        let due = match self.last_progress {
            Some(t) => now.duration_since(t) >= PROGRESS_EVERY,
            None => now.duration_since(self.started) >= PROGRESS_EVERY,
        };
        if due && self.rows.len() % 256 == 0 {
            self.last_progress = Some(now);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\ranalysing… {frame} frames, {} messages",
                self.rows.len()
            );
            let _ = err.flush();
        }
    }

    /// The file a CREATE opens: from the request, and for the response from its request.
    fn file_name(&mut self, m: &Message, bytes: &[u8]) -> Option<String> {
        let key = (m.conn, m.message_id);
        match (m.protocol, m.command, m.is_response) {
            (Protocol::Smb2, smb2::COMMAND_CREATE, false) => {
                let name = smb2::parse_create_request(bytes).ok()?.name_string();
                self.opening.insert(key, name.clone());
                Some(name)
            }
            (Protocol::Smb2, smb2::COMMAND_CREATE, true) if m.status != STATUS_PENDING => {
                self.opening.remove(&key)
            }
            (Protocol::Smb2, smb2::COMMAND_CREATE, true) => self.opening.get(&key).cloned(),
            (Protocol::Smb1, _, false) => {
                let msg = smb1::parse_message(bytes).ok()?;
                let name = msg.chain().filter_map(Result::ok).find_map(|b| {
                    (b.command == smb1::COM_NT_CREATE_ANDX)
                        .then(|| smb1::parse_nt_create_request(&msg.header, &b).ok())
                        .flatten()
                        .map(|r| r.name.to_string_lossy())
                })?;
                self.opening.insert(key, name.clone());
                Some(name)
            }
            (Protocol::Smb1, _, true) => self.opening.remove(&key),
            _ => None,
        }
    }

    /// The view model of the whole analysis, with the collected messages.
    pub fn finish(mut self, analysis: &Analysis, captures: &[PathBuf]) -> Timeline {
        if self.last_progress.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
        self.update(analysis, captures)
    }

    /// For a live capture: the messages collected since the last update (handed over, not
    /// kept) and everything else as `analysis` has it now (`tui::App::extend`).
    pub fn update(&mut self, analysis: &Analysis, captures: &[PathBuf]) -> Timeline {
        if self.start.is_none() {
            self.start = analysis
                .connections
                .iter()
                .map(|c| c.first_ts)
                .chain(self.times.first().copied())
                .min();
        }
        let start = self.start.unwrap_or_default();
        for (row, ts) in self.rows.iter_mut().zip(&self.times) {
            row.time = (ts.0 - start.0) as f64 / 1e9;
        }
        self.times.clear();
        let title = captures
            .iter()
            .map(|p| {
                p.file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect::<Vec<_>>()
            .join(", ");
        let s = &analysis.summary;
        Timeline {
            title,
            connections: analysis
                .connections
                .iter()
                .map(|c| ConnectionInfo {
                    id: c.id,
                    client: c.client.to_string(),
                    server: c.server.to_string(),
                    dialect: c.dialect.clone(),
                    signing: c.signing_algorithm.map(str::to_string),
                    cipher: c.cipher.map(str::to_string),
                    messages: c.messages,
                })
                .collect(),
            sessions: analysis
                .sessions
                .iter()
                .map(|s| SessionInfo {
                    id: s.id,
                    user: s.user.as_ref().map(|u| match &s.domain {
                        Some(d) if !d.is_empty() => format!("{d}\\{u}"),
                        _ => u.clone(),
                    }),
                    auth: s.auth.clone(),
                    dialect: s.dialect.clone(),
                    signing: s.signing.map(str::to_string),
                    channels: s.channels.clone(),
                    valid: s.counts.valid,
                    invalid: s.counts.invalid,
                    unverified: s.counts.unverified,
                    unsigned: s.counts.unsigned,
                })
                .collect(),
            messages: std::mem::take(&mut self.rows),
            problems: analysis
                .problems
                .iter()
                .map(|p| ProblemInfo {
                    frame: p.frame,
                    channel: p.conn,
                    kind: p.kind.to_string(),
                    detail: p.detail.clone(),
                })
                .collect(),
            breaks: analysis.breaks.iter().map(break_info).collect(),
            bindings: analysis
                .bindings
                .iter()
                .map(|b| BindingInfo {
                    session_id: b.session_id,
                    channel: b.conn,
                    frame: b.frame,
                    valid: b.valid(),
                    status: b.status.map(names::status_text),
                })
                .collect(),
            summary: Summary {
                frames: analysis.frames,
                messages: s.messages,
                signed: s.signed,
                valid: s.valid,
                invalid: s.invalid,
                unverified: s.unverified,
                unsigned: s.unsigned,
                not_verified: crate::report::not_verified_line(analysis),
            },
            decode: Some(header_fields),
        }
    }
}

fn break_info(b: &model::Break) -> BreakInfo {
    let mut detail = Vec::new();
    if let Some(f) = &b.file {
        detail.push(f.clone());
    }
    detail.push(match &b.old_level {
        Some(old) => format!("{old} → {}", b.new_level),
        None => format!("to {}", b.new_level),
    });
    detail.push(b.outcome().to_string());
    if b.cross_channel() {
        detail.push("acknowledged on another channel".to_string());
    }
    BreakInfo {
        kind: b.kind.name().to_string(),
        frame: b.frame,
        channel: Some(b.conn),
        acknowledged: b.ack.is_some(),
        ack_frame: b.ack.as_ref().map(|a| a.frame),
        ack_channel: b.ack.as_ref().map(|a| a.conn),
        latency_ms: b.latency_ms,
        detail: detail.join(", "),
    }
}

/// The header fields of an SMB1 or SMB2 message or a transform, from its first bytes.
pub fn header_fields(bytes: &[u8]) -> Vec<(String, String)> {
    let f = |name: &str, value: String| (name.to_string(), value);
    match bytes.get(..4) {
        Some([0xFE, b'S', b'M', b'B']) => {
            let Ok((_, h)) = smb2::parse_header(bytes) else {
                return Vec::new();
            };
            let mut flags = Vec::new();
            for (bit, name) in [
                (smb2::FLAGS_SERVER_TO_REDIR, "RESPONSE"),
                (smb2::FLAGS_ASYNC_COMMAND, "ASYNC"),
                (smb2::FLAGS_RELATED_OPERATIONS, "RELATED"),
                (smb2::FLAGS_SIGNED, "SIGNED"),
                (smb2::FLAGS_DFS_OPERATIONS, "DFS"),
                (smb2::FLAGS_REPLAY_OPERATION, "REPLAY"),
            ] {
                if h.flags & bit != 0 {
                    flags.push(name);
                }
            }
            let mut out = vec![
                f(
                    "Command",
                    format!("{} (0x{:02x})", smb2::command_name(h.command), h.command),
                ),
                f("Status", status_hex(h.status)),
                f("Flags", format!("0x{:08x} {}", h.flags, flags.join(" "))),
                f("CreditCharge", h.credit_charge.to_string()),
                f("Credits", h.credits.to_string()),
                f("NextCommand", h.next_command.to_string()),
                f("MessageId", h.message_id.to_string()),
            ];
            match h.ids {
                smb2::HeaderIds::Async { async_id } => {
                    out.push(f("AsyncId", format!("0x{async_id:016x}")));
                }
                smb2::HeaderIds::Sync {
                    process_id,
                    tree_id,
                } => {
                    out.push(f("ProcessId", format!("0x{process_id:08x}")));
                    out.push(f("TreeId", format!("0x{tree_id:08x}")));
                }
            }
            out.push(f("SessionId", session_hex(h.session_id)));
            out.push(f("Signature", hex(&h.signature)));
            out
        }
        Some([0xFF, b'S', b'M', b'B']) => {
            let Ok((_, h)) = smb1::parse_header(bytes) else {
                return Vec::new();
            };
            vec![
                f(
                    "Command",
                    format!("{} (0x{:02x})", smb1::command_name(h.command), h.command),
                ),
                f("Status", status_hex(h.status)),
                f("Flags", format!("0x{:02x}", h.flags)),
                f("Flags2", format!("0x{:04x}", h.flags2)),
                f("PID", h.pid().to_string()),
                f("TID", h.tid.to_string()),
                f("UID", h.uid.to_string()),
                f("MID", h.mid.to_string()),
                f("Signature", hex(&h.signature)),
            ]
        }
        Some([0xFD, b'S', b'M', b'B']) => {
            let Ok((_, h)) = dissectors::transform::parse_transform(bytes) else {
                return Vec::new();
            };
            vec![
                f("Signature", hex(&h.signature)),
                f("Nonce", hex(&h.nonce)),
                f("OriginalSize", h.original_message_size.to_string()),
                f("Flags", format!("0x{:04x}", h.flags)),
                f("SessionId", session_hex(h.session_id)),
            ]
        }
        _ => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

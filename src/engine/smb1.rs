//! SMB1: negotiate, session setup (extended security or raw NTLM), the per-connection MAC key
//! and sequence numbers, and the MD5 signature of every message (MS-CIFS 3.1.4.1).
//!
//! Sequence numbers (MS-CIFS 3.2.4.1.1, as Samba counts them in `smb_signing.c`): the
//! SESSION_SETUP request that establishes the key is number 0 and its response 1; from then
//! on each request takes the next number and its response (every part of a multi-part
//! response) the one after. A request that gets no response (NT_CANCEL, transaction
//! secondaries) takes one number only. A client's oplock release (LOCKING_ANDX) gets no
//! response either, yet Samba counts two numbers for it, and so do the real captures in
//! samples/ (smb1-oplock-batch1.pcap). Server oplock breaks are not signed.

use dissectors::smb1::{
    self, COM_NEGOTIATE, COM_NT_CANCEL, COM_NT_TRANSACT_SECONDARY, COM_SESSION_SETUP_ANDX,
    COM_TRANSACTION_SECONDARY, COM_TRANSACTION2_SECONDARY, SessionSetupAuth,
};
use dissectors::status::{STATUS_MORE_PROCESSING_REQUIRED, STATUS_SUCCESS};

use super::auth::{self, AuthOutcome};
use super::state::{Smb1Session, new_session};
use super::{Engine, Judged, Sink, damaged};
use crate::crypto::sign::{self, SMB1_PLACEHOLDER};
use crate::flow::Pdu;
use crate::model::names::session_hex;
use crate::model::{AuthKind, ProblemKind, SecurityKind, SecurityVariant};
use crate::model::{Header, KeySource, KeyUsed, Protocol, Unverified, Verdict};

const MD5: &str = "MD5";
/// Sequence numbers searched past the expected one after lost client bytes (two per lost
/// request: up to 32 lost requests).
const SEQ_LOOKAHEAD: u32 = 64;

/// A request that gets no response takes one sequence number, not two.
pub(super) fn one_way(command: u8) -> bool {
    matches!(
        command,
        COM_NT_CANCEL
            | COM_TRANSACTION_SECONDARY
            | COM_TRANSACTION2_SECONDARY
            | COM_NT_TRANSACT_SECONDARY
    )
}

impl Engine {
    pub(super) fn smb1_pdu(&mut self, pdu: &Pdu, sink: &mut Sink) {
        self.settle_before(pdu.conn, None, sink);
        let msg = match smb1::parse_message(&pdu.data) {
            Ok(m) => m,
            Err(e) => {
                let detail = format!("SMB1 message: {e}");
                self.problem(
                    pdu.last_frame,
                    pdu.ts,
                    Some(pdu.conn),
                    ProblemKind::Malformed,
                    detail,
                    false,
                );
                if let Ok((_, h)) = smb1::parse_header(&pdu.data) {
                    let m = self.smb1_record(pdu, &h);
                    let v = if self.conns[pdu.conn as usize].smb1.signing_active {
                        Verdict::Unverified(Unverified::Truncated)
                    } else {
                        Verdict::Unsigned
                    };
                    self.emit(m, Judged::new(v, None), &pdu.data, sink);
                }
                return;
            }
        };
        let h = msg.header;
        let mut record = self.smb1_record(pdu, &h);
        self.pair_smb1(&mut record, &msg);
        let conn = &mut self.conns[pdu.conn as usize];
        match (h.command, h.is_response()) {
            (COM_NEGOTIATE, false) => {
                if let Ok(req) = smb1::parse_negotiate_request(&msg.block) {
                    conn.smb1.dialects = req
                        .dialects()
                        .take(64)
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect();
                }
            }
            (COM_NEGOTIATE, true) => {
                if let Ok(resp) = smb1::parse_negotiate_response(&h, &msg.block) {
                    let s = &mut conn.smb1;
                    // A challenge not all captured cannot check a raw NTLM logon.
                    s.challenge = resp.challenge.filter(|_| pdu.damage.is_none());
                    s.signing_required = resp.signing_required();
                    conn.info.signing_required = resp.signing_required();
                    let dialect = s.dialects.get(usize::from(resp.dialect_index));
                    conn.info.dialect = Some(dialect.cloned().unwrap_or_else(|| "SMB1".into()));
                    conn.info.signing_algorithm = Some(MD5);
                    let (frame, id) = (pdu.last_frame, pdu.conn);
                    let dialect = conn.info.dialect.clone().unwrap_or_else(|| "SMB1".into());
                    let dialect = SecurityVariant::Dialect(dialect);
                    self.posture.note(SecurityKind::Smb1, frame, id, dialect);
                    if !resp.signing_required() && pdu.damage.is_none() {
                        let kind = SecurityKind::SigningNotRequired;
                        self.posture.note(kind, frame, id, SecurityVariant::Server);
                    }
                }
            }
            (COM_SESSION_SETUP_ANDX, false) => {
                if let Ok(req) = smb1::parse_session_setup_request(&h, &msg.block) {
                    match req.auth {
                        SessionSetupAuth::ExtendedSecurity { security_blob } => {
                            let setup = conn.smb1.setup.get_or_insert_with(Default::default);
                            setup.feed(security_blob, pdu.last_frame, true);
                            setup.damaged |= pdu.damage.is_some();
                        }
                        SessionSetupAuth::Password {
                            lm_response,
                            nt_response,
                            account_name,
                            primary_domain,
                        } => {
                            conn.smb1.raw_logon = Some(auth::RawLogon {
                                lm_response: lm_response.to_vec(),
                                nt_response: nt_response.to_vec(),
                                user: account_name.to_string_lossy(),
                                domain: primary_domain.to_string_lossy(),
                                damaged: pdu.damage.is_some(),
                                frame: pdu.last_frame,
                            })
                        }
                    }
                }
            }
            _ => {}
        }
        let judged = if h.command == COM_SESSION_SETUP_ANDX && h.is_response() {
            let judged = self.smb1_setup_response(pdu, &msg);
            record.logon = self.last_logon.take().map(Box::new);
            judged
        } else {
            self.smb1_judge(pdu, &msg)
        };
        self.observe_smb1(pdu, &msg);
        self.emit(record, judged, msg.raw, sink);
    }

    fn smb1_record(&self, pdu: &Pdu, h: &smb1::Header) -> crate::model::Message {
        let mut m = self.message(
            pdu,
            Protocol::Smb1,
            u16::from(h.command),
            h.is_response(),
            u64::from(h.uid),
            u64::from(h.mid),
            h.status,
        );
        m.header = Some(Header::Smb1(h.into()));
        m
    }

    /// Sequence number of a message: requests take the next one, responses their
    /// request's plus one.
    fn smb1_seq(&mut self, pdu: &Pdu, msg: &smb1::Message) -> Option<u32> {
        let h = &msg.header;
        let s = &mut self.conns[pdu.conn as usize].smb1;
        let key = (h.pid(), h.mid);
        if h.is_response() {
            return s.pending.get(&key).map(|seq| seq.wrapping_add(1));
        }
        let seq = s.next_seq;
        let one_way = one_way(h.command);
        s.next_seq = seq.wrapping_add(if one_way { 1 } else { 2 });
        if !one_way {
            if s.pending.len() >= MAX_PENDING {
                s.pending.clear();
            }
            s.pending.insert(key, seq);
        }
        Some(seq)
    }

    fn smb1_judge(&mut self, pdu: &Pdu, msg: &smb1::Message) -> Judged {
        let h = &msg.header;
        if !self.conns[pdu.conn as usize].smb1.signing_active {
            return Judged::new(Verdict::Unsigned, None);
        }
        // A server's oplock break is a request from the server: not signed (MS-CIFS
        // 3.3.4.2; Samba sends it with zeros where the MAC belongs).
        if !h.is_response() && pdu.dir == crate::flow::Direction::ToClient {
            let v = if h.signature == [0; 8] {
                Verdict::Unsigned
            } else {
                Verdict::Unverified(Unverified::Unsupported)
            };
            return Judged::new(v, None);
        }
        let seq = self.smb1_seq(pdu, msg);
        if let Some(v) = damaged(pdu.damage) {
            return Judged::new(v, Some(MD5));
        }
        let Some(seq) = seq else {
            // A response whose request is not in the capture: its number is unknown.
            let why = if self.conns[pdu.conn as usize].smb1.seq_lost {
                Unverified::LostBytes
            } else {
                Unverified::Unsupported
            };
            return Judged::new(Verdict::Unverified(why), Some(MD5));
        };
        let judged = self.smb1_check(pdu, msg, seq);
        if !self.conns[pdu.conn as usize].smb1.seq_lost {
            return judged;
        }
        match judged.verdict {
            Verdict::Valid if !h.is_response() => {
                self.conns[pdu.conn as usize].smb1.seq_lost = false;
                judged
            }
            Verdict::Invalid => self.smb1_resync(pdu, msg, seq),
            _ => judged,
        }
    }

    /// After lost client bytes a request may carry a later number than expected (the lost
    /// requests took theirs): look ahead for it and go on from there. What does not verify
    /// is `unverified (lost-bytes)`, not invalid: its number is unknown.
    fn smb1_resync(&mut self, pdu: &Pdu, msg: &smb1::Message, expected: u32) -> Judged {
        let h = &msg.header;
        let lost = Judged::new(Verdict::Unverified(Unverified::LostBytes), Some(MD5));
        let s = &self.conns[pdu.conn as usize].smb1;
        let Some(key) = s.mac_key.as_ref() else {
            return lost;
        };
        if h.is_response() {
            return lost;
        }
        let Some(seq) = (1..=SEQ_LOOKAHEAD)
            .map(|d| expected.wrapping_add(d))
            .find(|&candidate| sign::smb1_verify(key, msg.raw, candidate).unwrap_or(false))
        else {
            return lost;
        };
        let s = &mut self.conns[pdu.conn as usize].smb1;
        s.seq_lost = false;
        let one_way = one_way(h.command);
        s.next_seq = seq.wrapping_add(if one_way { 1 } else { 2 });
        if !one_way {
            s.pending.insert((h.pid(), h.mid), seq);
        }
        let mut judged = Judged::new(Verdict::Valid, Some(MD5));
        judged.key = Some(KeyUsed::Smb1Mac {
            logon_frame: s.mac_logon_frame,
        });
        judged
    }

    /// The MD5 check of a message whose sequence number is known, with a diagnosis when
    /// it fails.
    fn smb1_check(&self, pdu: &Pdu, msg: &smb1::Message, seq: u32) -> Judged {
        let Some(key) = self.conns[pdu.conn as usize].smb1.mac_key.as_ref() else {
            return Judged::new(Verdict::Unverified(Unverified::NoKey), Some(MD5));
        };
        let mut judged = match sign::smb1_verify(key, msg.raw, seq) {
            Ok(true) => Judged::new(Verdict::Valid, Some(MD5)),
            Ok(false) => Judged::new(Verdict::Invalid, Some(MD5)),
            Err(_) => return Judged::new(Verdict::Unverified(Unverified::Truncated), Some(MD5)),
        };
        judged.key = Some(KeyUsed::Smb1Mac {
            logon_frame: self.conns[pdu.conn as usize].smb1.mac_logon_frame,
        });
        if judged.verdict == Verdict::Invalid {
            judged.diagnosis = self.smb1_diagnosis(pdu, msg.raw, &msg.header.signature, key, seq);
        }
        judged
    }

    /// A SESSION_SETUP_ANDX response: the end of a logon replays it; the first logon that
    /// yields a key starts signing on the connection, and this response is number 1.
    fn smb1_setup_response(&mut self, pdu: &Pdu, msg: &smb1::Message) -> Judged {
        let h = &msg.header;
        if h.status == STATUS_MORE_PROCESSING_REQUIRED {
            if let Ok(resp) = smb1::parse_session_setup_response(h, &msg.block) {
                let conn = &mut self.conns[pdu.conn as usize];
                let setup = conn.smb1.setup.get_or_insert_with(Default::default);
                setup.feed(resp.security_blob, pdu.last_frame, false);
                // The NTLMSSP CHALLENGE in it: a cut one cannot check the password.
                setup.damaged |= pdu.damage.is_some();
            }
            return self.smb1_judge(pdu, msg);
        }
        let conn = &mut self.conns[pdu.conn as usize];
        let mut setup = conn.smb1.setup.take();
        if let Some(s) = setup.as_mut() {
            s.damaged |= pdu.damage.is_some();
        }
        let raw = conn.smb1.raw_logon.take();
        let challenge = conn.smb1.challenge;
        let resp = smb1::parse_session_setup_response(h, &msg.block).ok();
        let mut outcome = match (setup, raw) {
            (Some(mut msgs), _) => {
                if let Some(r) = &resp {
                    msgs.feed(r.security_blob, pdu.last_frame, false);
                }
                auth::replay_exchange(&msgs, &self.secrets, &self.kdc, None)
            }
            (None, Some(mut raw)) => {
                raw.damaged |= pdu.damage.is_some();
                auth::replay_raw(&raw, challenge, &self.secrets)
            }
            (None, None) => AuthOutcome::default(),
        };
        let guest = resp.is_some_and(|r| r.is_guest());
        if guest {
            outcome.mapped_to_guest();
        }
        self.smb1_session(pdu, h, &outcome, guest);
        let what = format!(
            "{}'s logon (SMB1 UID {})",
            outcome.account(),
            session_hex(u64::from(h.uid))
        );
        self.logon_macs(pdu, &outcome, &what);

        let conn = &mut self.conns[pdu.conn as usize];
        let anonymous = outcome.auth == Some(AuthKind::Anonymous);
        conn.smb1.logged_on |= h.status == STATUS_SUCCESS && !guest && !anonymous;
        let activating = !conn.smb1.signing_active && h.status == STATUS_SUCCESS && !guest;
        if !activating {
            return self.smb1_judge(pdu, msg);
        }
        let mac_key = outcome.smb1_mac_key.or(outcome.session_key);
        // The server did not turn signing on for this logon. Where signing was required
        // (NEGOTIATE) for an authenticated logon, this response and every message after it
        // must carry a MAC (MS-CIFS 3.2.5.4, 3.3.5.3; Samba's client refuses it): with the
        // key the placeholder is a failed check, without it unverified. Otherwise signing
        // is simply not in force.
        let required = conn.smb1.signing_required && !anonymous;
        if is_placeholder(&h.signature) && !(required && h.signature == SMB1_PLACEHOLDER) {
            return Judged::new(Verdict::Unsigned, None);
        }
        let s = &mut conn.smb1;
        s.signing_active = true;
        s.mac_key = mac_key;
        s.mac_logon_frame = pdu.last_frame;
        s.next_seq = 2;
        s.pending.clear();
        if let Some(v) = damaged(pdu.damage) {
            return Judged::new(v, Some(MD5));
        }
        self.smb1_check(pdu, msg, 1)
    }

    fn smb1_session(&mut self, pdu: &Pdu, h: &smb1::Header, outcome: &AuthOutcome, guest: bool) {
        if !self.smb1_sessions.contains_key(&(pdu.conn, h.uid))
            && !self.room_for_session(pdu.conn, pdu.last_frame, pdu.ts)
        {
            return;
        }
        let dialect = self.conns[pdu.conn as usize].info.dialect.clone();
        let session = self
            .smb1_sessions
            .entry((pdu.conn, h.uid))
            .or_insert_with(|| Smb1Session {
                info: new_session(
                    u64::from(h.uid),
                    self.conns[pdu.conn as usize].info.server,
                    Protocol::Smb1,
                    pdu.last_frame,
                ),
            });
        let info = &mut session.info;
        info.user = outcome.user.clone();
        info.domain = outcome.domain.clone();
        info.workstation = outcome.workstation.clone();
        info.auth = if guest {
            Some(AuthKind::Guest)
        } else {
            outcome.auth
        };
        info.key_source = outcome.key_source.unwrap_or(KeySource::None);
        info.password_check = outcome.password_check.clone();
        info.ntlm_mic = outcome.ntlm_mic.clone();
        info.mech_list_mic = outcome.mech_list_mic.clone();
        info.logon_status = Some(h.status);
        info.dialect = dialect;
        info.signing = Some(MD5);
        if !info.channels.contains(&pdu.conn) {
            info.channels.push(pdu.conn);
        }
        let account = outcome.account();
        if outcome.mismatch {
            let detail = format!(
                "password does not match for {account} (SMB1 UID {})",
                session_hex(u64::from(h.uid))
            );
            self.problem(
                pdu.last_frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::PasswordMismatch,
                detail,
                true,
            );
        }
        if let Some(why) = &outcome.unreplayable {
            let detail = format!("cannot replay the logon of {account}: {why}");
            let frame = outcome.authenticate_frame.unwrap_or(pdu.last_frame);
            self.problem(
                frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::NotReplayed,
                detail,
                false,
            );
        }
        if h.status != STATUS_SUCCESS {
            let detail = format!(
                "server rejected the logon of {account}: {}",
                crate::model::names::status_text(h.status)
            );
            self.problem(
                pdu.last_frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::LogonFailed,
                detail,
                false,
            );
        }
    }
}

/// Requests awaiting a response per connection before the table is cleared (a bound on
/// memory that a capture full of unanswered requests cannot exceed).
const MAX_PENDING: usize = 4096;

/// What a peer puts where the MAC belongs when it does not sign.
fn is_placeholder(signature: &[u8; 8]) -> bool {
    *signature == SMB1_PLACEHOLDER || *signature == [0; 8]
}

//! Security findings, apart from bad signatures: messages left unsigned where signing is
//! required, sessions that never sign, signatures where the protocol says there are none.
//! They are reported once per session (with the first instance), never as `invalid`, and do
//! not change the exit status.

use dissectors::smb2::{COMMAND_CANCEL, COMMAND_NEGOTIATE, COMMAND_SESSION_SETUP, Element};
use dissectors::status::STATUS_SUCCESS;

use super::Engine;
use crate::flow::Pdu;
use crate::model::ProblemKind;
use crate::model::names::{self, session_hex};
use crate::model::{AuthKind, Protocol, Verdict};

/// The first message of a kind of finding, and how many there were.
#[derive(Debug, Clone)]
pub struct Tally {
    pub count: u64,
    pub frame: u64,
    pub ts: crate::capture::Timestamp,
    pub conn: crate::flow::ConnId,
    pub what: String,
}

impl Tally {
    fn note(slot: &mut Option<Tally>, pdu: &Pdu, el: &Element) {
        match slot {
            Some(t) => t.count += 1,
            None => {
                let h = &el.header;
                let kind = if h.is_response() {
                    "response"
                } else {
                    "request"
                };
                *slot = Some(Tally {
                    count: 1,
                    frame: pdu.last_frame,
                    ts: pdu.ts,
                    conn: pdu.conn,
                    what: format!(
                        "{} {kind} msg {}",
                        names::command(Protocol::Smb2, h.command),
                        h.message_id
                    ),
                })
            }
        }
    }
}

impl Engine {
    /// Looks at an SMB2 element that was not decrypted from a transform, once judged.
    pub(super) fn smb2_findings(&mut self, pdu: &Pdu, el: &Element, verdict: Verdict) {
        let h = &el.header;
        let required = self.conns[pdu.conn as usize].info.signing_required;
        let Some(session) = self.smb2_session_mut(pdu.conn, h.session_id) else {
            return;
        };
        let established = session.info.logon_status == Some(STATUS_SUCCESS)
            && session.info.auth.is_none_or(AuthKind::authenticates);
        // Interim responses and break notifications are never signed (MS-SMB2 3.3.4.4,
        // 3.3.4.6); NEGOTIATE and SESSION_SETUP precede the key; a CANCEL may go out unsigned
        // (3.2.4.24).
        let exempt = h.command == COMMAND_NEGOTIATE
            || h.command == COMMAND_SESSION_SETUP
            || h.command == COMMAND_CANCEL
            || h.is_interim()
            || h.is_unsolicited();
        if h.is_signed() && (h.is_interim() || h.is_unsolicited()) {
            Tally::note(&mut session.findings.signed_unexpectedly, pdu, el);
        }
        if !established || exempt {
            return;
        }
        if verdict.is_signed() {
            session.findings.signed += 1;
        } else if required && h.status != dissectors::status::STATUS_USER_SESSION_DELETED {
            Tally::note(&mut session.findings.unsigned_when_required, pdu, el);
        } else {
            Tally::note(&mut session.findings.unsigned, pdu, el);
        }
    }

    /// Turns what was tallied into problems, at the end of the capture.
    pub(super) fn report_findings(&mut self) {
        let mut found = Vec::new();
        for ((_, id), s) in &self.smb2_sessions {
            let f = &s.findings;
            let sess = session_hex(*id);
            if let Some(t) = &f.unsigned_when_required {
                found.push((
                    t.clone(),
                    ProblemKind::UnsignedWhenRequired,
                    format!(
                        "{} message(s) of session {sess} unsigned although signing is required (first: {})",
                        t.count, t.what
                    ),
                ));
            }
            if let (Some(t), 0) = (&f.unsigned, f.signed) {
                found.push((
                    t.clone(),
                    ProblemKind::NeverSigned,
                    format!(
                        "session {sess} never signed ({} messages) although both sides support signing",
                        t.count
                    ),
                ));
            }
            if let Some(t) = &f.signed_unexpectedly {
                found.push((
                    t.clone(),
                    ProblemKind::SignedUnexpectedly,
                    format!(
                        "{} interim response(s) or break notification(s) of session {sess} carry a signature, which the protocol leaves out (first: {})",
                        t.count, t.what
                    ),
                ));
            }
        }
        for conn in &self.conns {
            let s = &conn.smb1;
            if s.signing_required && !s.signing_active && s.logged_on {
                found.push((
                    Tally {
                        count: 1,
                        frame: conn.info.first_frame,
                        ts: conn.info.first_ts,
                        conn: conn.info.id,
                        what: String::new(),
                    },
                    ProblemKind::NeverSigned,
                    format!(
                        "SMB1 connection #{} never signed although the server requires signing",
                        conn.info.id
                    ),
                ));
            }
        }
        // The Security section's `unsigned-session`: an authenticated session whose messages
        // went neither signed nor encrypted (SMB2: never signed outside transforms; SMB1: a
        // logged-on connection whose signing never started).
        let mut unsigned = Vec::new();
        for ((_, id), s) in &self.smb2_sessions {
            if let (Some(t), 0) = (&s.findings.unsigned, s.findings.signed) {
                unsigned.push((t.frame, t.conn, *id, super::security::user_of(&s.info)));
            }
        }
        for ((conn, uid), s) in &self.smb1_sessions {
            let c = &self.conns[*conn as usize].smb1;
            let authenticated = s.info.logon_status == Some(STATUS_SUCCESS)
                && s.info.auth.is_some_and(AuthKind::authenticates);
            if c.logged_on && !c.signing_active && authenticated {
                let user = super::security::user_of(&s.info);
                unsigned.push((s.info.first_frame, *conn, u64::from(*uid), user));
            }
        }
        for (frame, conn, id, user) in unsigned {
            self.posture.note_session(
                crate::model::SecurityKind::UnsignedSession,
                frame,
                conn,
                Some(id),
                user,
                None,
            );
        }
        for (t, kind, detail) in found {
            self.problem(t.frame, t.ts, Some(t.conn), kind, detail, false);
        }
    }
}

/// Per-session tallies of the findings above.
#[derive(Debug, Default)]
pub struct Findings {
    pub signed: u64,
    pub unsigned: Option<Tally>,
    pub unsigned_when_required: Option<Tally>,
    pub signed_unexpectedly: Option<Tally>,
}

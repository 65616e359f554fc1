//! SESSION_SETUP: logons, re-authentications and bindings (MS-SMB2 3.2.5.3, 3.3.5.5), the
//! replay of their authentication and the keys they derive.

use dissectors::smb2::{self, Element};
use dissectors::status::{STATUS_MORE_PROCESSING_REQUIRED, STATUS_SUCCESS};

use super::super::state::{ChannelKey, Setup, Smb2Session};
use super::super::{Engine, Judged, auth};
use super::KeyChoice;
use crate::crypto::keys::{self, Dialect};
use crate::crypto::sign::SigningAlgorithm;
use crate::flow::Pdu;
use crate::model::ProblemKind;
use crate::model::names::session_hex;
use crate::model::{AuthKind, Binding, Verdict};

/// SESSION_SETUP responses remembered per connection as seen before their requests.
const MAX_EARLY_RESPONSES: usize = 16;

impl Engine {
    pub(super) fn setup_request(&mut self, pdu: &Pdu, el: &Element, binding: bool, blob: &[u8]) {
        let h = &el.header;
        if binding {
            self.bind_across_endpoints(pdu.conn, h.session_id);
        }
        let max_setups = self.limits.max_setups_per_connection;
        let mut dropped_setup = false;
        let c = &mut self.conns[pdu.conn as usize];
        let existing = c
            .setups
            .iter()
            .position(|s| h.session_id != 0 && s.session_id == h.session_id);
        let index = match existing {
            Some(i) => i,
            None => {
                c.setups.retain(|s| s.session_id != h.session_id);
                if !c.setups.is_empty() && c.setups.len() >= max_setups {
                    c.setups.remove(0);
                    dropped_setup = true;
                }
                c.setups.push(Setup {
                    session_id: h.session_id,
                    last_request: h.message_id,
                    binding,
                    first_frame: pdu.last_frame,
                    request_verdict: None,
                    preauth: c.preauth.clone(),
                    auth: Default::default(),
                });
                c.setups.len() - 1
            }
        };
        // 3.1.1 keys hash the NEGOTIATE exchange and every step of the logon in order:
        // without the NEGOTIATE request, or with a response seen first, they would be wrong.
        let preauth_lost = c.dialect == Some(Dialect::Smb311) && !c.preauth_started
            || c.early_setup_responses.contains(&h.message_id);
        let setup = &mut c.setups[index];
        setup.last_request = h.message_id;
        setup.preauth.update(el.bytes);
        setup.auth.feed(blob, pdu.last_frame, true);
        setup.auth.damaged |= pdu.damage.is_some() || preauth_lost;
        if dropped_setup {
            let limit = crate::limits::Limit::SetupsPerConnection;
            self.limit_reached(Some(pdu.conn), None, pdu.last_frame, pdu.ts, limit);
        }
    }

    /// A binding on a connection to another endpoint of the server (another interface)
    /// names a session of that server: the one with this SessionId whose server has the
    /// same ServerGuid, or the only one with this SessionId.
    fn bind_across_endpoints(&mut self, conn: crate::flow::ConnId, session_id: u64) {
        let own = self.session_ref(conn, session_id);
        if self.smb2_sessions.contains_key(&own) {
            return;
        }
        let guid_of = |c: crate::flow::ConnId| {
            self.conns
                .get(c as usize)
                .and_then(|c| c.info.server_guid.clone())
        };
        let guid = guid_of(conn);
        let candidates: Vec<_> = self
            .smb2_sessions
            .iter()
            .filter(|((_, id), _)| *id == session_id)
            .map(|(r, s)| (*r, s.info.channels.first().copied()))
            .collect();
        let same_server = candidates
            .iter()
            .find(|(_, first)| guid.is_some() && first.and_then(guid_of) == guid);
        let target = match (same_server, candidates.as_slice()) {
            (Some((r, _)), _) => Some(*r),
            (None, [(r, _)]) => Some(*r),
            _ => None,
        };
        if let Some(target) = target {
            self.session_aliases.insert(own, target);
            self.conns[conn as usize].server_id = target.0;
        }
    }

    /// A SESSION_SETUP response: an interim step of the exchange, or its end, where the
    /// session key is recovered and the keys are derived before the response is checked.
    pub(super) fn setup_response(
        &mut self,
        pdu: &Pdu,
        el: &Element,
        blob: Option<(&[u8], u16)>,
    ) -> Judged {
        let h = &el.header;
        let c = &mut self.conns[pdu.conn as usize];
        let found = c
            .setups
            .iter()
            .position(|s| s.session_id == h.session_id)
            .or_else(|| {
                c.setups
                    .iter()
                    .position(|s| s.session_id == 0 && s.last_request == h.message_id)
            });
        let Some(index) = found else {
            // The exchange began before the capture did, or its request is held back
            // behind a hole. A final response on a connection that is not yet one of the
            // session's channels ends a binding: signed with the new channel's key,
            // unknown here. Interim responses are signed with the session's key.
            if c.early_setup_responses.len() >= MAX_EARLY_RESPONSES {
                c.early_setup_responses.pop_front();
            }
            c.early_setup_responses.push_back(h.message_id);
            let foreign = self
                .smb2_session(pdu.conn, h.session_id)
                .is_some_and(|s| !s.info.channels.contains(&pdu.conn));
            let final_response = h.status != STATUS_MORE_PROCESSING_REQUIRED;
            return self.judge(
                pdu,
                el,
                (foreign && final_response).then_some(KeyChoice::None),
            );
        };
        c.setups[index].session_id = h.session_id;
        c.setups[index].auth.damaged |= pdu.damage.is_some();
        if let Some((buffer, _)) = blob {
            c.setups[index].auth.feed(buffer, pdu.last_frame, false);
        }
        if h.status == STATUS_MORE_PROCESSING_REQUIRED {
            // The 3.1.1 hash takes request, response, request... in that order; a later
            // request seen first (data held back behind a hole) breaks it.
            c.setups[index].auth.damaged |= c.setups[index].last_request != h.message_id;
            c.setups[index].preauth.update(el.bytes);
            // Interim responses are signed with the key the server checks this connection's
            // requests with: the session's on a connection that is not yet a channel.
            return self.judge(pdu, el, None);
        }
        let setup = c.setups.remove(index);
        let flags = blob.map(|(_, f)| f).unwrap_or(0);
        self.setup_done(pdu, el, setup, flags)
    }

    fn setup_done(&mut self, pdu: &Pdu, el: &Element, setup: Setup, flags: u16) -> Judged {
        let h = &el.header;
        let judged_with = self.conclude_setup(pdu, h.session_id, h.status, flags, &setup);
        let judged = self.judge(pdu, el, judged_with);
        if setup.binding {
            self.analysis.bindings.push(Binding {
                session_id: h.session_id,
                conn: pdu.conn,
                frame: setup.first_frame,
                status: Some(h.status),
                request_verdict: setup.request_verdict.unwrap_or(Verdict::Unsigned),
                response_verdict: Some(judged.verdict),
                ntlm_mic: self.last_logon.as_ref().and_then(|l| l.ntlm_mic.clone()),
                mech_list_mic: self
                    .last_logon
                    .as_ref()
                    .and_then(|l| l.mech_list_mic.clone()),
            });
        }
        judged
    }

    /// The final SESSION_SETUP response of `session_id` was not captured, yet the session
    /// is in use on this connection: its logon succeeded, so the keys can still be derived
    /// (3.1.1's preauth hash ends with the last request, MS-SMB2 3.2.5.3.1).
    pub(super) fn conclude_unanswered_setup(&mut self, pdu: &Pdu, session_id: u64) {
        let c = &mut self.conns[pdu.conn as usize];
        let Some(index) = c
            .setups
            .iter()
            .position(|s| s.session_id == session_id && s.auth.authenticate.is_some())
        else {
            return;
        };
        let setup = c.setups.remove(index);
        self.conclude_setup(pdu, session_id, STATUS_SUCCESS, 0, &setup);
        // No SESSION_SETUP response line to carry the logon's own signatures (the session
        // record has them).
        self.last_logon = None;
        if let Some(s) = self.smb2_session_mut(pdu.conn, session_id) {
            s.info.logon_status = None;
        }
        let detail = format!(
            "the final SESSION_SETUP response of session {} was not captured; keys derived as the session is in use",
            session_hex(session_id)
        );
        self.problem(
            pdu.last_frame,
            pdu.ts,
            Some(pdu.conn),
            ProblemKind::SetupUnanswered,
            detail,
            false,
        );
    }

    /// Replays a finished logon, records who logged on, and derives the session's keys (or
    /// a bound channel's). Returns which key checks the final response.
    fn conclude_setup(
        &mut self,
        pdu: &Pdu,
        session_id: u64,
        status: u32,
        flags: u16,
        setup: &Setup,
    ) -> Option<KeyChoice> {
        let conn = pdu.conn;
        let sref = self.session_ref(conn, session_id);
        if !self.smb2_sessions.contains_key(&sref)
            && !self.room_for_session(conn, pdu.last_frame, pdu.ts)
        {
            return None;
        }
        let (dialect, cipher, conn_alg, server) = {
            let c = &self.conns[conn as usize];
            (c.dialect, c.cipher, c.signing, c.info.server)
        };
        let known = self
            .secrets
            .session_keys
            .iter()
            .find(|k| k.session_id == session_id)
            .and_then(|k| k.session_key.clone());
        let mut outcome =
            auth::replay_exchange(&setup.auth, &self.secrets, &self.kdc, known.as_ref());
        if status == STATUS_SUCCESS && flags & smb2::SESSION_FLAG_IS_GUEST != 0 {
            outcome.mapped_to_guest();
        }
        let session = self
            .smb2_sessions
            .entry(sref)
            .or_insert_with(|| Smb2Session::new(session_id, server, setup.first_frame));
        // A SESSION_SETUP without BINDING on a session that is already valid re-authenticates
        // it: it derives no key, and its final response, success or not, is signed with the
        // keys the session has (MS-SMB2 3.2.5.3.2, 3.3.5.5.2). After a LOGOFF the SessionId
        // names a new session.
        let reauth = !setup.binding && session.established && session.logged_off.is_none();
        let first_logon = !setup.binding && !reauth;
        if first_logon {
            if session.logged_off.take().is_some() {
                session.reset_keys();
            }
            session.info.user = outcome.user.clone();
            session.info.domain = outcome.domain.clone();
            session.info.workstation = outcome.workstation.clone();
            session.info.auth = outcome.auth;
            if let Some(src) = outcome.key_source {
                session.info.key_source = src;
            }
            session.info.key_detail = outcome.key_detail.clone();
            session.info.password_check = outcome.password_check.clone();
            session.info.ntlm_mic = outcome.ntlm_mic.clone();
            session.info.mech_list_mic = outcome.mech_list_mic.clone();
            session.info.logon_status = Some(status);
            session.dialect = dialect;
            session.info.dialect = dialect.map(|d| d.to_string());
            session.info.signing = conn_alg.map(SigningAlgorithm::name);
            if flags & smb2::SESSION_FLAG_IS_GUEST != 0 {
                session.info.auth = Some(AuthKind::Guest);
            } else if flags & smb2::SESSION_FLAG_IS_NULL != 0 {
                session.info.auth = Some(AuthKind::Anonymous);
            }
            if status == STATUS_SUCCESS
                && flags & smb2::SESSION_FLAG_ENCRYPT_DATA != 0
                && self.posture.encrypted_sessions.len() < crate::engine::security::MAX_ENCRYPTED
            {
                self.posture.encrypted_sessions.insert(sref);
            }
            if status == STATUS_SUCCESS {
                session.established = true;
                session.algorithm = conn_alg;
                session.logon_frame = pdu.last_frame;
            }
        } else if setup.binding && session.info.user.is_none() {
            // A session seen only through its binding: the binding's logon names the user.
            session.info.user = outcome.user.clone();
            session.info.domain = outcome.domain.clone();
            session.info.auth = outcome.auth;
        }
        if reauth && status == STATUS_SUCCESS {
            session.info.reauthentications += 1;
        }
        if reauth
            && session.info.reauth_logons.len() < crate::model::MAX_REAUTH_LOGONS
            && (outcome.ntlm_mic.is_some() || outcome.mech_list_mic.is_some())
        {
            session.info.reauth_logons.push(crate::model::LogonChecks {
                frame: outcome.authenticate_frame,
                ntlm_mic: outcome.ntlm_mic.clone(),
                mech_list_mic: outcome.mech_list_mic.clone(),
            });
        }
        if !reauth && !session.info.channels.contains(&conn) && status == STATUS_SUCCESS {
            session.info.channels.push(conn);
        }
        let account = outcome.account();
        let what = format!(
            "{}{account}'s logon (session {})",
            if reauth {
                "a re-authentication: "
            } else if setup.binding {
                "a binding: "
            } else {
                ""
            },
            session_hex(session_id)
        );
        self.logon_macs(pdu, &outcome, &what);
        if outcome.mismatch {
            // A re-authentication with another password that the server turned down too
            // says nothing about the password of the session's own logon.
            let refused_reauth = reauth && status != STATUS_SUCCESS;
            let mut detail = format!(
                "password does not match for {account} (session {})",
                session_hex(session_id)
            );
            if refused_reauth {
                detail.push_str(
                    ": a re-authentication with another password, which the server refused too",
                );
            }
            self.problem(
                pdu.last_frame,
                pdu.ts,
                Some(conn),
                ProblemKind::PasswordMismatch,
                detail,
                !refused_reauth,
            );
        }
        // A logon refused before its AUTHENTICATE has nothing to replay.
        let refused_early = status != STATUS_SUCCESS && setup.auth.authenticate.is_none();
        if let Some(why) = outcome
            .unreplayable
            .as_ref()
            .filter(|_| !reauth && !refused_early)
        {
            let detail = format!(
                "cannot replay the logon of {account} (session {}): {why}",
                session_hex(session_id)
            );
            let frame = setup.auth.authenticate_frame.unwrap_or(pdu.last_frame);
            self.problem(
                frame,
                pdu.ts,
                Some(conn),
                ProblemKind::NotReplayed,
                detail,
                false,
            );
        }
        if status != STATUS_SUCCESS {
            let status = crate::model::names::status_text(status);
            let sess = session_hex(session_id);
            let (kind, detail) = if setup.binding {
                let d = format!(
                    "server refused to bind connection #{conn} to session {sess}: {status}"
                );
                (ProblemKind::BindingFailed, d)
            } else if reauth {
                let d = format!(
                    "server rejected the re-authentication of session {sess} on connection \
                     #{conn}: {status}"
                );
                (ProblemKind::LogonFailed, d)
            } else {
                let d =
                    format!("server rejected the logon of {account} (session {sess}): {status}");
                (ProblemKind::LogonFailed, d)
            };
            self.problem(pdu.last_frame, pdu.ts, Some(conn), kind, detail, false);
        }
        if reauth {
            return None;
        }

        let session = self.smb2_sessions.get_mut(&sref).expect("inserted above");
        let derived = match (&outcome.session_key, dialect) {
            (Some(key), Some(d)) if status == STATUS_SUCCESS => {
                let preauth = (d == Dialect::Smb311).then_some(&setup.preauth);
                if setup.binding {
                    keys::signing_key(d, key.as_bytes(), preauth)
                        .ok()
                        .map(|k| (None, Some(k)))
                } else {
                    keys::derive(d, key.as_bytes(), cipher, preauth)
                        .ok()
                        .map(|k| (Some(k), None))
                }
            }
            _ => None,
        };
        match derived {
            Some((Some(session_keys), _)) => {
                session.keys = Some(session_keys);
                session.session_key = outcome.session_key.clone();
                None
            }
            Some((None, Some(channel))) => {
                let logon_frame = pdu.last_frame;
                let key = ChannelKey {
                    key: channel,
                    logon_frame,
                };
                session.channel_keys.insert(conn, key);
                None
            }
            // A refused binding is answered under the key the server checked the request
            // with (smbd_smb2_signing_key): the session's, or the channel's own when the
            // connection was bound already.
            _ if setup.binding && status != STATUS_SUCCESS => None,
            // A channel bound with a logon that could not be replayed signs with a key
            // of its own, unknown here.
            _ if setup.binding => {
                session.unkeyed_channels.insert(conn);
                Some(KeyChoice::None)
            }
            _ => Some(KeyChoice::None),
        }
    }
}

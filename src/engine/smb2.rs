//! SMB2/3: negotiate, session setup (with multichannel binding), key derivation and the
//! signature check of every element of every compound.

use dissectors::smb2::{
    self, Body, COMMAND_CANCEL, COMMAND_NEGOTIATE, COMMAND_SESSION_SETUP, Compound, Element,
    NegotiateContextData,
};
use dissectors::status::{STATUS_MORE_PROCESSING_REQUIRED, STATUS_SUCCESS};

use super::state::{ChannelKey, MAX_PENDING_SIGNATURES, Setup, SigningChoice, Smb2Session};
use super::{Engine, Judged, Sealed, Sink, auth, damaged};
use crate::crypto::keys::{self, Cipher, Dialect, PreauthHash};
use crate::crypto::sign::{self, SMB2_HEADER_LEN, SigningAlgorithm};
use crate::flow::Pdu;
use crate::model::names::session_hex;
use crate::model::{Binding, Header, Protocol, Unverified, Verdict};

/// SESSION_SETUP responses remembered per connection as seen before their requests.
const MAX_EARLY_RESPONSES: usize = 16;

impl Engine {
    /// An SMB2 PDU (a single message or a compound chain). `decrypted` says how the
    /// transform it came out of, if any, was sealed.
    pub(super) fn smb2_pdu(
        &mut self,
        pdu: &Pdu,
        data: &[u8],
        decrypted: Option<Sealed>,
        sink: &mut Sink,
    ) {
        let mut previous_session = 0;
        // Bytes not captured are known by offset in the PDU's own bytes only.
        let own_bytes = std::ptr::eq(data, pdu.data.as_slice());
        let mut next_offset = 0;
        for element in Compound::new(data) {
            // An element whose header was not all captured is zeros, whether they parse or not.
            if own_bytes && !pdu.captured_to(next_offset + SMB2_HEADER_LEN) {
                self.header_not_captured(pdu, "SMB2", next_offset);
                break;
            }
            match element {
                Ok(mut el) => {
                    next_offset = el.offset + el.bytes.len();
                    // A related element may name its session as "the previous element's"
                    // (MS-SMB2 3.2.4.1.4); the bytes, and so the signature, keep 0xFF..FF.
                    let h = &mut el.header;
                    if h.is_related() && h.session_id == u64::MAX {
                        h.session_id = previous_session;
                    }
                    previous_session = h.session_id;
                    self.smb2_element(pdu, &el, decrypted, sink)
                }
                Err(e) => {
                    let damage = match pdu.damage {
                        Some(d) => format!(" (bytes of this PDU were {})", super::damage_name(d)),
                        None => String::new(),
                    };
                    self.problem(
                        pdu.last_frame,
                        pdu.ts,
                        Some(pdu.conn),
                        "malformed",
                        format!("SMB2 compound: {e}{damage}"),
                        false,
                    );
                    break;
                }
            }
        }
    }

    fn smb2_element(
        &mut self,
        pdu: &Pdu,
        el: &Element,
        decrypted: Option<Sealed>,
        sink: &mut Sink,
    ) {
        let h = &el.header;
        let mut msg = self.message(
            pdu,
            Protocol::Smb2,
            h.command,
            h.is_response(),
            h.session_id,
            h.message_id,
            h.status,
        );
        self.settle_before(pdu.conn, Some(el), sink);
        let body = smb2::parse_body(h, el.bytes).ok();
        msg.header = Some(Header::Smb2(h.into()));
        self.pair_smb2(&mut msg, h, body.as_ref());
        // State changes that the signature check depends on come first: the final
        // SESSION_SETUP response is signed with the key it establishes.
        match (h.command, &body) {
            (COMMAND_NEGOTIATE, Some(Body::NegotiateRequest(req))) => {
                let c = &mut self.conns[pdu.conn as usize];
                c.preauth = PreauthHash::new();
                c.preauth.update(el.bytes);
                c.preauth_started = pdu.damage.is_none();
                c.info.client_guid = Some(dissectors::guid_string(&req.client_guid));
                c.validation.negotiate_request(req, pdu.damage.is_some());
                // A NEGOTIATE not all captured (zeros for lost bytes) shows no setting.
                if req.security_mode & smb2::NEGOTIATE_SIGNING_REQUIRED == 0 && pdu.damage.is_none()
                {
                    let kind = "signing-not-required";
                    self.posture.note(kind, pdu.last_frame, pdu.conn, "client");
                }
            }
            (COMMAND_NEGOTIATE, Some(Body::NegotiateResponse(resp))) => {
                self.negotiated(pdu, el.bytes, resp)
            }
            (COMMAND_SESSION_SETUP, Some(Body::SessionSetupRequest(req))) => {
                self.setup_request(pdu, el, req.is_binding(), req.security_buffer)
            }
            _ => {}
        }
        let judged = if let Some(sealed) = decrypted {
            msg.encrypted = true;
            let mut judged = Judged::new(Verdict::Valid, Some(sealed.cipher));
            judged.key = sealed.key;
            judged
        } else if h.command == COMMAND_SESSION_SETUP && h.is_response() {
            let blob = match &body {
                Some(Body::SessionSetupResponse(r)) => Some((r.security_buffer, r.session_flags)),
                _ => None,
            };
            let judged = self.setup_response(pdu, el, blob);
            msg.logon = self.last_logon.take().map(Box::new);
            judged
        } else {
            self.judge(pdu, el, None)
        };
        if h.command == COMMAND_SESSION_SETUP && !h.is_response() {
            let c = &mut self.conns[pdu.conn as usize];
            if let Some(s) = c.setups.iter_mut().find(|s| s.last_request == h.message_id) {
                s.request_verdict = Some(judged.verdict);
            }
        }
        if decrypted.is_none() {
            self.smb2_findings(pdu, el, judged.verdict);
            self.clear_when_encrypted(pdu, h);
        }
        if let Some(Body::TreeConnectResponse(t)) = &body
            && h.status == STATUS_SUCCESS
            && t.share_flags & smb2::SHAREFLAG_ENCRYPT_DATA != 0
            && let Some(tree) = h.tree_id()
            && self.posture.encrypted_trees.len() < super::security::MAX_ENCRYPTED
        {
            self.posture.encrypted_trees.insert((pdu.conn, tree));
        }
        self.track_logoff(pdu, h, judged.verdict);
        self.observe_smb2(pdu, el, body.as_ref());
        self.observe_validation(pdu, h, body.as_ref());
        self.emit(msg, judged, el.bytes, sink);
    }

    /// A message in clear on a share or session that asks for encryption: the Security
    /// section's `unencrypted-share`.
    fn clear_when_encrypted(&mut self, pdu: &Pdu, h: &smb2::Header) {
        if h.command == COMMAND_NEGOTIATE
            || h.command == COMMAND_SESSION_SETUP
            || h.is_interim()
            || h.is_unsolicited()
        {
            return;
        }
        let sref = self.session_ref(pdu.conn, h.session_id);
        let session = self.posture.encrypted_sessions.contains(&sref);
        let share = h
            .tree_id()
            .is_some_and(|t| self.posture.encrypted_trees.contains(&(pdu.conn, t)));
        if !session && !share {
            return;
        }
        let user = self
            .smb2_session(pdu.conn, h.session_id)
            .and_then(|s| super::security::user_of(&s.info));
        let variant = if share { "share" } else { "session" };
        self.posture.note_session(
            "unencrypted-share",
            pdu.last_frame,
            pdu.conn,
            Some(h.session_id),
            user,
            variant,
        );
    }

    /// A successful LOGOFF ends the session on every channel (MS-SMB2 3.3.5.6); a client
    /// may still sign requests with its key after it, which the server answers with echoes.
    fn track_logoff(&mut self, pdu: &Pdu, h: &smb2::Header, verdict: Verdict) {
        let conn = pdu.conn;
        let Some(session) = self.smb2_session_mut(conn, h.session_id) else {
            return;
        };
        if h.command == smb2::COMMAND_LOGOFF && h.is_response() && h.status == STATUS_SUCCESS {
            session.logged_off = Some(pdu.last_frame);
            session.info.logged_off = Some(pdu.last_frame);
            return;
        }
        let Some(logoff) = session.logged_off else {
            return;
        };
        if h.is_response() || verdict != Verdict::Valid || session.signed_after_logoff {
            return;
        }
        session.signed_after_logoff = true;
        let detail = format!(
            "requests of session {} after its LOGOFF (frame {logoff}) are still signed with \
             its key, from frame {}: the server no longer holds the session and answers with \
             echoes of their signatures",
            session_hex(h.session_id),
            pdu.last_frame
        );
        self.problem(
            pdu.last_frame,
            pdu.ts,
            Some(conn),
            "signed-after-logoff",
            detail,
            false,
        );
    }

    fn negotiated(&mut self, pdu: &Pdu, bytes: &[u8], resp: &smb2::NegotiateResponse) {
        let c = &mut self.conns[pdu.conn as usize];
        c.validation.negotiate_response(resp, pdu.damage.is_some());
        c.preauth.update(bytes);
        // Not all captured: zeros went into the 3.1.1 preauth hash, so no key may come of it.
        c.preauth_started &= pdu.damage.is_none();
        c.dialect = Dialect::from_wire(resp.dialect_revision);
        c.info.dialect = Some(match c.dialect {
            Some(d) => d.name().to_string(),
            // An unknown dialect shows its value.
            None => format!("0x{:04x}", resp.dialect_revision),
        });
        c.info.server_guid = Some(dissectors::guid_string(&resp.server_guid));
        c.info.signing_required = resp.security_mode & smb2::NEGOTIATE_SIGNING_REQUIRED != 0;
        if !c.info.signing_required && pdu.damage.is_none() {
            let kind = "signing-not-required";
            self.posture.note(kind, pdu.last_frame, pdu.conn, "server");
        }
        c.signing = c.dialect.map(SigningAlgorithm::for_dialect);
        for ctx in resp.contexts.flatten().filter_map(|c| c.parse().ok()) {
            match ctx {
                NegotiateContextData::Signing { algorithms } => {
                    c.signing = algorithms
                        .into_iter()
                        .next()
                        .and_then(SigningAlgorithm::from_signing_capabilities)
                        .or(c.signing);
                }
                NegotiateContextData::Encryption { ciphers } => {
                    c.cipher = ciphers.into_iter().next().and_then(Cipher::from_wire);
                }
                _ => {}
            }
        }
        if c.cipher.is_none()
            && c.dialect
                .is_some_and(|d| d.is_smb3() && d < Dialect::Smb311)
        {
            // 3.0 and 3.0.2 have one cipher (MS-SMB2 3.1.4.3).
            c.cipher = Some(Cipher::Aes128Ccm);
        }
        if pdu.damage.is_some() && c.dialect == Some(Dialect::Smb311) {
            // The signing and cipher contexts may be what was cut: zeros read as "no
            // context" would mean AES-CMAC.
            c.signing = None;
            c.cipher = None;
        }
        c.info.signing_algorithm = c.signing.map(SigningAlgorithm::name);
        c.info.cipher = c.cipher.map(Cipher::name);
    }

    fn setup_request(&mut self, pdu: &Pdu, el: &Element, binding: bool, blob: &[u8]) {
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
    fn bind_across_endpoints(&mut self, conn: super::ConnId, session_id: u64) {
        let own = self.session_ref(conn, session_id);
        if self.smb2_sessions.contains_key(&own) {
            return;
        }
        let guid_of = |c: super::ConnId| {
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
    fn setup_response(&mut self, pdu: &Pdu, el: &Element, blob: Option<(&[u8], u16)>) -> Judged {
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
    fn conclude_unanswered_setup(&mut self, pdu: &Pdu, session_id: u64) {
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
            "setup-unanswered",
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
        let outcome = auth::replay_exchange(&setup.auth, &self.secrets, &self.kdc, known.as_ref());
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
            session.info.auth = outcome.auth.clone();
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
                session.info.auth = Some("guest".into());
            } else if flags & smb2::SESSION_FLAG_IS_NULL != 0 {
                session.info.auth = Some("anonymous".into());
            }
            if status == STATUS_SUCCESS
                && flags & smb2::SESSION_FLAG_ENCRYPT_DATA != 0
                && self.posture.encrypted_sessions.len() < super::security::MAX_ENCRYPTED
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
            session.info.auth = outcome.auth.clone();
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
                "password-mismatch",
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
            self.problem(frame, pdu.ts, Some(conn), "not-replayed", detail, false);
        }
        if status != STATUS_SUCCESS {
            let status = crate::model::names::status_text(status);
            let sess = session_hex(session_id);
            let (kind, detail) = if setup.binding {
                let d = format!(
                    "server refused to bind connection #{conn} to session {sess}: {status}"
                );
                ("binding-failed", d)
            } else if reauth {
                let d = format!(
                    "server rejected the re-authentication of session {sess} on connection \
                     #{conn}: {status}"
                );
                ("logon-failed", d)
            } else {
                let d =
                    format!("server rejected the logon of {account} (session {sess}): {status}");
                ("logon-failed", d)
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

    /// Checks an element's signature with the key its session and connection call for.
    fn judge(&mut self, pdu: &Pdu, el: &Element, choice: Option<KeyChoice>) -> Judged {
        let h = &el.header;
        if !h.is_signed() {
            return Judged::new(Verdict::Unsigned, None);
        }
        // A binding whose final response was not seen: the channel signs with its own key.
        let binding_pending = self.conns[pdu.conn as usize]
            .setups
            .iter()
            .any(|s| s.binding && s.session_id == h.session_id);
        if h.command != COMMAND_SESSION_SETUP
            && (binding_pending
                || self
                    .smb2_session(pdu.conn, h.session_id)
                    .is_none_or(|s| !s.has_key_on(pdu.conn)))
        {
            self.conclude_unanswered_setup(pdu, h.session_id);
        }
        let echo = self.echoes_request(pdu.conn, h);
        let conn = &self.conns[pdu.conn as usize];
        let session = self.smb2_session(pdu.conn, h.session_id);
        // Without this connection's NEGOTIATE response: the session's dialect tells the
        // algorithm, except in 3.1.1 where the connection's SIGNING_CAPABILITIES decide.
        let conn_alg = conn.signing.or_else(|| {
            session
                .and_then(|s| s.dialect)
                .filter(|d| *d != Dialect::Smb311)
                .map(SigningAlgorithm::for_dialect)
        });
        if let Some(v) = damaged(pdu.damage) {
            return Judged::new(v, conn_alg.map(SigningAlgorithm::name));
        }
        if echo {
            return Judged::new(Verdict::Unverified(Unverified::Echo), None);
        }
        // The server checks a request, and signs its answer, with the key of the
        // connection's channel; on a connection that is not (yet) one of the session's
        // channels, with the session's key under the session's algorithm: a binding, its
        // interim and error responses, a logon the server turns down there (MS-SMB2
        // 3.3.5.2.4, 3.3.5.5.3; Samba's smbd_smb2_signing_key, and the algorithm kept with
        // the key: libcli/smb/smb2_signing.c).
        let channel = session.is_some_and(|s| s.is_channel(pdu.conn));
        let choice = choice.unwrap_or(if h.command == COMMAND_SESSION_SETUP && !channel {
            KeyChoice::Session
        } else {
            KeyChoice::Channel
        });
        let picked: Option<SigningChoice> = match choice {
            KeyChoice::None => None,
            KeyChoice::Session => session.and_then(|s| s.session_choice(None)),
            KeyChoice::Channel => session.and_then(|s| s.channel_choice(pdu.conn, conn_alg)),
        };
        // A request of the session on a connection that is none of its channels (a client
        // that kept using a session there after a reconnect or a failed bind): the server
        // holds no key for it there. It is valid if the session's key verifies it; no other
        // key is known to be the right one, so a mismatch proves nothing.
        let stray = choice == KeyChoice::Channel && picked.is_none() && !channel;
        let picked = match (stray, session) {
            (true, Some(s)) => s.session_choice(None).map(|c| (c, true)),
            _ => picked.map(|c| (c, false)),
        };
        let Some((
            SigningChoice {
                key,
                algorithm: alg,
                used,
            },
            tentative,
        )) = picked
        else {
            let has_key = match choice {
                KeyChoice::None => false,
                KeyChoice::Session => session.is_some_and(|s| s.keys.is_some()),
                KeyChoice::Channel => session.is_some_and(|s| s.has_key_on(pdu.conn)),
            };
            return Judged::new(
                Verdict::Unverified(if !has_key {
                    Unverified::NoKey
                } else if conn.lost_bytes {
                    Unverified::LostBytes
                } else {
                    Unverified::Unsupported
                }),
                conn_alg.map(SigningAlgorithm::name),
            );
        };
        if h.command != COMMAND_SESSION_SETUP && !tentative {
            if let Some(pending) = self.defer_check(el, &key, alg) {
                // Valid or invalid: signed either way, which is all that is read of it
                // before the check is back.
                let mut judged = Judged::new(Verdict::Valid, Some(SigningAlgorithm::name(alg)));
                judged.key = Some(used);
                judged.pending = Some(pending);
                return judged;
            }
        }
        // The element's bytes run on into the PDU's tail when they end its first bytes.
        let outcome = match crate::slices::range_in(&pdu.data, el.bytes) {
            Some(range) => super::verify_pool::verify(alg, &key, pdu, range),
            None => sign::smb2_verify(alg, &key, el.bytes),
        };
        let mut judged = match outcome {
            Ok(true) => Judged::new(Verdict::Valid, Some(SigningAlgorithm::name(alg))),
            Ok(false) if tentative => {
                return Judged::new(Verdict::Unverified(Unverified::NoKey), None);
            }
            Ok(false) => Judged::new(Verdict::Invalid, Some(SigningAlgorithm::name(alg))),
            Err(_) => return Judged::new(Verdict::Unverified(Unverified::Truncated), None),
        };
        judged.key = Some(used);
        if judged.verdict == Verdict::Invalid {
            judged.diagnosis = self.diagnosis_in(pdu.conn, pdu, el, &key, alg);
        }
        judged
    }

    /// Remembers a signed request's signature until its final response, and tells whether
    /// a signed response carries its request's signature unchanged: an echo, which no key
    /// verifies (the server held no session to sign with).
    fn echoes_request(&mut self, conn: super::ConnId, h: &smb2::Header) -> bool {
        let pending = &mut self.conns[conn as usize].request_signatures;
        if !h.is_response() {
            // A CANCEL reuses the MessageId of the request it cancels (MS-SMB2 3.2.4.24).
            if h.is_signed() && h.command != COMMAND_CANCEL && h.signature != [0; 16] {
                if pending.len() >= MAX_PENDING_SIGNATURES {
                    pending.pop_first();
                }
                pending.insert(h.message_id, h.signature);
            }
            return false;
        }
        let carried = if h.is_interim() {
            pending.get(&h.message_id).copied()
        } else {
            pending.remove(&h.message_id)
        };
        h.is_signed() && carried == Some(h.signature)
    }
}

/// Which of a session's keys checks a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyChoice {
    /// None could be derived.
    None,
    /// The session's signing key under the session's algorithm (binding exchanges, and
    /// logons the server refuses on a connection that is not one of the session's channels).
    Session,
    /// The connection's channel key, or the session's key on its first channel.
    Channel,
}

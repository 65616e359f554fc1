//! SMB2/3: negotiate, session setup (with multichannel binding), key derivation and the
//! signature check of every element of every compound.

mod judge;
mod setup;

use dissectors::smb2::{
    self, Body, COMMAND_NEGOTIATE, COMMAND_SESSION_SETUP, Compound, Element, NegotiateContextData,
};
use dissectors::status::STATUS_SUCCESS;

use super::{Engine, Judged, Sealed, Sink};
use crate::crypto::keys::{Cipher, Dialect, PreauthHash};
use crate::crypto::sign::{SMB2_HEADER_LEN, SigningAlgorithm};
use crate::flow::Pdu;
use crate::model::names::session_hex;
use crate::model::{Header, Protocol, Verdict};
use crate::model::{ProblemKind, SecurityKind, SecurityVariant};

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
                        ProblemKind::Malformed,
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
                    let kind = SecurityKind::SigningNotRequired;
                    self.posture
                        .note(kind, pdu.last_frame, pdu.conn, SecurityVariant::Client);
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
        let variant = if share {
            SecurityVariant::Share
        } else {
            SecurityVariant::Session
        };
        self.posture.note_session(
            SecurityKind::UnencryptedShare,
            pdu.last_frame,
            pdu.conn,
            Some(h.session_id),
            user,
            Some(variant),
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
            ProblemKind::SignedAfterLogoff,
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
        // The wildcard answers an SMB1 multi-protocol NEGOTIATE: an SMB2 one follows
        // (MS-SMB2 2.2.4, 3.3.5.3.1).
        c.unknown_dialect = (c.dialect.is_none()
            && resp.dialect_revision != smb2::DIALECT_WILDCARD)
            .then_some(resp.dialect_revision);
        if let Some(value) = c.unknown_dialect {
            let detail = format!(
                "the NEGOTIATE response on connection #{} names dialect 0x{value:04x}, which \
                 is none of 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1 (MS-SMB2 2.2.4): the connection's \
                 keys and signing algorithm cannot be known, its signed messages are not \
                 verified",
                pdu.conn
            );
            let (frame, ts, conn) = (pdu.last_frame, pdu.ts, pdu.conn);
            self.problem(
                frame,
                ts,
                Some(conn),
                ProblemKind::UnknownDialect,
                detail,
                false,
            );
        }
        let c = &mut self.conns[pdu.conn as usize];
        c.info.server_guid = Some(dissectors::guid_string(&resp.server_guid));
        c.info.signing_required = resp.security_mode & smb2::NEGOTIATE_SIGNING_REQUIRED != 0;
        if !c.info.signing_required && pdu.damage.is_none() {
            let kind = SecurityKind::SigningNotRequired;
            self.posture
                .note(kind, pdu.last_frame, pdu.conn, SecurityVariant::Server);
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

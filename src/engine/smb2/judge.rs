//! The signature check of one SMB2 element with the key its session and connection call
//! for (MS-SMB2 3.2.4.1.1, 3.3.4.1.1, 3.3.5.2.4), and echoed signatures.

use dissectors::smb2::{self, COMMAND_CANCEL, COMMAND_SESSION_SETUP, Element};

use super::super::state::{MAX_PENDING_SIGNATURES, SigningChoice};
use super::super::{Engine, Judged, damaged};
use super::KeyChoice;
use crate::crypto::keys::Dialect;
use crate::crypto::sign::{self, SigningAlgorithm};
use crate::flow::Pdu;
use crate::model::{Unverified, Verdict};

impl Engine {
    /// Checks an element's signature with the key its session and connection call for.
    pub(super) fn judge(&mut self, pdu: &Pdu, el: &Element, choice: Option<KeyChoice>) -> Judged {
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
        if conn.unknown_dialect.is_some() {
            // Neither the keys nor the algorithm of a dialect not known here.
            return Judged::new(Verdict::Unverified(Unverified::Unsupported), None);
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
            Some(range) => crate::engine::verify_pool::verify(alg, &key, pdu, range),
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
    fn echoes_request(&mut self, conn: crate::flow::ConnId, h: &smb2::Header) -> bool {
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

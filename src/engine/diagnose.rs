//! Diagnosis of an invalid signature: the likely mistakes a client or server makes, each
//! tried in turn; the first that reproduces the carried signature is named. Users who debug
//! an implementation need this line more than the verdict itself.

use dissectors::smb2::Element;

use super::Engine;
use crate::auth::credentials::{Key16, SecretBytes};
use crate::crypto::sign::{self, SMB1_PLACEHOLDER, SigningAlgorithm};
use crate::flow::{ConnId, Pdu};
use crate::model::names::session_hex;

/// How many other sessions' keys are tried (a bound on the work one bad message costs).
const MAX_OTHER_SESSIONS: usize = 256;
/// SMB1 sequence numbers tried on either side of the expected one.
const SEQ_WINDOW: i64 = 8;

const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::HmacSha256,
    SigningAlgorithm::AesCmac,
    SigningAlgorithm::AesGmac,
];

impl Engine {
    /// `key` and `alg` are what the check used and found wrong.
    pub(super) fn smb2_diagnosis(
        &self,
        conn: ConnId,
        pdu_data: &[u8],
        el: &Element,
        key: &Key16,
        alg: SigningAlgorithm,
    ) -> Option<String> {
        let h = &el.header;
        if h.signature == [0; 16] {
            return Some("the signature field is zeros: flagged as signed but not signed".into());
        }
        let matches = |k: &Key16, a: SigningAlgorithm, bytes: &[u8]| {
            sign::smb2_verify(a, k, bytes).unwrap_or(false)
        };
        if let Some(session) = self.smb2_session(conn, h.session_id) {
            let first = session.keys.as_ref().map(|k| &k.signing);
            if let Some(first) = first.filter(|f| f.as_bytes() != key.as_bytes()) {
                if matches(first, alg, el.bytes) {
                    return Some(format!(
                        "reproduced with the session's first signing key instead of the channel key of connection #{}",
                        conn
                    ));
                }
                let session_alg = session.algorithm.filter(|a| *a != alg);
                if let Some(a) = session_alg.filter(|a| matches(first, *a, el.bytes)) {
                    return Some(format!(
                        "reproduced with the session's signing key under {a} (the session's \
                         algorithm) instead of the channel key of connection #{conn} under {alg}"
                    ));
                }
            }
            for (other, channel) in &session.channel_keys {
                if *other != conn && matches(&channel.key, alg, el.bytes) {
                    return Some(format!(
                        "reproduced with the channel key of connection #{other} instead of this connection's"
                    ));
                }
            }
        }
        for other in ALGORITHMS.into_iter().filter(|a| *a != alg) {
            if matches(key, other, el.bytes) {
                return Some(format!("reproduced with {other}, not the negotiated {alg}"));
            }
        }
        let rest = pdu_data.get(el.offset..).unwrap_or(&[]);
        if rest.len() > el.bytes.len() && matches(key, alg, rest) {
            return Some(format!(
                "reproduced over the rest of the compound ({} bytes) instead of this element ({} bytes)",
                rest.len(),
                el.bytes.len()
            ));
        }
        let own = self.session_ref(conn, h.session_id);
        let others = self
            .smb2_sessions
            .iter()
            .filter(|(r, _)| **r != own)
            .take(MAX_OTHER_SESSIONS);
        for ((_, id), other) in others {
            if other
                .keys
                .as_ref()
                .is_some_and(|k| matches(&k.signing, alg, el.bytes))
            {
                return Some(format!(
                    "reproduced with the signing key of session {}",
                    session_hex(*id)
                ));
            }
        }
        None
    }

    /// `seq` is the sequence number the check expected.
    pub(super) fn smb1_diagnosis(
        &self,
        pdu: &Pdu,
        message: &[u8],
        signature: &[u8; 8],
        key: &SecretBytes,
        seq: u32,
    ) -> Option<String> {
        if *signature == SMB1_PLACEHOLDER {
            return Some(
                "placeholder: the server did not sign (\"BSRSPYL \" where the MAC belongs, \
                 though signing was required and the logon gave a key)"
                    .into(),
            );
        }
        if *signature == [0; 8] {
            return Some("zeros where the MAC belongs: the sender did not sign".into());
        }
        for k in (-SEQ_WINDOW..=SEQ_WINDOW).filter(|k| *k != 0) {
            let candidate = (i64::from(seq) + k) as u32;
            if sign::smb1_verify(key, message, candidate).unwrap_or(false) {
                return Some(format!(
                    "reproduced with sequence number {candidate}, expected {seq} (off by {k:+})"
                ));
            }
        }
        for (index, conn) in self.conns.iter().enumerate() {
            let Some(other) = conn.smb1.mac_key.as_ref() else {
                continue;
            };
            if index != pdu.conn as usize && sign::smb1_verify(other, message, seq).unwrap_or(false)
            {
                return Some(format!(
                    "reproduced with the MAC key of connection #{index}"
                ));
            }
        }
        None
    }
}

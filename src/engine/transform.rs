//! Encrypted messages (MS-SMB2 2.2.41 TRANSFORM_HEADER, 3.2.5.1.1.1): the AEAD tag is the
//! verdict; the plaintext (one message or a compound) is analysed like clear traffic.

use dissectors::transform::{self, TransformHeader};

use super::{Engine, Judged, Sealed, Sink, damaged};
use crate::auth::SecretBytes;
use crate::crypto::keys::Cipher;
use crate::crypto::seal;
use crate::flow::{Direction, Pdu};
use crate::model::ProblemKind;
use crate::model::{Header, KeyUsed, Protocol, Unverified, Verdict};

/// The key that seals one direction of a session, and the cipher if the NEGOTIATE told it.
struct SealingKey {
    key: SecretBytes,
    cipher: Option<Cipher>,
    /// The session's key from its logon; None for cipher keys given with `--keys`.
    used: Option<KeyUsed>,
}

impl SealingKey {
    /// The ciphers to try: the negotiated one, or without a captured NEGOTIATE both ciphers
    /// of the key's length (the tag tells which one it was).
    fn candidates(&self) -> Vec<Cipher> {
        match (self.cipher, self.key.len()) {
            (Some(c), _) => vec![c],
            (None, 32) => vec![Cipher::Aes256Gcm, Cipher::Aes256Ccm],
            (None, _) => vec![Cipher::Aes128Gcm, Cipher::Aes128Ccm],
        }
    }
}

impl Engine {
    pub(super) fn transform(&mut self, pdu: &Pdu, sink: &mut Sink) {
        let Ok((_, th)) = transform::parse_transform(&pdu.data) else {
            self.problem(
                pdu.last_frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::Malformed,
                "SMB3 transform header cut short".into(),
                false,
            );
            return;
        };
        let mut msg = self.message(pdu, Protocol::Transform, 0, false, th.session_id, 0, 0);
        msg.header = Some(Header::Transform((&th).into()));
        let negotiated = self.conns[pdu.conn as usize].cipher;
        let sealing = self.sealing_key(pdu.conn, &th, pdu.dir, negotiated);
        let unopened = if let Some(v) = damaged(pdu.damage) {
            Some(v)
        } else if sealing.is_none() {
            Some(Verdict::Unverified(Unverified::NoKey))
        } else {
            None
        };
        if let Some(v) = unopened {
            self.count_transform(pdu.conn, th.session_id, false);
            let judged = Judged::new(v, negotiated.map(Cipher::name));
            return self.emit(msg, judged, &pdu.data, sink);
        }
        let sealing = sealing.expect("checked above");
        let candidates = sealing.candidates();
        let opened = candidates.iter().find_map(|&cipher| {
            let plain = seal::decrypt(
                cipher,
                sealing.key.as_bytes(),
                th.aad,
                &th.nonce,
                th.ciphertext,
                &th.signature,
            );
            plain.ok().map(|p| (cipher, p))
        });
        self.count_transform(pdu.conn, th.session_id, opened.is_some());
        match opened {
            Some((cipher, plain)) => {
                let sealed = Some(Sealed {
                    cipher: Cipher::name(cipher),
                    key: sealing.used,
                });
                if plain.starts_with(b"\xfcSMB") {
                    // Compressed before it was encrypted (MS-SMB2 3.1.4.4).
                    self.compressed(pdu, &plain, sealed, sink);
                } else if plain.starts_with(b"\xfeSMB") {
                    self.smb2_pdu(pdu, &plain, sealed, sink);
                } else {
                    let name = Cipher::name(cipher);
                    self.emit(
                        msg,
                        Judged::new(Verdict::Valid, Some(name)),
                        &pdu.data,
                        sink,
                    );
                }
                if self.keep_plaintext {
                    self.plaintext = Some(plain);
                }
            }
            None => {
                let names: Vec<&str> = candidates.iter().map(|&c| Cipher::name(c)).collect();
                let mut judged = Judged::new(Verdict::Invalid, Some(names[0]));
                judged.key = sealing.used;
                judged.diagnosis = Some(if sealing.cipher.is_some() {
                    "the AEAD tag does not verify: the message was changed or sealed with another key".into()
                } else {
                    format!(
                        "the AEAD tag verifies under neither {} (NEGOTIATE not captured): the \
                         message was changed or sealed with another key",
                        names.join(" nor ")
                    )
                });
                self.emit(msg, judged, &pdu.data, sink)
            }
        }
    }

    /// The key for this transform: derived from the session's authentication, else the
    /// cipher keys given with `--keys` (which also serve when the setup was not captured).
    fn sealing_key(
        &self,
        conn: crate::flow::ConnId,
        th: &TransformHeader,
        dir: Direction,
        negotiated: Option<Cipher>,
    ) -> Option<SealingKey> {
        let to_server = dir == Direction::ToServer;
        let session = self.smb2_session(conn, th.session_id);
        let derived = session.and_then(|s| s.keys.as_ref()).and_then(|k| {
            if to_server {
                k.encryption_c2s.clone()
            } else {
                k.decryption_s2c.clone()
            }
        });
        let used = session.map(|s| KeyUsed::Cipher {
            logon_frame: s.logon_frame,
        });
        let given = || {
            self.secrets
                .session_keys
                .iter()
                .filter(|k| k.session_id == th.session_id)
                .find_map(|k| k.cipher_keys.as_ref())
                .map(|k| if to_server { &k.c2s } else { &k.s2c }.clone())
        };
        match derived {
            Some(key) => negotiated.map(|cipher| SealingKey {
                key,
                cipher: Some(cipher),
                used,
            }),
            None => given().map(|key| SealingKey {
                key,
                cipher: negotiated,
                used: None,
            }),
        }
    }

    /// Counts a transform in the summary and its session's counts.
    fn count_transform(&mut self, conn: crate::flow::ConnId, session_id: u64, decrypted: bool) {
        self.analysis.summary.add_transform(decrypted);
        if let Some(s) = self.smb2_session_mut(conn, session_id) {
            s.info.counts.add_transform(decrypted);
        }
    }

    /// The plaintext of the last transform handled, if it decrypted and the engine was asked
    /// to keep it (`EngineConfig::keep_plaintext`, for `--decrypted-out`).
    pub fn take_plaintext(&mut self) -> Option<Vec<u8>> {
        self.plaintext.take()
    }
}

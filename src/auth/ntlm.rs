//! NTLM replay (MS-NLMP): recompute the client's response from the password's NT hash,
//! compare it with the captured one, and only then derive SessionBaseKey, KeyExchangeKey and
//! ExportedSessionKey. Plain inputs only; the engine pulls them out of the messages.
//!
//! SMB1 without extended security (raw NTLM in SESSION_SETUP_ANDX) uses no NTLMSSP flags: fill
//! [`AuthExchange`] with `flags: 0` and the NEGOTIATE response's challenge, then build the MAC
//! key with [`smb1_raw_mac_key`].

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use rc4::{Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::credentials::{Key16, LmHash, NtHash, SecretBytes, des_encrypt7};

/// NegotiateFlags bits used here (MS-NLMP 2.2.2.5).
pub mod flags {
    pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
    pub const NEGOTIATE_56: u32 = 0x8000_0000;
    pub const NEGOTIATE_128: u32 = 0x2000_0000;
    pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
    pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
}

/// What the AUTHENTICATE message (and the CHALLENGE before it) says, as plain values.
#[derive(Debug, Clone, Copy)]
pub struct AuthExchange<'a> {
    /// NegotiateFlags of the AUTHENTICATE message.
    pub flags: u32,
    pub server_challenge: [u8; 8],
    pub lm_response: &'a [u8],
    pub nt_response: &'a [u8],
    pub user: &'a str,
    pub domain: &'a str,
    pub encrypted_random_session_key: &'a [u8],
}

/// The kind of NTLM response the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Anonymous,
    NtlmV1,
    /// NTLMv1 with extended session security, the "NTLM2 session response" (MS-NLMP 3.3.1).
    NtlmV1Ess,
    NtlmV2,
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthKind::Anonymous => "anonymous",
            AuthKind::NtlmV1 => "NTLMv1",
            AuthKind::NtlmV1Ess => "NTLMv1-ESS",
            AuthKind::NtlmV2 => "NTLMv2",
        })
    }
}

/// Keys of a replayed authentication whose password check succeeded.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub kind: AuthKind,
    pub session_base_key: Key16,
    pub key_exchange_key: Key16,
    /// The key SMB uses as its session key (MS-NLMP 3.2.5.1.2, MS-SMB2 3.2.5.3.1).
    pub exported_session_key: Key16,
}

/// Why no key came out of a replay. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("anonymous logon: no session key")]
    Anonymous,
    #[error("password does not match ({0} response)")]
    PasswordMismatch(AuthKind),
    #[error("LM response without NT response is not supported")]
    LmOnly,
    #[error("malformed NTLM response: {0}")]
    Malformed(&'static str),
    #[error(
        "the key exchange key needs the LM hash (NEGOTIATE_LM_KEY or REQUEST_NON_NT_SESSION_KEY), which a hash or long password does not give"
    )]
    NeedLmHash,
    #[error("KEY_EXCH with an EncryptedRandomSessionKey of {0} bytes (expected 16)")]
    BadEncryptedKey(usize),
}

/// Which response the client sent, from the response lengths and flags (MS-NLMP 3.3).
pub fn classify(ex: &AuthExchange) -> Result<AuthKind, ReplayError> {
    let nt = ex.nt_response.len();
    let lm = ex.lm_response;
    // Anonymous: empty user and NT response, LM response empty or Z(1) (MS-NLMP 3.2.5.1.2).
    if nt == 0 && ex.user.is_empty() && (lm.is_empty() || lm == [0]) {
        return Ok(AuthKind::Anonymous);
    }
    match nt {
        0 => Err(ReplayError::LmOnly),
        24 if ex.flags & flags::NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 => {
            if lm.len() < 8 {
                return Err(ReplayError::Malformed(
                    "NTLM2 session response without a client challenge",
                ));
            }
            Ok(AuthKind::NtlmV1Ess)
        }
        24 => Ok(AuthKind::NtlmV1),
        // NTProofStr (16) + NTLMv2_CLIENT_CHALLENGE header (28, MS-NLMP 2.2.2.7).
        n if n >= 16 + 28 => Ok(AuthKind::NtlmV2),
        _ => Err(ReplayError::Malformed("NT response of unexpected length")),
    }
}

/// Replay the authentication with `nt_hash`; keys only if the recomputed response matches.
pub fn replay(
    ex: &AuthExchange,
    nt_hash: &NtHash,
    lm_hash: Option<&LmHash>,
) -> Result<Replayed, ReplayError> {
    let kind = classify(ex)?;
    let (session_base_key, key_exchange_key) = match kind {
        AuthKind::Anonymous => return Err(ReplayError::Anonymous),
        AuthKind::NtlmV1 | AuthKind::NtlmV1Ess => {
            let challenge = if kind == AuthKind::NtlmV1Ess {
                ess_challenge(&ex.server_challenge, &ex.lm_response[..8])
            } else {
                ex.server_challenge
            };
            if desl(nt_hash.as_bytes(), &challenge)[..] != ex.nt_response[..] {
                return Err(ReplayError::PasswordMismatch(kind));
            }
            // SessionBaseKey = MD4(NTOWFv1) (MS-NLMP 3.3.1).
            let base = Key16::new(Md4::digest(nt_hash.as_bytes()).into());
            let kx = kxkey_v1(ex, &base, lm_hash)?;
            (base, kx)
        }
        AuthKind::NtlmV2 => {
            let base = replay_v2(ex, nt_hash)?;
            // KXKEY = SessionBaseKey for NTLMv2 (MS-NLMP 3.4.5.1).
            (base.clone(), base)
        }
    };
    let exported_session_key = if ex.flags & flags::NEGOTIATE_KEY_EXCH != 0 {
        // ExportedSessionKey = RC4K(KeyExchangeKey, EncryptedRandomSessionKey)
        // (MS-NLMP 3.2.5.1.2).
        let enc: [u8; 16] = ex
            .encrypted_random_session_key
            .try_into()
            .map_err(|_| ReplayError::BadEncryptedKey(ex.encrypted_random_session_key.len()))?;
        let mut key = Zeroizing::new(enc);
        rc4(key_exchange_key.as_bytes(), &mut key[..]);
        Key16::new(*key)
    } else {
        key_exchange_key.clone()
    };
    Ok(Replayed {
        kind,
        session_base_key,
        key_exchange_key,
        exported_session_key,
    })
}

/// NTLMv2 (MS-NLMP 3.3.2): NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ temp),
/// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr). NTOWFv2 covers UPPER(user) ‖ domain; like
/// Samba's server (ntlm_password_check) the domain is tried as sent, uppercased, then empty,
/// because clients differ in the domain string they hash.
fn replay_v2(ex: &AuthExchange, nt_hash: &NtHash) -> Result<Key16, ReplayError> {
    let (proof, temp) = ex.nt_response.split_at(16);
    let upper = ex.domain.to_uppercase();
    let mut domains = vec![ex.domain, upper.as_str(), ""];
    domains.dedup();
    for domain in domains {
        let owf = ntowf_v2(nt_hash, ex.user, domain);
        let expected = hmac_md5(owf.as_bytes(), &[&ex.server_challenge, temp]);
        if expected[..] == proof[..] {
            return Ok(Key16::new(hmac_md5(owf.as_bytes(), &[proof])));
        }
    }
    Err(ReplayError::PasswordMismatch(AuthKind::NtlmV2))
}

/// NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(UPPER(user) ‖ domain)) (MS-NLMP 3.3.2).
pub fn ntowf_v2(nt_hash: &NtHash, user: &str, domain: &str) -> Key16 {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(nt_hash.as_bytes())
        .expect("HMAC takes any key length");
    for unit in upcase(user).encode_utf16().chain(domain.encode_utf16()) {
        mac.update(&unit.to_le_bytes());
    }
    Key16::new(mac.finalize().into_bytes().into())
}

/// Windows uppercases per UTF-16 unit and never expands a character ("ß" stays "ß"), so
/// keep a character whose uppercase is not a single character.
fn upcase(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// KXKEY for NTLMv1 (MS-NLMP 3.4.5.1).
fn kxkey_v1(
    ex: &AuthExchange,
    session_base_key: &Key16,
    lm_hash: Option<&LmHash>,
) -> Result<Key16, ReplayError> {
    let lm8 = || -> Result<[u8; 8], ReplayError> {
        ex.lm_response
            .get(..8)
            .and_then(|s| s.try_into().ok())
            .ok_or(ReplayError::Malformed("LM response shorter than 8 bytes"))
    };
    if ex.flags & flags::NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 {
        return Ok(Key16::new(hmac_md5(
            session_base_key.as_bytes(),
            &[&ex.server_challenge, &lm8()?],
        )));
    }
    if ex.flags & flags::NEGOTIATE_LM_KEY != 0 {
        let lm = lm_hash.ok_or(ReplayError::NeedLmHash)?.as_bytes();
        let lm8 = lm8()?;
        let mut key = Zeroizing::new([0u8; 16]);
        key[..8].copy_from_slice(&des_encrypt7(&lm[..7], &lm8));
        let second = [lm[7], 0xbd, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd];
        key[8..].copy_from_slice(&des_encrypt7(&second, &lm8));
        return Ok(Key16::new(*key));
    }
    if ex.flags & flags::REQUEST_NON_NT_SESSION_KEY != 0 {
        let lm = lm_hash.ok_or(ReplayError::NeedLmHash)?.as_bytes();
        let mut key = Zeroizing::new([0u8; 16]);
        key[..8].copy_from_slice(&lm[..8]);
        return Ok(Key16::new(*key));
    }
    Ok(session_base_key.clone())
}

/// MD5(ServerChallenge ‖ ClientChallenge)[0..8], the challenge DESL signs in the NTLM2
/// session response (MS-NLMP 3.3.1).
fn ess_challenge(server: &[u8; 8], client: &[u8]) -> [u8; 8] {
    let mut md5 = Md5::new();
    md5.update(server);
    md5.update(client);
    let digest = md5.finalize();
    digest[..8].try_into().expect("MD5 gives 16 bytes")
}

/// DESL(K, D) (MS-NLMP 6): three DES encryptions of D under K[0..7], K[7..14], K[14..16] ‖ Z(5).
pub fn desl(key: &[u8; 16], data: &[u8; 8]) -> [u8; 24] {
    let mut third = Zeroizing::new([0u8; 7]);
    third[..2].copy_from_slice(&key[14..]);
    let mut out = [0u8; 24];
    out[..8].copy_from_slice(&des_encrypt7(&key[..7], data));
    out[8..16].copy_from_slice(&des_encrypt7(&key[7..14], data));
    out[16..].copy_from_slice(&des_encrypt7(&third[..], data));
    out
}

fn rc4(key: &[u8; 16], data: &mut [u8]) {
    let mut cipher = Rc4::new_from_slice(key).expect("RC4 takes 16-byte keys");
    cipher.apply_keystream(data);
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SMB1 MAC key without extended security (MS-CIFS 3.2.5.3 "Activating Signing" and
/// 3.1.4.1): SigningSessionKey ‖ SigningChallengeResponse, i.e. the NT session key
/// ([`Replayed::session_base_key`]: MD4(NT hash) for NTLMv1, HMAC_MD5(NTOWFv2, NTProofStr)
/// for NTLMv2) followed by the whole NT response as sent (24 bytes for NTLMv1, the full
/// NTLMv2 response otherwise). Samba's client does the same
/// (`smb1cli_conn_activate_signing(session_key, nt_response)`).
pub fn smb1_raw_mac_key(session_base_key: &Key16, nt_response: &[u8]) -> SecretBytes {
    let mut key = Vec::with_capacity(16 + nt_response.len());
    key.extend_from_slice(session_base_key.as_bytes());
    key.extend_from_slice(nt_response);
    SecretBytes::new(key)
}

/// The AUTHENTICATE message's MIC (MS-NLMP 3.1.5.1.2): HMAC_MD5(ExportedSessionKey,
/// NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with the 16 MIC bytes at `mic_offset` zeroed).
/// `None` if the MIC field does not fit in `authenticate`.
pub fn mic(
    exported_session_key: &Key16,
    negotiate: &[u8],
    challenge: &[u8],
    authenticate: &[u8],
    mic_offset: usize,
) -> Option<[u8; 16]> {
    let end = mic_offset.checked_add(16)?;
    let after = authenticate.get(end..)?;
    Some(hmac_md5(
        exported_session_key.as_bytes(),
        &[
            negotiate,
            challenge,
            &authenticate[..mic_offset],
            &[0u8; 16],
            after,
        ],
    ))
}

/// The NTLMSSP message signature with extended session security (MS-NLMP 3.4.4.2) of
/// `message` under sequence number `seq`, as the first message signed in its direction:
/// Version 1 ‖ HMAC_MD5(SIGNKEY, SeqNum ‖ message)[0..8] ‖ SeqNum, the checksum RC4-sealed
/// with SEALKEY when the key was exchanged (NEGOTIATE_KEY_EXCH). `client`: the client's
/// keys (client-to-server), else the server's. SIGNKEY and SEALKEY are MS-NLMP 3.4.5.2,
/// 3.4.5.3. SPNEGO's mechListMIC is this over the DER mechTypes list, sequence number 0.
pub fn ess_signature(
    exported_session_key: &Key16,
    flags: u32,
    client: bool,
    seq: u32,
    message: &[u8],
) -> [u8; 16] {
    let (sign_magic, seal_magic): (&[u8], &[u8]) = if client {
        (
            b"session key to client-to-server signing key magic constant\0",
            b"session key to client-to-server sealing key magic constant\0",
        )
    } else {
        (
            b"session key to server-to-client signing key magic constant\0",
            b"session key to server-to-client sealing key magic constant\0",
        )
    };
    let esk = exported_session_key.as_bytes();
    let md5 = |parts: &[&[u8]]| -> Zeroizing<[u8; 16]> {
        let mut h = Md5::new();
        for p in parts {
            h.update(p);
        }
        Zeroizing::new(h.finalize().into())
    };
    let sign_key = md5(&[esk, sign_magic]);
    let seq_bytes = seq.to_le_bytes();
    let full = hmac_md5(&sign_key[..], &[&seq_bytes, message]);
    let mut checksum = [0u8; 8];
    checksum.copy_from_slice(&full[..8]);
    if flags & flags::NEGOTIATE_KEY_EXCH != 0 {
        // SEALKEY (3.4.5.3): the whole key with NEGOTIATE_128, else 7 or 5 bytes of it.
        let weak = if flags & flags::NEGOTIATE_128 != 0 {
            &esk[..]
        } else if flags & flags::NEGOTIATE_56 != 0 {
            &esk[..7]
        } else {
            &esk[..5]
        };
        let seal_key = md5(&[weak, seal_magic]);
        rc4(&seal_key, &mut checksum);
    }
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(&checksum);
    out[12..].copy_from_slice(&seq_bytes);
    out
}

/// The NTLMSSP message signature without extended session security (MS-NLMP 3.4.4.1):
/// Version 1 ‖ RC4(SEALKEY, RandomPad 0 ‖ CRC32(message) ‖ SeqNum), the RC4 stream taken
/// from `stream_offset` (an implementation that keeps one RC4 state for both directions, as
/// Samba does, has used 12 bytes of it per signature before). SEALKEY is 3.4.5.3: the
/// ExportedSessionKey, or with NEGOTIATE_LM_KEY its first 7 or 5 bytes padded.
pub fn v1_signature(
    exported_session_key: &Key16,
    flags: u32,
    stream_offset: usize,
    seq: u32,
    message: &[u8],
) -> [u8; 16] {
    let esk = exported_session_key.as_bytes();
    let mut seal_key = Zeroizing::new([0u8; 16]);
    let key_len = if flags & flags::NEGOTIATE_LM_KEY != 0 {
        if flags & flags::NEGOTIATE_56 != 0 {
            seal_key[..7].copy_from_slice(&esk[..7]);
            seal_key[7] = 0xa0;
        } else {
            seal_key[..5].copy_from_slice(&esk[..5]);
            seal_key[5..8].copy_from_slice(&[0xe5, 0x38, 0xb0]);
        }
        8
    } else {
        seal_key.copy_from_slice(esk);
        16
    };
    let mut stream = Zeroizing::new(vec![0u8; stream_offset + 12]);
    let mut cipher = Rc4::new_from_slice(&seal_key[..key_len]).expect("RC4 takes 8 or 16 bytes");
    cipher.apply_keystream(&mut stream);
    let mut body = [0u8; 12];
    body[4..8].copy_from_slice(&crc32(message).to_le_bytes());
    body[8..].copy_from_slice(&seq.to_le_bytes());
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    for (i, b) in body.iter().enumerate() {
        out[4 + i] = b ^ stream[stream_offset + i];
    }
    out
}

/// CRC-32 (IEEE 802.3, reflected), as NTLM's signature without extended session security
/// takes it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange<'a>(nt: &'a [u8], lm: &'a [u8], user: &'a str) -> AuthExchange<'a> {
        AuthExchange {
            flags: 0,
            server_challenge: [1; 8],
            lm_response: lm,
            nt_response: nt,
            user,
            domain: "",
            encrypted_random_session_key: &[],
        }
    }

    #[test]
    fn classification() {
        assert_eq!(classify(&exchange(&[], &[0], "")), Ok(AuthKind::Anonymous));
        assert_eq!(classify(&exchange(&[], &[], "")), Ok(AuthKind::Anonymous));
        assert_eq!(
            classify(&exchange(&[], &[0; 24], "u")),
            Err(ReplayError::LmOnly)
        );
        assert!(matches!(
            classify(&exchange(&[0; 30], &[], "u")),
            Err(ReplayError::Malformed(_))
        ));
        assert_eq!(
            classify(&exchange(&[0; 24], &[], "u")),
            Ok(AuthKind::NtlmV1)
        );
        let mut ess = exchange(&[0; 24], &[], "u");
        ess.flags = flags::NEGOTIATE_EXTENDED_SESSIONSECURITY;
        assert!(matches!(classify(&ess), Err(ReplayError::Malformed(_))));
    }

    #[test]
    fn anonymous_gives_no_key() {
        let h = crate::auth::credentials::nt_hash("");
        assert_eq!(
            replay(&exchange(&[], &[0], ""), &h, None).unwrap_err(),
            ReplayError::Anonymous
        );
    }

    #[test]
    fn upcase_never_expands() {
        assert_eq!(upcase("straße"), "STRAßE");
        assert_eq!(upcase("administrator"), "ADMINISTRATOR");
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn mic_offset_out_of_range() {
        let k = Key16::new([0; 16]);
        assert!(mic(&k, &[], &[], &[0; 20], 8).is_none());
        assert!(mic(&k, &[], &[], &[0; 20], usize::MAX).is_none());
        assert!(mic(&k, &[], &[], &[0; 24], 8).is_some());
    }
}

//! SMB2/3 key derivation (MS-SMB2 3.1.4.2, 3.2.5.3.1, 3.3.5.5.3): the SP800-108 KDF, the
//! SHA-512 pre-authentication integrity hash of 3.1.1, and per-dialect session keys.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

pub use dissectors::smb2::{Cipher, Dialect};

use crate::auth::credentials::{Key16, SecretBytes};

/// KDF labels and contexts, each with its trailing NUL as MS-SMB2 3.2.5.3.1 writes them.
mod label {
    pub const SMB30_SIGNING: (&[u8], &[u8]) = (b"SMB2AESCMAC\0", b"SmbSign\0");
    pub const SMB30_ENCRYPTION: (&[u8], &[u8]) = (b"SMB2AESCCM\0", b"ServerIn \0");
    pub const SMB30_DECRYPTION: (&[u8], &[u8]) = (b"SMB2AESCCM\0", b"ServerOut\0");
    pub const SMB30_APPLICATION: (&[u8], &[u8]) = (b"SMB2APP\0", b"SmbRpc\0");
    pub const SMB311_SIGNING: &[u8] = b"SMBSigningKey\0";
    pub const SMB311_C2S_CIPHER: &[u8] = b"SMBC2SCipherKey\0";
    pub const SMB311_S2C_CIPHER: &[u8] = b"SMBS2CCipherKey\0";
    pub const SMB311_APPLICATION: &[u8] = b"SMBAppKey\0";
}

/// SP800-108 KDF in counter mode with HMAC-SHA256, r = 32 (MS-SMB2 3.1.4.2):
/// K(i) = HMAC(key, i ‖ label ‖ 0x00 ‖ context ‖ L), all integers 32-bit big-endian.
/// `label` and `context` are passed as SMB writes them, trailing NUL included.
pub fn kdf(key: &[u8], label: &[u8], context: &[u8], out_bits: u32) -> SecretBytes {
    let out_len = out_bits.div_ceil(8) as usize;
    let mut out = Zeroizing::new(Vec::with_capacity(out_len.next_multiple_of(32)));
    let mut i: u32 = 1;
    while out.len() < out_len {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(&i.to_be_bytes());
        mac.update(label);
        mac.update(&[0]);
        mac.update(context);
        mac.update(&out_bits.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        i += 1;
    }
    SecretBytes::from(&out[..out_len])
}

fn kdf16(key: &[u8], label: &[u8], context: &[u8]) -> Key16 {
    Key16::from_prefix(kdf(key, label, context, 128).as_bytes())
}

/// SMB 3.1.1 pre-authentication integrity hash (MS-SMB2 3.2.5.2, 3.3.5.4): starts at 64 zero
/// bytes, then H = SHA-512(H ‖ message) for each NEGOTIATE and SESSION_SETUP message (SMB2
/// header and body, no transport header). Not secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreauthHash([u8; 64]);

impl Default for PreauthHash {
    fn default() -> Self {
        PreauthHash([0; 64])
    }
}

impl PreauthHash {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        PreauthHash(bytes)
    }

    /// H = SHA-512(H ‖ message).
    pub fn update(&mut self, message: &[u8]) {
        let mut sha = Sha512::new();
        sha.update(self.0);
        sha.update(message);
        self.0 = sha.finalize().into();
    }

    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

/// Keys of one session (or one bound channel: only `signing` differs, MS-SMB2 3.2.5.3.1).
#[derive(Debug, Clone)]
pub struct SessionKeys {
    pub signing: Key16,
    /// Client's EncryptionKey = server's DecryptionKey: seals client-to-server messages.
    /// `None` before SMB 3.0.
    pub encryption_c2s: Option<SecretBytes>,
    /// Client's DecryptionKey = server's EncryptionKey: seals server-to-client messages.
    pub decryption_s2c: Option<SecretBytes>,
    pub application: Key16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("SMB 3.1.1 keys need the session's pre-authentication integrity hash")]
    NoPreauthHash,
    #[error("empty session key")]
    EmptySessionKey,
}

/// Signing key (MS-SMB2 3.2.5.3.1): 2.0.2/2.1 use Session.SessionKey (first 16 bytes of the
/// key, zero-padded); 3.0/3.0.2 KDF(SessionKey, "SMB2AESCMAC", "SmbSign"); 3.1.1
/// KDF(SessionKey, "SMBSigningKey", preauth hash). Also the key of a bound channel, given
/// that channel's own session key and preauth hash.
pub fn signing_key(
    dialect: Dialect,
    session_key: &[u8],
    preauth: Option<&PreauthHash>,
) -> Result<Key16, KeyError> {
    if session_key.is_empty() {
        return Err(KeyError::EmptySessionKey);
    }
    let sk = Key16::from_prefix(session_key);
    Ok(match dialect {
        Dialect::Smb202 | Dialect::Smb210 => sk,
        Dialect::Smb300 | Dialect::Smb302 => {
            let (l, c) = label::SMB30_SIGNING;
            kdf16(sk.as_ref(), l, c)
        }
        Dialect::Smb311 => {
            let h = preauth.ok_or(KeyError::NoPreauthHash)?;
            kdf16(sk.as_ref(), label::SMB311_SIGNING, h.as_bytes())
        }
    })
}

/// All keys of a session (MS-SMB2 3.2.5.3.1 / 3.3.5.5.3). `session_key` is taken as given:
/// 16 bytes from NTLM, 16 or 32 from Kerberos. Signing and application keys use its first 16
/// bytes (Session.SessionKey); with an AES-256 cipher (3.1.1) the cipher keys are 32 bytes
/// (L = 256) from the full key (Session.FullSessionKey). `cipher` `None` means 128-bit keys.
pub fn derive(
    dialect: Dialect,
    session_key: &[u8],
    cipher: Option<Cipher>,
    preauth: Option<&PreauthHash>,
) -> Result<SessionKeys, KeyError> {
    let signing = signing_key(dialect, session_key, preauth)?;
    let sk = Key16::from_prefix(session_key);
    match dialect {
        Dialect::Smb202 | Dialect::Smb210 => Ok(SessionKeys {
            signing,
            encryption_c2s: None,
            decryption_s2c: None,
            application: sk,
        }),
        Dialect::Smb300 | Dialect::Smb302 => {
            let (el, ec) = label::SMB30_ENCRYPTION;
            let (dl, dc) = label::SMB30_DECRYPTION;
            let (al, ac) = label::SMB30_APPLICATION;
            Ok(SessionKeys {
                signing,
                encryption_c2s: Some(kdf(sk.as_ref(), el, ec, 128)),
                decryption_s2c: Some(kdf(sk.as_ref(), dl, dc, 128)),
                application: kdf16(sk.as_ref(), al, ac),
            })
        }
        Dialect::Smb311 => {
            let h = preauth.ok_or(KeyError::NoPreauthHash)?.as_bytes();
            let (cipher_key, bits): (&[u8], u32) = match cipher.map(Cipher::key_len) {
                Some(32) => (session_key, 256),
                _ => (sk.as_ref(), 128),
            };
            Ok(SessionKeys {
                signing,
                encryption_c2s: Some(kdf(cipher_key, label::SMB311_C2S_CIPHER, h, bits)),
                decryption_s2c: Some(kdf(cipher_key, label::SMB311_S2C_CIPHER, h, bits)),
                application: kdf16(sk.as_ref(), label::SMB311_APPLICATION, h),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_lengths() {
        let k = [7u8; 16];
        let long = kdf(&k, b"L\0", b"C\0", 256);
        let short = kdf(&k, b"L\0", b"C\0", 128);
        assert_eq!(long.len(), 32);
        assert_eq!(short.len(), 16);
        // L is part of the input, so the 128-bit key is not a prefix of the 256-bit one.
        assert_ne!(&long.as_bytes()[..16], short.as_bytes());
    }

    #[test]
    fn aes256_keys_are_32_bytes() {
        let h = PreauthHash::new();
        let keys = derive(Dialect::Smb311, &[1; 32], Some(Cipher::Aes256Gcm), Some(&h)).unwrap();
        assert_eq!(keys.encryption_c2s.unwrap().len(), 32);
        assert_eq!(keys.decryption_s2c.unwrap().len(), 32);
        assert_eq!(
            derive(Dialect::Smb311, &[1; 16], None, None).unwrap_err(),
            KeyError::NoPreauthHash
        );
    }

    #[test]
    fn smb2_signing_key_is_padded_session_key() {
        let k = signing_key(Dialect::Smb210, &[9; 8], None).unwrap();
        assert_eq!(
            k.as_bytes(),
            &[9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}

//! The enctypes implemented, the Kerberos key type, the error type, and decryption
//! with its integrity check and the keyed checksum (dispatching to [`super::aes`] and
//! [`super::rc4`]).

use std::fmt;

use dissectors::kerberos::{EncryptedData, EncryptionKey};
use zeroize::Zeroizing;

use super::aes::{aes_checksum, aes_decrypt};
use super::rc4::{rc4_checksum, rc4_decrypt};
use crate::auth::credentials::SecretBytes;

/// An encryption type this module implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17).
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18).
    Aes256CtsHmacSha196,
    /// rc4-hmac (23).
    Rc4Hmac,
}

impl Enctype {
    /// From the etype number of the wire; other etypes are `UnsupportedEnctype`.
    pub fn from_wire(etype: i32) -> Result<Self, KrbCryptoError> {
        match etype {
            17 => Ok(Enctype::Aes128CtsHmacSha196),
            18 => Ok(Enctype::Aes256CtsHmacSha196),
            23 => Ok(Enctype::Rc4Hmac),
            _ => Err(KrbCryptoError::UnsupportedEnctype(etype)),
        }
    }

    /// The etype number of the wire.
    pub fn to_wire(self) -> i32 {
        match self {
            Enctype::Aes128CtsHmacSha196 => 17,
            Enctype::Aes256CtsHmacSha196 => 18,
            Enctype::Rc4Hmac => 23,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Enctype::Aes256CtsHmacSha196 => 32,
            Enctype::Aes128CtsHmacSha196 | Enctype::Rc4Hmac => 16,
        }
    }
}

impl fmt::Display for Enctype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Enctype::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Enctype::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Enctype::Rc4Hmac => "rc4-hmac",
        })
    }
}

/// Why a Kerberos key could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KrbCryptoError {
    /// Not aes128/aes256-cts-hmac-sha1-96 or rc4-hmac.
    #[error("unsupported Kerberos encryption type {0}")]
    UnsupportedEnctype(i32),
    /// A key of the wrong length for its enctype.
    #[error("{enctype} takes {expected}-byte keys, not {got}")]
    KeyLength {
        enctype: Enctype,
        expected: usize,
        got: usize,
    },
    /// Shorter than the confounder and checksum.
    #[error("{enctype} ciphertext of {len} bytes is too short")]
    CiphertextTooShort { enctype: Enctype, len: usize },
    /// The checksum does not match: another key, or damaged data.
    #[error("integrity check failed: wrong key or damaged ciphertext")]
    Integrity,
    /// The key is not of the etype the data is encrypted with.
    #[error("a key of etype {key} cannot decrypt data of etype {data}")]
    EnctypeMismatch { key: i32, data: i32 },
    /// Bad or excessive string-to-key parameters.
    #[error("bad string-to-key parameters: {0}")]
    S2kParams(&'static str),
    /// PRF+ asked for more than 255 PRF outputs.
    #[error("PRF+ output of {0} bytes is too long")]
    PrfLength(usize),
    /// A FAST exchange that cannot be opened with what was given.
    #[error("FAST: {0}")]
    Fast(&'static str),
    /// A Kerberos message (or a decrypted part) is malformed.
    #[error("malformed Kerberos message: {0}")]
    Message(#[from] dissectors::Error),
    /// The security blob holds no Kerberos token.
    #[error("no Kerberos token")]
    NoToken,
    /// A Kerberos message of another kind than the one needed.
    #[error("expected {expected}, found {found}")]
    WrongMessage {
        expected: &'static str,
        found: &'static str,
    },
    /// No keytab key of the ticket's etype decrypts it.
    #[error(
        "no keytab key decrypts the ticket (etype {etype}, kvno {}): {tried} key(s) of that etype tried",
        kvno.map_or_else(|| "none".to_owned(), |k| k.to_string())
    )]
    NoKey {
        etype: i32,
        kvno: Option<u32>,
        tried: usize,
    },
}

pub(super) type Result<T, E = KrbCryptoError> = std::result::Result<T, E>;

/// A Kerberos key: its etype and its bytes (zeroized on drop, never printed).
#[derive(Clone, PartialEq, Eq)]
pub struct KrbKey {
    pub(super) enctype: i32,
    key: SecretBytes,
}

impl KrbKey {
    /// A key of etype `enctype` (the wire number, possibly one this module cannot use).
    pub fn new(enctype: i32, bytes: &[u8]) -> Self {
        KrbKey {
            enctype,
            key: SecretBytes::from(bytes),
        }
    }

    pub(super) fn from_wire(k: &EncryptionKey<'_>) -> Self {
        KrbKey::new(k.keytype, k.keyvalue)
    }

    /// The etype number.
    pub fn enctype(&self) -> i32 {
        self.enctype
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }
}

impl fmt::Debug for KrbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KrbKey(etype {}, {} bytes, <redacted>)",
            self.enctype,
            self.key.len()
        )
    }
}

pub(super) fn check_key(enctype: Enctype, key: &[u8]) -> Result<()> {
    if key.len() == enctype.key_len() {
        Ok(())
    } else {
        Err(KrbCryptoError::KeyLength {
            enctype,
            expected: enctype.key_len(),
            got: key.len(),
        })
    }
}

/// Decrypt `cipher` (the `cipher` of an EncryptedData) with `key` for key usage `usage`
/// (RFC 4120 7.5.1), checking its integrity; the confounder is removed.
pub fn decrypt(
    enctype: Enctype,
    key: &[u8],
    usage: u32,
    cipher: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    check_key(enctype, key)?;
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_decrypt(enctype, key, usage, cipher)
        }
        Enctype::Rc4Hmac => rc4_decrypt(key, usage, cipher),
    }
}

/// Decrypt an EncryptedData with `key`, which must be of its etype.
pub fn decrypt_data(
    key: &KrbKey,
    usage: u32,
    data: &EncryptedData<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    if key.enctype != data.etype {
        return Err(KrbCryptoError::EnctypeMismatch {
            key: key.enctype,
            data: data.etype,
        });
    }
    decrypt(
        Enctype::from_wire(data.etype)?,
        key.as_bytes(),
        usage,
        data.cipher,
    )
}

/// The keyed checksum of the enctype (RFC 3961 4: get_mic) of `data` with `key` for key
/// usage `usage`: hmac-sha1-96-aes128/256 (12 bytes) or hmac-md5 for rc4-hmac (16 bytes).
pub fn checksum(key: &KrbKey, usage: u32, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let enctype = Enctype::from_wire(key.enctype)?;
    check_key(enctype, key.as_bytes())?;
    Ok(match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_checksum(key.as_bytes(), usage, data)
        }
        Enctype::Rc4Hmac => rc4_checksum(key.as_bytes(), usage, data),
    })
}

//! The dialects, ciphers and signing algorithms of SMB, each defined once with its wire
//! value and the name people know it by.

use std::fmt;

/// An SMB2 dialect (MS-SMB2 2.2.4 DialectRevision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    Smb202,
    Smb210,
    Smb300,
    Smb302,
    Smb311,
}

impl Dialect {
    pub fn from_wire(value: u16) -> Option<Self> {
        Some(match value {
            0x0202 => Dialect::Smb202,
            0x0210 => Dialect::Smb210,
            0x0300 => Dialect::Smb300,
            0x0302 => Dialect::Smb302,
            0x0311 => Dialect::Smb311,
            _ => return None,
        })
    }

    pub fn to_wire(self) -> u16 {
        match self {
            Dialect::Smb202 => 0x0202,
            Dialect::Smb210 => 0x0210,
            Dialect::Smb300 => 0x0300,
            Dialect::Smb302 => 0x0302,
            Dialect::Smb311 => 0x0311,
        }
    }

    /// `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Smb202 => "2.0.2",
            Dialect::Smb210 => "2.1",
            Dialect::Smb300 => "3.0",
            Dialect::Smb302 => "3.0.2",
            Dialect::Smb311 => "3.1.1",
        }
    }

    /// SMB 3.x: keys come from the KDF.
    pub fn is_smb3(self) -> bool {
        self >= Dialect::Smb300
    }
}

/// An encryption cipher (MS-SMB2 2.2.3.1.2 CipherId).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    Aes128Ccm,
    Aes128Gcm,
    Aes256Ccm,
    Aes256Gcm,
}

impl Cipher {
    pub fn from_wire(value: u16) -> Option<Self> {
        Some(match value {
            1 => Cipher::Aes128Ccm,
            2 => Cipher::Aes128Gcm,
            3 => Cipher::Aes256Ccm,
            4 => Cipher::Aes256Gcm,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Cipher::Aes128Ccm => "AES-128-CCM",
            Cipher::Aes128Gcm => "AES-128-GCM",
            Cipher::Aes256Ccm => "AES-256-CCM",
            Cipher::Aes256Gcm => "AES-256-GCM",
        }
    }

    /// Key length in bytes (16 or 32).
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Ccm | Cipher::Aes128Gcm => 16,
            Cipher::Aes256Ccm | Cipher::Aes256Gcm => 32,
        }
    }

    pub fn is_gcm(self) -> bool {
        matches!(self, Cipher::Aes128Gcm | Cipher::Aes256Gcm)
    }
}

/// How a message is signed: SMB1's MD5 MAC (MS-CIFS 3.1.4.1) or an SMB2/3 algorithm
/// (MS-SMB2 2.2.3.1.7 SigningAlgorithmId, 3.1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    Smb1Md5,
    HmacSha256,
    AesCmac,
    AesGmac,
}

impl SigningAlgorithm {
    /// Default for a dialect: HMAC-SHA256 before 3.0, AES-CMAC from 3.0 on; 3.1.1 uses
    /// AES-CMAC when no SIGNING_CAPABILITIES context was negotiated (MS-SMB2 3.1.4.1).
    pub fn for_dialect(dialect: Dialect) -> Self {
        if dialect.is_smb3() {
            SigningAlgorithm::AesCmac
        } else {
            SigningAlgorithm::HmacSha256
        }
    }

    /// SigningAlgorithmId of the SIGNING_CAPABILITIES context (MS-SMB2 2.2.3.1.7).
    pub fn from_signing_capabilities(id: u16) -> Option<Self> {
        Some(match id {
            0 => SigningAlgorithm::HmacSha256,
            1 => SigningAlgorithm::AesCmac,
            2 => SigningAlgorithm::AesGmac,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::Smb1Md5 => "MD5",
            SigningAlgorithm::HmacSha256 => "HMAC-SHA256",
            SigningAlgorithm::AesCmac => "AES-CMAC",
            SigningAlgorithm::AesGmac => "AES-GMAC",
        }
    }
}

macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
display_by_name!(Dialect, Cipher, SigningAlgorithm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for d in [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] {
            assert_eq!(Dialect::from_wire(d).map(Dialect::to_wire), Some(d));
        }
        assert_eq!(Dialect::from_wire(0x02ff), None);
        assert_eq!(Cipher::from_wire(4), Some(Cipher::Aes256Gcm));
        assert_eq!(Cipher::from_wire(0), None);
        assert_eq!(
            SigningAlgorithm::from_signing_capabilities(2),
            Some(SigningAlgorithm::AesGmac)
        );
    }
}

//! SMB3 encryption (MS-SMB2 3.1.4.3, 3.2.5.1.1.1): the AEAD behind TRANSFORM_HEADER (0xFD).
//! AAD = the 32 header bytes from Nonce to SessionId; the tag is the header's Signature; the
//! nonce is the first 11 bytes of the Nonce field for CCM, the first 12 for GCM.

use aes::{Aes128, Aes256};
use aes_gcm::aead::consts::{U11, U16};
use aes_gcm::aead::{AeadInOut, Nonce};
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use ccm::Ccm;

use crate::crypto::keys::Cipher;

type Aes128Ccm = Ccm<Aes128, U16, U11>;
type Aes256Ccm = Ccm<Aes256, U16, U11>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    #[error("authentication tag does not match")]
    TagMismatch,
    #[error("{cipher} needs a {} byte key, got {got}", cipher.key_len())]
    KeyLength { cipher: Cipher, got: usize },
}

fn check_key(cipher: Cipher, key: &[u8]) -> Result<(), CryptError> {
    if key.len() == cipher.key_len() {
        Ok(())
    } else {
        Err(CryptError::KeyLength {
            cipher,
            got: key.len(),
        })
    }
}

/// Decrypt a transformed message; the plaintext only if the tag verifies.
pub fn decrypt(
    cipher: Cipher,
    key: &[u8],
    aad: &[u8],
    nonce: &[u8; 16],
    ciphertext: &[u8],
    tag: &[u8; 16],
) -> Result<Vec<u8>, CryptError> {
    check_key(cipher, key)?;
    let mut buf = ciphertext.to_vec();
    let op = Op::Open(tag);
    apply(cipher, key, nonce, aad, &mut buf, op)?;
    Ok(buf)
}

/// Encrypt a message as a sender would: (ciphertext, tag). Used to build test captures and
/// to check published examples.
pub fn encrypt(
    cipher: Cipher,
    key: &[u8],
    aad: &[u8],
    nonce: &[u8; 16],
    plaintext: &[u8],
) -> Result<(Vec<u8>, [u8; 16]), CryptError> {
    check_key(cipher, key)?;
    let mut buf = plaintext.to_vec();
    let mut tag = [0u8; 16];
    let op = Op::Seal(&mut tag);
    apply(cipher, key, nonce, aad, &mut buf, op)?;
    Ok((buf, tag))
}

enum Op<'t> {
    Open(&'t [u8; 16]),
    Seal(&'t mut [u8; 16]),
}

/// One AEAD operation of `cipher` in place on `buf`; CCM takes the first 11 bytes of the
/// transform's 16-byte nonce field, GCM the first 12 (MS-SMB2 2.2.41).
fn apply(
    cipher: Cipher,
    key: &[u8],
    nonce: &[u8; 16],
    aad: &[u8],
    buf: &mut [u8],
    op: Op<'_>,
) -> Result<(), CryptError> {
    match cipher {
        Cipher::Aes128Ccm => run::<Aes128Ccm>(key, &nonce[..11], aad, buf, op),
        Cipher::Aes256Ccm => run::<Aes256Ccm>(key, &nonce[..11], aad, buf, op),
        Cipher::Aes128Gcm => run::<Aes128Gcm>(key, &nonce[..12], aad, buf, op),
        Cipher::Aes256Gcm => run::<Aes256Gcm>(key, &nonce[..12], aad, buf, op),
    }
}

/// One AEAD operation in place on `buf`, tag detached (all four ciphers use 16-byte tags).
fn run<A: KeyInit + AeadInOut<TagSize = U16>>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    op: Op<'_>,
) -> Result<(), CryptError> {
    let aead = A::new_from_slice(key).expect("key length checked against the cipher");
    let nonce = Nonce::<A>::try_from(nonce).expect("nonce length fixed by the cipher");
    match op {
        Op::Open(tag) => aead
            .decrypt_inout_detached(&nonce, aad, buf.into(), &(*tag).into())
            .map_err(|_| CryptError::TagMismatch),
        Op::Seal(tag) => {
            // Only lengths far beyond anything SMB carries make these AEADs fail.
            let t = aead
                .encrypt_inout_detached(&nonce, aad, buf.into())
                .map_err(|_| CryptError::TagMismatch)?;
            tag.copy_from_slice(&t);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_every_cipher() {
        for cipher in [
            Cipher::Aes128Ccm,
            Cipher::Aes128Gcm,
            Cipher::Aes256Ccm,
            Cipher::Aes256Gcm,
        ] {
            let key = vec![5u8; cipher.key_len()];
            let nonce = [9u8; 16];
            let (ct, tag) = encrypt(cipher, &key, b"aad", &nonce, b"plaintext").unwrap();
            assert_eq!(
                decrypt(cipher, &key, b"aad", &nonce, &ct, &tag).unwrap(),
                b"plaintext"
            );
            assert_eq!(
                decrypt(cipher, &key, b"aaD", &nonce, &ct, &tag),
                Err(CryptError::TagMismatch)
            );
        }
    }

    #[test]
    fn wrong_key_length() {
        assert_eq!(
            decrypt(Cipher::Aes256Gcm, &[0; 16], &[], &[0; 16], &[], &[0; 16]),
            Err(CryptError::KeyLength {
                cipher: Cipher::Aes256Gcm,
                got: 16
            })
        );
    }
}

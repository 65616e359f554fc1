//! rc4-hmac (RFC 4757): decryption with HMAC-MD5, the HMAC-MD5 checksum, and the Microsoft
//! key usage numbers.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::enctype::{Enctype, KrbCryptoError, Result};

/// Confounder length of rc4-hmac.
const RC4_CONFOUNDER: usize = 8;

/// The Microsoft key usage numbers of rc4-hmac (RFC 4757 3): an AS-REP enc-part is 8,
/// not 3. (RFC 4757's table also maps 9 to 8; current MIT krb5 and Heimdal keep 9, and
/// [`kdc_rep_keys`] tries a TGS-REP with both 8 and 9.)
///
/// [`kdc_rep_keys`]: super::kdc_rep_keys
fn rc4_usage(usage: u32) -> u32 {
    match usage {
        3 => 8,
        u => u,
    }
}

fn hmac_md5(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut h = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    h.update(data);
    Zeroizing::new(h.finalize().into_bytes().into())
}

/// RFC 4757 5 decryption: ciphertext = checksum (16) | RC4(K3, confounder (8) | data),
/// K1 = HMAC-MD5(key, T as 4 bytes little-endian), K3 = HMAC-MD5(K1, checksum),
/// checksum = HMAC-MD5(K1, confounder | data).
pub(super) fn rc4_decrypt(key: &[u8], usage: u32, cipher: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if cipher.len() < 16 + RC4_CONFOUNDER {
        return Err(KrbCryptoError::CiphertextTooShort {
            enctype: Enctype::Rc4Hmac,
            len: cipher.len(),
        });
    }
    let (checksum, edata) = cipher.split_at(16);
    let k1 = hmac_md5(key, &rc4_usage(usage).to_le_bytes());
    let k3 = hmac_md5(&k1[..], checksum);
    let mut plain = Zeroizing::new(edata.to_vec());
    Rc4::new_from_slice(&k3[..])
        .expect("RC4 takes 16-byte keys")
        .apply_keystream(&mut plain);
    let mut h = <Hmac<Md5> as KeyInit>::new_from_slice(&k1[..]).expect("HMAC takes any key length");
    h.update(&plain);
    h.verify_slice(checksum)
        .map_err(|_| KrbCryptoError::Integrity)?;
    plain.drain(..RC4_CONFOUNDER);
    Ok(plain)
}

/// RFC 4757 4 checksum (hmac-md5, -138): Ksign = HMAC-MD5(key, "signaturekey\0"),
/// checksum = HMAC-MD5(Ksign, MD5(T as 4 bytes little-endian | data)).
pub(super) fn rc4_checksum(key: &[u8], usage: u32, data: &[u8]) -> Zeroizing<Vec<u8>> {
    let ksign = hmac_md5(key, b"signaturekey\0");
    let mut md5 = Md5::new();
    md5.update(rc4_usage(usage).to_le_bytes());
    md5.update(data);
    let inner = md5.finalize();
    Zeroizing::new(hmac_md5(&ksign[..], &inner).to_vec())
}

//! The pseudo-random functions: PRF (RFC 3961 3, RFC 3962 6, HMAC-SHA1 for rc4-hmac),
//! PRF+ and KRB-FX-CF2 (RFC 6113 5.1).

use aes::cipher::array::Array;
use aes::cipher::consts::U16;
use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

use super::aes::{BLOCK, aes_encrypt_block, dk};
use super::enctype::{Enctype, KrbCryptoError, KrbKey, Result, check_key};

/// Length in bytes of an enctype's PRF output.
fn prf_len(enctype: Enctype) -> usize {
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => BLOCK,
        Enctype::Rc4Hmac => 20,
    }
}

/// The pseudo-random function of `key`'s enctype (RFC 3961 3) on `input`. AES (RFC 3962
/// 6): E(DK(key, "prf"), SHA-1(input) truncated to a multiple of the block size) with
/// CBC-CTS and a zero IV: 16 bytes, one AES block. rc4-hmac: HMAC-SHA1(key, input), 20
/// bytes (RFC 4757 defines none; this is MIT krb5's and Heimdal's).
pub fn prf(key: &KrbKey, input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let enctype = Enctype::from_wire(key.enctype)?;
    let k = key.as_bytes();
    check_key(enctype, k)?;
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let hash = Sha1::digest(input);
            let mut block = Array::<u8, U16>::default();
            block.copy_from_slice(&hash[..BLOCK]);
            aes_encrypt_block(&dk(k, b"prf"), &mut block);
            let out = Zeroizing::new(block.to_vec());
            block.as_mut_slice().zeroize();
            Ok(out)
        }
        Enctype::Rc4Hmac => {
            let mut h =
                <Hmac<Sha1> as KeyInit>::new_from_slice(k).expect("HMAC takes any key length");
            h.update(input);
            let mut mac = h.finalize().into_bytes();
            let out = Zeroizing::new(mac.to_vec());
            mac.as_mut_slice().zeroize();
            Ok(out)
        }
    }
}

/// PRF+ (RFC 6113 5.1): PRF(key, 1 | pepper) | PRF(key, 2 | pepper) | ... truncated to
/// `len` bytes (at most 255 PRF outputs).
pub fn prf_plus(key: &KrbKey, pepper: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let per = prf_len(Enctype::from_wire(key.enctype)?);
    let blocks = len.div_ceil(per);
    if blocks > 255 {
        return Err(KrbCryptoError::PrfLength(len));
    }
    let mut input = Vec::with_capacity(pepper.len() + 1);
    input.push(0u8);
    input.extend_from_slice(pepper);
    let mut out = Zeroizing::new(Vec::with_capacity(blocks * per));
    for i in 1..=blocks {
        input[0] = i as u8;
        out.extend_from_slice(&prf(key, &input)?);
    }
    out.truncate(len);
    Ok(out)
}

/// KRB-FX-CF2 (RFC 6113 5.1): random-to-key(PRF+(key1, pepper1) XOR PRF+(key2,
/// pepper2)), a key of `key1`'s enctype (random-to-key is the identity for AES and
/// rc4-hmac).
pub fn krb_fx_cf2(key1: &KrbKey, pepper1: &[u8], key2: &KrbKey, pepper2: &[u8]) -> Result<KrbKey> {
    let enctype = Enctype::from_wire(key1.enctype)?;
    let len = enctype.key_len();
    let mut out = prf_plus(key1, pepper1, len)?;
    let other = prf_plus(key2, pepper2, len)?;
    for (o, b) in out.iter_mut().zip(other.iter()) {
        *o ^= b;
    }
    Ok(KrbKey::new(key1.enctype, &out))
}

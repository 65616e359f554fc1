//! String-to-key: a user's long-term key from their password (RFC 3962 4 for AES,
//! RFC 4757 2 for rc4-hmac), and the default salt (RFC 4120 4).

use sha1::Sha1;
use zeroize::Zeroizing;

use super::aes::dk;
use super::enctype::{Enctype, KrbCryptoError, Result};
use crate::auth::credentials::{SecretBytes, nt_hash};

/// Default PBKDF2 iteration count of the AES enctypes (RFC 3962 4: s2kparams 00001000).
const DEFAULT_ITERATIONS: u32 = 4096;
/// Largest iteration count accepted (MIT krb5's bound): s2kparams come from the wire, and
/// RFC 3962 8 warns of a denial of service by a spoofed count.
const MAX_ITERATIONS: u32 = 0x0100_0000;

/// The default salt (RFC 4120 4): the realm followed by the name components.
pub fn default_salt<'a>(realm: &[u8], components: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut salt = realm.to_vec();
    for c in components {
        salt.extend_from_slice(c);
    }
    salt
}

/// A user's long-term key from their password. AES (RFC 3962 4): DK(PBKDF2-HMAC-SHA1(
/// password, salt, iterations, key length), "kerberos"), the iteration count from
/// `params` (4 bytes big-endian; default 4096). rc4-hmac (RFC 4757 2): MD4(UTF-16LE(
/// password)), the NT hash; salt ignored, `params` must be absent or empty.
pub fn string_to_key(
    enctype: Enctype,
    password: &str,
    salt: &[u8],
    params: Option<&[u8]>,
) -> Result<SecretBytes> {
    match enctype {
        Enctype::Rc4Hmac => {
            if params.is_some_and(|p| !p.is_empty()) {
                return Err(KrbCryptoError::S2kParams("rc4-hmac takes no parameters"));
            }
            Ok(SecretBytes::from(&nt_hash(password).as_bytes()[..]))
        }
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let iterations = match params {
                None => DEFAULT_ITERATIONS,
                Some(p) => {
                    let p: [u8; 4] = p
                        .try_into()
                        .map_err(|_| KrbCryptoError::S2kParams("AES takes 4 bytes"))?;
                    // 0 stands for 2^32 (RFC 3962 4), above the bound as well
                    match u32::from_be_bytes(p) {
                        0 => u32::MAX,
                        n => n,
                    }
                }
            };
            if iterations > MAX_ITERATIONS {
                return Err(KrbCryptoError::S2kParams("iteration count above 2^24"));
            }
            let mut tkey = Zeroizing::new(vec![0u8; enctype.key_len()]);
            pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, iterations, &mut tkey);
            Ok(SecretBytes::new(dk(&tkey, b"kerberos").to_vec()))
        }
    }
}

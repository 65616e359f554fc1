//! The RFC 3961 simplified profile with AES (RFC 3962): n-fold, DK, CBC with ciphertext
//! stealing, decryption with HMAC-SHA1-96, and the HMAC-SHA1-96 checksum.

use aes::cipher::array::Array;
use aes::cipher::consts::U16;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit, KeyIvInit};
use aes::{Aes128, Aes256};
use cts::Decrypt as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use zeroize::{Zeroize, Zeroizing};

use super::enctype::{Enctype, KrbCryptoError, Result};

/// AES block size, also the confounder length.
pub(super) const BLOCK: usize = 16;
/// HMAC-SHA1-96 output length.
pub(super) const MAC_LEN: usize = 12;

/// n-fold (RFC 3961 5.1): `input` stretched or folded to `out_len` bytes. The input is
/// repeated to the least common multiple of the two lengths, each copy rotated 13 bits
/// right from the previous one, and the `out_len`-byte chunks are added with end-around
/// carry (ones' complement addition).
pub(super) fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut sum = vec![0u8; out_len];
    if input.is_empty() || out_len == 0 {
        return sum;
    }
    let bits = input.len() * 8;
    let total = lcm(input.len(), out_len);
    let bit = |i: usize| (input[i / 8] >> (7 - i % 8)) & 1;
    let mut chunk = vec![0u8; out_len];
    for start in (0..total).step_by(out_len) {
        for (j, byte) in chunk.iter_mut().enumerate() {
            // byte `start + j` of the repeated input lies in copy `n`, rotated 13n bits
            let pos = start + j;
            let (n, b) = (pos / input.len(), pos % input.len());
            let rot = (13 * n) % bits;
            *byte = (0..8).fold(0u8, |v, k| (v << 1) | bit((8 * b + k + bits - rot) % bits));
        }
        ones_complement_add(&mut sum, &chunk);
    }
    sum
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

fn ones_complement_add(acc: &mut [u8], x: &[u8]) {
    let mut carry = 0u16;
    for (a, b) in acc.iter_mut().zip(x).rev() {
        let s = u16::from(*a) + u16::from(*b) + carry;
        *a = s as u8;
        carry = s >> 8;
    }
    while carry != 0 {
        for a in acc.iter_mut().rev() {
            let s = u16::from(*a) + carry;
            *a = s as u8;
            carry = s >> 8;
            if carry == 0 {
                break;
            }
        }
    }
}

/// One AES block encrypted with `key` (16 or 32 bytes, checked by the callers).
pub(super) fn aes_encrypt_block(key: &[u8], block: &mut Array<u8, U16>) {
    if key.len() == 16 {
        Aes128::new_from_slice(key)
            .expect("16-byte AES key")
            .encrypt_block(block);
    } else {
        Aes256::new_from_slice(key)
            .expect("32-byte AES key")
            .encrypt_block(block);
    }
}

/// DK(base, constant) (RFC 3961 5.1): DR, the base key's encryptions of n-fold(constant)
/// chained until there are enough bytes; random-to-key is the identity for AES.
pub(super) fn dk(base: &[u8], constant: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut block = Array::<u8, U16>::default();
    block.copy_from_slice(&nfold(constant, BLOCK));
    let mut out = Zeroizing::new(Vec::with_capacity(base.len() + BLOCK));
    while out.len() < base.len() {
        aes_encrypt_block(base, &mut block);
        out.extend_from_slice(&block);
    }
    out.truncate(base.len());
    block.as_mut_slice().zeroize();
    out
}

/// The well-known constants of a key usage (RFC 3961 5.3): usage (4 bytes big-endian)
/// followed by 0xAA for Ke, 0x55 for Ki.
pub(super) fn usage_constant(usage: u32, which: u8) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], which]
}

/// AES in CBC mode with ciphertext stealing (RFC 3962 5: CBC-CS3, the last two blocks
/// swapped) and a zero IV, in place. A single block is plain CBC, which `cts::CbcCs3`
/// does not do (it swaps anyway), hence the first branch.
pub(super) fn cts_decrypt(key: &[u8], buf: &mut [u8]) -> Result<()> {
    let iv = [0u8; BLOCK];
    if buf.len() == BLOCK {
        let mut block = Array::<u8, U16>::default();
        block.copy_from_slice(buf);
        if key.len() == 16 {
            Aes128::new_from_slice(key)
                .expect("16-byte AES key")
                .decrypt_block(&mut block);
        } else {
            Aes256::new_from_slice(key)
                .expect("32-byte AES key")
                .decrypt_block(&mut block);
        }
        buf.copy_from_slice(&block);
        block.as_mut_slice().zeroize();
        return Ok(());
    }
    let done = if key.len() == 16 {
        cts::CbcCs3::<Aes128>::new_from_slices(key, &iv)
            .expect("16-byte AES key")
            .decrypt(buf)
    } else {
        cts::CbcCs3::<Aes256>::new_from_slices(key, &iv)
            .expect("32-byte AES key")
            .decrypt(buf)
    };
    // only refused below one block, which the caller has excluded
    done.map_err(|_| KrbCryptoError::Integrity)
}

/// RFC 3961 5.3 decryption: ciphertext = E(Ke, confounder | plaintext) | H, where
/// H = HMAC-SHA1(Ki, confounder | plaintext) truncated to 96 bits.
pub(super) fn aes_decrypt(
    enctype: Enctype,
    key: &[u8],
    usage: u32,
    cipher: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let too_short = KrbCryptoError::CiphertextTooShort {
        enctype,
        len: cipher.len(),
    };
    let split = cipher.len().checked_sub(MAC_LEN).ok_or(too_short.clone())?;
    let (enc, mac) = cipher.split_at(split);
    if enc.len() < BLOCK {
        return Err(too_short);
    }
    let ke = dk(key, &usage_constant(usage, 0xaa));
    let ki = dk(key, &usage_constant(usage, 0x55));
    let mut plain = Zeroizing::new(enc.to_vec());
    cts_decrypt(&ke, &mut plain)?;
    let mut h = <Hmac<Sha1> as KeyInit>::new_from_slice(&ki).expect("HMAC takes any key length");
    h.update(&plain);
    h.verify_truncated_left(mac)
        .map_err(|_| KrbCryptoError::Integrity)?;
    plain.drain(..BLOCK);
    Ok(plain)
}

/// RFC 3961 5.4 checksum of the simplified profile (hmac-sha1-96-aes128/256, RFC 3962):
/// HMAC-SHA1(Kc, data) truncated to 96 bits, Kc = DK(key, usage | 0x99).
pub(super) fn aes_checksum(key: &[u8], usage: u32, data: &[u8]) -> Zeroizing<Vec<u8>> {
    let kc = dk(key, &usage_constant(usage, 0x99));
    let mut h = <Hmac<Sha1> as KeyInit>::new_from_slice(&kc).expect("HMAC takes any key length");
    h.update(data);
    let mut out = Zeroizing::new(h.finalize().into_bytes().to_vec());
    out.truncate(MAC_LEN);
    out
}

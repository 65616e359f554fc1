//! AES-128-CMAC (RFC 4493) and AES-128-GMAC (NIST SP 800-38D with empty plaintext) over a
//! message given in parts, at the speed of the machine's AES and carry-less multiply
//! instructions, without copying the message.
//!
//! Why not `cmac::Cmac<Aes128>` and `aes_gcm::Aes128Gcm`: the cmac crate xors each block
//! into its state byte by byte; in a build without `-C target-cpu=native` that loop is not
//! vectorised, so every block is sixteen byte stores followed by a 16-byte load of the same
//! bytes, a store-forwarding stall in front of every AES (half the speed of a native build on
//! an AMD EPYC, `perf annotate` in the issue 9 notes). Here the chain keeps its state in a
//! 128-bit register inside one `encrypt_with_backend` call per run of whole blocks: the aes
//! crate picks AES-NI (or its portable fallback) once per call, not per block. And aes-gcm
//! takes the AAD as one slice, which for an SMB2 message with its signature zeroed means a
//! copy of the whole message; GHASH fed part by part needs none (`ghash.rs`, which also
//! runs it at a native build's speed).

use crate::auth::credentials::Key16;
use aes::Aes128;
use aes::cipher::array::Array;
use aes::cipher::consts::U16;
use aes::cipher::{
    BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, KeyInit,
};

mod ghash;
use self::ghash::Ghash;

const BLOCK: usize = 16;

/// AES-128-CMAC (RFC 4493) of the concatenation of `parts`.
pub fn aes_cmac(key: &Key16, parts: &[&[u8]]) -> [u8; 16] {
    let cipher = Aes128::new(key.as_bytes().into());
    let mut state = [0u8; BLOCK];
    // The last block, even when whole, is kept back: it is xored with a subkey (RFC 4493 2.4).
    let (last, len) = in_blocks(parts, true, |run| {
        cipher.encrypt_with_backend(CbcMacChain {
            state: &mut state,
            run,
        })
    });
    let (k1, k2) = cmac_subkeys(&cipher);
    let mut last_block = last;
    let subkey = if len == BLOCK {
        k1
    } else {
        last_block[len..].fill(0);
        last_block[len] = 0x80;
        k2
    };
    let m_last = u128::from_ne_bytes(last_block) ^ u128::from_ne_bytes(subkey);
    cipher.encrypt_with_backend(CbcMacChain {
        state: &mut state,
        run: &m_last.to_ne_bytes(),
    });
    state
}

/// K1 and K2 of RFC 4493 2.3: L = AES(K, 0), K1 = L·x, K2 = K1·x in GF(2^128).
fn cmac_subkeys(cipher: &Aes128) -> ([u8; 16], [u8; 16]) {
    let mut l = Array::<u8, U16>::default();
    cipher.encrypt_block(&mut l);
    let double = |v: u128| (v << 1) ^ if v >> 127 == 1 { 0x87 } else { 0 };
    let k1 = double(u128::from_be_bytes(l.into()));
    let k2 = double(k1);
    (k1.to_be_bytes(), k2.to_be_bytes())
}

/// CBC-MAC over a run of whole blocks, inside the cipher backend the aes crate chose.
struct CbcMacChain<'a> {
    state: &'a mut [u8; BLOCK],
    run: &'a [u8],
}

impl BlockSizeUser for CbcMacChain<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for CbcMacChain<'_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut x = u128::from_ne_bytes(*self.state);
        for block in self.run.chunks_exact(BLOCK) {
            x ^= u128::from_ne_bytes(block.try_into().expect("chunks of 16"));
            let mut b = Array::<u8, U16>::from(x.to_ne_bytes());
            backend.encrypt_block((&mut b).into());
            x = u128::from_ne_bytes(b.into());
        }
        *self.state = x.to_ne_bytes();
    }
}

/// AES-128-GMAC: the GCM tag over empty plaintext with the concatenation of `parts` as the
/// additional data, and a 96-bit nonce (SP 800-38D 7.1: J0 = nonce || 0^31 || 1).
pub fn gmac(key: &Key16, nonce: &[u8; 12], parts: &[&[u8]]) -> [u8; 16] {
    let cipher = Aes128::new(key.as_bytes().into());
    let mut h = Array::<u8, U16>::default();
    cipher.encrypt_block(&mut h);
    let mut ghash = Ghash::new(&h.into());
    let (mut tail, len) = in_blocks(parts, false, |run| ghash.update(run));
    if len > 0 {
        tail[len..].fill(0);
        ghash.update(&tail);
    }
    let aad_bits = parts.iter().map(|p| p.len() as u64).sum::<u64>() * 8;
    let mut lengths = [0u8; BLOCK];
    lengths[..8].copy_from_slice(&aad_bits.to_be_bytes());
    ghash.update(&lengths);
    let s = ghash.finalize();
    let mut j0 = [0u8; BLOCK];
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    let mut ek_j0 = Array::<u8, U16>::from(j0);
    cipher.encrypt_block(&mut ek_j0);
    let tag = u128::from_ne_bytes(ek_j0.into()) ^ u128::from_ne_bytes(s);
    tag.to_ne_bytes()
}

/// Feeds the concatenation of `parts` to `run` as runs of whole 16-byte blocks, read in
/// place where a part allows it, and returns the bytes left over (and how many there are):
/// fewer than 16, or with `keep_last` the last block, whole or not (empty input: none).
/// What follows them in the array is garbage.
fn in_blocks(parts: &[&[u8]], keep_last: bool, mut run: impl FnMut(&[u8])) -> ([u8; 16], usize) {
    let mut held = [0u8; BLOCK];
    let mut n = 0;
    for &part in parts {
        let mut p = part;
        if 0 < n && n < BLOCK {
            let take = (BLOCK - n).min(p.len());
            held[n..n + take].copy_from_slice(&p[..take]);
            n += take;
            p = &p[take..];
        }
        if p.is_empty() {
            continue;
        }
        if n == BLOCK {
            run(&held);
        }
        // Nothing is held now: whole blocks straight from the part, keeping back what must wait.
        let whole = if keep_last {
            (p.len() - 1) / BLOCK
        } else {
            p.len() / BLOCK
        };
        let (blocks, rest) = p.split_at(whole * BLOCK);
        if !blocks.is_empty() {
            run(blocks);
        }
        held[..rest.len()].copy_from_slice(rest);
        n = rest.len();
    }
    (held, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of cutting a message into three parts feeds the same blocks.
    #[test]
    fn parts_do_not_change_the_blocks() {
        let msg: Vec<u8> = (0..70u8).collect();
        for keep_last in [false, true] {
            let whole = collect(&[&msg], keep_last);
            for i in 0..=msg.len() {
                for j in i..=msg.len() {
                    let parts: [&[u8]; 3] = [&msg[..i], &msg[i..j], &msg[j..]];
                    assert_eq!(collect(&parts, keep_last), whole, "{i} {j} {keep_last}");
                }
            }
        }
        // 70 bytes: 4 whole blocks and 6 bytes, or with keep_last the same.
        assert_eq!(collect(&[&msg], true).1, msg[64..].to_vec());
        assert_eq!(collect(&[&msg[..64]], true).1, msg[48..64].to_vec());
        assert_eq!(collect(&[&msg[..64]], false).1, Vec::<u8>::new());
    }

    /// The same tag as the aes-gcm crate's over empty plaintext, for additional data of every
    /// length up to five blocks (the NIST vectors have 0 and 16 bytes only).
    #[test]
    fn gmac_matches_aes_gcm() {
        use aes_gcm::aead::AeadInOut;
        let key = Key16::new(*b"0123456789abcdef");
        let nonce = *b"nonce-twelve";
        let gcm = <aes_gcm::Aes128Gcm as KeyInit>::new(key.as_bytes().into());
        let aad: Vec<u8> = (0..80u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..=aad.len() {
            let expected = gcm
                .encrypt_inout_detached(&nonce.into(), &aad[..len], (&mut [][..]).into())
                .unwrap();
            let (a, b) = aad[..len].split_at(len / 2);
            assert_eq!(gmac(&key, &nonce, &[a, b])[..], expected[..], "{len}");
        }
    }

    fn collect(parts: &[&[u8]], keep_last: bool) -> (Vec<u8>, Vec<u8>) {
        let mut runs = Vec::new();
        let (tail, n) = in_blocks(parts, keep_last, |r| {
            assert_eq!(r.len() % BLOCK, 0);
            runs.extend_from_slice(r)
        });
        (runs, tail[..n].to_vec())
    }
}

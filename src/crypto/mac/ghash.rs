//! GHASH (NIST SP 800-38D 6.4), the hash inside AES-GMAC, at the speed of the machine's
//! carry-less multiply in a default build.
//!
//! Why not only the ghash crate: it computes GHASH through polyval, whose PCLMULQDQ code is,
//! in a build without `-C target-cpu`, a function called once per 4 blocks that reloads the
//! key powers and the accumulator from memory each time, behind a byte reversal per block in
//! another function: GMAC over 200 MB on 2 cores took 0.029 to 0.043 s where a native build
//! took 0.019 s (`mac_bound`, issue 9). Here one function compiled for PCLMULQDQ and chosen
//! at run time keeps them in registers for a whole run of blocks. The arithmetic is polyval's
//! (0.7.3, x86 backend, MIT/Apache-2.0: the R/F multiplication of eprint 2025/2171, 4 blocks
//! aggregated per reduction), applied to GHASH as RFC 8452 Appendix A says: GHASH is POLYVAL
//! over byte-reversed blocks with H replaced by mulX_POLYVAL(ByteReverse(H)), its result
//! byte-reversed. Other machines use the ghash crate.

use ::ghash::universal_hash::UniversalHash;
use aes::cipher::array::Array;

pub(super) struct Ghash(Inner);

enum Inner {
    #[cfg(target_arch = "x86_64")]
    Clmul(clmul::Ghash),
    Portable(::ghash::GHash),
}

impl Ghash {
    /// GHASH keyed with `h` (the encryption of the zero block).
    pub(super) fn new(h: &[u8; 16]) -> Ghash {
        #[cfg(target_arch = "x86_64")]
        if let Some(g) = clmul::Ghash::new(h) {
            return Ghash(Inner::Clmul(g));
        }
        Ghash(Inner::Portable(::ghash::GHash::new(&Array::from(*h))))
    }

    /// The ghash crate's GHASH, whatever the machine (to check the fast one against).
    #[cfg(test)]
    fn portable(h: &[u8; 16]) -> Ghash {
        Ghash(Inner::Portable(::ghash::GHash::new(&Array::from(*h))))
    }

    /// Hashes whole 16-byte blocks: `blocks.len()` is a multiple of 16.
    pub(super) fn update(&mut self, blocks: &[u8]) {
        debug_assert_eq!(blocks.len() % 16, 0);
        match &mut self.0 {
            #[cfg(target_arch = "x86_64")]
            Inner::Clmul(g) => g.update(blocks),
            Inner::Portable(g) => g.update(Array::slice_as_chunks(blocks).0),
        }
    }

    pub(super) fn finalize(self) -> [u8; 16] {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Inner::Clmul(g) => g.finalize(),
            Inner::Portable(g) => g.finalize().into(),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod clmul {
    use std::arch::x86_64::*;

    use zeroize::Zeroize;

    /// The reduction constant of POLYVAL's field (x^128 + x^127 + x^126 + x^121 + 1).
    const P1: u64 = 0xC200_0000_0000_0000;

    /// POLYVAL state: the powers H^1..H^4 of the key with the D value of each (R/F
    /// algorithm), and the accumulator.
    pub(super) struct Ghash {
        h: [__m128i; 4],
        d: [__m128i; 4],
        acc: __m128i,
    }

    impl Drop for Ghash {
        fn drop(&mut self) {
            self.h.zeroize();
            self.d.zeroize();
            self.acc.zeroize();
        }
    }

    impl Ghash {
        /// None where the CPU lacks PCLMULQDQ or SSSE3 (checked once, then cached by std).
        #[allow(unsafe_code)]
        pub(super) fn new(h: &[u8; 16]) -> Option<Ghash> {
            if !(is_x86_feature_detected!("pclmulqdq") && is_x86_feature_detected!("ssse3")) {
                return None;
            }
            let mut reversed = *h;
            reversed.reverse();
            let mut key = mulx(u128::from_le_bytes(reversed)).to_le_bytes();
            // SAFETY: the features were detected above.
            let ghash = unsafe { expand(&key) };
            key.zeroize();
            reversed.zeroize();
            Some(ghash)
        }

        #[allow(unsafe_code)]
        pub(super) fn update(&mut self, blocks: &[u8]) {
            // SAFETY: a Ghash exists only where `new` detected the features.
            unsafe { update(self, blocks) }
        }

        #[allow(unsafe_code)]
        pub(super) fn finalize(self) -> [u8; 16] {
            let mut out = [0u8; 16];
            // SAFETY: SSE2 is part of x86_64; `out` has room for 16 bytes.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), self.acc) };
            out.reverse();
            out
        }
    }

    /// mulX_POLYVAL (RFC 8452 Appendix A): the element times x.
    fn mulx(v: u128) -> u128 {
        let hi = v >> 127;
        (v << 1) ^ hi ^ (hi << 127) ^ (hi << 126) ^ (hi << 121)
    }

    #[allow(unsafe_code)]
    #[target_feature(enable = "pclmulqdq,ssse3")]
    fn expand(key: &[u8; 16]) -> Ghash {
        // SAFETY: `key` is 16 bytes.
        let h1 = unsafe { _mm_loadu_si128(key.as_ptr().cast()) };
        let d1 = compute_d(h1);
        let h2 = multiply(h1, h1, d1);
        let d2 = compute_d(h2);
        let h3 = multiply(h2, h1, d1);
        let d3 = compute_d(h3);
        let h4 = multiply(h2, h2, d2);
        let d4 = compute_d(h4);
        Ghash {
            h: [h1, h2, h3, h4],
            d: [d1, d2, d3, d4],
            acc: _mm_setzero_si128(),
        }
    }

    #[target_feature(enable = "pclmulqdq,ssse3")]
    fn update(g: &mut Ghash, blocks: &[u8]) {
        let [h1, h2, h3, h4] = g.h;
        let [d1, d2, d3, d4] = g.d;
        let mut acc = g.acc;
        let mut quads = blocks.chunks_exact(64);
        for quad in &mut quads {
            let y0 = _mm_xor_si128(acc, load_reversed(&quad[..16]));
            let (r0, f0) = multiply_unreduced(y0, h4, d4);
            let (r1, f1) = multiply_unreduced(load_reversed(&quad[16..32]), h3, d3);
            let (r2, f2) = multiply_unreduced(load_reversed(&quad[32..48]), h2, d2);
            let (r3, f3) = multiply_unreduced(load_reversed(&quad[48..]), h1, d1);
            let r = _mm_xor_si128(_mm_xor_si128(r0, r1), _mm_xor_si128(r2, r3));
            let f = _mm_xor_si128(_mm_xor_si128(f0, f1), _mm_xor_si128(f2, f3));
            acc = reduce(r, f);
        }
        for block in quads.remainder().chunks_exact(16) {
            acc = multiply(_mm_xor_si128(acc, load_reversed(block)), h1, d1);
        }
        g.acc = acc;
    }

    /// A 16-byte block, byte-reversed (GHASH's order to POLYVAL's).
    #[allow(unsafe_code)]
    #[target_feature(enable = "ssse3")]
    fn load_reversed(block: &[u8]) -> __m128i {
        assert!(block.len() >= 16);
        // SAFETY: at least 16 bytes, checked above.
        let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
        _mm_shuffle_epi8(
            x,
            _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        )
    }

    /// D = swap(H) ⊕ H0 × P1, precomputed per power of H.
    #[target_feature(enable = "pclmulqdq")]
    fn compute_d(h: __m128i) -> __m128i {
        let p = _mm_set_epi64x(P1 as i64, 0);
        _mm_xor_si128(_mm_shuffle_epi32(h, 0x4e), _mm_clmulepi64_si128(h, p, 0x10))
    }

    /// R = M0×D1 ⊕ M1×H1 and F = M0×D0 ⊕ M1×H0, before reduction.
    #[target_feature(enable = "pclmulqdq")]
    fn multiply_unreduced(m: __m128i, h: __m128i, d: __m128i) -> (__m128i, __m128i) {
        let r = _mm_xor_si128(
            _mm_clmulepi64_si128(m, d, 0x10),
            _mm_clmulepi64_si128(m, h, 0x11),
        );
        let f = _mm_xor_si128(
            _mm_clmulepi64_si128(m, d, 0x00),
            _mm_clmulepi64_si128(m, h, 0x01),
        );
        (r, f)
    }

    /// R ⊕ F1 ⊕ x^64×F0 ⊕ P1×F0.
    #[target_feature(enable = "pclmulqdq")]
    fn reduce(r: __m128i, f: __m128i) -> __m128i {
        let p1 = _mm_set_epi64x(0, P1 as i64);
        let result = _mm_xor_si128(r, _mm_srli_si128(f, 8));
        let result = _mm_xor_si128(result, _mm_slli_si128(f, 8));
        _mm_xor_si128(result, _mm_clmulepi64_si128(f, p1, 0x00))
    }

    #[target_feature(enable = "pclmulqdq")]
    fn multiply(m: __m128i, h: __m128i, d: __m128i) -> __m128i {
        let (r, f) = multiply_unreduced(m, h, d);
        reduce(r, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast GHASH equals the ghash crate's for every number of blocks up to 70 and keys
    /// and inputs from a simple generator, fed in uneven runs.
    #[test]
    fn same_hash_as_the_ghash_crate() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for blocks in 0..70usize {
            let mut h = [0u8; 16];
            h.iter_mut().for_each(|b| *b = next() as u8);
            let data: Vec<u8> = (0..blocks * 16).map(|_| next() as u8).collect();
            let split = (next() as usize % (blocks + 1)) * 16;
            let mut fast = Ghash::new(&h);
            let mut portable = Ghash::portable(&h);
            for run in [&data[..split], &data[split..]] {
                fast.update(run);
                portable.update(run);
            }
            assert_eq!(fast.finalize(), portable.finalize(), "{blocks} blocks");
        }
    }
}

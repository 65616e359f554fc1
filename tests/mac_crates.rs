//! src/mac/ computes AES-CMAC and AES-GMAC by hand for speed (its header says why); the
//! RustCrypto crates stay the reference: over random keys, nonces, message lengths up to
//! 70,000 bytes and random split points, the hand-written MACs equal `cmac::Cmac<Aes128>`'s
//! tag and `aes_gcm::Aes128Gcm`'s tag over an empty plaintext with the message as AAD.

use aes::Aes128;
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Nonce};
use cmac::{Cmac, KeyInit, Mac};
use proptest::prelude::*;
use smbcheck::auth::credentials::Key16;
use smbcheck::crypto::mac::{aes_cmac, gmac};

/// The message cut at the given points (sorted, deduplicated, within its length).
fn split<'a>(message: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (message.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut parts = Vec::new();
    let mut start = 0;
    for p in points {
        parts.push(&message[start..p]);
        start = p;
    }
    parts.push(&message[start..]);
    parts
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        prop::collection::vec(any::<u8>(), 0..70_000),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cmac_equals_the_cmac_crate(
        key in any::<[u8; 16]>(),
        message in message(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut reference = <Cmac<Aes128> as KeyInit>::new_from_slice(&key).unwrap();
        reference.update(&message);
        let want: [u8; 16] = reference.finalize().into_bytes().into();
        let got = aes_cmac(&Key16::from_prefix(&key), &split(&message, &cuts));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn gmac_equals_the_aes_gcm_crate(
        key in any::<[u8; 16]>(),
        nonce in any::<[u8; 12]>(),
        message in message(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let cipher = <Aes128Gcm as KeyInit>::new_from_slice(&key).unwrap();
        let mut empty = [0u8; 0];
        let tag = cipher
            .encrypt_inout_detached(&Nonce::from(nonce), &message, (&mut empty[..]).into())
            .unwrap();
        let want: [u8; 16] = tag.into();
        let got = gmac(&Key16::from_prefix(&key), &nonce, &split(&message, &cuts));
        prop_assert_eq!(got, want);
    }
}

//! The crypto bound of scripts/bench.sh: how long the signing MAC smbcheck uses takes over a
//! given number of bytes in a given number of messages, on all cores, with nothing else to do.
//!
//!   cargo bench --bench mac_bound -- ALGORITHM BYTES MESSAGES
//!
//! ALGORITHM is AES-GMAC, AES-CMAC or HMAC-SHA256 (as smbcheck's JSON names it); the bytes
//! are split into MESSAGES messages of equal size, taken in turn by one thread per core.
//! Prints the best wall time of three rounds, in seconds. Plain `cargo bench` prints the
//! time and speed of each algorithm over 200 MB in 4 MB messages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use smbcheck::auth::credentials::Key16;
use smbcheck::crypto::sign::{SMB2_HEADER_LEN, SigningAlgorithm, smb2_signature};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match &args[..] {
        // Plain `cargo bench`: every algorithm over 200 MB in 4 MiB messages.
        [] => {
            let (bytes, messages) = (200_000_000, 48);
            let ours = ALGORITHMS.map(|(name, alg)| (name, Impl::Smbcheck(alg)));
            // The RustCrypto crates src/mac/ replaces for speed (tests/mac_crates.rs checks
            // that both give the same MACs).
            let crates = [
                ("AES-CMAC (cmac crate)", Impl::CmacCrate),
                ("AES-GMAC (aes-gcm crate)", Impl::AesGcmCrate),
            ];
            for (name, imp) in ours.into_iter().chain(crates) {
                let secs = best_time(imp, bytes, messages);
                println!(
                    "{name:<26} {secs:.4} s  {:.0} MB/s",
                    bytes as f64 / secs / 1e6
                );
            }
        }
        [alg, bytes, messages] => {
            let (Ok(bytes), Ok(messages)) = (bytes.parse(), messages.parse()) else {
                usage("BYTES and MESSAGES are positive integers");
            };
            if messages == 0 {
                usage("MESSAGES is a positive integer");
            }
            println!(
                "{:.4}",
                best_time(Impl::Smbcheck(algorithm(alg)), bytes, messages)
            );
        }
        _ => usage("ALGORITHM BYTES MESSAGES, or nothing"),
    }
}

const ALGORITHMS: [(&str, SigningAlgorithm); 3] = [
    ("AES-GMAC", SigningAlgorithm::AesGmac),
    ("AES-CMAC", SigningAlgorithm::AesCmac),
    ("HMAC-SHA256", SigningAlgorithm::HmacSha256),
];

fn algorithm(name: &str) -> SigningAlgorithm {
    match ALGORITHMS.iter().find(|(n, _)| *n == name) {
        Some((_, alg)) => *alg,
        None => usage(&format!("unknown algorithm {name}")),
    }
}

fn usage(why: &str) -> ! {
    eprintln!("mac_bound: {why}\nusage: mac_bound [AES-GMAC|AES-CMAC|HMAC-SHA256 BYTES MESSAGES]");
    std::process::exit(2);
}

/// Who computes the MAC: smbcheck's signing code, or a reference crate.
#[derive(Clone, Copy)]
enum Impl {
    Smbcheck(SigningAlgorithm),
    CmacCrate,
    AesGcmCrate,
}

impl Impl {
    fn mac(self, key: &Key16, message: &[u8]) -> [u8; 16] {
        use aes_gcm::aead::{AeadInOut, KeyInit};
        use cmac::Mac;
        match self {
            Impl::Smbcheck(alg) => smb2_signature(alg, key, message).expect("long enough"),
            Impl::CmacCrate => {
                let mut mac = <cmac::Cmac<aes::Aes128> as KeyInit>::new_from_slice(key.as_bytes())
                    .expect("16-byte key");
                mac.update(message);
                mac.finalize().into_bytes().into()
            }
            Impl::AesGcmCrate => {
                let cipher = <aes_gcm::Aes128Gcm as KeyInit>::new_from_slice(key.as_bytes())
                    .expect("16-byte key");
                let nonce = aes_gcm::Nonce::from([0u8; 12]);
                cipher
                    .encrypt_inout_detached(&nonce, message, (&mut [][..]).into())
                    .expect("AAD within limits")
                    .into()
            }
        }
    }
}

/// The best wall time of three rounds of `messages` MACs over `bytes` in all, on all cores.
fn best_time(alg: Impl, bytes: u64, messages: u64) -> f64 {
    let size = usize::try_from(bytes / messages)
        .unwrap_or(usize::MAX)
        .max(SMB2_HEADER_LEN);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    (0..3)
        .map(|_| round(alg, size, messages, threads))
        .fold(f64::INFINITY, f64::min)
}

/// One round: `messages` MACs over `size` bytes each, shared among `threads` threads. Each
/// thread MACs its own buffer (no sharing of cache lines), filled with something other than
/// zeros before the clock starts.
fn round(alg: Impl, size: usize, messages: u64, threads: usize) -> f64 {
    let buffers: Vec<Vec<u8>> = (0..threads)
        .map(|t| (0..size).map(|i| (i * 31 + t) as u8).collect())
        .collect();
    let next = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for (t, message) in buffers.iter().enumerate() {
            let next = &next;
            s.spawn(move || {
                let key = Key16::new([t as u8; 16]);
                let mut sink = 0u8;
                while next.fetch_add(1, Ordering::Relaxed) < messages {
                    let sig = alg.mac(&key, message);
                    sink ^= sig[0];
                }
                std::hint::black_box(sink);
            });
        }
    });
    start.elapsed().as_secs_f64()
}

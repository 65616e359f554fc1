//! The crypto bound of scripts/bench.sh: how long the signing MAC smbcheck uses takes over a
//! given number of bytes in a given number of messages, on all cores, with nothing else to do.
//!
//!   cargo bench --bench mac_bound -- ALGORITHM BYTES MESSAGES
//!
//! ALGORITHM is AES-GMAC, AES-CMAC or HMAC-SHA256 (as smbcheck's JSON names it); the bytes
//! are split into MESSAGES messages of equal size, taken in turn by one thread per core.
//! Prints the best wall time of three rounds, in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use smbcheck::auth::credentials::Key16;
use smbcheck::sign::{SMB2_HEADER_LEN, SigningAlgorithm, smb2_signature};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [alg, bytes, messages] = &args[..] else {
        eprintln!("usage: mac_bound AES-GMAC|AES-CMAC|HMAC-SHA256 BYTES MESSAGES");
        std::process::exit(2);
    };
    let alg = match alg.as_str() {
        "AES-GMAC" => SigningAlgorithm::AesGmac,
        "AES-CMAC" => SigningAlgorithm::AesCmac,
        "HMAC-SHA256" => SigningAlgorithm::HmacSha256,
        other => {
            eprintln!("mac_bound: unknown algorithm {other}");
            std::process::exit(2);
        }
    };
    let (bytes, messages): (u64, u64) = match (bytes.parse(), messages.parse()) {
        (Ok(b), Ok(m)) if m > 0 => (b, m),
        _ => {
            eprintln!("mac_bound: BYTES and MESSAGES are positive integers");
            std::process::exit(2);
        }
    };
    let size = usize::try_from(bytes / messages)
        .unwrap_or(usize::MAX)
        .max(SMB2_HEADER_LEN);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let best = (0..3)
        .map(|_| round(alg, size, messages, threads))
        .fold(f64::INFINITY, f64::min);
    println!("{best:.4}");
}

/// One round: `messages` MACs over `size` bytes each, shared among `threads` threads.
fn round(alg: SigningAlgorithm, size: usize, messages: u64, threads: usize) -> f64 {
    let next = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let next = &next;
            s.spawn(move || {
                // Every thread MACs its own buffer (no sharing of cache lines), filled with
                // something other than zeros.
                let message: Vec<u8> = (0..size).map(|i| (i * 31 + t) as u8).collect();
                let key = Key16::new([t as u8; 16]);
                let mut sink = 0u8;
                while next.fetch_add(1, Ordering::Relaxed) < messages {
                    let sig = smb2_signature(alg, &key, &message).expect("long enough");
                    sink ^= sig[0];
                }
                std::hint::black_box(sink);
            });
        }
    });
    start.elapsed().as_secs_f64()
}

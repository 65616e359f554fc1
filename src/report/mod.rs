//! Reports over the analysis: text for people, JSON for scripts, JSONL per message.

pub mod decrypted_pcap;
pub mod json;
pub mod jsonl;
pub mod keys;
pub mod names;
pub mod news;
pub mod text;

use crate::capture::Timestamp;

/// Seconds since the Unix epoch with microsecond precision, as JSON shows times.
pub fn epoch_seconds(ts: Timestamp) -> f64 {
    (ts.0 / 1_000) as f64 / 1e6
}

/// `0x` and 16 hex digits, the way Wireshark shows an SMB2 SessionId.
pub fn session_hex(id: u64) -> String {
    format!("0x{id:016x}")
}

/// An NT status as `0x` and 8 hex digits.
pub fn status_hex(status: u32) -> String {
    format!("0x{status:08x}")
}

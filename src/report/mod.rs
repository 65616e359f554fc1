//! Reports over the analysis: text for people, JSON for scripts, JSONL per message.

mod chains;
pub mod decrypted_pcap;
pub mod json;
pub mod jsonl;
pub mod keys;
pub mod news;
pub mod text;

use crate::capture::Timestamp;
pub use crate::model::names::{self, not_verified_line, session_hex, status_hex, unverified_why};

/// The version of the JSON and JSONL reports' shape (`report_version`, described by
/// docs/report.schema.json): raised when a field is renamed, removed or changes meaning;
/// adding a field keeps it.
pub const REPORT_VERSION: u32 = 1;

/// Seconds since the Unix epoch with microsecond precision, as JSON shows times.
pub fn epoch_seconds(ts: Timestamp) -> f64 {
    (ts.0 / 1_000) as f64 / 1e6
}

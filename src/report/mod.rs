//! Reports over the analysis: text for people, JSON for scripts, JSONL per message.

pub mod decrypted_pcap;
pub mod json;
pub mod jsonl;
pub mod keys;
pub mod news;
pub mod text;

use crate::capture::Timestamp;
pub use crate::model::names::{self, session_hex, status_hex};
use crate::model::{Analysis, Unverified};

/// What a reader is told about a reason signed messages were not verified.
pub fn unverified_why(why: Unverified, secrets_given: bool) -> &'static str {
    match why {
        Unverified::NoKey if !secrets_given => {
            "no credentials given (--password-file, --credentials, --nt-hash, --keys)"
        }
        Unverified::NoKey => {
            "no key for their session (no credentials for its user, or its logon not captured)"
        }
        Unverified::LostBytes => "bytes lost from the capture",
        Unverified::Truncated => "cut by the snap length",
        Unverified::Unsupported => "algorithm not known here (NEGOTIATE not captured)",
        Unverified::Malformed => "the message could not be rebuilt",
        Unverified::Echo => "the signature echoes the request: the server held no session",
    }
}

/// `71 of 71 signed messages not verified: no credentials given (...)`, when any signed
/// message was not verified: "no problems found" is said only when none is left so.
pub fn not_verified_line(analysis: &Analysis) -> Option<String> {
    let s = &analysis.summary;
    if s.unverified == 0 {
        return None;
    }
    let reasons: Vec<String> = analysis
        .unverified_reasons
        .iter()
        .map(|(why, n)| format!("{n} {}", unverified_why(*why, analysis.secrets_given)))
        .collect();
    let reasons = if reasons.len() == 1 {
        unverified_why(
            *analysis
                .unverified_reasons
                .keys()
                .next()
                .expect("one reason"),
            analysis.secrets_given,
        )
        .to_string()
    } else {
        reasons.join("; ")
    };
    Some(format!(
        "{} of {} signed messages not verified: {reasons}",
        s.unverified, s.signed
    ))
}

/// Seconds since the Unix epoch with microsecond precision, as JSON shows times.
pub fn epoch_seconds(ts: Timestamp) -> f64 {
    (ts.0 / 1_000) as f64 / 1e6
}

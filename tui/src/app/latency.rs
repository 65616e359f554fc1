//! The latency histogram of a session's break acknowledgments: each acknowledged copy's
//! latency (notification to acknowledgment) and each chain's stall (its first copy to the
//! acknowledgment, issue 23), in log-scaled buckets.

use std::collections::BTreeMap;

use smbcheck_model::{Analysis, BreakKind};

/// The buckets' names; bucket `i` holds `[10^(i-3), 10^(i-2))` seconds (the first from 0,
/// the last without end).
pub const BUCKETS: [&str; 5] = ["<1ms", "1-10ms", "10-100ms", "0.1-1s", ">1s"];

/// The bucket of a duration in milliseconds.
pub fn bucket(ms: f64) -> usize {
    match ms {
        ms if ms < 1.0 => 0,
        ms if ms < 10.0 => 1,
        ms if ms < 100.0 => 2,
        ms if ms < 1000.0 => 3,
        _ => 4,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Acknowledged copies per bucket of their latency.
    pub acks: [u64; BUCKETS.len()],
    /// Acknowledged chains per bucket of their stall.
    pub stalls: [u64; BUCKETS.len()],
    /// Chains never acknowledged.
    pub unanswered: u64,
    /// Chains with more than one copy.
    pub resent: u64,
}

/// The histogram of the breaks of session `session_id` (the session that held the open).
pub fn histogram(a: &Analysis, session_id: u64) -> Histogram {
    let mut h = Histogram::default();
    // Per chain: its copies, whether one was answered, its stall.
    let mut chains: BTreeMap<(u64, bool), (u64, bool, Option<f64>)> = BTreeMap::new();
    for b in a.breaks.iter().filter(|b| b.session_id == Some(session_id)) {
        if let (Some(_), Some(ms)) = (&b.ack, b.latency_ms) {
            h.acks[bucket(ms)] += 1;
        }
        let chain = chains
            .entry((b.chain_first, b.kind == BreakKind::Lease))
            .or_default();
        chain.0 += 1;
        chain.1 |= b.ack.is_some();
        chain.2 = chain.2.or(b.stall_ms);
    }
    for (copies, acked, stall) in chains.into_values() {
        if copies > 1 {
            h.resent += 1;
        }
        match (acked, stall) {
            (true, Some(ms)) => h.stalls[bucket(ms)] += 1,
            (true, None) => {}
            (false, _) => h.unanswered += 1,
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_are_decades() {
        assert_eq!(bucket(0.086), 0);
        assert_eq!(bucket(1.0), 1);
        assert_eq!(bucket(99.9), 2);
        assert_eq!(bucket(100.0), 3);
        assert_eq!(bucket(1275.0), 4);
    }
}

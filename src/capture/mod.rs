//! Capture input: streaming readers for pcap, pcapng and gzip-compressed captures, several
//! files merged into one timeline, and link/IP/TCP decoding (being written).

/// Capture time in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

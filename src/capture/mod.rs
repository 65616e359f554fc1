//! Capture input: pcap and pcapng files read through a mapping or streamed (gzip), several
//! files merged into one timeline, and link/IP/TCP decoding.

mod error;
mod file;
mod format;
pub mod link;
#[cfg(feature = "live")]
pub mod live;
mod mapped;
mod merge;
mod open;
mod prefetch;
mod source;
mod timestamp;

pub use error::{CaptureError, CaptureIssue};
pub use file::FrameRef;
pub use link::{Backing, Decoded, TcpSegment, UdpDatagram, decode_tcp};
pub use mapped::Mapping;
pub use merge::{BytesRead, CaptureSet};
pub use source::Frames;

/// Capture time in nanoseconds since the Unix epoch (a type of the analysis model).
pub use smbcheck_model::Timestamp;

/// Longest packet record accepted (tshark's limit too); longer lengths are damage.
pub const MAX_RECORD_LEN: usize = 256 * 1024;

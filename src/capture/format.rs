//! What both ways of reading a capture file share: the file formats' magic numbers, the
//! reader's buffer size, and how a damaged file header is described.

use pcap_parser::PcapError;

use super::MAX_RECORD_LEN;

/// The circular buffer holds the longest accepted record plus room for block headers.
pub(super) const BUFFER_LEN: usize = MAX_RECORD_LEN + 64 * 1024;

pub(super) const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
pub(super) const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1], // microseconds, little-endian
    [0xa1, 0xb2, 0xc3, 0xd4], // microseconds, big-endian
    [0x4d, 0x3c, 0xb2, 0xa1], // nanoseconds, little-endian
    [0xa1, 0xb2, 0x3c, 0x4d], // nanoseconds, big-endian
];

pub(super) fn describe_header_error(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            "file ends inside the file header".to_owned()
        }
        PcapError::ReadError => "read error".to_owned(),
        other => format!("{other:?}"),
    }
}

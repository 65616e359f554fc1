//! Zero-copy nom dissectors for the protocols smbcheck reads: NBSS framing, SMB1/CIFS,
//! SMB2/SMB3 (with compound chains and the transform headers), SPNEGO/GSS-API and
//! NTLMSSP, and the SMB2 decompressors. No I/O, no crypto.
//!
//! Guarantees: records borrow the input (`&'a [u8]`); no parser panics on any input;
//! nothing allocates in proportion to a length or count read from the wire (lists are
//! iterators over borrowed bytes; the string helpers are bounded by
//! [`MAX_STRING_CHARS`]).
//!
//! API at a glance:
//! - [`pdu_kind`]: what an SMB PDU starts with (SMB1, SMB2, transform, compressed).
//! - [`nbss`]: `parse_header`, `parse_frame` (streaming), session request/responses.
//! - [`smb2`]: `parse_header -> IResult<_, Header>`, `Compound::new(pdu)` (each element
//!   as the bytes its signature covers), `parse_body(&Header, msg) -> Result<Body>` and
//!   one `parse_*` function per body; negotiate contexts, create contexts, network
//!   interfaces as iterators; constants for commands, flags, dialects, FSCTLs.
//! - [`transform`]: `parse_transform` (0xFD: nonce, AAD, ciphertext) and
//!   `parse_compression` (0xFC, unchained and chained).
//! - [`compression`]: `decompress_message` rebuilds the message of a 0xFC header;
//!   decompressors for LZNT1, LZ77, LZ77+Huffman, Pattern_V1 and LZ4, each bounded by the
//!   declared size.
//! - [`smb1`]: `parse_header`, `parse_message` (header + first block),
//!   `Message::chain()` (AndX), `parse_body(&Header, &Block) -> Result<Body>`.
//! - [`spnego`]: `parse_token`, `find_ntlmssp(blob)`, `blob_mech(blob)`; [`der`] is the
//!   small bounded DER reader underneath.
//! - [`ntlmssp`]: `parse_negotiate`, `parse_challenge`, `parse_authenticate`,
//!   `parse_ntlmv2_response`, `AvPairs`, flag constants.
//! - [`status`]: NTSTATUS constants and names.
//!
//! Header parsers return nom's `IResult`; whole-message parsers return
//! `Result<_, `[`Error`]`>` (SMB2 body parsers take the element starting at its
//! header, because buffer offsets count from the header).

#![forbid(unsafe_code)]
// No parser panics on any input (see above): no indexing or slicing that can go out of
// bounds, no unwrap/expect/panic outside the tests. A read that is provably in bounds
// is allowed where it is, saying why.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used
    )
)]

pub mod compression;
pub mod der;
mod error;
pub mod kerberos;
pub mod keytab;
pub mod nbss;
pub mod ntlmssp;
pub mod smb1;
pub mod smb2;
pub mod spnego;
pub mod status;
pub mod transform;
mod util;

pub use error::{Error, Result};
pub use util::{MAX_STRING_CHARS, U16Iter, U16List, guid_string, oem_lossy, utf16le_lossy};

/// What an SMB PDU (an NBSS session message payload) starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduKind {
    /// `0xFF 'SMB'`: SMB1.
    Smb1,
    /// `0xFE 'SMB'`: SMB2/3.
    Smb2,
    /// `0xFD 'SMB'`: SMB2 TRANSFORM_HEADER (encrypted).
    Transform,
    /// `0xFC 'SMB'`: SMB2 COMPRESSION_TRANSFORM_HEADER.
    Compressed,
}

/// Classify a PDU by its first four bytes; `None` for anything else or fewer bytes.
pub fn pdu_kind(pdu: &[u8]) -> Option<PduKind> {
    match pdu.get(..4)? {
        b"\xffSMB" => Some(PduKind::Smb1),
        b"\xfeSMB" => Some(PduKind::Smb2),
        b"\xfdSMB" => Some(PduKind::Transform),
        b"\xfcSMB" => Some(PduKind::Compressed),
        _ => None,
    }
}

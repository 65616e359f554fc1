//! SMB2 TRANSFORM_HEADER (0xFD 'SMB', MS-SMB2 2.2.41) and COMPRESSION_TRANSFORM_HEADER
//! (0xFC 'SMB', 2.2.42). Decryption and decompression are not done here.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::tag;

use crate::error::{Error, Result};
use crate::util::{array, bytes, u16_, u32_, u64_};

/// `0xFD 'S' 'M' 'B'`.
pub const TRANSFORM_PROTOCOL_ID: &[u8; 4] = b"\xfdSMB";
/// `0xFC 'S' 'M' 'B'`.
pub const COMPRESSION_PROTOCOL_ID: &[u8; 4] = b"\xfcSMB";
/// Size of the transform header.
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// Size of the compression transform header's fixed part: unchained, the whole header;
/// chained, its 8 bytes and the first payload header's 8.
pub const COMPRESSION_HEADER_LEN: usize = 16;
/// Offset of the AAD (Nonce..SessionId) within the transform header.
pub const AAD_OFFSET: usize = 20;
/// Length of the AAD.
pub const AAD_LEN: usize = 32;

/// Flags value 0x0001: Encrypted (3.1.1) / EncryptionAlgorithm AES-128-CCM (3.0, 3.0.2).
pub const TRANSFORM_FLAG_ENCRYPTED: u16 = 0x0001;

/// TRANSFORM_HEADER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformHeader<'a> {
    /// Signature: the AEAD tag.
    pub signature: [u8; 16],
    /// Nonce (16 bytes; CCM uses the first 11, GCM the first 12).
    pub nonce: [u8; 16],
    /// OriginalMessageSize: plaintext size.
    pub original_message_size: u32,
    /// Flags (3.1.1) / EncryptionAlgorithm (3.0.x).
    pub flags: u16,
    /// SessionId.
    pub session_id: u64,
    /// The 32 bytes of additional authenticated data: Nonce through SessionId (3.1.4.3).
    pub aad: &'a [u8],
    /// The encrypted message.
    pub ciphertext: &'a [u8],
    /// The whole PDU.
    pub raw: &'a [u8],
}

/// Parse a transform header and split off the ciphertext (the rest of the PDU).
pub fn parse_transform(pdu: &[u8]) -> IResult<&[u8], TransformHeader<'_>> {
    let (i, _) = tag(&TRANSFORM_PROTOCOL_ID[..]).parse(pdu)?;
    let (i, signature) = array::<16>(i)?;
    let (i, nonce) = array::<16>(i)?;
    let (i, original_message_size) = u32_(i)?;
    let (i, _reserved) = u16_(i)?;
    let (i, flags) = u16_(i)?;
    let (ciphertext, session_id) = u64_(i)?;
    let (_, aad) = bytes(pdu.get(AAD_OFFSET..).unwrap_or(&[]), AAD_LEN)?;
    Ok((
        &[],
        TransformHeader {
            signature,
            nonce,
            original_message_size,
            flags,
            session_id,
            aad,
            ciphertext,
            raw: pdu,
        },
    ))
}

/// SMB2_COMPRESSION_FLAG_CHAINED.
pub const COMPRESSION_FLAG_CHAINED: u16 = 0x0001;

/// COMPRESSION_TRANSFORM_HEADER, unchained or chained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionHeader<'a> {
    /// Unchained (2.2.42.1).
    Unchained {
        /// OriginalCompressedSegmentSize.
        original_size: u32,
        /// CompressionAlgorithm (wire value of [`crate::compression::Algorithm`]).
        algorithm: u16,
        /// Flags (SMB2_COMPRESSION_FLAG_NONE).
        flags: u16,
        /// Offset: uncompressed bytes at the start of the data.
        offset: u32,
        /// The data after the 16-byte header.
        data: &'a [u8],
    },
    /// Chained (2.2.42.2).
    Chained {
        /// OriginalCompressedSegmentSize.
        original_size: u32,
        /// The payload headers and their data.
        payloads: ChainedPayloads<'a>,
    },
}

/// Parse a compression transform header.
pub fn parse_compression(pdu: &[u8]) -> Result<CompressionHeader<'_>> {
    let (i, _) = tag(&COMPRESSION_PROTOCOL_ID[..])
        .parse(pdu)
        .map_err(Error::from)?;
    let (rest, original_size) = u32_(i)?;
    let (i, algorithm) = u16_(rest)?;
    let (i, flags) = u16_(i)?;
    if flags & COMPRESSION_FLAG_CHAINED != 0 {
        return Ok(CompressionHeader::Chained {
            original_size,
            payloads: ChainedPayloads { rest, done: false },
        });
    }
    let (data, offset) = u32_(i)?;
    Ok(CompressionHeader::Unchained {
        original_size,
        algorithm,
        flags,
        offset,
        data,
    })
}

/// One COMPRESSION_PAYLOAD_HEADER (2.2.42.2.1) and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainedPayload<'a> {
    /// CompressionAlgorithm.
    pub algorithm: u16,
    /// Flags.
    pub flags: u16,
    /// Length of the payload that follows the 8-byte header.
    pub length: u32,
    /// OriginalPayloadSize, present for the LZ-family algorithms (2.2.42.2.1); it is
    /// counted in `length`.
    pub original_payload_size: Option<u32>,
    /// The payload (after OriginalPayloadSize when present).
    pub data: &'a [u8],
}

/// Iterator over the chained payloads; yields `Err` once on a truncated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainedPayloads<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> Iterator for ChainedPayloads<'a> {
    type Item = Result<ChainedPayload<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let r = (|| -> Result<(&'a [u8], ChainedPayload<'a>)> {
            let (i, algorithm) = u16_(self.rest)?;
            let (i, flags) = u16_(i)?;
            let (i, length) = u32_(i)?;
            let (rest, payload) = bytes(i, length as usize)?;
            // NONE (0) and Pattern_V1 (4) carry no OriginalPayloadSize
            let (original_payload_size, data) = if matches!(algorithm, 1..=3 | 5) {
                let (d, s) = u32_(payload)?;
                (Some(s), d)
            } else {
                (None, payload)
            };
            Ok((
                rest,
                ChainedPayload {
                    algorithm,
                    flags,
                    length,
                    original_payload_size,
                    data,
                },
            ))
        })();
        match r {
            Ok((rest, p)) => {
                self.rest = rest;
                Some(Ok(p))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

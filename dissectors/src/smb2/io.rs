//! READ (MS-SMB2 2.2.19, 2.2.20), WRITE (2.2.21, 2.2.22) and the ERROR response (2.2.2).

use super::{FileId, body_with_size, file_id};
use crate::error::Result;
use crate::util::{self, u8_, u16_, u32_, u64_};

/// READ request (2.2.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// Flags (3.0.2+: SMB2_READFLAG_READ_UNBUFFERED...).
    pub flags: u8,
    /// Length.
    pub length: u32,
    /// Offset.
    pub offset: u64,
    /// FileId.
    pub file_id: FileId,
    /// MinimumCount.
    pub minimum_count: u32,
    /// Channel (RDMA).
    pub channel: u32,
    /// RemainingBytes.
    pub remaining_bytes: u32,
}

/// Parse a READ request; `msg` starts at the SMB2 header.
pub fn parse_read_request(msg: &[u8]) -> Result<ReadRequest> {
    let body = body_with_size(msg, 49)?;
    let (i, _size) = u16_(body)?;
    let (i, _padding) = u8_(i)?;
    let (i, flags) = u8_(i)?;
    let (i, length) = u32_(i)?;
    let (i, offset) = u64_(i)?;
    let (i, file_id) = file_id(i)?;
    let (i, minimum_count) = u32_(i)?;
    let (i, channel) = u32_(i)?;
    let (_, remaining_bytes) = u32_(i)?;
    Ok(ReadRequest {
        flags,
        length,
        offset,
        file_id,
        minimum_count,
        channel,
        remaining_bytes,
    })
}

/// READ response (2.2.20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResponse<'a> {
    /// DataOffset (from the header start).
    pub data_offset: u8,
    /// DataLength.
    pub data_length: u32,
    /// DataRemaining.
    pub data_remaining: u32,
    /// The data, when it lies within the message (`None` if cut).
    pub data: Option<&'a [u8]>,
}

/// Parse a READ response; `msg` starts at the SMB2 header.
pub fn parse_read_response(msg: &[u8]) -> Result<ReadResponse<'_>> {
    let body = body_with_size(msg, 17)?;
    let (i, _size) = u16_(body)?;
    let (i, data_offset) = u8_(i)?;
    let (i, _reserved) = u8_(i)?;
    let (i, data_length) = u32_(i)?;
    let (_, data_remaining) = u32_(i)?;
    Ok(ReadResponse {
        data_offset,
        data_length,
        data_remaining,
        data: util::buffer(msg, data_offset.into(), data_length as usize).ok(),
    })
}

/// WRITE request (2.2.21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRequest<'a> {
    /// DataOffset (from the header start).
    pub data_offset: u16,
    /// Length.
    pub length: u32,
    /// Offset in the file.
    pub offset: u64,
    /// FileId.
    pub file_id: FileId,
    /// Channel.
    pub channel: u32,
    /// RemainingBytes.
    pub remaining_bytes: u32,
    /// Flags.
    pub flags: u32,
    /// The data, when it lies within the message (`None` if cut).
    pub data: Option<&'a [u8]>,
}

/// Parse a WRITE request; `msg` starts at the SMB2 header.
pub fn parse_write_request(msg: &[u8]) -> Result<WriteRequest<'_>> {
    let body = body_with_size(msg, 49)?;
    let (i, _size) = u16_(body)?;
    let (i, data_offset) = u16_(i)?;
    let (i, length) = u32_(i)?;
    let (i, offset) = u64_(i)?;
    let (i, file_id) = file_id(i)?;
    let (i, channel) = u32_(i)?;
    let (i, remaining_bytes) = u32_(i)?;
    let (i, _wci_off) = u16_(i)?;
    let (i, _wci_len) = u16_(i)?;
    let (_, flags) = u32_(i)?;
    Ok(WriteRequest {
        data_offset,
        length,
        offset,
        file_id,
        channel,
        remaining_bytes,
        flags,
        data: util::buffer(msg, data_offset.into(), length as usize).ok(),
    })
}

/// WRITE response (2.2.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteResponse {
    /// Count written.
    pub count: u32,
    /// Remaining.
    pub remaining: u32,
}

/// Parse a WRITE response; `msg` starts at the SMB2 header.
pub fn parse_write_response(msg: &[u8]) -> Result<WriteResponse> {
    let body = body_with_size(msg, 17)?;
    let (i, _size) = u16_(body)?;
    let (i, _reserved) = u16_(i)?;
    let (i, count) = u32_(i)?;
    let (_, remaining) = u32_(i)?;
    Ok(WriteResponse { count, remaining })
}

/// SMB2 ERROR response (2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorResponse<'a> {
    /// ErrorContextCount (3.1.1).
    pub error_context_count: u8,
    /// ByteCount.
    pub byte_count: u32,
    /// ErrorData (up to ByteCount, bounded by the message).
    pub error_data: &'a [u8],
}

/// Parse an ERROR response; `msg` starts at the SMB2 header.
pub fn parse_error_response(msg: &[u8]) -> Result<ErrorResponse<'_>> {
    let body = body_with_size(msg, 9)?;
    let (i, _size) = u16_(body)?;
    let (i, error_context_count) = u8_(i)?;
    let (i, _reserved) = u8_(i)?;
    let (i, byte_count) = u32_(i)?;
    let n = (byte_count as usize).min(i.len());
    let error_data = i.get(..n).unwrap_or(&[]);
    Ok(ErrorResponse {
        error_context_count,
        byte_count,
        error_data,
    })
}

//! SMB_COM_READ_ANDX (MS-CIFS 2.2.4.42, MS-SMB 2.2.4.4) and SMB_COM_WRITE_ANDX
//! (MS-CIFS 2.2.4.43, MS-SMB 2.2.4.5).

use super::message::parse_andx;
use super::{AndX, Block};
use crate::error::Result;
use crate::util::{self, u16_, u32_};

/// READ_ANDX request (2.2.4.42.1; WordCount 10 or 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// AndX.
    pub andx: AndX,
    /// FID.
    pub fid: u16,
    /// Offset (with OffsetHigh when WordCount is 12).
    pub offset: u64,
    /// MaxCountOfBytesToReturn (low 16 bits).
    pub max_count: u16,
    /// MinCountOfBytesToReturn.
    pub min_count: u16,
    /// Timeout, or MaxCountHigh in its low 16 bits with CAP_LARGE_READX (MS-SMB 2.2.4.4.1).
    pub timeout_or_max_count_high: u32,
    /// Remaining.
    pub remaining: u16,
}

/// Parse a READ_ANDX request block.
pub fn parse_read_request(b: &Block<'_>) -> Result<ReadRequest> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, fid) = u16_(i)?;
    let (i, offset) = u32_(i)?;
    let (i, max_count) = u16_(i)?;
    let (i, min_count) = u16_(i)?;
    let (i, timeout_or_max_count_high) = u32_(i)?;
    let (i, remaining) = u16_(i)?;
    let high = if b.word_count >= 12 { u32_(i)?.1 } else { 0 };
    Ok(ReadRequest {
        andx,
        fid,
        offset: (u64::from(high) << 32) | u64::from(offset),
        max_count,
        min_count,
        timeout_or_max_count_high,
        remaining,
    })
}

/// READ_ANDX response (2.2.4.42.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResponse<'a> {
    /// AndX.
    pub andx: AndX,
    /// Available.
    pub available: u16,
    /// DataLength (with DataLengthHigh, MS-SMB 2.2.4.4.2).
    pub data_length: u32,
    /// DataOffset from the header start.
    pub data_offset: u16,
    /// The data when within the message.
    pub data: Option<&'a [u8]>,
}

/// Parse a READ_ANDX response block.
pub fn parse_read_response<'a>(b: &Block<'a>) -> Result<ReadResponse<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, available) = u16_(i)?;
    let (i, _compaction) = u16_(i)?;
    let (i, _reserved1) = u16_(i)?;
    let (i, len_low) = u16_(i)?;
    let (i, data_offset) = u16_(i)?;
    let (_, len_high) = u16_(i)?;
    let data_length = (u32::from(len_high) << 16) | u32::from(len_low);
    Ok(ReadResponse {
        andx,
        available,
        data_length,
        data_offset,
        data: util::buffer(b.msg, data_offset.into(), data_length as usize).ok(),
    })
}

/// WRITE_ANDX request (2.2.4.43.1; WordCount 12 or 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// FID.
    pub fid: u16,
    /// Offset (with OffsetHigh when WordCount is 14).
    pub offset: u64,
    /// Timeout.
    pub timeout: u32,
    /// WriteMode.
    pub write_mode: u16,
    /// Remaining.
    pub remaining: u16,
    /// DataLength (with DataLengthHigh, MS-SMB 2.2.4.5.1).
    pub data_length: u32,
    /// DataOffset from the header start.
    pub data_offset: u16,
    /// The data when within the message.
    pub data: Option<&'a [u8]>,
}

/// Parse a WRITE_ANDX request block.
pub fn parse_write_request<'a>(b: &Block<'a>) -> Result<WriteRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, fid) = u16_(i)?;
    let (i, offset) = u32_(i)?;
    let (i, timeout) = u32_(i)?;
    let (i, write_mode) = u16_(i)?;
    let (i, remaining) = u16_(i)?;
    let (i, len_high) = u16_(i)?;
    let (i, len_low) = u16_(i)?;
    let (i, data_offset) = u16_(i)?;
    let high = if b.word_count >= 14 { u32_(i)?.1 } else { 0 };
    let data_length = (u32::from(len_high) << 16) | u32::from(len_low);
    Ok(WriteRequest {
        andx,
        fid,
        offset: (u64::from(high) << 32) | u64::from(offset),
        timeout,
        write_mode,
        remaining,
        data_length,
        data_offset,
        data: util::buffer(b.msg, data_offset.into(), data_length as usize).ok(),
    })
}

/// WRITE_ANDX response (2.2.4.43.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteResponse {
    /// AndX.
    pub andx: AndX,
    /// Count (with CountHigh, MS-SMB 2.2.4.5.2).
    pub count: u32,
    /// Available.
    pub available: u16,
}

/// Parse a WRITE_ANDX response block.
pub fn parse_write_response(b: &Block<'_>) -> Result<WriteResponse> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, count) = u16_(i)?;
    let (i, available) = u16_(i)?;
    let (_, count_high) = u16_(i)?;
    Ok(WriteResponse {
        andx,
        count: (u32::from(count_high) << 16) | u32::from(count),
        available,
    })
}

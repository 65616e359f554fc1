//! The 32-byte SMB1 header (MS-CIFS 2.2.3.1) and its Flags / Flags2 bits.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::tag;

use crate::util::{array, bytes, u8_, u16_, u32_};

/// `0xFF 'S' 'M' 'B'`.
pub const PROTOCOL_ID: &[u8; 4] = b"\xffSMB";
/// Size of the SMB1 header.
pub const HEADER_LEN: usize = 32;
/// Offset of SecurityFeatures (the 8-byte signature) in the header.
pub const SIGNATURE_OFFSET: usize = 14;

// Flags (2.2.3.1)
/// SMB_FLAGS_REPLY: a response.
pub const FLAGS_REPLY: u8 = 0x80;

// Flags2 (2.2.3.1, MS-SMB 2.2.3.1)
/// SMB_FLAGS2_EXTENDED_SECURITY.
pub const FLAGS2_EXTENDED_SECURITY: u16 = 0x0800;
/// SMB_FLAGS2_UNICODE.
pub const FLAGS2_UNICODE: u16 = 0x8000;

/// The 32-byte SMB1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The 32 raw bytes.
    pub raw: &'a [u8],
    /// Command (`COM_*`).
    pub command: u8,
    /// Status: NTSTATUS with SMB_FLAGS2_NT_STATUS, else DOS (class, reserved, code LE).
    pub status: u32,
    /// Flags (`FLAGS_*`).
    pub flags: u8,
    /// Flags2 (`FLAGS2_*`).
    pub flags2: u16,
    /// PIDHigh.
    pub pid_high: u16,
    /// SecurityFeatures: the 8-byte signature once signing is active.
    pub signature: [u8; 8],
    /// TID.
    pub tid: u16,
    /// PIDLow.
    pub pid_low: u16,
    /// UID.
    pub uid: u16,
    /// MID.
    pub mid: u16,
}

impl Header<'_> {
    /// SMB_FLAGS_REPLY.
    pub fn is_response(&self) -> bool {
        self.flags & FLAGS_REPLY != 0
    }
    /// SMB_FLAGS2_UNICODE.
    pub fn is_unicode(&self) -> bool {
        self.flags2 & FLAGS2_UNICODE != 0
    }
    /// SMB_FLAGS2_EXTENDED_SECURITY.
    pub fn is_extended_security(&self) -> bool {
        self.flags2 & FLAGS2_EXTENDED_SECURITY != 0
    }
    /// The 32-bit process id (PIDHigh << 16 | PIDLow).
    pub fn pid(&self) -> u32 {
        (u32::from(self.pid_high) << 16) | u32::from(self.pid_low)
    }
}

/// Parse the 32-byte header; the rest is the parameter block onwards.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], Header<'_>> {
    let (i, _) = tag(&PROTOCOL_ID[..]).parse(input)?;
    let (i, command) = u8_(i)?;
    let (i, status) = u32_(i)?;
    let (i, flags) = u8_(i)?;
    let (i, flags2) = u16_(i)?;
    let (i, pid_high) = u16_(i)?;
    let (i, signature) = array::<8>(i)?;
    let (i, _reserved) = u16_(i)?;
    let (i, tid) = u16_(i)?;
    let (i, pid_low) = u16_(i)?;
    let (i, uid) = u16_(i)?;
    let (rest, mid) = u16_(i)?;
    let (_, raw) = bytes(input, HEADER_LEN)?;
    Ok((
        rest,
        Header {
            raw,
            command,
            status,
            flags,
            flags2,
            pid_high,
            signature,
            tid,
            pid_low,
            uid,
            mid,
        },
    ))
}

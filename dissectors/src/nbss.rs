//! NetBIOS session service framing (RFC 1002 section 4.3; MS-SMB2 2.1 for direct TCP).
//!
//! Every SMB PDU on TCP is preceded by a 4-byte header: a type byte, then on port 139 a
//! flags byte whose bit 0 extends the 16-bit big-endian length to 17 bits (RFC 1002
//! 4.3.1), while on direct TCP (445) the type must be 0 and the last three bytes are a
//! 24-bit big-endian length (MS-SMB2 2.1 "StreamProtocolLength").

use nom::IResult;
use nom::Parser;
use nom::bytes::streaming::take;
use nom::number::streaming::{be_u16, be_u32, u8 as nom_u8};

/// Session message (carries an SMB PDU).
pub const SESSION_MESSAGE: u8 = 0x00;

/// Size of the NBSS header.
pub const HEADER_LEN: usize = 4;

/// The 4-byte NBSS header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Message type (`SESSION_MESSAGE`; RFC 1002 4.3.1 for the others).
    pub msg_type: u8,
    /// Flags byte (bit 0: length extension on port 139; high byte of the length on 445).
    pub flags: u8,
    /// The low 16 bits of the length.
    pub length16: u16,
}

impl Header {
    /// RFC 1002 length: 17 bits, the extension bit in `flags` bit 0.
    pub fn length(&self) -> u32 {
        (u32::from(self.flags & 1) << 16) | u32::from(self.length16)
    }
    /// Direct-TCP (445) length: 24 bits, `flags` is the high byte.
    pub fn length_direct_tcp(&self) -> u32 {
        (u32::from(self.flags) << 16) | u32::from(self.length16)
    }
}

/// Parse the 4-byte header (streaming: `Incomplete` when fewer than 4 bytes).
pub fn parse_header(i: &[u8]) -> IResult<&[u8], Header> {
    let (i, msg_type) = nom_u8(i)?;
    let (i, flags) = nom_u8(i)?;
    let (i, length16) = be_u16(i)?;
    Ok((
        i,
        Header {
            msg_type,
            flags,
            length16,
        },
    ))
}

/// One NBSS frame: header and the payload it announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header.
    pub header: Header,
    /// The payload (an SMB PDU for `SESSION_MESSAGE`).
    pub payload: &'a [u8],
}

/// Parse one frame using the 24-bit direct-TCP length for session messages (a superset
/// of the 17-bit RFC 1002 form whenever the flags bits above bit 0 are clear) and the
/// 17-bit length for the other types. Streaming: returns `Incomplete` with the number
/// of missing bytes while the frame is not complete.
pub fn parse_frame(i: &[u8]) -> IResult<&[u8], Frame<'_>> {
    let (i, header) = parse_header(i)?;
    let len = if header.msg_type == SESSION_MESSAGE {
        header.length_direct_tcp()
    } else {
        header.length()
    };
    let (i, payload) = take(len as usize).parse(i)?;
    Ok((i, Frame { header, payload }))
}

/// Payload of a negative session response: the error code (RFC 1002 4.3.4).
pub fn parse_negative_response(payload: &[u8]) -> IResult<&[u8], u8> {
    nom_u8(payload)
}

/// Payload of a retarget response: IPv4 address and port (RFC 1002 4.3.5).
pub fn parse_retarget_response(payload: &[u8]) -> IResult<&[u8], (std::net::Ipv4Addr, u16)> {
    let (i, ip) = be_u32(payload)?;
    let (i, port) = be_u16(i)?;
    Ok((i, (std::net::Ipv4Addr::from(ip), port)))
}

/// Session request payload: the called and calling names, still encoded (RFC 1001 14.1
/// first-level encoding, each a length-prefixed label sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRequest<'a> {
    /// Encoded called name (label bytes without the length prefix).
    pub called: &'a [u8],
    /// Encoded calling name.
    pub calling: &'a [u8],
}

fn encoded_name(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, len) = nom_u8(i)?;
    let (i, name) = take(len as usize).parse(i)?;
    // skip the scope labels up to the root label (bounded by the input)
    let mut rest = i;
    loop {
        let (r, l) = nom_u8(rest)?;
        if l == 0 {
            return Ok((r, name));
        }
        let (r, _) = take(l as usize).parse(r)?;
        rest = r;
    }
}

/// Parse a session request payload.
pub fn parse_session_request(payload: &[u8]) -> IResult<&[u8], SessionRequest<'_>> {
    let (i, called) = encoded_name(payload)?;
    let (i, calling) = encoded_name(i)?;
    Ok((i, SessionRequest { called, calling }))
}

/// Decode a first-level encoded NetBIOS name (32 'A'..'P' letters) into its 15 name bytes
/// (trailing spaces trimmed) and the suffix byte. `None` when it is not such a name.
pub fn decode_netbios_name(enc: &[u8]) -> Option<(String, u8)> {
    if enc.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(enc.chunks_exact(2)) {
        let &[hi, lo] = pair else { return None };
        let hi = hi.checked_sub(b'A').filter(|v| *v < 16)?;
        let lo = lo.checked_sub(b'A').filter(|v| *v < 16)?;
        *o = (hi << 4) | lo;
    }
    let name: String = out[..15].iter().map(|&c| char::from(c)).collect();
    Some((name.trim_end().to_string(), out[15]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let (_, h) = parse_header(&[0, 0x01, 0x00, 0x10]).unwrap();
        assert_eq!(h.length(), 0x10010);
        assert_eq!(h.length_direct_tcp(), 0x10010);
        let (_, h) = parse_header(&[0, 0x02, 0x00, 0x10]).unwrap();
        assert_eq!(h.length(), 0x10);
        assert_eq!(h.length_direct_tcp(), 0x20010);
        assert!(parse_header(&[0, 0]).is_err());
    }

    #[test]
    fn frame_incomplete_and_complete() {
        let data = [0u8, 0, 0, 4, 0xfe, b'S', b'M'];
        assert!(matches!(parse_frame(&data), Err(nom::Err::Incomplete(_))));
        let data = [0u8, 0, 0, 2, 1, 2, 9];
        let (rest, f) = parse_frame(&data).unwrap();
        assert_eq!(f.payload, &[1, 2]);
        assert_eq!(rest, &[9]);
        const KEEPALIVE: u8 = 0x85; // SESSION KEEP ALIVE (RFC 1002 4.3.1)
        let ka = [KEEPALIVE, 0, 0, 0];
        let (_, f) = parse_frame(&ka).unwrap();
        assert_eq!(f.header.msg_type, KEEPALIVE);
        assert!(f.payload.is_empty());
    }

    #[test]
    fn netbios_names() {
        // "CKAAAAAA..." encodes "*" followed by NULs (RFC 1001 14.1 example)
        let mut enc = b"CK".to_vec();
        enc.extend(std::iter::repeat_n(b'A', 30));
        let (name, suffix) = decode_netbios_name(&enc).unwrap();
        assert!(name.starts_with('*'));
        assert_eq!(suffix, 0);
        assert!(decode_netbios_name(b"zz").is_none());
    }
}

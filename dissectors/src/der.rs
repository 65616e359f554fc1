//! A small bounded DER/BER reader (X.690 8.1): single-byte tags, definite lengths in
//! short form or long form with up to 4 length bytes, always bounded by the input.
//! Enough for SPNEGO (RFC 4178), the GSS-API framing (RFC 2743 3.1) and the Kerberos
//! messages (RFC 4120 5, whose tags all fit in one octet).

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::error::{Error as NomError, ErrorKind};
use nom::number::complete::u8 as nom_u8;

/// Universal SEQUENCE (constructed).
pub const TAG_SEQUENCE: u8 = 0x30;
/// Universal INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Universal OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// Universal OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Universal ENUMERATED.
pub const TAG_ENUMERATED: u8 = 0x0a;
/// Universal BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// Universal GeneralString.
pub const TAG_GENERAL_STRING: u8 = 0x1b;
/// [APPLICATION 0] constructed: the GSS-API InitialContextToken (RFC 2743 3.1).
pub const TAG_GSS_APPLICATION: u8 = 0x60;

/// Context-specific constructed tag `[n]` (n < 31).
pub const fn context(n: u8) -> u8 {
    0xa0 | (n & 0x1f)
}

/// Application constructed tag `[APPLICATION n]` (n < 31).
pub const fn application(n: u8) -> u8 {
    0x60 | (n & 0x1f)
}

/// The value of INTEGER contents octets (two's complement, big-endian), if it fits in
/// an `i64`: `None` for empty contents or more than 8 octets (9 when the first is a
/// zero sign octet).
pub fn integer(contents: &[u8]) -> Option<i64> {
    let digits = match contents {
        [] => return None,
        [0, rest @ ..] if rest.len() == 8 => {
            return u64_be(rest).and_then(|v| i64::try_from(v).ok());
        }
        c if c.len() > 8 => return None,
        c => c,
    };
    let negative = digits.first().is_some_and(|&b| b & 0x80 != 0);
    let init = if negative { -1i64 } else { 0 };
    Some(
        digits
            .iter()
            .fold(init, |acc, &b| (acc << 8) | i64::from(b)),
    )
}

fn u64_be(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

/// One TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole encoding (identifier, length and contents).
    pub raw: &'a [u8],
}

fn fail(i: &[u8], kind: ErrorKind) -> nom::Err<NomError<&[u8]>> {
    nom::Err::Error(NomError::new(i, kind))
}

/// Parse one TLV. High-tag-number form and indefinite lengths are refused.
pub fn parse_tlv(input: &[u8]) -> IResult<&[u8], Tlv<'_>> {
    let (i, tag) = nom_u8(input)?;
    if tag & 0x1f == 0x1f {
        return Err(fail(input, ErrorKind::Tag));
    }
    let (i, first) = nom_u8(i)?;
    let (i, len) = if first < 0x80 {
        (i, first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            // 0x80 is the indefinite form (not DER); more than 4 bytes is absurd here
            return Err(fail(input, ErrorKind::LengthValue));
        }
        let (i, lb) = take(n).parse(i)?;
        let len = lb.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        (i, usize::try_from(len).unwrap_or(usize::MAX))
    };
    let header_len = input.len() - i.len();
    let (rest, value) = take(len).parse(i)?;
    let raw = input
        .get(..header_len.saturating_add(len))
        .ok_or_else(|| fail(input, ErrorKind::Eof))?;
    Ok((rest, Tlv { tag, value, raw }))
}

/// Parse one TLV that must carry `tag`.
pub fn parse_tagged(tag: u8) -> impl Fn(&[u8]) -> IResult<&[u8], Tlv<'_>> {
    move |input: &[u8]| {
        let (rest, t) = parse_tlv(input)?;
        if t.tag != tag {
            return Err(fail(input, ErrorKind::Tag));
        }
        Ok((rest, t))
    }
}

/// Iterator over consecutive TLVs in a buffer (the contents of a SEQUENCE). Stops after
/// the first malformed element, yielding it as `Err`.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> TlvIter<'a> {
    /// Iterate the TLVs in `contents`.
    pub fn new(contents: &'a [u8]) -> Self {
        TlvIter {
            rest: contents,
            failed: false,
        }
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, crate::Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match parse_tlv(self.rest) {
            Ok((rest, t)) => {
                self.rest = rest;
                Some(Ok(t))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e.into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let (rest, t) = parse_tlv(&[0x04, 0x02, 1, 2, 3]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[1u8, 2][..], &[3u8][..]));
        assert_eq!(t.raw, &[0x04, 0x02, 1, 2]);
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0u8, 256));
        let (_, t) = parse_tlv(&long).unwrap();
        assert_eq!(t.value.len(), 256);
        assert!(parse_tlv(&[0x30, 0x80, 0, 0]).is_err());
        assert!(parse_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(parse_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse_tlv(&[0x1f, 0x01, 0]).is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(integer(&[0x05]), Some(5));
        assert_eq!(integer(&[0x00, 0x80]), Some(128));
        assert_eq!(integer(&[0xff, 0x76]), Some(-138));
        assert_eq!(integer(&[0x80]), Some(-128));
        assert_eq!(integer(&[0x22, 0xdc, 0x78, 0xf0]), Some(584_874_224));
        assert_eq!(integer(&[0x00, 0xff, 0xff, 0xff, 0xff]), Some(0xffff_ffff));
        assert_eq!(
            integer(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Some(i64::MAX)
        );
        assert_eq!(integer(&[0, 0x80, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(integer(&[1; 9]), None);
        assert_eq!(integer(&[]), None);
    }
}

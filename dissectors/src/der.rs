//! A small bounded DER/BER reader (X.690 8.1): single-byte tags, definite lengths in
//! short form or long form with up to 4 length bytes, always bounded by the input.
//! Enough for SPNEGO (RFC 4178) and the GSS-API framing (RFC 2743 3.1).

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::error::{Error as NomError, ErrorKind};
use nom::number::complete::u8 as nom_u8;

/// Universal SEQUENCE (constructed).
pub const TAG_SEQUENCE: u8 = 0x30;
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

/// Format OID contents octets in dotted form (bounded: at most 32 arcs).
pub fn oid_to_string(oid: &[u8]) -> String {
    let mut out = String::new();
    let mut arc: u64 = 0;
    let mut first = true;
    let mut arcs = 0;
    for &b in oid {
        arc = (arc << 7) | u64::from(b & 0x7f);
        if arc > u64::MAX >> 8 {
            out.push_str("...");
            return out;
        }
        if b & 0x80 == 0 {
            if first {
                let (a, b2) = if arc < 40 {
                    (0, arc)
                } else if arc < 80 {
                    (1, arc - 40)
                } else {
                    (2, arc - 80)
                };
                out.push_str(&format!("{a}.{b2}"));
                first = false;
            } else {
                out.push_str(&format!(".{arc}"));
            }
            arc = 0;
            arcs += 1;
            if arcs >= 32 {
                break;
            }
        }
    }
    out
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
    fn oid_text() {
        assert_eq!(
            oid_to_string(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]),
            "1.3.6.1.5.5.2"
        );
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]),
            "1.2.840.113554.1.2.2"
        );
    }
}

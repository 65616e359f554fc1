//! The DER reading the Kerberos messages share: the explicitly tagged fields of a
//! SEQUENCE ([`Fields`]) and the typed readers of one field (INTEGER, UInt32,
//! KerberosString, OCTET STRING, KerberosFlags), with the pvno and msg-type checks.

use crate::der::{
    self, TAG_BIT_STRING, TAG_GENERAL_STRING, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE,
};
use crate::error::{Error, Result};
use crate::util::MAX_STRING_CHARS;

pub(super) fn invalid(what: &'static str) -> Error {
    Error::Invalid(what)
}

/// The contents of the explicitly tagged fields `[0]`..`[15]` of a SEQUENCE (each one
/// TLV), found in any order; other elements (higher tags, untagged) are skipped.
pub(super) struct Fields<'a>([Option<&'a [u8]>; 16]);

impl<'a> Fields<'a> {
    /// The fields of `raw`, which must be `outer_tag { SEQUENCE { fields } }` (an
    /// APPLICATION-tagged message) or, with `outer_tag` = SEQUENCE, a bare SEQUENCE.
    pub(super) fn of(raw: &'a [u8], outer_tag: u8, what: &'static str) -> Result<Self> {
        let (_, outer) = der::parse_tlv(raw)?;
        if outer.tag != outer_tag {
            return Err(invalid(what));
        }
        let seq = if outer_tag == TAG_SEQUENCE {
            outer.value
        } else {
            der::parse_tagged(TAG_SEQUENCE)(outer.value)?.1.value
        };
        let mut fields = [None; 16];
        for t in der::TlvIter::new(seq) {
            let t = t?;
            if t.tag & 0xe0 != 0xa0 {
                continue;
            }
            let Some(slot) = fields.get_mut(usize::from(t.tag & 0x1f)) else {
                continue;
            };
            if slot.replace(t.value).is_some() {
                return Err(invalid("a field appears twice"));
            }
        }
        Ok(Fields(fields))
    }

    pub(super) fn get(&self, n: usize) -> Option<&'a [u8]> {
        self.0.get(n).copied().flatten()
    }

    pub(super) fn req(&self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        self.get(n).ok_or_else(|| invalid(what))
    }
}

pub(super) fn tagged(field: &[u8], tag: u8) -> Result<&[u8]> {
    Ok(der::parse_tagged(tag)(field)?.1.value)
}

pub(super) fn int(field: &[u8]) -> Result<i64> {
    der::integer(tagged(field, TAG_INTEGER)?).ok_or_else(|| invalid("INTEGER out of range"))
}

pub(super) fn int32(field: &[u8]) -> Result<i32> {
    i32::try_from(int(field)?).map_err(|_| invalid("Int32 out of range"))
}

/// A UInt32 (RFC 4120 5.2.4). Implementations that keep nonces and sequence numbers in a
/// signed 32-bit integer send the upper half as negative numbers (MIT and Heimdal read them
/// back that way: `krb5int_asn1decode_int32`), so -2^31..-1 stand for 2^31..2^32-1.
pub(super) fn uint32(field: &[u8]) -> Result<u32> {
    let n = int(field)?;
    u32::try_from(n)
        .or_else(|_| i32::try_from(n).map(|v| v as u32))
        .map_err(|_| invalid("UInt32 out of range"))
}

pub(super) fn string(field: &[u8]) -> Result<&[u8]> {
    tagged(field, TAG_GENERAL_STRING)
}

pub(super) fn octets(field: &[u8]) -> Result<&[u8]> {
    tagged(field, TAG_OCTET_STRING)
}

/// KerberosFlags (BIT STRING): the first 32 bits, bit 0 the most significant.
pub(super) fn flags(field: &[u8]) -> Result<u32> {
    let bits = tagged(field, TAG_BIT_STRING)?;
    let (_unused, bytes) = bits
        .split_first()
        .ok_or_else(|| invalid("empty BIT STRING"))?;
    let mut v = [0u8; 4];
    for (d, s) in v.iter_mut().zip(bytes) {
        *d = *s;
    }
    Ok(u32::from_be_bytes(v))
}

pub(super) fn check_pvno(f: &Fields<'_>, n: usize) -> Result<()> {
    match int(f.req(n, "no pvno")?)? {
        5 => Ok(()),
        _ => Err(invalid("pvno is not 5")),
    }
}

pub(super) fn check_msg_type(f: &Fields<'_>, n: usize, expected: &[i64]) -> Result<i64> {
    let t = int(f.req(n, "no msg-type")?)?;
    if expected.contains(&t) {
        Ok(t)
    } else {
        Err(invalid("msg-type does not match the message"))
    }
}

pub(super) fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .chars()
        .take(MAX_STRING_CHARS)
        .collect()
}

//! Small bounded helpers shared by the dissectors (not part of the stable API except the
//! string decoders re-exported from the crate root).

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32, le_u64};

use crate::error::Error;

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T>;

/// Upper bound on the characters any string helper produces.
pub const MAX_STRING_CHARS: usize = 4096;

#[inline]
pub(crate) fn u8_(i: &[u8]) -> PResult<'_, u8> {
    le_u8(i)
}
#[inline]
pub(crate) fn u16_(i: &[u8]) -> PResult<'_, u16> {
    le_u16(i)
}
#[inline]
pub(crate) fn u32_(i: &[u8]) -> PResult<'_, u32> {
    le_u32(i)
}
#[inline]
pub(crate) fn u64_(i: &[u8]) -> PResult<'_, u64> {
    le_u64(i)
}
#[inline]
pub(crate) fn bytes(i: &[u8], n: usize) -> PResult<'_, &[u8]> {
    take(n).parse(i)
}
/// A fixed-size array copied out of the input.
#[inline]
pub(crate) fn array<const N: usize>(i: &[u8]) -> PResult<'_, [u8; N]> {
    let (i, b) = take(N).parse(i)?;
    let mut a = [0u8; N];
    a.copy_from_slice(b);
    Ok((i, a))
}

/// `msg[off..off+len]`, or `None` when it does not fit.
#[inline]
pub(crate) fn slice(msg: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    let end = off.checked_add(len)?;
    msg.get(off..end)
}

/// Like [`slice`] but an empty buffer is fine whatever its offset (writers often leave the
/// offset of an empty buffer at 0 or anywhere).
#[inline]
pub(crate) fn buffer(msg: &[u8], off: usize, len: usize) -> Result<&[u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    slice(msg, off, len).ok_or(Error::Truncated)
}

/// Round up to a multiple of 8 (saturating).
#[inline]
pub(crate) fn align8(n: usize) -> usize {
    n.saturating_add(7) & !7
}

/// Decode UTF-16LE bytes to a `String`, replacing invalid sequences, ignoring an odd
/// trailing byte, stopping after [`MAX_STRING_CHARS`] characters and at a NUL terminator.
pub fn utf16le_lossy(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .filter_map(|c| c.first_chunk().map(|b| u16::from_le_bytes(*b)))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .take(MAX_STRING_CHARS)
        .collect()
}

/// Decode an OEM (8-bit) string: ASCII stays, other bytes are mapped as Latin-1; stops at a
/// NUL terminator and after [`MAX_STRING_CHARS`] characters.
pub fn oem_lossy(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != 0)
        .take(MAX_STRING_CHARS)
        .map(|&c| char::from(c))
        .collect()
}

/// Split a NUL-terminated UTF-16LE string (terminator not included in the string; the rest
/// begins after it). Without a terminator the whole (even-length) input is the string.
pub(crate) fn split_utf16z(b: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0usize;
    while let Some(c) = b.get(i..i.saturating_add(2)) {
        if c.len() < 2 {
            break;
        }
        if c == [0, 0] {
            let s = b.get(..i).unwrap_or(&[]);
            let rest = b.get(i.saturating_add(2)..).unwrap_or(&[]);
            return (s, rest);
        }
        i = i.saturating_add(2);
    }
    let even = b.len() & !1;
    (b.get(..even).unwrap_or(&[]), &[])
}

/// Split a NUL-terminated 8-bit string.
pub(crate) fn split_z(b: &[u8]) -> (&[u8], &[u8]) {
    match b.iter().position(|&c| c == 0) {
        Some(p) => (
            b.get(..p).unwrap_or(&[]),
            b.get(p.saturating_add(1)..).unwrap_or(&[]),
        ),
        None => (b, &[]),
    }
}

/// An iterator over little-endian `u16` values in a borrowed buffer (dialects, ciphers,
/// hash/signing/compression algorithm ids...). Never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct U16List<'a> {
    raw: &'a [u8],
}

impl<'a> U16List<'a> {
    /// Wrap little-endian bytes (an odd trailing byte is ignored).
    pub fn new(raw: &'a [u8]) -> Self {
        U16List { raw }
    }
    /// Take `count` values from the front of `i`.
    pub(crate) fn parse(i: &'a [u8], count: usize) -> PResult<'a, Self> {
        let (i, raw) = bytes(i, count.saturating_mul(2))?;
        Ok((i, U16List { raw }))
    }
    /// The raw little-endian bytes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.raw.len() / 2
    }
    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.raw.len() < 2
    }
    /// True when `v` is one of the values.
    pub fn contains(&self, v: u16) -> bool {
        self.into_iter().any(|x| x == v)
    }
}

impl<'a> IntoIterator for U16List<'a> {
    type Item = u16;
    type IntoIter = U16Iter<'a>;
    fn into_iter(self) -> U16Iter<'a> {
        U16Iter {
            chunks: self.raw.chunks_exact(2),
        }
    }
}

/// Iterator of [`U16List`].
#[derive(Debug, Clone)]
pub struct U16Iter<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for U16Iter<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        let c = self.chunks.next()?;
        c.first_chunk().map(|b| u16::from_le_bytes(*b))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// Format a 16-byte GUID in its usual mixed-endian text form.
pub fn guid_string(g: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_helpers() {
        let b = b"a\0b\0\0\0c\0";
        let (s, rest) = split_utf16z(b);
        assert_eq!(utf16le_lossy(s), "ab");
        assert_eq!(rest, b"c\0");
        assert_eq!(utf16le_lossy(b"x\0\0"), "x");
        assert_eq!(split_z(b"ab\0cd"), (&b"ab"[..], &b"cd"[..]));
        assert_eq!(slice(b"abc", usize::MAX, 2), None);
        assert_eq!(align8(9), 16);
        assert_eq!(align8(usize::MAX), usize::MAX & !7);
    }
}

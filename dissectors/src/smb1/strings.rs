//! Strings and consecutive fields of a byte block: Unicode (aligned to an even offset
//! from the header, MS-CIFS 2.2.1.1) or OEM per Flags2.

use super::Block;
use crate::error::{Error, Result};
use crate::util;

/// A string from a byte block, Unicode or OEM per Flags2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmbString<'a> {
    /// The raw bytes (terminator excluded).
    pub raw: &'a [u8],
    /// UTF-16LE when true.
    pub unicode: bool,
}

impl SmbString<'_> {
    /// Decoded text (lossy, bounded).
    pub fn to_string_lossy(&self) -> String {
        if self.unicode {
            util::utf16le_lossy(self.raw)
        } else {
            util::oem_lossy(self.raw)
        }
    }
}

/// Reads consecutive items of a byte block, tracking the offset from the header for
/// Unicode alignment.
pub(super) struct ByteCursor<'a> {
    pub(super) rest: &'a [u8],
    off: usize,
    unicode: bool,
}

impl<'a> ByteCursor<'a> {
    pub(super) fn new(b: &Block<'a>, unicode: bool) -> Self {
        ByteCursor {
            rest: b.bytes,
            off: b.bytes_offset,
            unicode,
        }
    }
    fn advance(&mut self, n: usize) {
        let n = n.min(self.rest.len());
        self.rest = self.rest.get(n..).unwrap_or(&[]);
        self.off = self.off.saturating_add(n);
    }
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let t = self.rest.get(..n).ok_or(Error::Truncated)?;
        self.advance(n);
        Ok(t)
    }
    pub(super) fn align(&mut self) {
        if self.unicode && self.off % 2 == 1 {
            self.advance(1);
        }
    }
    /// NUL-terminated string (aligned when Unicode). Missing strings are empty.
    pub(super) fn string(&mut self) -> SmbString<'a> {
        self.align();
        self.string_unaligned()
    }
    pub(super) fn string_unaligned(&mut self) -> SmbString<'a> {
        let before = self.rest.len();
        let (s, rest) = if self.unicode {
            util::split_utf16z(self.rest)
        } else {
            util::split_z(self.rest)
        };
        self.off = self.off.saturating_add(before - rest.len());
        self.rest = rest;
        SmbString {
            raw: s,
            unicode: self.unicode,
        }
    }
    pub(super) fn oem_string(&mut self) -> SmbString<'a> {
        let (s, rest) = util::split_z(self.rest);
        self.off = self.off.saturating_add(self.rest.len() - rest.len());
        self.rest = rest;
        SmbString {
            raw: s,
            unicode: false,
        }
    }
}

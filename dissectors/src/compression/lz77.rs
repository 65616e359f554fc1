//! Plain LZ77 ("LZXpress") decompression, MS-XCA 2.4.4.
//!
//! A 32-bit flag word (little-endian, read from its top bit down) tells for each of the next
//! 32 items whether it is a literal byte (0) or a match (1). A match is a 16-bit word: 13 bits
//! of distance - 1 and 3 bits of length - 3; length 7 continues in a half byte shared by two
//! matches, then a byte, then a 16-bit or 32-bit length.

use super::{DecompressError, Output};

pub(crate) fn decompress(input: &[u8], mut out: Output) -> Result<(), DecompressError> {
    let mut reader = Reader { input, pos: 0 };
    let mut flags: u32 = 0;
    let mut flag_count = 0;
    // Where the half byte that the next length-7 match uses is, once one was read.
    let mut half_byte: Option<usize> = None;
    while !out.is_full() {
        if flag_count == 0 {
            flags = reader.u32().ok_or_else(|| out.truncated())?;
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            let b = reader.u8().ok_or_else(|| out.truncated())?;
            out.literal(b)?;
            continue;
        }
        let word = reader.u16().ok_or_else(|| out.truncated())?;
        let distance = usize::from(word / 8) + 1;
        let mut length = usize::from(word % 8);
        if length == 7 {
            length = match half_byte.take() {
                None => {
                    half_byte = Some(reader.pos);
                    usize::from(reader.u8().ok_or_else(|| out.truncated())? % 16)
                }
                // `at` is where the half-byte pair was read: always Some
                Some(at) => usize::from(input.get(at).ok_or_else(|| out.truncated())? / 16),
            };
            if length == 15 {
                length = usize::from(reader.u8().ok_or_else(|| out.truncated())?);
                if length == 255 {
                    length = usize::from(reader.u16().ok_or_else(|| out.truncated())?);
                    if length == 0 {
                        length = reader.u32().ok_or_else(|| out.truncated())? as usize;
                    }
                    if length < 15 + 7 {
                        return Err(DecompressError::Invalid("LZ77 match length too short"));
                    }
                    length -= 15 + 7;
                }
                length += 15;
            }
            length += 7;
        }
        out.copy_match(distance, length + 3, 0)?;
    }
    Ok(())
}

/// Little-endian reads that return `None` at the end of the input.
pub(crate) struct Reader<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b = self.input.get(self.pos..self.pos.checked_add(N)?)?;
        self.pos += N;
        b.try_into().ok()
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
}

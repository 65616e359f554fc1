//! LZ77+Huffman decompression, MS-XCA 2.2.4.
//!
//! The output comes in blocks of 65536 bytes. Each block starts with 256 bytes holding the
//! 4-bit code lengths of 512 symbols (literals 0..255, then matches 256..511: low 4 bits the
//! length - 3, high 4 bits the bit length of the distance), then a bit stream read as 16-bit
//! little-endian words, most significant bit first. Long match lengths follow as bytes at the
//! current input position, outside the bit stream.

use super::{DecompressError, Output};

/// Bytes of code lengths before each block.
const TABLE_BYTES: usize = 256;
/// Output bytes per block.
const BLOCK_SIZE: usize = 65536;
/// The longest code.
const MAX_CODE_BITS: u32 = 15;
/// Decoding table entry for a code no symbol has.
const NO_SYMBOL: u16 = u16::MAX;

pub(crate) fn decompress(input: &[u8], mut out: Output) -> Result<(), DecompressError> {
    // symbol << 4 | code length, indexed by the next 15 bits of the stream.
    let mut table = vec![NO_SYMBOL; 1 << MAX_CODE_BITS];
    let mut pos = 0;
    while !out.is_full() {
        let Some(lengths) = input.get(pos..pos + TABLE_BYTES) else {
            return Err(out.truncated());
        };
        build_table(lengths, &mut table)?;
        let mut bits = Bits::new(input, pos + TABLE_BYTES);
        let block_end = out.produced() + BLOCK_SIZE;
        while out.produced() < block_end && !out.is_full() {
            // 15 bits index the 2^15 entries: never out of range
            let entry = table
                .get(bits.peek15() as usize)
                .copied()
                .unwrap_or(NO_SYMBOL);
            if entry == NO_SYMBOL {
                return Err(DecompressError::Invalid(
                    "LZ77+Huffman bit stream uses a code the table does not have",
                ));
            }
            bits.consume(u32::from(entry & 0xF));
            let symbol = usize::from(entry >> 4);
            if symbol < 256 {
                bits.check(&out)?;
                out.literal(symbol as u8)?;
                continue;
            }
            let symbol = symbol - 256;
            let mut length = symbol % 16;
            let distance_bits = (symbol / 16) as u32;
            if length == 15 {
                length = usize::from(bits.byte().ok_or_else(|| out.truncated())?);
                if length == 255 {
                    length = usize::from(bits.u16().ok_or_else(|| out.truncated())?);
                    if length == 0 {
                        length = bits.u32().ok_or_else(|| out.truncated())? as usize;
                    }
                    if length < 15 {
                        return Err(DecompressError::Invalid(
                            "LZ77+Huffman match length too short",
                        ));
                    }
                    length -= 15;
                }
                length += 15;
            }
            let distance = (1usize << distance_bits) + bits.take(distance_bits) as usize;
            bits.check(&out)?;
            out.copy_match(distance, length + 3, 0)?;
        }
        pos = bits.pos;
    }
    Ok(())
}

/// Fills the decoding table from 512 code lengths: canonical codes, shorter codes first and
/// in symbol order within a length (MS-XCA 2.2.4). A table that assigns more codes than fit
/// in 15 bits, or none at all, is no prefix code.
fn build_table(lengths: &[u8], table: &mut [u16]) -> Result<(), DecompressError> {
    table.fill(NO_SYMBOL);
    // `lengths` holds the 512 4-bit lengths (the caller takes TABLE_BYTES)
    let length_of = |symbol: usize| {
        lengths
            .get(symbol / 2)
            .map_or(0, |&b| u32::from(b >> (4 * (symbol % 2)) & 0xF))
    };
    let mut next = 0usize;
    let mut used = false;
    for bit_length in 1..=MAX_CODE_BITS {
        for symbol in 0..512 {
            if length_of(symbol) != bit_length {
                continue;
            }
            let span = 1usize << (MAX_CODE_BITS - bit_length);
            let end = next + span;
            let Some(slots) = table.get_mut(next..end) else {
                return Err(DecompressError::Invalid(
                    "LZ77+Huffman code lengths over-subscribe the code space",
                ));
            };
            slots.fill((symbol as u16) << 4 | bit_length as u16);
            next = end;
            used = true;
        }
    }
    if !used {
        return Err(DecompressError::Invalid(
            "LZ77+Huffman table has no symbols",
        ));
    }
    Ok(())
}

/// The bit reader of MS-XCA 2.2.4: 32 bits buffered, refilled 16 at a time once fewer than
/// 16 remain beyond the current word, so the byte position for long lengths is exact.
struct Bits<'a> {
    input: &'a [u8],
    /// Where the next 16-bit word (or extra length byte) is read.
    pos: usize,
    next_bits: u32,
    /// Bits in `next_bits` beyond the first 16.
    extra: i32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8], pos: usize) -> Self {
        let mut b = Bits {
            input,
            pos,
            next_bits: 0,
            extra: 16,
        };
        b.next_bits = b.word() << 16;
        b.next_bits |= b.word();
        b
    }

    /// The next 16-bit word; past the end of the input, zero bits (what they hold is
    /// checked by [`Bits::check`] before any output depends on them).
    fn word(&mut self) -> u32 {
        let lo = self.input.get(self.pos).copied().unwrap_or(0);
        let hi = self.input.get(self.pos + 1).copied().unwrap_or(0);
        self.pos += 2;
        u32::from(u16::from_le_bytes([lo, hi]))
    }

    fn peek15(&self) -> u32 {
        self.next_bits >> (32 - MAX_CODE_BITS)
    }

    fn consume(&mut self, n: u32) {
        if n == 0 {
            return;
        }
        self.next_bits <<= n;
        self.extra -= n as i32;
        if self.extra < 0 {
            let w = self.word();
            self.next_bits |= w << (-self.extra) as u32;
            self.extra += 16;
        }
    }

    fn take(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.next_bits >> (32 - n);
        self.consume(n);
        v
    }

    /// Fails once the bits used so far run past the end of the input.
    fn check(&self, out: &Output) -> Result<(), DecompressError> {
        let buffered = 16 + self.extra as usize;
        if (self.pos * 8).saturating_sub(buffered) > self.input.len() * 8 {
            return Err(out.truncated());
        }
        Ok(())
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.input.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) | u32::from(self.u16()?) << 16)
    }
}

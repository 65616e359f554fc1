//! LZNT1 decompression, MS-XCA 2.5.
//!
//! The data is a run of chunks, each expanding to at most 4096 bytes: a 16-bit header (bit 15
//! set when compressed, bits 0..11 the size of the chunk's data minus one), then either the
//! bytes as they are or groups of a flag byte and eight items, literals or 16-bit matches whose
//! split between distance and length bits depends on how far into the chunk the output is. A
//! zero header ends the data.

use super::lz77::Reader;
use super::{DecompressError, Output};

/// Bytes one chunk expands to at most.
const CHUNK_SIZE: usize = 4096;

pub(crate) fn decompress(input: &[u8], mut out: Output) -> Result<(), DecompressError> {
    let mut reader = Reader { input, pos: 0 };
    while !out.is_full() {
        let Some(header) = reader.u16() else {
            return Err(out.truncated());
        };
        if header == 0 {
            return Err(out.truncated());
        }
        let size = usize::from(header & 0x0FFF) + 1;
        let start = reader.pos;
        let Some(chunk) = input.get(start..start + size) else {
            return Err(out.truncated());
        };
        reader.pos += size;
        if header & 0x8000 == 0 {
            if size > CHUNK_SIZE {
                return Err(DecompressError::Invalid("LZNT1 chunk larger than 4096"));
            }
            out.literals(chunk)?;
        } else {
            chunk_expand(chunk, &mut out)?;
        }
    }
    Ok(())
}

/// Expands one compressed chunk; its matches reach back only into its own output.
fn chunk_expand(chunk: &[u8], out: &mut Output) -> Result<(), DecompressError> {
    let floor = out.produced();
    let mut reader = Reader {
        input: chunk,
        pos: 0,
    };
    while let Some(flags) = reader.u8() {
        for bit in 0..8 {
            if reader.pos >= chunk.len() {
                return Ok(());
            }
            if flags & (1 << bit) == 0 {
                let b = reader.u8().ok_or_else(|| out.truncated())?;
                out.literal(b)?;
                continue;
            }
            let token = usize::from(reader.u16().ok_or_else(|| out.truncated())?);
            let position = out.produced() - floor;
            if position == 0 {
                return Err(DecompressError::BadDistance {
                    distance: (token >> 12) + 1,
                    available: 0,
                });
            }
            let length_bits = length_bits(position);
            let length = (token & ((1 << length_bits) - 1)) + 3;
            let distance = (token >> length_bits) + 1;
            if position + length > CHUNK_SIZE {
                return Err(DecompressError::Invalid("LZNT1 chunk expands past 4096"));
            }
            out.copy_match(distance, length, floor)?;
        }
    }
    Ok(())
}

/// Bits of a match token that hold the length, at `position` bytes into the chunk: 12 up to
/// position 16, one fewer each time the position doubles (MS-XCA 2.5.2).
fn length_bits(position: usize) -> u32 {
    let mut bits = 12;
    let mut p = position - 1;
    while p >= 0x10 {
        p >>= 1;
        bits -= 1;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::length_bits;

    #[test]
    fn the_split_moves_with_the_position() {
        assert_eq!(length_bits(1), 12);
        assert_eq!(length_bits(16), 12);
        assert_eq!(length_bits(17), 11);
        assert_eq!(length_bits(32), 11);
        assert_eq!(length_bits(33), 10);
        assert_eq!(length_bits(4096), 4);
    }
}

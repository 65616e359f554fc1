//! SMB2 compression (MS-SMB2 2.2.42, 3.1.5.3): the decompressors of the algorithms SMB 3.1.1
//! negotiates and the reassembly of a COMPRESSION_TRANSFORM_HEADER's message.
//!
//! - [`lz77`], Plain LZ77 ("LZXpress", MS-XCA 2.3/2.4)
//! - [`lz77_huffman`], LZ77+Huffman (MS-XCA 2.1/2.2)
//! - [`lznt1`], LZNT1 (MS-XCA 2.5)
//! - [`pattern`], Pattern_V1 (MS-SMB2 2.2.42.2.2)
//! - LZ4 block format, by the `lz4_flex` crate
//!
//! Every decompressor appends exactly the declared number of bytes or fails: output that
//! would overrun the declared size, a back-reference before the start of its own output,
//! input that ends early and (LZ77+Huffman) a table that is no prefix code are errors. No
//! buffer is sized by a wire length beyond [`MAX_MESSAGE_SIZE`].

pub mod lz77;
pub mod lz77_huffman;
pub mod lznt1;
pub mod pattern;

use core::fmt;

use crate::transform::CompressionHeader;

/// The largest uncompressed message accepted: an SMB2 message is at most 16 MiB (the
/// largest MaxRead/MaxWrite Windows grants is 8 MiB) plus its header.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024 + 64 * 1024;

/// CompressionAlgorithm values (MS-SMB2 2.2.3.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    None,
    Lznt1,
    Lz77,
    Lz77Huffman,
    PatternV1,
    Lz4,
}

impl Algorithm {
    pub fn from_wire(v: u16) -> Option<Self> {
        Some(match v {
            0 => Algorithm::None,
            1 => Algorithm::Lznt1,
            2 => Algorithm::Lz77,
            3 => Algorithm::Lz77Huffman,
            4 => Algorithm::PatternV1,
            5 => Algorithm::Lz4,
            _ => return None,
        })
    }

    /// The CompressionAlgorithm value.
    pub fn wire_value(self) -> u16 {
        match self {
            Algorithm::None => 0,
            Algorithm::Lznt1 => 1,
            Algorithm::Lz77 => 2,
            Algorithm::Lz77Huffman => 3,
            Algorithm::PatternV1 => 4,
            Algorithm::Lz4 => 5,
        }
    }

    /// The name MS-SMB2 uses.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::None => "NONE",
            Algorithm::Lznt1 => "LZNT1",
            Algorithm::Lz77 => "LZ77",
            Algorithm::Lz77Huffman => "LZ77+Huffman",
            Algorithm::PatternV1 => "Pattern_V1",
            Algorithm::Lz4 => "LZ4",
        }
    }
}

/// Why a compressed stream could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecompressError {
    /// The input ended before the declared size was produced.
    Truncated { produced: usize, expected: usize },
    /// A literal or match would write past the declared size.
    Overrun { expected: usize },
    /// A match refers to bytes before the start of the output.
    BadDistance { distance: usize, available: usize },
    /// A field of the stream holds a value the format does not allow.
    Invalid(&'static str),
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecompressError::Truncated { produced, expected } => write!(
                f,
                "compressed data ends after {produced} of {expected} bytes"
            ),
            DecompressError::Overrun { expected } => {
                write!(f, "data expands past the declared {expected} bytes")
            }
            DecompressError::BadDistance {
                distance,
                available,
            } => write!(
                f,
                "a match reaches back {distance} bytes with only {available} written"
            ),
            DecompressError::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DecompressError {}

/// The window a decompressor writes to: the bytes appended to `buf` since `start`, at most
/// `expected` of them.
pub(crate) struct Output<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    expected: usize,
}

impl<'a> Output<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>, expected: usize) -> Self {
        let start = buf.len();
        Output {
            buf,
            start,
            expected,
        }
    }

    pub(crate) fn produced(&self) -> usize {
        self.buf.len() - self.start
    }

    pub(crate) fn is_full(&self) -> bool {
        self.produced() == self.expected
    }

    /// Bytes still to be written.
    pub(crate) fn room(&self) -> usize {
        self.expected - self.produced()
    }

    pub(crate) fn literal(&mut self, b: u8) -> Result<(), DecompressError> {
        if self.is_full() {
            return Err(self.overrun());
        }
        self.buf.push(b);
        Ok(())
    }

    pub(crate) fn literals(&mut self, bytes: &[u8]) -> Result<(), DecompressError> {
        if bytes.len() > self.room() {
            return Err(self.overrun());
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Copies `length` bytes from `distance` back, byte by byte so that an overlapping
    /// match repeats what it is still writing. `floor` is how far back a match may reach
    /// (LZNT1 matches stay inside their 4 KiB chunk).
    pub(crate) fn copy_match(
        &mut self,
        distance: usize,
        length: usize,
        floor: usize,
    ) -> Result<(), DecompressError> {
        let available = self.produced() - floor;
        if distance == 0 || distance > available {
            return Err(DecompressError::BadDistance {
                distance,
                available,
            });
        }
        if length > self.room() {
            return Err(self.overrun());
        }
        let from = self.buf.len() - distance;
        for i in from..from + length {
            // distance <= available <= len, and each byte pushed extends the source
            let Some(&b) = self.buf.get(i) else {
                return Err(DecompressError::BadDistance {
                    distance,
                    available,
                });
            };
            self.buf.push(b);
        }
        Ok(())
    }

    /// The error for input that ran out before the output was complete.
    pub(crate) fn truncated(&self) -> DecompressError {
        DecompressError::Truncated {
            produced: self.produced(),
            expected: self.expected,
        }
    }

    fn overrun(&self) -> DecompressError {
        DecompressError::Overrun {
            expected: self.expected,
        }
    }
}

/// Appends the `expected` bytes `input` expands to with `algorithm` (an LZ-family
/// algorithm; NONE and Pattern_V1 have payloads of their own, see [`decompress_message`]).
pub fn decompress(
    algorithm: Algorithm,
    input: &[u8],
    expected: usize,
    out: &mut Vec<u8>,
) -> Result<(), DecompressError> {
    if expected > MAX_MESSAGE_SIZE {
        return Err(DecompressError::Invalid("declared size too large"));
    }
    out.reserve(expected);
    match algorithm {
        Algorithm::Lznt1 => lznt1::decompress(input, Output::new(out, expected)),
        Algorithm::Lz77 => lz77::decompress(input, Output::new(out, expected)),
        Algorithm::Lz77Huffman => lz77_huffman::decompress(input, Output::new(out, expected)),
        Algorithm::Lz4 => lz4(input, expected, out),
        Algorithm::None | Algorithm::PatternV1 => Err(DecompressError::Invalid(
            "NONE and Pattern_V1 are not stream compressors",
        )),
    }
}

/// LZ4 block format (MS-SMB2 refers to the LZ4 block format) into exactly `expected` bytes.
fn lz4(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<(), DecompressError> {
    // The output is zeroed before decoding: refuse sizes no LZ4 block of this length can
    // reach (each input byte adds at most 255 to a length) before touching memory.
    if expected > input.len().saturating_mul(255).saturating_add(64) {
        return Err(DecompressError::Truncated {
            produced: 0,
            expected,
        });
    }
    let start = out.len();
    out.resize(start + expected, 0);
    // `start` is the length before the resize: the `expected` new bytes
    let dest = out.get_mut(start..).unwrap_or_default();
    let result = lz4_flex::block::decompress_into(input, dest);
    match result {
        Ok(n) if n == expected => Ok(()),
        Ok(n) => {
            out.truncate(start + n);
            Err(DecompressError::Truncated {
                produced: n,
                expected,
            })
        }
        Err(e) => {
            out.truncate(start);
            Err(match e {
                lz4_flex::block::DecompressError::OutputTooSmall { .. } => {
                    DecompressError::Overrun { expected }
                }
                lz4_flex::block::DecompressError::OffsetOutOfBounds => {
                    DecompressError::Invalid("LZ4 match offset out of bounds")
                }
                lz4_flex::block::DecompressError::ExpectedAnotherByte => {
                    DecompressError::Truncated {
                        produced: 0,
                        expected,
                    }
                }
                _ => DecompressError::Invalid("malformed LZ4 block"),
            })
        }
    }
}

/// Why the message of a COMPRESSION_TRANSFORM_HEADER could not be rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionError {
    /// The header itself is cut short.
    Header(crate::Error),
    /// The declared uncompressed size (with the unchained Offset) is larger than any SMB2
    /// message, or does not even fit 32 bits (CVE-2020-0796, "SMBGhost"). `offset` is 0 in
    /// the chained form, which has none.
    TooLarge {
        original_size: u32,
        offset: u32,
    },
    /// The unchained Offset points past the end of the data.
    OffsetBeyondData {
        offset: u32,
        available: usize,
    },
    UnknownAlgorithm(u16),
    /// An algorithm where MS-SMB2 does not allow it (NONE or Pattern_V1 unchained).
    NotAllowed(Algorithm),
    /// A chained payload header is cut short.
    Payload(crate::Error),
    /// One payload did not expand.
    Decompress {
        algorithm: Algorithm,
        error: DecompressError,
    },
    /// The payloads add up to another size than OriginalCompressedSegmentSize.
    SizeMismatch {
        declared: u64,
        actual: u64,
    },
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CompressionError::Header(e) => write!(f, "header {e}"),
            CompressionError::TooLarge {
                original_size,
                offset,
            } => {
                write!(f, "OriginalCompressedSegmentSize {original_size}")?;
                if offset != 0 {
                    let sum = u64::from(original_size) + u64::from(offset);
                    write!(f, " + Offset {offset} = {sum}")?;
                }
                write!(
                    f,
                    " bytes, more than the largest SMB2 message ({MAX_MESSAGE_SIZE} bytes)"
                )
            }
            CompressionError::OffsetBeyondData { offset, available } => {
                write!(f, "Offset {offset} is past the {available} bytes of data")
            }
            CompressionError::UnknownAlgorithm(a) => {
                write!(f, "unknown CompressionAlgorithm 0x{a:04x}")
            }
            CompressionError::NotAllowed(a) => {
                write!(f, "{} is not allowed in an unchained header", a.name())
            }
            CompressionError::Payload(e) => write!(f, "chained payload header {e}"),
            CompressionError::Decompress { algorithm, error } => {
                write!(f, "{} payload: {error}", algorithm.name())
            }
            CompressionError::SizeMismatch { declared, actual } => write!(
                f,
                "payloads expand to {actual} bytes, OriginalCompressedSegmentSize says {declared}"
            ),
        }
    }
}

impl std::error::Error for CompressionError {}

/// A rebuilt message and the algorithms of its payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decompressed {
    /// The SMB2 message (or compound) that was compressed.
    pub message: Vec<u8>,
    /// Whether the header was the chained form.
    pub chained: bool,
    /// The algorithms used, in order of first use, without NONE.
    pub algorithms: Vec<Algorithm>,
}

/// Rebuilds the message of a compression transform: unchained, the Offset bytes sent as they
/// are followed by the expanded data (3.1.5.3 "unchained"); chained, every payload in turn.
pub fn decompress_message(header: &CompressionHeader) -> Result<Decompressed, CompressionError> {
    match *header {
        CompressionHeader::Unchained {
            original_size,
            algorithm,
            offset,
            data,
            ..
        } => {
            let size = u64::from(original_size) + u64::from(offset);
            if size > MAX_MESSAGE_SIZE as u64 {
                return Err(CompressionError::TooLarge {
                    original_size,
                    offset,
                });
            }
            let alg = Algorithm::from_wire(algorithm)
                .ok_or(CompressionError::UnknownAlgorithm(algorithm))?;
            if matches!(alg, Algorithm::None | Algorithm::PatternV1) {
                return Err(CompressionError::NotAllowed(alg));
            }
            let Some((prefix, compressed)) = data.split_at_checked(offset as usize) else {
                return Err(CompressionError::OffsetBeyondData {
                    offset,
                    available: data.len(),
                });
            };
            let mut message = Vec::with_capacity(size as usize);
            message.extend_from_slice(prefix);
            decompress(alg, compressed, original_size as usize, &mut message).map_err(|error| {
                CompressionError::Decompress {
                    algorithm: alg,
                    error,
                }
            })?;
            Ok(Decompressed {
                message,
                chained: false,
                algorithms: vec![alg],
            })
        }
        CompressionHeader::Chained {
            original_size,
            payloads,
        } => {
            let declared = u64::from(original_size);
            if declared > MAX_MESSAGE_SIZE as u64 {
                return Err(CompressionError::TooLarge {
                    original_size,
                    offset: 0,
                });
            }
            let mut message = Vec::with_capacity(original_size as usize);
            let mut algorithms = Vec::new();
            for payload in payloads {
                let p = payload.map_err(CompressionError::Payload)?;
                let alg = Algorithm::from_wire(p.algorithm)
                    .ok_or(CompressionError::UnknownAlgorithm(p.algorithm))?;
                let room = original_size as usize - message.len();
                let failed = |error| CompressionError::Decompress {
                    algorithm: alg,
                    error,
                };
                match alg {
                    Algorithm::None => Output::new(&mut message, room)
                        .literals(p.data)
                        .map_err(failed)?,
                    Algorithm::PatternV1 => {
                        pattern::expand(p.data, Output::new(&mut message, room)).map_err(failed)?
                    }
                    _ => {
                        let size = p.original_payload_size.unwrap_or(0) as usize;
                        if size > room {
                            return Err(failed(DecompressError::Overrun { expected: room }));
                        }
                        decompress(alg, p.data, size, &mut message).map_err(failed)?
                    }
                }
                if alg != Algorithm::None && !algorithms.contains(&alg) {
                    algorithms.push(alg);
                }
            }
            if message.len() as u64 != declared {
                return Err(CompressionError::SizeMismatch {
                    declared,
                    actual: message.len() as u64,
                });
            }
            Ok(Decompressed {
                message,
                chained: true,
                algorithms,
            })
        }
    }
}

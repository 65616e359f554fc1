//! Known-answer tests of the SMB2 decompressors with the examples published in [MS-XCA]
//! section 3 (Xpress Compression Algorithm, revision 10.0, 2024-04-23):
//! - 3.1 LZ77: "abcdefghijklmnopqrstuvwxyz" as literals, and "abc" x 100 with one long match;
//! - 3.2 LZ77+Huffman: the same two strings;
//! - 3.3 LZNT1: the 142-byte "F# F# G A A G ..." string, a match reaching past its source.
//!
//! The bytes are those printed in the specification. Then what each decompressor must refuse:
//! every truncation and a set of bit flips of the examples must end in Ok or Err, never a
//! panic, and never with more output than declared.

use dissectors::compression::{Algorithm, DecompressError, MAX_MESSAGE_SIZE, decompress};

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

fn abc_100() -> Vec<u8> {
    b"abc".repeat(100)
}

/// MS-XCA 3.1, first example.
const LZ77_ALPHABET: &[u8] = &[
    0x3f, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
    0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
];

/// MS-XCA 3.1, second example.
const LZ77_ABC: &[u8] = &[
    0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01,
];

/// MS-XCA 3.3.
const LZNT1_EXAMPLE: &[u8] = &[
    0x38, 0xb0, 0x88, 0x46, 0x23, 0x20, 0x00, 0x20, 0x47, 0x20, 0x41, 0x00, 0x10, 0xa2, 0x47, 0x01,
    0xa0, 0x45, 0x20, 0x44, 0x00, 0x08, 0x45, 0x01, 0x50, 0x79, 0x00, 0xc0, 0x45, 0x20, 0x05, 0x24,
    0x13, 0x88, 0x05, 0xb4, 0x02, 0x4a, 0x44, 0xef, 0x03, 0x58, 0x02, 0x8c, 0x09, 0x16, 0x01, 0x48,
    0x45, 0x00, 0xbe, 0x00, 0x9e, 0x00, 0x04, 0x01, 0x18, 0x90, 0x00,
];

/// The text MS-XCA 3.3 compresses, with its terminal NUL (142 bytes).
const LZNT1_TEXT: &[u8] = b"F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# D E F# G F# D E F# G F# E D E A F# F# G A A G F# E D D E F# E D D\0";

/// An MS-XCA 3.2 example: the 256-byte table is printed in full in the specification and
/// is all zero but for the bytes given here (offset, value); the bit stream follows it.
fn huffman(table: &[(usize, u8)], stream: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 256];
    for &(at, b) in table {
        v[at] = b;
    }
    v.extend_from_slice(stream);
    v
}

/// MS-XCA 3.2, first example: 22 letters of 5 bits, "w".."z" and EOF of 4 bits.
fn huffman_alphabet() -> Vec<u8> {
    let mut table: Vec<(usize, u8)> = vec![(48, 0x50)];
    table.extend((49..59).map(|at| (at, 0x55)));
    table.extend([(59, 0x45), (60, 0x44), (61, 0x04), (128, 0x04)]);
    huffman(
        &table,
        &[
            0xd8, 0x52, 0x3e, 0xd7, 0x94, 0x11, 0x5b, 0xe9, 0x19, 0x5f, 0xf9, 0xd6, 0x7c, 0xdf,
            0x8d, 0x04, 0x00, 0x00, 0x00, 0x00,
        ],
    )
}

/// MS-XCA 3.2, second example: "abc", then match symbol 287 (distance 3, length 297 given
/// in the bytes ff 26 01 after the bit stream's words).
fn huffman_abc() -> Vec<u8> {
    huffman(
        &[(48, 0x30), (49, 0x23), (128, 0x02), (143, 0x20)],
        &[0xa8, 0xdc, 0x00, 0x00, 0xff, 0x26, 0x01],
    )
}

fn expand(alg: Algorithm, input: &[u8], size: usize) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::new();
    decompress(alg, input, size, &mut out).map(|()| out)
}

#[test]
fn lz77_examples() {
    assert_eq!(
        expand(Algorithm::Lz77, LZ77_ALPHABET, 26).unwrap(),
        ALPHABET
    );
    assert_eq!(expand(Algorithm::Lz77, LZ77_ABC, 300).unwrap(), abc_100());
}

#[test]
fn lz77_huffman_examples() {
    assert_eq!(huffman_alphabet().len(), 276);
    assert_eq!(huffman_abc().len(), 263);
    assert_eq!(
        expand(Algorithm::Lz77Huffman, &huffman_alphabet(), 26).unwrap(),
        ALPHABET
    );
    assert_eq!(
        expand(Algorithm::Lz77Huffman, &huffman_abc(), 300).unwrap(),
        abc_100()
    );
}

#[test]
fn lznt1_example() {
    assert_eq!(LZNT1_TEXT.len(), 142);
    assert_eq!(LZNT1_EXAMPLE.len(), 59);
    assert_eq!(
        expand(Algorithm::Lznt1, LZNT1_EXAMPLE, 142).unwrap(),
        LZNT1_TEXT
    );
}

#[test]
fn output_appends_to_what_is_there() {
    let mut out = b"prefix".to_vec();
    decompress(Algorithm::Lz77, LZ77_ABC, 300, &mut out).unwrap();
    assert_eq!(&out[..6], b"prefix");
    assert_eq!(&out[6..], abc_100().as_slice());
}

/// Input left over once the declared size is written is not read (the LZ77 and LZ77+Huffman
/// streams end in flag bits and an EOF symbol no decoder needs); what was written stays
/// within the declared size.
#[test]
fn a_declared_size_too_small_never_writes_past_it() {
    for (alg, input, size, plain) in examples() {
        match expand(alg, &input, size - 1) {
            Ok(out) => assert_eq!(out, plain[..size - 1], "{alg:?}"),
            Err(e) => assert!(matches!(e, DecompressError::Overrun { .. }), "{alg:?}: {e}"),
        }
    }
}

#[test]
fn a_declared_size_too_large_is_an_error() {
    for (alg, input, size, _) in examples() {
        let err = expand(alg, &input, size + 1).unwrap_err();
        assert!(
            matches!(
                err,
                DecompressError::Truncated { .. } | DecompressError::Overrun { .. }
            ),
            "{alg:?}: {err}"
        );
    }
}

#[test]
fn a_size_beyond_any_message_is_refused_before_anything_is_allocated() {
    let err = expand(Algorithm::Lz77, LZ77_ABC, MAX_MESSAGE_SIZE + 1).unwrap_err();
    assert_eq!(err, DecompressError::Invalid("declared size too large"));
}

#[test]
fn a_match_before_the_start_is_refused() {
    // The LZ77 "abc" example with its match moved to the first item: flags with the top bit
    // set, then the same match word (distance 3) with nothing written yet.
    let input = [0x00, 0x00, 0x00, 0x80, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01];
    let err = expand(Algorithm::Lz77, &input, 297).unwrap_err();
    assert_eq!(
        err,
        DecompressError::BadDistance {
            distance: 3,
            available: 0
        }
    );
}

#[test]
fn a_huffman_table_that_oversubscribes_is_refused() {
    // The "abc" example's table with one more 2-bit code (symbol 0): five codes of 2 bits
    // and two of 3 do not fit in a prefix code.
    let mut input = huffman_abc();
    input[0] = 0x02;
    let err = expand(Algorithm::Lz77Huffman, &input, 300).unwrap_err();
    assert!(matches!(err, DecompressError::Invalid(_)), "{err}");
}

/// (algorithm, compressed, size, uncompressed) of every published example.
fn examples() -> Vec<(Algorithm, Vec<u8>, usize, Vec<u8>)> {
    vec![
        (
            Algorithm::Lz77,
            LZ77_ALPHABET.to_vec(),
            26,
            ALPHABET.to_vec(),
        ),
        (Algorithm::Lz77, LZ77_ABC.to_vec(), 300, abc_100()),
        (
            Algorithm::Lz77Huffman,
            huffman_alphabet(),
            26,
            ALPHABET.to_vec(),
        ),
        (Algorithm::Lz77Huffman, huffman_abc(), 300, abc_100()),
        (
            Algorithm::Lznt1,
            LZNT1_EXAMPLE.to_vec(),
            142,
            LZNT1_TEXT.to_vec(),
        ),
    ]
}

#[test]
fn every_truncation_and_bit_flip_ends_in_ok_or_err() {
    for (alg, input, size, _) in examples() {
        for cut in 0..input.len() {
            if let Ok(out) = expand(alg, &input[..cut], size) {
                // Only trailing bytes no decoder needs may go.
                assert_eq!(out.len(), size, "{alg:?} cut at {cut}");
            }
        }
        for at in 0..input.len() {
            for bit in 0..8 {
                let mut changed = input.clone();
                changed[at] ^= 1 << bit;
                if let Ok(out) = expand(alg, &changed, size) {
                    assert_eq!(out.len(), size, "{alg:?} flip {at}.{bit}");
                }
            }
        }
    }
}

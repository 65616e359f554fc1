//! Reads bytes on stdin, writes their MS-XCA LZ77+Huffman stream on stdout (without the
//! 4-byte length compcol puts in front of it).

use std::io::{Read, Write};

use compcol::xpress_huffman::Encoder;
use compcol::{Encoder as _, Status};

fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).expect("read stdin");
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut at = 0;
    while at < input.len() {
        let (p, _) = enc.encode(&input[at..], &mut buf).expect("encode");
        out.extend_from_slice(&buf[..p.written]);
        at += p.consumed;
    }
    loop {
        let (p, status) = enc.finish(&mut buf).expect("finish");
        out.extend_from_slice(&buf[..p.written]);
        if status == Status::StreamEnd {
            break;
        }
    }
    let stream = out.get(4..).expect("compcol frames its stream with 4 bytes of length");
    std::io::stdout().write_all(stream).expect("write stdout");
}

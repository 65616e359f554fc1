//! Seed corpora from real captures: `seeds OUT_DIR CAPTURE...` writes, per fuzz target,
//! real inputs taken out of the captures (frames, TCP payloads, SMB PDUs, security blobs,
//! NTLMSSP messages) into `OUT_DIR/<target>/`, one file per distinct input. The capture
//! files themselves seed `pcap` and `pipeline` (see `fuzz/make-corpus.sh`).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use dissectors::{PduKind, pdu_kind, smb1, smb2, spnego};
use smbcheck::capture::{CaptureSet, Decoded, decode_tcp};
use smbcheck::flow::{FlowConfig, FlowEvent, FlowTable};
use smbcheck_fuzz::walk::{ETHERNET, encode_frames};

/// Seeds longer than this are cut: libFuzzer mutates small inputs faster.
const MAX_SEED: usize = 16 * 1024;
/// Frames per reassembly seed.
const FRAMES_PER_SEED: usize = 60;

struct Corpus {
    dir: PathBuf,
}

impl Corpus {
    fn put(&self, target: &str, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let data = &data[..data.len().min(MAX_SEED)];
        let mut h = DefaultHasher::new();
        data.hash(&mut h);
        let dir = self.dir.join(target);
        std::fs::create_dir_all(&dir).expect("creating the corpus directory");
        std::fs::write(dir.join(format!("{:016x}", h.finish())), data).expect("writing a seed");
    }
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let corpus = Corpus {
        dir: args.next().expect("usage: seeds OUT_DIR CAPTURE...").into(),
    };
    for capture in args {
        seeds_of(Path::new(&capture), &corpus);
    }
}

fn seeds_of(path: &Path, corpus: &Corpus) {
    let Ok(mut set) = CaptureSet::open(&[path]) else {
        eprintln!("seeds: skipping {}", path.display());
        return;
    };
    let mut table = FlowTable::new(FlowConfig::default());
    let mut events = Vec::new();
    let mut frames = Vec::new();
    let mut last = None;
    while let Ok(Some(frame)) = set.next_frame() {
        last = Some((frame.number, frame.ts));
        if frame.linktype != ETHERNET {
            continue;
        }
        if let Decoded::Tcp(seg) = decode_tcp(frame.linktype, frame.data) {
            corpus.put("nbss", seg.payload);
            table.push(frame.number, frame.ts, &seg, &mut events);
        }
        frames.push(frame.data.to_vec());
    }
    table.finish(last, &mut events);
    for chunk in frames.chunks(FRAMES_PER_SEED) {
        corpus.put(
            "reassembly",
            &encode_frames(chunk.iter().map(Vec::as_slice)),
        );
    }
    for event in &events {
        if let FlowEvent::Pdu(pdu) = event {
            pdu_seeds(&pdu.data, corpus);
        }
    }
}

fn pdu_seeds(pdu: &[u8], corpus: &Corpus) {
    match pdu_kind(pdu) {
        Some(PduKind::Smb1) => {
            corpus.put("smb1", pdu);
            for blob in smb1_blobs(pdu) {
                blob_seeds(blob, corpus);
            }
        }
        Some(PduKind::Smb2 | PduKind::Transform) => {
            corpus.put("smb2", pdu);
            for element in smb2::Compound::new(pdu).flatten() {
                let body = smb2::parse_body(&element.header, element.bytes);
                let blob = match body {
                    Ok(smb2::Body::NegotiateResponse(n)) => n.security_buffer,
                    Ok(smb2::Body::SessionSetupRequest(s)) => s.security_buffer,
                    Ok(smb2::Body::SessionSetupResponse(s)) => s.security_buffer,
                    _ => continue,
                };
                blob_seeds(blob, corpus);
            }
        }
        Some(PduKind::Compressed) => corpus.put("decompression", pdu),
        None => {}
    }
}

fn smb1_blobs(pdu: &[u8]) -> Vec<&[u8]> {
    let Ok(message) = smb1::parse_message(pdu) else {
        return Vec::new();
    };
    message
        .chain()
        .flatten()
        .filter_map(|block| match smb1::parse_body(&message.header, &block) {
            Ok(smb1::Body::SessionSetupRequest(s)) => match s.auth {
                smb1::SessionSetupAuth::ExtendedSecurity { security_blob } => Some(security_blob),
                smb1::SessionSetupAuth::Password { .. } => None,
            },
            Ok(smb1::Body::SessionSetupResponse(s)) => Some(s.security_blob),
            _ => None,
        })
        .collect()
}

fn blob_seeds(blob: &[u8], corpus: &Corpus) {
    corpus.put("spnego", blob);
    if let Some(ntlmssp) = spnego::find_ntlmssp(blob) {
        corpus.put("ntlmssp", ntlmssp);
    }
}

//! What each fuzz target does with its input: parse it the way smbcheck does and walk
//! everything the parsers expose (iterators, nested blobs, `Debug` output, strings).
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/`) and by the regression tests
//! (`tests/fuzz_regressions.rs` includes this file), so a crash input is replayed by exactly
//! the code that found it. Every function returns something derived from the input so the
//! tests can assert a sensible result, not only the absence of a panic.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use dissectors::{compression, ntlmssp, smb1, smb2, spnego, transform};
use smbcheck::capture::{CaptureSet, Decoded, Timestamp, decode_tcp};
use smbcheck::flow::{FlowConfig, FlowEvent, FlowTable};

/// The password of the shipped samples: the pipeline target replays NTLM with it.
pub const PASSWORD: &str = "Secr3t!pass";
/// LINKTYPE_ETHERNET: the link type of every frame of a reassembly input.
pub const ETHERNET: u32 = 1;

/// Renders `value` with `Debug`, which walks lazy iterators such as negotiate contexts.
fn debug(value: &impl std::fmt::Debug) -> usize {
    let mut s = String::new();
    let _ = write!(s, "{value:?}");
    s.len()
}

/// The frames of a reassembly input: each is a 2-byte little-endian length and that many
/// bytes of an Ethernet frame. A last, short record is taken as it is.
pub fn frames(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if data.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
        let (frame, rest) = data[2..].split_at(len);
        data = rest;
        Some(frame)
    })
}

/// Encodes frames the way [`frames`] reads them (frames longer than 65535 bytes are cut).
pub fn encode_frames<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        let frame = &frame[..frame.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(frame.len() as u16).to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

/// What came out of the flow table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FlowCounts {
    pub opened: u64,
    pub pdus: u64,
    pub pdu_bytes: u64,
    pub gaps: u64,
    pub closed: u64,
    pub limits: u64,
}

impl FlowCounts {
    fn add(&mut self, event: &FlowEvent) {
        match event {
            FlowEvent::Opened { .. } => self.opened += 1,
            FlowEvent::Pdu(pdu) => {
                self.pdus += 1;
                self.pdu_bytes += pdu.data.len() as u64;
            }
            FlowEvent::Gap { .. } => self.gaps += 1,
            FlowEvent::Closed { .. } => self.closed += 1,
            FlowEvent::LimitReached { .. } => self.limits += 1,
            // Retransmissions, RST, FIN, silences: what TCP did, no byte of the stream; the
            // capture's end.
            FlowEvent::Tcp { .. } | FlowEvent::End { .. } => {}
        }
    }
}

/// Reassembly fed packet by packet: Ethernet frames through `decode_tcp` into a
/// `FlowTable`, then the end of capture.
pub fn reassembly(data: &[u8]) -> FlowCounts {
    let mut table = FlowTable::new(FlowConfig::default());
    let mut events = Vec::new();
    let mut counts = FlowCounts::default();
    let mut last = None;
    for (i, frame) in frames(data).enumerate() {
        let number = i as u64 + 1;
        last = Some((number, Timestamp(number as i64 * 1000)));
        if let Decoded::Tcp(seg) = decode_tcp(ETHERNET, frame) {
            table.push(number, Timestamp(number as i64 * 1000), &seg, &mut events);
        }
        events.drain(..).for_each(|e| counts.add(&e));
    }
    table.finish(last, &mut events);
    events.drain(..).for_each(|e| counts.add(&e));
    counts
}

/// NBSS framing of one direction's bytes as the dissectors read it.
pub fn nbss(mut data: &[u8]) -> usize {
    use dissectors::nbss;
    let mut seen = 0;
    while let Ok((rest, frame)) = nbss::parse_frame(data) {
        seen += debug(&frame);
        let payload = frame.payload;
        seen += debug(&nbss::parse_session_request(payload));
        if let Ok((_, request)) = nbss::parse_session_request(payload) {
            seen += debug(&request);
        }
        seen += debug(&nbss::parse_negative_response(payload));
        seen += debug(&nbss::parse_retarget_response(payload));
        seen += debug(&nbss::decode_netbios_name(payload));
        if rest.len() >= data.len() {
            break;
        }
        data = rest;
    }
    seen + debug(&nbss::parse_header(data))
}

/// An SMB1 message: header, AndX chain, typed bodies, their strings and security blobs.
pub fn smb1(msg: &[u8]) -> usize {
    let Ok(message) = smb1::parse_message(msg) else {
        return 0;
    };
    let mut seen = debug(&message);
    for block in message.chain().take(64) {
        let Ok(block) = block else { break };
        seen += debug(&block);
        let Ok(body) = smb1::parse_body(&message.header, &block) else {
            continue;
        };
        seen += debug(&body);
        match body {
            smb1::Body::NegotiateRequest(n) => seen += n.dialects().count(),
            smb1::Body::SessionSetupRequest(s) => match s.auth {
                smb1::SessionSetupAuth::ExtendedSecurity { security_blob } => {
                    seen += spnego(security_blob)
                }
                smb1::SessionSetupAuth::Password {
                    account_name,
                    primary_domain,
                    ..
                } => {
                    seen += account_name.to_string_lossy().len();
                    seen += primary_domain.to_string_lossy().len();
                }
            },
            smb1::Body::SessionSetupResponse(s) => seen += spnego(s.security_blob),
            _ => {}
        }
    }
    seen
}

/// An SMB2 compression transform (0xFC): the header, then the message rebuilt with whichever
/// algorithms it names (LZ77, LZ77+Huffman, LZNT1, Pattern_V1, LZ4). The size of what it
/// expands to, 0 when it does not.
pub fn decompression(pdu: &[u8]) -> usize {
    let Ok(header) = transform::parse_compression(pdu) else {
        return 0;
    };
    debug(&header);
    compression::decompress_message(&header).map_or(0, |d| d.message.len())
}

/// An SMB2 PDU: transform header, compound chain, typed bodies, negotiate contexts,
/// create contexts, network interfaces, security blobs.
pub fn smb2(pdu: &[u8]) -> usize {
    let mut seen = debug(&transform::parse_transform(pdu));
    for element in smb2::Compound::new(pdu).take(1024) {
        let Ok(element) = element else { break };
        seen += debug(&element);
        let Ok(body) = smb2::parse_body(&element.header, element.bytes) else {
            continue;
        };
        seen += debug(&body);
        match body {
            smb2::Body::NegotiateRequest(n) => seen += contexts(n.contexts),
            smb2::Body::NegotiateResponse(n) => {
                seen += contexts(n.contexts) + spnego(n.security_buffer)
            }
            smb2::Body::SessionSetupRequest(s) => seen += spnego(s.security_buffer),
            smb2::Body::SessionSetupResponse(s) => seen += spnego(s.security_buffer),
            smb2::Body::TreeConnectRequest(t) => seen += t.path_string().len(),
            smb2::Body::CreateRequest(c) => {
                seen += c.name_string().len() + create_contexts(c.contexts, false)
            }
            smb2::Body::CreateResponse(c) => seen += create_contexts(c.contexts, true),
            smb2::Body::IoctlRequest(i) => seen += debug(&i.validate_negotiate_info()),
            smb2::Body::IoctlResponse(i) => {
                seen += debug(&i.validate_negotiate_info());
                for info in i.network_interfaces().into_iter().flatten().take(1024) {
                    let Ok(info) = info else { break };
                    seen += debug(&(info.ip(), info.port(), info.family()));
                }
            }
            _ => {}
        }
    }
    seen
}

fn contexts(contexts: smb2::NegotiateContexts<'_>) -> usize {
    let mut seen = 0;
    for context in contexts {
        let Ok(context) = context else { break };
        seen += debug(&context.parse());
    }
    seen
}

fn create_contexts(contexts: smb2::CreateContexts<'_>, response: bool) -> usize {
    let mut seen = 0;
    for context in contexts.take(1024) {
        let Ok(context) = context else { break };
        seen += debug(&context.parse(response));
    }
    seen
}

/// A security blob: SPNEGO (init or response), GSS-API, raw NTLMSSP, and the NTLMSSP
/// message inside.
pub fn spnego(blob: &[u8]) -> usize {
    let mut seen = debug(&spnego::blob_mech(blob));
    if let Ok(token) = spnego::parse_token(blob) {
        seen += debug(&token);
        if let spnego::Token::Init(init) = token {
            seen += init.mech_types().count() + debug(&init.preferred_mech());
        }
    }
    if let Some(inner) = spnego::find_ntlmssp(blob) {
        seen += ntlmssp(inner);
    }
    seen
}

/// An NTLMSSP message with its strings, AV pairs and NTLMv2 response.
pub fn ntlmssp(msg: &[u8]) -> usize {
    let Ok(message) = ntlmssp::parse_message(msg) else {
        return 0;
    };
    let mut seen = debug(&message);
    match message {
        ntlmssp::Message::Negotiate(_) => {}
        ntlmssp::Message::Challenge(c) => {
            seen += c.target_name_string().len() + av_pairs(c.av_pairs());
        }
        ntlmssp::Message::Authenticate(a) => {
            seen += a.user_string().len() + a.domain_string().len();
            seen += a.workstation_string().len();
            seen += debug(&(a.is_anonymous(), a.is_ntlmv2()));
            if let Some(v2) = a.ntlmv2_response() {
                seen += debug(&v2) + av_pairs(v2.av_pairs());
            }
        }
    }
    seen
}

fn av_pairs(pairs: ntlmssp::AvPairs<'_>) -> usize {
    let mut seen = 0;
    for pair in pairs.take(1024) {
        let Ok(pair) = pair else { break };
        seen += pair.string().len() + debug(&(pair.as_u32(), pair.as_u64()));
    }
    seen
}

/// A capture file with these bytes, named uniquely for this process and call.
pub struct TempCapture(pub PathBuf);

impl TempCapture {
    pub fn new(data: &[u8]) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("smbcheck-fuzz-{}-{n}.pcap", std::process::id()));
        std::fs::write(&path, data).expect("writing a temporary capture");
        TempCapture(path)
    }
}

impl Drop for TempCapture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The pcap/pcapng reader (through a file, the way smbcheck reads): frames read until the
/// end or an error, each decoded down to TCP. `Err` is the error that ends the capture.
/// The bytes are read twice, from a plain file (mapped) and gzip-compressed (streamed
/// through a buffer): both readers must give the same frames and the same damage.
pub fn pcap(data: &[u8]) -> Result<u64, String> {
    let mapped = read_capture(&TempCapture::new(data).0);
    if !data.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, data).expect("compressing in memory");
        let streamed = read_capture(&TempCapture::new(&gz.finish().expect("in memory")).0);
        assert_eq!(mapped, streamed, "mapped and streamed reading differ");
    }
    let (frames, _) = mapped?;
    Ok(frames.iter().filter(|f| f.4).count() as u64)
}

/// A frame as read: number, time, link type, original length, whether it decodes to TCP,
/// its bytes.
type ReadFrame = (u64, Timestamp, u32, u32, bool, Vec<u8>);

/// Every frame of a capture file and its damage, with the file's name taken out of the
/// messages; `Err` is the error that ends the capture.
fn read_capture(path: &std::path::Path) -> Result<(Vec<ReadFrame>, Vec<String>), String> {
    let name = path.display().to_string();
    let anonymous = |message: String| message.replace(&name, "FILE");
    let mut set = CaptureSet::open(&[path]).map_err(|e| anonymous(e.to_string()))?;
    let mut frames = Vec::new();
    while let Some(f) = set.next_frame().map_err(|e| anonymous(e.to_string()))? {
        let tcp = matches!(decode_tcp(f.linktype, f.data), Decoded::Tcp(_));
        frames.push((f.number, f.ts, f.linktype, f.orig_len, tcp, f.data.to_vec()));
    }
    let issues = set
        .issues()
        .iter()
        .map(|i| anonymous(i.to_string()))
        .collect();
    Ok((frames, issues))
}

/// The whole pipeline through the library's `run`, with the samples' password so NTLM
/// replay, key derivation, signature checks and decryption run, on the verify pool: the exit
/// status and the report, or the one-line error of an unusable input.
pub fn pipeline(data: &[u8], format: &str) -> Result<(i32, Vec<u8>), String> {
    use smbcheck::app::cli::Args;
    let file = TempCapture::new(data);
    let args = <Args as clap::Parser>::try_parse_from([
        "smbcheck".as_ref(),
        file.0.as_os_str(),
        "--password".as_ref(),
        PASSWORD.as_ref(),
        "--format".as_ref(),
        format.as_ref(),
        // Every signed message to the verify pool, and every long one (over 512 bytes) of
        // the mapped file MACed in place (`flow::Tail`), as the fuzz inputs are small.
        "--verify-threads".as_ref(),
        "2".as_ref(),
        "--verify-min-len".as_ref(),
        "0".as_ref(),
    ])
    .expect("fixed arguments parse");
    let mut out = Vec::new();
    match smbcheck::app::run::run(&args, &mut out) {
        Ok(status) => Ok((status, out)),
        Err(e) => Err(format!("{e:#}")),
    }
}

//! Every parser on every truncation and on bit-flipped variants of every fixture must
//! return (Ok or Err) without panicking or looping.

mod common;

use dissectors::{PduKind, nbss, ntlmssp, pdu_kind, smb1, smb2, spnego, transform};

fn blob(b: &[u8]) {
    let _ = spnego::parse_token(b);
    let _ = spnego::blob_mech(b);
    if let Some(m) = spnego::find_ntlmssp(b) {
        ntlm(m);
    }
}

fn ntlm(m: &[u8]) {
    match ntlmssp::parse_message(m) {
        Ok(ntlmssp::Message::Challenge(c)) => {
            let _ = c.target_name_string();
            for p in c.av_pairs().flatten() {
                let _ = (p.string(), p.as_u32(), p.as_u64());
            }
        }
        Ok(ntlmssp::Message::Authenticate(a)) => {
            let _ = (a.user_string(), a.domain_string(), a.workstation_string());
            if let Some(v2) = a.ntlmv2_response() {
                for p in v2.av_pairs().take(10_000) {
                    let _ = p;
                }
            }
        }
        _ => {}
    }
}

fn smb2_all(p: &[u8]) {
    for el in smb2::Compound::new(p).take(10_000) {
        let Ok(el) = el else { continue };
        let _ = el.body();
        let Ok(body) = smb2::parse_body(&el.header, el.bytes) else {
            continue;
        };
        match body {
            smb2::Body::NegotiateRequest(r) => {
                for c in r.contexts.flatten() {
                    let _ = c.parse();
                }
            }
            smb2::Body::NegotiateResponse(r) => {
                blob(r.security_buffer);
                for c in r.contexts.flatten() {
                    let _ = c.parse();
                }
            }
            smb2::Body::SessionSetupRequest(r) => blob(r.security_buffer),
            smb2::Body::SessionSetupResponse(r) => blob(r.security_buffer),
            smb2::Body::TreeConnectRequest(r) => {
                let _ = r.path_string();
            }
            smb2::Body::CreateRequest(r) => {
                let _ = r.name_string();
                for c in r.contexts.take(10_000).flatten() {
                    let _ = c.parse(false);
                }
            }
            smb2::Body::CreateResponse(r) => {
                for c in r.contexts.take(10_000).flatten() {
                    let _ = c.parse(true);
                }
            }
            smb2::Body::IoctlRequest(r) => {
                let _ = r.validate_negotiate_info();
            }
            smb2::Body::IoctlResponse(r) => {
                let _ = r.validate_negotiate_info();
                if let Some(it) = r.network_interfaces() {
                    for n in it.take(10_000).flatten() {
                        let _ = (n.ip(), n.port());
                    }
                }
            }
            _ => {}
        }
    }
}

fn smb1_all(p: &[u8]) {
    let Ok(m) = smb1::parse_message(p) else {
        return;
    };
    for b in m.chain().take(10_000).flatten() {
        match smb1::parse_body(&m.header, &b) {
            Ok(smb1::Body::NegotiateRequest(r)) => {
                let _ = r.dialects().take(10_000).count();
            }
            Ok(smb1::Body::NegotiateResponse(r)) => {
                blob(r.security_blob);
                let _ = (
                    r.domain_name.to_string_lossy(),
                    r.server_name.to_string_lossy(),
                );
            }
            Ok(smb1::Body::SessionSetupRequest(r)) => match r.auth {
                smb1::SessionSetupAuth::ExtendedSecurity { security_blob } => blob(security_blob),
                smb1::SessionSetupAuth::Password { nt_response, .. } => {
                    let _ = ntlmssp::parse_ntlmv2_response(nt_response);
                }
            },
            Ok(smb1::Body::SessionSetupResponse(r)) => blob(r.security_blob),
            Ok(smb1::Body::Transaction(t)) => {
                let _ = (t.is_partial(), t.subcommand());
            }
            _ => {}
        }
    }
}

fn everything(p: &[u8]) {
    let _ = pdu_kind(p);
    let _ = nbss::parse_frame(p);
    let _ = nbss::parse_session_request(p);
    match pdu_kind(p) {
        Some(PduKind::Smb2) => smb2_all(p),
        Some(PduKind::Smb1) => smb1_all(p),
        Some(PduKind::Transform) => {
            let _ = transform::parse_transform(p);
        }
        Some(PduKind::Compressed) | None => {}
    }
    // every parser on every input, whatever it starts with
    smb2_all(p);
    smb1_all(p);
    let _ = transform::parse_transform(p);
    if let Ok(transform::CompressionHeader::Chained { payloads, .. }) =
        transform::parse_compression(p)
    {
        for x in payloads.take(10_000) {
            let _ = x;
        }
    }
    blob(p);
    ntlm(p);
}

/// Tiny deterministic PRNG (xorshift) for reproducible bit flips.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    let names = common::all_names();
    assert!(names.len() >= 50);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for name in names {
        let p = common::pdu(&name);
        for n in 0..=p.len() {
            everything(&p[..n]);
        }
        for _ in 0..300 {
            let mut q = p.clone();
            for _ in 0..(1 + next(&mut rng) % 4) {
                let i = (next(&mut rng) as usize) % q.len();
                q[i] ^= 1 << (next(&mut rng) % 8);
            }
            everything(&q);
        }
        // absurd lengths: saturate fields to 0xFF
        for i in (0..p.len()).step_by(3) {
            let mut q = p.clone();
            q[i] = 0xff;
            if let Some(b) = q.get_mut(i + 1) {
                *b = 0xff;
            }
            everything(&q);
        }
    }
}

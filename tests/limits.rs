//! Resource limits on real captures made to hit them (a low limit set through the
//! library's configuration): the flow or session concerned is reported `limit-reached`
//! naming the limit, the rest of the capture is analysed as without the limit, and
//! nothing whose bytes were dropped is called invalid.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use smbcheck::auth::Secrets;
use smbcheck::auth::credentials::{Credential, Credentials};
use smbcheck::engine::{Engine, EngineConfig};
use smbcheck::flow::{FlowConfig, FlowTable};
use smbcheck::limits::Limits;
use smbcheck::model::{Analysis, Verdict};
use support::{Segment, data, segments};

const PASSWORD: &str = "Secr3t!pass";

fn sample(name: &str) -> std::path::PathBuf {
    data(&format!("../../samples/{name}"))
}

/// The analysis of `path` under `limits`, with the verdicts per connection.
fn analyse(path: &Path, limits: Limits) -> (Analysis, BTreeMap<u32, Vec<Verdict>>) {
    analyse_segments(&segments(path), limits)
}

fn analyse_segments(
    segments: &[Segment],
    limits: Limits,
) -> (Analysis, BTreeMap<u32, Vec<Verdict>>) {
    let mut credentials = Credentials::new();
    credentials.push(Credential::from_password(None, None, PASSWORD));
    let mut engine = Engine::new(EngineConfig {
        secrets: Secrets {
            credentials,
            ..Secrets::default()
        },
        keep_plaintext: false,
        limits,
    });
    let mut table = FlowTable::new(FlowConfig {
        limits,
        ..Default::default()
    });
    let mut verdicts: BTreeMap<u32, Vec<Verdict>> = BTreeMap::new();
    let mut sink = |m: &smbcheck::model::Message, _: Option<&_>, _: &[u8]| {
        verdicts.entry(m.conn).or_default().push(m.verdict)
    };
    let mut events = Vec::new();
    for seg in segments {
        table.push(seg.frame, seg.ts, &seg.borrowed(), &mut events);
        for e in events.drain(..) {
            engine.handle(e, &mut sink);
        }
    }
    table.finish(segments.last().map(|s| (s.frame, s.ts)), &mut events);
    for e in events.drain(..) {
        engine.handle(e, &mut sink);
    }
    let frames = segments.last().map_or(0, |s| s.frame);
    (engine.finish(frames), verdicts)
}

fn limit_problems(a: &Analysis) -> Vec<String> {
    a.problems
        .iter()
        .filter(|p| p.kind.name() == "limit-reached")
        .map(|p| p.detail.clone())
        .collect()
}

fn is_lost(v: &Verdict) -> bool {
    matches!(
        v,
        Verdict::Unverified(smbcheck::model::Unverified::LostBytes)
    )
}

#[test]
fn default_limits_are_never_hit_by_the_samples() {
    for name in [
        "smb2-mc-num-channels.pcap",
        "smb2-lease-break.pcap",
        "smb311.pcap",
    ] {
        let (a, _) = analyse(&sample(name), Limits::default());
        assert!(limit_problems(&a).is_empty(), "{name}: {:?}", a.problems);
    }
    let (a, _) = analyse(&data("smb2_100_small_files.pcap"), Limits::default());
    assert!(limit_problems(&a).is_empty(), "{:?}", a.problems);
}

#[test]
fn flow_limit_stops_following_new_flows_and_keeps_the_others() {
    // 34 connections; with room for 4 flows the first ones are analysed as before.
    let path = sample("smb2-mc-num-channels.pcap");
    let (full, full_verdicts) = analyse(&path, Limits::default());
    let limits = Limits {
        max_flows: 4,
        ..Limits::default()
    };
    let (a, verdicts) = analyse(&path, limits);
    let problems = limit_problems(&a);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("4 TCP flows"), "{problems:?}");
    assert!(problems[0].contains("flow 127.0.0.1:"), "{problems:?}");
    assert!(a.connections.len() < full.connections.len());
    assert!(!a.connections.is_empty());
    for (conn, got) in &verdicts {
        assert_eq!(Some(got), full_verdicts.get(conn), "connection {conn}");
    }
    assert_eq!(a.summary.invalid, 0);
}

#[test]
fn backlog_limit_gives_the_hole_up_as_lost() {
    // Three segments missing: what follows a hole waits; with room for 100 bytes only,
    // the hole is given up as soon as the next segment arrives.
    let path = data("bad/lossy-smb311.pcap");
    let limits = Limits {
        max_backlog_per_flow: 100,
        ..Limits::default()
    };
    let (a, verdicts) = analyse(&path, limits);
    let problems = limit_problems(&a);
    assert!(!problems.is_empty(), "{:?}", a.problems);
    assert!(
        problems
            .iter()
            .all(|p| p.contains("100 out-of-order bytes") && p.contains("connection #0")),
        "{problems:?}"
    );
    assert_eq!(a.summary.invalid, 0, "{:?}", a.summary);
    // The holes took whole messages: given up earlier, they change no verdict.
    let (_, full_verdicts) = analyse(&path, Limits::default());
    assert_eq!(verdicts, full_verdicts);
    assert!(a.problems.iter().any(|p| p.kind.name() == "lost-bytes"));
}

/// Every data segment of a real capture cut in two, as a smaller MSS would have sent it.
fn halved(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out = Vec::new();
    for seg in segments {
        if !seg.is_plain_data() || seg.payload.len() < 2 {
            out.push(seg);
            continue;
        }
        let mid = seg.payload.len() / 2;
        out.push(Segment {
            payload: seg.payload[..mid].to_vec(),
            ..seg.clone()
        });
        out.push(Segment {
            seq: seg.seq.wrapping_add(mid as u32),
            payload: seg.payload[mid..].to_vec(),
            ..seg
        });
    }
    out
}

#[test]
fn total_buffer_limit_drops_unfinished_messages_as_lost() {
    // Segments cut in two, so each message waits half a segment for its end; with 100
    // bytes for all connections, messages longer than 200 bytes are dropped unfinished.
    let segments = halved(segments(&sample("smb311.pcap")));
    let (full, _) = analyse_segments(&segments, Limits::default());
    assert!(limit_problems(&full).is_empty());
    let limits = Limits {
        max_buffered_total: 100,
        ..Limits::default()
    };
    let (a, verdicts) = analyse_segments(&segments, limits);
    let problems = limit_problems(&a);
    assert_eq!(problems.len(), 1, "{:?}", a.problems);
    assert!(problems[0].contains("100 bytes buffered"), "{problems:?}");
    assert!(problems[0].contains("connection #0"), "{problems:?}");
    assert_eq!(a.summary.invalid, 0, "{:?}", a.summary);
    // The dropped messages still count, as messages whose bytes were lost.
    assert!(verdicts[&0].iter().any(is_lost), "{:?}", a.summary);
    assert!(a.summary.unverified > 0, "{:?}", a.summary);
    assert!(a.summary.messages > 0);
}

#[test]
fn session_limit_leaves_later_sessions_unchecked() {
    // Two sessions; with room for one, the second one's signed messages have no key.
    let path = sample("smb2-mc-oplocks-test1.pcap");
    let (full, _) = analyse(&path, Limits::default());
    assert_eq!(full.sessions.len(), 2);
    let limits = Limits {
        max_sessions: 1,
        ..Limits::default()
    };
    let (a, _) = analyse(&path, limits);
    // Reported once per connection that tried to add a session.
    let problems = limit_problems(&a);
    assert!(!problems.is_empty(), "{:?}", a.problems);
    assert!(
        problems.iter().all(|p| p.contains("limit of 1 sessions")),
        "{problems:?}"
    );
    assert_eq!(a.sessions.len(), 1);
    assert_eq!(a.summary.invalid, 0, "{:?}", a.summary);
    assert!(a.summary.unverified > 0, "{:?}", a.summary);
    assert_eq!(a.summary.signed, full.summary.signed);
    assert!(a.summary.valid > 0 && a.summary.valid < full.summary.valid);
}

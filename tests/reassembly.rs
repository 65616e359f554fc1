//! TCP reassembly and NBSS framing on real captures, and on variants of them with segments
//! reordered, duplicated, split and dropped (made here with a fixed-seed PRNG).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use smbcheck::flow::{Damage, Direction, FlowEvent, Pdu};
use support::{Choose, Decisions, Segment, XorShift, data, flow_events, segments};

/// The PDU as later checks see it; frames are compared where the variant keeps them.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    conn: u32,
    dir: Direction,
    data: Vec<u8>,
    damage: Option<Damage>,
    frames: (u64, u64),
}

fn pdus(events: &[FlowEvent]) -> Vec<Seen> {
    events
        .iter()
        .filter_map(|event| match event {
            FlowEvent::Pdu(Pdu {
                conn,
                dir,
                data,
                damage,
                first_frame,
                last_frame,
                ..
            }) => Some(Seen {
                conn: *conn,
                dir: *dir,
                data: data.clone(),
                damage: *damage,
                frames: (*first_frame, *last_frame),
            }),
            _ => None,
        })
        .collect()
}

/// Asserts equal PDU lists, describing only the first difference (the data is long).
fn assert_same(got: &[Seen], expected: &[Seen], context: &str) {
    let summary = |p: &Seen| (p.conn, p.dir, p.data.len(), p.damage, p.frames);
    if let Some(i) = (0..got.len().max(expected.len())).find(|&i| got.get(i) != expected.get(i)) {
        panic!(
            "{context}: {} PDUs, expected {}; first difference at {i}: {:?} instead of {:?}",
            got.len(),
            expected.len(),
            got.get(i).map(summary),
            expected.get(i).map(summary)
        );
    }
}

/// Same PDUs per connection direction, frames aside (reordering moves last frames).
fn assert_same_streams(got: &[Seen], expected: &[Seen], context: &str) {
    let without_frames = |pdus: &[Seen]| -> Vec<Seen> {
        pdus.iter()
            .map(|p| Seen {
                frames: (0, 0),
                ..p.clone()
            })
            .collect()
    };
    let got = per_stream(&without_frames(got));
    let expected = per_stream(&without_frames(expected));
    assert_eq!(got.len(), expected.len(), "{context}: streams");
    for (stream, pdus) in &expected {
        assert_same(
            got.get(stream).map_or(&[][..], Vec::as_slice),
            pdus,
            &format!("{context}: {stream:?}"),
        );
    }
}

/// PDUs of one connection direction, in stream order.
fn per_stream(pdus: &[Seen]) -> HashMap<(u32, Direction), Vec<Seen>> {
    let mut streams: HashMap<_, Vec<Seen>> = HashMap::new();
    for pdu in pdus {
        streams
            .entry((pdu.conn, pdu.dir))
            .or_default()
            .push(pdu.clone());
    }
    streams
}

/// Real captures with their count of NBSS session messages from tshark 4.0.17:
/// `tshark -r F -Y nbss -T fields -e nbss.type | tr , '\n' | grep -c 0x00`.
fn captures() -> Vec<(PathBuf, usize)> {
    let mut list = vec![
        (data("smb2_100_small_files.pcap"), 814),
        (data("smb3.pcap"), 54),
        (data("smb311.pcap"), 34),
        (data("raw_ntlm_in_smb.pcap"), 107),
        (data("smb2-zero-byte-error-ioctl.pcapng"), 56),
    ];
    list.push((data("zeek/smb2.pcap"), 98));
    list
}

/// The project's Samba samples; their expected counts live in samples/README.md.
fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

fn all_captures() -> Vec<PathBuf> {
    captures()
        .into_iter()
        .map(|(path, _)| path)
        .chain(samples())
        .collect()
}

#[test]
fn pdu_counts_match_tshark() {
    for (path, expected) in captures() {
        let events = flow_events(&segments(&path));
        let pdus = pdus(&events);
        assert_eq!(pdus.len(), expected, "{}", path.display());
        assert!(
            pdus.iter().all(|p| p.damage.is_none()),
            "{}",
            path.display()
        );
        assert!(
            !events.iter().any(|e| matches!(e, FlowEvent::Gap { .. })),
            "{}",
            path.display()
        );
        // Every PDU starts with an SMB magic.
        assert!(
            pdus.iter()
                .all(|p| p.data.len() >= 4 && &p.data[1..4] == b"SMB")
        );
    }
}

/// Shuffles the data segments of each connection direction within windows of `window`
/// segments; handshake, FIN and RST segments stay where they are, and so does the first
/// data segment of each direction (where the handshake was not captured, the stream starts
/// with the first segment seen: bytes shown before it later cannot be placed).
fn reorder(segments: &[Segment], window: usize, rng: &mut impl Choose) -> Vec<Segment> {
    let mut out = segments.to_vec();
    let mut firsts = HashMap::new();
    for seg in segments.iter().filter(|s| s.is_plain_data()) {
        firsts.entry((seg.src, seg.dst)).or_insert(seg.seq);
    }
    let movable =
        |seg: &Segment| seg.is_plain_data() && firsts.get(&(seg.src, seg.dst)) != Some(&seg.seq);
    for start in (0..out.len()).step_by(window) {
        let end = (start + window).min(out.len());
        // Ordered, so that the PRNG is drawn in the same order on every run.
        let mut groups: BTreeMap<(SocketAddr, SocketAddr), Vec<usize>> = BTreeMap::new();
        for (i, seg) in out.iter().enumerate().take(end).skip(start) {
            if movable(seg) {
                groups.entry((seg.src, seg.dst)).or_default().push(i);
            }
        }
        for positions in groups.values() {
            let mut moved: Vec<Segment> = positions.iter().map(|&i| out[i].clone()).collect();
            for i in (1..moved.len()).rev() {
                moved.swap(i, rng.below(i + 1));
            }
            for (&i, seg) in positions.iter().zip(moved) {
                out[i] = seg;
            }
        }
    }
    out
}

/// Sends about a quarter of the data segments twice, the copy a few segments later.
fn duplicate(segments: &[Segment], rng: &mut impl Choose) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut delayed: Vec<(usize, Segment)> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        out.push(seg.clone());
        if seg.is_plain_data() && rng.below(4) == 0 {
            delayed.push((i + rng.below(3), seg.clone()));
        }
        let (due, later): (Vec<_>, Vec<_>) = delayed.drain(..).partition(|(at, _)| *at <= i);
        delayed = later;
        out.extend(due.into_iter().map(|(_, s)| s));
    }
    out.extend(delayed.into_iter().map(|(_, s)| s));
    out
}

/// Splits data segments at random points into up to four pieces.
fn split(segments: &[Segment], rng: &mut impl Choose) -> Vec<Segment> {
    let mut out = Vec::new();
    for seg in segments {
        if !seg.is_plain_data() || seg.payload.len() < 2 {
            out.push(seg.clone());
            continue;
        }
        let mut cuts: Vec<usize> = (0..rng.below(4))
            .map(|_| 1 + rng.below(seg.payload.len() - 1))
            .collect();
        cuts.push(0);
        cuts.push(seg.payload.len());
        cuts.sort_unstable();
        cuts.dedup();
        for piece in cuts.windows(2) {
            out.push(Segment {
                seq: seg.seq.wrapping_add(piece[0] as u32),
                payload: seg.payload[piece[0]..piece[1]].to_vec(),
                ..seg.clone()
            });
        }
    }
    out
}

#[test]
fn reordered_duplicated_and_split_segments_give_the_same_pdus() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for path in all_captures() {
        let original = segments(&path);
        let baseline = pdus(&flow_events(&original));
        for round in 0..3 {
            // Moving segments may change which direction's PDU completes first, not the
            // PDUs of each direction.
            let reordered = pdus(&flow_events(&reorder(&original, 2 + round, &mut rng)));
            assert_same_streams(
                &reordered,
                &baseline,
                &format!("reordered {}", path.display()),
            );
            let duplicated = pdus(&flow_events(&duplicate(&original, &mut rng)));
            assert_same(
                &duplicated,
                &baseline,
                &format!("duplicated {}", path.display()),
            );
            let split = pdus(&flow_events(&split(&original, &mut rng)));
            assert_same(&split, &baseline, &format!("split {}", path.display()));
            let everything = split_dup_reorder(&original, &mut rng);
            assert_same_streams(
                &pdus(&flow_events(&everything)),
                &baseline,
                &format!("all {}", path.display()),
            );
        }
    }
}

fn split_dup_reorder(original: &[Segment], rng: &mut impl Choose) -> Vec<Segment> {
    let split = split(original, rng);
    let duplicated = duplicate(&split, rng);
    reorder(&duplicated, 3, rng)
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 48,
        failure_persistence: None,
        ..Default::default()
    })]

    /// The same property with proptest choosing every split point, duplicate and move (a
    /// failure shrinks to the fewest changes that still break it), on real captures.
    /// Acknowledgment numbers are taken out: several ACKs from the other side past bytes
    /// the capture has not shown are evidence that they were lost (reassembly.rs,
    /// ACKS_PAST_HOLE), so a data segment moved behind them is rightly given up.
    #[test]
    fn any_splitting_duplication_and_order_give_the_same_pdus(
        capture in 0..PROPTEST_CAPTURES.len(),
        window in 2usize..8,
        decisions in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..4000),
    ) {
        let original: Vec<Segment> = segments(&data(PROPTEST_CAPTURES[capture]))
            .into_iter()
            .map(|seg| Segment { ack: None, ..seg })
            .collect();
        let baseline = pdus(&flow_events(&original));
        let mut choices = Decisions(decisions, 0);
        let split = split(&original, &mut choices);
        let duplicated = duplicate(&split, &mut choices);
        let variant = reorder(&duplicated, window, &mut choices);
        assert_same_streams(&pdus(&flow_events(&variant)), &baseline, PROPTEST_CAPTURES[capture]);
    }
}

/// Small real captures for the proptest (each case reassembles one of them).
const PROPTEST_CAPTURES: [&str; 4] = [
    "../../samples/smb2-compound-related1.pcap",
    "../../samples/smb1-raw-ntlmv2.pcap",
    "../../samples/wrong-password.pcap",
    "smb3.pcap",
];

/// Dropping one data segment: the PDUs it touched are marked LostBytes (or, when the hole
/// took a header, lost), a Gap names the hole, and everything else is unchanged.
#[test]
fn dropped_segment_is_a_gap_and_the_stream_resynchronises() {
    let mut rng = XorShift(0xdead_beef_1234_5678);
    for path in all_captures() {
        let original = segments(&path);
        let baseline = pdus(&flow_events(&original));
        // Neither the first data segment of a direction (without a SYN nothing shows it was
        // lost) nor the last one (nothing after it shows the hole).
        let data_segments: Vec<usize> = (0..original.len())
            .filter(|&i| {
                let seg = &original[i];
                let same = |s: &Segment| s.is_plain_data() && (s.src, s.dst) == (seg.src, seg.dst);
                // Nor one TCP retransmitted (the break-retry samples): its copy fills the hole.
                let resent = original
                    .iter()
                    .any(|s| s.frame != seg.frame && same(s) && s.seq == seg.seq);
                seg.is_plain_data()
                    && !resent
                    && original[..i].iter().any(same)
                    && original[i + 1..].iter().any(same)
            })
            .collect();
        // Captures too short for a middle segment in some direction have nothing to drop.
        for _ in 0..if data_segments.is_empty() { 0 } else { 12 } {
            let dropped_at = data_segments[rng.below(data_segments.len())];
            let dropped = &original[dropped_at];
            let mut variant = original.clone();
            variant.remove(dropped_at);
            let events = flow_events(&variant);
            let gaps: Vec<(u64, u64)> = events
                .iter()
                .filter_map(|e| match e {
                    FlowEvent::Gap { frame, bytes, .. } => Some((*frame, *bytes)),
                    _ => None,
                })
                .collect();
            let context = format!("{} without frame {}", path.display(), dropped.frame);
            // The hole is the dropped payload, named by the frame after it (or, at the end
            // of a PDU-less tail, the last frame seen); a PDU left unfinished adds its tail.
            assert!(
                gaps.iter()
                    .any(|&(frame, bytes)| bytes == dropped.payload.len() as u64
                        && frame >= dropped.frame),
                "{context}: {gaps:?}"
            );
            let got = per_stream(&pdus(&events));
            for (stream, expected) in per_stream(&baseline) {
                let seen = got.get(&stream).cloned().unwrap_or_default();
                let touched = |p: &Seen| p.frames.0 <= dropped.frame && dropped.frame <= p.frames.1;
                let untouched_expected: Vec<&Seen> =
                    expected.iter().filter(|p| !touched(p)).collect();
                let untouched_seen: Vec<&Seen> = seen
                    .iter()
                    .filter(|p| p.damage.is_none() && !touched(p))
                    .collect();
                let untouched_seen: Vec<Seen> = untouched_seen.into_iter().cloned().collect();
                let untouched_expected: Vec<Seen> =
                    untouched_expected.into_iter().cloned().collect();
                assert_same(
                    &untouched_seen,
                    &untouched_expected,
                    &format!("{context}: stream {stream:?}"),
                );
                for pdu in seen.iter().filter(|p| p.damage.is_some()) {
                    assert_eq!(pdu.damage, Some(Damage::LostBytes), "{context}");
                    let twin = expected
                        .iter()
                        .find(|p| p.frames.0 == pdu.frames.0)
                        .expect("a damaged PDU starts where one did");
                    assert_eq!(
                        pdu.data.len(),
                        twin.data.len(),
                        "{context}: zero-filled to its length"
                    );
                    assert!(touched(twin), "{context}");
                }
            }
            // The PDU carrying the dropped bytes is not delivered intact.
            let carried: Vec<&Seen> = baseline
                .iter()
                .filter(|p| {
                    p.frames.0 <= dropped.frame
                        && dropped.frame <= p.frames.1
                        && (p.dir == Direction::ToServer) == is_to_server(&original, dropped)
                })
                .collect();
            if let Some(hit) = carried.first() {
                assert!(
                    !pdus(&events).contains(hit),
                    "{context}: PDU with lost bytes came out intact: {:?}",
                    hit.frames
                );
            }
        }
    }
}

/// Whether a segment goes to the server: the side that sent the first SYN is the client,
/// else the side on port 445/139 is the server.
fn is_to_server(all: &[Segment], seg: &Segment) -> bool {
    let syn = all.iter().find(|s| {
        s.syn
            && s.ack.is_none()
            && (s.src == seg.src || s.src == seg.dst)
            && (s.dst == seg.src || s.dst == seg.dst)
    });
    match syn {
        Some(syn) => syn.src == seg.src,
        None => matches!(seg.dst.port(), 445 | 139),
    }
}

/// Frames cut by a snap length (as `editcap -s` does): the same PDUs with the same lengths,
/// those that lost bytes to the cut marked Truncated, the others identical. A PDU whose
/// NBSS header itself was cut away cannot be framed and is missing.
#[test]
fn snap_length_cut_pdus_are_marked_truncated() {
    for path in all_captures() {
        let records = support::read_records(std::slice::from_ref(&path));
        let baseline = pdus(&flow_events(&support::segments_of(&records)));
        for snaplen in [96, 200] {
            let cut: Vec<support::Record> = records
                .iter()
                .map(|r| support::Record {
                    data: r.data[..r.data.len().min(snaplen)].to_vec(),
                    ..r.clone()
                })
                .collect();
            let got = pdus(&flow_events(&support::segments_of(&cut)));
            let context = format!("{} cut at {snaplen}", path.display());
            let mut expected = baseline.iter();
            let mut truncated = 0;
            for pdu in &got {
                let twin = expected
                    .by_ref()
                    .find(|p| (p.conn, p.dir, p.frames) == (pdu.conn, pdu.dir, pdu.frames))
                    .unwrap_or_else(|| panic!("{context}: unexpected PDU {:?}", pdu.frames));
                assert_eq!(pdu.data.len(), twin.data.len(), "{context}");
                match pdu.damage {
                    None => assert_eq!(pdu.data, twin.data, "{context}"),
                    Some(damage) => {
                        assert_eq!(damage, Damage::Truncated, "{context}");
                        truncated += 1;
                    }
                }
            }
            // Missing PDUs started in a frame that was cut.
            for missing in baseline.iter().filter(|p| {
                !got.iter()
                    .any(|g| (g.conn, g.dir, g.frames) == (p.conn, p.dir, p.frames))
            }) {
                let first = &records[missing.frames.0 as usize - 1];
                assert!(
                    first.data.len() > snaplen,
                    "{context}: PDU {:?} lost",
                    missing.frames
                );
            }
            assert!(
                got.len() * 10 >= baseline.len() * 9,
                "{context}: {} of {}",
                got.len(),
                baseline.len()
            );
            if baseline.iter().any(|p| p.data.len() + 4 > snaplen) {
                assert!(truncated > 0, "{context}");
            }
        }
    }
}

/// A segment sent again (issue 23) is a retransmission of the frame that first carried it,
/// in its direction, and changes no PDU; the original capture has none.
#[test]
fn a_segment_sent_again_is_counted_as_a_retransmission() {
    use smbcheck::flow::TcpNote;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/smb311.pcap");
    let original = segments(&path);
    let retransmissions = |events: &[FlowEvent]| -> Vec<(Direction, u64, Option<u64>)> {
        events
            .iter()
            .filter_map(|e| match e {
                FlowEvent::Tcp {
                    dir,
                    frame,
                    note: TcpNote::Retransmission { of_frame },
                    ..
                } => Some((*dir, *frame, *of_frame)),
                _ => None,
            })
            .collect()
    };
    let baseline = flow_events(&original);
    assert!(retransmissions(&baseline).is_empty());
    // The fifth data segment from the server, sent again right after itself.
    let at = original
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_plain_data() && s.src.port() == 445)
        .nth(4)
        .map(|(i, _)| i)
        .expect("a data segment from the server");
    let mut variant = original.clone();
    let mut again = original[at].clone();
    again.frame = 100_000;
    variant.insert(at + 1, again);
    let events = flow_events(&variant);
    assert_eq!(
        retransmissions(&events),
        vec![(Direction::ToClient, 100_000, Some(original[at].frame))]
    );
    assert_same(&pdus(&events), &pdus(&baseline), "segment sent again");
}

//! The TUI at 80x24 and 200x50 (issue 21 items 4, 11, 13; issue 22): the timeline, the
//! channel-lane view, the latency histogram and the security findings, rendered with
//! ratatui's TestBackend from the real samples and compared with snapshots. Every number
//! the assertions expect comes from tshark on the same capture (skipped without it, a
//! failure with SMBCHECK_REQUIRE_TOOLS=1): frame times (`frame.time_relative`), the TCP
//! port of each break and acknowledgment's stream, the time between a break notification
//! (`smb2.cmd==18`, response, MessageId 0xffffffffffffffff) and the acknowledgment of the
//! same `smb2.fid`, the frames a security finding is about.

#[path = "support/screens.rs"]
mod screens;
#[path = "support/tshark.rs"]
mod tshark;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use screens::{sample, snapshot_at, timeline};
use smbcheck::model::names::duration;
use tui::{Action, App};

const TEST1: &str = "smb2-mc-oplocks-test1.pcap";
const RETRY: &str = "smb2-mc-oplocks-test2-breakretry.pcap";
const RETRY32: &str = "smb2-mc-oplocks-test3-spec-breakretry.pcap";
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// tshark's time of every frame, as the timeline shows times (`{:.6}` seconds).
fn frame_times(capture: &Path) -> BTreeMap<u64, f64> {
    tshark::fields(capture, "", &["frame.number", "frame.time_relative"])
        .into_iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect()
}

/// tshark's client port (the one that is not 445) of every frame.
fn client_ports(capture: &Path) -> BTreeMap<u64, u16> {
    tshark::fields(
        capture,
        "tcp",
        &["frame.number", "tcp.srcport", "tcp.dstport"],
    )
    .into_iter()
    .map(|r| {
        let (s, d): (u16, u16) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        (r[0].parse().unwrap(), if s == 445 { d } else { s })
    })
    .collect()
}

/// The timeline rows on a screen: (time, frame, channel, command, the rest of the words).
fn timeline_rows(text: &str) -> Vec<(String, u64, String, String, Vec<String>)> {
    let mut rows = Vec::new();
    for line in text.lines() {
        for part in line.split('│') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (Some(time), Some(frame), Some(ch)) = (words.first(), words.get(1), words.get(2))
            else {
                continue;
            };
            let (Ok(_), Ok(frame)) = (time.parse::<f64>(), frame.parse::<u64>()) else {
                continue;
            };
            if !ch.starts_with('#') || !matches!(words.get(3), Some(&"→" | &"←")) {
                continue;
            }
            rows.push((
                time.to_string(),
                frame,
                ch.to_string(),
                words.get(4).unwrap_or(&"").to_string(),
                words[5..].iter().map(|w| w.to_string()).collect(),
            ));
        }
    }
    rows
}

/// SMB2 commands by code as the timeline names them, full and in a narrow terminal.
fn command_names(code: u16) -> (&'static str, &'static str) {
    match code {
        0 => ("NEGOTIATE", "NEGOTIATE"),
        1 => ("SESSION_SETUP", "SESS_SETUP"),
        2 => ("LOGOFF", "LOGOFF"),
        3 => ("TREE_CONNECT", "TREE_CONN"),
        4 => ("TREE_DISCONNECT", "TREE_DISC"),
        5 => ("CREATE", "CREATE"),
        6 => ("CLOSE", "CLOSE"),
        11 => ("IOCTL", "IOCTL"),
        13 => ("ECHO", "ECHO"),
        14 => ("QUERY_DIRECTORY", "QUERY_DIR"),
        16 => ("QUERY_INFO", "QUERY_INFO"),
        18 => ("OPLOCK_BREAK", "OPLK_BREAK"),
        other => panic!("command {other} not expected in these samples"),
    }
}

/// At 80x24 and 200x50, every timeline row shows tshark's frame number and its time
/// whole, its SMB2 command named (in full, or its short form when narrow), and the
/// status bar keeps tshark's message and signed counts.
#[test]
fn timeline_numbers_are_whole_at_80_and_200_columns() {
    let test = "timeline_numbers_are_whole_at_80_and_200_columns";
    if !tshark::available(test) {
        return;
    }
    let capture = sample(TEST1);
    let times = frame_times(&capture);
    let smb2 = tshark::fields(
        &capture,
        "smb2",
        &[
            "frame.number",
            "smb2.cmd",
            "smb2.flags.signature",
            "smb2.msg_id",
        ],
    );
    let mut commands: BTreeMap<u64, Vec<u16>> = BTreeMap::new();
    let mut msg_ids: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let (mut messages, mut signed) = (0, 0);
    for r in &smb2 {
        let frame: u64 = r[0].parse().unwrap();
        for c in r[1].split(',') {
            commands.entry(frame).or_default().push(c.parse().unwrap());
            messages += 1;
        }
        signed += r[2]
            .split(',')
            .filter(|s| matches!(*s, "1" | "True"))
            .count();
        msg_ids
            .entry(frame)
            .or_default()
            .extend(r[3].split(',').map(str::to_string));
    }

    for (w, h) in SIZES {
        let mut app = App::new(timeline(&capture));
        let text = snapshot_at(&format!("timeline_{w}x{h}"), &mut app, w, h);
        let header = text.lines().nth(1).unwrap();
        for word in [
            "Time", "Frame", "Ch", "Command", "Status", "Verdict", "Note",
        ] {
            assert!(
                header
                    .split_whitespace()
                    .any(|h| h.trim_matches('│') == word),
                "{w}x{h}: header {header:?} lacks {word}"
            );
        }
        let rows = timeline_rows(&text);
        assert!(rows.len() >= 8, "{w}x{h}: {text}");
        for (time, frame, _, command, rest) in &rows {
            assert_eq!(
                *time,
                format!("{:.6}", times[frame]),
                "{w}x{h} frame {frame}"
            );
            let names: Vec<&str> = commands[frame]
                .iter()
                .map(|&c| {
                    let (full, short) = command_names(c);
                    if w >= 200 { full } else { short }
                })
                .collect();
            assert!(
                names.contains(&command.as_str()),
                "{w}x{h} frame {frame}: {command}"
            );
            if w >= 200 {
                // The message id column is there, whole (a notification's is `-`).
                let shown = rest.first().unwrap();
                let ids = &msg_ids[frame];
                assert!(
                    ids.contains(shown)
                        || (shown == "-" && ids.iter().any(|i| i == "18446744073709551615")),
                    "{w}x{h} frame {frame}: msg {shown} not in {ids:?}"
                );
            }
        }
        let status = text.lines().last().unwrap();
        let counts = if w >= 200 {
            format!("{messages} msgs {signed} signed: ")
        } else {
            format!(" {messages} msg {signed} sig: ")
        };
        assert!(
            status.contains(&counts),
            "{w}x{h}: {status:?} lacks {counts:?}"
        );
        assert!(
            status.contains(" inv ") || status.contains(" invalid "),
            "{status}"
        );
        assert!(status.contains(&format!("1/{messages}")), "{status}");
        // The tree shows from 120 columns on; below, `t` brings it back.
        assert_eq!(text.contains("┌ Sessions"), w >= 120, "{text}");
        if w < 120 {
            app.handle(Action::ToggleTree);
            let text = screens::screen_text(&screens::render(&mut app, w, h));
            assert!(text.contains("┌ Sessions"), "{text}");
            assert_eq!(app.focus(), tui::Pane::Tree);
            app.handle(Action::ToggleTree);
            let text = screens::screen_text(&screens::render(&mut app, w, h));
            assert!(!text.contains("┌ Sessions"), "{text}");
        }
    }
}

/// tshark's oplock break notifications and acknowledgments, in frame order: (frame, fid,
/// is a notification).
fn breaks_and_acks(capture: &Path) -> Vec<(u64, String, bool)> {
    let notify = "smb2.cmd == 18 && smb2.flags.response == 1 \
                  && smb2.msg_id == 0xffffffffffffffff && !tcp.analysis.retransmission";
    let ack = "smb2.cmd == 18 && smb2.flags.response == 0";
    let mut out: Vec<(u64, String, bool)> = Vec::new();
    for (filter, is_break) in [(notify, true), (ack, false)] {
        for r in tshark::fields(capture, filter, &["frame.number", "smb2.fid"]) {
            out.push((r[0].parse().unwrap(), r[1].clone(), is_break));
        }
    }
    out.sort();
    out
}

/// One chain of copies of a break (same FileId until acknowledged), from tshark.
#[derive(Debug, Default)]
struct Chain {
    first: u64,
    last: u64,
    ack: Option<u64>,
}

fn chains(capture: &Path) -> Vec<Chain> {
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    let mut chains: Vec<Chain> = Vec::new();
    for (frame, fid, is_break) in breaks_and_acks(capture) {
        match (is_break, open.get(&fid).copied()) {
            (true, Some(c)) => chains[c].last = frame,
            (true, None) => {
                open.insert(fid, chains.len());
                chains.push(Chain {
                    first: frame,
                    last: frame,
                    ack: None,
                });
            }
            (false, Some(c)) => {
                chains[c].ack = Some(frame);
                open.remove(&fid);
            }
            (false, None) => {} // a late acknowledgment: the chain was answered
        }
    }
    chains
}

/// The lane view's header: lane name by the column of its line.
fn lane_columns(line: &[char]) -> BTreeMap<usize, u32> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == '#' {
            let digits: String = line[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(n) = digits.parse() {
                out.insert(i + digits.len(), n);
            }
            i += digits.len();
        }
        i += 1;
    }
    out
}

/// One event row of the lane view: the lane of its mark, the lane its arrow comes from,
/// and its label.
struct LaneRow {
    mark: u32,
    from: Option<u32>,
    label: String,
}

fn lane_rows(text: &str) -> Vec<LaneRow> {
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let head = lines
        .iter()
        .position(|l| l.iter().collect::<String>().contains(" Event"))
        .expect("the lane header");
    let lanes = lane_columns(&lines[head]);
    let last = *lanes.keys().last().unwrap();
    let mut rows = Vec::new();
    for line in &lines[head + 1..] {
        let label: String = line.iter().skip(last + 1).collect();
        let label = label.trim().trim_end_matches('│').trim().to_string();
        if !label.starts_with('f') {
            break;
        }
        let at = |set: &str| {
            lanes
                .iter()
                .filter(|(col, _)| line.get(**col).is_some_and(|c| set.contains(*c)))
                .map(|(_, n)| *n)
                .collect::<Vec<u32>>()
        };
        let marks = at("BAaODP+RFs");
        assert!(marks.len() <= 1, "one mark a row: {label}");
        let Some(&mark) = marks.first() else { continue };
        rows.push(LaneRow {
            mark,
            from: at("╰╯").first().copied(),
            label,
        });
    }
    rows
}

/// The frame a lane label starts with (`f85 ...`) and the one it names after `of f`,
/// `first f` or `to f` (the end of a silence).
fn label_frames(label: &str) -> (u64, Option<u64>) {
    let frame = label[1..].split(' ').next().unwrap().parse().unwrap();
    let other = ["ack of f", "first f", "to f"].iter().find_map(|p| {
        let rest = &label[label.find(p)? + p.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    });
    (frame, other)
}

/// The lane view of the 2-channel break-retry capture: each break is marked on the lane
/// of its TCP stream in tshark, each acknowledgment on its own stream's lane with the
/// latency tshark measures, the re-sent copy with an arrow from the first copy's lane, and
/// the chain's stall from the first copy to the acknowledgment.
#[test]
fn lane_view_draws_breaks_on_their_streams() {
    let test = "lane_view_draws_breaks_on_their_streams";
    if !tshark::available(test) {
        return;
    }
    let capture = sample(RETRY);
    let times = frame_times(&capture);
    let ports = client_ports(&capture);
    let chains = chains(&capture);
    let ms = |a: u64, b: u64| (times[&b] - times[&a]) * 1000.0;
    // The server's retransmissions, where a client's silence begins.
    let retransmitted: BTreeSet<u64> = tshark::fields(
        &capture,
        "tcp.analysis.retransmission && tcp.srcport == 445",
        &["frame.number"],
    )
    .into_iter()
    .map(|r| r[0].parse().unwrap())
    .collect();
    for (w, h) in SIZES {
        let mut app = App::new(timeline(&capture));
        app.handle(Action::Lanes);
        let text = snapshot_at(&format!("lanes_{w}x{h}"), &mut app, w, h);
        let port_of_lane = |lane: u32| {
            app.timeline()
                .analysis
                .connections
                .iter()
                .find(|c| c.id == lane)
                .map(|c| c.client.port())
                .unwrap()
        };
        let rows = lane_rows(&text);
        let mut checked = BTreeSet::new();
        let mut silences = BTreeSet::new();
        for row in &rows {
            let (frame, other) = label_frames(&row.label);
            assert_eq!(
                port_of_lane(row.mark),
                ports[&frame],
                "{w}x{h}: {} on lane #{}",
                row.label,
                row.mark
            );
            if row.label.contains("client silent") {
                // From a server retransmission to the client's next segment, on one stream.
                let end = other.unwrap();
                assert!(retransmitted.contains(&frame), "{}", row.label);
                assert_eq!(ports[&end], ports[&frame], "{}", row.label);
                silences.insert(frame);
            }
            if row.label.split(' ').nth(1) == Some("ack") {
                let brk = other.unwrap();
                let chain = chains.iter().find(|c| c.ack == Some(frame)).unwrap();
                assert_eq!(brk, chain.last, "{}", row.label);
                let latency = format!(" in {}", duration(ms(brk, frame)));
                assert!(
                    row.label.contains(&latency),
                    "{} lacks {latency}",
                    row.label
                );
                if chain.first != chain.last {
                    let stall = format!("chain stalled {}", duration(ms(chain.first, frame)));
                    assert!(
                        row.label.contains(&stall) || (w < 200 && row.label.ends_with('…')),
                        "{} lacks {stall}",
                        row.label
                    );
                }
                // An arrow only when the ack came back on another lane than the copy's.
                let from = row.from.map(port_of_lane);
                let expected = (ports[&brk] != ports[&frame]).then_some(ports[&brk]);
                assert_eq!(from, expected, "{}", row.label);
                checked.insert(frame);
            }
            if row.label.contains("re-sent (first f") {
                let first = other.unwrap();
                let chain = chains.iter().find(|c| c.last == frame).unwrap();
                assert_eq!(first, chain.first, "{}", row.label);
                assert_eq!(
                    row.from.map(port_of_lane),
                    Some(ports[&first]),
                    "{}",
                    row.label
                );
                assert!(
                    row.label
                        .contains(&format!("+{}", duration(ms(first, frame))))
                );
                checked.insert(frame);
            }
        }
        // Both acknowledgments and the re-sent copy are on screen at either size.
        let expected: BTreeSet<u64> = chains
            .iter()
            .flat_map(|c| {
                c.ack
                    .into_iter()
                    .chain((c.first != c.last).then_some(c.last))
            })
            .collect();
        assert_eq!(checked, expected, "{w}x{h}:\n{text}");
        // The one silence of this capture starts at the server's first retransmission.
        let first_retransmission = retransmitted.first().copied();
        assert_eq!(silences.first().copied(), first_retransmission, "{w}x{h}");

        // Enter on an acknowledgment shows it in the timeline.
        let ack = *expected.iter().next().unwrap();
        let row = app
            .lanes()
            .unwrap()
            .events
            .iter()
            .position(|e| e.frame == ack);
        for _ in 0..row.unwrap() {
            app.handle(Action::Down);
        }
        app.handle(Action::Enter);
        assert_eq!(app.screen(), tui::Screen::Timeline);
        assert_eq!(app.selected_row().map(|r| r.message.frame), Some(ack));
    }
}

/// 33 lanes do not fit in 80 columns: they scroll, and the selection brings the lane of
/// the last copy of the 32-channel chain into view, marked on its stream's lane.
#[test]
fn lane_view_scrolls_32_channels_at_80_columns() {
    let test = "lane_view_scrolls_32_channels_at_80_columns";
    if !tshark::available(test) {
        return;
    }
    let capture = sample(RETRY32);
    let ports = client_ports(&capture);
    let chains = chains(&capture);
    assert_eq!(chains.len(), 1, "{chains:?}");
    let last = chains[0].last;
    let mut app = App::new(timeline(&capture));
    app.handle(Action::Lanes);
    let text = snapshot_at("lanes_32_80x24", &mut app, 80, 24);
    assert!(text.contains("lanes #0..#8 of 33"), "{text}");
    let row = app
        .lanes()
        .unwrap()
        .events
        .iter()
        .position(|e| e.frame == last)
        .unwrap();
    for _ in 0..row {
        app.handle(Action::Down);
    }
    let text = snapshot_at("lanes_32_last_copy_80x24", &mut app, 80, 24);
    let shown = lane_rows(&text)
        .into_iter()
        .find(|r| label_frames(&r.label).0 == last)
        .expect("the last copy's row");
    let port = app
        .timeline()
        .analysis
        .connections
        .iter()
        .find(|c| c.id == shown.mark)
        .map(|c| c.client.port());
    assert_eq!(port, Some(ports[&last]));
    assert!(
        text.contains(&format!("frame {last} at")) && text.contains("(unacknowledged)"),
        "{text}"
    );
    // ← scrolls the lanes back by one.
    app.handle(Action::Left);
    let before = lane_columns(&text.lines().nth(1).unwrap().chars().collect::<Vec<_>>());
    let text = screens::screen_text(&screens::render(&mut app, 80, 24));
    let after = lane_columns(&text.lines().nth(1).unwrap().chars().collect::<Vec<_>>());
    assert_eq!(
        after.values().next().copied(),
        before.values().next().map(|n| n - 1),
        "{text}"
    );
}

/// The histogram's counts per bucket are tshark's: each acknowledged chain's latency (last
/// copy to ack) and stall (first copy to ack), the chains never acknowledged apart.
#[test]
fn histogram_counts_match_tshark() {
    let test = "histogram_counts_match_tshark";
    if !tshark::available(test) {
        return;
    }
    for name in [TEST1, RETRY, RETRY32] {
        let capture = sample(name);
        let times = frame_times(&capture);
        let chains = chains(&capture);
        let (mut latency, mut stall, mut none) = ([0u64; 5], [0u64; 5], 0);
        for c in &chains {
            match c.ack {
                Some(a) => {
                    latency[tui::bucket((times[&a] - times[&c.last]) * 1000.0)] += 1;
                    stall[tui::bucket((times[&a] - times[&c.first]) * 1000.0)] += 1;
                }
                None => none += 1,
            }
        }
        let line = |what: &str, counts: &[u64; 5]| {
            let buckets: Vec<String> = tui::BUCKETS
                .iter()
                .zip(counts)
                .map(|(b, n)| format!("{b} {n}"))
                .collect();
            format!("{what}{}", buckets.join("  "))
        };
        for (w, h) in SIZES {
            let mut app = App::new(timeline(&capture));
            app.handle(Action::Histogram);
            let stem = name.trim_end_matches(".pcap");
            let text = snapshot_at(&format!("histogram_{stem}_{w}x{h}"), &mut app, w, h);
            for want in [
                line("latency: ", &latency),
                line("stall:   ", &stall),
                format!("never acknowledged: {none} chains"),
            ] {
                assert!(
                    text.contains(&want),
                    "{name} {w}x{h} lacks {want:?}:\n{text}"
                );
            }
        }
    }
}

/// The security findings list shows each kind with its first frame (tshark's NEGOTIATE
/// response for `smb1`, the SESSION_SETUP response after the NTLMv1 AUTHENTICATE for
/// `ntlmv1`), and Enter limits the timeline to the frames of one.
#[test]
fn security_list_and_filter() {
    let test = "security_list_and_filter";
    if !tshark::available(test) {
        return;
    }
    let capture = sample("smb1-ntlmv1.pcap");
    let frames = |filter| -> Vec<u64> {
        tshark::fields(&capture, filter, &["frame.number"])
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect()
    };
    let negotiate = frames("smb.cmd == 0x72 && smb.flags.response == 1");
    let auth = frames("ntlmssp.messagetype == 0x00000003 && !ntlmssp.ntlmv2_response");
    let setup = frames("smb.cmd == 0x73 && smb.flags.response == 1");
    let logon = *setup.iter().find(|f| **f > auth[0]).unwrap();

    for (w, h) in SIZES {
        let mut app = App::new(timeline(&capture));
        app.handle(Action::Security);
        let text = snapshot_at(&format!("security_{w}x{h}"), &mut app, w, h);
        for (kind, first) in [("smb1", negotiate[0]), ("ntlmv1", logon)] {
            let line = text
                .lines()
                .find(|l| l.contains(&format!("│{kind} ")))
                .unwrap_or_else(|| panic!("{w}x{h}: no {kind} line:\n{text}"));
            assert!(line.contains(&format!("first frame {first}")), "{line}");
        }
        let kinds: Vec<&str> = app
            .timeline()
            .analysis
            .security
            .iter()
            .map(|f| f.kind.name())
            .collect();
        let smb1 = kinds.iter().position(|k| *k == "smb1").unwrap();
        for _ in 0..smb1 {
            app.handle(Action::Down);
        }
        app.handle(Action::Enter);
        let shown: Vec<u64> = app
            .view()
            .iter()
            .map(|&i| app.timeline().messages[i].message.frame)
            .collect();
        assert_eq!(shown, negotiate, "{w}x{h}");
        assert_eq!(
            app.filter().security,
            Some(smbcheck::model::SecurityKind::Smb1)
        );
        app.handle(Action::ClearFilters);
        assert_eq!(app.view().len(), app.timeline().messages.len());
    }
}

/// The detail of a break names the CREATE that caused it and how long it waited, as the
/// text and JSON reports do: tshark's last CREATE of the file before the break, and the
/// time to its final (not STATUS_PENDING) response.
#[test]
fn break_detail_names_its_cause() {
    let test = "break_detail_names_its_cause";
    if !tshark::available(test) {
        return;
    }
    let capture = sample(RETRY);
    let times = frame_times(&capture);
    let first_copy = chains(&capture)
        .into_iter()
        .find(|c| c.first != c.last)
        .unwrap()
        .first;
    let creates = tshark::fields(
        &capture,
        "smb2.cmd == 5",
        &[
            "frame.number",
            "smb2.flags.response",
            "smb2.msg_id",
            "tcp.stream",
            "smb2.nt_status",
            "smb2.filename",
        ],
    );
    let request = creates
        .iter()
        .rfind(|r| {
            matches!(r[1].as_str(), "0" | "False")
                && r[5].ends_with("oplock_break_test2.dat")
                && r[0].parse::<u64>().unwrap() < first_copy
        })
        .unwrap();
    let response = creates
        .iter()
        .find(|r| {
            r[2] == request[2]
                && r[3] == request[3]
                && matches!(r[1].as_str(), "1" | "True")
                && r[4] != "0x00000103"
        })
        .unwrap();
    let (req, resp): (u64, u64) = (request[0].parse().unwrap(), response[0].parse().unwrap());
    let waited = duration((times[&resp] - times[&req]) * 1000.0);

    let mut app = App::new(timeline(&capture));
    app.handle(Action::SearchStart);
    for c in first_copy.to_string().chars() {
        app.handle(Action::SearchInput(c));
    }
    app.handle(Action::SearchSubmit);
    // 100 columns: the detail is one column (the hex dump below it).
    let text = snapshot_at("detail_cause_100x50", &mut app, 100, 50);
    let words = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Cause CREATE of ".to_string(),
        format!("{} in frame {req} on #", request[5]),
        format!("waited {waited}"),
        format!("answered in frame {resp}: STATUS_SUCCESS"),
    ] {
        assert!(words.contains(&want), "lacks {want:?}:\n{text}");
    }
}

/// A key whose answer is a notice says it at 80 and 100 columns too, where the counts and
/// the key hint leave it too little room: `b` on a capture without breaks (tshark shows no
/// `smb2.cmd==18`) says so instead of seeming to do nothing.
#[test]
fn a_keys_notice_shows_at_80_columns() {
    let capture = sample("smb311.pcap");
    if tshark::available("a_keys_notice_shows_at_80_columns") {
        let breaks = tshark::fields(&capture, "smb2.cmd == 18", &["frame.number"]);
        assert!(breaks.is_empty(), "tshark shows breaks: {breaks:?}");
    }
    for (width, height) in [(80, 24), (100, 30), (200, 50)] {
        let mut app = App::new(timeline(&capture));
        app.handle(Action::ToggleBreaks);
        let text = screens::screen_text(&screens::render(&mut app, width, height));
        let status = text.lines().last().unwrap_or("");
        assert!(
            status.contains("no oplock or lease breaks in this capture"),
            "{width}x{height}: the status bar does not say why b did nothing: {status:?}"
        );
    }
}

/// Without credentials no signature can be checked: at 80x24 as at 200x50 the status bar
/// says how many signed messages went unverified and why, before the file name and the key
/// hint, its numbers whole. The count is tshark's: the SMB2 messages with the signed flag
/// (`smb2.flags.signature == 1`) of smb311.pcap.
#[test]
fn the_status_bar_says_why_nothing_was_verified() {
    let test = "the_status_bar_says_why_nothing_was_verified";
    let capture = sample("smb311.pcap");
    let signed = tshark::available(test).then(|| tshark::signed_smb2(&capture));
    for (width, height) in SIZES {
        let mut app = App::new(screens::timeline_with(&capture, None));
        let text = snapshot_at(
            &format!("status_no_key_{width}x{height}"),
            &mut app,
            width,
            height,
        );
        let status = text.lines().last().unwrap_or("");
        let Some(n) = signed else { continue };
        assert!(n > 0, "tshark shows no signed message");
        let says = if width >= 200 {
            format!("{n} of {n} signed messages not verified: no credentials given")
        } else {
            format!("{n} unv: no key given")
        };
        assert!(
            status.contains(&says),
            "{width}x{height}: the status bar does not say {says:?}: {status:?}"
        );
        let counts = format!("0 val 0 inv {n} unv");
        let counts_long = format!("0 valid 0 invalid {n} unverified");
        assert!(
            status.contains(&counts) || status.contains(&counts_long),
            "{width}x{height}: counts not whole: {status:?}"
        );
    }
}

/// smb311-guest.pcap checked with alice's password: the logon names `nobody`, so the
/// password does not match, and the server mapped it to guest (tshark: the guest flag on
/// its SESSION_SETUP response). The detail of that response says both, as the reports do.
#[test]
fn a_guest_logons_detail_says_mismatch_and_guest() {
    let capture = sample("smb311-guest.pcap");
    let guest = if tshark::available("a_guest_logons_detail_says_mismatch_and_guest") {
        let filter = "smb2.cmd == 1 && smb2.ses_flags.guest == 1";
        let rows = tshark::fields(&capture, filter, &["frame.number"]);
        assert_eq!(rows.len(), 1, "{rows:?}");
        rows[0][0].parse::<u64>().unwrap()
    } else {
        return;
    };
    let mut app = App::new(timeline(&capture));
    for _ in 0..app.view().len() {
        if app.selected_row().is_some_and(|r| r.message.frame == guest) {
            break;
        }
        app.handle(Action::Down);
    }
    let row = app.selected_row().expect("a row");
    assert_eq!(
        row.message.frame, guest,
        "no timeline row for frame {guest}"
    );
    let text = screens::screen_text(&screens::render(&mut app, 200, 50));
    assert!(
        text.contains("mismatch (guest logon: the server mapped it to guest"),
        "{text}"
    );
    assert!(!text.contains("not-checked"), "{text}");
}

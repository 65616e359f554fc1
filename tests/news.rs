//! What a live capture tells as it happens (`Engine::news`): every session, binding, break
//! and problem of the final report that the capture showed before it ended, each told once,
//! no earlier than the frame that made it. Real samples fed frame by frame through the
//! pipeline `smbcheck -i` uses.

mod support;

use std::collections::BTreeSet;

use clap::Parser;
use smbcheck::app::cli::Args;
use smbcheck::app::pipeline::Pipeline;
use smbcheck::engine::news::{News, Seen};
use smbcheck::model::Message;
use smbcheck::report;

#[derive(Debug, Default)]
struct Told {
    sessions: Vec<u64>,
    bindings: Vec<(u64, u64)>,
    breaks: Vec<u64>,
    problems: Vec<(u64, String)>,
    lines: Vec<String>,
}

#[test]
fn news_tells_sessions_bindings_breaks_and_problems_once_as_they_happen() {
    // A bound channel, a refused binding (a problem), lease breaks, SMB1 oplock breaks.
    let mut all = Told::default();
    for name in [
        "smb2-session-bind1.pcap",
        "smb2-mc-num-channels.pcap",
        "smb2-lease-break.pcap",
        "smb1-oplock-batch1.pcap",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name);
        let records = support::read_records(&[path]);
        let args = Args::try_parse_from(["smbcheck", "--password", "Secr3t!pass", "x.pcap"])
            .expect("arguments");
        let mut pipeline = Pipeline::new(&args).expect("pipeline");
        let mut sink = |_: &Message, _: Option<&_>, _: &[u8]| {};
        let mut seen = Seen::default();
        let mut told = Told::default();
        for r in &records {
            pipeline.frame(r.number, r.ts, r.linktype, &r.data, None, &mut sink);
            pipeline.engine().news(&mut seen, |news| {
                let (frame, event) = match &news {
                    News::Session(s) => {
                        told.sessions.push(s.id);
                        (s.first_frame, "session")
                    }
                    News::Binding(b) => {
                        told.bindings.push((b.session_id, b.frame));
                        (b.frame, "binding")
                    }
                    News::Break(b) => {
                        told.breaks.push(b.frame);
                        (b.frame, "break")
                    }
                    News::Problem(p) => {
                        told.problems.push((p.frame, p.kind.to_string()));
                        (p.frame, "problem")
                    }
                };
                assert!(
                    frame <= r.number,
                    "{name}: told at frame {} of frame {frame}",
                    r.number
                );
                let object = report::news::json(&news);
                assert_eq!(object["event"], event, "{object}");
                let key = if event == "session" {
                    "first_frame"
                } else {
                    "frame"
                };
                assert_eq!(object[key].as_u64(), Some(frame), "{object}");
                told.lines.push(report::news::text(&news));
            });
        }
        let frames = records.last().map_or(0, |r| r.number);
        let analysis = pipeline
            .finish(frames, Vec::new(), &args, &mut sink)
            .expect("finish");

        let mut sessions: Vec<u64> = analysis.sessions.iter().map(|s| s.id).collect();
        let mut told_sessions = told.sessions.clone();
        sessions.sort_unstable();
        told_sessions.sort_unstable();
        assert_eq!(told_sessions, sessions, "{name}: sessions");
        let bindings: Vec<(u64, u64)> = analysis
            .bindings
            .iter()
            .map(|b| (b.session_id, b.frame))
            .collect();
        assert_eq!(told.bindings, bindings, "{name}: bindings");
        let breaks: Vec<u64> = analysis.breaks.iter().map(|b| b.frame).collect();
        assert_eq!(told.breaks, breaks, "{name}: breaks");
        let problems: BTreeSet<(u64, String)> = analysis
            .problems
            .iter()
            .map(|p| (p.frame, p.kind.to_string()))
            .collect();
        let told_problems: BTreeSet<(u64, String)> = told.problems.iter().cloned().collect();
        assert_eq!(
            told_problems.len(),
            told.problems.len(),
            "{name}: a problem told twice"
        );
        assert!(
            told_problems.is_subset(&problems),
            "{name}: {told_problems:?}"
        );
        assert_eq!(
            told.lines.len(),
            told.sessions.len() + told.bindings.len() + told.breaks.len() + told.problems.len()
        );
        assert!(
            told.lines.iter().all(|l| l.starts_with("frame ")),
            "{:?}",
            told.lines
        );
        all.bindings.extend(told.bindings);
        all.breaks.extend(told.breaks);
        all.problems.extend(told.problems);
    }
    // The samples do hold each kind of news.
    assert!(!all.bindings.is_empty() && !all.breaks.is_empty() && !all.problems.is_empty());
}

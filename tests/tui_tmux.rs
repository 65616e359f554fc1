//! The real binary's TUI in a real terminal: `smbcheck --tui` runs in a detached tmux
//! session; keys go in with send-keys and the screen comes back with capture-pane. Skipped
//! with a reason when tmux is absent (a failure with SMBCHECK_REQUIRE_TOOLS=1).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tmux.rs"]
mod tmux;
#[path = "support/tshark.rs"]
mod tshark;

use tmux::{Session, tmux, wait_for, wait_for_file};

#[test]
fn next_problem_help_and_quit_in_tmux() {
    let test = "next_problem_help_and_quit_in_tmux";
    if !cli::require_tool(test, "tmux") {
        return;
    }
    // A capture with a problem that is not a failure (a refused binding): exit status 0.
    let capture = cli::sample("smb2-mc-num-channels.pcap");
    let dir = cli::scratch(test);
    let exit_file = dir.join("exit");
    let password_file = dir.join("password");
    std::fs::write(&password_file, format!("{}\n", cli::PASSWORD)).expect("password file");
    let command = format!(
        "{} --tui --password-file '{}' '{}'; echo EXIT=$? > '{}'",
        cli::bin().display(),
        password_file.display(),
        capture.display(),
        exit_file.display()
    );
    let session = Session::start("smbcheck-tui", 160, 48, &command);
    let target = session.target();

    let screen = wait_for(target, "filter: none");
    assert!(screen.contains("smb2-mc-num-channels.pcap"), "{screen}");
    assert!(screen.contains(" problems "), "{screen}");

    tmux(&["send-keys", "-t", target, "n"]);
    let screen = wait_for(target, "binding-failed");
    assert!(screen.contains("STATUS_INSUFFICIENT_RESOURCES"), "{screen}");

    tmux(&["send-keys", "-t", target, "?"]);
    // (The help text, not just its title: tmux may show a frame half drawn.)
    let screen = wait_for(target, "next / previous problem");
    assert!(screen.contains(" Keys "), "{screen}");

    tmux(&["send-keys", "-t", target, "q"]);
    let exit = wait_for_file(&exit_file);
    assert_eq!(exit.trim(), "EXIT=0");
}

/// The real binary in an 80x24 terminal (issue 21 items 4 and 13): the timeline shows
/// every column header and each row's frame number and time whole (tshark's
/// `frame.time_relative`), the status bar its counts; `l` opens the lane view with the
/// break of frame 63 on lane #1 and its acknowledgment (tshark: both on the stream of
/// client port 56346... read from tshark, not assumed).
#[test]
fn narrow_timeline_and_lane_view_in_tmux() {
    let test = "narrow_timeline_and_lane_view_in_tmux";
    if !cli::require_tool(test, "tmux") || !cli::require_tool(test, "tshark") {
        return;
    }
    let capture = cli::sample("smb2-mc-oplocks-test1.pcap");
    let dir = cli::scratch(test);
    let exit_file = dir.join("exit");
    let command = format!(
        "{} --tui '{}'; echo EXIT=$? > '{}'",
        cli::bin().display(),
        capture.display(),
        exit_file.display()
    );
    let session = Session::start("smbcheck-tui-80", 80, 24, &command);
    let target = session.target();
    // Without credentials the status bar says why nothing was verified, before the key hint.
    let screen = wait_for(target, "unv: no key given");
    let header = screen.lines().nth(1).unwrap_or("");
    for word in [
        "Time", "Frame", "Ch", "Command", "Status", "Verdict", "Note",
    ] {
        assert!(
            header
                .split_whitespace()
                .any(|w| w.trim_matches('│') == word),
            "{header:?} lacks {word}:\n{screen}"
        );
    }
    let times: std::collections::BTreeMap<u64, String> =
        tshark::fields(&capture, "smb2", &["frame.number", "frame.time_relative"])
            .into_iter()
            .map(|r| {
                (
                    r[0].parse().unwrap(),
                    format!("{:.6}", r[1].parse::<f64>().unwrap()),
                )
            })
            .collect();
    let mut rows = 0;
    for line in screen.lines().skip(2) {
        let words: Vec<&str> = line.trim_matches('│').split_whitespace().collect();
        let (Some(time), Some(frame)) = (words.first(), words.get(1)) else {
            continue;
        };
        let (Ok(_), Ok(frame)) = (time.parse::<f64>(), frame.parse::<u64>()) else {
            continue;
        };
        if let Some(t) = times.get(&frame) {
            assert_eq!(time, t, "frame {frame}:\n{screen}");
            rows += 1;
        }
    }
    assert!(rows >= 8, "{screen}");
    let status = screen.lines().last().unwrap_or("");
    for word in [" msg ", " val ", " inv ", " unv ", " brk "] {
        assert!(status.contains(word), "{status:?} lacks {word}");
    }
    let signed = tshark::signed_smb2(&capture);
    let says = format!("{signed} unv: no key given");
    assert!(status.contains(&says), "{status:?} lacks {says:?}");

    tmux(&["send-keys", "-t", target, "l"]);
    let screen = wait_for(target, "f65 ack of f63");
    let ports: std::collections::BTreeMap<u64, String> = tshark::fields(
        &capture,
        "frame.number == 63 || frame.number == 65",
        &["frame.number", "tcp.stream"],
    )
    .into_iter()
    .map(|r| (r[0].parse().unwrap(), r[1].clone()))
    .collect();
    assert_eq!(
        ports[&63], ports[&65],
        "tshark: break and ack on one stream"
    );
    // Marks: the B of frame 63 and the A of frame 65 under the same lane header.
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let column = |label: &str, mark: char| {
        lines
            .iter()
            .find(|l| l.iter().collect::<String>().contains(label))
            .and_then(|l| l.iter().position(|c| *c == mark))
            .unwrap_or_else(|| panic!("no {mark} on the {label} row:\n{screen}"))
    };
    assert_eq!(
        column("f63 oplock break", 'B'),
        column("f65 ack of f63", 'A')
    );
    assert!(screen.contains("Lanes: session"), "{screen}");

    tmux(&["send-keys", "-t", target, "q"]);
    let exit = wait_for_file(&exit_file);
    assert_eq!(exit.trim(), "EXIT=0");
}

//! The TUI over real samples: screens rendered with ratatui's TestBackend and compared with
//! the text snapshots in tui/tests/snapshots/ (rewrite them with `UPDATE_SNAPSHOTS=1`), and
//! key handling (navigation, links, filters, search) on the same timelines.

#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;

use std::path::{Path, PathBuf};

use smbcheck::app::tui_view::Collector;
use smbcheck::auth::Secrets;
use smbcheck::auth::credentials::{Credential, Credentials};
use smbcheck::capture::{CaptureSet, Decoded, decode_tcp};
use smbcheck::engine::{Engine, EngineConfig};
use smbcheck::flow::{FlowConfig, FlowTable};
use smbcheck::model::Verdict;
use tui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui::ratatui::Terminal;
use tui::ratatui::backend::TestBackend;
use tui::ratatui::style::{Color, Modifier};
use tui::{Action, App, Pane, Timeline};

const PASSWORD: &str = "Secr3t!pass";
const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The timeline `smbcheck --tui` would show for these captures, from the library.
fn timeline(path: &Path) -> Timeline {
    let mut credentials = Credentials::new();
    credentials.push(Credential::from_password(None, None, PASSWORD));
    let mut engine = Engine::new(EngineConfig {
        secrets: Secrets {
            credentials,
            ..Secrets::default()
        },
        keep_plaintext: false,
        limits: Default::default(),
    });
    let paths = [path.to_path_buf()];
    let mut captures = CaptureSet::open(&paths).expect("open capture");
    let mut flows = FlowTable::new(FlowConfig::default());
    let mut collector = Collector::new();
    let mut sink = |m: &smbcheck::model::Message, bytes: &[u8]| collector.push(m, bytes);
    let mut events = Vec::new();
    let mut last = None;
    while let Some(frame) = captures.next_frame().expect("read frame") {
        last = Some((frame.number, frame.ts));
        if let Decoded::Tcp(seg) = decode_tcp(frame.linktype, frame.data) {
            flows.push(frame.number, frame.ts, &seg, &mut events);
        }
        for event in events.drain(..) {
            engine.handle(event, &mut sink);
        }
    }
    flows.finish(last, &mut events);
    for event in events.drain(..) {
        engine.handle(event, &mut sink);
    }
    let analysis = engine.finish(captures.frames_read());
    collector.finish(&analysis, &paths)
}

/// smb311.pcap with one byte of the signature of its TREE_CONNECT request flipped (the
/// first signed request after the session setup), written to a scratch file.
fn tampered(test: &str) -> (Timeline, u64) {
    let records = support::read_records(&[sample("smb311.pcap")]);
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let (index, at, number) = frames
        .iter()
        .filter(|f| f.to_server)
        .find_map(|f| {
            let range = f.messages.first()?;
            let msg = records.get(f.index)?.data.get(range.clone())?;
            let command = u16::from_le_bytes(msg.get(12..14)?.try_into().ok()?);
            let signed = pcap_edit::smb2::flags(msg) & pcap_edit::smb2::FLAG_SIGNED != 0;
            (command == 3 && signed).then_some((
                f.index,
                range.start + pcap_edit::smb2::SIGNATURE + 3,
                f.number,
            ))
        })
        .expect("a signed TREE_CONNECT request in smb311.pcap");
    let mut records = records;
    records[index].data[at] ^= 0x01;
    let dir = support::temp_dir(test);
    let path = dir.join("smb311-tampered.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).expect("write variant");
    (timeline(&path), number)
}

fn render(app: &mut App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    terminal.draw(|frame| tui::draw(frame, app)).expect("draw");
    terminal
}

/// The screen as text, one line per row, trailing blanks removed.
fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_string()))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Compares with tui/tests/snapshots/NAME.txt, or rewrites it with UPDATE_SNAPSHOTS=1.
fn assert_snapshot(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tui/tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != text {
        let line = expected
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(text.lines().count()));
        panic!(
            "screen differs from {} at line {}:\nexpected: {:?}\nactual:   {:?}\n\
             whole screen:\n{text}\n(UPDATE_SNAPSHOTS=1 rewrites the snapshot)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or(""),
            text.lines().nth(line).unwrap_or(""),
        );
    }
}

fn snapshot(name: &str, app: &mut App) -> String {
    let text = screen_text(&render(app));
    assert_snapshot(name, &text);
    text
}

#[test]
fn main_screen() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    let text = snapshot("main_smb311", &mut app);
    assert!(text.contains("Timeline 77/77"), "{text}");
    assert!(text.contains("filter: none"), "{text}");
}

#[test]
fn invalid_message_detail() {
    let (timeline, frame) = tampered("tui-detail");
    assert_eq!(
        timeline.analysis.summary.invalid, 1,
        "one flipped signature byte"
    );
    let mut app = App::new(timeline);
    app.handle(Action::NextProblem);
    let row = app.selected_row().expect("a selected row");
    assert_eq!(
        (row.message.frame, row.message.verdict),
        (frame, Verdict::Invalid)
    );
    let terminal = render(&mut app);
    let text = screen_text(&terminal);
    assert_snapshot("detail_invalid", &text);
    assert!(text.contains("invalid-signature"), "{text}");

    // The 16 signature bytes of the dump are highlighted in the invalid colour.
    let buffer = terminal.backend().buffer();
    let dump_line = (0..HEIGHT)
        .find(|&y| {
            (0..WIDTH)
                .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_string()))
                .collect::<String>()
                .contains("0030  ")
        })
        .expect("the dump line of offset 0x30");
    let highlighted = (0..WIDTH)
        .filter_map(|x| buffer.cell((x, dump_line)))
        .filter(|c| {
            c.fg == Color::Red
                && c.modifier.contains(Modifier::REVERSED)
                && c.symbol().chars().all(|ch| ch.is_ascii_hexdigit())
        })
        .count();
    assert_eq!(highlighted, 32, "16 bytes, two hex digits each");
}

#[test]
fn help_overlay() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    app.handle(Action::Help);
    let text = snapshot("help", &mut app);
    for (key, _) in tui::KEYS {
        assert!(text.contains(key), "help lists {key}");
    }
    app.handle(Action::Help);
    assert!(!app.help_shown());
}

#[test]
fn problems_only_view() {
    let (timeline, frame) = tampered("tui-problems");
    let mut app = App::new(timeline);
    app.handle(Action::ToggleProblems);
    let text = snapshot("filter_problems", &mut app);
    assert!(text.contains("filter: problems"), "{text}");
    let frames: Vec<u64> = app
        .view()
        .iter()
        .map(|&i| app.timeline().messages[i].message.frame)
        .collect();
    assert_eq!(frames, [frame]);
    app.handle(Action::ToggleProblems);
    assert_eq!(app.view().len(), app.timeline().messages.len());
}

#[test]
fn break_and_acknowledgment() {
    let t = timeline(&sample("smb2-lease-break.pcap"));
    let Some(first) = t.analysis.breaks.first().cloned() else {
        eprintln!("skipped: the analysis reports no breaks yet in smb2-lease-break.pcap");
        return;
    };
    let mut app = App::new(t);
    app.handle(Action::ToggleBreaks);
    assert!(!app.view().is_empty());
    for &i in app.view() {
        let m = app.marks(i).expect("marked");
        assert!(m.break_of.is_some() || m.ack_of.is_some());
    }
    assert_eq!(
        app.selected_row().map(|r| r.message.frame),
        Some(first.frame)
    );
    // Enter follows the break to its acknowledgment, and back.
    app.handle(Action::Enter);
    assert_eq!(
        app.selected_row().map(|r| r.message.frame),
        first.ack.as_ref().map(|a| a.frame)
    );
    let text = snapshot("breaks", &mut app);
    assert!(text.contains("filter: breaks"), "{text}");
    app.handle(Action::Enter);
    assert_eq!(
        app.selected_row().map(|r| r.message.frame),
        Some(first.frame)
    );
}

#[test]
fn navigation_keys() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    let n = app.view().len();
    assert_eq!(app.selected(), 0);
    app.handle(Action::Up);
    assert_eq!(app.selected(), 0, "stays on the first row");
    app.handle(Action::Down);
    app.handle(Action::Down);
    assert_eq!(app.selected(), 2);
    app.handle(Action::Bottom);
    assert_eq!(app.selected(), n - 1);
    app.handle(Action::Down);
    assert_eq!(app.selected(), n - 1, "stays on the last row");
    app.handle(Action::Top);
    assert_eq!(app.selected(), 0);
    // A page is what the last drawing showed.
    let screen = screen_text(&render(&mut app));
    let visible = screen
        .lines()
        .filter(|l| l.contains(" #0  →") || l.contains(" #0  ←"))
        .count();
    assert!(visible > 10, "{screen}");
    app.handle(Action::PageDown);
    assert_eq!(app.selected(), visible);
    app.handle(Action::PageUp);
    assert_eq!(app.selected(), 0);

    // Enter goes from a request to its response and back.
    let request = app.selected_index().expect("row");
    app.handle(Action::Enter);
    let response = &app.selected_row().expect("response").message;
    let asked = &app.timeline().messages[request].message;
    assert!(response.is_response);
    assert_eq!(response.message_id, asked.message_id);
    assert_eq!(response.request_frame, Some(asked.frame));
    app.handle(Action::Enter);
    assert_eq!(app.selected_index(), Some(request));

    // Tab cycles the panes; in the tree, Enter filters to the item.
    assert_eq!(app.focus(), Pane::Timeline);
    app.handle(Action::NextPane);
    assert_eq!(app.focus(), Pane::Detail);
    app.handle(Action::NextPane);
    assert_eq!(app.focus(), Pane::Tree);
    let session = app
        .tree()
        .iter()
        .position(|t| matches!(t, tui::TreeItem::Session(_)))
        .expect("a session in the tree");
    // Headings are skipped.
    app.handle(Action::Down);
    assert_eq!(
        app.tree_selected(),
        2,
        "the first connection, after its heading"
    );
    while app.tree_selected() < session {
        app.handle(Action::Down);
    }
    assert_eq!(app.tree_selected(), session);
    app.handle(Action::Enter);
    assert_eq!(app.focus(), Pane::Timeline);
    let id = app.timeline().analysis.sessions[0].id;
    assert_eq!(app.filter().session, Some(id));
    assert!(
        app.view()
            .iter()
            .all(|&i| app.timeline().messages[i].message.session_id == id)
    );

    app.handle(Action::Quit);
    assert!(app.should_quit());
}

#[test]
fn session_and_channel_filters() {
    let mut app = App::new(timeline(&sample("smb2-mc-leases-test1.pcap")));
    let all = app.view().len();
    let bound = app
        .timeline()
        .analysis
        .bindings
        .first()
        .cloned()
        .expect("a binding");
    // Select a message of the bound session on the bound channel.
    let pos = app
        .view()
        .iter()
        .position(|&i| {
            let r = &app.timeline().messages[i].message;
            r.session_id == bound.session_id && r.conn == bound.conn
        })
        .expect("a message on the bound channel");
    for _ in 0..pos {
        app.handle(Action::Down);
    }
    app.handle(Action::ToggleSession);
    assert_eq!(app.filter().session, Some(bound.session_id));
    assert!(app.view().len() < all);
    assert!(
        app.view()
            .iter()
            .all(|&i| app.timeline().messages[i].message.session_id == bound.session_id)
    );
    app.handle(Action::ToggleChannel);
    assert_eq!(app.filter().channel, Some(bound.conn));
    assert!(
        app.view()
            .iter()
            .all(|&i| app.timeline().messages[i].message.conn == bound.conn
                || app.marks(i).is_some_and(|m| m.binding.is_some()))
    );
    app.handle(Action::ToggleSession);
    assert_eq!(app.filter().session, None);
    app.handle(Action::ClearFilters);
    assert_eq!(app.view().len(), all);
}

#[test]
fn search() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    let type_search = |app: &mut App, text: &str| {
        app.handle(Action::SearchStart);
        for c in text.chars() {
            app.handle(Action::SearchInput(c));
        }
        app.handle(Action::SearchSubmit);
    };
    type_search(&mut app, "tree_connect");
    assert_eq!(
        app.selected_row()
            .map(|r| smbcheck::model::names::command(r.message.protocol, r.message.command)),
        Some("TREE_CONNECT".to_string())
    );
    let first = app.selected();
    app.handle(Action::FindNext);
    assert!(app.selected() > first);
    app.handle(Action::FindPrev);
    assert_eq!(app.selected(), first);

    let frame = app.timeline().messages[10].message.frame;
    type_search(&mut app, &frame.to_string());
    assert_eq!(app.selected_row().map(|r| r.message.frame), Some(frame));

    let file = app
        .timeline()
        .messages
        .iter()
        .find_map(|r| r.message.file.clone().filter(|f| !f.is_empty()))
        .expect("a CREATE with a file name");
    app.handle(Action::Top);
    type_search(&mut app, &file.to_uppercase());
    assert_eq!(
        app.selected_row().and_then(|r| r.message.file.clone()),
        Some(file)
    );

    let session = app.timeline().analysis.sessions[0].id;
    app.handle(Action::Top);
    type_search(&mut app, &format!("0x{session:x}"));
    assert_eq!(
        app.selected_row().map(|r| r.message.session_id),
        Some(session)
    );

    type_search(&mut app, "no-such-thing");
    assert_eq!(app.notice(), Some("not found: no-such-thing"));
}

#[test]
fn keys_map_to_actions_by_mode() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    let key = |c: KeyCode| Event::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let act = |app: &App, c: KeyCode| tui::action(app, &key(c));
    assert_eq!(act(&app, KeyCode::Char('j')), Some(Action::Down));
    assert_eq!(act(&app, KeyCode::Down), Some(Action::Down));
    assert_eq!(act(&app, KeyCode::Char('k')), Some(Action::Up));
    assert_eq!(act(&app, KeyCode::Char('G')), Some(Action::Bottom));
    assert_eq!(act(&app, KeyCode::Char('n')), Some(Action::NextProblem));
    assert_eq!(act(&app, KeyCode::Char('N')), Some(Action::PrevProblem));
    assert_eq!(act(&app, KeyCode::Char('p')), Some(Action::ToggleProblems));
    assert_eq!(act(&app, KeyCode::Char('b')), Some(Action::ToggleBreaks));
    assert_eq!(act(&app, KeyCode::Tab), Some(Action::NextPane));
    // Esc clears the filters; only q quits.
    assert_eq!(act(&app, KeyCode::Esc), Some(Action::ClearFilters));
    assert_eq!(act(&app, KeyCode::Char('q')), Some(Action::Quit));
    assert_eq!(
        tui::action(
            &app,
            &Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        ),
        Some(Action::Quit)
    );

    // While typing a search, letters are text and Esc cancels.
    app.handle(Action::SearchStart);
    assert_eq!(
        act(&app, KeyCode::Char('n')),
        Some(Action::SearchInput('n'))
    );
    assert_eq!(act(&app, KeyCode::Esc), Some(Action::SearchCancel));
    app.handle(Action::SearchCancel);

    // With help shown, Esc and ? close it and q still quits.
    app.handle(Action::Help);
    assert_eq!(act(&app, KeyCode::Esc), Some(Action::Help));
    assert_eq!(act(&app, KeyCode::Char('j')), None);
    assert_eq!(act(&app, KeyCode::Char('q')), Some(Action::Quit));
}

#[test]
fn mouse_wheel_and_click() {
    let mut app = App::new(timeline(&sample("smb311.pcap")));
    render(&mut app);
    // The timeline starts right of the tree, below the top border and the column header.
    let column = WIDTH / 2;
    app.handle(Action::Scroll {
        column,
        row: 5,
        down: true,
    });
    assert_eq!(app.selected(), 3);
    app.handle(Action::Click { column, row: 2 });
    assert_eq!(app.selected(), 0, "the first message line");
    app.handle(Action::Click { column, row: 6 });
    assert_eq!(app.selected(), 4);
}

#[test]
fn renders_at_any_size() {
    let mut app = App::new(timeline(&sample("smb2-mc-leases-test1.pcap")));
    app.handle(Action::Help);
    for (w, h) in [(1, 1), (20, 5), (40, 10), (80, 24), (300, 100)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal
            .draw(|frame| tui::draw(frame, &mut app))
            .expect("draw");
        app.handle(Action::Down);
    }
}

/// The engine pairs each response with its request and names the file of a CREATE (SMB1:
/// NT_CREATE_ANDX) on the request and on its response: the TUI reads both from the model.
#[test]
fn engine_pairs_requests_and_names_files() {
    for name in ["smb311.pcap", "smb1-ntlmv2.pcap", "smb2-lease-break.pcap"] {
        let t = timeline(&sample(name));
        let msgs: Vec<&smbcheck::model::Message> = t.messages.iter().map(|r| &r.message).collect();
        let mut paired = 0;
        for (i, m) in msgs.iter().enumerate() {
            if !m.is_response {
                continue;
            }
            let Some(frame) = m.request_frame else {
                continue;
            };
            let request = msgs[..i]
                .iter()
                .rev()
                .find(|r| m.answers(r))
                .unwrap_or_else(|| {
                    panic!("{name}: frame {}: no request in frame {frame}", m.frame)
                });
            assert_eq!((request.command, request.protocol), (m.command, m.protocol));
            assert_eq!(request.file, m.file, "{name}: frame {}", m.frame);
            paired += 1;
        }
        let responses = msgs
            .iter()
            .filter(|m| m.is_response && m.message_id != u64::MAX)
            .count();
        assert_eq!(paired, responses, "{name}: every response has its request");
        assert!(
            msgs.iter()
                .any(|m| m.is_response && m.file.as_deref().is_some_and(|f| !f.is_empty())),
            "{name}: a CREATE response names its file"
        );
        assert!(msgs.iter().all(|m| m.header.is_some()), "{name}: headers");
    }
}

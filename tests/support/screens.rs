//! The TUI's screens over the real samples, for tests/tui.rs and tests/tui_screens.rs:
//! the timeline `smbcheck --tui` shows (built with the library), a screen rendered with
//! ratatui's TestBackend as text, and the snapshots in tui/tests/snapshots/.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

use smbcheck::app::tui_view::Collector;
use smbcheck::auth::Secrets;
use smbcheck::auth::credentials::{Credential, Credentials};
use smbcheck::capture::{CaptureSet, Decoded, decode_tcp};
use smbcheck::engine::{Engine, EngineConfig};
use smbcheck::flow::{FlowConfig, FlowTable};
use tui::ratatui::Terminal;
use tui::ratatui::backend::TestBackend;
use tui::{App, Timeline};

pub const PASSWORD: &str = "Secr3t!pass";

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The timeline `smbcheck --tui` would show for this capture (with the samples'
/// password), from the library.
pub fn timeline(path: &Path) -> Timeline {
    timeline_with(path, Some(PASSWORD))
}

/// The timeline `smbcheck --tui` would show for this capture with `password`, or with no
/// credentials at all.
pub fn timeline_with(path: &Path, password: Option<&str>) -> Timeline {
    let mut credentials = Credentials::new();
    if let Some(password) = password {
        credentials.push(Credential::from_password(None, None, password));
    }
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
    let mut sink =
        |m: &smbcheck::model::Message, _: Option<&_>, bytes: &[u8]| collector.push(m, bytes);
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

/// `app` drawn on a `width` x `height` test terminal.
pub fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| tui::draw(frame, app)).expect("draw");
    terminal
}

/// The screen as text, one line per row, trailing blanks removed.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
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
pub fn assert_snapshot(name: &str, text: &str) {
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

/// `app` at `width` x `height` as text, compared with the snapshot NAME.
pub fn snapshot_at(name: &str, app: &mut App, width: u16, height: u16) -> String {
    let text = screen_text(&render(app, width, height));
    assert_snapshot(name, &text);
    text
}

//! The interactive timeline browser of smbcheck (`smbcheck --tui CAPTURE`).
//!
//! It reads the analysis model of `smbcheck-model`, as the engine made it: `model` adds
//! only what the view needs (each message's first bytes, the start time, a title); `app`
//! holds the browser state and what each action does (filters, marks, tree, navigation,
//! search); `action` is what the user can ask for; `input` maps keys and the mouse to
//! actions; `ui` draws, one module a pane, and makes every display string from the model
//! (its `names`); `terminal` sets the terminal up. Nothing here parses a packet. [`run`]
//! owns the terminal and always gives it back: on return, on error and on panic.

#![forbid(unsafe_code)]

mod action;
mod app;
mod input;
pub mod model;
mod terminal;
mod ui;

use std::io::{self, Stdout};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crossterm::event;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal crates, for callers that draw into a test backend or build events.
pub use crossterm;
pub use ratatui;

pub use action::Action;
pub use app::{
    App, BUCKETS, EventKind, Extents, Filter, Histogram, LaneEvent, LaneRole, LaneView, Marks,
    Pane, Screen, TreeItem, bucket, histogram,
};
pub use input::{KEYS, action};
pub use model::{Row, Timeline};
pub use ui::draw;

/// Shows the timeline until the user quits. The terminal is restored before this returns,
/// whether it returns an error or not, and before a panic message is printed.
pub fn run(timeline: Timeline) -> io::Result<()> {
    run_live(timeline, None)
}

/// Like [`run`], for a capture still going on: each timeline received from `updates` holds
/// the messages judged since the previous one and everything else as it stands
/// ([`App::extend`]). Quitting does not wait for more.
pub fn run_live(timeline: Timeline, updates: Option<Receiver<Timeline>>) -> io::Result<()> {
    let mut app = App::new(timeline);
    terminal::install_panic_hook();
    let _restore = terminal::Restore;
    let mut terminal = terminal::enter()?;
    event_loop(&mut terminal, &mut app, updates)
}

/// How long the browser waits for a key before it looks for updates.
const UPDATE_POLL: Duration = Duration::from_millis(200);

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    updates: Option<Receiver<Timeline>>,
) -> io::Result<()> {
    loop {
        terminal.draw(|frame| draw(frame, app))?;
        if app.should_quit() {
            return Ok(());
        }
        if let Some(updates) = &updates {
            while let Ok(update) = updates.try_recv() {
                app.extend(update);
            }
            if !event::poll(UPDATE_POLL)? {
                continue;
            }
        }
        // Resize events need no action: the next drawing uses the new size.
        if let Some(a) = action(app, &event::read()?) {
            app.handle(a);
        }
    }
}

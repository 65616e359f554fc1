//! The interactive timeline browser of smbcheck (`smbcheck --tui CAPTURE`).
//!
//! `model` is the plain view model the smbcheck binary fills in; `app` holds the browser
//! state and what each action does; `input` maps keys and the mouse to actions; `ui` draws.
//! [`run`] owns the terminal and always gives it back: on return, on error and on panic.

mod app;
mod input;
pub mod model;
mod ui;

use std::io::{self, Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal crates, for callers that draw into a test backend or build events.
pub use crossterm;
pub use ratatui;

pub use app::{Action, App, Filter, Marks, Pane, TreeItem};
pub use input::{KEYS, action};
pub use model::Timeline;
pub use ui::draw;

/// True while the terminal is in raw mode on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

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
    install_panic_hook();
    let _restore = Restore;
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
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

/// Restores the terminal when dropped (normal return and `?` errors alike).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen and raw mode, once; errors are ignored, there is nothing
/// left to do about them.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(
            stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// A panic restores the terminal first, so that the message is readable and the shell
/// usable; then the previous hook prints it.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

//! Running the real binary in a detached tmux session: keys in with send-keys, the screen
//! back with capture-pane. Use with `#[path = "support/tmux.rs"] mod tmux;`.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn tmux(args: &[&str]) -> Output {
    Command::new("tmux").args(args).output().expect("run tmux")
}

/// The pane's text once `want` shows in it; panics with the last screen after a while.
pub fn wait_for(session: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let screen = pane(session);
        if screen.contains(want) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {want:?} in the tmux pane; it shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the tmux session when the test ends, also when it fails.
pub struct Session(pub String);

impl Session {
    /// Runs the shell `command` in a new detached session `NAME-PID` of `width` x `height`.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Session {
        let name = format!("{name}-{}", std::process::id());
        let (x, y) = (width.to_string(), height.to_string());
        let started = tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &x,
            "-y",
            &y,
            command,
        ]);
        assert!(started.status.success(), "tmux new-session: {started:?}");
        Session(name)
    }

    /// The session's name, the target of tmux commands.
    pub fn target(&self) -> &str {
        &self.0
    }
}

/// The pane's text now.
pub fn pane(session: &str) -> String {
    let out = tmux(&["capture-pane", "-p", "-t", session]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.0]);
    }
}

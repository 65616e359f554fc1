//! The real binary's TUI in a real terminal: `smbcheck --tui` runs in a detached tmux
//! session; keys go in with send-keys and the screen comes back with capture-pane. Skipped
//! with a reason when tmux is absent (a failure with SMBCHECK_REQUIRE_TOOLS=1).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tmux.rs"]
mod tmux;

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

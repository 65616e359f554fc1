//! The README's example: its first command (`SMBCHECK_PASSWORD=... cargo run --release --
//! samples/...`), run as written, prints what the README shows, line for line and in order;
//! the README says the block is shortened by the per-channel table, so the one section the
//! block may leave out is `Channels`, whole.

#[path = "support/cli.rs"]
mod cli;

/// The README's text.
fn readme() -> String {
    std::fs::read_to_string(cli::root().join("README.md")).expect("read README.md")
}

/// The lines of the fenced block that starts after the line holding `after`.
fn block_after<'a>(text: &'a str, after: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| !l.contains(after)).skip(1);
    assert!(
        lines.by_ref().any(|l| l.starts_with("```")),
        "no block after {after:?}"
    );
    lines.take_while(|l| !l.starts_with("```")).collect()
}

/// The first command of the README's first block: the environment it sets, and the
/// arguments after `cargo run --release --`.
fn first_command(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let line = block_after(text, "# smbcheck")[0];
    let (before, args) = line
        .split_once("cargo run --release --")
        .expect("the first command runs the tool with cargo run --release --");
    let env = before
        .split_whitespace()
        .map(|assignment| {
            let (k, v) = assignment.split_once('=').expect("VAR=value");
            (k.to_string(), v.trim_matches('\'').to_string())
        })
        .collect();
    (env, args.split_whitespace().map(str::to_string).collect())
}

#[test]
fn the_readme_example_is_what_the_first_command_prints() {
    let text = readme();
    let (env, args) = first_command(&text);
    assert_eq!(args.len(), 1, "one capture: {args:?}");
    let capture = cli::root().join(&args[0]);
    assert!(
        capture.is_file(),
        "{}: not in the repository",
        capture.display()
    );
    let env: Vec<(&str, Option<&str>)> = env
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_str())))
        .collect();
    let run = cli::run_env(&[capture.as_os_str()], &env);
    assert_eq!(run.code, 0, "{run}");
    let example = block_after(&text, "What the first command prints");
    assert!(example.len() > 10, "{example:?}");
    // Each line of the example in order; what the output has between them may only be the
    // Channels section the README says it leaves out.
    let mut left_out = Vec::new();
    let mut output = run.stdout.lines();
    for want in &example {
        loop {
            let got = output
                .next()
                .unwrap_or_else(|| panic!("{want:?} not printed (in this order):\n{}", run.stdout));
            if got == *want {
                break;
            }
            left_out.push(got);
        }
    }
    left_out.extend(output);
    let channels: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| *l != "Channels")
        .take_while(|l| !l.is_empty())
        .chain([""])
        .collect();
    assert!(channels.len() > 2, "no Channels section:\n{}", run.stdout);
    assert_eq!(left_out, channels, "left out of the README's example");
}

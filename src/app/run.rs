//! One run: over capture files here (frames -> `Pipeline` -> report), or on interfaces
//! (`-i`, `-D`: `crate::live`, cargo feature "live").

use std::io::Write;

use anyhow::{Result, bail};

use crate::app::cli::Args;
use crate::app::pipeline::{Output, Pipeline};
use crate::capture::Frames;
use crate::model::Problem;
use crate::model::ProblemKind;

/// Analyses the captures named in `args` and writes the report to `out`. Returns the exit
/// status; an `Err` means the input or the command line could not be used (exit status 2).
pub fn run(args: &Args, out: &mut dyn Write) -> Result<i32> {
    use std::io::IsTerminal;
    if args.tui && !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        bail!(
            "--tui needs a terminal: standard input and output are not one (drop --tui for a report)"
        );
    }
    if args.is_live() {
        if !args.captures.is_empty() {
            bail!("give capture files or -i/-D, not both");
        }
        return live(args, out);
    }
    crate::app::memory::tune_allocator();
    let mut pipeline = Pipeline::new(args)?;
    let mut captures = Frames::open(&args.captures)?;
    let mut output = Output::new(args, out);

    // Frames that could be used at all: a capture whose every frame has an unknown link
    // type, or is damaged beyond reading, is unusable (exit status 2).
    let mut usable = 0u64;
    let mut progress = crate::app::progress::Progress::new(
        !args.tui,
        captures.total_bytes(),
        captures.bytes_read(),
    );
    // Damage found in a file is told at the time of the last frame read before it.
    let mut last_ts = Default::default();
    while let Some(frame) = captures.next_frame()? {
        usable += 1;
        last_ts = frame.ts;
        progress.frame();
        output.frame_from(frame.number, frame.file);
        pipeline.frame(
            frame.number,
            frame.ts,
            frame.linktype,
            frame.data,
            frame.backing,
            &mut |m, conn, bytes| output.message(m, conn, bytes),
        );
    }
    let damage = captures.issues().iter().map(|issue| Problem {
        frame: captures.frames_read(),
        ts: last_ts,
        conn: None,
        kind: ProblemKind::DamagedCapture,
        detail: issue.to_string(),
        failure: false,
    });
    let mut sink = |m: &_, conn: Option<&_>, bytes: &[u8]| output.message(m, conn, bytes);
    let analysis = pipeline.finish(captures.frames_read(), damage, args, &mut sink)?;
    progress.finish();
    output.check()?;
    if usable == 0 {
        match captures.issues().first() {
            Some(issue) => bail!("{issue}"),
            None => bail!("no packets in the capture"),
        }
    }
    output.report(&analysis, &args.captures)
}

#[cfg(feature = "live")]
fn live(args: &Args, out: &mut dyn Write) -> Result<i32> {
    crate::app::live::run(args, out)
}

#[cfg(not(feature = "live"))]
fn live(_: &Args, _: &mut dyn Write) -> Result<i32> {
    bail!(
        "live capture (-i, -D) needs smbcheck built with the feature \"live\": \
         cargo install --path . --features live (needs libpcap; Debian: apt install libpcap-dev)"
    )
}

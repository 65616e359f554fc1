//! `smbcheck -i IFACE`: live capture through the same pipeline as files. Signatures are
//! judged as packets arrive; text and JSONL output show sessions, bindings, breaks and
//! problems as they happen; Ctrl-C (SIGINT), SIGTERM, `-c` or `--duration` end the capture
//! and the final report is printed in the chosen format.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::app::cli::{Args, EXIT_OK, EXIT_UNUSABLE, Format};
use crate::app::pipeline::{Output, Pipeline};
use crate::capture::live::{Drops, Live, LiveOptions, Received, interfaces};
use crate::engine::news::{News, Seen};
use crate::model::ProblemKind;
use crate::model::{Message, Problem};
use crate::report;

/// How long the analysis waits for a packet before it looks at the clock and the signals.
const POLL: Duration = Duration::from_millis(100);
/// How often the live TUI gets what was analysed since.
const TUI_EVERY: Duration = Duration::from_millis(500);

pub fn run(args: &Args, out: &mut dyn Write) -> Result<i32> {
    if args.live.list_interfaces {
        for (name, desc) in interfaces()? {
            match desc {
                Some(desc) => writeln!(out, "{name}  ({desc})")?,
                None => writeln!(out, "{name}")?,
            }
        }
        return Ok(EXIT_OK);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal ends the process at once, for a report that takes too long.
        signal_hook::flag::register_conditional_shutdown(signal, EXIT_UNUSABLE, stop.clone())
            .and_then(|_| signal_hook::flag::register(signal, stop.clone()))
            .context("installing the signal handlers")?;
    }
    let pipeline = Pipeline::new(args)?;
    let filter = args
        .live
        .filter
        .clone()
        .unwrap_or_else(|| default_filter(args));
    let live = Live::start(
        &LiveOptions {
            interfaces: &args.live.interface,
            filter: &filter,
            write: args.live.write.as_deref(),
            count: args.live.count,
        },
        stop.clone(),
    )?;
    let names = args.live.interface.join(", ");
    let capture = Capture {
        args,
        pipeline,
        live,
        stop: &stop,
        title: args.live.interface.iter().map(PathBuf::from).collect(),
    };
    if !args.tui {
        eprintln!(
            "smbcheck: capturing on {names} (filter: {filter}); Ctrl-C ends the capture and prints the report"
        );
        let (status, end) = capture.analyse(Output::new(args, out), None)?;
        eprintln!("{end}");
        return Ok(status);
    }
    // The TUI owns the terminal; the analysis runs beside it and sends what it learns.
    let (updates, received) = channel();
    let first = tui::Timeline {
        title: format!("{names} (capturing)"),
        ..Default::default()
    };
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let mut nowhere = std::io::sink();
            capture.analyse(Output::new(args, &mut nowhere), Some(updates))
        });
        let shown = tui::run_live(first, Some(received));
        // Leaving the browser ends the capture.
        stop.store(true, Ordering::Relaxed);
        let (status, end) = worker
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the analysis failed")))?;
        shown.context("the terminal")?;
        eprintln!("{end}");
        Ok(status)
    })
}

/// A capture running through the pipeline.
struct Capture<'a> {
    args: &'a Args,
    pipeline: Pipeline,
    live: Live,
    stop: &'a AtomicBool,
    /// The interfaces, as the TUI's title.
    title: Vec<PathBuf>,
}

impl Capture<'_> {
    /// Analyses packets until the capture stops, then reports: to `output`, or with
    /// `updates` to the live TUI (every `TUI_EVERY` while it runs, and once at the end).
    /// Returns the exit status and the line for stderr saying what was captured.
    fn analyse(
        self,
        mut output: Output,
        updates: Option<Sender<tui::Timeline>>,
    ) -> Result<(i32, String)> {
        let Capture {
            args,
            mut pipeline,
            mut live,
            stop,
            title,
        } = self;
        let deadline = args
            .live
            .duration
            .map(|s| Instant::now() + Duration::from_secs(s));
        let streaming = !output.tui() && output.format() != Format::Json;
        let mut seen = Seen::default();
        let mut drops_told = Drops::default();
        let mut frames = 0;
        let mut next_update = Instant::now();
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                stop.store(true, Ordering::Relaxed);
            }
            match live.recv(POLL) {
                Received::Packet(p) => {
                    frames = p.number;
                    pipeline.frame(
                        p.number,
                        p.ts,
                        p.linktype,
                        &p.data,
                        None,
                        &mut |m: &Message, conn, bytes: &[u8]| output.message(m, conn, bytes),
                    )
                }
                Received::Idle => {}
                Received::Ended => break,
            }
            if streaming {
                pipeline
                    .engine()
                    .news(&mut seen, |news| tell(&mut output, &news));
                let drops = live.drops();
                if drops.total() > drops_told.total() {
                    tell(&mut output, &News::Problem(&drops_problem(&drops, 0)));
                    drops_told = drops;
                }
            }
            if let Some(updates) = &updates
                && Instant::now() >= next_update
            {
                next_update = Instant::now() + TUI_EVERY;
                let mut now = pipeline.engine().snapshot(frames);
                let drops = live.drops();
                if drops.total() > 0 {
                    now.problems.push(drops_problem(&drops, frames));
                }
                let title = [PathBuf::from(format!("{} (capturing)", names(&title)))];
                if let Some(update) = output.timeline_update(&now, &title)
                    && updates.send(update).is_err()
                {
                    // The browser was closed: end the capture.
                    stop.store(true, Ordering::Relaxed);
                }
            }
            // Nobody reads the output any more (a closed pipe): end the capture.
            if output.check().is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        let end = live.finish();
        let summary = format!(
            "smbcheck: {} packets captured ({} bytes), {} dropped",
            end.captured,
            end.bytes,
            end.drops.total()
        );
        let mut problems: Vec<Problem> = end
            .errors
            .iter()
            .map(|e| Problem {
                frame: end.captured,
                ts: Default::default(),
                conn: None,
                kind: ProblemKind::CaptureError,
                detail: e.clone(),
                failure: false,
            })
            .collect();
        if end.drops.total() > 0 {
            let problem = drops_problem(&end.drops, end.captured);
            if streaming && end.drops.total() > drops_told.total() {
                tell(&mut output, &News::Problem(&problem));
            }
            problems.push(problem);
        }
        let mut sink = |m: &Message, conn: Option<&_>, bytes: &[u8]| output.message(m, conn, bytes);
        let analysis = pipeline.finish(end.captured, problems, args, &mut sink)?;
        if let Some(updates) = updates {
            let title = [PathBuf::from(format!("{} (capture ended)", names(&title)))];
            if let Some(update) = output.timeline_update(&analysis, &title) {
                // The browser may be closed already; nothing is lost then.
                let _ = updates.send(update);
            }
            return Ok((output.exit_status(&analysis), summary));
        }
        if output.format() == Format::Text {
            output.line("");
        }
        Ok((output.report(&analysis, &title)?, summary))
    }
}

fn names(interfaces: &[PathBuf]) -> String {
    interfaces
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// SMB's ports: 445, 139 and every `--port`.
fn default_filter(args: &Args) -> String {
    [445, 139]
        .iter()
        .chain(&args.port)
        .map(|p| format!("tcp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Drops are damage, not a failed check: what they touched is `unverified (lost-bytes)`.
fn drops_problem(drops: &Drops, frame: u64) -> Problem {
    Problem {
        frame,
        ts: Default::default(),
        conn: None,
        kind: ProblemKind::CaptureDrops,
        detail: drops.describe().unwrap_or_default(),
        failure: false,
    }
}

/// One line of news in the output format.
fn tell(output: &mut Output, news: &News) {
    match output.format() {
        Format::Jsonl => output.line(report::news::json(news)),
        _ => output.line(report::news::text(news)),
    }
}

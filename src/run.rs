//! One run over capture files: frames -> TCP segments -> flows -> engine -> report.

use std::io::Write;

use anyhow::{Context, Result, bail};

use crate::capture::{CaptureSet, Decoded, decode_tcp};
use crate::cli::{Args, EXIT_FAILED, EXIT_OK, Format};
use crate::engine::model::Problem;
use crate::engine::{Engine, EngineConfig};
use crate::flow::{FlowConfig, FlowTable};
use crate::report;

/// Analyses the captures named in `args` and writes the report to `out`. Returns the exit
/// status; an `Err` means the input or the command line could not be used (exit status 2).
pub fn run(args: &Args, out: &mut dyn Write) -> Result<i32> {
    let config = EngineConfig {
        secrets: crate::cli::load_secrets(args)?,
        limits: Default::default(),
    };
    let mut captures = CaptureSet::open(&args.captures)?;
    let mut flows = FlowTable::new(FlowConfig {
        extra_ports: args.port.clone(),
        ..Default::default()
    });
    let mut engine = Engine::new(config);
    let mut events = Vec::new();
    let mut undecodable = Undecodable::default();
    let mut write_error = None;
    let mut timeline = args.tui.then(crate::tui_view::Collector::new);
    let mut sink = |m: &crate::engine::model::Message, bytes: &[u8]| {
        if let Some(timeline) = &mut timeline {
            timeline.push(m, bytes);
        }
        if args.format == Format::Jsonl && write_error.is_none() {
            if let Err(e) = writeln!(out, "{}", report::jsonl::message(m)) {
                write_error = Some(e);
            }
        }
    };

    // Frames that could be used at all: a capture whose every frame has an unknown link
    // type, or is damaged beyond reading, is unusable (exit status 2).
    let mut usable = 0u64;
    while let Some(frame) = captures.next_frame()? {
        usable += 1;
        match decode_tcp(frame.linktype, &frame.data) {
            Decoded::Tcp(seg) => flows.push(frame.number, frame.ts, &seg, &mut events),
            Decoded::Malformed(why) => undecodable.note(frame.number, frame.ts, why),
            Decoded::NotTcp | Decoded::IpFragment => {}
        }
        for event in events.drain(..) {
            engine.handle(event, &mut sink);
        }
    }
    flows.finish(&mut events);
    for event in events.drain(..) {
        engine.handle(event, &mut sink);
    }
    if let Some(path) = &args.export_keys {
        report::keys::write_file(path, &engine.exported_keys())
            .with_context(|| format!("writing keys to {}", path.display()))?;
    }
    let mut analysis = engine.finish(captures.frames_read());
    if let Some(e) = write_error {
        return Err(e).context("writing the report");
    }
    if usable == 0 {
        match captures.issues().first() {
            Some(issue) => bail!("{issue}"),
            None => bail!("no packets in the capture"),
        }
    }
    for issue in captures.issues() {
        analysis.problems.push(Problem {
            frame: analysis.frames,
            ts: Default::default(),
            conn: None,
            kind: "damaged-capture",
            detail: issue.to_string(),
            failure: false,
        });
    }
    analysis.problems.extend(undecodable.problem());

    if let Some(timeline) = timeline {
        tui::run(timeline.finish(&analysis, &args.captures)).context("the terminal")?;
        return Ok(if analysis.failed() {
            EXIT_FAILED
        } else {
            EXIT_OK
        });
    }
    match args.format {
        Format::Text => report::text::write(&analysis, out)?,
        Format::Json => writeln!(out, "{:#}", report::json::report(&analysis))?,
        Format::Jsonl => writeln!(out, "{}", report::jsonl::summary(&analysis))?,
    }
    out.flush()?;
    Ok(if analysis.failed() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// Frames whose headers could not be decoded down to TCP, named by their first instance.
#[derive(Default)]
struct Undecodable {
    count: u64,
    first: Option<Problem>,
}

impl Undecodable {
    fn note(&mut self, frame: u64, ts: crate::capture::Timestamp, why: &str) {
        self.count += 1;
        self.first.get_or_insert_with(|| Problem {
            frame,
            ts,
            conn: None,
            kind: "damaged-frame",
            detail: format!("frame {frame}: {why}"),
            failure: false,
        });
    }

    fn problem(self) -> Option<Problem> {
        let mut p = self.first?;
        if self.count > 1 {
            p.detail += &format!(
                " (and {} more frames that could not be decoded)",
                self.count - 1
            );
        }
        Some(p)
    }
}

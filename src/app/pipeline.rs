//! The per-frame analysis every capture source shares (files in `run`, interfaces in
//! `live`): frame -> TCP segment -> flows -> engine, and where judged messages and the final
//! report go.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::app::cli::{Args, EXIT_FAILED, EXIT_OK, Format};
use crate::app::origin::Origins;
use crate::capture::{Backing, Decoded, Timestamp, decode_tcp};
use crate::engine::{Engine, EngineConfig, Sink};
use crate::flow::{FlowConfig, FlowEvent, FlowTable};
use crate::model::ProblemKind;
use crate::model::{Analysis, Connection, Message, Problem};
use crate::report;
use crate::report::decrypted_pcap::DecryptedPcap;
use tui::Timeline;

/// The Kerberos KDC's port (RFC 4120 7.2).
const KERBEROS_PORT: u16 = 88;

fn is_kdc(src_port: u16, dst_port: u16) -> bool {
    src_port == KERBEROS_PORT || dst_port == KERBEROS_PORT
}

/// Flows and engine: frames in, judged messages out to a sink.
pub struct Pipeline {
    flows: FlowTable,
    /// TCP to and from the Kerberos port, framed like NBSS (a 4-byte length, RFC 4120
    /// 7.2.2): its records go to the engine as KDC messages.
    kdc_flows: FlowTable,
    engine: Engine,
    events: Vec<FlowEvent>,
    undecodable: Undecodable,
    /// `--decrypted-out`: the writer, and the first error writing it.
    decrypted_out: Option<DecryptedPcap>,
    decrypted_out_error: Option<io::Error>,
    /// The last frame read (number, time): the capture's end.
    last_frame: Option<(u64, Timestamp)>,
}

impl Pipeline {
    /// Loads the secrets the command line names.
    pub fn new(args: &Args) -> Result<Pipeline> {
        let config = EngineConfig {
            secrets: crate::app::cli::load_secrets(args)?,
            keep_plaintext: args.decrypted_out.is_some(),
            limits: Default::default(),
        };
        let decrypted_out = match &args.decrypted_out {
            Some(path) => Some(
                DecryptedPcap::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            ),
            None => None,
        };
        let mut engine = Engine::new(config);
        // Signatures are checked on worker threads while reading goes on, except with
        // --decrypted-out, whose writer needs each transform's plaintext as it is handled.
        let threads = match (args.verify_threads, &decrypted_out) {
            (_, Some(_)) => 0,
            (Some(n), None) => n,
            (None, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if threads > 0 {
            engine = engine.with_verify_pool(threads, args.verify_min_len);
        }
        Ok(Pipeline {
            flows: FlowTable::new(FlowConfig {
                extra_ports: args.port.clone(),
                // Long messages of a mapped file stay in it, for the verify pool to MAC
                // in place (the engine copies those it does not send there).
                tail_min_len: (threads > 0).then_some(args.verify_min_len),
                ..Default::default()
            }),
            kdc_flows: FlowTable::new(FlowConfig {
                extra_ports: vec![KERBEROS_PORT],
                ..Default::default()
            }),
            engine,
            events: Vec::new(),
            undecodable: Undecodable::default(),
            decrypted_out,
            decrypted_out_error: None,
            last_frame: None,
        })
    }

    /// Hands the pending flow events to the engine and, with `--decrypted-out`, to the
    /// writer (an encrypted PDU is written once the engine has tried to decrypt it).
    fn drain_events(&mut self, sink: &mut Sink) {
        for event in self.events.drain(..) {
            let Some(out) = &mut self.decrypted_out else {
                self.engine.handle(event, sink);
                continue;
            };
            let recorded = out.record(&event);
            self.engine.handle(event, sink);
            let written = recorded.and_then(|()| out.resolve(self.engine.take_plaintext()));
            if let Err(e) = written {
                self.decrypted_out_error.get_or_insert(e);
            }
        }
    }

    /// One captured frame; `backing` is the mapped file its bytes lie in, if any.
    pub fn frame(
        &mut self,
        number: u64,
        ts: Timestamp,
        linktype: u32,
        data: &[u8],
        backing: Option<Backing>,
        sink: &mut Sink,
    ) {
        self.last_frame = Some((number, ts));
        match decode_tcp(linktype, data) {
            Decoded::Tcp(seg) if is_kdc(seg.src.port(), seg.dst.port()) => {
                let mut records = Vec::new();
                self.kdc_flows.push(number, ts, &seg, &mut records);
                for record in records {
                    if let FlowEvent::Pdu(pdu) = record
                        && pdu.damage.is_none()
                    {
                        self.engine.kdc_message(pdu.last_frame, pdu.ts, &pdu.data);
                    }
                }
            }
            Decoded::Tcp(mut seg) => {
                seg.backing = backing;
                self.flows.push(number, ts, &seg, &mut self.events)
            }
            Decoded::Udp(d) if is_kdc(d.src.port(), d.dst.port()) => {
                self.engine.kdc_message(number, ts, d.payload)
            }
            Decoded::Malformed(why) => self.undecodable.note(number, ts, why),
            Decoded::Udp(_) | Decoded::NotTcp | Decoded::IpFragment => {}
        }
        self.drain_events(sink);
    }

    /// The engine as it stands, for news while a live capture runs.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Ends every flow, writes the exported keys if asked, and returns the analysis with
    /// `source_problems` (damage the capture source found) after the engine's.
    pub fn finish(
        mut self,
        frames: u64,
        source_problems: impl IntoIterator<Item = Problem>,
        args: &Args,
        sink: &mut Sink,
    ) -> Result<Analysis> {
        self.flows.finish(self.last_frame, &mut self.events);
        self.drain_events(sink);
        self.engine.drain(sink);
        if let (Some(out), Some(path)) = (self.decrypted_out.take(), &args.decrypted_out) {
            let finished = match self.decrypted_out_error.take() {
                Some(e) => Err(e),
                None => out.finish(),
            };
            finished.with_context(|| format!("writing {}", path.display()))?;
        }
        if let Some(path) = &args.export_keys {
            report::keys::write_file(path, &self.engine.exported_keys())
                .with_context(|| format!("writing keys to {}", path.display()))?;
        }
        let mut analysis = self.engine.finish(frames);
        analysis.problems.extend(source_problems);
        analysis.problems.extend(self.undecodable.problem());
        Ok(analysis)
    }
}

/// Where judged messages go as they are judged (the TUI's timeline, JSONL lines), and the
/// final report.
pub struct Output<'o> {
    out: &'o mut dyn Write,
    format: Format,
    fail_unverified: bool,
    /// `--fail-on`: Security finding kinds that make the exit status 1.
    fail_on: Vec<crate::model::SecurityKind>,
    timeline: Option<crate::app::tui_view::Collector>,
    write_error: Option<io::Error>,
    /// The capture files as named on the command line (none in a live capture), and which
    /// of them each frame came from: the JSON and JSONL reports name them.
    captures: Vec<String>,
    origins: Origins,
}

impl<'o> Output<'o> {
    pub fn new(args: &Args, out: &'o mut dyn Write) -> Output<'o> {
        Output {
            out,
            format: args.format,
            fail_unverified: args.fail_unverified,
            fail_on: args.fail_on.clone(),
            timeline: args.tui.then(|| {
                if args.is_live() {
                    crate::app::tui_view::Collector::live()
                } else {
                    crate::app::tui_view::Collector::new()
                }
            }),
            write_error: None,
            captures: args
                .captures
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            origins: Origins::default(),
        }
    }

    /// Frame `frame` came from capture file `file` (its index on the command line).
    pub fn frame_from(&mut self, frame: u64, file: usize) {
        self.origins.note(frame, file);
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the report goes to the TUI.
    pub fn tui(&self) -> bool {
        self.timeline.is_some()
    }

    /// The engine's sink: one judged message, its connection and its bytes.
    pub fn message(&mut self, m: &Message, conn: Option<&Connection>, bytes: &[u8]) {
        if let Some(timeline) = &mut self.timeline {
            timeline.push(m, bytes);
        }
        if self.format == Format::Jsonl && self.write_error.is_none() {
            let capture = self
                .origins
                .file_of(m.frame)
                .and_then(|file| self.captures.get(file));
            let line = report::jsonl::message(m, conn, capture.map(String::as_str));
            self.line(line);
        }
    }

    /// One line of output; the first write error is kept and ends the run later.
    pub fn line(&mut self, line: impl std::fmt::Display) {
        if self.write_error.is_none()
            && let Err(e) = writeln!(self.out, "{line}")
        {
            self.write_error = Some(e);
        }
    }

    /// For the live TUI: the messages since the last update and `analysis` as it stands.
    pub fn timeline_update(&mut self, analysis: &Analysis, title: &[PathBuf]) -> Option<Timeline> {
        Some(self.timeline.as_mut()?.update(analysis, title))
    }

    /// 1 when a check failed (or, with --fail-unverified, a signed message was not
    /// verified; with --fail-on, a chosen Security finding was made), else 0.
    pub fn exit_status(&self, analysis: &Analysis) -> i32 {
        let fail_on = |kind| self.fail_on.contains(&kind);
        if analysis.failed_with(self.fail_unverified)
            || analysis.security.iter().any(|f| fail_on(f.kind))
        {
            EXIT_FAILED
        } else {
            EXIT_OK
        }
    }

    /// Fails if writing a line failed, unless the reader closed the pipe (as `| head` does):
    /// then the run goes on quietly to its exit status, as in ripgrep.
    pub fn check(&mut self) -> Result<()> {
        match self.write_error.take() {
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.write_error = Some(e);
                Ok(())
            }
            Some(e) => Err(e).context("writing the report"),
            None => Ok(()),
        }
    }

    /// The reader of the report went away.
    fn closed(&self) -> bool {
        self.write_error
            .as_ref()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The final report (or the TUI over it); returns the exit status. `title` names what
    /// was analysed.
    pub fn report(mut self, analysis: &Analysis, title: &[PathBuf]) -> Result<i32> {
        self.check()?;
        let status = self.exit_status(analysis);
        if let Some(timeline) = self.timeline {
            tui::run(timeline.finish(analysis, title)).context("the terminal")?;
            return Ok(status);
        }
        if self.closed() {
            return Ok(status);
        }
        let written = match self.format {
            Format::Text => report::text::write(analysis, self.out),
            Format::Json => {
                let report = report::json::report(analysis, &self.captures);
                writeln!(self.out, "{report:#}")
            }
            Format::Jsonl => {
                let summary = report::jsonl::summary(analysis, &self.captures);
                writeln!(self.out, "{summary}")
            }
        }
        .and_then(|()| self.out.flush());
        match written {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(status),
        }
    }
}

/// Frames whose headers could not be decoded down to TCP, named by their first instance.
#[derive(Default)]
struct Undecodable {
    count: u64,
    first: Option<Problem>,
}

impl Undecodable {
    fn note(&mut self, frame: u64, ts: Timestamp, why: &str) {
        self.count += 1;
        self.first.get_or_insert_with(|| Problem {
            frame,
            ts,
            conn: None,
            kind: ProblemKind::DamagedFrame,
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

//! The channel-lane view (`l`): a column per lane, time running down, a row per event.
//! A break copy is a `B` on the lane it was sent on, held (`┃`) until it is re-sent,
//! acknowledged or the capture ends; its acknowledgment is an `A` on the lane it came back
//! on, with an arrow from the copy's lane when that is another one; a re-sent copy has an
//! arrow from the lane of the copy it repeats. The opener's CREATE waits (`┃`, yellow)
//! from `O` to its answer `D`. Below, the selected event in words and its lanes' TCP
//! health. Lanes scroll sideways when they do not all fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use smbcheck_model::names::{duration, status_text};
use smbcheck_model::{Analysis, Break};

use super::detail::cause_text;
use super::fit::fit;
use super::{pane_block, short_session};
use crate::app::{App, EventKind, HealthKind, LaneEvent, LaneRole, LaneSpan, LaneView, SpanKind};
use crate::model::Timeline;

/// Narrowest and widest lane, in columns.
const LANE_MIN: usize = 4;
const LANE_MAX: usize = 7;
/// The event column keeps at least this much room before lanes scroll.
const LABEL_MIN: usize = 30;

pub(super) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.timeline();
    let Some(view) = app.lanes() else { return };
    let a = &t.analysis;
    let block = pane_block(
        format!(
            " {} ",
            fit(&title(a, view), usize::from(area.width.saturating_sub(4)))
        ),
        true,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let info_height = if inner.height >= 30 { 8 } else { 5 };
    let [head, rows_area, info, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(info_height),
        Constraint::Length(1),
    ])
    .areas(inner);

    let time_width = view
        .events
        .last()
        .map_or(8, |e| format!("{:.6}", t.at(e.ts)).len());
    let width = usize::from(inner.width);
    let room = width.saturating_sub(time_width + 2 + LABEL_MIN);
    let n = view.lanes.len().max(1);
    let lane_width = (room / n).clamp(LANE_MIN, LANE_MAX);
    let shown = (room / lane_width).clamp(1, n);
    let height = usize::from(rows_area.height).max(1);

    // Keep the selection and its lanes in view.
    let mut first_lane = view.first_lane.min(n - shown);
    if view.follow {
        for lane in view.selected_lanes(a) {
            if lane < first_lane {
                first_lane = lane;
            } else if lane >= first_lane + shown {
                first_lane = lane + 1 - shown;
            }
        }
    }
    let mut offset = view.offset;
    if view.selected < offset {
        offset = view.selected;
    } else if view.selected >= offset + height {
        offset = view.selected + 1 - height;
    }
    let geometry = Geometry {
        first: first_lane,
        shown,
        width: lane_width,
    };
    let label_width = width.saturating_sub(time_width + 2 + shown * lane_width);

    frame.render_widget(Paragraph::new(header(a, view, &geometry, time_width)), head);
    // The spans that reach the rows on screen.
    let visible: Vec<&LaneSpan> = view
        .spans
        .iter()
        .filter(|s| s.to >= offset && s.from < offset + height)
        .collect();
    let lines: Vec<Line> = view
        .events
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(row, e)| {
            let selected = row == view.selected;
            let mut spans = vec![Span::styled(
                format!("{:>time_width$.6} ", t.at(e.ts)),
                if selected {
                    Style::new().add_modifier(Modifier::REVERSED)
                } else {
                    Style::new()
                },
            )];
            spans.extend(lane_cells(a, view, &visible, &geometry, row, e));
            spans.push(Span::raw(" "));
            let label = fit(&label(t, e), label_width);
            spans.push(if selected {
                Span::styled(label, Style::new().add_modifier(Modifier::REVERSED))
            } else {
                Span::raw(label)
            });
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);

    let described = view
        .selected_event()
        .map(|e| describe(t, view, e))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(described.into_iter().map(Line::from).collect::<Vec<_>>())
            .wrap(Wrap { trim: false })
            .block(Block::new().borders(Borders::TOP).title(" Selected ")),
        info,
    );
    let lanes_note = if shown < n {
        format!(
            "←→ lanes #{}..#{} of {n}  ",
            lane_conn(view, first_lane),
            lane_conn(view, first_lane + shown - 1)
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(fit(
            &format!("{lanes_note}↑↓ event  [ ] session  h histogram  Enter timeline  Esc close"),
            width,
        ))
        .dim(),
        hint,
    );

    let page = height;
    if let Some(view) = app.lanes.as_mut() {
        view.offset = offset;
        view.first_lane = first_lane;
    }
    app.lanes_page = page;
}

/// The lanes on screen: the first shown, how many, how wide each.
struct Geometry {
    first: usize,
    shown: usize,
    width: usize,
}

impl Geometry {
    /// Screen column (within the lanes) of a lane's line, if shown.
    fn center(&self, lane: usize) -> Option<usize> {
        (lane >= self.first && lane < self.first + self.shown)
            .then(|| (lane - self.first) * self.width + self.width / 2)
    }
}

fn lane_conn(view: &LaneView, lane: usize) -> u32 {
    view.lanes.get(lane).map_or(0, |l| l.conn)
}

fn title(a: &Analysis, view: &LaneView) -> String {
    let Some(s) = a.sessions.get(view.session) else {
        return " Lanes ".into();
    };
    let breaks: Vec<&Break> = a
        .breaks
        .iter()
        .filter(|b| b.session_id == Some(s.id))
        .collect();
    let resent = breaks.iter().filter(|b| b.resend_of.is_some()).count();
    let stall = breaks
        .iter()
        .filter_map(|b| b.stall_ms)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    // The longest stall first: a narrow title drops words from the end.
    let mut text = format!("Lanes: session {}:", short_session(s.id));
    if let Some(ms) = stall {
        text += &format!(" longest stall {},", duration(ms));
    }
    text += &format!(
        " {} break{}",
        breaks.len(),
        if breaks.len() == 1 { "" } else { "s" }
    );
    if resent > 0 {
        text += &format!(" ({resent} re-sent)");
    }
    text += &format!(
        ", {} channel{}",
        s.channels.len(),
        if s.channels.len() == 1 { "" } else { "s" }
    );
    text
}

/// `Time` and each shown lane's name (`#3`) ending on its line; red when TCP
/// retransmitted or reset on it, an opener's lane in yellow; `◀ ▶` beside them when lanes
/// are hidden on that side.
fn header(a: &Analysis, view: &LaneView, g: &Geometry, time_width: usize) -> Line<'static> {
    let last = g.first + g.shown;
    let mut spans = vec![
        Span::styled(format!("{:>time_width$}", "Time"), Style::new().bold()),
        Span::raw(if g.first > 0 { "◀" } else { " " }),
    ];
    for lane in g.first..last {
        let Some(l) = view.lanes.get(lane) else { break };
        let name = format!("#{}", l.conn);
        let end = g.width / 2 + 1;
        let pad = end.saturating_sub(name.len());
        let mut text = format!("{}{name}", " ".repeat(pad));
        text.push_str(&" ".repeat(g.width.saturating_sub(text.chars().count())));
        let troubled = a
            .connections
            .iter()
            .find(|c| c.id == l.conn)
            .is_some_and(|c| {
                c.tcp.rst.is_some()
                    || c.tcp.retransmissions_to_client + c.tcp.retransmissions_to_server > 0
            });
        let style = match (troubled, l.role) {
            (true, _) => Style::new().fg(Color::Red).bold(),
            (false, LaneRole::Opener) => Style::new().fg(Color::Yellow).bold(),
            (false, LaneRole::Channel) => Style::new().bold(),
        };
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::raw(if last < view.lanes.len() { "▶" } else { " " }));
    spans.push(Span::styled("Event", Style::new().bold()));
    Line::from(spans)
}

/// The lanes of one row: each lane's line (held, waiting or idle, from `spans`), the
/// event's mark, and the arrow from the lane it comes from.
fn lane_cells(
    a: &Analysis,
    view: &LaneView,
    spans: &[&LaneSpan],
    g: &Geometry,
    row: usize,
    e: &LaneEvent,
) -> Vec<Span<'static>> {
    let mut cells: Vec<(char, Style)> = vec![(' ', Style::new()); g.shown * g.width];
    for lane in g.first..g.first + g.shown {
        let Some(c) = g.center(lane) else { continue };
        let span = spans
            .iter()
            .filter(|s| s.lane == lane && s.from <= row && row <= s.to)
            .map(|s| s.kind)
            .min_by_key(|k| match k {
                SpanKind::Held => 0,
                SpanKind::Health => 1,
                SpanKind::Waiting => 2,
            });
        cells[c] = match span {
            Some(SpanKind::Held) => ('┃', Style::new().fg(Color::Magenta)),
            Some(SpanKind::Health) => ('┆', Style::new().fg(Color::Red)),
            Some(SpanKind::Waiting) => ('┃', Style::new().fg(Color::Yellow)),
            None => ('│', Style::new().fg(Color::DarkGray)),
        };
    }
    let (mark, style) = mark(a, e);
    if let Some(from) = view.arrow_from(a, e) {
        // From the source lane's line (or the edge) to the mark, the head beside it.
        let to = e.lane;
        let edge = |lane: usize| match g.center(lane) {
            Some(c) => c as isize,
            None if lane < g.first => -1,
            None => (g.shown * g.width) as isize,
        };
        let (f, t) = (edge(from), edge(to));
        let (lo, hi) = (f.min(t), f.max(t));
        for x in lo + 1..hi {
            if let Some(cell) = usize::try_from(x).ok().and_then(|x| cells.get_mut(x)) {
                *cell = ('─', style);
            }
        }
        let head = if t > f {
            (t - 1, '▶')
        } else {
            (t + 1, '◀')
        };
        if let Some(cell) = usize::try_from(head.0).ok().and_then(|x| cells.get_mut(x)) {
            *cell = (head.1, style);
        }
        if let Some(cell) = usize::try_from(f).ok().and_then(|x| cells.get_mut(x)) {
            *cell = (if t > f { '╰' } else { '╯' }, style);
        }
    }
    match g.center(e.lane) {
        Some(c) => cells[c] = (mark, style.add_modifier(Modifier::BOLD)),
        // A lane scrolled out of view: its mark points to the side it is on.
        None => {
            let (x, side) = if e.lane < g.first {
                (0, '◂')
            } else {
                (cells.len() - 1, '▸')
            };
            if let Some(cell) = cells.get_mut(x) {
                *cell = (side, style.add_modifier(Modifier::BOLD));
            }
        }
    }
    // Runs of one style as one span.
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_style = Style::new();
    for (ch, st) in cells {
        if st != run_style && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), run_style));
        }
        run_style = st;
        run.push(ch);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, run_style));
    }
    spans
}

/// The mark of an event on its lane and its colour.
fn mark(a: &Analysis, e: &LaneEvent) -> (char, Style) {
    let brk = |b: usize| a.breaks.get(b);
    match e.kind {
        EventKind::Bound(_) => ('+', Style::new().fg(Color::Cyan)),
        EventKind::Open(_) => ('O', Style::new().fg(Color::Yellow)),
        EventKind::Pending(_) => ('P', Style::new().fg(Color::Yellow)),
        EventKind::Opened(_) => ('D', Style::new().fg(Color::Yellow)),
        EventKind::Break(b) => {
            let unanswered = brk(b).is_some_and(|b| b.ack.is_none() && b.resent_as.is_none());
            let color = if unanswered {
                Color::Red
            } else {
                Color::Magenta
            };
            ('B', Style::new().fg(color))
        }
        EventKind::Ack(b) => {
            let rejected = brk(b)
                .and_then(|b| b.ack.as_ref())
                .is_some_and(|a| a.status.is_some_and(|s| s != 0));
            let color = if rejected { Color::Red } else { Color::Green };
            ('A', Style::new().fg(color))
        }
        EventKind::LateAck(_) => ('a', Style::new().fg(Color::Yellow)),
        EventKind::Health(h) => (
            h.kind.name().chars().next().unwrap_or('?'),
            Style::new().fg(Color::Red),
        ),
    }
}

/// The last part of a path: the file name.
fn file_name(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

/// An event's row text: its frame first, then what happened, numbers whole.
fn label(t: &Timeline, e: &LaneEvent) -> String {
    let a = &t.analysis;
    let brk = |b: usize| a.breaks.get(b);
    let f = e.frame;
    match e.kind {
        EventKind::Bound(_) => format!("f{f} channel bound to the session"),
        EventKind::Open(b) => match brk(b).and_then(|b| b.cause.as_ref()) {
            Some(c) => format!(
                "f{f} {} {} by {}",
                c.command,
                file_name(&c.path),
                short_session(c.session_id)
            ),
            None => format!("f{f} request"),
        },
        EventKind::Pending(_) => format!("f{f} STATUS_PENDING: the opener waits"),
        EventKind::Opened(b) => {
            let c = brk(b).and_then(|b| b.cause.as_ref());
            let waited = c
                .and_then(|c| c.wait_ms)
                .map(|w| format!(" after {}", duration(w)))
                .unwrap_or_default();
            let status = c
                .and_then(|c| c.response_status)
                .map(status_text)
                .unwrap_or_default();
            format!("f{f} answered{waited} {status}")
        }
        EventKind::Break(b) => match brk(b) {
            Some(b) => {
                let mut s = if b.chain_first == b.frame {
                    format!(
                        "f{f} {} break {}→{}",
                        b.kind.name(),
                        b.old_level.as_deref().unwrap_or("?"),
                        b.new_level
                    )
                } else {
                    format!(
                        "f{f} re-sent (first f{}) +{}",
                        b.chain_first,
                        duration((b.ts.0 - b.chain_first_ts.0) as f64 / 1e6)
                    )
                };
                if b.tcp_retransmissions > 0 {
                    s += &format!(", {} TCP retx", b.tcp_retransmissions);
                }
                if b.ack.is_none() && b.resent_as.is_none() && b.ack_required != Some(false) {
                    s += ", never acknowledged";
                }
                s
            }
            None => format!("f{f} break"),
        },
        EventKind::Ack(b) => match brk(b) {
            Some(b) => {
                let mut s = format!("f{f} ack of f{}", b.frame);
                if let Some(ms) = b.latency_ms {
                    s += &format!(" in {}", duration(ms));
                }
                if let Some(st) = b.ack.as_ref().and_then(|a| a.status).filter(|s| *s != 0) {
                    s += &format!(", rejected {}", status_text(st));
                }
                let before = b.ack.as_ref().map_or(0, |a| a.frame);
                let refused = b.rejected_acks.iter().filter(|r| r.frame < before).count();
                if refused > 0 {
                    s += &format!(" after {refused} refused");
                }
                if let Some(ms) = b.stall_ms.filter(|_| b.chain_first != b.frame) {
                    s += &format!(", chain stalled {}", duration(ms));
                }
                s
            }
            None => format!("f{f} ack"),
        },
        EventKind::LateAck(b) => match brk(b).and_then(|b| b.late_ack.as_ref().map(|l| (b, l))) {
            Some((b, l)) => {
                let mut s = format!(
                    "f{f} late ack of f{}, {} after the chain",
                    b.frame,
                    duration(l.late_ms)
                );
                if let (Some(answer), Some(af)) = (&l.answer, l.answer_frame) {
                    s += &format!(", answered {answer} f{af}");
                }
                s
            }
            None => format!("f{f} late ack"),
        },
        EventKind::Health(h) => match (h.kind, h.until) {
            (
                HealthKind::Silence {
                    end_frame,
                    retransmissions,
                },
                Some(until),
            ) => format!(
                "f{f} client silent {} to f{end_frame}, {retransmissions} TCP retx",
                duration((until.0 - e.ts.0) as f64 / 1e6)
            ),
            _ => format!(
                "f{f} {} by {}",
                h.kind.name(),
                if h.by_server { "server" } else { "client" }
            ),
        },
    }
}

/// The selected event in words, then the TCP health of the lanes it is drawn on.
fn describe(t: &Timeline, view: &LaneView, e: &LaneEvent) -> Vec<String> {
    let a = &t.analysis;
    let brk = |b: usize| a.breaks.get(b);
    let at = format!(
        "frame {} at {:.6} s on #{}",
        e.frame,
        t.at(e.ts),
        lane_conn(view, e.lane)
    );
    let mut out = vec![match e.kind {
        EventKind::Open(b) | EventKind::Pending(b) | EventKind::Opened(b) => {
            match brk(b).and_then(|b| b.cause.as_ref()) {
                Some(c) => format!("{at}: {}", cause_text(c)),
                None => at,
            }
        }
        EventKind::Break(b) => match brk(b) {
            Some(b) => break_text(&at, b),
            None => at,
        },
        _ => format!("{at}: {}", label(t, e)),
    }];
    for lane in view.selected_lanes(a) {
        let Some(l) = view.lanes.get(lane) else {
            continue;
        };
        let Some(c) = a.connections.iter().find(|c| c.id == l.conn) else {
            continue;
        };
        let role = match l.role {
            LaneRole::Channel => "channel",
            LaneRole::Opener => "opener's connection",
        };
        let mut s = format!(
            "#{} {} ({role}): TCP retransmissions to server {}, to client {}",
            c.id, c.client, c.tcp.retransmissions_to_server, c.tcp.retransmissions_to_client
        );
        for (what, seen) in [("RST", c.tcp.rst), ("FIN", c.tcp.fin)] {
            if let Some((frame, ts, by_server)) = seen {
                let by = if by_server { "server" } else { "client" };
                s += &format!(", {what} by {by} in frame {frame} at {:.6} s", t.at(ts));
            }
        }
        for silence in &c.tcp.silences {
            s += &format!(
                ", client silent {} (frames {} to {})",
                duration(silence.duration_ms()),
                silence.start_frame,
                silence.end_frame
            );
        }
        out.push(s);
    }
    out
}

/// A break copy in words: levels, outcome, TCP, and its chain.
fn break_text(at: &str, b: &Break) -> String {
    let mut s = format!(
        "{at}: {} break of {} to {} ({}), {} TCP retransmission{}, {}",
        b.kind.name(),
        b.file.as_deref().map_or("?", file_name),
        b.new_level,
        b.outcome().name(),
        b.tcp_retransmissions,
        if b.tcp_retransmissions == 1 { "" } else { "s" },
        b.tcp_acked.map_or("no TCP ACK".to_string(), |f| format!(
            "TCP ACK in frame {f}"
        )),
    );
    if b.chain_first != b.frame || b.resent_as.is_some() {
        s += &format!(
            "; chain from frame {} on #{}",
            b.chain_first, b.chain_first_conn
        );
        if let Some(ms) = b.stall_ms {
            s += &format!(", stalled {}", duration(ms));
        }
    }
    if let Some(sid) = b.session_id {
        s += &format!("; held by session {}", short_session(sid));
    }
    s
}

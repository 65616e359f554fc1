//! The break-acknowledgment latency histogram of the lane view's session (`h`): each
//! acknowledged copy's latency and each chain's stall, in decades from under 1 ms to over
//! 1 s, with the counts written out under the bars.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, Block, Borders, Paragraph};

use super::fit::fit;
use super::{pane_block, short_session};
use crate::app::{App, BUCKETS, histogram};

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let a = &app.timeline().analysis;
    let Some(session) = app.lanes().and_then(|l| a.sessions.get(l.session)) else {
        return;
    };
    let h = histogram(a, session.id);
    let block = pane_block(
        format!(
            " Break acknowledgments: session {} ",
            short_session(session.id)
        ),
        true,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [charts, totals, hint] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [left, right] = if charts.width >= 100 {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts)
    } else {
        Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts)
    };
    let acked: u64 = h.acks.iter().sum();
    let chains: u64 = h.stalls.iter().sum::<u64>() + h.unanswered;
    chart(
        frame,
        left,
        &format!(" Ack latency: {acked} acknowledged copies "),
        &h.acks,
        None,
        Color::Green,
    );
    chart(
        frame,
        right,
        &format!(
            " Chain stall, first copy to ack: {chains} chains, {} re-sent ",
            h.resent
        ),
        &h.stalls,
        Some(h.unanswered),
        Color::Magenta,
    );
    let counts = |values: &[u64]| {
        BUCKETS
            .iter()
            .zip(values)
            .map(|(b, n)| format!("{b} {n}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let width = usize::from(totals.width);
    let lines = vec![
        Line::from(fit(&format!("latency: {}", counts(&h.acks)), width)),
        Line::from(fit(&format!("stall:   {}", counts(&h.stalls)), width)),
        Line::from(fit(
            &format!("never acknowledged: {} chains", h.unanswered),
            width,
        ))
        .style(if h.unanswered > 0 {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        }),
    ];
    frame.render_widget(Paragraph::new(lines), totals);
    frame.render_widget(
        Paragraph::new(fit(
            "[ ] session  h lanes  Esc close",
            usize::from(hint.width),
        ))
        .dim(),
        hint,
    );
}

/// One bar per bucket, and a red `no ack` bar after them when `unanswered` is given.
fn chart(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    values: &[u64],
    unanswered: Option<u64>,
    color: Color,
) {
    let block = Block::new().borders(Borders::ALL).title(title.to_string());
    let inner = block.inner(area);
    let n = (BUCKETS.len() + usize::from(unanswered.is_some())) as u16;
    let bar_width = (inner.width.saturating_sub(n - 1) / n).clamp(1, 12);
    let mut bars: Vec<Bar> = BUCKETS
        .iter()
        .zip(values)
        .map(|(label, v)| {
            Bar::new(*v)
                .label(Line::from(*label))
                .text_value(v.to_string())
        })
        .collect();
    if let Some(v) = unanswered {
        bars.push(
            Bar::new(v)
                .label(Line::from("no ack"))
                .text_value(v.to_string())
                .style(Style::new().fg(Color::Red))
                .value_style(Style::new().fg(Color::Black).bg(Color::Red)),
        );
    }
    frame.render_widget(
        BarChart::new(bars)
            .block(block)
            .bar_width(bar_width)
            .bar_gap(1)
            .bar_style(Style::new().fg(color))
            .value_style(Style::new().fg(Color::Black).bg(color)),
        area,
    );
}

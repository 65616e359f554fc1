//! The status bar: the counts, the filter, the position and the notice; the search
//! being typed takes its place.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use smbcheck_model::names;

use super::fit::fit;
use crate::app::App;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let style = Style::new().bg(Color::Black);
    if let Some(q) = app.search() {
        let line = Line::from(vec![
            Span::styled(" / ", Style::new().bold()),
            Span::raw(q.to_string()),
            Span::styled("█", Color::Gray),
            Span::raw("  Enter: find  Esc: cancel"),
        ]);
        frame.render_widget(Paragraph::new(line).style(style), area);
        return;
    }
    let width = usize::from(area.width);
    let a = &app.timeline().analysis;
    // Why signed messages went unverified ("no key given") matters more than the file name
    // and the key hint: it goes in whole, in its longest form that fits.
    let not_verified = [
        names::not_verified_line(a),
        names::not_verified_short(a, false),
        names::not_verified_short(a, true),
    ];
    let notices: Vec<&str> = match app.notice() {
        Some(n) => vec![n],
        None => not_verified.iter().flatten().map(String::as_str).collect(),
    };
    // The longest form that fits: the file name goes first, then the words get short,
    // then the key hint; the counts stay.
    let forms = [
        (true, false, HINT),
        (true, true, HINT),
        (false, true, HINT),
        (false, true, SHORT_HINT),
        (false, true, ""),
    ];
    let fitting = |notice: Option<&str>| {
        let extra = notice.map_or(0, |n| NOTICE_SEP.chars().count() + n.chars().count());
        forms.iter().find_map(|&(title, short, hint)| {
            let spans = status_spans(app, title, short);
            (width_of(&spans) + extra + hint.chars().count() <= width).then_some((spans, hint))
        })
    };
    let found = notices.iter().find_map(|&n| Some((fitting(Some(n))?, n)));
    let (left, hint) = match (found, app.notice()) {
        (Some(((mut spans, hint), n)), _) => {
            spans.push(Span::styled(format!("{NOTICE_SEP}{n}"), Color::Yellow));
            (spans, hint)
        }
        (None, Some(n)) => {
            // A key's answer ("no problems in this capture") lasts one keypress: where it
            // does not fit beside the counts, it takes the whole bar then, so that no key
            // seems to do nothing.
            let line = Span::styled(
                format!(" {}", fit(n, width.saturating_sub(1))),
                Color::Yellow,
            );
            frame.render_widget(Paragraph::new(Line::from(line)).style(style), area);
            return;
        }
        (None, None) => fitting(None).unwrap_or_else(|| (status_spans(app, false, true), "")),
    };
    let [l, r] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(hint.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)).style(style), l);
    frame.render_widget(
        Paragraph::new(Line::from(hint).right_aligned()).style(style),
        r,
    );
}

const HINT: &str = "? help  q quit ";
/// Between the counts and a notice.
const NOTICE_SEP: &str = " │ ";
const SHORT_HINT: &str = "? help ";

fn width_of(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// The counts, the filter and the position; `title`: with the file name first; `short`:
/// the words abbreviated (`80 sig: 0 val 0 inv 80 unv │ 2 prob 2 brk`).
fn status_spans(app: &App, title: bool, short: bool) -> Vec<Span<'static>> {
    let t = app.timeline();
    let a = &t.analysis;
    let s = &a.summary;
    let position = if app.view().is_empty() {
        "0/0".to_string()
    } else {
        format!("{}/{}", app.selected() + 1, app.view().len())
    };
    let w = |long: &'static str, abbr: &'static str| if short { abbr } else { long };
    let mut spans = Vec::new();
    if title {
        spans.push(Span::styled(format!(" {} ", t.title), Style::new().bold()));
    } else {
        spans.push(Span::raw(" "));
    }
    spans.extend([
        Span::raw(format!(
            "{} {} {} {}: ",
            s.messages,
            w("msgs", "msg"),
            s.signed,
            w("signed", "sig")
        )),
        Span::styled(format!("{} {}", s.valid, w("valid", "val")), Color::Green),
        Span::raw(" "),
        Span::styled(
            format!("{} {}", s.invalid, w("invalid", "inv")),
            if s.invalid > 0 {
                Style::new().fg(Color::Red).bold()
            } else {
                Style::new()
            },
        ),
        Span::raw(" "),
        Span::styled(
            format!("{} {}", s.unverified, w("unverified", "unv")),
            Color::Yellow,
        ),
    ]);
    let filter = app.filter().describe();
    let filter = match (short, filter.as_str()) {
        (true, "none") => String::new(),
        (true, _) => format!(" │ {filter}"),
        (false, _) => format!(" │ filter: {filter}"),
    };
    spans.push(Span::raw(format!(
        " │ {} {} {} {}{filter} │ {position}",
        a.problems.len(),
        w("problems", "prob"),
        a.breaks.len(),
        w("breaks", "brk"),
    )));
    spans
}

//! The hex dump of a message's first bytes, the signature highlighted in the colour of
//! its verdict.

use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};

use super::verdict_style;
use crate::model::Row;

/// Width of the hex dump column: offset, 16 bytes, ASCII.
pub(super) const DUMP_WIDTH: u16 = 72;
/// Bytes per hex dump line.
const DUMP_LINE: usize = 16;

pub(super) fn hex_dump(r: &Row) -> Vec<Line<'static>> {
    let sig = r.message.signature_range().unwrap_or(0..0);
    let sig_style = Style::new()
        .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        .patch(verdict_style(r.message.verdict).remove_modifier(Modifier::DIM));
    let mut lines = vec![
        Line::from(format!(
            "Bytes {} of {}{}",
            r.bytes.len(),
            r.message.len,
            if sig.is_empty() {
                String::new()
            } else {
                format!("  signature {}..{}", sig.start, sig.end)
            }
        ))
        .bold(),
    ];
    for (n, chunk) in r.bytes.chunks(DUMP_LINE).enumerate() {
        let base = n * DUMP_LINE;
        let mut spans = vec![Span::styled(format!("{base:04x}  "), Color::DarkGray)];
        for k in 0..DUMP_LINE {
            let text = match chunk.get(k) {
                Some(b) => format!("{b:02x}"),
                None => "  ".to_string(),
            };
            let style = if sig.contains(&(base + k)) {
                sig_style
            } else {
                Style::new()
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(if k == 7 { "  " } else { " " }));
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        spans.push(Span::raw(" "));
        spans.push(Span::styled(ascii, Color::DarkGray));
        lines.push(Line::from(spans));
    }
    lines
}

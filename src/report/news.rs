//! Live output: one text line or one JSONL object per session, binding, break or problem as
//! it happens (the final report still lists them all).

use serde_json::Value;

use super::{json, names, session_hex, text};
use crate::engine::news::News;

/// `--format jsonl`: the record as `--format json` shows it, with an `event` field naming
/// which list it belongs to (and the fields of every JSONL line: no capture file, live).
pub fn json(news: &News) -> Value {
    let (event, mut v) = match news {
        News::Session(s) => ("session", json::session(s)),
        News::Binding(b) => ("binding", json::binding(b)),
        News::Break(b) => ("break", json::brk(b)),
        News::Problem(p) => ("problem", json::problem(p)),
    };
    super::jsonl::stamp(&mut v, event, None);
    v
}

/// Text mode: one line, starting with the frame.
pub fn text(news: &News) -> String {
    match news {
        News::Session(s) => {
            let mut line = format!(
                "frame {:<6}  session {}  {}  {}  dialect {}  signing {}  keys: {}",
                s.first_frame,
                session_hex(s.id),
                text::user_name(s),
                s.auth.map_or("?", |a| a.name()),
                s.dialect.as_deref().unwrap_or("?"),
                s.signing.unwrap_or("-"),
                s.key_source.name(),
            );
            if let Some(check) = &s.password_check {
                line += &format!(", password {check}");
            }
            if let Some(status) = s.logon_status.filter(|st| *st != 0) {
                line += &format!(", logon {}", names::status_text(status));
            }
            line
        }
        News::Binding(b) => format!(
            "frame {:<6}  binding  sess {}  connection #{}  {}  request {}  response {}",
            b.frame,
            session_hex(b.session_id),
            b.conn,
            b.status
                .map(names::status_text)
                .unwrap_or_else(|| "no response".into()),
            b.request_verdict,
            b.response_verdict
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        News::Break(b) => format!(
            "frame {:<6}  {} break  {} -> {}  on #{}  {}",
            b.frame,
            b.kind.name(),
            b.old_level.as_deref().unwrap_or("?"),
            b.new_level,
            b.conn,
            text::break_file(b),
        ),
        News::Problem(p) => {
            let conn = p
                .conn
                .map(|c| format!("#{c}"))
                .unwrap_or_else(|| "-".into());
            format!("frame {:<6}  {conn:<4}  {}: {}", p.frame, p.kind, p.detail)
        }
    }
}

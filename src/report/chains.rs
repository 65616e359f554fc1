//! Break chains and channel health as the text report tells them (issue 23): one sentence
//! per chain, from the opener's wait to the copy that was answered, and what TCP did on
//! each connection.

use std::collections::HashMap;

use super::{names, session_hex};
use crate::model::names::duration;
use crate::model::{Break, Connection, Silence};

/// The copies of each chain, by (kind, first frame), in notification order.
pub(crate) fn chains(breaks: &[Break]) -> HashMap<(&'static str, u64), Vec<&Break>> {
    let mut map: HashMap<(&'static str, u64), Vec<&Break>> = HashMap::new();
    for b in breaks {
        map.entry((b.kind.name(), b.chain_first))
            .or_default()
            .push(b);
    }
    map
}

fn retransmissions(n: u64) -> String {
    match n {
        1 => "1 retransmission".into(),
        n => format!("{n} retransmissions"),
    }
}

/// The client's silence on the connection of copy `b` while the server retransmitted it:
/// the first silence there that began after the copy and not after the client's TCP ACK of
/// it.
fn silence_of<'c>(b: &Break, connections: &'c [Connection]) -> Option<&'c Silence> {
    if b.tcp_retransmissions == 0 {
        return None;
    }
    let c = connections.iter().find(|c| c.id == b.conn)?;
    c.tcp
        .silences
        .iter()
        .find(|s| s.start_frame > b.frame && b.tcp_acked.is_none_or(|acked| s.start_frame <= acked))
}

/// The sentence that leads a chain (given its copies and the capture's connections): who
/// waited how long, where each copy went and what came of it.
pub(crate) fn lead(copies: &[&Break], connections: &[Connection]) -> Option<String> {
    let first = copies.first()?;
    let head = match &first.cause {
        Some(c) => {
            let what = match c.command {
                "CREATE" | "NT_CREATE_ANDX" => "open",
                other => other,
            };
            let mut s = format!(
                "{what} of {} by session {}",
                c.path,
                session_hex(c.session_id)
            );
            match c.wait_ms {
                Some(w) => {
                    s += &format!(" waited {}", duration(w));
                    if let Some(i) = c.interim_frame {
                        s += &format!(" (STATUS_PENDING at frame {i})");
                    }
                    if let Some(st) = c.response_status.filter(|st| *st != 0) {
                        s += &format!(" and failed: {}", names::status_text(st));
                    }
                }
                None => s += " (no final response seen)",
            }
            s
        }
        None => format!(
            "{} break of {}",
            first.kind.name(),
            first.file.as_deref().unwrap_or("?")
        ),
    };
    let mut parts = Vec::new();
    // Long chains (32 channels): the copies between the first and the last in one phrase
    // when none of them was answered.
    let middle = copies
        .get(1..copies.len().saturating_sub(1))
        .unwrap_or_default();
    let fold = middle.len() > 3
        && middle
            .iter()
            .all(|b| b.ack.is_none() && b.late_ack.is_none());
    for (k, b) in copies.iter().enumerate() {
        if fold && k > 0 && k + 1 < copies.len() {
            if k == 1 {
                parts.push(folded(first, middle, connections));
            }
            continue;
        }
        let mut p = if k == 0 {
            let after = first
                .cause
                .as_ref()
                .map(|c| (b.ts.0 - c.ts.0) as f64 / 1e6)
                .filter(|gap| *gap >= 1000.0);
            match after {
                // No copy in the capture before: one may have stayed in a server socket.
                Some(gap) => format!(
                    "break first seen on #{} {} after the request",
                    b.conn,
                    duration(gap)
                ),
                None => format!("break sent on #{}", b.conn),
            }
        } else {
            format!(
                "re-sent on #{} after {}",
                b.conn,
                duration((b.ts.0 - first.ts.0) as f64 / 1e6)
            )
        };
        match &b.ack {
            Some(a) => {
                if b.tcp_retransmissions > 0 {
                    p += &format!(" ({})", retransmissions(b.tcp_retransmissions));
                }
                let there = if a.conn == b.conn {
                    "there".to_string()
                } else {
                    format!("on #{}", a.conn)
                };
                let latency = b.latency_ms.map(duration).unwrap_or_else(|| "?".into());
                p += &format!(", acknowledged {there} in {latency}");
                let refused = b.rejected_acks.iter().filter(|r| r.frame < a.frame).count();
                if refused > 0 {
                    p += &format!(" after {refused} refused");
                }
                if let Some(st) = a.status.filter(|st| *st != 0) {
                    p += &format!(" (rejected: {})", names::status_text(st));
                }
            }
            None if b.ack_required == Some(false) => {}
            None => {
                // A copy acknowledged only after the chain ended was answered, but late.
                let mut why = vec![match b.late_ack {
                    Some(_) => "no answer in time".to_string(),
                    None => "no answer".to_string(),
                }];
                why.push(match b.tcp_acked {
                    Some(f) => format!("TCP ACK at frame {f}"),
                    None => "no TCP ACK".to_string(),
                });
                if b.tcp_retransmissions > 0 {
                    why.push(retransmissions(b.tcp_retransmissions));
                }
                if let Some(silence) = silence_of(b, connections) {
                    why.push(format!(
                        "client silent for {}",
                        duration(silence.duration_ms())
                    ));
                }
                if let Some(l) = &b.late_ack {
                    let answer = match (&l.answer, l.answer_frame) {
                        (Some(a), Some(f)) => format!(", answered by {a} at frame {f}"),
                        _ => ", unanswered".into(),
                    };
                    why.push(format!(
                        "acknowledged late at frame {} on #{}, {} after the chain{answer}",
                        l.frame,
                        l.conn,
                        duration(l.late_ms)
                    ));
                }
                p += &format!(" ({})", why.join(", "));
            }
        }
        parts.push(p);
    }
    let mut s = format!("{head}: {}", parts.join(", "));
    let acked = copies.iter().any(|b| b.ack.is_some());
    if let Some(stall) = first.stall_ms {
        if !acked {
            s += &format!(
                "; never acknowledged (capture ended {} after the first copy)",
                duration(stall)
            );
        } else if copies.len() > 1 {
            s += &format!("; stalled {}", duration(stall));
        }
    }
    Some(s)
}

/// Copies re-sent one after another, none answered, in one phrase.
fn folded(first: &Break, middle: &[&Break], connections: &[Connection]) -> String {
    let (Some(a), Some(b)) = (middle.first(), middle.last()) else {
        return String::new();
    };
    let retrans = middle.iter().map(|b| b.tcp_retransmissions);
    let (low, high) = (
        retrans.clone().min().unwrap_or(0),
        retrans.max().unwrap_or(0),
    );
    let mut each = if low == high {
        retransmissions(low)
    } else {
        format!("{low} to {high} retransmissions")
    };
    let silent: Vec<f64> = middle
        .iter()
        .filter_map(|b| silence_of(b, connections))
        .map(Silence::duration_ms)
        .collect();
    if let (Some(low), Some(high)) = (
        silent.iter().copied().reduce(f64::min),
        silent.iter().copied().reduce(f64::max),
    ) {
        each += &if silent.len() == middle.len() {
            format!(
                ", client silent for {} to {}",
                duration(low),
                duration(high)
            )
        } else {
            format!(
                "; client silent on {} of them, for {} to {}",
                silent.len(),
                duration(low),
                duration(high)
            )
        };
    }
    format!(
        "re-sent {} times on #{}..#{} from {} to {} after the first (no answer, {each} each)",
        middle.len(),
        a.conn,
        b.conn,
        duration((a.ts.0 - first.ts.0) as f64 / 1e6),
        duration((b.ts.0 - first.ts.0) as f64 / 1e6),
    )
}

/// Silences listed per connection in the text; more are counted.
const SILENCES_SHOWN: usize = 3;

/// What TCP did on a connection, when it retransmitted or was reset: retransmissions each
/// way, the client's silences, RST, FIN.
pub(crate) fn tcp_health(c: &Connection) -> Option<String> {
    let t = &c.tcp;
    if t.retransmissions_to_server + t.retransmissions_to_client == 0 && t.rst.is_none() {
        return None; // a FIN alone is the ordinary end
    }
    let mut parts = Vec::new();
    if t.retransmissions_to_server + t.retransmissions_to_client > 0 {
        parts.push(format!(
            "TCP retransmissions to server {} to client {}",
            t.retransmissions_to_server, t.retransmissions_to_client
        ));
    }
    for s in t.silences.iter().take(SILENCES_SHOWN) {
        let until = match s.ended_by {
            crate::model::SilenceEnd::ClientSegment => "",
            crate::model::SilenceEnd::Reset => ", until the RST",
            crate::model::SilenceEnd::CaptureEnd => ", until the capture ended",
        };
        parts.push(format!(
            "client silent {} (frames {} to {}{until}, {})",
            duration(s.duration_ms()),
            s.start_frame,
            s.end_frame,
            retransmissions(s.retransmissions)
        ));
    }
    if t.silences.len() > SILENCES_SHOWN {
        parts.push(format!(
            "{} more silences",
            t.silences.len() - SILENCES_SHOWN
        ));
    }
    for (what, seen) in [("RST", t.rst), ("FIN", t.fin)] {
        if let Some((frame, _, by_server)) = seen {
            let by = if by_server { "server" } else { "client" };
            parts.push(format!("{what} by {by} at frame {frame}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

//! Problems, breaks, acknowledgments and bindings placed on the rows they concern, the rows
//! with a problem, and the links between messages (break <-> acknowledgment, request <->
//! response) that Enter follows.

use std::collections::HashMap;

use smbcheck_model::Verdict;

use crate::model::Timeline;

use super::App;

/// How far a request/response pairing looks for the other half, and an event for its row,
/// in rows.
const PAIR_WINDOW: usize = 100_000;

/// What links a row to the analysis' events.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// Indices into `Analysis::problems`.
    pub problems: Vec<usize>,
    /// Index into `Analysis::breaks` of the break this row notifies.
    pub break_of: Option<usize>,
    /// Index into `Analysis::breaks` of the break this row acknowledges.
    pub ack_of: Option<usize>,
    /// Index into `Analysis::bindings`.
    pub binding: Option<usize>,
}

impl App {
    /// The message linked to row `i` and how: the acknowledgment of a break, the break an
    /// acknowledgment answers, or the other half of a request/response exchange (as the
    /// engine paired them: `Message::request_frame`).
    pub fn link(&self, i: usize) -> Option<(usize, &'static str)> {
        let marks = self.marks.get(&i);
        if let Some(b) = marks.and_then(|m| m.break_of) {
            if let Some(ack) = self.find_mark(|m| m.ack_of == Some(b)) {
                return Some((ack, "acknowledgment"));
            }
        }
        if let Some(b) = marks.and_then(|m| m.ack_of) {
            if let Some(brk) = self.find_mark(|m| m.break_of == Some(b)) {
                return Some((brk, "break"));
            }
        }
        let msgs = &self.timeline.messages;
        let m = &msgs.get(i)?.message;
        if m.is_response {
            m.request_frame?;
            let lo = i.saturating_sub(PAIR_WINDOW);
            (lo..i)
                .rev()
                .find(|&j| msgs.get(j).is_some_and(|r| m.answers(&r.message)))
                .map(|j| (j, "request"))
        } else {
            let hi = i.saturating_add(PAIR_WINDOW).min(msgs.len());
            // The final response, not an interim STATUS_PENDING one.
            let mut found = None;
            for j in i + 1..hi {
                let Some(r) = msgs.get(j).map(|r| &r.message) else {
                    break;
                };
                if r.answers(m) {
                    found = Some(j);
                    if r.is_final() {
                        break;
                    }
                }
            }
            found.map(|j| (j, "response"))
        }
    }

    fn find_mark(&self, pred: impl Fn(&Marks) -> bool) -> Option<usize> {
        self.marks
            .iter()
            .filter(|(_, m)| pred(m))
            .map(|(i, _)| *i)
            .min()
    }
}

/// Rows with an invalid signature or a problem, ascending.
pub(super) fn problem_rows(t: &Timeline, marks: &HashMap<usize, Marks>) -> Vec<usize> {
    let mut rows: Vec<usize> = t
        .messages
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.message.verdict == Verdict::Invalid
                || marks.get(i).is_some_and(|m| !m.problems.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    rows.dedup();
    rows
}

/// Places problems, breaks, acknowledgments and bindings on rows: the row of the same
/// frame and channel, else the first row of that channel from that frame on.
pub(super) fn place_events(t: &Timeline) -> HashMap<usize, Marks> {
    let mut order: Vec<usize> = (0..t.messages.len()).collect();
    order.sort_by_key(|&i| t.messages.get(i).map_or(0, |r| r.message.frame));
    let frame_of = |i: usize| t.messages.get(i).map_or(u64::MAX, |r| r.message.frame);
    let place = |frame: u64, channel: Option<u32>| -> Option<usize> {
        let start = order.partition_point(|&i| frame_of(i) < frame);
        let rest = order.get(start..)?;
        match channel {
            Some(c) => rest
                .iter()
                .take(PAIR_WINDOW)
                .copied()
                .find(|&i| t.messages.get(i).is_some_and(|r| r.message.conn == c)),
            None => rest.first().copied(),
        }
    };
    let a = &t.analysis;
    let mut marks: HashMap<usize, Marks> = HashMap::new();
    for (p, problem) in a.problems.iter().enumerate() {
        if let Some(i) = place(problem.frame, problem.conn) {
            marks.entry(i).or_default().problems.push(p);
        }
    }
    for (b, brk) in a.breaks.iter().enumerate() {
        if let Some(i) = place(brk.frame, Some(brk.conn)) {
            marks.entry(i).or_default().break_of = Some(b);
        }
        if let Some(i) = brk.ack.as_ref().and_then(|a| place(a.frame, Some(a.conn))) {
            marks.entry(i).or_default().ack_of = Some(b);
        }
    }
    for (b, binding) in a.bindings.iter().enumerate() {
        if let Some(i) = place(binding.frame, Some(binding.conn)) {
            marks.entry(i).or_default().binding = Some(b);
        }
    }
    marks
}

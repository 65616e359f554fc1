//! The channel-lane view of one session (issue 21 item 13, issue 23): one lane per
//! channel of the session (and per connection a break's cause came over), time running
//! down, one row per event: the opener's CREATE and its wait, each copy of a break on the
//! lane it was sent on, its acknowledgment on the lane it came back on, late
//! acknowledgments, bindings, and what TCP did on each lane (RST, FIN). Built once when the
//! view opens; the drawing is in `ui::lanes`.

use std::collections::HashMap;

use smbcheck_model::{Analysis, BreakKind, ConnId, Connection, Timestamp};

use crate::model::Timeline;

/// Why a connection has a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneRole {
    /// A channel of the session.
    Channel,
    /// The connection a break's cause (the opener's CREATE) came over, outside the session.
    Opener,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    pub conn: ConnId,
    pub role: LaneRole,
}

/// What TCP did on a lane's connection. A kind with a duration (`until`) is drawn as a
/// span down its lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Health {
    pub kind: HealthKind,
    pub by_server: bool,
    /// The end of a health condition that lasts (drawn from its row to this time).
    pub until: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthKind {
    Rst,
    Fin,
    /// The client said nothing while the server retransmitted (model `Silence`): until
    /// `end_frame`, with the server's retransmissions inside it.
    Silence {
        end_frame: u64,
        retransmissions: u64,
    },
}

impl HealthKind {
    pub fn name(self) -> &'static str {
        match self {
            HealthKind::Rst => "RST",
            HealthKind::Fin => "FIN",
            HealthKind::Silence { .. } => "silence",
        }
    }
}

/// One row of the lane view. Indices are into `Analysis::breaks` and `Analysis::bindings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The channel was bound to the session.
    Bound(usize),
    /// The request that caused the chain of this break (its first copy), its
    /// STATUS_PENDING interim response, and its final response.
    Open(usize),
    Pending(usize),
    Opened(usize),
    /// A copy of a break, sent on the lane.
    Break(usize),
    /// The acknowledgment of that copy, on the lane it came back on.
    Ack(usize),
    /// An acknowledgment of that copy after the chain was acknowledged through another.
    LateAck(usize),
    Health(Health),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneEvent {
    pub ts: Timestamp,
    pub frame: u64,
    /// Index into `LaneView::lanes`.
    pub lane: usize,
    pub kind: EventKind,
}

/// What a vertical span down a lane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// A break copy sent and not yet answered, re-sent or given up.
    Held,
    /// The opener waiting for its CREATE's final response.
    Waiting,
    /// A health condition that lasts.
    Health,
}

/// A span down a lane from one row to another (both included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneSpan {
    pub lane: usize,
    pub from: usize,
    pub to: usize,
    pub kind: SpanKind,
}

/// The lane view of one session and where the user is in it.
#[derive(Clone, Debug)]
pub struct LaneView {
    /// Index into `Analysis::sessions`.
    pub session: usize,
    pub lanes: Vec<Lane>,
    /// In time order.
    pub events: Vec<LaneEvent>,
    pub spans: Vec<LaneSpan>,
    pub selected: usize,
    /// First row shown; kept by the drawing.
    pub offset: usize,
    /// First lane shown (lanes scroll sideways when they do not all fit).
    pub first_lane: usize,
    /// The drawing brings the selected event's lanes into view (off after ← →).
    pub follow: bool,
}

impl LaneView {
    /// The view of session `session` (index into `Analysis::sessions`).
    pub fn new(t: &Timeline, session: usize) -> LaneView {
        let a = &t.analysis;
        let id = a.sessions.get(session).map(|s| s.id);
        let breaks: Vec<usize> = (0..a.breaks.len())
            .filter(|&b| a.breaks.get(b).and_then(|b| b.session_id) == id && id.is_some())
            .collect();
        let lanes = lanes(a, session, &breaks);
        let lane_of = |c: ConnId| lanes.iter().position(|l| l.conn == c);
        let frame_ts = frame_times(t, a, &breaks);
        let at = |f: u64| frame_ts.get(&f).copied();
        let mut events = Vec::new();
        let mut push = |ts: Option<Timestamp>, frame: u64, conn: ConnId, kind| {
            if let (Some(ts), Some(lane)) = (ts, lane_of(conn)) {
                events.push(LaneEvent {
                    ts,
                    frame,
                    lane,
                    kind,
                });
            }
        };
        for (i, b) in a.bindings.iter().enumerate() {
            if Some(b.session_id) == id {
                push(at(b.frame), b.frame, b.conn, EventKind::Bound(i));
            }
        }
        let mut causes = Vec::new();
        for &i in &breaks {
            let Some(b) = a.breaks.get(i) else { continue };
            push(Some(b.ts), b.frame, b.conn, EventKind::Break(i));
            if let Some(ack) = &b.ack {
                push(Some(ack.ts), ack.frame, ack.conn, EventKind::Ack(i));
            }
            if let Some(l) = &b.late_ack {
                push(Some(l.ts), l.frame, l.conn, EventKind::LateAck(i));
            }
            // One cause per request, at the first copy of the first chain it caused.
            match &b.cause {
                Some(c) if b.chain_first == b.frame && !causes.contains(&c.frame) => {
                    causes.push(c.frame);
                    push(Some(c.ts), c.frame, c.conn, EventKind::Open(i));
                    if let Some(f) = c.interim_frame {
                        push(at(f), f, c.conn, EventKind::Pending(i));
                    }
                    if let Some(f) = c.response_frame {
                        push(at(f), f, c.conn, EventKind::Opened(i));
                    }
                }
                _ => {}
            }
        }
        for lane in &lanes {
            if let Some(c) = a.connections.iter().find(|c| c.id == lane.conn) {
                for (ts, frame, health) in health_events(c) {
                    push(Some(ts), frame, c.id, EventKind::Health(health));
                }
            }
        }
        events.sort_by_key(|e| (e.ts, e.frame));
        let spans = spans(a, &events);
        LaneView {
            session,
            lanes,
            events,
            spans,
            selected: 0,
            offset: 0,
            first_lane: 0,
            follow: true,
        }
    }

    /// The same session's view over a timeline that went on (a live capture), the
    /// selection and scrolling kept.
    pub fn rebuilt(self, t: &Timeline) -> LaneView {
        let last = |v: &LaneView| v.events.len().saturating_sub(1);
        let mut view = LaneView::new(t, self.session);
        view.selected = self.selected.min(last(&view));
        view.offset = self.offset;
        view.first_lane = self.first_lane;
        view.follow = self.follow;
        view
    }

    pub fn selected_event(&self) -> Option<&LaneEvent> {
        self.events.get(self.selected)
    }

    /// The lanes the selected event draws on: its own and where its arrow comes from.
    pub fn selected_lanes(&self, a: &Analysis) -> Vec<usize> {
        let Some(e) = self.selected_event() else {
            return Vec::new();
        };
        let mut lanes = vec![e.lane];
        lanes.extend(self.arrow_from(a, e));
        lanes
    }

    /// The lane an event's arrow starts from: the break an acknowledgment answers, the copy
    /// a re-sent copy repeats; `None` when on the same lane or no arrow.
    pub fn arrow_from(&self, a: &Analysis, e: &LaneEvent) -> Option<usize> {
        let from = match e.kind {
            EventKind::Ack(b) => a.breaks.get(b).map(|b| b.conn),
            EventKind::Break(b) => {
                let brk = a.breaks.get(b)?;
                let repeats = brk.resend_of?;
                a.breaks
                    .iter()
                    .find(|p| p.frame == repeats && p.kind == brk.kind)
                    .map(|p| p.conn)
            }
            _ => None,
        }?;
        self.lanes
            .iter()
            .position(|l| l.conn == from)
            .filter(|&l| l != e.lane)
    }
}

/// The session's channels, then the connections its breaks' causes came over, in
/// connection order.
fn lanes(a: &Analysis, session: usize, breaks: &[usize]) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = a
        .sessions
        .get(session)
        .map(|s| &s.channels)
        .into_iter()
        .flatten()
        .map(|&conn| Lane {
            conn,
            role: LaneRole::Channel,
        })
        .collect();
    let mut add = |conn: ConnId, role| {
        if !lanes.iter().any(|l| l.conn == conn) {
            lanes.push(Lane { conn, role });
        }
    };
    for b in breaks.iter().filter_map(|&b| a.breaks.get(b)) {
        add(b.conn, LaneRole::Channel);
        if let Some(ack) = &b.ack {
            add(ack.conn, LaneRole::Channel);
        }
        if let Some(c) = &b.cause {
            add(c.conn, LaneRole::Opener);
        }
    }
    lanes.sort_by_key(|l| l.conn);
    lanes
}

/// What TCP did on a connection, as lane events: its first RST and FIN, and the client's
/// silences (drawn down the lane to their end).
fn health_events(c: &Connection) -> Vec<(Timestamp, u64, Health)> {
    let mut out = Vec::new();
    for (kind, seen) in [(HealthKind::Rst, c.tcp.rst), (HealthKind::Fin, c.tcp.fin)] {
        if let Some((frame, ts, by_server)) = seen {
            out.push((
                ts,
                frame,
                Health {
                    kind,
                    by_server,
                    until: None,
                },
            ));
        }
    }
    for silence in &c.tcp.silences {
        out.push((
            silence.start_ts,
            silence.start_frame,
            Health {
                kind: HealthKind::Silence {
                    end_frame: silence.end_frame,
                    retransmissions: silence.retransmissions,
                },
                by_server: false,
                until: Some(silence.end_ts),
            },
        ));
    }
    out
}

/// The times of the frames the model names without one (bindings, interim and final
/// responses), from the timeline's messages.
fn frame_times(t: &Timeline, a: &Analysis, breaks: &[usize]) -> HashMap<u64, Timestamp> {
    let mut wanted: HashMap<u64, Timestamp> = HashMap::new();
    let mut want = |f: u64| {
        wanted.insert(f, Timestamp(i64::MIN));
    };
    for b in &a.bindings {
        want(b.frame);
    }
    for c in breaks
        .iter()
        .filter_map(|&b| a.breaks.get(b)?.cause.as_ref())
    {
        c.interim_frame.into_iter().for_each(&mut want);
        c.response_frame.into_iter().for_each(&mut want);
    }
    for r in &t.messages {
        if let Some(ts) = wanted.get_mut(&r.message.frame) {
            if ts.0 == i64::MIN {
                *ts = r.message.ts;
            }
        }
    }
    wanted.retain(|_, ts| ts.0 != i64::MIN);
    wanted
}

/// The spans down the lanes: each break copy from its row to the copy that repeats it or
/// its acknowledgment (to the last row when neither came), each opener's wait from its
/// request to its final response, and each lasting health condition.
fn spans(a: &Analysis, events: &[LaneEvent]) -> Vec<LaneSpan> {
    // The row of each event, and of each break copy by its frame and kind.
    let rows: HashMap<EventKind, usize> = events
        .iter()
        .enumerate()
        .map(|(row, e)| (e.kind, row))
        .collect();
    let copies: HashMap<(u64, BreakKind), usize> = events
        .iter()
        .enumerate()
        .filter_map(|(row, e)| match e.kind {
            EventKind::Break(b) => a.breaks.get(b).map(|b| ((b.frame, b.kind), row)),
            _ => None,
        })
        .collect();
    let last = events.len().saturating_sub(1);
    let mut spans = Vec::new();
    for (row, e) in events.iter().enumerate() {
        let (end, kind) = match e.kind {
            EventKind::Break(b) => {
                let Some(brk) = a.breaks.get(b) else { continue };
                let resent = brk
                    .resent_as
                    .and_then(|f| copies.get(&(f, brk.kind)).copied());
                let acked = rows.get(&EventKind::Ack(b)).copied();
                (resent.or(acked).unwrap_or(last), SpanKind::Held)
            }
            EventKind::Open(b) => (
                rows.get(&EventKind::Opened(b)).copied().unwrap_or(last),
                SpanKind::Waiting,
            ),
            EventKind::Health(Health {
                until: Some(until), ..
            }) => (
                events
                    .partition_point(|x| x.ts <= until)
                    .saturating_sub(1)
                    .max(row),
                SpanKind::Health,
            ),
            _ => continue,
        };
        spans.push(LaneSpan {
            lane: e.lane,
            from: row,
            to: end,
            kind,
        });
    }
    spans
}

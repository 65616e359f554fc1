//! Browser state: the filtered view of the timeline, the selection, the focused pane, the
//! search, and what every action does to them. No drawing and no terminal here.

use std::collections::HashMap;

use ratatui::layout::{Position, Rect};

use crate::model::{Direction, Row, Timeline, Verdict, session_hex};

/// How far a request/response pairing looks for the other half, in rows.
const PAIR_WINDOW: usize = 100_000;
/// Rows moved by one mouse wheel step.
const WHEEL_STEP: usize = 3;

/// What the user asked for; `input` maps keys and the mouse to these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Timeline: follow the link (break <-> acknowledgment, request <-> response);
    /// tree: show only that session or channel.
    Enter,
    NextPane,
    PrevPane,
    SearchStart,
    SearchInput(char),
    SearchBackspace,
    SearchSubmit,
    SearchCancel,
    FindNext,
    FindPrev,
    NextProblem,
    PrevProblem,
    ToggleProblems,
    ToggleBreaks,
    ToggleSession,
    ToggleChannel,
    ClearFilters,
    Help,
    Quit,
    /// Mouse wheel at a screen position, positive is down.
    Scroll {
        column: u16,
        row: u16,
        down: bool,
    },
    /// Left click at a screen position.
    Click {
        column: u16,
        row: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Tree,
    Timeline,
    Detail,
}

/// Which rows the timeline shows; all conditions set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub problems: bool,
    pub breaks: bool,
    pub session: Option<u64>,
    pub channel: Option<u32>,
}

impl Filter {
    /// `none`, or the conditions joined by ` + `.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.problems {
            parts.push("problems".to_string());
        }
        if self.breaks {
            parts.push("breaks".to_string());
        }
        if let Some(s) = self.session {
            parts.push(format!("session {}", session_hex(s)));
        }
        if let Some(c) = self.channel {
            parts.push(format!("channel #{c}"));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(" + ")
        }
    }
}

/// One line of the connection/session tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeItem {
    All,
    Heading(&'static str),
    /// Index into `Timeline::connections`.
    Connection(usize),
    /// Index into `Timeline::sessions`.
    Session(usize),
    /// A channel of a session (index into `Timeline::sessions`, connection id).
    Channel(usize, u32),
}

impl TreeItem {
    fn selectable(self) -> bool {
        !matches!(self, TreeItem::Heading(_))
    }
}

/// What links a row to the analysis' events.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// Indices into `Timeline::problems`.
    pub problems: Vec<usize>,
    /// Index into `Timeline::breaks` of the break this row notifies.
    pub break_of: Option<usize>,
    /// Index into `Timeline::breaks` of the break this row acknowledges.
    pub ack_of: Option<usize>,
    /// Index into `Timeline::bindings`.
    pub binding: Option<usize>,
}

/// Screen areas of the last drawing, for the mouse.
#[derive(Clone, Copy, Debug, Default)]
pub struct Areas {
    pub tree: Rect,
    pub timeline: Rect,
    /// The timeline's first message line.
    pub timeline_rows: Rect,
    pub detail: Rect,
}

pub struct App {
    timeline: Timeline,
    /// Rows shown, as indices into `timeline.messages`.
    view: Vec<usize>,
    /// Position in `view`.
    selected: usize,
    /// First visible position in `view`; kept by the drawing.
    pub(crate) offset: usize,
    /// Visible timeline rows at the last drawing.
    pub(crate) page: usize,
    focus: Pane,
    filter: Filter,
    tree: Vec<TreeItem>,
    tree_selected: usize,
    pub(crate) detail_scroll: u16,
    search: Option<String>,
    last_search: Option<String>,
    help: bool,
    notice: Option<String>,
    quit: bool,
    marks: HashMap<usize, Marks>,
    /// Rows with a problem, ascending.
    problem_rows: Vec<usize>,
    pub(crate) areas: Areas,
}

impl App {
    pub fn new(timeline: Timeline) -> App {
        let marks = place_events(&timeline);
        let problem_rows = problem_rows(&timeline, &marks);
        let tree = tree_items(&timeline);
        let tree_selected = tree.iter().position(|t| t.selectable()).unwrap_or(0);
        let mut app = App {
            view: Vec::new(),
            selected: 0,
            offset: 0,
            page: 20,
            focus: Pane::Timeline,
            filter: Filter::default(),
            tree,
            tree_selected,
            detail_scroll: 0,
            search: None,
            last_search: None,
            help: false,
            notice: None,
            quit: false,
            marks,
            problem_rows,
            areas: Areas::default(),
            timeline,
        };
        app.rebuild_view();
        app
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// A live capture went on: `update` holds the messages judged since the last update
    /// and everything else as it stands now. The selection and the filters stay.
    pub fn extend(&mut self, update: Timeline) {
        let Timeline {
            title,
            connections,
            sessions,
            messages,
            problems,
            breaks,
            bindings,
            summary,
            decode,
        } = update;
        let t = &mut self.timeline;
        t.title = title;
        t.connections = connections;
        t.sessions = sessions;
        t.messages.extend(messages);
        t.problems = problems;
        t.breaks = breaks;
        t.bindings = bindings;
        t.summary = summary;
        t.decode = decode.or(t.decode);
        self.marks = place_events(&self.timeline);
        self.problem_rows = problem_rows(&self.timeline, &self.marks);
        self.tree = tree_items(&self.timeline);
        if self.tree_selected >= self.tree.len() {
            self.tree_selected = self.tree.iter().position(|t| t.selectable()).unwrap_or(0);
        }
        self.rebuild_view();
    }
    pub fn view(&self) -> &[usize] {
        &self.view
    }
    /// Position of the selection in the view.
    pub fn selected(&self) -> usize {
        self.selected
    }
    /// Index into `Timeline::messages` of the selected row.
    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }
    pub fn selected_row(&self) -> Option<&Row> {
        self.selected_index()
            .and_then(|i| self.timeline.messages.get(i))
    }
    pub fn focus(&self) -> Pane {
        self.focus
    }
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
    pub fn tree(&self) -> &[TreeItem] {
        &self.tree
    }
    pub fn tree_selected(&self) -> usize {
        self.tree_selected
    }
    /// The search being typed, if any.
    pub fn search(&self) -> Option<&str> {
        self.search.as_deref()
    }
    pub fn help_shown(&self) -> bool {
        self.help
    }
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }
    pub fn should_quit(&self) -> bool {
        self.quit
    }
    pub fn marks(&self, row: usize) -> Option<&Marks> {
        self.marks.get(&row)
    }
    pub fn problem_rows(&self) -> &[usize] {
        &self.problem_rows
    }

    pub fn handle(&mut self, action: Action) {
        self.notice = None;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page.max(1) as isize)),
            Action::PageDown => self.move_by(self.page.max(1) as isize),
            Action::Top => self.move_by(isize::MIN),
            Action::Bottom => self.move_by(isize::MAX),
            Action::Enter => self.enter(),
            Action::NextPane => self.cycle_pane(true),
            Action::PrevPane => self.cycle_pane(false),
            Action::SearchStart => self.search = Some(String::new()),
            Action::SearchInput(c) => {
                if let Some(s) = &mut self.search {
                    s.push(c);
                }
            }
            Action::SearchBackspace => {
                if let Some(s) = &mut self.search {
                    s.pop();
                }
            }
            Action::SearchSubmit => {
                let typed = self.search.take().unwrap_or_default();
                if !typed.is_empty() {
                    self.last_search = Some(typed);
                }
                self.find(true);
            }
            Action::SearchCancel => self.search = None,
            Action::FindNext => self.find(true),
            Action::FindPrev => self.find(false),
            Action::NextProblem => self.next_problem(true),
            Action::PrevProblem => self.next_problem(false),
            Action::ToggleProblems => {
                self.filter.problems = !self.filter.problems;
                self.rebuild_view();
            }
            Action::ToggleBreaks => {
                self.filter.breaks = !self.filter.breaks;
                if self.filter.breaks && self.timeline.breaks.is_empty() {
                    self.notice = Some("no oplock or lease breaks in this capture".into());
                }
                self.rebuild_view();
            }
            Action::ToggleSession => self.toggle_session(),
            Action::ToggleChannel => self.toggle_channel(),
            Action::ClearFilters => {
                self.filter = Filter::default();
                self.rebuild_view();
            }
            Action::Help => self.help = !self.help,
            Action::Quit => self.quit = true,
            Action::Scroll { column, row, down } => self.scroll(column, row, down),
            Action::Click { column, row } => self.click(column, row),
        }
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Timeline => {
                self.selected = step(self.selected, delta, self.view.len());
                self.detail_scroll = 0;
            }
            Pane::Tree => {
                let target = step(self.tree_selected, delta, self.tree.len());
                self.tree_selected = self.nearest_selectable(target, delta >= 0);
            }
            Pane::Detail => {
                let lines = u16::try_from(delta.unsigned_abs()).unwrap_or(u16::MAX);
                self.detail_scroll = if delta < 0 {
                    self.detail_scroll.saturating_sub(lines)
                } else {
                    self.detail_scroll.saturating_add(lines).min(u16::MAX / 2)
                };
            }
        }
    }

    /// The selectable tree item at or next to `i`, preferring the direction of travel.
    fn nearest_selectable(&self, i: usize, forward: bool) -> usize {
        let ok = |j: &usize| self.tree.get(*j).is_some_and(|t| t.selectable());
        let ahead = if forward {
            (i..self.tree.len()).find(ok)
        } else {
            (0..=i).rev().find(ok)
        };
        let behind = if forward {
            (0..=i).rev().find(ok)
        } else {
            (i..self.tree.len()).find(ok)
        };
        ahead.or(behind).unwrap_or(self.tree_selected)
    }

    fn cycle_pane(&mut self, forward: bool) {
        self.focus = match (self.focus, forward) {
            (Pane::Tree, true) | (Pane::Detail, false) => Pane::Timeline,
            (Pane::Timeline, true) | (Pane::Tree, false) => Pane::Detail,
            (Pane::Detail, true) | (Pane::Timeline, false) => Pane::Tree,
        };
    }

    fn enter(&mut self) {
        match self.focus {
            Pane::Tree => self.apply_tree_item(),
            Pane::Timeline | Pane::Detail => match self.selected_index().and_then(|i| self.link(i))
            {
                Some((target, _)) => self.select_row(target),
                None => self.notice = Some("no linked message".into()),
            },
        }
    }

    /// The message linked to row `i` and how: the acknowledgment of a break, the break an
    /// acknowledgment answers, or the other half of a request/response exchange.
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
        let row = self.timeline.messages.get(i)?;
        if row.message_id == u64::MAX {
            return None;
        }
        let same = |r: &Row| {
            r.channel == row.channel
                && r.message_id == row.message_id
                && r.is_response != row.is_response
                && r.command == row.command
        };
        let msgs = &self.timeline.messages;
        if row.is_response {
            let lo = i.saturating_sub(PAIR_WINDOW);
            (lo..i)
                .rev()
                .find(|&j| msgs.get(j).is_some_and(same))
                .map(|j| (j, "request"))
        } else {
            let hi = i.saturating_add(PAIR_WINDOW).min(msgs.len());
            // The final response, not an interim STATUS_PENDING one.
            let mut found = None;
            for j in i + 1..hi {
                if msgs.get(j).is_some_and(same) {
                    found = Some(j);
                    if msgs.get(j).is_some_and(|r| r.status != "STATUS_PENDING") {
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

    /// Selects message `i`; clears the filter first when it hides that message.
    fn select_row(&mut self, i: usize) {
        if self.view.binary_search(&i).is_err() {
            self.filter = Filter::default();
            self.rebuild_view();
            self.notice = Some("filter cleared to show the linked message".into());
        }
        if let Ok(pos) = self.view.binary_search(&i) {
            self.selected = pos;
            self.detail_scroll = 0;
        }
        self.focus = Pane::Timeline;
    }

    fn apply_tree_item(&mut self) {
        let Some(item) = self.tree.get(self.tree_selected).copied() else {
            return;
        };
        let (session, channel) = match item {
            TreeItem::All | TreeItem::Heading(_) => (None, None),
            TreeItem::Connection(c) => (None, self.timeline.connections.get(c).map(|c| c.id)),
            TreeItem::Session(s) => (self.timeline.sessions.get(s).map(|s| s.id), None),
            TreeItem::Channel(s, c) => (self.timeline.sessions.get(s).map(|s| s.id), Some(c)),
        };
        self.filter.session = session;
        self.filter.channel = channel;
        self.rebuild_view();
        self.focus = Pane::Timeline;
    }

    fn toggle_session(&mut self) {
        if self.filter.session.take().is_none() {
            match self.selected_row().map(|r| r.session_id) {
                Some(id) if id != 0 => self.filter.session = Some(id),
                _ => self.notice = Some("the selected message has no session".into()),
            }
        }
        self.rebuild_view();
    }

    fn toggle_channel(&mut self) {
        if self.filter.channel.take().is_none() {
            self.filter.channel = self.selected_row().map(|r| r.channel);
        }
        self.rebuild_view();
    }

    fn shows(&self, i: usize, row: &Row) -> bool {
        let f = &self.filter;
        let marks = self.marks.get(&i);
        if f.problems && self.problem_rows.binary_search(&i).is_err() {
            return false;
        }
        if f.breaks && !marks.is_some_and(|m| m.break_of.is_some() || m.ack_of.is_some()) {
            return false;
        }
        if f.session.is_some_and(|s| s != row.session_id) {
            return false;
        }
        if let Some(c) = f.channel {
            // A binding is an event on every channel of the session it binds to.
            let binding_here = marks
                .and_then(|m| m.binding)
                .and_then(|b| self.timeline.bindings.get(b))
                .and_then(|b| self.timeline.sessions.iter().find(|s| s.id == b.session_id))
                .is_some_and(|s| s.channels.contains(&c));
            if row.channel != c && !binding_here {
                return false;
            }
        }
        true
    }

    /// Recomputes the view after a filter change, keeping the selected message or the one
    /// after it.
    fn rebuild_view(&mut self) {
        let current = self.selected_index().unwrap_or(0);
        let view: Vec<usize> = self
            .timeline
            .messages
            .iter()
            .enumerate()
            .filter(|(i, r)| self.shows(*i, r))
            .map(|(i, _)| i)
            .collect();
        self.view = view;
        self.selected = self.view.partition_point(|&i| i < current);
        if self.selected >= self.view.len() {
            self.selected = self.view.len().saturating_sub(1);
        }
        self.offset = 0;
        self.detail_scroll = 0;
        // (A live capture starts with no message at all: nothing to explain then.)
        if self.view.is_empty() && !self.timeline.messages.is_empty() && self.notice.is_none() {
            self.notice = Some(format!(
                "no message matches the filter ({})",
                self.filter.describe()
            ));
        }
    }

    fn next_problem(&mut self, forward: bool) {
        if self.problem_rows.is_empty() {
            self.notice = Some("no problems in this capture".into());
            return;
        }
        let is_problem = |pos: &usize| {
            self.view
                .get(*pos)
                .is_some_and(|i| self.problem_rows.binary_search(i).is_ok())
        };
        let n = self.view.len();
        let (first, wrapped) = if forward {
            (
                (self.selected + 1..n).find(is_problem),
                (0..n.min(self.selected + 1)).find(is_problem),
            )
        } else {
            (
                (0..self.selected).rev().find(is_problem),
                (self.selected..n).rev().find(is_problem),
            )
        };
        match (first, wrapped) {
            (Some(pos), _) => self.selected = pos,
            (None, Some(pos)) => {
                self.selected = pos;
                self.notice = Some(if forward {
                    "wrapped to the first problem".into()
                } else {
                    "wrapped to the last problem".into()
                });
            }
            (None, None) => self.notice = Some("no problem in this view".into()),
        }
        self.detail_scroll = 0;
        self.focus = Pane::Timeline;
    }

    fn find(&mut self, forward: bool) {
        let Some(query) = self.last_search.clone() else {
            self.notice = Some("nothing to find: type / and a search".into());
            return;
        };
        let query = Query::new(&query);
        let matches = |pos: &usize| {
            self.view
                .get(*pos)
                .and_then(|i| self.timeline.messages.get(*i))
                .is_some_and(|r| query.matches(r))
        };
        let n = self.view.len();
        let found = if forward {
            (self.selected + 1..n)
                .chain(0..n.min(self.selected + 1))
                .find(matches)
        } else {
            (0..self.selected)
                .rev()
                .chain((self.selected..n).rev())
                .find(matches)
        };
        match found {
            Some(pos) => {
                self.selected = pos;
                self.detail_scroll = 0;
                self.focus = Pane::Timeline;
            }
            None => {
                let hidden = self.timeline.messages.iter().any(|r| query.matches(r));
                self.notice = Some(if hidden {
                    format!("{}: only in messages the filter hides", query.text)
                } else {
                    format!("not found: {}", query.text)
                });
            }
        }
    }

    fn scroll(&mut self, column: u16, row: u16, down: bool) {
        let at = Position::new(column, row);
        let pane = if self.areas.tree.contains(at) {
            Pane::Tree
        } else if self.areas.detail.contains(at) {
            Pane::Detail
        } else {
            Pane::Timeline
        };
        let saved = self.focus;
        self.focus = pane;
        let step = if pane == Pane::Tree { 1 } else { WHEEL_STEP };
        self.move_by(if down {
            step as isize
        } else {
            -(step as isize)
        });
        self.focus = saved;
    }

    fn click(&mut self, column: u16, row: u16) {
        let at = Position::new(column, row);
        if self.areas.timeline_rows.contains(at) {
            let pos = self.offset + usize::from(row - self.areas.timeline_rows.y);
            if pos < self.view.len() {
                self.selected = pos;
                self.detail_scroll = 0;
            }
            self.focus = Pane::Timeline;
        } else if self.areas.timeline.contains(at) {
            self.focus = Pane::Timeline;
        } else if self.areas.tree.contains(at) {
            self.focus = Pane::Tree;
            let line = usize::from(row.saturating_sub(self.areas.tree.y + 1));
            if self.tree.get(line).is_some_and(|t| t.selectable()) {
                self.tree_selected = line;
            }
        } else if self.areas.detail.contains(at) {
            self.focus = Pane::Detail;
        }
    }
}

/// `from` moved by `delta` within `0..len`.
fn step(from: usize, delta: isize, len: usize) -> usize {
    let last = len.saturating_sub(1);
    if delta < 0 {
        from.saturating_sub(delta.unsigned_abs())
    } else {
        from.saturating_add(delta.unsigned_abs()).min(last)
    }
}

/// A search: a frame number (digits), a session id (`0x` and hex digits), or text found in
/// the command or the file name (any case).
struct Query {
    text: String,
    frame: Option<u64>,
    session: Option<String>,
    lower: String,
}

impl Query {
    fn new(text: &str) -> Query {
        let text = text.trim().to_string();
        let frame = text.strip_prefix('#').unwrap_or(&text).parse::<u64>().ok();
        let lower = text.to_lowercase();
        let session = lower
            .strip_prefix("0x")
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            .map(|h| h.trim_start_matches('0').to_string());
        Query {
            text,
            frame,
            session,
            lower,
        }
    }

    fn matches(&self, r: &Row) -> bool {
        if let Some(f) = self.frame {
            return r.frame == f;
        }
        if let Some(s) = &self.session {
            return format!("{:x}", r.session_id).contains(s.as_str());
        }
        r.command.to_lowercase().contains(&self.lower)
            || r.file
                .as_deref()
                .is_some_and(|f| f.to_lowercase().contains(&self.lower))
    }
}

/// The tree: all messages, the connections, then each session with its channels.
fn tree_items(t: &Timeline) -> Vec<TreeItem> {
    let mut items = vec![TreeItem::All, TreeItem::Heading("Connections")];
    items.extend((0..t.connections.len()).map(TreeItem::Connection));
    items.push(TreeItem::Heading("Sessions"));
    for (i, s) in t.sessions.iter().enumerate() {
        items.push(TreeItem::Session(i));
        items.extend(s.channels.iter().map(|c| TreeItem::Channel(i, *c)));
    }
    items
}

/// Places problems, breaks, acknowledgments and bindings on rows: the row of the same
/// frame and channel, else the first row of that channel from that frame on.
/// Rows with an invalid signature or a problem, ascending.
fn problem_rows(t: &Timeline, marks: &HashMap<usize, Marks>) -> Vec<usize> {
    let mut rows: Vec<usize> = t
        .messages
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.verdict == Verdict::Invalid || marks.get(i).is_some_and(|m| !m.problems.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    rows.dedup();
    rows
}

fn place_events(t: &Timeline) -> HashMap<usize, Marks> {
    let mut order: Vec<usize> = (0..t.messages.len()).collect();
    order.sort_by_key(|&i| t.messages.get(i).map_or(0, |r| r.frame));
    let frame_of = |i: usize| t.messages.get(i).map_or(u64::MAX, |r| r.frame);
    let place = |frame: u64, channel: Option<u32>| -> Option<usize> {
        let start = order.partition_point(|&i| frame_of(i) < frame);
        let rest = order.get(start..)?;
        match channel {
            Some(c) => rest
                .iter()
                .take(PAIR_WINDOW)
                .copied()
                .find(|&i| t.messages.get(i).is_some_and(|r| r.channel == c)),
            None => rest.first().copied(),
        }
    };
    let mut marks: HashMap<usize, Marks> = HashMap::new();
    for (p, problem) in t.problems.iter().enumerate() {
        if let Some(i) = place(problem.frame, problem.channel) {
            marks.entry(i).or_default().problems.push(p);
        }
    }
    for (b, brk) in t.breaks.iter().enumerate() {
        if let Some(i) = place(brk.frame, brk.channel) {
            marks.entry(i).or_default().break_of = Some(b);
        }
        if let Some(i) = brk
            .ack_frame
            .and_then(|f| place(f, brk.ack_channel.or(brk.channel)))
        {
            marks.entry(i).or_default().ack_of = Some(b);
        }
    }
    for (b, binding) in t.bindings.iter().enumerate() {
        if let Some(i) = place(binding.frame, Some(binding.channel)) {
            marks.entry(i).or_default().binding = Some(b);
        }
    }
    marks
}

/// The arrow of a direction, client on the left.
pub fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "→",
        Direction::ToClient => "←",
    }
}

//! Browser state: the timeline, the filtered view of its rows, the selection, the focused
//! pane, the search, and what every action does to them. No drawing and no terminal here.
//!
//! The state lives in [`App`]; what the actions do is split by concern: `filter` (which
//! rows the view shows), `marks` (problems, breaks and bindings placed on rows, and the
//! links between messages), `tree` (the connection/session tree), `navigation` (moving
//! the selection, panes, links, next problem, the mouse) and `search`.

mod filter;
mod lanes;
mod latency;
mod marks;
mod navigation;
mod search;
mod tree;
mod views;

use std::collections::HashMap;

use ratatui::layout::Rect;

use crate::action::Action;
use crate::model::{Row, Timeline};

pub use filter::Filter;
pub use lanes::{EventKind, HealthKind, LaneEvent, LaneRole, LaneSpan, LaneView, SpanKind};
pub use latency::{BUCKETS, Histogram, bucket, histogram};
pub use marks::Marks;
pub use tree::TreeItem;
pub use views::Screen;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Tree,
    Timeline,
    Detail,
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

/// The largest numbers of the timeline, so that its columns never cut one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extents {
    /// The latest message time, nanoseconds.
    pub last_ns: i64,
    pub frame: u64,
    pub conn: u32,
    /// The largest message id (the `-` of an oplock break notification aside).
    pub message_id: u64,
    pub session_id: u64,
}

impl Extents {
    fn add(&mut self, rows: &[Row]) {
        for r in rows {
            let m = &r.message;
            self.last_ns = self.last_ns.max(m.ts.0);
            self.frame = self.frame.max(m.frame);
            self.conn = self.conn.max(m.conn);
            if m.message_id != u64::MAX {
                self.message_id = self.message_id.max(m.message_id);
            }
            self.session_id = self.session_id.max(m.session_id);
        }
    }
}

/// Below this terminal width the tree pane gives its room to the timeline (`t` shows it).
pub const TREE_MIN_WIDTH: u16 = 120;

pub struct App {
    timeline: Timeline,
    extents: Extents,
    /// Rows shown, as indices into `timeline.messages`.
    view: Vec<usize>,
    /// Position in `view`.
    selected: usize,
    /// First visible position in `view`; kept by the drawing.
    pub(crate) offset: usize,
    /// Visible timeline rows at the last drawing.
    pub(crate) page: usize,
    /// Visible lane view rows at the last drawing.
    pub(crate) lanes_page: usize,
    focus: Pane,
    filter: Filter,
    tree: Vec<TreeItem>,
    tree_selected: usize,
    /// The tree pane shown or hidden by the user (`t`); `None`: shown when the terminal
    /// is at least `TREE_MIN_WIDTH` wide.
    tree_shown: Option<bool>,
    pub(crate) detail_scroll: u16,
    search: Option<String>,
    last_search: Option<String>,
    help: bool,
    screen: Screen,
    /// The lane view (and histogram) of the session last opened.
    pub(crate) lanes: Option<LaneView>,
    /// The list of security findings, when shown: the selected one.
    security: Option<usize>,
    notice: Option<String>,
    quit: bool,
    marks: HashMap<usize, Marks>,
    /// Rows with a problem, ascending.
    problem_rows: Vec<usize>,
    pub(crate) areas: Areas,
}

impl App {
    pub fn new(timeline: Timeline) -> App {
        let marks = marks::place_events(&timeline);
        let problem_rows = marks::problem_rows(&timeline, &marks);
        let tree = tree::tree_items(&timeline);
        let tree_selected = tree::first_selectable(&tree);
        let mut extents = Extents::default();
        extents.add(&timeline.messages);
        let mut app = App {
            extents,
            view: Vec::new(),
            selected: 0,
            offset: 0,
            page: 20,
            lanes_page: 20,
            focus: Pane::Timeline,
            filter: Filter::default(),
            tree,
            tree_selected,
            tree_shown: None,
            detail_scroll: 0,
            search: None,
            last_search: None,
            help: false,
            screen: Screen::Timeline,
            lanes: None,
            security: None,
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
            start,
            analysis,
            messages,
        } = update;
        self.extents.add(&messages);
        let t = &mut self.timeline;
        t.title = title;
        t.start = start;
        t.analysis = analysis;
        t.messages.extend(messages);
        self.marks = marks::place_events(&self.timeline);
        self.problem_rows = marks::problem_rows(&self.timeline, &self.marks);
        self.tree = tree::tree_items(&self.timeline);
        if let Some(old) = self.lanes.take() {
            self.lanes = Some(old.rebuilt(&self.timeline));
        }
        if self.tree_selected >= self.tree.len() {
            self.tree_selected = tree::first_selectable(&self.tree);
        }
        self.rebuild_view();
    }
    pub fn extents(&self) -> &Extents {
        &self.extents
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
    /// Whether the tree pane is shown in a terminal `width` columns wide.
    pub fn tree_shown(&self, width: u16) -> bool {
        self.tree_shown.unwrap_or(width >= TREE_MIN_WIDTH)
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
    pub fn screen(&self) -> Screen {
        self.screen
    }
    pub fn lanes(&self) -> Option<&LaneView> {
        self.lanes.as_ref()
    }
    /// The selected security finding when their list is shown.
    pub fn security_shown(&self) -> Option<usize> {
        self.security
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
        if self.security.is_some() && self.handle_security(action) {
            return;
        }
        if self.screen != Screen::Timeline && self.handle_lanes(action) {
            return;
        }
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
            Action::SearchInput(c) => self.edit_search(|s| s.push(c)),
            Action::SearchBackspace => self.edit_search(|s| {
                s.pop();
            }),
            Action::SearchSubmit => self.search_submit(),
            Action::SearchCancel => self.search = None,
            Action::FindNext => self.find(true),
            Action::FindPrev => self.find(false),
            Action::NextProblem => self.next_problem(true),
            Action::PrevProblem => self.next_problem(false),
            Action::ToggleProblems => self.toggle_problems(),
            Action::ToggleBreaks => self.toggle_breaks(),
            Action::ToggleSession => self.toggle_session(),
            Action::ToggleChannel => self.toggle_channel(),
            Action::ClearFilters | Action::Close => self.clear_filters(),
            Action::ToggleTree => self.toggle_tree(),
            Action::Lanes => self.toggle_lanes(),
            Action::Histogram => self.toggle_histogram(),
            Action::Security => self.toggle_security(),
            Action::Left | Action::Right | Action::NextSession | Action::PrevSession => {}
            Action::Help => self.help = !self.help,
            Action::Quit => self.quit = true,
            Action::Scroll { column, row, down } => self.scroll(column, row, down),
            Action::Click { column, row } => self.click(column, row),
        }
    }

    /// An action in the lane view or the histogram; false when the timeline's applies.
    fn handle_lanes(&mut self, action: Action) -> bool {
        let page = self.lanes_page.max(1) as isize;
        match action {
            Action::Up => self.lanes_move(-1),
            Action::Down => self.lanes_move(1),
            Action::PageUp => self.lanes_move(-page),
            Action::PageDown => self.lanes_move(page),
            Action::Top => self.lanes_move(isize::MIN),
            Action::Bottom => self.lanes_move(isize::MAX),
            Action::Left => self.lanes_scroll(false),
            Action::Right => self.lanes_scroll(true),
            Action::NextSession => self.next_session(true),
            Action::PrevSession => self.next_session(false),
            Action::Enter => self.lanes_enter(),
            Action::Scroll { down, .. } => self.lanes_move(if down { 3 } else { -3 }),
            Action::Close => self.screen = Screen::Timeline,
            Action::Lanes | Action::Histogram | Action::Security => return false,
            Action::Help | Action::Quit => return false,
            _ => {}
        }
        true
    }

    /// An action in the list of security findings; false when the rest applies.
    fn handle_security(&mut self, action: Action) -> bool {
        match action {
            Action::Up => self.security_move(-1),
            Action::Down => self.security_move(1),
            Action::Top => self.security_move(isize::MIN),
            Action::Bottom => self.security_move(isize::MAX),
            Action::Enter => self.security_enter(),
            Action::Close | Action::Security => self.security = None,
            Action::Quit => return false,
            _ => {}
        }
        true
    }
}

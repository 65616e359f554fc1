//! The vocabulary between input and state: what the user asked for. `input` maps keys and
//! the mouse to these; [`App::handle`](crate::App::handle) carries them out.

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
    /// Show or hide the tree pane.
    ToggleTree,
    /// Open or close the channel-lane view of a session.
    Lanes,
    /// Open or close the latency histogram of the lane view's session.
    Histogram,
    /// Open or close the list of security findings.
    Security,
    /// Lane view: scroll the lanes sideways.
    Left,
    Right,
    /// Lane view and histogram: the next or previous session.
    NextSession,
    PrevSession,
    /// Close what is open over the timeline (a view or a list).
    Close,
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

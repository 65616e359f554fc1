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

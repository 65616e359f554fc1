//! The command-line application: arguments, the run over capture files or a live interface,
//! the pipeline that feeds the engine and writes the reports, progress, and the bridge to the
//! TUI. Only this module knows the command line.

pub mod cli;
#[cfg(feature = "live")]
pub mod live;
pub mod memory;
pub mod origin;
pub mod pipeline;
pub mod progress;
pub mod run;
pub mod secret_arg;
pub mod tui_view;

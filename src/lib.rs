//! smbcheck: read SMB traffic from captures, replay NTLM, verify every signature,
//! report sessions, channels and oplock/lease breaks.
//!
//! Data flow (see DESIGN.md): `capture` (frames) -> `flow` (TCP reassembly, NBSS framing,
//! PDUs) -> `dissectors` crate (typed SMB records) -> `engine` (connections, sessions,
//! `auth` replay, `keys`, `sign` verdicts) -> `report` (text, JSON, JSONL).

pub mod auth;
pub mod capture;
pub mod cli;
pub mod crypt;
pub mod engine;
pub mod flow;
pub mod keys;
pub mod limits;
#[cfg(feature = "live")]
pub mod live;
pub mod mac;
pub mod memory;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod run;
pub mod secret_arg;
pub mod sign;
pub mod slices;
pub mod tui_view;

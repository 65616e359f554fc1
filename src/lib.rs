//! smbcheck: read SMB traffic from captures, replay NTLM, verify every signature,
//! report sessions, channels and oplock/lease breaks.
//!
//! Data flow (see DESIGN.md): `capture` (frames) -> `flow` (TCP reassembly, NBSS framing,
//! PDUs) -> `dissectors` crate (typed SMB records) -> `engine` (connections, sessions,
//! `auth` replay, `keys`, `sign` verdicts) -> `report` (text, JSON, JSONL).

pub mod app;
pub mod auth;
pub mod capture;
pub mod crypt;
pub mod engine;
pub mod flow;
pub mod keys;
pub mod limits;
pub mod mac;
pub mod model;
pub mod report;
pub mod sign;
pub mod slices;

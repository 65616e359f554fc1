//! smbcheck: read SMB traffic from captures, replay NTLM and Kerberos logons, verify every
//! signature, report sessions, channels and oplock/lease breaks.
//!
//! Data flow (ARCHITECTURE.md): `capture` (frames) -> `flow` (TCP reassembly, NBSS framing,
//! PDUs) -> `dissectors` crate (typed records) -> `engine` (connections, sessions, `auth`
//! replay, `crypto` keys and verdicts) -> `model` -> `report` (text, JSON, JSONL) and the TUI;
//! `app` is the command line.

pub mod app;
pub mod auth;
pub mod capture;
pub mod crypto;
pub mod engine;
pub mod flow;
pub mod limits;
pub use smbcheck_model as model;
pub mod report;
pub mod slices;

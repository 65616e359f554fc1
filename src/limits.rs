//! Resource limits: how much state a capture may make smbcheck hold. A crafted capture
//! must not exhaust memory; real captures never come near these numbers. When a limit is
//! hit, the flow or session concerned is reported (`limit-reached`, naming the limit) and
//! the bytes or messages that were dropped count as lost (`unverified`, never `invalid`).
//!
//! Bounds that need no setting: an NBSS message is at most 16 MiB (24-bit length; 128 KiB
//! on port 139), a capture record at most 256 KiB (`capture::MAX_RECORD_LEN`).

/// `--help` and the man page: exit status, limits, secrets.
pub const LONG_HELP: &str = "Exit status: 0 nothing wrong found, 1 a check failed (an invalid \
signature or a password that did not match), 2 the input or the command line could not be used.

Limits: at most 100000 TCP flows tracked at once, 64 MiB of out-of-order bytes per direction \
of a connection, 1 GiB buffered by all connections together, 100000 sessions, 64 session \
setups in progress per connection; an SMB message is at most 16 MiB (NBSS length). Real \
captures stay far below; a capture that reaches one gets a limit-reached problem naming the \
limit and the connection, the bytes dropped count as lost (unverified, never invalid), and the \
rest is analysed.

Secrets: give the password with --password-file, SMBCHECK_PASSWORD or --password-prompt \
(typed without echo) rather than --password, which shows in the process list. Passwords, NT \
hashes and keys never appear in the report or in messages; --export-keys is the only place \
keys are written.";

/// The limits of one run. `Default` is what smbcheck uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// TCP flows tracked at once (SMB connections, flows not yet known to be SMB, and
    /// non-SMB flows remembered so they are not looked at again). Finished flows are
    /// forgotten first when the table is full; after that a new flow is not followed.
    pub max_flows: usize,
    /// Out-of-order bytes buffered per direction of a connection, waiting for a hole in
    /// front of them to be filled. Beyond it the hole is given up as lost.
    pub max_backlog_per_flow: usize,
    /// Bytes buffered by all connections together: out-of-order backlogs and SMB
    /// messages not yet complete. Beyond it the connection that pushed the total over
    /// drops what it buffers (its unfinished messages are handed on as lost bytes).
    pub max_buffered_total: usize,
    /// SMB sessions (SMB2 session ids, SMB1 logons) remembered over the whole capture.
    /// Messages of sessions beyond it are not checked (no key).
    pub max_sessions: usize,
    /// SMB2 session setups in progress on one connection.
    pub max_setups_per_connection: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 100_000,
            max_backlog_per_flow: 64 * 1024 * 1024,
            max_buffered_total: 1024 * 1024 * 1024,
            max_sessions: 100_000,
            max_setups_per_connection: 64,
        }
    }
}

/// Which limit was reached, for the `limit-reached` problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    Flows,
    BacklogPerFlow,
    BufferedTotal,
    Sessions,
    SetupsPerConnection,
}

impl Limit {
    /// The limit's name and value as the report shows them.
    pub fn describe(self, limits: &Limits) -> String {
        match self {
            Limit::Flows => format!("{} TCP flows tracked at once", limits.max_flows),
            Limit::BacklogPerFlow => format!(
                "{} out-of-order bytes buffered per direction",
                limits.max_backlog_per_flow
            ),
            Limit::BufferedTotal => format!(
                "{} bytes buffered by all connections",
                limits.max_buffered_total
            ),
            Limit::Sessions => format!("{} sessions", limits.max_sessions),
            Limit::SetupsPerConnection => format!(
                "{} session setups in progress per connection",
                limits.max_setups_per_connection
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_states_the_default_limits() {
        let l = Limits::default();
        let mib = |n: usize| format!("{} MiB", n >> 20);
        for stated in [
            format!("{} TCP flows", l.max_flows),
            format!("{} of out-of-order", mib(l.max_backlog_per_flow)),
            format!("{} GiB buffered", l.max_buffered_total >> 30),
            format!("{} sessions", l.max_sessions),
            format!("{} session\nsetups", l.max_setups_per_connection).replace('\n', " "),
        ] {
            assert!(LONG_HELP.contains(&stated), "{stated:?} not in the help");
        }
    }
}

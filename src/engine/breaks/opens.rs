//! The files requests name and the opens that hold oplocks, SMB2 and SMB1 alike: a
//! CREATE (NT_CREATE_ANDX) request remembered until its response, then the open it
//! returned.

use crate::flow::ConnId;

use super::Tracker;
use super::cause::CreateSeen;

/// A file as a request names it: by path on a share.
#[derive(Debug, Clone)]
pub(super) struct Named {
    pub name: String,
    pub share: Option<String>,
    /// How paths are compared (see [`path_key`]).
    pub path_key: String,
}

impl Named {
    /// `name` on `share` of `server`, or on the tree `tree` when its share is not known.
    pub fn new(server: &str, share: Option<String>, tree: Option<u32>, name: String) -> Self {
        let path_key = path_key(server, share.as_deref(), tree, &name);
        Named {
            name,
            share,
            path_key,
        }
    }

    /// `share\name`, or just the name when the share is not known.
    pub fn display(&self) -> String {
        let name = self.name.trim_start_matches('\\');
        match &self.share {
            Some(s) => format!("{s}\\{name}"),
            None => name.to_string(),
        }
    }
}

/// A CREATE request awaiting its response.
#[derive(Debug, Clone)]
pub(super) struct PendingCreate {
    pub file: Named,
    pub session_id: u64,
    pub frame: u64,
    pub ts: crate::capture::Timestamp,
}

impl PendingCreate {
    /// The open the successful response `create_msg` on `conn` returned, at `level`.
    pub fn open(self, conn: ConnId, create_msg: u64, level: u8) -> Open {
        Open {
            file: self.file,
            session_id: self.session_id,
            conn,
            create_frame: self.frame,
            create_msg,
            level,
        }
    }
}

/// An open file, SMB2 (keyed by server and FileId) or SMB1 (keyed by connection and FID).
#[derive(Debug, Clone)]
pub(super) struct Open {
    pub file: Named,
    pub session_id: u64,
    pub conn: ConnId,
    /// Frame and MessageId (SMB1: MID) of the CREATE request.
    pub create_frame: u64,
    pub create_msg: u64,
    /// Current oplock level (SMB2 `OPLOCK_LEVEL_*`, SMB1 `OPLOCK_*`).
    pub level: u8,
}

impl Tracker {
    /// A CREATE request of `file`, seen as `seen`: remembered as a possible cause of
    /// breaks, and until its response.
    pub(super) fn create_requested(&mut self, seen: CreateSeen, file: Named) {
        let key = (seen.conn, seen.msg);
        let pending = PendingCreate {
            file,
            session_id: seen.session_id,
            frame: seen.frame,
            ts: seen.ts,
        };
        self.seen_create(&pending.file.path_key, seen);
        self.creates.insert(key, pending);
    }
}

/// `\\server\share` (or just `share`) to `share`.
pub(super) fn share_of(path: &str) -> String {
    path.rsplit('\\').next().unwrap_or(path).to_string()
}

/// How paths are compared: server, share (or tree id when the tree connect was not
/// seen), name, case-insensitively.
fn path_key(server: &str, share: Option<&str>, tree: Option<u32>, name: &str) -> String {
    let share = match (share, tree) {
        (Some(s), _) => s.to_lowercase(),
        (None, Some(t)) => format!("tree:{t}"),
        (None, None) => String::new(),
    };
    let name = name.trim_start_matches('\\').to_lowercase();
    format!("{server}|{share}|{name}")
}

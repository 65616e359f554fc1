//! What caused a break: the requests that touch a path (CREATE, NT_CREATE_ANDX, DELETE,
//! WRITE, WRITE_ANDX) are remembered per path, and a break is put down to the latest one
//! from someone other than the holder before the notification.

use std::collections::VecDeque;

use crate::capture::Timestamp;
use crate::flow::ConnId;
use crate::model::BreakCause;

use super::opens::{Named, Open};
use super::oplocks::OplockKey;
use super::{Ctx, Tracker};

/// CREATEs remembered per path.
const CREATES_PER_PATH: usize = 4;

/// A CREATE seen on a path, remembered to explain a later break.
#[derive(Debug, Clone)]
pub(super) struct CreateSeen {
    pub command: &'static str,
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    pub msg: u64,
    pub session_id: u64,
    pub client_guid: Option<String>,
    pub lease_key: Option<[u8; 16]>,
    pub path: String,
}

impl CreateSeen {
    /// `command` (MessageId or SMB1 PID and MID `msg`, of `session_id`) naming `file`,
    /// seen at `cx`; without a lease key.
    pub fn new(cx: &Ctx, command: &'static str, msg: u64, session_id: u64, file: &Named) -> Self {
        CreateSeen {
            command,
            frame: cx.frame,
            ts: cx.ts,
            conn: cx.conn,
            msg,
            session_id,
            client_guid: cx.client_guid.map(str::to_string),
            lease_key: None,
            path: file.display(),
        }
    }
}

impl Tracker {
    /// Remembers a request that touched the path `path_key` (the latest few per path).
    pub(super) fn seen_create(&mut self, path_key: &str, seen: CreateSeen) {
        let key = path_key.to_string();
        match self.recent.get_mut(&key) {
            Some(list) => {
                if list.len() >= CREATES_PER_PATH {
                    list.pop_front();
                }
                list.push_back(seen);
            }
            None => self.recent.insert(key, VecDeque::from([seen])),
        }
    }

    /// A WRITE (`command`) to the open `key`, if known: it may break others' oplocks on
    /// its path.
    pub(super) fn seen_write<K: OplockKey>(
        &mut self,
        cx: &Ctx,
        command: &'static str,
        (msg, session_id): (u64, u64),
        key: &K,
    ) {
        if let Some(o) = K::table(self).opens.get(key) {
            let seen = CreateSeen::new(cx, command, msg, session_id, &o.file);
            let path_key = o.file.path_key.clone();
            self.seen_create(&path_key, seen);
        }
    }

    /// The CREATE of the same path by someone else that preceded an oplock break of `open`.
    pub(super) fn oplock_cause(&self, open: &Open, frame: u64) -> Option<BreakCause> {
        self.cause(
            std::slice::from_ref(&open.file.path_key),
            frame,
            open.create_frame,
            |c| !(c.conn == open.conn && c.msg == open.create_msg),
            open.session_id,
            open.conn,
        )
    }

    /// The latest CREATE (DELETE, WRITE) of one of `paths` after `since` and up to `frame`
    /// that `other` accepts.
    pub(super) fn cause(
        &self,
        paths: &[String],
        frame: u64,
        since: u64,
        other: impl Fn(&CreateSeen) -> bool,
        session_id: u64,
        conn: ConnId,
    ) -> Option<BreakCause> {
        let candidates: Vec<&CreateSeen> = paths
            .iter()
            .filter_map(|p| self.recent.get(p))
            .flatten()
            .filter(|c| c.frame <= frame && c.frame >= since && other(c))
            .collect();
        let pick = candidates.into_iter().max_by_key(|c| c.frame)?;
        Some(BreakCause {
            command: pick.command,
            frame: pick.frame,
            conn: pick.conn,
            session_id: pick.session_id,
            client_guid: pick.client_guid.clone(),
            same_session: pick.session_id == session_id,
            same_connection: pick.conn == conn,
            path: pick.path.clone(),
            ts: pick.ts,
            interim_frame: None,
            response_frame: None,
            response_status: None,
            wait_ms: None,
        })
    }
}

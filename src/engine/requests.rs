//! Requests awaiting their responses, per connection: a response learns the frame of the
//! request it answers (`Message::request_frame`), and the file a CREATE or NT_CREATE_ANDX
//! request opens is named on the request and on the responses answering it
//! (`Message::file`).
//!
//! SMB2 pairs by MessageId; a final response (not STATUS_PENDING) ends the exchange. SMB1
//! pairs by PID and MID; a transaction may take several responses, so its request stays
//! until the MID is reused. A CANCEL (NT_CANCEL) reuses the ids of the request it cancels
//! and is not remembered, nor are SMB1 secondary requests, which take no response.

use std::collections::BTreeMap;

use dissectors::smb1::{
    self, COM_ECHO, COM_NEGOTIATE, COM_NT_CREATE_ANDX, COM_NT_TRANSACT, COM_TRANSACTION,
    COM_TRANSACTION2,
};
use dissectors::smb2::{self, Body, COMMAND_CANCEL, COMMAND_NEGOTIATE};

use super::Engine;
use crate::flow::Direction;
use crate::model::{Message, Protocol};

/// Requests remembered per connection; past it the one with the lowest key is dropped.
const MAX_OPEN_REQUESTS: usize = 4096;

/// The requests of one connection not yet answered (or, SMB1 transactions, not yet known
/// to be).
#[derive(Debug, Default)]
pub(super) struct Requests {
    /// By (protocol, MessageId) for SMB2, (protocol, PID << 16 | MID) for SMB1.
    open: BTreeMap<(Protocol, u64), Request>,
    /// The frame of the latest SMB1 NEGOTIATE request: an SMB2 server answers it with an
    /// SMB2 NEGOTIATE response (the multi-protocol negotiate, MS-SMB2 3.3.5.3.1).
    smb1_negotiate: Option<u64>,
}

#[derive(Debug)]
struct Request {
    frame: u64,
    command: u16,
    file: Option<String>,
}

impl Requests {
    fn request(&mut self, key: (Protocol, u64), frame: u64, command: u16, file: Option<String>) {
        if self.open.len() >= MAX_OPEN_REQUESTS && !self.open.contains_key(&key) {
            self.open.pop_first();
        }
        self.open.insert(
            key,
            Request {
                frame,
                command,
                file,
            },
        );
    }

    /// The frame and file of the request a response with `command` answers; the request
    /// is forgotten when `last`.
    fn response(
        &mut self,
        key: (Protocol, u64),
        command: u16,
        last: bool,
    ) -> Option<(u64, Option<String>)> {
        if self.open.get(&key)?.command != command {
            return None;
        }
        if last {
            self.open.remove(&key).map(|r| (r.frame, r.file))
        } else {
            self.open.get(&key).map(|r| (r.frame, r.file.clone()))
        }
    }
}

impl Engine {
    /// Pairs an SMB2 message with its request (`body` is its parsed body, if any).
    pub(super) fn pair_smb2(&mut self, m: &mut Message, h: &smb2::Header, body: Option<&Body>) {
        let Some(c) = self.conns.get_mut(m.conn as usize) else {
            return;
        };
        let requests = &mut c.requests;
        let key = (Protocol::Smb2, h.message_id);
        if !h.is_response() {
            if h.command != COMMAND_CANCEL {
                m.file = match body {
                    Some(Body::CreateRequest(req)) => Some(req.name_string()),
                    _ => None,
                };
                requests.request(key, m.frame, h.command, m.file.clone());
            }
            return;
        }
        match requests.response(key, h.command, m.is_final()) {
            Some((frame, file)) => {
                m.request_frame = Some(frame);
                m.file = file;
            }
            None if h.command == COMMAND_NEGOTIATE && h.message_id == 0 => {
                m.request_frame = requests.smb1_negotiate.take();
            }
            None => {}
        }
    }

    /// Pairs an SMB1 message (with its AndX followers) with its request.
    pub(super) fn pair_smb1(&mut self, m: &mut Message, msg: &smb1::Message) {
        let h = &msg.header;
        let Some(c) = self.conns.get_mut(m.conn as usize) else {
            return;
        };
        let requests = &mut c.requests;
        let key = (
            Protocol::Smb1,
            (u64::from(h.pid()) << 16) | u64::from(h.mid),
        );
        let command = u16::from(h.command);
        if !h.is_response() {
            // A server's oplock break is a request too, answered by none.
            if m.dir == Direction::ToClient || super::smb1::one_way(h.command) {
                return;
            }
            m.file = msg.chain().filter_map(Result::ok).find_map(|b| {
                (b.command == COM_NT_CREATE_ANDX)
                    .then(|| smb1::parse_nt_create_request(h, &b).ok())
                    .flatten()
                    .map(|r| r.name.to_string_lossy())
            });
            if h.command == COM_NEGOTIATE {
                requests.smb1_negotiate = Some(m.frame);
            }
            requests.request(key, m.frame, command, m.file.clone());
            return;
        }
        let last = !matches!(
            h.command,
            COM_TRANSACTION | COM_TRANSACTION2 | COM_NT_TRANSACT | COM_ECHO
        );
        if let Some((frame, file)) = requests.response(key, command, last) {
            m.request_frame = Some(frame);
            m.file = file;
        }
    }
}

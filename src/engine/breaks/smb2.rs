//! SMB2 messages as the break tracker reads them: trees, CREATEs and CLOSEs (the open-file
//! table, also across related compound elements), WRITEs (a cause of breaks), oplock and
//! lease break notifications, acknowledgments and the server's responses to them.

use dissectors::smb2::{
    self, Body, COMMAND_CLOSE, COMMAND_CREATE, COMMAND_OPLOCK_BREAK, COMMAND_TREE_CONNECT,
    CreateContextData, Element, FileId,
};
use dissectors::status::{STATUS_PENDING, STATUS_SUCCESS};

use crate::flow::ConnId;
use crate::model::{BreakAck, BreakKind, Protocol};

use super::cause::CreateSeen;
use super::names::{file_id_text, lease_state_name, oplock_name};
use super::opens::{Named, share_of};
use super::oplocks::{OplockKey, OplockNotice, Oplocks};
use super::{Ctx, Tracker, ack_record};

/// A file an SMB2 request names: a FileId, or (related compound element after a CREATE)
/// whatever FileId the CREATE with this MessageId returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileRef {
    Known(FileId),
    CreatedBy(ConnId, u64),
}

impl Tracker {
    pub fn smb2(&mut self, cx: &Ctx, el: &Element, body: Option<&Body>) {
        self.seen_at(cx.ts);
        let h = &el.header;
        if el.offset == 0 {
            self.compound_file.remove(&cx.conn);
        }
        if h.is_response() {
            self.smb2_response(cx, h, body);
            return;
        }
        let key = (cx.conn, h.message_id);
        let file = match (h.command, body) {
            (COMMAND_TREE_CONNECT, Some(Body::TreeConnectRequest(req))) => {
                self.tree_requests.insert(key, share_of(&req.path_string()));
                return;
            }
            (COMMAND_CREATE, Some(Body::CreateRequest(req))) => {
                self.create_request(cx, h, req);
                FileRef::CreatedBy(cx.conn, h.message_id)
            }
            (COMMAND_CLOSE, Some(Body::CloseRequest(req))) => {
                let f = self.file_ref(cx.conn, h, req.file_id);
                self.closes.insert(key, f);
                f
            }
            (COMMAND_OPLOCK_BREAK, Some(Body::OplockBreak(ack))) => {
                let f = self.file_ref(cx.conn, h, ack.file_id);
                self.smb2_oplock_ack(cx, h, ack.oplock_level, f);
                f
            }
            (COMMAND_OPLOCK_BREAK, Some(Body::LeaseBreakAck(ack))) => {
                self.lease_ack(cx, h, ack);
                return;
            }
            (_, Some(Body::IoctlRequest(r))) => self.file_ref(cx.conn, h, r.file_id),
            (_, Some(Body::ReadRequest(r))) => self.file_ref(cx.conn, h, r.file_id),
            (_, Some(Body::WriteRequest(r))) => {
                let f = self.file_ref(cx.conn, h, r.file_id);
                if let Some(fid) = self.resolve(f) {
                    let msg = (h.message_id, h.session_id);
                    self.seen_write(cx, "WRITE", msg, &open_key(cx, fid));
                }
                f
            }
            _ => return,
        };
        self.compound_file.insert(cx.conn, file);
    }

    /// Server to client.
    fn smb2_response(&mut self, cx: &Ctx, h: &smb2::Header, body: Option<&Body>) {
        if h.message_id == u64::MAX && h.command == COMMAND_OPLOCK_BREAK {
            match body {
                Some(Body::OplockBreak(n)) => self.oplock_notification(
                    cx,
                    OplockNotice {
                        key: open_key(cx, n.file_id),
                        session_id: (h.session_id != 0).then_some(h.session_id),
                        file_id: file_id_text(n.file_id),
                        level: n.oplock_level,
                    },
                ),
                Some(Body::LeaseBreakNotification(n)) => self.lease_notification(cx, n),
                _ => {}
            }
            return;
        }
        let key = (cx.conn, h.message_id);
        if h.status == STATUS_PENDING && h.is_async() {
            // interim: the final response follows
            if h.command == COMMAND_CREATE
                && let Some(req) = self.creates.get(&key)
            {
                let frame = req.frame;
                self.create_interim(cx.conn, frame, cx.frame);
            }
            return;
        }
        match h.command {
            COMMAND_TREE_CONNECT => {
                if let Some(share) = self.tree_requests.remove(&key)
                    && h.status == STATUS_SUCCESS
                    && let Some(tid) = h.tree_id()
                {
                    self.trees.insert((h.session_id, tid), share);
                }
            }
            COMMAND_CREATE => self.create_response(cx, h, body),
            COMMAND_CLOSE => {
                if let Some(f) = self.closes.remove(&key)
                    && h.status == STATUS_SUCCESS
                    && let Some(fid) = self.resolve(f)
                {
                    self.oplocks.opens.remove(&open_key(cx, fid));
                }
            }
            COMMAND_OPLOCK_BREAK => self.ack_response(cx, h, body),
            _ => {}
        }
    }

    fn smb2_oplock_ack(&mut self, cx: &Ctx, h: &smb2::Header, level: u8, f: FileRef) {
        let fid = self.resolve(f);
        let ack = ack_record(
            cx,
            h.session_id,
            h.message_id,
            oplock_name(level).to_string(),
        );
        self.oplock_ack(cx, fid.map(|fid| open_key(cx, fid)), ack, || {
            format!(
                "oplock break acknowledgment for FileId {}",
                fid.map(file_id_text).unwrap_or_else(|| "?".into())
            )
        });
    }

    /// The file a request names, resolving the related-compound FileId 0xFF..FF to the
    /// previous element's file (MS-SMB2 3.2.4.1.4).
    fn file_ref(&self, conn: ConnId, h: &smb2::Header, fid: FileId) -> FileRef {
        if fid == FileId::RELATED
            && h.is_related()
            && let Some(f) = self.compound_file.get(&conn)
        {
            return *f;
        }
        FileRef::Known(fid)
    }

    fn resolve(&self, f: FileRef) -> Option<FileId> {
        match f {
            FileRef::Known(fid) => Some(fid),
            FileRef::CreatedBy(conn, msg) => self.created.get(&(conn, msg)).copied(),
        }
    }

    fn create_request(&mut self, cx: &Ctx, h: &smb2::Header, req: &smb2::CreateRequest) {
        let share = h
            .tree_id()
            .and_then(|t| self.trees.get(&(h.session_id, t)).cloned());
        let lease_key =
            req.contexts
                .find(smb2::CREATE_REQUEST_LEASE)
                .and_then(|c| match c.parse(false) {
                    Ok(CreateContextData::Lease(l)) => Some(l.key),
                    _ => None,
                });
        let file = Named::new(cx.server, share, h.tree_id(), req.name_string());
        let seen = CreateSeen {
            lease_key,
            ..CreateSeen::new(cx, "CREATE", h.message_id, h.session_id, &file)
        };
        self.create_requested(seen, file);
    }

    fn create_response(&mut self, cx: &Ctx, h: &smb2::Header, body: Option<&Body>) {
        let Some(req) = self.creates.remove(&(cx.conn, h.message_id)) else {
            return;
        };
        self.create_done((cx.conn, req.frame, req.ts), cx.frame, cx.ts, h.status);
        let Some(Body::CreateResponse(resp)) = body else {
            return;
        };
        if h.status != STATUS_SUCCESS {
            return;
        }
        self.created.insert((cx.conn, h.message_id), resp.file_id);
        let granted = resp
            .contexts
            .find(smb2::CREATE_REQUEST_LEASE)
            .and_then(|c| match c.parse(true) {
                Ok(CreateContextData::Lease(l)) => Some(l),
                _ => None,
            });
        if let Some(l) = granted {
            self.lease_granted(cx, &l, &req);
        }
        self.oplocks.opens.insert(
            open_key(cx, resp.file_id),
            req.open(cx.conn, h.message_id, resp.oplock_level),
        );
    }

    fn ack_response(&mut self, cx: &Ctx, h: &smb2::Header, body: Option<&Body>) {
        let key = (cx.conn, h.message_id);
        if let Some(j) = self.late_acks.remove(&key) {
            self.late_answered(j, cx.frame, h.status);
            return;
        }
        let level = match body {
            Some(Body::OplockBreak(r)) => Some(oplock_name(r.oplock_level).to_string()),
            Some(Body::LeaseBreakAck(r)) => Some(lease_state_name(r.lease_state)),
            _ => None,
        };
        let answer = |a: &mut BreakAck| {
            a.response_frame = Some(cx.frame);
            a.response_conn = Some(cx.conn);
            a.status = Some(h.status);
            a.response_level = level.clone();
        };
        let accepted = if let Some((i, mut ack, what)) = self.repeats.remove(&key) {
            self.counts.responses += 1;
            answer(&mut ack);
            self.repeat_answered(i, ack, what)
        } else if let Some(i) = self.acks.remove(&key) {
            self.counts.responses += 1;
            if h.status != STATUS_SUCCESS {
                self.counts.rejected += 1;
            }
            self.breaks[i].ack.as_mut().map(answer);
            (h.status == STATUS_SUCCESS).then_some(i)
        } else {
            None
        };
        // The open's oplock level or the lease's state is now the acknowledged one.
        match (accepted.map(|i| self.breaks[i].kind), body) {
            (Some(BreakKind::Oplock), Some(Body::OplockBreak(r))) => {
                if let Some(o) = self.oplocks.opens.get_mut(&open_key(cx, r.file_id)) {
                    o.level = r.oplock_level;
                }
            }
            (Some(BreakKind::Lease), Some(Body::LeaseBreakAck(r))) => {
                self.lease_acknowledged(cx, r.lease_key, r.lease_state);
            }
            _ => {}
        }
    }
}

/// SMB2 opens are keyed by server and FileId.
impl OplockKey for (String, FileId) {
    const PROTOCOL: Protocol = Protocol::Smb2;
    const LEVEL_NAME: fn(u8) -> &'static str = oplock_name;
    const ACK_REQUIRED: fn(u8) -> Option<bool> = ack_required;
    fn table(t: &mut Tracker) -> &mut Oplocks<Self> {
        &mut t.oplocks
    }
}

/// A break from level II needs no acknowledgment (MS-SMB2 3.3.4.6: only breaks from
/// exclusive or batch wait for one); from a lease level, the level does not tell.
fn ack_required(old: u8) -> Option<bool> {
    match old {
        smb2::OPLOCK_LEVEL_EXCLUSIVE | smb2::OPLOCK_LEVEL_BATCH => Some(true),
        smb2::OPLOCK_LEVEL_II | smb2::OPLOCK_LEVEL_NONE => Some(false),
        _ => None,
    }
}

/// An SMB2 open: FileIds are the server's, whichever channel they came over.
fn open_key(cx: &Ctx, fid: FileId) -> (String, FileId) {
    (cx.server.to_string(), fid)
}

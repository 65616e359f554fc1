//! Oplock and lease breaks (issue 5): the opens that hold oplocks and leases, the break
//! notifications, the acknowledgments and the server's responses, correlated across every
//! connection (a break may go out on one channel of a session and be acknowledged on
//! another), and the CREATE that caused each break when the capture shows it.
//!
//! Memory stays bounded however long the capture: every table is a [`Capped`] map that
//! evicts its oldest entries (the open-file table holds at most [`MAX_OPENS`] opens over all
//! connections, oldest evicted first), and the list of breaks kept for the report stops at
//! [`MAX_BREAKS`] (later breaks are still counted).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use dissectors::smb2::{
    self, Body, COMMAND_CLOSE, COMMAND_CREATE, COMMAND_OPLOCK_BREAK, COMMAND_TREE_CONNECT,
    CreateContextData, Element, FileId,
};
use dissectors::status::{STATUS_PENDING, STATUS_SUCCESS};

use crate::capture::Timestamp;
use crate::flow::{ConnId, Direction};
use crate::model::{Break, BreakAck, BreakCause, BreakCounts, BreakKind, Protocol};

/// Opens remembered (SMB2 and SMB1 together), oldest evicted first.
pub const MAX_OPENS: usize = 65536;
/// Leases remembered, oldest evicted first.
const MAX_LEASES: usize = 65536;
/// Paths whose recent CREATEs are remembered (to name the cause of a break).
const MAX_PATHS: usize = 65536;
/// CREATEs remembered per path.
const CREATES_PER_PATH: usize = 4;
/// Paths listed per lease key.
const PATHS_PER_LEASE: usize = 16;
/// Trees, and requests awaiting their responses, remembered.
const MAX_PENDING: usize = 65536;
/// Breaks kept for the report.
pub const MAX_BREAKS: usize = 100_000;

/// A map that holds at most `cap` entries and forgets the oldest inserted first.
#[derive(Debug)]
pub struct Capped<K, V> {
    map: HashMap<K, (u64, V)>,
    order: VecDeque<(u64, K)>,
    cap: usize,
    next: u64,
}

impl<K: Eq + Hash + Clone, V> Capped<K, V> {
    pub fn new(cap: usize) -> Self {
        Capped {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
            next: 0,
        }
    }

    pub fn insert(&mut self, k: K, v: V) {
        self.next += 1;
        self.map.insert(k.clone(), (self.next, v));
        self.order.push_back((self.next, k));
        while self.map.len() > self.cap {
            let Some((seq, k)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|(s, _)| *s == seq) {
                self.map.remove(&k);
            }
        }
        // Re-inserted keys leave stale entries behind: drop them now and then.
        if self.order.len() > 2 * self.cap + 16 {
            let map = &self.map;
            self.order
                .retain(|(seq, k)| map.get(k).is_some_and(|(s, _)| s == seq));
        }
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(_, v)| v)
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k).map(|(_, v)| v)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// Where a message was seen, and what is known of its connection.
pub struct Ctx<'a> {
    pub conn: ConnId,
    pub frame: u64,
    pub ts: Timestamp,
    pub dir: Direction,
    /// Names the server across channels: its GUID when negotiated, else its address.
    pub server: &'a str,
    pub client_guid: Option<&'a str>,
}

/// An open file, SMB2 (keyed by server and FileId) or SMB1 (keyed by connection and FID).
#[derive(Debug, Clone)]
struct Open {
    name: String,
    share: Option<String>,
    path_key: String,
    session_id: u64,
    conn: ConnId,
    /// Frame and MessageId (SMB1: MID) of the CREATE request.
    create_frame: u64,
    create_msg: u64,
    /// Current oplock level (SMB2 `OPLOCK_LEVEL_*`, SMB1 `OPLOCK_*`).
    level: u8,
}

/// A CREATE request awaiting its response.
#[derive(Debug, Clone)]
struct PendingCreate {
    name: String,
    share: Option<String>,
    path_key: String,
    session_id: u64,
    frame: u64,
}

/// A CREATE seen on a path, remembered to explain a later break.
#[derive(Debug, Clone)]
struct CreateSeen {
    command: &'static str,
    frame: u64,
    conn: ConnId,
    msg: u64,
    session_id: u64,
    client_guid: Option<String>,
    lease_key: Option<[u8; 16]>,
    path: String,
}

#[derive(Debug, Default, Clone)]
struct Lease {
    state: u32,
    epoch: Option<u16>,
    session_id: u64,
    conn: ConnId,
    paths: Vec<String>,
    path_keys: Vec<String>,
    first_create: u64,
}

/// A file an SMB2 request names: a FileId, or (related compound element after a CREATE)
/// whatever FileId the CREATE with this MessageId returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileRef {
    Known(FileId),
    CreatedBy(ConnId, u64),
}

/// Lease keys belong to a client (its ClientGuid) on a server.
type LeaseId = (String, String, [u8; 16]);

#[derive(Debug)]
pub struct Tracker {
    /// SMB2 trees by (session, TreeId): the share name.
    trees: Capped<(u64, u32), String>,
    /// SMB1 trees by (connection, TID).
    trees1: Capped<(ConnId, u16), String>,
    /// TREE_CONNECT requests awaiting responses: the share name.
    tree_requests: Capped<(ConnId, u64), String>,
    creates: Capped<(ConnId, u64), PendingCreate>,
    /// FileIds returned by CREATEs, by the CREATE's (connection, MessageId), for related
    /// compound elements.
    created: Capped<(ConnId, u64), FileId>,
    closes: Capped<(ConnId, u64), FileRef>,
    /// The file of the previous element of the compound request being read, per connection.
    compound_file: HashMap<ConnId, FileRef>,
    opens: Capped<(String, FileId), Open>,
    opens1: Capped<(ConnId, u16), Open>,
    leases: Capped<LeaseId, Lease>,
    recent: Capped<String, VecDeque<CreateSeen>>,
    /// Breaks not yet acknowledged, by open or lease: index into `breaks`.
    pending_oplock: Capped<(String, FileId), usize>,
    pending_oplock1: Capped<(ConnId, u16), usize>,
    pending_lease: Capped<LeaseId, usize>,
    /// Acknowledgments awaiting the server's response, by (connection, MessageId).
    acks: Capped<(ConnId, u64), usize>,
    pub breaks: Vec<Break>,
    pub counts: BreakCounts,
    /// Acknowledgments that matched no notification: frame, connection, what.
    pub unmatched: Vec<(u64, Timestamp, ConnId, String)>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            trees: Capped::new(MAX_PENDING),
            trees1: Capped::new(MAX_PENDING),
            tree_requests: Capped::new(MAX_PENDING),
            creates: Capped::new(MAX_PENDING),
            created: Capped::new(MAX_PENDING),
            closes: Capped::new(MAX_PENDING),
            compound_file: HashMap::new(),
            opens: Capped::new(MAX_OPENS),
            opens1: Capped::new(MAX_OPENS),
            leases: Capped::new(MAX_LEASES),
            recent: Capped::new(MAX_PATHS),
            pending_oplock: Capped::new(MAX_PENDING),
            pending_oplock1: Capped::new(MAX_PENDING),
            pending_lease: Capped::new(MAX_PENDING),
            acks: Capped::new(MAX_PENDING),
            breaks: Vec::new(),
            counts: BreakCounts::default(),
            unmatched: Vec::new(),
        }
    }
}

/// Unmatched acknowledgments listed as problems, at most.
const MAX_UNMATCHED: usize = 1000;

impl Tracker {
    // ---------------------------------------------------------------- SMB2

    pub fn smb2(&mut self, cx: &Ctx, el: &Element, body: Option<&Body>) {
        let h = &el.header;
        if el.offset == 0 {
            self.compound_file.remove(&cx.conn);
        }
        let key = (cx.conn, h.message_id);
        if !h.is_response() {
            match (h.command, body) {
                (COMMAND_TREE_CONNECT, Some(Body::TreeConnectRequest(req))) => {
                    self.tree_requests.insert(key, share_of(&req.path_string()));
                }
                (COMMAND_CREATE, Some(Body::CreateRequest(req))) => {
                    self.create_request(cx, h, req);
                    self.compound_file
                        .insert(cx.conn, FileRef::CreatedBy(cx.conn, h.message_id));
                }
                (COMMAND_CLOSE, Some(Body::CloseRequest(req))) => {
                    let f = self.file_ref(cx.conn, h, req.file_id);
                    self.closes.insert(key, f);
                    self.compound_file.insert(cx.conn, f);
                }
                (COMMAND_OPLOCK_BREAK, Some(Body::OplockBreak(ack))) => {
                    let f = self.file_ref(cx.conn, h, ack.file_id);
                    self.compound_file.insert(cx.conn, f);
                    self.oplock_ack(cx, h, ack.oplock_level, f);
                }
                (COMMAND_OPLOCK_BREAK, Some(Body::LeaseBreakAck(ack))) => {
                    self.lease_ack(cx, h, ack);
                }
                (_, Some(Body::IoctlRequest(r))) => {
                    let f = self.file_ref(cx.conn, h, r.file_id);
                    self.compound_file.insert(cx.conn, f);
                }
                (_, Some(Body::ReadRequest(r))) => {
                    let f = self.file_ref(cx.conn, h, r.file_id);
                    self.compound_file.insert(cx.conn, f);
                }
                (_, Some(Body::WriteRequest(r))) => {
                    let f = self.file_ref(cx.conn, h, r.file_id);
                    self.compound_file.insert(cx.conn, f);
                    if let Some(fid) = self.resolve(f)
                        && let Some(o) = self.opens.get(&(cx.server.to_string(), fid))
                    {
                        let (key, path) = (o.path_key.clone(), display(o));
                        self.seen_create(
                            &key,
                            CreateSeen {
                                command: "WRITE",
                                frame: cx.frame,
                                conn: cx.conn,
                                msg: h.message_id,
                                session_id: h.session_id,
                                client_guid: cx.client_guid.map(str::to_string),
                                lease_key: None,
                                path,
                            },
                        );
                    }
                }
                _ => {}
            }
            return;
        }
        // Server to client.
        if h.message_id == u64::MAX && h.command == COMMAND_OPLOCK_BREAK {
            match body {
                Some(Body::OplockBreak(n)) => self.oplock_notification(cx, h, n),
                Some(Body::LeaseBreakNotification(n)) => self.lease_notification(cx, n),
                _ => {}
            }
            return;
        }
        if h.status == STATUS_PENDING && h.is_async() {
            return; // interim: the final response follows
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
                    self.opens.remove(&(cx.server.to_string(), fid));
                }
            }
            COMMAND_OPLOCK_BREAK => self.ack_response(cx, h, body),
            _ => {}
        }
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
        let name = req.name_string();
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
        let path_key = path_key(cx.server, share.as_deref(), h.tree_id(), &name);
        self.seen_create(
            &path_key,
            CreateSeen {
                command: "CREATE",
                frame: cx.frame,
                conn: cx.conn,
                msg: h.message_id,
                session_id: h.session_id,
                client_guid: cx.client_guid.map(str::to_string),
                lease_key,
                path: display_path(share.as_deref(), &name),
            },
        );
        self.creates.insert(
            (cx.conn, h.message_id),
            PendingCreate {
                name,
                share,
                path_key,
                session_id: h.session_id,
                frame: cx.frame,
            },
        );
    }

    fn seen_create(&mut self, path_key: &str, seen: CreateSeen) {
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

    fn create_response(&mut self, cx: &Ctx, h: &smb2::Header, body: Option<&Body>) {
        let Some(req) = self.creates.remove(&(cx.conn, h.message_id)) else {
            return;
        };
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
        if let (Some(l), Some(guid)) = (granted, Some(client_of(cx))) {
            let id = (cx.server.to_string(), guid, l.key);
            let path = display_path(req.share.as_deref(), &req.name);
            let lease = match self.leases.get_mut(&id) {
                Some(lease) => lease,
                None => {
                    self.leases.insert(
                        id.clone(),
                        Lease {
                            first_create: req.frame,
                            ..Lease::default()
                        },
                    );
                    self.leases.get_mut(&id).expect("just inserted")
                }
            };
            lease.state = l.state;
            lease.epoch = l.epoch.or(lease.epoch);
            lease.session_id = req.session_id;
            lease.conn = cx.conn;
            if !lease.path_keys.contains(&req.path_key) && lease.paths.len() < PATHS_PER_LEASE {
                lease.path_keys.push(req.path_key.clone());
                lease.paths.push(path);
            }
        }
        self.opens.insert(
            (cx.server.to_string(), resp.file_id),
            Open {
                name: req.name,
                share: req.share,
                path_key: req.path_key,
                session_id: req.session_id,
                conn: cx.conn,
                create_frame: req.frame,
                create_msg: h.message_id,
                level: resp.oplock_level,
            },
        );
    }

    fn oplock_notification(&mut self, cx: &Ctx, h: &smb2::Header, n: &smb2::OplockBreak) {
        self.counts.notifications += 1;
        let okey = (cx.server.to_string(), n.file_id);
        let open = self.opens.get(&okey).cloned();
        let old = open.as_ref().map(|o| o.level);
        // A break from level II needs no acknowledgment (MS-SMB2 3.3.4.6: only breaks from
        // exclusive or batch wait for one).
        let ack_required = old.and_then(|l| match l {
            smb2::OPLOCK_LEVEL_EXCLUSIVE | smb2::OPLOCK_LEVEL_BATCH => Some(true),
            smb2::OPLOCK_LEVEL_II | smb2::OPLOCK_LEVEL_NONE => Some(false),
            _ => None,
        });
        let cause = open.as_ref().and_then(|o| self.oplock_cause(o, cx.frame));
        let b = Break {
            kind: BreakKind::Oplock,
            protocol: Protocol::Smb2,
            frame: cx.frame,
            ts: cx.ts,
            conn: cx.conn,
            session_id: open
                .as_ref()
                .map(|o| o.session_id)
                .or((h.session_id != 0).then_some(h.session_id)),
            file: open.as_ref().map(|o| o.name.clone()),
            share: open.as_ref().and_then(|o| o.share.clone()),
            file_id: Some(file_id_text(n.file_id)),
            old_level: old.map(|l| oplock_name(l).to_string()),
            new_level: oplock_name(n.oplock_level).to_string(),
            lease_key: None,
            epoch: None,
            flags: None,
            paths: Vec::new(),
            ack_required,
            ack: None,
            latency_ms: None,
            resent_as: None,
            resend_of: None,
            cause,
        };
        if ack_required == Some(false)
            && let Some(o) = self.opens.get_mut(&okey)
        {
            o.level = n.oplock_level;
        }
        let previous = self.pending_oplock.get(&okey).copied();
        if let Some(i) = self.push(b) {
            if let Some(p) = previous {
                self.mark_resend(p, i);
            }
            self.pending_oplock.insert(okey, i);
        }
    }

    /// Links a notification to the earlier one it repeats (same open or lease, same
    /// levels, the earlier still unacknowledged).
    fn mark_resend(&mut self, earlier: usize, later: usize) {
        let (a, b) = (&self.breaks[earlier], &self.breaks[later]);
        if a.ack.is_none()
            && a.ack_required != Some(false)
            && a.new_level == b.new_level
            && a.old_level == b.old_level
        {
            let (frame_a, frame_b) = (a.frame, b.frame);
            self.breaks[earlier].resent_as = Some(frame_b);
            self.breaks[later].resend_of = Some(frame_a);
        }
    }

    fn oplock_ack(&mut self, cx: &Ctx, h: &smb2::Header, level: u8, f: FileRef) {
        self.counts.acknowledgments += 1;
        let fid = self.resolve(f);
        let index = fid.and_then(|fid| {
            self.pending_oplock
                .remove(&(cx.server.to_string(), fid))
                .filter(|i| self.breaks[*i].ack.is_none())
        });
        let ack = ack_record(cx, h, oplock_name(level).to_string());
        match index {
            Some(i) => self.acked(i, ack),
            None => self.unmatched_ack(
                cx,
                format!(
                    "oplock break acknowledgment for FileId {} matches no break notification",
                    fid.map(file_id_text).unwrap_or_else(|| "?".into())
                ),
            ),
        }
    }

    fn acked(&mut self, i: usize, ack: BreakAck) {
        let b = &mut self.breaks[i];
        b.latency_ms = Some(ms(ack.ts.0 - b.ts.0));
        if b.protocol == Protocol::Smb2 {
            // The server's response names the acknowledgment by its MessageId.
            self.acks.insert((ack.conn, ack.message_id), i);
        }
        b.ack = Some(ack);
    }

    fn unmatched_ack(&mut self, cx: &Ctx, what: String) {
        self.counts.unmatched_acks += 1;
        if self.unmatched.len() < MAX_UNMATCHED {
            self.unmatched.push((cx.frame, cx.ts, cx.conn, what));
        }
    }

    fn ack_response(&mut self, cx: &Ctx, h: &smb2::Header, body: Option<&Body>) {
        let Some(i) = self.acks.remove(&(cx.conn, h.message_id)) else {
            return;
        };
        self.counts.responses += 1;
        if h.status != STATUS_SUCCESS {
            self.counts.rejected += 1;
        }
        let level = match body {
            Some(Body::OplockBreak(r)) => Some((r.oplock_level, None)),
            Some(Body::LeaseBreakAck(r)) => Some((0, Some(r.lease_state))),
            _ => None,
        };
        let b = &mut self.breaks[i];
        let Some(ack) = b.ack.as_mut() else { return };
        ack.response_frame = Some(cx.frame);
        ack.response_conn = Some(cx.conn);
        ack.status = Some(h.status);
        ack.response_level = level.map(|(l, s)| match s {
            Some(s) => lease_state_name(s),
            None => oplock_name(l).to_string(),
        });
        if h.status != STATUS_SUCCESS {
            return;
        }
        match (b.kind, level) {
            (BreakKind::Oplock, Some((l, None))) => {
                if let Some(fid) = body.and_then(|b| match b {
                    Body::OplockBreak(r) => Some(r.file_id),
                    _ => None,
                }) && let Some(o) = self.opens.get_mut(&(cx.server.to_string(), fid))
                {
                    o.level = l;
                }
            }
            (BreakKind::Lease, Some((_, Some(state)))) => {
                if let Some(Body::LeaseBreakAck(r)) = body
                    && let Some(l) =
                        self.leases
                            .get_mut(&(cx.server.to_string(), client_of(cx), r.lease_key))
                {
                    l.state = state;
                }
            }
            _ => {}
        }
    }

    fn lease_notification(&mut self, cx: &Ctx, n: &smb2::LeaseBreakNotification) {
        self.counts.notifications += 1;
        let id = (cx.server.to_string(), client_of(cx), n.lease_key);
        let lease = self.leases.get(&id).cloned();
        let cause = lease.as_ref().and_then(|l| {
            self.cause(
                &l.path_keys,
                cx.frame,
                l.first_create,
                |c| c.lease_key != Some(n.lease_key),
                l.session_id,
                l.conn,
            )
        });
        let b = Break {
            kind: BreakKind::Lease,
            protocol: Protocol::Smb2,
            frame: cx.frame,
            ts: cx.ts,
            conn: cx.conn,
            session_id: lease.as_ref().map(|l| l.session_id),
            file: lease.as_ref().and_then(|l| l.paths.first().cloned()),
            share: None,
            file_id: None,
            old_level: Some(lease_state_name(n.current_state)),
            new_level: lease_state_name(n.new_state),
            lease_key: Some(guid_text(&n.lease_key)),
            epoch: Some(n.new_epoch),
            flags: Some(n.flags),
            paths: lease.as_ref().map(|l| l.paths.clone()).unwrap_or_default(),
            ack_required: Some(n.ack_required()),
            ack: None,
            latency_ms: None,
            resent_as: None,
            resend_of: None,
            cause,
        };
        if !n.ack_required()
            && let Some(l) = self.leases.get_mut(&id)
        {
            l.state = n.new_state;
        }
        let previous = self.pending_lease.get(&id).copied();
        if let Some(i) = self.push(b) {
            if let Some(p) = previous {
                self.mark_resend(p, i);
            }
            self.pending_lease.insert(id, i);
        }
    }

    fn lease_ack(&mut self, cx: &Ctx, h: &smb2::Header, ack: &smb2::LeaseBreakAck) {
        self.counts.acknowledgments += 1;
        let id = (cx.server.to_string(), client_of(cx), ack.lease_key);
        let index = self
            .pending_lease
            .remove(&id)
            .filter(|i| self.breaks[*i].ack.is_none());
        let record = ack_record(cx, h, lease_state_name(ack.lease_state));
        match index {
            Some(i) => self.acked(i, record),
            None => self.unmatched_ack(
                cx,
                format!(
                    "lease break acknowledgment for lease key {} matches no break notification",
                    guid_text(&ack.lease_key)
                ),
            ),
        }
    }

    /// The CREATE of the same path by someone else that preceded an oplock break of `open`.
    fn oplock_cause(&self, open: &Open, frame: u64) -> Option<BreakCause> {
        self.cause(
            std::slice::from_ref(&open.path_key),
            frame,
            open.create_frame,
            |c| !(c.conn == open.conn && c.msg == open.create_msg),
            open.session_id,
            open.conn,
        )
    }

    /// The latest CREATE (DELETE, WRITE) of one of `paths` after `since` and up to `frame`
    /// that `other` accepts.
    fn cause(
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
        })
    }

    fn push(&mut self, b: Break) -> Option<usize> {
        if self.breaks.len() >= MAX_BREAKS {
            self.counts.dropped += 1;
            return None;
        }
        self.breaks.push(b);
        Some(self.breaks.len() - 1)
    }

    // ---------------------------------------------------------------- SMB1

    pub fn smb1(&mut self, cx: &Ctx, msg: &dissectors::smb1::Message) {
        use dissectors::smb1::{
            self as s1, COM_CLOSE, COM_DELETE, COM_LOCKING_ANDX, COM_NT_CREATE_ANDX,
            COM_TREE_CONNECT_ANDX, COM_WRITE_ANDX,
        };
        let h = &msg.header;
        let key = (cx.conn, u64::from(h.pid()) << 16 | u64::from(h.mid));
        for block in msg.chain().take(16) {
            let Ok(b) = block else { break };
            match (b.command, h.is_response()) {
                (COM_TREE_CONNECT_ANDX, false) => {
                    if let Ok(req) = s1::parse_tree_connect_request(h, &b) {
                        self.tree_requests
                            .insert(key, share_of(&req.path.to_string_lossy()));
                    }
                }
                (COM_TREE_CONNECT_ANDX, true) => {
                    if let Some(share) = self.tree_requests.remove(&key)
                        && h.status == STATUS_SUCCESS
                    {
                        self.trees1.insert((cx.conn, h.tid), share);
                    }
                }
                (COM_NT_CREATE_ANDX, false) => {
                    if let Ok(req) = s1::parse_nt_create_request(h, &b) {
                        let name = req.name.to_string_lossy();
                        let share = self.trees1.get(&(cx.conn, h.tid)).cloned();
                        let path_key =
                            path_key(cx.server, share.as_deref(), Some(h.tid.into()), &name);
                        self.seen_create(
                            &path_key,
                            CreateSeen {
                                command: "NT_CREATE_ANDX",
                                frame: cx.frame,
                                conn: cx.conn,
                                msg: key.1,
                                session_id: h.uid.into(),
                                client_guid: None,
                                lease_key: None,
                                path: display_path(share.as_deref(), &name),
                            },
                        );
                        self.creates.insert(
                            key,
                            PendingCreate {
                                name,
                                share,
                                path_key,
                                session_id: h.uid.into(),
                                frame: cx.frame,
                            },
                        );
                    }
                }
                (COM_NT_CREATE_ANDX, true) => {
                    if let Some(req) = self.creates.remove(&key)
                        && h.status == STATUS_SUCCESS
                        && let Ok(resp) = s1::parse_nt_create_response(&b)
                    {
                        self.opens1.insert(
                            (cx.conn, resp.fid),
                            Open {
                                name: req.name,
                                share: req.share,
                                path_key: req.path_key,
                                session_id: req.session_id,
                                conn: cx.conn,
                                create_frame: req.frame,
                                create_msg: key.1,
                                level: resp.oplock_level,
                            },
                        );
                    }
                }
                (COM_CLOSE, false) => {
                    if let Ok(req) = s1::parse_close_request(&b) {
                        self.opens1.remove(&(cx.conn, req.fid));
                    }
                }
                (COM_DELETE, false) => {
                    if let Some(name) = delete_name(h, &b) {
                        let share = self.trees1.get(&(cx.conn, h.tid)).cloned();
                        let path_key =
                            path_key(cx.server, share.as_deref(), Some(h.tid.into()), &name);
                        self.seen_create(
                            &path_key,
                            CreateSeen {
                                command: "DELETE",
                                frame: cx.frame,
                                conn: cx.conn,
                                msg: key.1,
                                session_id: h.uid.into(),
                                client_guid: None,
                                lease_key: None,
                                path: display_path(share.as_deref(), &name),
                            },
                        );
                    }
                }
                (COM_WRITE_ANDX, false) => {
                    if let Ok(req) = s1::parse_write_request(&b)
                        && let Some(o) = self.opens1.get(&(cx.conn, req.fid))
                    {
                        let (pk, path) = (o.path_key.clone(), display(o));
                        self.seen_create(
                            &pk,
                            CreateSeen {
                                command: "WRITE_ANDX",
                                frame: cx.frame,
                                conn: cx.conn,
                                msg: key.1,
                                session_id: h.uid.into(),
                                client_guid: None,
                                lease_key: None,
                                path,
                            },
                        );
                    }
                }
                (COM_LOCKING_ANDX, false) => {
                    if let Ok(req) = s1::parse_locking_request(&b)
                        && req.is_oplock_release()
                    {
                        if cx.dir == Direction::ToClient {
                            self.smb1_break(cx, h, &req);
                        } else {
                            self.smb1_release(cx, h, &req);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn smb1_break(
        &mut self,
        cx: &Ctx,
        h: &dissectors::smb1::Header,
        req: &dissectors::smb1::LockingRequest,
    ) {
        use dissectors::smb1::{OPLOCK_LEVEL_II, OPLOCK_NONE};
        self.counts.notifications += 1;
        let okey = (cx.conn, req.fid);
        let open = self.opens1.get(&okey).cloned();
        let old = open.as_ref().map(|o| o.level);
        // NewOpLockLevel: 0 none, 1 level II (MS-CIFS 2.2.4.32.1).
        let new = if req.new_oplock_level == 1 {
            OPLOCK_LEVEL_II
        } else {
            OPLOCK_NONE
        };
        // The client does not answer a break of a level II oplock (MS-CIFS 3.3.4.2).
        let ack_required = old.map(|l| l != OPLOCK_LEVEL_II && l != OPLOCK_NONE);
        let cause = open.as_ref().and_then(|o| self.oplock_cause(o, cx.frame));
        let b = Break {
            kind: BreakKind::Oplock,
            protocol: Protocol::Smb1,
            frame: cx.frame,
            ts: cx.ts,
            conn: cx.conn,
            session_id: open
                .as_ref()
                .map(|o| o.session_id)
                .or((h.uid != 0).then_some(h.uid.into())),
            file: open.as_ref().map(|o| o.name.clone()),
            share: open.as_ref().and_then(|o| o.share.clone()),
            file_id: Some(format!("0x{:04x}", req.fid)),
            old_level: old.map(|l| smb1_oplock_name(l).to_string()),
            new_level: smb1_oplock_name(new).to_string(),
            lease_key: None,
            epoch: None,
            flags: None,
            paths: Vec::new(),
            ack_required,
            ack: None,
            latency_ms: None,
            resent_as: None,
            resend_of: None,
            cause,
        };
        if ack_required == Some(false)
            && let Some(o) = self.opens1.get_mut(&okey)
        {
            o.level = new;
        }
        let previous = self.pending_oplock1.get(&okey).copied();
        if let Some(i) = self.push(b) {
            if let Some(p) = previous {
                self.mark_resend(p, i);
            }
            self.pending_oplock1.insert(okey, i);
        }
    }

    fn smb1_release(
        &mut self,
        cx: &Ctx,
        h: &dissectors::smb1::Header,
        req: &dissectors::smb1::LockingRequest,
    ) {
        use dissectors::smb1::{OPLOCK_LEVEL_II, OPLOCK_NONE};
        self.counts.acknowledgments += 1;
        let okey = (cx.conn, req.fid);
        let new = if req.new_oplock_level == 1 {
            OPLOCK_LEVEL_II
        } else {
            OPLOCK_NONE
        };
        if let Some(o) = self.opens1.get_mut(&okey) {
            o.level = new;
        }
        let index = self
            .pending_oplock1
            .remove(&okey)
            .filter(|i| self.breaks[*i].ack.is_none());
        let ack = BreakAck {
            frame: cx.frame,
            ts: cx.ts,
            conn: cx.conn,
            session_id: h.uid.into(),
            message_id: h.mid.into(),
            level: smb1_oplock_name(new).to_string(),
            response_frame: None,
            response_conn: None,
            status: None,
            response_level: None,
        };
        match index {
            Some(i) => self.acked(i, ack),
            None => self.unmatched_ack(
                cx,
                format!(
                    "oplock release for FID 0x{:04x} matches no break notification",
                    req.fid
                ),
            ),
        }
    }

    // ---------------------------------------------------------------- end

    /// Counts the breaks that waited in vain and hands over the list.
    pub fn finish(&mut self) -> (Vec<Break>, BreakCounts) {
        self.counts.unacknowledged = self
            .breaks
            .iter()
            .filter(|b| b.outcome() == "unacknowledged")
            .count() as u64;
        (
            std::mem::take(&mut self.breaks),
            std::mem::take(&mut self.counts),
        )
    }
}

fn ack_record(cx: &Ctx, h: &smb2::Header, level: String) -> BreakAck {
    BreakAck {
        frame: cx.frame,
        ts: cx.ts,
        conn: cx.conn,
        session_id: h.session_id,
        message_id: h.message_id,
        level,
        response_frame: None,
        response_conn: None,
        status: None,
        response_level: None,
    }
}

/// The client a lease belongs to: its ClientGuid, or its connection when not negotiated
/// in the capture.
fn client_of(cx: &Ctx) -> String {
    cx.client_guid
        .map(str::to_string)
        .unwrap_or_else(|| format!("#{}", cx.conn))
}

/// Nanoseconds as milliseconds, rounded to the microsecond.
fn ms(ns: i64) -> f64 {
    (ns / 1_000) as f64 / 1_000.0
}

/// `\\server\share` (or just `share`) to `share`.
fn share_of(path: &str) -> String {
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

fn display(o: &Open) -> String {
    display_path(o.share.as_deref(), &o.name)
}

/// The FileName of an SMB1 DELETE request (MS-CIFS 2.2.4.7.1): BufferFormat 0x04, then
/// the name, Unicode aligned to 2 bytes from the header.
fn delete_name(h: &dissectors::smb1::Header, b: &dissectors::smb1::Block) -> Option<String> {
    let (&format, rest) = b.bytes.split_first()?;
    if format != 0x04 {
        return None;
    }
    if h.is_unicode() {
        let skip = (b.bytes_offset + 1) % 2;
        let raw = rest.get(skip..)?;
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .take(4096)
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        let end = rest
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(rest.len())
            .min(4096);
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
}

fn display_path(share: Option<&str>, name: &str) -> String {
    let name = name.trim_start_matches('\\');
    match share {
        Some(s) => format!("{s}\\{name}"),
        None => name.to_string(),
    }
}

pub fn oplock_name(level: u8) -> &'static str {
    match level {
        smb2::OPLOCK_LEVEL_NONE => "none",
        smb2::OPLOCK_LEVEL_II => "II",
        smb2::OPLOCK_LEVEL_EXCLUSIVE => "exclusive",
        smb2::OPLOCK_LEVEL_BATCH => "batch",
        smb2::OPLOCK_LEVEL_LEASE => "lease",
        _ => "unknown",
    }
}

fn smb1_oplock_name(level: u8) -> &'static str {
    use dissectors::smb1::{OPLOCK_BATCH, OPLOCK_EXCLUSIVE, OPLOCK_LEVEL_II, OPLOCK_NONE};
    match level {
        OPLOCK_NONE => "none",
        OPLOCK_EXCLUSIVE => "exclusive",
        OPLOCK_BATCH => "batch",
        OPLOCK_LEVEL_II => "II",
        _ => "unknown",
    }
}

/// Lease state as letters: `RWH`, `RH`, `R`, or `none`.
pub fn lease_state_name(state: u32) -> String {
    let mut s = String::new();
    if state & smb2::LEASE_READ_CACHING != 0 {
        s.push('R');
    }
    if state & smb2::LEASE_WRITE_CACHING != 0 {
        s.push('W');
    }
    if state & smb2::LEASE_HANDLE_CACHING != 0 {
        s.push('H');
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

fn file_id_text(f: FileId) -> String {
    format!("{:016x}:{:016x}", f.persistent, f.volatile)
}

/// A lease key the way Wireshark shows it (a GUID).
fn guid_text(b: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_map_forgets_oldest() {
        let mut m = Capped::new(3);
        for i in 0..10u32 {
            m.insert(i, i);
        }
        assert_eq!(m.len(), 3);
        assert!(m.get(&6).is_none());
        assert_eq!(m.get(&9), Some(&9));
        // re-inserting one key many times keeps the order list bounded
        for _ in 0..1000 {
            m.insert(9, 1);
        }
        assert!(m.order.len() <= 2 * 3 + 16 + 1);
        assert_eq!(m.len(), 3);
    }

    /// An SMB2 header: command, flags, MessageId, SessionId, TreeId.
    fn header(command: u16, flags: u32, msg: u64, next: u32, body: &[u8]) -> Vec<u8> {
        let mut h = Vec::with_capacity(64 + body.len());
        h.extend_from_slice(b"\xfeSMB");
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&[0; 2]); // credit charge
        h.extend_from_slice(&[0; 4]); // status
        h.extend_from_slice(&command.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&next.to_le_bytes());
        h.extend_from_slice(&msg.to_le_bytes());
        h.extend_from_slice(&[0; 4]); // process id
        h.extend_from_slice(&7u32.to_le_bytes()); // tree id
        h.extend_from_slice(&0x55u64.to_le_bytes()); // session id
        h.extend_from_slice(&[0; 16]);
        h.extend_from_slice(body);
        h
    }

    fn fid_bytes(f: FileId) -> Vec<u8> {
        [f.persistent.to_le_bytes(), f.volatile.to_le_bytes()].concat()
    }

    fn create_request(name: &str) -> Vec<u8> {
        let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut b = vec![0u8; 56];
        b[0..2].copy_from_slice(&57u16.to_le_bytes());
        b[3] = smb2::OPLOCK_LEVEL_BATCH;
        b[44..46].copy_from_slice(&120u16.to_le_bytes());
        b[46..48].copy_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(&name);
        b
    }

    fn create_response(f: FileId) -> Vec<u8> {
        let mut b = vec![0u8; 88];
        b[0..2].copy_from_slice(&89u16.to_le_bytes());
        b[2] = smb2::OPLOCK_LEVEL_BATCH;
        b[64..80].copy_from_slice(&fid_bytes(f));
        b.push(0);
        b
    }

    fn close_request(f: FileId) -> Vec<u8> {
        let mut b = vec![0u8; 8];
        b[0..2].copy_from_slice(&24u16.to_le_bytes());
        b.extend_from_slice(&fid_bytes(f));
        b
    }

    fn close_response() -> Vec<u8> {
        let mut b = vec![0u8; 60];
        b[0..2].copy_from_slice(&60u16.to_le_bytes());
        b
    }

    fn oplock_break(level: u8, f: FileId) -> Vec<u8> {
        let mut b = vec![0u8; 8];
        b[0..2].copy_from_slice(&24u16.to_le_bytes());
        b[2] = level;
        b.extend_from_slice(&fid_bytes(f));
        b
    }

    /// Two elements as one compound PDU (the first padded to 8 bytes).
    fn compound(first: (u16, u32, u64, Vec<u8>), second: (u16, u32, u64, Vec<u8>)) -> Vec<u8> {
        let len = (64 + first.3.len()).next_multiple_of(8);
        let mut a = header(first.0, first.1, first.2, len as u32, &first.3);
        a.resize(len, 0);
        a.extend(header(second.0, second.1, second.2, 0, &second.3));
        a
    }

    fn feed(t: &mut Tracker, frame: u64, dir: Direction, pdu: &[u8]) {
        let cx = Ctx {
            conn: 0,
            frame,
            ts: Timestamp(frame as i64 * 1_000_000),
            dir,
            server: "srv",
            client_guid: Some("guid"),
        };
        for el in smb2::Compound::new(pdu) {
            let el = el.expect("well-formed compound");
            let body = smb2::parse_body(&el.header, el.bytes).ok();
            t.smb2(&cx, &el, body.as_ref());
        }
    }

    const RESP: u32 = smb2::FLAGS_SERVER_TO_REDIR;
    const RELATED: u32 = smb2::FLAGS_RELATED_OPERATIONS;

    #[test]
    fn related_compound_close_resolves_the_created_file() {
        let (f1, f2) = (
            FileId {
                persistent: 1,
                volatile: 11,
            },
            FileId {
                persistent: 2,
                volatile: 22,
            },
        );
        let mut t = Tracker::default();
        // A plain open of a.txt that keeps its batch oplock.
        feed(
            &mut t,
            1,
            Direction::ToServer,
            &header(COMMAND_CREATE, 0, 1, 0, &create_request("a.txt")),
        );
        feed(
            &mut t,
            2,
            Direction::ToClient,
            &header(COMMAND_CREATE, RESP, 1, 0, &create_response(f1)),
        );
        // A related compound: CREATE b.txt + CLOSE of FileId 0xFF..FF (that file).
        let req = compound(
            (COMMAND_CREATE, 0, 2, create_request("b.txt")),
            (COMMAND_CLOSE, RELATED, 3, close_request(FileId::RELATED)),
        );
        feed(&mut t, 3, Direction::ToServer, &req);
        let resp = compound(
            (COMMAND_CREATE, RESP, 2, create_response(f2)),
            (COMMAND_CLOSE, RESP | RELATED, 3, close_response()),
        );
        feed(&mut t, 4, Direction::ToClient, &resp);
        assert!(
            t.opens.get(&("srv".into(), f2)).is_none(),
            "b.txt closed by the related CLOSE"
        );
        assert!(t.opens.get(&("srv".into(), f1)).is_some());
        // A break of a.txt, acknowledged in a related compound after a CREATE of a.txt.
        feed(
            &mut t,
            5,
            Direction::ToClient,
            &header(
                COMMAND_OPLOCK_BREAK,
                RESP,
                u64::MAX,
                0,
                &oplock_break(smb2::OPLOCK_LEVEL_II, f1),
            ),
        );
        let ack = compound(
            (COMMAND_CREATE, 0, 4, create_request("c.txt")),
            (
                COMMAND_OPLOCK_BREAK,
                RELATED,
                5,
                oplock_break(smb2::OPLOCK_LEVEL_II, f1),
            ),
        );
        feed(&mut t, 6, Direction::ToServer, &ack);
        feed(
            &mut t,
            7,
            Direction::ToClient,
            &header(
                COMMAND_OPLOCK_BREAK,
                RESP,
                5,
                0,
                &oplock_break(smb2::OPLOCK_LEVEL_II, f1),
            ),
        );
        let (breaks, counts) = t.finish();
        assert_eq!(breaks.len(), 1);
        let b = &breaks[0];
        assert_eq!(b.file.as_deref(), Some("a.txt"));
        assert_eq!(b.old_level.as_deref(), Some("batch"));
        assert_eq!(b.new_level, "II");
        assert_eq!(b.ack.as_ref().map(|a| a.frame), Some(6));
        assert_eq!(b.ack.as_ref().and_then(|a| a.status), Some(0));
        assert_eq!(b.latency_ms, Some(1.0));
        assert_eq!(b.outcome(), "acknowledged");
        assert_eq!(
            (
                counts.notifications,
                counts.acknowledgments,
                counts.responses
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn unanswered_break_and_resend() {
        let f = FileId {
            persistent: 3,
            volatile: 33,
        };
        let mut t = Tracker::default();
        feed(
            &mut t,
            1,
            Direction::ToServer,
            &header(COMMAND_CREATE, 0, 1, 0, &create_request("x")),
        );
        feed(
            &mut t,
            2,
            Direction::ToClient,
            &header(COMMAND_CREATE, RESP, 1, 0, &create_response(f)),
        );
        let n = header(
            COMMAND_OPLOCK_BREAK,
            RESP,
            u64::MAX,
            0,
            &oplock_break(smb2::OPLOCK_LEVEL_II, f),
        );
        feed(&mut t, 3, Direction::ToClient, &n);
        feed(&mut t, 4, Direction::ToClient, &n);
        let (breaks, counts) = t.finish();
        assert_eq!(breaks[0].outcome(), "resent");
        assert_eq!(breaks[0].resent_as, Some(4));
        assert_eq!(breaks[1].resend_of, Some(3));
        assert_eq!(breaks[1].outcome(), "unacknowledged");
        assert_eq!(counts.unacknowledged, 1);
    }

    #[test]
    fn lease_states() {
        assert_eq!(lease_state_name(7), "RWH");
        assert_eq!(lease_state_name(3), "RH");
        assert_eq!(lease_state_name(0), "none");
    }
}

//! SMB1 messages as the break tracker reads them: trees, NT_CREATE_ANDX and CLOSE (the
//! open-file table), DELETE and WRITE_ANDX (causes of breaks), and LOCKING_ANDX with
//! OPLOCK_RELEASE: from the server a break, from the client its acknowledgment.

use dissectors::smb1::{
    self as s1, Block, COM_CLOSE, COM_DELETE, COM_LOCKING_ANDX, COM_NT_CREATE_ANDX,
    COM_TREE_CONNECT_ANDX, COM_WRITE_ANDX, Header, LockingRequest, Message, OPLOCK_LEVEL_II,
    OPLOCK_NONE,
};
use dissectors::status::STATUS_SUCCESS;

use crate::flow::{ConnId, Direction};
use crate::model::Protocol;

use super::cause::CreateSeen;
use super::names::{fid_text, smb1_oplock_name};
use super::opens::{Named, share_of};
use super::oplocks::{OplockKey, OplockNotice, Oplocks};
use super::{Ctx, Tracker, ack_record};

impl Tracker {
    pub fn smb1(&mut self, cx: &Ctx, msg: &Message) {
        self.seen_at(cx.ts);
        let h = &msg.header;
        let key = (cx.conn, u64::from(h.pid()) << 16 | u64::from(h.mid));
        let session_id = u64::from(h.uid);
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
                        let file = self.named(cx, h, req.name.to_string_lossy());
                        let seen = CreateSeen::new(cx, "NT_CREATE_ANDX", key.1, session_id, &file);
                        self.create_requested(seen, file);
                    }
                }
                (COM_NT_CREATE_ANDX, true) => {
                    if let Some(req) = self.creates.remove(&key)
                        && h.status == STATUS_SUCCESS
                        && let Ok(resp) = s1::parse_nt_create_response(&b)
                    {
                        let open = req.open(cx.conn, key.1, resp.oplock_level);
                        self.oplocks1.opens.insert((cx.conn, resp.fid), open);
                    }
                }
                (COM_CLOSE, false) => {
                    if let Ok(req) = s1::parse_close_request(&b) {
                        self.oplocks1.opens.remove(&(cx.conn, req.fid));
                    }
                }
                (COM_DELETE, false) => {
                    if let Some(name) = delete_name(h, &b) {
                        let file = self.named(cx, h, name);
                        let seen = CreateSeen::new(cx, "DELETE", key.1, session_id, &file);
                        self.seen_create(&file.path_key, seen);
                    }
                }
                (COM_WRITE_ANDX, false) => {
                    if let Ok(req) = s1::parse_write_request(&b) {
                        let open = (cx.conn, req.fid);
                        self.seen_write(cx, "WRITE_ANDX", (key.1, session_id), &open);
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

    /// The file `name` on the tree of the message `h`.
    fn named(&self, cx: &Ctx, h: &Header, name: String) -> Named {
        let share = self.trees1.get(&(cx.conn, h.tid)).cloned();
        Named::new(cx.server, share, Some(h.tid.into()), name)
    }

    fn smb1_break(&mut self, cx: &Ctx, h: &Header, req: &LockingRequest) {
        let notice = OplockNotice {
            key: (cx.conn, req.fid),
            session_id: (h.uid != 0).then_some(h.uid.into()),
            file_id: fid_text(req.fid),
            level: new_level(req),
        };
        self.oplock_notification(cx, notice);
    }

    fn smb1_release(&mut self, cx: &Ctx, h: &Header, req: &LockingRequest) {
        let key = (cx.conn, req.fid);
        let new = new_level(req);
        if let Some(o) = self.oplocks1.opens.get_mut(&key) {
            o.level = new;
        }
        let level = smb1_oplock_name(new).to_string();
        let ack = ack_record(cx, h.uid.into(), h.mid.into(), level);
        self.oplock_ack(cx, Some(key), ack, || {
            format!("oplock release for FID {}", fid_text(req.fid))
        });
    }
}

/// SMB1 opens are keyed by connection and FID.
impl OplockKey for (ConnId, u16) {
    const PROTOCOL: Protocol = Protocol::Smb1;
    const LEVEL_NAME: fn(u8) -> &'static str = smb1_oplock_name;
    const ACK_REQUIRED: fn(u8) -> Option<bool> = ack_required;
    fn table(t: &mut Tracker) -> &mut Oplocks<Self> {
        &mut t.oplocks1
    }
}

/// The client does not answer a break of a level II oplock (MS-CIFS 3.3.4.2).
fn ack_required(old: u8) -> Option<bool> {
    Some(old != OPLOCK_LEVEL_II && old != OPLOCK_NONE)
}

/// The level a LOCKING_ANDX break or release goes to: NewOpLockLevel 0 none, 1 level II
/// (MS-CIFS 2.2.4.32.1).
fn new_level(req: &LockingRequest) -> u8 {
    if req.new_oplock_level == 1 {
        OPLOCK_LEVEL_II
    } else {
        OPLOCK_NONE
    }
}

/// The FileName of an SMB1 DELETE request (MS-CIFS 2.2.4.7.1): BufferFormat 0x04, then
/// the name, Unicode aligned to 2 bytes from the header.
fn delete_name(h: &Header, b: &Block) -> Option<String> {
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

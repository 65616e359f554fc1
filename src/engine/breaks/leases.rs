//! SMB2 lease breaks: leases granted by CREATE responses, the server's lease break
//! notifications and the client's acknowledgments. A lease belongs to a client on a
//! server, whichever connection its opens came over.

use dissectors::smb2;

use crate::flow::ConnId;
use crate::model::{Break, BreakKind, Protocol};

use super::names::{guid_text, lease_state_name};
use super::opens::PendingCreate;
use super::{Ctx, Tracker, ack_record, notification};

/// Paths listed per lease key.
const PATHS_PER_LEASE: usize = 16;

/// Lease keys belong to a client (its ClientGuid) on a server.
pub(super) type LeaseId = (String, String, [u8; 16]);

#[derive(Debug, Default, Clone)]
pub(super) struct Lease {
    state: u32,
    epoch: Option<u16>,
    session_id: u64,
    conn: ConnId,
    paths: Vec<String>,
    path_keys: Vec<String>,
    first_create: u64,
}

impl Tracker {
    /// The lease `l` granted by the response to the CREATE `req`.
    pub(super) fn lease_granted(&mut self, cx: &Ctx, l: &smb2::Lease, req: &PendingCreate) {
        let id = lease_id(cx, l.key);
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
        if !lease.path_keys.contains(&req.file.path_key) && lease.paths.len() < PATHS_PER_LEASE {
            lease.path_keys.push(req.file.path_key.clone());
            lease.paths.push(req.file.display());
        }
    }

    pub(super) fn lease_notification(&mut self, cx: &Ctx, n: &smb2::LeaseBreakNotification) {
        let id = lease_id(cx, n.lease_key);
        let lease = self.leases.get(&id).cloned();
        let levels = (
            Some(lease_state_name(n.current_state)),
            lease_state_name(n.new_state),
        );
        let b = Break {
            session_id: lease.as_ref().map(|l| l.session_id),
            file: lease.as_ref().and_then(|l| l.paths.first().cloned()),
            lease_key: Some(guid_text(&n.lease_key)),
            epoch: Some(n.new_epoch),
            flags: Some(n.flags),
            paths: lease.as_ref().map(|l| l.paths.clone()).unwrap_or_default(),
            cause: lease.as_ref().and_then(|l| {
                self.cause(
                    &l.path_keys,
                    cx.frame,
                    l.first_create,
                    |c| c.lease_key != Some(n.lease_key),
                    l.session_id,
                    l.conn,
                )
            }),
            ..notification(
                cx,
                BreakKind::Lease,
                Protocol::Smb2,
                levels,
                Some(n.ack_required()),
            )
        };
        if !n.ack_required() {
            self.lease_state(&id, n.new_state);
        }
        let previous = self.pending_lease.get(&id).copied();
        if let Some(i) = self.notified(b, previous) {
            self.pending_lease.insert(id, i);
        }
    }

    pub(super) fn lease_ack(&mut self, cx: &Ctx, h: &smb2::Header, ack: &smb2::LeaseBreakAck) {
        let id = lease_id(cx, ack.lease_key);
        let pending = self.pending_lease.remove(&id);
        let acked = self.acked_lease.get(&id).copied();
        let record = ack_record(
            cx,
            h.session_id,
            h.message_id,
            lease_state_name(ack.lease_state),
        );
        let matched = self.acknowledged(cx, (pending, acked), record, || {
            format!(
                "lease break acknowledgment for lease key {}",
                guid_text(&ack.lease_key)
            )
        });
        if let Some(i) = matched {
            self.acked_lease.insert(id, i);
        }
    }

    /// The lease `key` of the client at `cx` is now in `state`.
    pub(super) fn lease_acknowledged(&mut self, cx: &Ctx, key: [u8; 16], state: u32) {
        self.lease_state(&lease_id(cx, key), state);
    }

    fn lease_state(&mut self, id: &LeaseId, state: u32) {
        if let Some(l) = self.leases.get_mut(id) {
            l.state = state;
        }
    }
}

/// The lease `key` of the client at `cx`: on its server, of its ClientGuid, or of its
/// connection when that was not negotiated in the capture.
fn lease_id(cx: &Ctx, key: [u8; 16]) -> LeaseId {
    let client = cx
        .client_guid
        .map(str::to_string)
        .unwrap_or_else(|| format!("#{}", cx.conn));
    (cx.server.to_string(), client, key)
}

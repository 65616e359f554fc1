//! Oplock breaks, SMB2 and SMB1 alike: the server's notification names an open, the
//! client acknowledges it (SMB2 OPLOCK_BREAK acknowledgment, SMB1 LOCKING_ANDX
//! OPLOCK_RELEASE). What differs between the protocols (how opens are keyed, how levels
//! are named, which breaks wait for an answer) is said by [`OplockKey`].

use std::hash::Hash;

use crate::model::{Break, BreakAck, BreakKind, Protocol};

use super::capped::Capped;
use super::opens::Open;
use super::{Ctx, MAX_OPENS, MAX_PENDING, Tracker, notification};

/// The opens of one protocol and their breaks not yet acknowledged (index into
/// `Tracker::breaks`).
#[derive(Debug)]
pub(super) struct Oplocks<K> {
    pub opens: Capped<K, Open>,
    pub pending: Capped<K, usize>,
    /// The last copy of the chain acknowledged latest, per open.
    pub acked: Capped<K, usize>,
}

impl<K: Eq + Hash + Clone> Default for Oplocks<K> {
    fn default() -> Self {
        Oplocks {
            opens: Capped::new(MAX_OPENS),
            pending: Capped::new(MAX_PENDING),
            acked: Capped::new(MAX_PENDING),
        }
    }
}

/// The key of an open in one protocol (SMB2: server and FileId, SMB1: connection and
/// FID; implemented in smb2.rs and smb1.rs), and what that protocol does its own way.
pub(super) trait OplockKey: Eq + Hash + Clone {
    const PROTOCOL: Protocol;
    /// How the protocol names an oplock level.
    const LEVEL_NAME: fn(u8) -> &'static str;
    /// Whether a break from a level waits for the client's acknowledgment (`None`: the
    /// level does not tell).
    const ACK_REQUIRED: fn(u8) -> Option<bool>;
    /// The tracker's opens of this protocol.
    fn table(t: &mut Tracker) -> &mut Oplocks<Self>;
}

/// A server's oplock break notification.
pub(super) struct OplockNotice<K> {
    pub key: K,
    /// The session the message names (SMB1: UID), when not 0.
    pub session_id: Option<u64>,
    /// The open's id as shown in the report.
    pub file_id: String,
    /// The level broken to.
    pub level: u8,
}

impl Tracker {
    pub(super) fn oplock_notification<K: OplockKey>(&mut self, cx: &Ctx, n: OplockNotice<K>) {
        let open = K::table(self).opens.get(&n.key).cloned();
        let old = open.as_ref().map(|o| o.level);
        let ack_required = old.and_then(K::ACK_REQUIRED);
        let levels = (
            old.map(|l| K::LEVEL_NAME(l).to_string()),
            K::LEVEL_NAME(n.level).to_string(),
        );
        let b = Break {
            session_id: open.as_ref().map(|o| o.session_id).or(n.session_id),
            file: open.as_ref().map(|o| o.file.name.clone()),
            share: open.as_ref().and_then(|o| o.file.share.clone()),
            file_id: Some(n.file_id),
            cause: open.as_ref().and_then(|o| self.oplock_cause(o, cx.frame)),
            ..notification(cx, BreakKind::Oplock, K::PROTOCOL, levels, ack_required)
        };
        let table = K::table(self);
        if ack_required == Some(false)
            && let Some(o) = table.opens.get_mut(&n.key)
        {
            o.level = n.level;
        }
        let previous = table.pending.get(&n.key).copied();
        if let Some(i) = self.notified(b, previous) {
            K::table(self).pending.insert(n.key, i);
        }
    }

    /// The client's acknowledgment `ack` of the break of the open `key` (`None`: not
    /// known); `what` names it if it matches no notification.
    pub(super) fn oplock_ack<K: OplockKey>(
        &mut self,
        cx: &Ctx,
        key: Option<K>,
        ack: BreakAck,
        what: impl FnOnce() -> String,
    ) {
        let pending = key.as_ref().and_then(|k| K::table(self).pending.remove(k));
        let acked = key
            .as_ref()
            .and_then(|k| K::table(self).acked.get(k).copied());
        if let Some(i) = self.acknowledged(cx, (pending, acked), ack, what)
            && let Some(k) = key
        {
            K::table(self).acked.insert(k, i);
        }
    }
}

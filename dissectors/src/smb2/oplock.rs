//! OPLOCK_BREAK: oplock break notification/acknowledgment/response (MS-SMB2 2.2.23.1,
//! 2.2.24.1, 2.2.25.1; StructureSize 24), lease break notification (2.2.23.2; 44) and
//! lease break acknowledgment/response (2.2.24.2, 2.2.25.2; 36). The StructureSize
//! tells the three forms apart; the header's response flag and MessageId
//! (0xFFFFFFFFFFFFFFFF for notifications, 3.3.4.6) tell direction.

use super::{Body, FileId, body_structure_size, file_id};
use crate::error::{Error, Result};
use crate::util::{array, u8_, u16_, u32_, u64_};

/// SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED (2.2.23.2).
pub const NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED: u32 = 0x0000_0001;

/// Oplock break notification, acknowledgment or response (24 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OplockBreak {
    /// OplockLevel (`OPLOCK_LEVEL_*`): the new level.
    pub oplock_level: u8,
    /// FileId.
    pub file_id: FileId,
}

/// Lease break notification (44 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseBreakNotification {
    /// NewEpoch (v2 leases).
    pub new_epoch: u16,
    /// Flags (`NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED`).
    pub flags: u32,
    /// LeaseKey.
    pub lease_key: [u8; 16],
    /// CurrentLeaseState.
    pub current_state: u32,
    /// NewLeaseState.
    pub new_state: u32,
    /// BreakReason (reserved).
    pub break_reason: u32,
    /// AccessMaskHint (reserved).
    pub access_mask_hint: u32,
    /// ShareMaskHint (reserved).
    pub share_mask_hint: u32,
}

impl LeaseBreakNotification {
    /// True when the client must acknowledge.
    pub fn ack_required(&self) -> bool {
        self.flags & NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED != 0
    }
}

/// Lease break acknowledgment or response (36 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseBreakAck {
    /// Flags (reserved).
    pub flags: u32,
    /// LeaseKey.
    pub lease_key: [u8; 16],
    /// LeaseState.
    pub lease_state: u32,
    /// LeaseDuration (reserved).
    pub lease_duration: u64,
}

/// Parse an OPLOCK_BREAK body of any form; `msg` starts at the SMB2 header.
pub fn parse_oplock_break(msg: &[u8]) -> Result<Body<'_>> {
    let body = msg.get(super::HEADER_LEN..).ok_or(Error::Truncated)?;
    let (i, _size) = u16_(body)?;
    match body_structure_size(msg) {
        Some(24) => {
            let (i, oplock_level) = u8_(i)?;
            let (i, _reserved) = u8_(i)?;
            let (i, _reserved2) = u32_(i)?;
            let (_, file_id) = file_id(i)?;
            Ok(Body::OplockBreak(OplockBreak {
                oplock_level,
                file_id,
            }))
        }
        Some(44) => {
            let (i, new_epoch) = u16_(i)?;
            let (i, flags) = u32_(i)?;
            let (i, lease_key) = array::<16>(i)?;
            let (i, current_state) = u32_(i)?;
            let (i, new_state) = u32_(i)?;
            let (i, break_reason) = u32_(i)?;
            let (i, access_mask_hint) = u32_(i)?;
            let (_, share_mask_hint) = u32_(i)?;
            Ok(Body::LeaseBreakNotification(LeaseBreakNotification {
                new_epoch,
                flags,
                lease_key,
                current_state,
                new_state,
                break_reason,
                access_mask_hint,
                share_mask_hint,
            }))
        }
        Some(36) => {
            let (i, _reserved) = u16_(i)?;
            let (i, flags) = u32_(i)?;
            let (i, lease_key) = array::<16>(i)?;
            let (i, lease_state) = u32_(i)?;
            let (_, lease_duration) = u64_(i)?;
            Ok(Body::LeaseBreakAck(LeaseBreakAck {
                flags,
                lease_key,
                lease_state,
                lease_duration,
            }))
        }
        _ => Err(Error::Invalid("unknown OPLOCK_BREAK StructureSize")),
    }
}

//! SMB_COM_LOCKING_ANDX (MS-CIFS 2.2.4.32): byte-range locks and, with
//! `LOCKING_ANDX_OPLOCK_RELEASE`, oplock breaks and their acknowledgments.

use super::message::parse_andx;
use super::{AndX, Block};
use crate::error::Result;
use crate::util::{u8_, u16_, u32_};

// LOCKING_ANDX TypeOfLock (2.2.4.32.1)
/// OPLOCK_RELEASE: an oplock break (server to client) or its acknowledgment.
pub const LOCKING_ANDX_OPLOCK_RELEASE: u8 = 0x02;

/// LOCKING_ANDX request (2.2.4.32.1). Sent by the server (MID 0xFFFF) with
/// `LOCKING_ANDX_OPLOCK_RELEASE` it is an oplock break; sent by the client with that
/// bit it acknowledges one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockingRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// FID.
    pub fid: u16,
    /// TypeOfLock (`LOCKING_ANDX_*`).
    pub type_of_lock: u8,
    /// NewOpLockLevel (0 none, 1 level II).
    pub new_oplock_level: u8,
    /// Timeout.
    pub timeout: u32,
    /// NumberOfRequestedUnlocks.
    pub number_of_unlocks: u16,
    /// NumberOfRequestedLocks.
    pub number_of_locks: u16,
    /// The unlock and lock ranges (raw).
    pub ranges: &'a [u8],
}

impl LockingRequest<'_> {
    /// OPLOCK_RELEASE set.
    pub fn is_oplock_release(&self) -> bool {
        self.type_of_lock & LOCKING_ANDX_OPLOCK_RELEASE != 0
    }
}

/// Parse a LOCKING_ANDX request block.
pub fn parse_locking_request<'a>(b: &Block<'a>) -> Result<LockingRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, fid) = u16_(i)?;
    let (i, type_of_lock) = u8_(i)?;
    let (i, new_oplock_level) = u8_(i)?;
    let (i, timeout) = u32_(i)?;
    let (i, number_of_unlocks) = u16_(i)?;
    let (_, number_of_locks) = u16_(i)?;
    Ok(LockingRequest {
        andx,
        fid,
        type_of_lock,
        new_oplock_level,
        timeout,
        number_of_unlocks,
        number_of_locks,
        ranges: b.bytes,
    })
}

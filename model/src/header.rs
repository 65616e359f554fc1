//! A message's header fields as they were on the wire, which the engine attaches to each
//! message from the header it dissected (`Message::header`): what the TUI's detail pane
//! shows, so that it never decodes bytes itself.

use dissectors::{smb1, smb2, transform};

/// The fixed header of an SMB1 or SMB2 message, or of an SMB3 transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    Smb2(Smb2Header),
    Smb1(Smb1Header),
    Transform(TransformHeader),
}

/// The 64-byte SMB2 header (MS-SMB2 2.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Smb2Header {
    pub command: u16,
    pub status: u32,
    /// `names::smb2_flags` names its bits.
    pub flags: u32,
    pub credit_charge: u16,
    pub credits: u16,
    pub next_command: u32,
    pub message_id: u64,
    pub ids: Smb2Ids,
    /// As on the wire: 0xFFFFFFFFFFFFFFFF in a related element that names the previous
    /// element's session (`Message::session_id` holds that session).
    pub session_id: u64,
    pub signature: [u8; 16],
}

/// The 8 bytes at offset 32 of an SMB2 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Smb2Ids {
    Async { async_id: u64 },
    Sync { process_id: u32, tree_id: u32 },
}

/// The 32-byte SMB1 header (MS-CIFS 2.2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Smb1Header {
    pub command: u8,
    pub status: u32,
    pub flags: u8,
    pub flags2: u16,
    /// PIDHigh and PIDLow.
    pub pid: u32,
    pub tid: u16,
    pub uid: u16,
    pub mid: u16,
    pub signature: [u8; 8],
}

/// The SMB3 transform header (MS-SMB2 2.2.41) of a message that was not decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransformHeader {
    /// The AEAD tag.
    pub signature: [u8; 16],
    pub nonce: [u8; 16],
    pub original_size: u32,
    pub flags: u16,
    pub session_id: u64,
}

/// Byte offset of SessionId in the SMB2 header.
const SMB2_SESSION_ID: usize = 40;

impl From<&smb2::Header<'_>> for Smb2Header {
    fn from(h: &smb2::Header<'_>) -> Self {
        // The engine gives a related element the previous element's SessionId; the raw
        // bytes keep what was sent.
        let wire_session = h
            .raw
            .get(SMB2_SESSION_ID..SMB2_SESSION_ID + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(h.session_id, u64::from_le_bytes);
        Smb2Header {
            command: h.command,
            status: h.status,
            flags: h.flags,
            credit_charge: h.credit_charge,
            credits: h.credits,
            next_command: h.next_command,
            message_id: h.message_id,
            ids: match h.ids {
                smb2::HeaderIds::Async { async_id } => Smb2Ids::Async { async_id },
                smb2::HeaderIds::Sync {
                    process_id,
                    tree_id,
                } => Smb2Ids::Sync {
                    process_id,
                    tree_id,
                },
            },
            session_id: wire_session,
            signature: h.signature,
        }
    }
}

impl From<&smb1::Header<'_>> for Smb1Header {
    fn from(h: &smb1::Header<'_>) -> Self {
        Smb1Header {
            command: h.command,
            status: h.status,
            flags: h.flags,
            flags2: h.flags2,
            pid: h.pid(),
            tid: h.tid,
            uid: h.uid,
            mid: h.mid,
            signature: h.signature,
        }
    }
}

impl From<&transform::TransformHeader<'_>> for TransformHeader {
    fn from(h: &transform::TransformHeader<'_>) -> Self {
        TransformHeader {
            signature: h.signature,
            nonce: h.nonce,
            original_size: h.original_message_size,
            flags: h.flags,
            session_id: h.session_id,
        }
    }
}

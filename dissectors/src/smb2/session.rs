//! SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6) and TREE_CONNECT (2.2.9, 2.2.10).

use super::body_with_size;
use crate::error::Result;
use crate::util::{self, u8_, u16_, u32_, u64_};

/// SMB2_SESSION_FLAG_BINDING: bind this connection to an existing session (2.2.5).
pub const SESSION_FLAG_BINDING: u8 = 0x01;

/// SMB2_SESSION_FLAG_IS_GUEST (2.2.6).
pub const SESSION_FLAG_IS_GUEST: u16 = 0x0001;
/// SMB2_SESSION_FLAG_IS_NULL.
pub const SESSION_FLAG_IS_NULL: u16 = 0x0002;
/// SMB2_SESSION_FLAG_ENCRYPT_DATA (2.2.6): the session must be encrypted.
pub const SESSION_FLAG_ENCRYPT_DATA: u16 = 0x0004;
/// SMB2_SHAREFLAG_ENCRYPT_DATA (2.2.10): the share must be reached encrypted.
pub const SHAREFLAG_ENCRYPT_DATA: u32 = 0x0000_8000;

/// SESSION_SETUP request (2.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// Flags (`SESSION_FLAG_BINDING`).
    pub flags: u8,
    /// SecurityMode (`NEGOTIATE_SIGNING_*`, 8-bit here).
    pub security_mode: u8,
    /// Capabilities.
    pub capabilities: u32,
    /// Channel (reserved, 0).
    pub channel: u32,
    /// PreviousSessionId (reconnect).
    pub previous_session_id: u64,
    /// Security buffer (SPNEGO / GSS token).
    pub security_buffer: &'a [u8],
}

impl SessionSetupRequest<'_> {
    /// True for a multichannel binding request.
    pub fn is_binding(&self) -> bool {
        self.flags & SESSION_FLAG_BINDING != 0
    }
}

/// Parse a SESSION_SETUP request; `msg` starts at the SMB2 header.
pub fn parse_session_setup_request(msg: &[u8]) -> Result<SessionSetupRequest<'_>> {
    let body = body_with_size(msg, 25)?;
    let (i, _size) = u16_(body)?;
    let (i, flags) = u8_(i)?;
    let (i, security_mode) = u8_(i)?;
    let (i, capabilities) = u32_(i)?;
    let (i, channel) = u32_(i)?;
    let (i, sec_off) = u16_(i)?;
    let (i, sec_len) = u16_(i)?;
    let (_, previous_session_id) = u64_(i)?;
    Ok(SessionSetupRequest {
        flags,
        security_mode,
        capabilities,
        channel,
        previous_session_id,
        security_buffer: util::buffer(msg, sec_off.into(), sec_len.into())?,
    })
}

/// SESSION_SETUP response (2.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupResponse<'a> {
    /// SessionFlags (`SESSION_FLAG_IS_GUEST`, `_IS_NULL`, SMB2_SESSION_FLAG_ENCRYPT_DATA).
    pub session_flags: u16,
    /// Security buffer.
    pub security_buffer: &'a [u8],
}

/// Parse a SESSION_SETUP response; `msg` starts at the SMB2 header.
pub fn parse_session_setup_response(msg: &[u8]) -> Result<SessionSetupResponse<'_>> {
    let body = body_with_size(msg, 9)?;
    let (i, _size) = u16_(body)?;
    let (i, session_flags) = u16_(i)?;
    let (i, sec_off) = u16_(i)?;
    let (_, sec_len) = u16_(i)?;
    Ok(SessionSetupResponse {
        session_flags,
        security_buffer: util::buffer(msg, sec_off.into(), sec_len.into())?,
    })
}

/// SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT: the buffer starts with a
/// TREE_CONNECT_REQUEST_EXTENSION (2.2.9.1) rather than the path.
pub const TREE_CONNECT_FLAG_EXTENSION_PRESENT: u16 = 0x0004;

/// TREE_CONNECT request (2.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectRequest<'a> {
    /// Flags (3.1.1) / Reserved.
    pub flags: u16,
    /// Path, UTF-16LE (`\\server\share`).
    pub path: &'a [u8],
}

impl TreeConnectRequest<'_> {
    /// The path decoded (lossy, bounded).
    pub fn path_string(&self) -> String {
        util::utf16le_lossy(self.path)
    }
}

/// Parse a TREE_CONNECT request; `msg` starts at the SMB2 header.
pub fn parse_tree_connect_request(msg: &[u8]) -> Result<TreeConnectRequest<'_>> {
    let body = body_with_size(msg, 9)?;
    let (i, _size) = u16_(body)?;
    let (i, flags) = u16_(i)?;
    let (i, path_off) = u16_(i)?;
    let (_, path_len) = u16_(i)?;
    let mut path = util::buffer(msg, path_off.into(), path_len.into())?;
    if flags & TREE_CONNECT_FLAG_EXTENSION_PRESENT != 0 {
        // 2.2.9.1: the buffer is a TREE_CONNECT_REQUEST_EXTENSION: context offset (4),
        // context count (2), reserved (10), then the path name.
        let start = usize::from(path_off).saturating_add(16);
        if let Some(p) = util::slice(msg, start, path_len.into()) {
            path = p;
        }
    }
    Ok(TreeConnectRequest { flags, path })
}

/// SMB2_SHARE_TYPE_PIPE.
pub const SHARE_TYPE_PIPE: u8 = 0x02;

/// TREE_CONNECT response (2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectResponse {
    /// ShareType (`SHARE_TYPE_*`).
    pub share_type: u8,
    /// ShareFlags (SMB2_SHAREFLAG_*).
    pub share_flags: u32,
    /// Capabilities (SMB2_SHARE_CAP_*).
    pub capabilities: u32,
    /// MaximalAccess.
    pub maximal_access: u32,
}

/// Parse a TREE_CONNECT response; `msg` starts at the SMB2 header.
pub fn parse_tree_connect_response(msg: &[u8]) -> Result<TreeConnectResponse> {
    let body = body_with_size(msg, 16)?;
    let (i, _size) = u16_(body)?;
    let (i, share_type) = u8_(i)?;
    let (i, _reserved) = u8_(i)?;
    let (i, share_flags) = u32_(i)?;
    let (i, capabilities) = u32_(i)?;
    let (_, maximal_access) = u32_(i)?;
    Ok(TreeConnectResponse {
        share_type,
        share_flags,
        capabilities,
        maximal_access,
    })
}

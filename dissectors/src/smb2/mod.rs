//! SMB2/SMB3 (MS-SMB2).
//!
//! - [`parse_header`] / [`Header`]: the 64-byte header (2.2.1).
//! - [`Compound`]: the elements of a PDU, each as the exact bytes its signature covers.
//! - [`parse_body`] / [`Body`]: typed bodies; buffers inside a body are addressed by
//!   offsets from the start of the SMB2 header, so body parsers take the whole element
//!   (`msg`, header included), not just the bytes after the header.

mod algorithms;
mod create;
mod header;
mod io;
mod ioctl;
mod negotiate;
mod oplock;
mod session;

pub use algorithms::{Cipher, Dialect, SigningAlgorithm};
pub use create::*;
pub use header::*;
pub use io::*;
pub use ioctl::*;
pub use negotiate::*;
pub use oplock::*;
pub use session::*;

pub use crate::util::{U16Iter, U16List};

use crate::error::{Error, Result};

// Commands (2.2.1.2)
/// SMB2 NEGOTIATE.
pub const COMMAND_NEGOTIATE: u16 = 0x0000;
/// SMB2 SESSION_SETUP.
pub const COMMAND_SESSION_SETUP: u16 = 0x0001;
/// SMB2 LOGOFF.
pub const COMMAND_LOGOFF: u16 = 0x0002;
/// SMB2 TREE_CONNECT.
pub const COMMAND_TREE_CONNECT: u16 = 0x0003;
/// SMB2 TREE_DISCONNECT.
pub const COMMAND_TREE_DISCONNECT: u16 = 0x0004;
/// SMB2 CREATE.
pub const COMMAND_CREATE: u16 = 0x0005;
/// SMB2 CLOSE.
pub const COMMAND_CLOSE: u16 = 0x0006;
/// SMB2 FLUSH.
pub const COMMAND_FLUSH: u16 = 0x0007;
/// SMB2 READ.
pub const COMMAND_READ: u16 = 0x0008;
/// SMB2 WRITE.
pub const COMMAND_WRITE: u16 = 0x0009;
/// SMB2 LOCK.
pub const COMMAND_LOCK: u16 = 0x000a;
/// SMB2 IOCTL.
pub const COMMAND_IOCTL: u16 = 0x000b;
/// SMB2 CANCEL.
pub const COMMAND_CANCEL: u16 = 0x000c;
/// SMB2 ECHO.
pub const COMMAND_ECHO: u16 = 0x000d;
/// SMB2 QUERY_DIRECTORY.
pub const COMMAND_QUERY_DIRECTORY: u16 = 0x000e;
/// SMB2 CHANGE_NOTIFY.
pub const COMMAND_CHANGE_NOTIFY: u16 = 0x000f;
/// SMB2 QUERY_INFO.
pub const COMMAND_QUERY_INFO: u16 = 0x0010;
/// SMB2 SET_INFO.
pub const COMMAND_SET_INFO: u16 = 0x0011;
/// SMB2 OPLOCK_BREAK.
pub const COMMAND_OPLOCK_BREAK: u16 = 0x0012;
/// SMB2 SERVER_TO_CLIENT_NOTIFICATION (3.1.1).
pub const COMMAND_SERVER_TO_CLIENT_NOTIFICATION: u16 = 0x0013;

/// Name of a command, e.g. `"NEGOTIATE"`; `"UNKNOWN"` otherwise.
pub fn command_name(command: u16) -> &'static str {
    match command {
        COMMAND_NEGOTIATE => "NEGOTIATE",
        COMMAND_SESSION_SETUP => "SESSION_SETUP",
        COMMAND_LOGOFF => "LOGOFF",
        COMMAND_TREE_CONNECT => "TREE_CONNECT",
        COMMAND_TREE_DISCONNECT => "TREE_DISCONNECT",
        COMMAND_CREATE => "CREATE",
        COMMAND_CLOSE => "CLOSE",
        COMMAND_FLUSH => "FLUSH",
        COMMAND_READ => "READ",
        COMMAND_WRITE => "WRITE",
        COMMAND_LOCK => "LOCK",
        COMMAND_IOCTL => "IOCTL",
        COMMAND_CANCEL => "CANCEL",
        COMMAND_ECHO => "ECHO",
        COMMAND_QUERY_DIRECTORY => "QUERY_DIRECTORY",
        COMMAND_CHANGE_NOTIFY => "CHANGE_NOTIFY",
        COMMAND_QUERY_INFO => "QUERY_INFO",
        COMMAND_SET_INFO => "SET_INFO",
        COMMAND_OPLOCK_BREAK => "OPLOCK_BREAK",
        COMMAND_SERVER_TO_CLIENT_NOTIFICATION => "SERVER_TO_CLIENT_NOTIFICATION",
        _ => "UNKNOWN",
    }
}

// Header flags (2.2.1.2)
/// SMB2_FLAGS_SERVER_TO_REDIR: a response.
pub const FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
/// SMB2_FLAGS_ASYNC_COMMAND: async header form.
pub const FLAGS_ASYNC_COMMAND: u32 = 0x0000_0002;
/// SMB2_FLAGS_RELATED_OPERATIONS: related compound element.
pub const FLAGS_RELATED_OPERATIONS: u32 = 0x0000_0004;
/// SMB2_FLAGS_SIGNED.
pub const FLAGS_SIGNED: u32 = 0x0000_0008;
/// SMB2_FLAGS_DFS_OPERATIONS.
pub const FLAGS_DFS_OPERATIONS: u32 = 0x1000_0000;
/// SMB2_FLAGS_REPLAY_OPERATION (3.x).
pub const FLAGS_REPLAY_OPERATION: u32 = 0x2000_0000;

// Dialects (2.2.3)
/// SMB 2.0.2.
pub const DIALECT_202: u16 = 0x0202;
/// SMB 2.1.
pub const DIALECT_210: u16 = 0x0210;
/// SMB 3.0.
pub const DIALECT_300: u16 = 0x0300;
/// SMB 3.0.2.
pub const DIALECT_302: u16 = 0x0302;
/// SMB 3.1.1.
pub const DIALECT_311: u16 = 0x0311;
/// SMB2 wildcard revision (response to a multi-protocol SMB1 negotiate).
pub const DIALECT_WILDCARD: u16 = 0x02ff;

// Security mode (2.2.3)
/// SMB2_NEGOTIATE_SIGNING_REQUIRED.
pub const NEGOTIATE_SIGNING_REQUIRED: u16 = 0x0002;

/// The body of an SMB2 message, by command and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// NEGOTIATE request.
    NegotiateRequest(NegotiateRequest<'a>),
    /// NEGOTIATE response.
    NegotiateResponse(NegotiateResponse<'a>),
    /// SESSION_SETUP request.
    SessionSetupRequest(SessionSetupRequest<'a>),
    /// SESSION_SETUP response.
    SessionSetupResponse(SessionSetupResponse<'a>),
    /// LOGOFF request or response (no fields).
    Logoff,
    /// TREE_CONNECT request.
    TreeConnectRequest(TreeConnectRequest<'a>),
    /// TREE_CONNECT response.
    TreeConnectResponse(TreeConnectResponse),
    /// TREE_DISCONNECT request or response (no fields).
    TreeDisconnect,
    /// CREATE request.
    CreateRequest(CreateRequest<'a>),
    /// CREATE response.
    CreateResponse(CreateResponse<'a>),
    /// CLOSE request.
    CloseRequest(CloseRequest),
    /// CLOSE response.
    CloseResponse(CloseResponse),
    /// READ request.
    ReadRequest(ReadRequest),
    /// READ response.
    ReadResponse(ReadResponse<'a>),
    /// WRITE request.
    WriteRequest(WriteRequest<'a>),
    /// WRITE response.
    WriteResponse(WriteResponse),
    /// IOCTL request.
    IoctlRequest(IoctlRequest<'a>),
    /// IOCTL response.
    IoctlResponse(IoctlResponse<'a>),
    /// CANCEL request (no fields).
    Cancel,
    /// ECHO request or response (no fields).
    Echo,
    /// Oplock break notification, acknowledgment or response (24 bytes; tell them apart
    /// with the header: response flag, MessageId 0xFFFF.. for the notification).
    OplockBreak(OplockBreak),
    /// Lease break notification (44 bytes, server to client).
    LeaseBreakNotification(LeaseBreakNotification),
    /// Lease break acknowledgment (request) or response (36 bytes).
    LeaseBreakAck(LeaseBreakAck),
    /// SMB2 ERROR response (StructureSize 9, any command).
    Error(ErrorResponse<'a>),
    /// A command or form this crate does not type: the body's StructureSize and bytes.
    Other {
        /// StructureSize of the body (0 if absent).
        structure_size: u16,
        /// Body bytes after the header.
        body: &'a [u8],
    },
}

/// StructureSize of a command's non-error response.
fn response_structure_size(command: u16) -> Option<u16> {
    Some(match command {
        COMMAND_NEGOTIATE => 65,
        COMMAND_SESSION_SETUP => 9,
        COMMAND_LOGOFF | COMMAND_TREE_DISCONNECT | COMMAND_ECHO | COMMAND_FLUSH => 4,
        COMMAND_LOCK => 4,
        COMMAND_TREE_CONNECT => 16,
        COMMAND_CREATE => 89,
        COMMAND_CLOSE => 60,
        COMMAND_READ | COMMAND_WRITE => 17,
        COMMAND_IOCTL => 49,
        COMMAND_QUERY_DIRECTORY | COMMAND_CHANGE_NOTIFY | COMMAND_QUERY_INFO => 9,
        COMMAND_SET_INFO => 2,
        _ => return None,
    })
}

/// The StructureSize of a body (first two bytes after the header), if present.
pub fn body_structure_size(msg: &[u8]) -> Option<u16> {
    let b: [u8; 2] = msg.get(HEADER_LEN..HEADER_LEN + 2)?.try_into().ok()?;
    Some(u16::from_le_bytes(b))
}

/// True when a response body is the SMB2 ERROR response (2.2.2) rather than the
/// command's own response. Both can have StructureSize 9 (SESSION_SETUP,
/// QUERY_INFO...), so for those the status decides: success and the statuses that carry
/// a normal body (MORE_PROCESSING_REQUIRED, BUFFER_OVERFLOW) are not errors.
pub fn is_error_response(header: &Header<'_>, msg: &[u8]) -> bool {
    use crate::status::*;
    if !header.is_response() || body_structure_size(msg) != Some(9) {
        return false;
    }
    if response_structure_size(header.command) != Some(9) {
        return true;
    }
    let normal_body = matches!(
        header.status,
        STATUS_SUCCESS | STATUS_MORE_PROCESSING_REQUIRED | STATUS_BUFFER_OVERFLOW
    ) || (header.command == COMMAND_CHANGE_NOTIFY
        && header.status == STATUS_NOTIFY_ENUM_DIR);
    !normal_body
}

/// Parse the body of the message `msg` (an element starting with its header) whose
/// header is `header`.
pub fn parse_body<'a>(header: &Header<'a>, msg: &'a [u8]) -> Result<Body<'a>> {
    if is_error_response(header, msg) {
        return parse_error_response(msg).map(Body::Error);
    }
    let resp = header.is_response();
    Ok(match (header.command, resp) {
        (COMMAND_NEGOTIATE, false) => Body::NegotiateRequest(parse_negotiate_request(msg)?),
        (COMMAND_NEGOTIATE, true) => Body::NegotiateResponse(parse_negotiate_response(msg)?),
        (COMMAND_SESSION_SETUP, false) => {
            Body::SessionSetupRequest(parse_session_setup_request(msg)?)
        }
        (COMMAND_SESSION_SETUP, true) => {
            Body::SessionSetupResponse(parse_session_setup_response(msg)?)
        }
        (COMMAND_LOGOFF, _) => {
            fixed_body(msg, 4)?;
            Body::Logoff
        }
        (COMMAND_TREE_CONNECT, false) => Body::TreeConnectRequest(parse_tree_connect_request(msg)?),
        (COMMAND_TREE_CONNECT, true) => {
            Body::TreeConnectResponse(parse_tree_connect_response(msg)?)
        }
        (COMMAND_TREE_DISCONNECT, _) => {
            fixed_body(msg, 4)?;
            Body::TreeDisconnect
        }
        (COMMAND_CREATE, false) => Body::CreateRequest(parse_create_request(msg)?),
        (COMMAND_CREATE, true) => Body::CreateResponse(parse_create_response(msg)?),
        (COMMAND_CLOSE, false) => Body::CloseRequest(parse_close_request(msg)?),
        (COMMAND_CLOSE, true) => Body::CloseResponse(parse_close_response(msg)?),
        (COMMAND_READ, false) => Body::ReadRequest(parse_read_request(msg)?),
        (COMMAND_READ, true) => Body::ReadResponse(parse_read_response(msg)?),
        (COMMAND_WRITE, false) => Body::WriteRequest(parse_write_request(msg)?),
        (COMMAND_WRITE, true) => Body::WriteResponse(parse_write_response(msg)?),
        (COMMAND_IOCTL, false) => Body::IoctlRequest(parse_ioctl_request(msg)?),
        (COMMAND_IOCTL, true) => Body::IoctlResponse(parse_ioctl_response(msg)?),
        (COMMAND_CANCEL, _) => {
            fixed_body(msg, 4)?;
            Body::Cancel
        }
        (COMMAND_ECHO, _) => {
            fixed_body(msg, 4)?;
            Body::Echo
        }
        (COMMAND_OPLOCK_BREAK, _) => parse_oplock_break(msg)?,
        _ => {
            let body = msg.get(HEADER_LEN..).unwrap_or(&[]);
            Body::Other {
                structure_size: body_structure_size(msg).unwrap_or(0),
                body,
            }
        }
    })
}

/// Check a fixed-size body's StructureSize (the 4-byte bodies of LOGOFF, ECHO...).
fn fixed_body(msg: &[u8], size: u16) -> Result<()> {
    match body_structure_size(msg) {
        None => Err(Error::Truncated),
        Some(s) if s == size => Ok(()),
        Some(_) => Err(Error::Invalid("unexpected StructureSize")),
    }
}

/// A message: its header and body (see [`parse_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The header.
    pub header: Header<'a>,
    /// The typed body.
    pub body: Body<'a>,
    /// The whole element (header included).
    pub raw: &'a [u8],
}

/// Parse one element (header and body) at the start of `msg`.
pub fn parse_message(msg: &[u8]) -> Result<Message<'_>> {
    let (_, header) = parse_header(msg)?;
    let body = parse_body(&header, msg)?;
    Ok(Message {
        header,
        body,
        raw: msg,
    })
}

/// The body bytes (after the header) of `msg`, checking the StructureSize.
pub(crate) fn body_with_size(msg: &[u8], size: u16) -> Result<&[u8]> {
    let body = msg.get(HEADER_LEN..).ok_or(Error::Truncated)?;
    match body_structure_size(msg) {
        None => Err(Error::Truncated),
        Some(s) if s == size => Ok(body),
        Some(_) => Err(Error::Invalid("unexpected StructureSize")),
    }
}

/// A 16-byte SMB2_FILEID (Persistent, Volatile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId {
    /// Persistent part.
    pub persistent: u64,
    /// Volatile part.
    pub volatile: u64,
}

impl FileId {
    /// FileId 0xFFFFFFFFFFFFFFFF:0xFFFFFFFFFFFFFFFF: "the file of the previous element"
    /// in a related compound (3.2.4.1.4).
    pub const RELATED: FileId = FileId {
        persistent: u64::MAX,
        volatile: u64::MAX,
    };
}

pub(crate) fn file_id(i: &[u8]) -> crate::util::PResult<'_, FileId> {
    let (i, persistent) = crate::util::u64_(i)?;
    let (i, volatile) = crate::util::u64_(i)?;
    Ok((
        i,
        FileId {
            persistent,
            volatile,
        },
    ))
}

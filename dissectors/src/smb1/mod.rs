//! SMB1 / CIFS (MS-CIFS, with the MS-SMB extensions).
//!
//! - [`parse_header`] / [`Header`]: the 32-byte header (MS-CIFS 2.2.3.1).
//! - [`parse_message`] / [`Message`]: header plus the first parameter (word) and data
//!   (byte) blocks; [`Message::chain`] iterates an AndX chain (MS-CIFS 2.2.3.4).
//! - [`parse_body`] / [`Body`]: typed records for the commands smbcheck needs.
//!
//! Strings in byte blocks are UTF-16LE when `FLAGS2_UNICODE` is set, aligned to an even
//! offset from the start of the header (MS-CIFS 2.2.1.1), else OEM.
//!
//! One file per concern, all re-exported here: `header`, `message` (blocks, AndX),
//! `strings`, `negotiate`, `session` (SESSION_SETUP_ANDX, TREE_CONNECT_ANDX), `create`
//! (NT_CREATE_ANDX, CLOSE), `locking` (LOCKING_ANDX, oplock breaks), `io` (READ_ANDX,
//! WRITE_ANDX), `trans` (the transaction commands); commands and [`Body`] live here.

mod create;
mod header;
mod io;
mod locking;
mod message;
mod negotiate;
mod session;
mod strings;
mod trans;

pub use create::*;
pub use header::*;
pub use io::*;
pub use locking::*;
pub use message::*;
pub use negotiate::*;
pub use session::*;
pub use strings::SmbString;
pub use trans::*;

use crate::error::Result;

// Commands (MS-CIFS 2.2.2.1)
/// SMB_COM_CLOSE.
pub const COM_CLOSE: u8 = 0x04;
/// SMB_COM_DELETE.
pub const COM_DELETE: u8 = 0x06;
/// SMB_COM_LOCKING_ANDX.
pub const COM_LOCKING_ANDX: u8 = 0x24;
/// SMB_COM_TRANSACTION.
pub const COM_TRANSACTION: u8 = 0x25;
/// SMB_COM_TRANSACTION_SECONDARY.
pub const COM_TRANSACTION_SECONDARY: u8 = 0x26;
/// SMB_COM_ECHO.
pub const COM_ECHO: u8 = 0x2b;
/// SMB_COM_OPEN_ANDX.
pub const COM_OPEN_ANDX: u8 = 0x2d;
/// SMB_COM_READ_ANDX.
pub const COM_READ_ANDX: u8 = 0x2e;
/// SMB_COM_WRITE_ANDX.
pub const COM_WRITE_ANDX: u8 = 0x2f;
/// SMB_COM_TRANSACTION2.
pub const COM_TRANSACTION2: u8 = 0x32;
/// SMB_COM_TRANSACTION2_SECONDARY.
pub const COM_TRANSACTION2_SECONDARY: u8 = 0x33;
/// SMB_COM_FIND_CLOSE2.
pub const COM_FIND_CLOSE2: u8 = 0x34;
/// SMB_COM_TREE_DISCONNECT.
pub const COM_TREE_DISCONNECT: u8 = 0x71;
/// SMB_COM_NEGOTIATE.
pub const COM_NEGOTIATE: u8 = 0x72;
/// SMB_COM_SESSION_SETUP_ANDX.
pub const COM_SESSION_SETUP_ANDX: u8 = 0x73;
/// SMB_COM_LOGOFF_ANDX.
pub const COM_LOGOFF_ANDX: u8 = 0x74;
/// SMB_COM_TREE_CONNECT_ANDX.
pub const COM_TREE_CONNECT_ANDX: u8 = 0x75;
/// SMB_COM_NT_TRANSACT.
pub const COM_NT_TRANSACT: u8 = 0xa0;
/// SMB_COM_NT_TRANSACT_SECONDARY.
pub const COM_NT_TRANSACT_SECONDARY: u8 = 0xa1;
/// SMB_COM_NT_CREATE_ANDX.
pub const COM_NT_CREATE_ANDX: u8 = 0xa2;
/// SMB_COM_NT_CANCEL.
pub const COM_NT_CANCEL: u8 = 0xa4;
/// SMB_COM_NO_ANDX_COMMAND.
pub const COM_NO_ANDX_COMMAND: u8 = 0xff;

/// Name of a command (`"UNKNOWN"` for the rest).
pub fn command_name(c: u8) -> &'static str {
    match c {
        0x00 => "CREATE_DIRECTORY",
        0x01 => "DELETE_DIRECTORY",
        0x02 => "OPEN",
        0x03 => "CREATE",
        COM_CLOSE => "CLOSE",
        0x05 => "FLUSH",
        COM_DELETE => "DELETE",
        0x07 => "RENAME",
        0x08 => "QUERY_INFORMATION",
        0x09 => "SET_INFORMATION",
        0x0a => "READ",
        0x0b => "WRITE",
        0x0c => "LOCK_BYTE_RANGE",
        0x0d => "UNLOCK_BYTE_RANGE",
        0x10 => "CHECK_DIRECTORY",
        0x12 => "SEEK",
        0x1a => "READ_RAW",
        0x1d => "WRITE_RAW",
        COM_LOCKING_ANDX => "LOCKING_ANDX",
        COM_TRANSACTION => "TRANSACTION",
        COM_TRANSACTION_SECONDARY => "TRANSACTION_SECONDARY",
        COM_ECHO => "ECHO",
        COM_OPEN_ANDX => "OPEN_ANDX",
        COM_READ_ANDX => "READ_ANDX",
        COM_WRITE_ANDX => "WRITE_ANDX",
        COM_TRANSACTION2 => "TRANSACTION2",
        COM_TRANSACTION2_SECONDARY => "TRANSACTION2_SECONDARY",
        COM_FIND_CLOSE2 => "FIND_CLOSE2",
        0x70 => "TREE_CONNECT",
        COM_TREE_DISCONNECT => "TREE_DISCONNECT",
        COM_NEGOTIATE => "NEGOTIATE",
        COM_SESSION_SETUP_ANDX => "SESSION_SETUP_ANDX",
        COM_LOGOFF_ANDX => "LOGOFF_ANDX",
        COM_TREE_CONNECT_ANDX => "TREE_CONNECT_ANDX",
        0x80 => "QUERY_INFORMATION_DISK",
        0x81 => "SEARCH",
        COM_NT_TRANSACT => "NT_TRANSACT",
        COM_NT_TRANSACT_SECONDARY => "NT_TRANSACT_SECONDARY",
        COM_NT_CREATE_ANDX => "NT_CREATE_ANDX",
        COM_NT_CANCEL => "NT_CANCEL",
        0xa5 => "NT_RENAME",
        0xc0 => "OPEN_PRINT_FILE",
        _ => "UNKNOWN",
    }
}

/// True for the commands whose parameter block starts with an AndX header.
pub fn is_andx(c: u8) -> bool {
    matches!(
        c,
        COM_LOCKING_ANDX
            | COM_OPEN_ANDX
            | COM_READ_ANDX
            | COM_WRITE_ANDX
            | COM_SESSION_SETUP_ANDX
            | COM_LOGOFF_ANDX
            | COM_TREE_CONNECT_ANDX
            | COM_NT_CREATE_ANDX
    )
}

/// True for the transaction commands, whose parameters and data may span several
/// messages (a primary and secondaries; MS-CIFS 3.2.4.1.1).
pub fn is_transaction(c: u8) -> bool {
    matches!(
        c,
        COM_TRANSACTION
            | COM_TRANSACTION_SECONDARY
            | COM_TRANSACTION2
            | COM_TRANSACTION2_SECONDARY
            | COM_NT_TRANSACT
            | COM_NT_TRANSACT_SECONDARY
    )
}

/// A typed SMB1 command block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// NEGOTIATE request.
    NegotiateRequest(NegotiateRequest<'a>),
    /// NEGOTIATE response.
    NegotiateResponse(NegotiateResponse<'a>),
    /// SESSION_SETUP_ANDX request.
    SessionSetupRequest(SessionSetupRequest<'a>),
    /// SESSION_SETUP_ANDX response.
    SessionSetupResponse(SessionSetupResponse<'a>),
    /// TREE_CONNECT_ANDX request.
    TreeConnectRequest(TreeConnectRequest<'a>),
    /// NT_CREATE_ANDX request.
    NtCreateRequest(NtCreateRequest<'a>),
    /// NT_CREATE_ANDX response.
    NtCreateResponse(NtCreateResponse),
    /// LOCKING_ANDX request (including oplock breaks from the server).
    LockingRequest(LockingRequest<'a>),
    /// READ_ANDX request.
    ReadRequest(ReadRequest),
    /// READ_ANDX response.
    ReadResponse(ReadResponse<'a>),
    /// WRITE_ANDX request.
    WriteRequest(WriteRequest<'a>),
    /// WRITE_ANDX response.
    WriteResponse(WriteResponse),
    /// CLOSE request.
    CloseRequest(CloseRequest),
    /// Any transaction message.
    Transaction(Transaction<'a>),
    /// A response with neither words nor bytes (typical of errors, CLOSE...).
    Empty,
    /// Another command or form: see the block.
    Other,
}

/// Parse block `b` (of a message with header `h`) into a typed body.
pub fn parse_body<'a>(h: &Header<'_>, b: &Block<'a>) -> Result<Body<'a>> {
    let resp = h.is_response();
    if resp && b.word_count == 0 && b.bytes.is_empty() {
        return Ok(Body::Empty);
    }
    Ok(match (b.command, resp) {
        (COM_NEGOTIATE, false) => Body::NegotiateRequest(parse_negotiate_request(b)?),
        (COM_NEGOTIATE, true) => Body::NegotiateResponse(parse_negotiate_response(h, b)?),
        (COM_SESSION_SETUP_ANDX, false) => {
            Body::SessionSetupRequest(parse_session_setup_request(h, b)?)
        }
        (COM_SESSION_SETUP_ANDX, true) => {
            Body::SessionSetupResponse(parse_session_setup_response(h, b)?)
        }
        (COM_TREE_CONNECT_ANDX, false) => {
            Body::TreeConnectRequest(parse_tree_connect_request(h, b)?)
        }
        (COM_NT_CREATE_ANDX, false) => Body::NtCreateRequest(parse_nt_create_request(h, b)?),
        (COM_NT_CREATE_ANDX, true) => Body::NtCreateResponse(parse_nt_create_response(b)?),
        (COM_LOCKING_ANDX, false) => Body::LockingRequest(parse_locking_request(b)?),
        (COM_READ_ANDX, false) => Body::ReadRequest(parse_read_request(b)?),
        (COM_READ_ANDX, true) => Body::ReadResponse(parse_read_response(b)?),
        (COM_WRITE_ANDX, false) => Body::WriteRequest(parse_write_request(b)?),
        (COM_WRITE_ANDX, true) => Body::WriteResponse(parse_write_response(b)?),
        (COM_CLOSE, false) => Body::CloseRequest(parse_close_request(b)?),
        (c, _) if is_transaction(c) => Body::Transaction(parse_transaction(h, b)?),
        _ => Body::Other,
    })
}

//! Names people know: SMB command names (as Wireshark spells them) and common NT statuses.

use crate::engine::model::Protocol;

/// SMB2 command names, MS-SMB2 2.2.1.2, indexed by command code.
const SMB2_COMMANDS: [&str; 19] = [
    "NEGOTIATE",
    "SESSION_SETUP",
    "LOGOFF",
    "TREE_CONNECT",
    "TREE_DISCONNECT",
    "CREATE",
    "CLOSE",
    "FLUSH",
    "READ",
    "WRITE",
    "LOCK",
    "IOCTL",
    "CANCEL",
    "ECHO",
    "QUERY_DIRECTORY",
    "CHANGE_NOTIFY",
    "QUERY_INFO",
    "SET_INFO",
    "OPLOCK_BREAK",
];

/// SMB1 command names, MS-CIFS 2.2.2.1.
fn smb1_command(code: u16) -> Option<&'static str> {
    Some(match code {
        0x00 => "CREATE_DIRECTORY",
        0x01 => "DELETE_DIRECTORY",
        0x02 => "OPEN",
        0x03 => "CREATE",
        0x04 => "CLOSE",
        0x05 => "FLUSH",
        0x06 => "DELETE",
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
        0x22 => "SET_INFORMATION2",
        0x23 => "QUERY_INFORMATION2",
        0x24 => "LOCKING_ANDX",
        0x25 => "TRANSACTION",
        0x26 => "TRANSACTION_SECONDARY",
        0x27 => "IOCTL",
        0x2b => "ECHO",
        0x2d => "OPEN_ANDX",
        0x2e => "READ_ANDX",
        0x2f => "WRITE_ANDX",
        0x31 => "CLOSE_AND_TREE_DISC",
        0x32 => "TRANSACTION2",
        0x33 => "TRANSACTION2_SECONDARY",
        0x34 => "FIND_CLOSE2",
        0x70 => "TREE_CONNECT",
        0x71 => "TREE_DISCONNECT",
        0x72 => "NEGOTIATE",
        0x73 => "SESSION_SETUP_ANDX",
        0x74 => "LOGOFF_ANDX",
        0x75 => "TREE_CONNECT_ANDX",
        0x80 => "QUERY_INFORMATION_DISK",
        0x81 => "SEARCH",
        0xa0 => "NT_TRANSACT",
        0xa1 => "NT_TRANSACT_SECONDARY",
        0xa2 => "NT_CREATE_ANDX",
        0xa4 => "NT_CANCEL",
        0xa5 => "NT_RENAME",
        0xc0 => "OPEN_PRINT_FILE",
        0xfe => "INVALID",
        0xff => "NO_ANDX_COMMAND",
        _ => return None,
    })
}

/// The command's name, or its code in hex when it has none.
pub fn command(protocol: Protocol, code: u16) -> String {
    let known = match protocol {
        Protocol::Smb1 => smb1_command(code),
        Protocol::Smb2 => SMB2_COMMANDS.get(usize::from(code)).copied(),
        Protocol::Transform => Some("TRANSFORM"),
        Protocol::Compressed => Some("COMPRESSED"),
    };
    match known {
        Some(name) => name.to_string(),
        None => format!("0x{code:02x}"),
    }
}

/// Names of the NT statuses an SMB analyst meets most (MS-ERREF 2.3.1).
pub fn status(code: u32) -> Option<&'static str> {
    Some(match code {
        0x0000_0000 => "STATUS_SUCCESS",
        0x0000_0103 => "STATUS_PENDING",
        0x0000_010b => "STATUS_NOTIFY_CLEANUP",
        0x0000_010c => "STATUS_NOTIFY_ENUM_DIR",
        0x8000_0005 => "STATUS_BUFFER_OVERFLOW",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        0xc000_0001 => "STATUS_UNSUCCESSFUL",
        0xc000_0002 => "STATUS_NOT_IMPLEMENTED",
        0xc000_000d => "STATUS_INVALID_PARAMETER",
        0xc000_000f => "STATUS_NO_SUCH_FILE",
        0xc000_0010 => "STATUS_INVALID_DEVICE_REQUEST",
        0xc000_0011 => "STATUS_END_OF_FILE",
        0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
        0xc000_0022 => "STATUS_ACCESS_DENIED",
        0xc000_0023 => "STATUS_BUFFER_TOO_SMALL",
        0xc000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xc000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xc000_003a => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xc000_0043 => "STATUS_SHARING_VIOLATION",
        0xc000_0054 => "STATUS_FILE_LOCK_CONFLICT",
        0xc000_0055 => "STATUS_LOCK_NOT_GRANTED",
        0xc000_0056 => "STATUS_DELETE_PENDING",
        0xc000_005f => "STATUS_NO_SUCH_LOGON_SESSION",
        0xc000_006d => "STATUS_LOGON_FAILURE",
        0xc000_006e => "STATUS_ACCOUNT_RESTRICTION",
        0xc000_0071 => "STATUS_PASSWORD_EXPIRED",
        0xc000_0072 => "STATUS_ACCOUNT_DISABLED",
        0xc000_009a => "STATUS_INSUFFICIENT_RESOURCES",
        0xc000_00ba => "STATUS_FILE_IS_A_DIRECTORY",
        0xc000_00bb => "STATUS_NOT_SUPPORTED",
        0xc000_00c9 => "STATUS_NETWORK_NAME_DELETED",
        0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
        0xc000_0101 => "STATUS_DIRECTORY_NOT_EMPTY",
        0xc000_0120 => "STATUS_CANCELLED",
        0xc000_0128 => "STATUS_FILE_CLOSED",
        0xc000_015b => "STATUS_LOGON_TYPE_NOT_GRANTED",
        0xc000_0203 => "STATUS_USER_SESSION_DELETED",
        0xc000_0225 => "STATUS_NOT_FOUND",
        0xc000_022a => "STATUS_DUPLICATE_OBJECTID",
        0xc000_035c => "STATUS_NETWORK_SESSION_EXPIRED",
        0xc000_a100 => "STATUS_INVALID_SIGNATURE",
        _ => return None,
    })
}

/// A status by name when known, in hex otherwise.
pub fn status_text(code: u32) -> String {
    match status(code) {
        Some(name) => name.to_string(),
        None => super::status_hex(code),
    }
}

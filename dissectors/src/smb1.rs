//! SMB1 / CIFS (MS-CIFS, with the MS-SMB extensions).
//!
//! - [`parse_header`] / [`Header`]: the 32-byte header (MS-CIFS 2.2.3.1).
//! - [`parse_message`] / [`Message`]: header plus the first parameter (word) and data
//!   (byte) blocks; [`Message::chain`] iterates an AndX chain (MS-CIFS 2.2.3.4).
//! - [`parse_body`] / [`Body`]: typed records for the commands smbcheck needs.
//!
//! Strings in byte blocks are UTF-16LE when `FLAGS2_UNICODE` is set, aligned to an even
//! offset from the start of the header (MS-CIFS 2.2.1.1), else OEM.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::tag;

use crate::error::{Error, Result};
use crate::util::{self, PResult, array, bytes, u8_, u16_, u32_, u64_};

/// `0xFF 'S' 'M' 'B'`.
pub const PROTOCOL_ID: &[u8; 4] = b"\xffSMB";
/// Size of the SMB1 header.
pub const HEADER_LEN: usize = 32;
/// Offset of SecurityFeatures (the 8-byte signature) in the header.
pub const SIGNATURE_OFFSET: usize = 14;

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

// Flags (2.2.3.1)
/// SMB_FLAGS_LOCK_AND_READ_OK.
pub const FLAGS_LOCK_AND_READ_OK: u8 = 0x01;
/// SMB_FLAGS_CASE_INSENSITIVE.
pub const FLAGS_CASE_INSENSITIVE: u8 = 0x08;
/// SMB_FLAGS_CANONICALIZED_PATHS.
pub const FLAGS_CANONICALIZED_PATHS: u8 = 0x10;
/// SMB_FLAGS_OPLOCK (obsolete).
pub const FLAGS_OPLOCK: u8 = 0x20;
/// SMB_FLAGS_OPBATCH (obsolete).
pub const FLAGS_OPBATCH: u8 = 0x40;
/// SMB_FLAGS_REPLY: a response.
pub const FLAGS_REPLY: u8 = 0x80;

// Flags2 (2.2.3.1, MS-SMB 2.2.3.1)
/// SMB_FLAGS2_LONG_NAMES.
pub const FLAGS2_LONG_NAMES: u16 = 0x0001;
/// SMB_FLAGS2_EAS.
pub const FLAGS2_EAS: u16 = 0x0002;
/// SMB_FLAGS2_SMB_SECURITY_SIGNATURE. Not a reliable "signed" indicator: see DESIGN.md.
pub const FLAGS2_SECURITY_SIGNATURE: u16 = 0x0004;
/// SMB_FLAGS2_COMPRESSED.
pub const FLAGS2_COMPRESSED: u16 = 0x0008;
/// SMB_FLAGS2_SMB_SECURITY_SIGNATURE_REQUIRED.
pub const FLAGS2_SECURITY_SIGNATURE_REQUIRED: u16 = 0x0010;
/// SMB_FLAGS2_IS_LONG_NAME.
pub const FLAGS2_IS_LONG_NAME: u16 = 0x0040;
/// SMB_FLAGS2_REPARSE_PATH.
pub const FLAGS2_REPARSE_PATH: u16 = 0x0400;
/// SMB_FLAGS2_EXTENDED_SECURITY.
pub const FLAGS2_EXTENDED_SECURITY: u16 = 0x0800;
/// SMB_FLAGS2_DFS.
pub const FLAGS2_DFS: u16 = 0x1000;
/// SMB_FLAGS2_PAGING_IO.
pub const FLAGS2_PAGING_IO: u16 = 0x2000;
/// SMB_FLAGS2_NT_STATUS: Status is an NTSTATUS (else DOS class/code).
pub const FLAGS2_NT_STATUS: u16 = 0x4000;
/// SMB_FLAGS2_UNICODE.
pub const FLAGS2_UNICODE: u16 = 0x8000;

// SecurityMode (2.2.4.52.2)
/// NEGOTIATE_USER_SECURITY.
pub const NEGOTIATE_USER_SECURITY: u16 = 0x01;
/// NEGOTIATE_ENCRYPT_PASSWORDS (challenge/response).
pub const NEGOTIATE_ENCRYPT_PASSWORDS: u16 = 0x02;
/// NEGOTIATE_SECURITY_SIGNATURES_ENABLED.
pub const NEGOTIATE_SECURITY_SIGNATURES_ENABLED: u16 = 0x04;
/// NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
pub const NEGOTIATE_SECURITY_SIGNATURES_REQUIRED: u16 = 0x08;

// Capabilities (2.2.4.52.2, MS-SMB 2.2.4.5.2)
/// CAP_RAW_MODE.
pub const CAP_RAW_MODE: u32 = 0x0000_0001;
/// CAP_MPX_MODE.
pub const CAP_MPX_MODE: u32 = 0x0000_0002;
/// CAP_UNICODE.
pub const CAP_UNICODE: u32 = 0x0000_0004;
/// CAP_LARGE_FILES.
pub const CAP_LARGE_FILES: u32 = 0x0000_0008;
/// CAP_NT_SMBS.
pub const CAP_NT_SMBS: u32 = 0x0000_0010;
/// CAP_RPC_REMOTE_APIS.
pub const CAP_RPC_REMOTE_APIS: u32 = 0x0000_0020;
/// CAP_STATUS32.
pub const CAP_STATUS32: u32 = 0x0000_0040;
/// CAP_LEVEL_II_OPLOCKS.
pub const CAP_LEVEL_II_OPLOCKS: u32 = 0x0000_0080;
/// CAP_LOCK_AND_READ.
pub const CAP_LOCK_AND_READ: u32 = 0x0000_0100;
/// CAP_NT_FIND.
pub const CAP_NT_FIND: u32 = 0x0000_0200;
/// CAP_DFS.
pub const CAP_DFS: u32 = 0x0000_1000;
/// CAP_INFOLEVEL_PASSTHRU.
pub const CAP_INFOLEVEL_PASSTHRU: u32 = 0x0000_2000;
/// CAP_LARGE_READX.
pub const CAP_LARGE_READX: u32 = 0x0000_4000;
/// CAP_LARGE_WRITEX.
pub const CAP_LARGE_WRITEX: u32 = 0x0000_8000;
/// CAP_LWIO.
pub const CAP_LWIO: u32 = 0x0001_0000;
/// CAP_UNIX.
pub const CAP_UNIX: u32 = 0x0080_0000;
/// CAP_DYNAMIC_REAUTH.
pub const CAP_DYNAMIC_REAUTH: u32 = 0x2000_0000;
/// CAP_EXTENDED_SECURITY.
pub const CAP_EXTENDED_SECURITY: u32 = 0x8000_0000;

/// SESSION_SETUP_ANDX response Action bit: logged in as guest.
pub const ACTION_GUEST: u16 = 0x0001;

// NT_CREATE_ANDX Flags (2.2.4.64.1)
/// NT_CREATE_REQUEST_OPLOCK.
pub const NT_CREATE_REQUEST_OPLOCK: u32 = 0x0000_0002;
/// NT_CREATE_REQUEST_OPBATCH.
pub const NT_CREATE_REQUEST_OPBATCH: u32 = 0x0000_0004;
/// NT_CREATE_OPEN_TARGET_DIR.
pub const NT_CREATE_OPEN_TARGET_DIR: u32 = 0x0000_0008;
/// NT_CREATE_REQUEST_EXTENDED_RESPONSE (MS-SMB).
pub const NT_CREATE_REQUEST_EXTENDED_RESPONSE: u32 = 0x0000_0010;

// OplockLevel in NT_CREATE_ANDX response (2.2.4.64.2)
/// No oplock granted.
pub const OPLOCK_NONE: u8 = 0;
/// Exclusive oplock granted.
pub const OPLOCK_EXCLUSIVE: u8 = 1;
/// Batch oplock granted.
pub const OPLOCK_BATCH: u8 = 2;
/// Level II oplock granted.
pub const OPLOCK_LEVEL_II: u8 = 3;

// LOCKING_ANDX TypeOfLock (2.2.4.32.1)
/// SHARED_LOCK.
pub const LOCKING_ANDX_SHARED_LOCK: u8 = 0x01;
/// OPLOCK_RELEASE: an oplock break (server to client) or its acknowledgment.
pub const LOCKING_ANDX_OPLOCK_RELEASE: u8 = 0x02;
/// CHANGE_LOCKTYPE.
pub const LOCKING_ANDX_CHANGE_LOCKTYPE: u8 = 0x04;
/// CANCEL_LOCK.
pub const LOCKING_ANDX_CANCEL_LOCK: u8 = 0x08;
/// LARGE_FILES.
pub const LOCKING_ANDX_LARGE_FILES: u8 = 0x10;

/// The 32-byte SMB1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The 32 raw bytes.
    pub raw: &'a [u8],
    /// Command (`COM_*`).
    pub command: u8,
    /// Status: NTSTATUS with FLAGS2_NT_STATUS, else DOS (class, reserved, code LE).
    pub status: u32,
    /// Flags (`FLAGS_*`).
    pub flags: u8,
    /// Flags2 (`FLAGS2_*`).
    pub flags2: u16,
    /// PIDHigh.
    pub pid_high: u16,
    /// SecurityFeatures: the 8-byte signature once signing is active.
    pub signature: [u8; 8],
    /// TID.
    pub tid: u16,
    /// PIDLow.
    pub pid_low: u16,
    /// UID.
    pub uid: u16,
    /// MID.
    pub mid: u16,
}

impl Header<'_> {
    /// SMB_FLAGS_REPLY.
    pub fn is_response(&self) -> bool {
        self.flags & FLAGS_REPLY != 0
    }
    /// SMB_FLAGS2_UNICODE.
    pub fn is_unicode(&self) -> bool {
        self.flags2 & FLAGS2_UNICODE != 0
    }
    /// SMB_FLAGS2_EXTENDED_SECURITY.
    pub fn is_extended_security(&self) -> bool {
        self.flags2 & FLAGS2_EXTENDED_SECURITY != 0
    }
    /// SMB_FLAGS2_NT_STATUS.
    pub fn is_nt_status(&self) -> bool {
        self.flags2 & FLAGS2_NT_STATUS != 0
    }
    /// The 32-bit process id (PIDHigh << 16 | PIDLow).
    pub fn pid(&self) -> u32 {
        (u32::from(self.pid_high) << 16) | u32::from(self.pid_low)
    }
}

/// Parse the 32-byte header; the rest is the parameter block onwards.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], Header<'_>> {
    let (i, _) = tag(&PROTOCOL_ID[..]).parse(input)?;
    let (i, command) = u8_(i)?;
    let (i, status) = u32_(i)?;
    let (i, flags) = u8_(i)?;
    let (i, flags2) = u16_(i)?;
    let (i, pid_high) = u16_(i)?;
    let (i, signature) = array::<8>(i)?;
    let (i, _reserved) = u16_(i)?;
    let (i, tid) = u16_(i)?;
    let (i, pid_low) = u16_(i)?;
    let (i, uid) = u16_(i)?;
    let (rest, mid) = u16_(i)?;
    let (_, raw) = bytes(input, HEADER_LEN)?;
    Ok((
        rest,
        Header {
            raw,
            command,
            status,
            flags,
            flags2,
            pid_high,
            signature,
            tid,
            pid_low,
            uid,
            mid,
        },
    ))
}

/// One command block: parameter words and data bytes (MS-CIFS 2.2.3.2, 2.2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// The command this block belongs to.
    pub command: u8,
    /// Offset of WordCount from the start of the message.
    pub offset: usize,
    /// WordCount.
    pub word_count: u8,
    /// The parameter words (2 * WordCount bytes).
    pub words: &'a [u8],
    /// The data bytes (ByteCount bytes).
    pub bytes: &'a [u8],
    /// Offset of the data bytes from the start of the message.
    pub bytes_offset: usize,
    /// The whole message (offsets in the fields are relative to it).
    pub msg: &'a [u8],
}

impl<'a> Block<'a> {
    /// The AndX header (next command and offset) for AndX commands with words.
    pub fn andx(&self) -> Option<AndX> {
        if !is_andx(self.command) {
            return None;
        }
        parse_andx(self.words).ok().map(|(_, a)| a)
    }
}

/// Parse the block at `offset` of `msg` for `command`.
pub fn parse_block(msg: &[u8], offset: usize, command: u8) -> Result<Block<'_>> {
    let input = msg.get(offset..).ok_or(Error::Truncated)?;
    let (i, word_count) = u8_(input)?;
    let (i, words) = bytes(i, usize::from(word_count) * 2)?;
    let (i, bcc) = u16_(i)?;
    let bytes_offset = offset + 3 + usize::from(word_count) * 2;
    let (_, data) = bytes(i, bcc.into())?;
    Ok(Block {
        command,
        offset,
        word_count,
        words,
        bytes: data,
        bytes_offset,
        msg,
    })
}

/// The AndX prefix of an AndX command's words (MS-CIFS 2.2.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AndX {
    /// AndXCommand (`COM_NO_ANDX_COMMAND` ends the chain).
    pub command: u8,
    /// AndXOffset from the start of the header.
    pub offset: u16,
}

fn parse_andx(words: &[u8]) -> PResult<'_, AndX> {
    let (i, command) = u8_(words)?;
    let (i, _reserved) = u8_(i)?;
    let (i, offset) = u16_(i)?;
    Ok((i, AndX { command, offset }))
}

/// A message: header and first block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The header.
    pub header: Header<'a>,
    /// The first (main) command block.
    pub block: Block<'a>,
    /// The whole message.
    pub raw: &'a [u8],
}

impl<'a> Message<'a> {
    /// The AndX chain, starting with the main block.
    pub fn chain(&self) -> AndxChain<'a> {
        AndxChain {
            msg: self.raw,
            next: Some((HEADER_LEN, self.header.command)),
            last_offset: 0,
            bad_link: false,
        }
    }
}

/// Parse a message (header and first block).
pub fn parse_message(msg: &[u8]) -> Result<Message<'_>> {
    let (_, header) = parse_header(msg)?;
    let block = parse_block(msg, HEADER_LEN, header.command)?;
    Ok(Message {
        header,
        block,
        raw: msg,
    })
}

/// Iterator over the blocks of an AndX chain. Stops after `COM_NO_ANDX_COMMAND`, a
/// non-AndX command, or a block without words; yields `Err` once and stops when an
/// AndXOffset does not move forward (loops, backwards offsets) or points outside the
/// message.
#[derive(Debug, Clone)]
pub struct AndxChain<'a> {
    msg: &'a [u8],
    next: Option<(usize, u8)>,
    last_offset: usize,
    bad_link: bool,
}

impl<'a> Iterator for AndxChain<'a> {
    type Item = Result<Block<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.bad_link {
            self.bad_link = false;
            self.next = None;
            return Some(Err(Error::Invalid(
                "AndXOffset does not move forward within the message",
            )));
        }
        let (offset, command) = self.next.take()?;
        let block = match parse_block(self.msg, offset, command) {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        self.last_offset = offset;
        if let Some(a) = block.andx() {
            if a.command != COM_NO_ANDX_COMMAND {
                let o = usize::from(a.offset);
                if o <= self.last_offset || o >= self.msg.len() {
                    // report the bad link after yielding this block
                    self.bad_link = true;
                } else {
                    self.next = Some((o, a.command));
                }
            }
        }
        Some(Ok(block))
    }
}

/// A string from a byte block, Unicode or OEM per Flags2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmbString<'a> {
    /// The raw bytes (terminator excluded).
    pub raw: &'a [u8],
    /// UTF-16LE when true.
    pub unicode: bool,
}

impl SmbString<'_> {
    /// Decoded text (lossy, bounded).
    pub fn to_string_lossy(&self) -> String {
        if self.unicode {
            util::utf16le_lossy(self.raw)
        } else {
            util::oem_lossy(self.raw)
        }
    }
}

/// Reads consecutive items of a byte block, tracking the offset from the header for
/// Unicode alignment.
struct ByteCursor<'a> {
    rest: &'a [u8],
    off: usize,
    unicode: bool,
}

impl<'a> ByteCursor<'a> {
    fn new(b: &Block<'a>, unicode: bool) -> Self {
        ByteCursor {
            rest: b.bytes,
            off: b.bytes_offset,
            unicode,
        }
    }
    fn advance(&mut self, n: usize) {
        let n = n.min(self.rest.len());
        self.rest = self.rest.get(n..).unwrap_or(&[]);
        self.off = self.off.saturating_add(n);
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let t = self.rest.get(..n).ok_or(Error::Truncated)?;
        self.advance(n);
        Ok(t)
    }
    fn align(&mut self) {
        if self.unicode && self.off % 2 == 1 {
            self.advance(1);
        }
    }
    /// NUL-terminated string (aligned when Unicode). Missing strings are empty.
    fn string(&mut self) -> SmbString<'a> {
        self.align();
        self.string_unaligned()
    }
    fn string_unaligned(&mut self) -> SmbString<'a> {
        let before = self.rest.len();
        let (s, rest) = if self.unicode {
            util::split_utf16z(self.rest)
        } else {
            util::split_z(self.rest)
        };
        self.off = self.off.saturating_add(before - rest.len());
        self.rest = rest;
        SmbString {
            raw: s,
            unicode: self.unicode,
        }
    }
    fn oem_string(&mut self) -> SmbString<'a> {
        let (s, rest) = util::split_z(self.rest);
        self.off = self.off.saturating_add(self.rest.len() - rest.len());
        self.rest = rest;
        SmbString {
            raw: s,
            unicode: false,
        }
    }
}

/// NEGOTIATE request (2.2.4.52.1): the dialect strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// The raw byte block.
    pub raw: &'a [u8],
}

impl<'a> NegotiateRequest<'a> {
    /// The dialect names, in order (their index is what the response names).
    pub fn dialects(&self) -> Dialects<'a> {
        Dialects { rest: self.raw }
    }
}

/// Iterator over NEGOTIATE dialect strings (`0x02` + NUL-terminated OEM string).
#[derive(Debug, Clone)]
pub struct Dialects<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Dialects<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&fmt, after) = self.rest.split_first()?;
        if fmt != 0x02 {
            self.rest = &[];
            return None;
        }
        let (s, rest) = util::split_z(after);
        self.rest = rest;
        Some(s)
    }
}

/// Parse a NEGOTIATE request block.
pub fn parse_negotiate_request<'a>(b: &Block<'a>) -> Result<NegotiateRequest<'a>> {
    if b.word_count != 0 {
        return Err(Error::Invalid("NEGOTIATE request with words"));
    }
    Ok(NegotiateRequest { raw: b.bytes })
}

/// NEGOTIATE response, any of the forms distinguished by WordCount (MS-CIFS 2.2.4.52.2):
/// 17 for NT LM 0.12, 13 for LANMAN, 1 for the core protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateResponse<'a> {
    /// WordCount (17, 13 or 1).
    pub word_count: u8,
    /// DialectIndex (0xFFFF: none acceptable).
    pub dialect_index: u16,
    /// SecurityMode (`NEGOTIATE_*`).
    pub security_mode: u16,
    /// MaxMpxCount.
    pub max_mpx_count: u16,
    /// MaxNumberVcs.
    pub max_number_vcs: u16,
    /// MaxBufferSize.
    pub max_buffer_size: u32,
    /// SessionKey.
    pub session_key: u32,
    /// Capabilities (`CAP_*`; 0 before NT LM 0.12).
    pub capabilities: u32,
    /// SystemTime (FILETIME; NT form only).
    pub system_time: u64,
    /// ServerTimeZone (minutes from UTC).
    pub server_time_zone: i16,
    /// The challenge (EncryptionKey), when 8 bytes long and not extended security.
    pub challenge: Option<[u8; 8]>,
    /// ServerGUID (extended security).
    pub server_guid: Option<[u8; 16]>,
    /// SecurityBlob (extended security; may be empty for raw NTLMSSP).
    pub security_blob: &'a [u8],
    /// DomainName (non-extended).
    pub domain_name: SmbString<'a>,
    /// ServerName (non-extended, NT form).
    pub server_name: SmbString<'a>,
}

impl NegotiateResponse<'_> {
    /// CAP_EXTENDED_SECURITY.
    pub fn is_extended_security(&self) -> bool {
        self.capabilities & CAP_EXTENDED_SECURITY != 0
    }
    /// NEGOTIATE_SECURITY_SIGNATURES_ENABLED.
    pub fn signing_enabled(&self) -> bool {
        self.security_mode & NEGOTIATE_SECURITY_SIGNATURES_ENABLED != 0
    }
    /// NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
    pub fn signing_required(&self) -> bool {
        self.security_mode & NEGOTIATE_SECURITY_SIGNATURES_REQUIRED != 0
    }
}

/// Parse a NEGOTIATE response block (`h` gives the string encoding).
pub fn parse_negotiate_response<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<NegotiateResponse<'a>> {
    let w = b.words;
    let mut out = NegotiateResponse {
        word_count: b.word_count,
        dialect_index: 0,
        security_mode: 0,
        max_mpx_count: 0,
        max_number_vcs: 0,
        max_buffer_size: 0,
        session_key: 0,
        capabilities: 0,
        system_time: 0,
        server_time_zone: 0,
        challenge: None,
        server_guid: None,
        security_blob: &[],
        domain_name: SmbString::default(),
        server_name: SmbString::default(),
    };
    match b.word_count {
        17 => {
            let (i, dialect_index) = u16_(w)?;
            let (i, security_mode) = u8_(i)?;
            let (i, max_mpx_count) = u16_(i)?;
            let (i, max_number_vcs) = u16_(i)?;
            let (i, max_buffer_size) = u32_(i)?;
            let (i, _max_raw_size) = u32_(i)?;
            let (i, session_key) = u32_(i)?;
            let (i, capabilities) = u32_(i)?;
            let (i, system_time) = u64_(i)?;
            let (i, tz) = u16_(i)?;
            let (_, challenge_length) = u8_(i)?;
            out.dialect_index = dialect_index;
            out.security_mode = security_mode.into();
            out.max_mpx_count = max_mpx_count;
            out.max_number_vcs = max_number_vcs;
            out.max_buffer_size = max_buffer_size;
            out.session_key = session_key;
            out.capabilities = capabilities;
            out.system_time = system_time;
            out.server_time_zone = tz as i16;
            if capabilities & CAP_EXTENDED_SECURITY != 0 {
                let (blob, guid) = array::<16>(b.bytes)?;
                out.server_guid = Some(guid);
                out.security_blob = blob;
            } else {
                let mut c = ByteCursor::new(b, h.is_unicode());
                let ch = c.take(challenge_length.into())?;
                out.challenge = ch.try_into().ok();
                // MS-CIFS 2.2.4.52.2: DomainName and ServerName directly follow the
                // challenge, without the usual Unicode alignment pad
                out.domain_name = c.string_unaligned();
                out.server_name = c.string_unaligned();
            }
        }
        13 => {
            let (i, dialect_index) = u16_(w)?;
            let (i, security_mode) = u16_(i)?;
            let (i, max_buffer_size) = u16_(i)?;
            let (i, max_mpx_count) = u16_(i)?;
            let (i, max_number_vcs) = u16_(i)?;
            let (i, _raw_mode) = u16_(i)?;
            let (i, session_key) = u32_(i)?;
            let (i, _time) = u16_(i)?;
            let (i, _date) = u16_(i)?;
            let (i, tz) = u16_(i)?;
            let (_, challenge_length) = u16_(i)?;
            out.dialect_index = dialect_index;
            out.security_mode = security_mode;
            out.max_buffer_size = max_buffer_size.into();
            out.max_mpx_count = max_mpx_count;
            out.max_number_vcs = max_number_vcs;
            out.session_key = session_key;
            out.server_time_zone = tz as i16;
            let mut c = ByteCursor::new(b, false);
            let ch = c.take(challenge_length.into())?;
            out.challenge = ch.try_into().ok();
            out.domain_name = c.oem_string();
        }
        1 => {
            let (_, dialect_index) = u16_(w)?;
            out.dialect_index = dialect_index;
        }
        _ => return Err(Error::Invalid("unexpected NEGOTIATE response WordCount")),
    }
    Ok(out)
}

/// How a SESSION_SETUP_ANDX request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSetupAuth<'a> {
    /// Extended security (WordCount 12): a SPNEGO or raw NTLMSSP blob.
    ExtendedSecurity {
        /// SecurityBlob.
        security_blob: &'a [u8],
    },
    /// NT LM 0.12 without extended security (WordCount 13) or LANMAN (WordCount 10).
    Password {
        /// OEMPassword: the LM (or LMv2) response; the plaintext password when the
        /// server did not ask for encrypted passwords.
        lm_response: &'a [u8],
        /// UnicodePassword: the NT (NTLMv1 24-byte, or NTLMv2) response; empty for LANMAN.
        nt_response: &'a [u8],
        /// AccountName.
        account_name: SmbString<'a>,
        /// PrimaryDomain.
        primary_domain: SmbString<'a>,
    },
}

/// SESSION_SETUP_ANDX request (MS-CIFS 2.2.4.53.1, MS-SMB 2.2.4.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// MaxBufferSize.
    pub max_buffer_size: u16,
    /// MaxMpxCount.
    pub max_mpx_count: u16,
    /// VcNumber.
    pub vc_number: u16,
    /// SessionKey.
    pub session_key: u32,
    /// Capabilities (0 for LANMAN).
    pub capabilities: u32,
    /// The credentials.
    pub auth: SessionSetupAuth<'a>,
    /// NativeOS.
    pub native_os: SmbString<'a>,
    /// NativeLanMan.
    pub native_lanman: SmbString<'a>,
}

/// Parse a SESSION_SETUP_ANDX request block.
pub fn parse_session_setup_request<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<SessionSetupRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, max_buffer_size) = u16_(i)?;
    let (i, max_mpx_count) = u16_(i)?;
    let (i, vc_number) = u16_(i)?;
    let (i, session_key) = u32_(i)?;
    let unicode = h.is_unicode();
    let mut c = ByteCursor::new(b, unicode);
    let (capabilities, auth) = match b.word_count {
        12 => {
            let (i, blob_len) = u16_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (_, capabilities) = u32_(i)?;
            let security_blob = c.take(blob_len.into())?;
            (
                capabilities,
                SessionSetupAuth::ExtendedSecurity { security_blob },
            )
        }
        13 => {
            let (i, oem_len) = u16_(i)?;
            let (i, uni_len) = u16_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (_, capabilities) = u32_(i)?;
            let lm_response = c.take(oem_len.into())?;
            let nt_response = c.take(uni_len.into())?;
            let account_name = c.string();
            let primary_domain = c.string();
            (
                capabilities,
                SessionSetupAuth::Password {
                    lm_response,
                    nt_response,
                    account_name,
                    primary_domain,
                },
            )
        }
        10 => {
            let (i, pw_len) = u16_(i)?;
            let (_, _reserved) = u32_(i)?;
            let lm_response = c.take(pw_len.into())?;
            let account_name = c.string();
            let primary_domain = c.string();
            (
                0,
                SessionSetupAuth::Password {
                    lm_response,
                    nt_response: &[],
                    account_name,
                    primary_domain,
                },
            )
        }
        _ => return Err(Error::Invalid("unexpected SESSION_SETUP_ANDX WordCount")),
    };
    let native_os = c.string();
    let native_lanman = c.string();
    Ok(SessionSetupRequest {
        andx,
        max_buffer_size,
        max_mpx_count,
        vc_number,
        session_key,
        capabilities,
        auth,
        native_os,
        native_lanman,
    })
}

/// SESSION_SETUP_ANDX response (MS-CIFS 2.2.4.53.2, MS-SMB 2.2.4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupResponse<'a> {
    /// AndX.
    pub andx: AndX,
    /// Action (`ACTION_GUEST`).
    pub action: u16,
    /// SecurityBlob (extended security form, WordCount 4).
    pub security_blob: &'a [u8],
    /// NativeOS.
    pub native_os: SmbString<'a>,
    /// NativeLanMan.
    pub native_lanman: SmbString<'a>,
    /// PrimaryDomain (empty when absent).
    pub primary_domain: SmbString<'a>,
}

impl SessionSetupResponse<'_> {
    /// Logged in as guest.
    pub fn is_guest(&self) -> bool {
        self.action & ACTION_GUEST != 0
    }
}

/// Parse a SESSION_SETUP_ANDX response block.
pub fn parse_session_setup_response<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<SessionSetupResponse<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, action) = u16_(i)?;
    let mut c = ByteCursor::new(b, h.is_unicode());
    let security_blob = match b.word_count {
        4 => {
            let (_, blob_len) = u16_(i)?;
            c.take(blob_len.into())?
        }
        3 => &[],
        _ => {
            return Err(Error::Invalid(
                "unexpected SESSION_SETUP_ANDX response WordCount",
            ));
        }
    };
    let native_os = c.string();
    let native_lanman = c.string();
    let primary_domain = c.string();
    Ok(SessionSetupResponse {
        andx,
        action,
        security_blob,
        native_os,
        native_lanman,
        primary_domain,
    })
}

/// TREE_CONNECT_ANDX request (2.2.4.55.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// Flags.
    pub flags: u16,
    /// Password (share-level security).
    pub password: &'a [u8],
    /// Path (`\\server\share`).
    pub path: SmbString<'a>,
    /// Service (OEM: `"?????"`, `"A:"`, `"IPC"`...).
    pub service: SmbString<'a>,
}

/// Parse a TREE_CONNECT_ANDX request block.
pub fn parse_tree_connect_request<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<TreeConnectRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, flags) = u16_(i)?;
    let (_, pw_len) = u16_(i)?;
    let mut c = ByteCursor::new(b, h.is_unicode());
    let password = c.take(pw_len.into())?;
    let path = c.string();
    let service = c.oem_string();
    Ok(TreeConnectRequest {
        andx,
        flags,
        password,
        path,
        service,
    })
}

/// NT_CREATE_ANDX request (2.2.4.64.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtCreateRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// Flags (`NT_CREATE_REQUEST_OPLOCK`, `_OPBATCH`...).
    pub flags: u32,
    /// RootDirectoryFID.
    pub root_directory_fid: u32,
    /// DesiredAccess.
    pub desired_access: u32,
    /// AllocationSize.
    pub allocation_size: u64,
    /// ExtFileAttributes.
    pub ext_file_attributes: u32,
    /// ShareAccess.
    pub share_access: u32,
    /// CreateDisposition.
    pub create_disposition: u32,
    /// CreateOptions.
    pub create_options: u32,
    /// ImpersonationLevel.
    pub impersonation_level: u32,
    /// SecurityFlags.
    pub security_flags: u8,
    /// FileName.
    pub name: SmbString<'a>,
}

impl NtCreateRequest<'_> {
    /// An oplock was requested (exclusive or batch).
    pub fn requests_oplock(&self) -> bool {
        self.flags & (NT_CREATE_REQUEST_OPLOCK | NT_CREATE_REQUEST_OPBATCH) != 0
    }
}

/// Parse an NT_CREATE_ANDX request block.
pub fn parse_nt_create_request<'a>(h: &Header<'_>, b: &Block<'a>) -> Result<NtCreateRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, _reserved) = u8_(i)?;
    let (i, name_len) = u16_(i)?;
    let (i, flags) = u32_(i)?;
    let (i, root_directory_fid) = u32_(i)?;
    let (i, desired_access) = u32_(i)?;
    let (i, allocation_size) = u64_(i)?;
    let (i, ext_file_attributes) = u32_(i)?;
    let (i, share_access) = u32_(i)?;
    let (i, create_disposition) = u32_(i)?;
    let (i, create_options) = u32_(i)?;
    let (i, impersonation_level) = u32_(i)?;
    let (_, security_flags) = u8_(i)?;
    let mut c = ByteCursor::new(b, h.is_unicode());
    c.align();
    let n = usize::from(name_len).min(c.rest.len());
    let raw = c.take(n)?;
    let raw = if h.is_unicode() {
        util::split_utf16z(raw).0
    } else {
        util::split_z(raw).0
    };
    Ok(NtCreateRequest {
        andx,
        flags,
        root_directory_fid,
        desired_access,
        allocation_size,
        ext_file_attributes,
        share_access,
        create_disposition,
        create_options,
        impersonation_level,
        security_flags,
        name: SmbString {
            raw,
            unicode: h.is_unicode(),
        },
    })
}

/// NT_CREATE_ANDX response (2.2.4.64.2; WordCount 34, or 42 for the MS-SMB extended
/// response, whose first fields are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtCreateResponse {
    /// AndX.
    pub andx: AndX,
    /// OplockLevel granted (`OPLOCK_*`).
    pub oplock_level: u8,
    /// FID.
    pub fid: u16,
    /// CreateDisposition (the action taken).
    pub create_disposition: u32,
    /// ExtFileAttributes.
    pub ext_file_attributes: u32,
    /// EndOfFile.
    pub end_of_file: u64,
    /// Directory.
    pub directory: bool,
}

/// Parse an NT_CREATE_ANDX response block.
pub fn parse_nt_create_response(b: &Block<'_>) -> Result<NtCreateResponse> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, oplock_level) = u8_(i)?;
    let (i, fid) = u16_(i)?;
    let (i, create_disposition) = u32_(i)?;
    let (i, _times) = bytes(i, 32)?;
    let (i, ext_file_attributes) = u32_(i)?;
    let (i, _alloc) = u64_(i)?;
    let (i, end_of_file) = u64_(i)?;
    let (i, _resource_type) = u16_(i)?;
    let (i, _nm_pipe_status) = u16_(i)?;
    let (_, directory) = u8_(i)?;
    Ok(NtCreateResponse {
        andx,
        oplock_level,
        fid,
        create_disposition,
        ext_file_attributes,
        end_of_file,
        directory: directory != 0,
    })
}

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

/// READ_ANDX request (2.2.4.42.1; WordCount 10 or 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// AndX.
    pub andx: AndX,
    /// FID.
    pub fid: u16,
    /// Offset (with OffsetHigh when WordCount is 12).
    pub offset: u64,
    /// MaxCountOfBytesToReturn (low 16 bits).
    pub max_count: u16,
    /// MinCountOfBytesToReturn.
    pub min_count: u16,
    /// Timeout, or MaxCountHigh in its low 16 bits with CAP_LARGE_READX (MS-SMB 2.2.4.4.1).
    pub timeout_or_max_count_high: u32,
    /// Remaining.
    pub remaining: u16,
}

/// Parse a READ_ANDX request block.
pub fn parse_read_request(b: &Block<'_>) -> Result<ReadRequest> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, fid) = u16_(i)?;
    let (i, offset) = u32_(i)?;
    let (i, max_count) = u16_(i)?;
    let (i, min_count) = u16_(i)?;
    let (i, timeout_or_max_count_high) = u32_(i)?;
    let (i, remaining) = u16_(i)?;
    let high = if b.word_count >= 12 { u32_(i)?.1 } else { 0 };
    Ok(ReadRequest {
        andx,
        fid,
        offset: (u64::from(high) << 32) | u64::from(offset),
        max_count,
        min_count,
        timeout_or_max_count_high,
        remaining,
    })
}

/// READ_ANDX response (2.2.4.42.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResponse<'a> {
    /// AndX.
    pub andx: AndX,
    /// Available.
    pub available: u16,
    /// DataLength (with DataLengthHigh, MS-SMB 2.2.4.4.2).
    pub data_length: u32,
    /// DataOffset from the header start.
    pub data_offset: u16,
    /// The data when within the message.
    pub data: Option<&'a [u8]>,
}

/// Parse a READ_ANDX response block.
pub fn parse_read_response<'a>(b: &Block<'a>) -> Result<ReadResponse<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, available) = u16_(i)?;
    let (i, _compaction) = u16_(i)?;
    let (i, _reserved1) = u16_(i)?;
    let (i, len_low) = u16_(i)?;
    let (i, data_offset) = u16_(i)?;
    let (_, len_high) = u16_(i)?;
    let data_length = (u32::from(len_high) << 16) | u32::from(len_low);
    Ok(ReadResponse {
        andx,
        available,
        data_length,
        data_offset,
        data: util::buffer(b.msg, data_offset.into(), data_length as usize).ok(),
    })
}

/// WRITE_ANDX request (2.2.4.43.1; WordCount 12 or 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// FID.
    pub fid: u16,
    /// Offset (with OffsetHigh when WordCount is 14).
    pub offset: u64,
    /// Timeout.
    pub timeout: u32,
    /// WriteMode.
    pub write_mode: u16,
    /// Remaining.
    pub remaining: u16,
    /// DataLength (with DataLengthHigh, MS-SMB 2.2.4.5.1).
    pub data_length: u32,
    /// DataOffset from the header start.
    pub data_offset: u16,
    /// The data when within the message.
    pub data: Option<&'a [u8]>,
}

/// Parse a WRITE_ANDX request block.
pub fn parse_write_request<'a>(b: &Block<'a>) -> Result<WriteRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, fid) = u16_(i)?;
    let (i, offset) = u32_(i)?;
    let (i, timeout) = u32_(i)?;
    let (i, write_mode) = u16_(i)?;
    let (i, remaining) = u16_(i)?;
    let (i, len_high) = u16_(i)?;
    let (i, len_low) = u16_(i)?;
    let (i, data_offset) = u16_(i)?;
    let high = if b.word_count >= 14 { u32_(i)?.1 } else { 0 };
    let data_length = (u32::from(len_high) << 16) | u32::from(len_low);
    Ok(WriteRequest {
        andx,
        fid,
        offset: (u64::from(high) << 32) | u64::from(offset),
        timeout,
        write_mode,
        remaining,
        data_length,
        data_offset,
        data: util::buffer(b.msg, data_offset.into(), data_length as usize).ok(),
    })
}

/// WRITE_ANDX response (2.2.4.43.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteResponse {
    /// AndX.
    pub andx: AndX,
    /// Count (with CountHigh, MS-SMB 2.2.4.5.2).
    pub count: u32,
    /// Available.
    pub available: u16,
}

/// Parse a WRITE_ANDX response block.
pub fn parse_write_response(b: &Block<'_>) -> Result<WriteResponse> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, count) = u16_(i)?;
    let (i, available) = u16_(i)?;
    let (_, count_high) = u16_(i)?;
    Ok(WriteResponse {
        andx,
        count: (u32::from(count_high) << 16) | u32::from(count),
        available,
    })
}

/// CLOSE request (2.2.4.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// FID.
    pub fid: u16,
    /// LastTimeModified (UTIME).
    pub last_time_modified: u32,
}

/// Parse a CLOSE request block.
pub fn parse_close_request(b: &Block<'_>) -> Result<CloseRequest> {
    let (i, fid) = u16_(b.words)?;
    let (_, last_time_modified) = u32_(i)?;
    Ok(CloseRequest {
        fid,
        last_time_modified,
    })
}

/// Which transaction message a [`Transaction`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// TRANSACTION / TRANSACTION2 / NT_TRANSACT primary request.
    Request,
    /// A secondary request.
    Secondary,
    /// A (possibly partial) response.
    Response,
    /// The interim response to a primary request (WordCount 0): "send the rest".
    Interim,
}

/// The counts of a transaction message (MS-CIFS 2.2.4.33, 2.2.4.34, 2.2.4.46, 2.2.4.62,
/// 2.2.4.63), enough to know whether it is one part of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// Which message.
    pub kind: TransactionKind,
    /// TotalParameterCount.
    pub total_parameter_count: u32,
    /// TotalDataCount.
    pub total_data_count: u32,
    /// ParameterCount (in this message).
    pub parameter_count: u32,
    /// ParameterOffset.
    pub parameter_offset: u32,
    /// ParameterDisplacement (0 for a primary request).
    pub parameter_displacement: u32,
    /// DataCount (in this message).
    pub data_count: u32,
    /// DataOffset.
    pub data_offset: u32,
    /// DataDisplacement.
    pub data_displacement: u32,
    /// Setup words (raw).
    pub setup: &'a [u8],
    /// NT_TRANSACT Function (0 otherwise).
    pub function: u16,
}

impl Transaction<'_> {
    /// True unless this message carries all the parameters and data by itself.
    pub fn is_partial(&self) -> bool {
        match self.kind {
            TransactionKind::Interim => true,
            _ => {
                self.parameter_displacement != 0
                    || self.data_displacement != 0
                    || self.parameter_count < self.total_parameter_count
                    || self.data_count < self.total_data_count
            }
        }
    }
    /// The first TRANS2 subcommand (setup word 0).
    pub fn subcommand(&self) -> Option<u16> {
        let b = self.setup.get(..2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// Parse any transaction message block (`h` tells request from response).
pub fn parse_transaction<'a>(h: &Header<'_>, b: &Block<'a>) -> Result<Transaction<'a>> {
    let w = b.words;
    let z = |kind| Transaction {
        kind,
        total_parameter_count: 0,
        total_data_count: 0,
        parameter_count: 0,
        parameter_offset: 0,
        parameter_displacement: 0,
        data_count: 0,
        data_offset: 0,
        data_displacement: 0,
        setup: &[],
        function: 0,
    };
    let resp = h.is_response();
    if resp && b.word_count == 0 {
        return Ok(z(TransactionKind::Interim));
    }
    let nt = matches!(b.command, COM_NT_TRANSACT | COM_NT_TRANSACT_SECONDARY);
    let secondary = !resp
        && matches!(
            b.command,
            COM_TRANSACTION_SECONDARY | COM_TRANSACTION2_SECONDARY | COM_NT_TRANSACT_SECONDARY
        );
    if nt {
        if !resp && !secondary {
            let (i, _max_setup) = u8_(w)?;
            let (i, _reserved) = u16_(i)?;
            let (i, tpc) = u32_(i)?;
            let (i, tdc) = u32_(i)?;
            let (i, _mpc) = u32_(i)?;
            let (i, _mdc) = u32_(i)?;
            let (i, pc) = u32_(i)?;
            let (i, po) = u32_(i)?;
            let (i, dc) = u32_(i)?;
            let (i, d_o) = u32_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, function) = u16_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            return Ok(Transaction {
                kind: TransactionKind::Request,
                total_parameter_count: tpc,
                total_data_count: tdc,
                parameter_count: pc,
                parameter_offset: po,
                parameter_displacement: 0,
                data_count: dc,
                data_offset: d_o,
                data_displacement: 0,
                setup,
                function,
            });
        }
        // NT_TRANSACT response and NT_TRANSACT_SECONDARY share this layout
        let (i, _reserved) = bytes(w, 3)?;
        let (i, tpc) = u32_(i)?;
        let (i, tdc) = u32_(i)?;
        let (i, pc) = u32_(i)?;
        let (i, po) = u32_(i)?;
        let (i, pd) = u32_(i)?;
        let (i, dc) = u32_(i)?;
        let (i, d_o) = u32_(i)?;
        let (i, dd) = u32_(i)?;
        let setup = if resp {
            let (i, setup_count) = u8_(i)?;
            bytes(i, usize::from(setup_count) * 2)?.1
        } else {
            &[]
        };
        return Ok(Transaction {
            kind: if resp {
                TransactionKind::Response
            } else {
                TransactionKind::Secondary
            },
            total_parameter_count: tpc,
            total_data_count: tdc,
            parameter_count: pc,
            parameter_offset: po,
            parameter_displacement: pd,
            data_count: dc,
            data_offset: d_o,
            data_displacement: dd,
            setup,
            function: 0,
        });
    }
    let (i, tpc) = u16_(w)?;
    let (i, tdc) = u16_(i)?;
    let mut t = z(if resp {
        TransactionKind::Response
    } else if secondary {
        TransactionKind::Secondary
    } else {
        TransactionKind::Request
    });
    t.total_parameter_count = tpc.into();
    t.total_data_count = tdc.into();
    match t.kind {
        TransactionKind::Request => {
            let (i, _mpc) = u16_(i)?;
            let (i, _mdc) = u16_(i)?;
            let (i, _msc) = u8_(i)?;
            let (i, _r1) = u8_(i)?;
            let (i, _flags) = u16_(i)?;
            let (i, _timeout) = u32_(i)?;
            let (i, _r2) = u16_(i)?;
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, _r3) = u8_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.setup = setup;
        }
        TransactionKind::Secondary => {
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, pd) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (_, dd) = u16_(i)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.parameter_displacement = pd.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.data_displacement = dd.into();
        }
        TransactionKind::Response | TransactionKind::Interim => {
            let (i, _r1) = u16_(i)?;
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, pd) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (i, dd) = u16_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, _r2) = u8_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.parameter_displacement = pd.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.data_displacement = dd.into();
            t.setup = setup;
        }
    }
    Ok(t)
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

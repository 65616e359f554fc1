//! SMB_COM_NT_CREATE_ANDX (MS-CIFS 2.2.4.64), with its oplock request flags and
//! granted levels, and SMB_COM_CLOSE (2.2.4.5).

use super::message::parse_andx;
use super::strings::ByteCursor;
use super::{AndX, Block, Header, SmbString};
use crate::error::Result;
use crate::util::{self, bytes, u8_, u16_, u32_, u64_};

// NT_CREATE_ANDX Flags (2.2.4.64.1)
/// NT_CREATE_REQUEST_OPLOCK.
pub const NT_CREATE_REQUEST_OPLOCK: u32 = 0x0000_0002;
/// NT_CREATE_REQUEST_OPBATCH.
pub const NT_CREATE_REQUEST_OPBATCH: u32 = 0x0000_0004;

// OplockLevel in NT_CREATE_ANDX response (2.2.4.64.2)
/// No oplock granted.
pub const OPLOCK_NONE: u8 = 0;
/// Exclusive oplock granted.
pub const OPLOCK_EXCLUSIVE: u8 = 1;
/// Batch oplock granted.
pub const OPLOCK_BATCH: u8 = 2;
/// Level II oplock granted.
pub const OPLOCK_LEVEL_II: u8 = 3;

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

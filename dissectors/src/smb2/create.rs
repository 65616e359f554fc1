//! CREATE (MS-SMB2 2.2.13, 2.2.14), create contexts (2.2.13.2, 2.2.14.2) and CLOSE
//! (2.2.15, 2.2.16).

use super::{FileId, body_with_size, file_id};
use crate::error::{Error, Result};
use crate::util::{self, array, bytes, u8_, u16_, u32_, u64_};

// Oplock levels (2.2.13)
/// SMB2_OPLOCK_LEVEL_NONE.
pub const OPLOCK_LEVEL_NONE: u8 = 0x00;
/// SMB2_OPLOCK_LEVEL_II.
pub const OPLOCK_LEVEL_II: u8 = 0x01;
/// SMB2_OPLOCK_LEVEL_EXCLUSIVE.
pub const OPLOCK_LEVEL_EXCLUSIVE: u8 = 0x08;
/// SMB2_OPLOCK_LEVEL_BATCH.
pub const OPLOCK_LEVEL_BATCH: u8 = 0x09;
/// SMB2_OPLOCK_LEVEL_LEASE: the lease create context decides.
pub const OPLOCK_LEVEL_LEASE: u8 = 0xff;

// Lease states (2.2.13.2.8)
/// SMB2_LEASE_READ_CACHING.
pub const LEASE_READ_CACHING: u32 = 0x01;
/// SMB2_LEASE_HANDLE_CACHING.
pub const LEASE_HANDLE_CACHING: u32 = 0x02;
/// SMB2_LEASE_WRITE_CACHING.
pub const LEASE_WRITE_CACHING: u32 = 0x04;

// Create dispositions (2.2.13)
/// FILE_OPEN_IF.
pub const FILE_OPEN_IF: u32 = 3;
/// FILE_OVERWRITE_IF.
pub const FILE_OVERWRITE_IF: u32 = 5;

// Create context names (2.2.13.2)
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST.
pub const CREATE_DURABLE_HANDLE_REQUEST: &[u8] = b"DHnQ";
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT.
pub const CREATE_DURABLE_HANDLE_RECONNECT: &[u8] = b"DHnC";
/// SMB2_CREATE_ALLOCATION_SIZE.
pub const CREATE_ALLOCATION_SIZE: &[u8] = b"AlSi";
/// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST (and its response).
pub const CREATE_QUERY_MAXIMAL_ACCESS: &[u8] = b"MxAc";
/// SMB2_CREATE_TIMEWARP_TOKEN.
pub const CREATE_TIMEWARP_TOKEN: &[u8] = b"TWrp";
/// SMB2_CREATE_QUERY_ON_DISK_ID.
pub const CREATE_QUERY_ON_DISK_ID: &[u8] = b"QFid";
/// SMB2_CREATE_REQUEST_LEASE (v1 and v2; told apart by data length).
pub const CREATE_REQUEST_LEASE: &[u8] = b"RqLs";
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2.
pub const CREATE_DURABLE_HANDLE_REQUEST_V2: &[u8] = b"DH2Q";
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2.
pub const CREATE_DURABLE_HANDLE_RECONNECT_V2: &[u8] = b"DH2C";

/// CREATE request (2.2.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateRequest<'a> {
    /// SecurityFlags (reserved).
    pub security_flags: u8,
    /// RequestedOplockLevel (`OPLOCK_LEVEL_*`).
    pub oplock_level: u8,
    /// ImpersonationLevel.
    pub impersonation_level: u32,
    /// SmbCreateFlags (reserved).
    pub smb_create_flags: u64,
    /// DesiredAccess.
    pub desired_access: u32,
    /// FileAttributes.
    pub file_attributes: u32,
    /// ShareAccess.
    pub share_access: u32,
    /// CreateDisposition (`FILE_*`).
    pub create_disposition: u32,
    /// CreateOptions.
    pub create_options: u32,
    /// Name, UTF-16LE, relative to the share.
    pub name: &'a [u8],
    /// Create contexts.
    pub contexts: CreateContexts<'a>,
}

impl CreateRequest<'_> {
    /// Name decoded (lossy, bounded).
    pub fn name_string(&self) -> String {
        util::utf16le_lossy(self.name)
    }
}

/// Parse a CREATE request; `msg` starts at the SMB2 header.
pub fn parse_create_request(msg: &[u8]) -> Result<CreateRequest<'_>> {
    let body = body_with_size(msg, 57)?;
    let (i, _size) = u16_(body)?;
    let (i, security_flags) = u8_(i)?;
    let (i, oplock_level) = u8_(i)?;
    let (i, impersonation_level) = u32_(i)?;
    let (i, smb_create_flags) = u64_(i)?;
    let (i, _reserved) = u64_(i)?;
    let (i, desired_access) = u32_(i)?;
    let (i, file_attributes) = u32_(i)?;
    let (i, share_access) = u32_(i)?;
    let (i, create_disposition) = u32_(i)?;
    let (i, create_options) = u32_(i)?;
    let (i, name_off) = u16_(i)?;
    let (i, name_len) = u16_(i)?;
    let (i, ctx_off) = u32_(i)?;
    let (_, ctx_len) = u32_(i)?;
    Ok(CreateRequest {
        security_flags,
        oplock_level,
        impersonation_level,
        smb_create_flags,
        desired_access,
        file_attributes,
        share_access,
        create_disposition,
        create_options,
        name: util::buffer(msg, name_off.into(), name_len.into())?,
        contexts: CreateContexts::new(util::buffer(msg, ctx_off as usize, ctx_len as usize)?),
    })
}

/// CREATE response (2.2.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateResponse<'a> {
    /// OplockLevel granted (`OPLOCK_LEVEL_*`).
    pub oplock_level: u8,
    /// Flags (3.x: SMB2_CREATE_FLAG_REPARSEPOINT).
    pub flags: u8,
    /// CreateAction.
    pub create_action: u32,
    /// CreationTime.
    pub creation_time: u64,
    /// LastAccessTime.
    pub last_access_time: u64,
    /// LastWriteTime.
    pub last_write_time: u64,
    /// ChangeTime.
    pub change_time: u64,
    /// AllocationSize.
    pub allocation_size: u64,
    /// EndofFile.
    pub end_of_file: u64,
    /// FileAttributes.
    pub file_attributes: u32,
    /// FileId.
    pub file_id: FileId,
    /// Create contexts.
    pub contexts: CreateContexts<'a>,
}

/// Parse a CREATE response; `msg` starts at the SMB2 header.
pub fn parse_create_response(msg: &[u8]) -> Result<CreateResponse<'_>> {
    let body = body_with_size(msg, 89)?;
    let (i, _size) = u16_(body)?;
    let (i, oplock_level) = u8_(i)?;
    let (i, flags) = u8_(i)?;
    let (i, create_action) = u32_(i)?;
    let (i, creation_time) = u64_(i)?;
    let (i, last_access_time) = u64_(i)?;
    let (i, last_write_time) = u64_(i)?;
    let (i, change_time) = u64_(i)?;
    let (i, allocation_size) = u64_(i)?;
    let (i, end_of_file) = u64_(i)?;
    let (i, file_attributes) = u32_(i)?;
    let (i, _reserved2) = u32_(i)?;
    let (i, file_id) = file_id(i)?;
    let (i, ctx_off) = u32_(i)?;
    let (_, ctx_len) = u32_(i)?;
    Ok(CreateResponse {
        oplock_level,
        flags,
        create_action,
        creation_time,
        last_access_time,
        last_write_time,
        change_time,
        allocation_size,
        end_of_file,
        file_attributes,
        file_id,
        contexts: CreateContexts::new(util::buffer(msg, ctx_off as usize, ctx_len as usize)?),
    })
}

/// Iterator over a create context chain (2.2.13.2): each context's `Next` is relative to
/// its own start, 0 for the last. Yields `Err` once and stops on a truncated context, a
/// name/data outside it, or a `Next` that does not move forward within the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateContexts<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> CreateContexts<'a> {
    /// Iterate the chain in `buf` (empty: no contexts).
    pub fn new(buf: &'a [u8]) -> Self {
        CreateContexts {
            rest: buf,
            done: buf.is_empty(),
        }
    }
    /// The first context named `name`.
    pub fn find(self, name: &[u8]) -> Option<CreateContext<'a>> {
        self.filter_map(|c| c.ok()).find(|c| c.name == name)
    }
}

impl<'a> Iterator for CreateContexts<'a> {
    type Item = Result<CreateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let c = self.rest;
        let r = (|| {
            let (i, next) = u32_(c)?;
            let (i, name_off) = u16_(i)?;
            let (i, name_len) = u16_(i)?;
            let (i, _reserved) = u16_(i)?;
            let (i, data_off) = u16_(i)?;
            let (_, data_len) = u32_(i)?;
            let name = util::slice(c, name_off.into(), name_len.into()).ok_or(Error::Truncated)?;
            let data = util::buffer(c, data_off.into(), data_len as usize)?;
            Ok((next, CreateContext { name, data }))
        })();
        match r {
            Ok((0, ctx)) => {
                self.done = true;
                Some(Ok(ctx))
            }
            Ok((next, ctx)) => {
                let next = next as usize;
                match c.get(next..) {
                    Some(rest) if next >= 16 && !rest.is_empty() => {
                        self.rest = rest;
                        Some(Ok(ctx))
                    }
                    _ => {
                        self.done = true;
                        Some(Err(Error::Invalid("create context Next out of range")))
                    }
                }
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// One create context: name and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateContext<'a> {
    /// Name (4 ASCII bytes such as `b"RqLs"`, or a 16-byte GUID).
    pub name: &'a [u8],
    /// Data.
    pub data: &'a [u8],
}

/// SMB2_CREATE_REQUEST_LEASE / _V2 and the response lease contexts (2.2.13.2.8,
/// 2.2.13.2.10, 2.2.14.2.10, 2.2.14.2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// LeaseKey.
    pub key: [u8; 16],
    /// LeaseState (`LEASE_*_CACHING`).
    pub state: u32,
    /// LeaseFlags.
    pub flags: u32,
    /// LeaseDuration (reserved, 0).
    pub duration: u64,
    /// ParentLeaseKey (v2 only).
    pub parent_key: Option<[u8; 16]>,
    /// Epoch (v2 only).
    pub epoch: Option<u16>,
}

impl Lease {
    /// True for the v2 (52-byte) form.
    pub fn is_v2(&self) -> bool {
        self.epoch.is_some()
    }
}

/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 (2.2.13.2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableHandleRequestV2 {
    /// Timeout (ms).
    pub timeout: u32,
    /// Flags (SMB2_DHANDLE_FLAG_PERSISTENT).
    pub flags: u32,
    /// CreateGuid.
    pub create_guid: [u8; 16],
}

/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 (2.2.13.2.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableHandleReconnectV2 {
    /// FileId of the open.
    pub file_id: FileId,
    /// CreateGuid.
    pub create_guid: [u8; 16],
    /// Flags.
    pub flags: u32,
}

/// A create context parsed by name and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateContextData<'a> {
    /// RqLs (request or response), v1 or v2.
    Lease(Lease),
    /// DHnQ request (16 reserved bytes) or response (8 reserved bytes).
    DurableHandleRequest,
    /// DHnC: FileId of the durable open.
    DurableHandleReconnect(FileId),
    /// DH2Q request.
    DurableHandleRequestV2(DurableHandleRequestV2),
    /// DH2Q response: Timeout and Flags (2.2.14.2.12).
    DurableHandleResponseV2 {
        /// Timeout.
        timeout: u32,
        /// Flags.
        flags: u32,
    },
    /// DH2C.
    DurableHandleReconnectV2(DurableHandleReconnectV2),
    /// MxAc request: optional Timestamp.
    MaximalAccessRequest {
        /// Timestamp, when present.
        timestamp: Option<u64>,
    },
    /// MxAc response: QueryStatus and MaximalAccess (2.2.14.2.5).
    MaximalAccessResponse {
        /// QueryStatus.
        query_status: u32,
        /// MaximalAccess.
        maximal_access: u32,
    },
    /// QFid response: DiskFileId (16) and VolumeId (8) (2.2.14.2.9).
    QueryOnDiskId {
        /// The 32 bytes.
        raw: &'a [u8],
    },
    /// AlSi: AllocationSize.
    AllocationSize(u64),
    /// TWrp: Timestamp.
    TimewarpToken(u64),
    /// Anything else (ExtA, SecD, app instance ids...): raw data.
    Other(&'a [u8]),
}

fn parse_lease(d: &[u8]) -> Result<Lease> {
    let (i, key) = array::<16>(d)?;
    let (i, state) = u32_(i)?;
    let (i, flags) = u32_(i)?;
    let (i, duration) = u64_(i)?;
    if d.len() >= 52 {
        let (i, parent) = array::<16>(i)?;
        let (_, epoch) = u16_(i)?;
        Ok(Lease {
            key,
            state,
            flags,
            duration,
            parent_key: Some(parent),
            epoch: Some(epoch),
        })
    } else {
        Ok(Lease {
            key,
            state,
            flags,
            duration,
            parent_key: None,
            epoch: None,
        })
    }
}

impl<'a> CreateContext<'a> {
    /// Parse the data by name; `response` selects the response forms.
    pub fn parse(&self, response: bool) -> Result<CreateContextData<'a>> {
        let d = self.data;
        Ok(match self.name {
            CREATE_REQUEST_LEASE => CreateContextData::Lease(parse_lease(d)?),
            CREATE_DURABLE_HANDLE_REQUEST => CreateContextData::DurableHandleRequest,
            CREATE_DURABLE_HANDLE_RECONNECT => {
                CreateContextData::DurableHandleReconnect(file_id(d)?.1)
            }
            CREATE_DURABLE_HANDLE_REQUEST_V2 if response => {
                let (i, timeout) = u32_(d)?;
                let (_, flags) = u32_(i)?;
                CreateContextData::DurableHandleResponseV2 { timeout, flags }
            }
            CREATE_DURABLE_HANDLE_REQUEST_V2 => {
                let (i, timeout) = u32_(d)?;
                let (i, flags) = u32_(i)?;
                let (i, _reserved) = u64_(i)?;
                let (_, create_guid) = array::<16>(i)?;
                CreateContextData::DurableHandleRequestV2(DurableHandleRequestV2 {
                    timeout,
                    flags,
                    create_guid,
                })
            }
            CREATE_DURABLE_HANDLE_RECONNECT_V2 => {
                let (i, fid) = file_id(d)?;
                let (i, create_guid) = array::<16>(i)?;
                let (_, flags) = u32_(i)?;
                CreateContextData::DurableHandleReconnectV2(DurableHandleReconnectV2 {
                    file_id: fid,
                    create_guid,
                    flags,
                })
            }
            CREATE_QUERY_MAXIMAL_ACCESS if response => {
                let (i, query_status) = u32_(d)?;
                let (_, maximal_access) = u32_(i)?;
                CreateContextData::MaximalAccessResponse {
                    query_status,
                    maximal_access,
                }
            }
            CREATE_QUERY_MAXIMAL_ACCESS => CreateContextData::MaximalAccessRequest {
                timestamp: u64_(d).ok().map(|(_, t)| t),
            },
            CREATE_QUERY_ON_DISK_ID if response => CreateContextData::QueryOnDiskId {
                raw: bytes(d, 32)?.1,
            },
            CREATE_ALLOCATION_SIZE => CreateContextData::AllocationSize(u64_(d)?.1),
            CREATE_TIMEWARP_TOKEN => CreateContextData::TimewarpToken(u64_(d)?.1),
            _ => CreateContextData::Other(d),
        })
    }
}

/// CLOSE request (2.2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// Flags.
    pub flags: u16,
    /// FileId.
    pub file_id: FileId,
}

/// Parse a CLOSE request; `msg` starts at the SMB2 header.
pub fn parse_close_request(msg: &[u8]) -> Result<CloseRequest> {
    let body = body_with_size(msg, 24)?;
    let (i, _size) = u16_(body)?;
    let (i, flags) = u16_(i)?;
    let (i, _reserved) = u32_(i)?;
    let (_, file_id) = file_id(i)?;
    Ok(CloseRequest { flags, file_id })
}

/// CLOSE response (2.2.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseResponse {
    /// Flags.
    pub flags: u16,
    /// EndofFile (valid with CLOSE_FLAG_POSTQUERY_ATTRIB).
    pub end_of_file: u64,
    /// FileAttributes.
    pub file_attributes: u32,
}

/// Parse a CLOSE response; `msg` starts at the SMB2 header.
pub fn parse_close_response(msg: &[u8]) -> Result<CloseResponse> {
    let body = body_with_size(msg, 60)?;
    let (i, _size) = u16_(body)?;
    let (i, flags) = u16_(i)?;
    let (i, _reserved) = u32_(i)?;
    let (i, _times) = bytes(i, 32)?;
    let (i, _alloc) = u64_(i)?;
    let (i, end_of_file) = u64_(i)?;
    let (_, file_attributes) = u32_(i)?;
    Ok(CloseResponse {
        flags,
        end_of_file,
        file_attributes,
    })
}

//! NEGOTIATE request/response and negotiate contexts (MS-SMB2 2.2.3, 2.2.4).

use super::{DIALECT_311, HEADER_LEN, body_with_size};
use crate::error::{Error, Result};
use crate::util::{self, U16List, array, bytes, u16_, u32_, u64_};

// Negotiate context types (2.2.3.1)
/// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
pub const CTX_PREAUTH_INTEGRITY: u16 = 0x0001;
/// SMB2_ENCRYPTION_CAPABILITIES.
pub const CTX_ENCRYPTION: u16 = 0x0002;
/// SMB2_COMPRESSION_CAPABILITIES.
pub const CTX_COMPRESSION: u16 = 0x0003;
/// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID.
pub const CTX_NETNAME: u16 = 0x0005;
/// SMB2_TRANSPORT_CAPABILITIES.
pub const CTX_TRANSPORT: u16 = 0x0006;
/// SMB2_RDMA_TRANSFORM_CAPABILITIES.
pub const CTX_RDMA_TRANSFORM: u16 = 0x0007;
/// SMB2_SIGNING_CAPABILITIES.
pub const CTX_SIGNING: u16 = 0x0008;

/// Hash algorithm SHA-512 (2.2.3.1.1).
pub const HASH_SHA512: u16 = 0x0001;

// Ciphers (2.2.3.1.2)
/// AES-128-CCM.
pub const CIPHER_AES128_CCM: u16 = 0x0001;
/// AES-128-GCM.
pub const CIPHER_AES128_GCM: u16 = 0x0002;
/// AES-256-CCM.
pub const CIPHER_AES256_CCM: u16 = 0x0003;
/// AES-256-GCM.
pub const CIPHER_AES256_GCM: u16 = 0x0004;

// Signing algorithms (2.2.3.1.7)
/// HMAC-SHA256.
pub const SIGNING_HMAC_SHA256: u16 = 0x0000;
/// AES-CMAC.
pub const SIGNING_AES_CMAC: u16 = 0x0001;
/// AES-GMAC.
pub const SIGNING_AES_GMAC: u16 = 0x0002;

/// NEGOTIATE request (2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// SecurityMode (`NEGOTIATE_SIGNING_*`).
    pub security_mode: u16,
    /// Capabilities (SMB2_GLOBAL_CAP_*).
    pub capabilities: u32,
    /// ClientGuid.
    pub client_guid: [u8; 16],
    /// Dialects offered.
    pub dialects: U16List<'a>,
    /// Negotiate contexts (empty unless 3.1.1 is offered).
    pub contexts: NegotiateContexts<'a>,
    /// ClientStartTime when 3.1.1 is not offered (the field shares the bytes of
    /// NegotiateContextOffset/Count).
    pub client_start_time: u64,
}

/// Parse a NEGOTIATE request; `msg` starts at the SMB2 header.
pub fn parse_negotiate_request(msg: &[u8]) -> Result<NegotiateRequest<'_>> {
    let body = body_with_size(msg, 36)?;
    let (i, _size) = u16_(body)?;
    let (i, dialect_count) = u16_(i)?;
    let (i, security_mode) = u16_(i)?;
    let (i, _reserved) = u16_(i)?;
    let (i, capabilities) = u32_(i)?;
    let (i, client_guid) = array::<16>(i)?;
    let (_, client_start_time) = u64_(i)?;
    let (i, ctx_offset) = u32_(i)?;
    let (i, ctx_count) = u16_(i)?;
    let (i, _reserved2) = u16_(i)?;
    let (_, dialects) = U16List::parse(i, dialect_count.into())?;
    let contexts = if dialects.contains(DIALECT_311) && ctx_count > 0 {
        NegotiateContexts::new(msg, ctx_offset as usize, ctx_count)?
    } else {
        NegotiateContexts::empty()
    };
    Ok(NegotiateRequest {
        security_mode,
        capabilities,
        client_guid,
        dialects,
        contexts,
        client_start_time,
    })
}

/// NEGOTIATE response (2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateResponse<'a> {
    /// SecurityMode (`NEGOTIATE_SIGNING_*`).
    pub security_mode: u16,
    /// DialectRevision.
    pub dialect_revision: u16,
    /// ServerGuid.
    pub server_guid: [u8; 16],
    /// Capabilities (SMB2_GLOBAL_CAP_*).
    pub capabilities: u32,
    /// MaxTransactSize.
    pub max_transact_size: u32,
    /// MaxReadSize.
    pub max_read_size: u32,
    /// MaxWriteSize.
    pub max_write_size: u32,
    /// SystemTime (FILETIME).
    pub system_time: u64,
    /// ServerStartTime (FILETIME).
    pub server_start_time: u64,
    /// Security buffer (SPNEGO token; may be empty).
    pub security_buffer: &'a [u8],
    /// Negotiate contexts (only for dialect 3.1.1).
    pub contexts: NegotiateContexts<'a>,
}

/// Parse a NEGOTIATE response; `msg` starts at the SMB2 header.
pub fn parse_negotiate_response(msg: &[u8]) -> Result<NegotiateResponse<'_>> {
    let body = body_with_size(msg, 65)?;
    let (i, _size) = u16_(body)?;
    let (i, security_mode) = u16_(i)?;
    let (i, dialect_revision) = u16_(i)?;
    let (i, ctx_count) = u16_(i)?;
    let (i, server_guid) = array::<16>(i)?;
    let (i, capabilities) = u32_(i)?;
    let (i, max_transact_size) = u32_(i)?;
    let (i, max_read_size) = u32_(i)?;
    let (i, max_write_size) = u32_(i)?;
    let (i, system_time) = u64_(i)?;
    let (i, server_start_time) = u64_(i)?;
    let (i, sec_off) = u16_(i)?;
    let (i, sec_len) = u16_(i)?;
    let (_, ctx_offset) = u32_(i)?;
    let security_buffer = util::buffer(msg, sec_off.into(), sec_len.into())?;
    let contexts = if dialect_revision == DIALECT_311 && ctx_count > 0 {
        NegotiateContexts::new(msg, ctx_offset as usize, ctx_count)?
    } else {
        NegotiateContexts::empty()
    };
    Ok(NegotiateResponse {
        security_mode,
        dialect_revision,
        server_guid,
        capabilities,
        max_transact_size,
        max_read_size,
        max_write_size,
        system_time,
        server_start_time,
        security_buffer,
        contexts,
    })
}

/// The negotiate context list (2.2.3.1): `count` contexts from an offset relative to the
/// header, each 8-byte aligned relative to the header. Iterating yields `Err` once and
/// stops at a truncated context.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NegotiateContexts<'a> {
    msg: &'a [u8],
    pos: usize,
    remaining: u16,
}

impl core::fmt::Debug for NegotiateContexts<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(*self).finish()
    }
}

impl<'a> NegotiateContexts<'a> {
    fn new(msg: &'a [u8], offset: usize, count: u16) -> Result<Self> {
        if offset < HEADER_LEN || offset > msg.len() {
            return Err(Error::Invalid("NegotiateContextOffset out of range"));
        }
        Ok(NegotiateContexts {
            msg,
            pos: offset,
            remaining: count,
        })
    }
    fn empty() -> Self {
        NegotiateContexts {
            msg: &[],
            pos: 0,
            remaining: 0,
        }
    }
    /// NegotiateContextCount.
    pub fn count(&self) -> u16 {
        self.remaining
    }
    /// The first context of type `ty`, parsed.
    pub fn find(self, ty: u16) -> Option<NegotiateContextData<'a>> {
        self.filter_map(|c| c.ok())
            .find(|c| c.context_type == ty)
            .and_then(|c| c.parse().ok())
    }
}

impl<'a> Iterator for NegotiateContexts<'a> {
    type Item = Result<NegotiateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let r = (|| {
            let start = self.msg.get(self.pos..).ok_or(Error::Truncated)?;
            let (i, context_type) = u16_(start)?;
            let (i, data_len) = u16_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (_, data) = bytes(i, data_len.into())?;
            let end = self.pos.saturating_add(8).saturating_add(data_len.into());
            Ok((util::align8(end), NegotiateContext { context_type, data }))
        })();
        match r {
            Ok((next, c)) => {
                self.pos = next;
                Some(Ok(c))
            }
            Err(e) => {
                self.remaining = 0;
                Some(Err(e))
            }
        }
    }
}

/// One negotiate context: its type and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateContext<'a> {
    /// ContextType (`CTX_*`).
    pub context_type: u16,
    /// Data.
    pub data: &'a [u8],
}

/// A typed negotiate context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegotiateContextData<'a> {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES (2.2.3.1.1).
    PreauthIntegrity {
        /// HashAlgorithms (`HASH_SHA512`).
        hash_algorithms: U16List<'a>,
        /// Salt.
        salt: &'a [u8],
    },
    /// SMB2_ENCRYPTION_CAPABILITIES (2.2.3.1.2); a response carries exactly one cipher
    /// (0 when none is agreed).
    Encryption {
        /// Ciphers (`CIPHER_*`).
        ciphers: U16List<'a>,
    },
    /// SMB2_COMPRESSION_CAPABILITIES (2.2.3.1.3).
    Compression {
        /// Flags (SMB2_COMPRESSION_CAPABILITIES_FLAG_CHAINED).
        flags: u32,
        /// CompressionAlgorithms (wire values of [`crate::compression::Algorithm`]).
        algorithms: U16List<'a>,
    },
    /// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID (2.2.3.1.4): UTF-16LE server name.
    NetName {
        /// NetName bytes (UTF-16LE).
        name: &'a [u8],
    },
    /// SMB2_TRANSPORT_CAPABILITIES (2.2.3.1.5).
    Transport {
        /// Flags (SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY).
        flags: u32,
    },
    /// SMB2_RDMA_TRANSFORM_CAPABILITIES (2.2.3.1.6).
    RdmaTransform {
        /// RDMATransformIds (SMB2_RDMA_TRANSFORM_*).
        transform_ids: U16List<'a>,
    },
    /// SMB2_SIGNING_CAPABILITIES (2.2.3.1.7); a response carries exactly one.
    Signing {
        /// SigningAlgorithms (`SIGNING_*`).
        algorithms: U16List<'a>,
    },
    /// Another context type.
    Other {
        /// ContextType.
        context_type: u16,
        /// Data.
        data: &'a [u8],
    },
}

impl<'a> NegotiateContext<'a> {
    /// Parse the data by type.
    pub fn parse(&self) -> Result<NegotiateContextData<'a>> {
        let d = self.data;
        Ok(match self.context_type {
            CTX_PREAUTH_INTEGRITY => {
                let (i, count) = u16_(d)?;
                let (i, salt_len) = u16_(i)?;
                let (i, hash_algorithms) = U16List::parse(i, count.into())?;
                let (_, salt) = bytes(i, salt_len.into())?;
                NegotiateContextData::PreauthIntegrity {
                    hash_algorithms,
                    salt,
                }
            }
            CTX_ENCRYPTION => {
                let (i, count) = u16_(d)?;
                let (_, ciphers) = U16List::parse(i, count.into())?;
                NegotiateContextData::Encryption { ciphers }
            }
            CTX_COMPRESSION => {
                let (i, count) = u16_(d)?;
                let (i, _padding) = u16_(i)?;
                let (i, flags) = u32_(i)?;
                let (_, algorithms) = U16List::parse(i, count.into())?;
                NegotiateContextData::Compression { flags, algorithms }
            }
            CTX_NETNAME => NegotiateContextData::NetName { name: d },
            CTX_TRANSPORT => {
                let (_, flags) = u32_(d)?;
                NegotiateContextData::Transport { flags }
            }
            CTX_RDMA_TRANSFORM => {
                let (i, count) = u16_(d)?;
                let (i, _r1) = u16_(i)?;
                let (i, _r2) = u32_(i)?;
                let (_, transform_ids) = U16List::parse(i, count.into())?;
                NegotiateContextData::RdmaTransform { transform_ids }
            }
            CTX_SIGNING => {
                let (i, count) = u16_(d)?;
                let (_, algorithms) = U16List::parse(i, count.into())?;
                NegotiateContextData::Signing { algorithms }
            }
            other => NegotiateContextData::Other {
                context_type: other,
                data: d,
            },
        })
    }
}

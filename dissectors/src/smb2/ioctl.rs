//! IOCTL request/response (MS-SMB2 2.2.31, 2.2.32), NETWORK_INTERFACE_INFO (2.2.32.5)
//! and VALIDATE_NEGOTIATE_INFO (2.2.31.4, 2.2.32.6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{FileId, body_with_size, file_id};
use crate::error::{Error, Result};
use crate::util::{self, U16List, array, bytes, u16_, u32_, u64_};

// FSCTL / IOCTL codes (2.2.31)
/// FSCTL_QUERY_NETWORK_INTERFACE_INFO.
pub const FSCTL_QUERY_NETWORK_INTERFACE_INFO: u32 = 0x0014_01FC;
/// FSCTL_VALIDATE_NEGOTIATE_INFO.
pub const FSCTL_VALIDATE_NEGOTIATE_INFO: u32 = 0x0014_0204;

/// SMB2_0_IOCTL_IS_FSCTL (2.2.31).
pub const IOCTL_IS_FSCTL: u32 = 0x0000_0001;

/// IOCTL request (2.2.31).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoctlRequest<'a> {
    /// CtlCode (`FSCTL_*`).
    pub ctl_code: u32,
    /// FileId (0xFF.. for FSCTLs not tied to an open).
    pub file_id: FileId,
    /// Input buffer.
    pub input: &'a [u8],
    /// MaxInputResponse.
    pub max_input_response: u32,
    /// Output buffer (normally empty in a request).
    pub output: &'a [u8],
    /// MaxOutputResponse.
    pub max_output_response: u32,
    /// Flags (`IOCTL_IS_FSCTL`).
    pub flags: u32,
}

impl IoctlRequest<'_> {
    /// The VALIDATE_NEGOTIATE_INFO request in the input, for that FSCTL.
    pub fn validate_negotiate_info(&self) -> Option<ValidateNegotiateInfoRequest<'_>> {
        (self.ctl_code == FSCTL_VALIDATE_NEGOTIATE_INFO)
            .then(|| parse_validate_negotiate_info_request(self.input).ok())
            .flatten()
    }
}

/// Parse an IOCTL request; `msg` starts at the SMB2 header.
pub fn parse_ioctl_request(msg: &[u8]) -> Result<IoctlRequest<'_>> {
    let body = body_with_size(msg, 57)?;
    let (i, _size) = u16_(body)?;
    let (i, _reserved) = u16_(i)?;
    let (i, ctl_code) = u32_(i)?;
    let (i, file_id) = file_id(i)?;
    let (i, in_off) = u32_(i)?;
    let (i, in_count) = u32_(i)?;
    let (i, max_input_response) = u32_(i)?;
    let (i, out_off) = u32_(i)?;
    let (i, out_count) = u32_(i)?;
    let (i, max_output_response) = u32_(i)?;
    let (_, flags) = u32_(i)?;
    Ok(IoctlRequest {
        ctl_code,
        file_id,
        input: util::buffer(msg, in_off as usize, in_count as usize)?,
        max_input_response,
        output: util::buffer(msg, out_off as usize, out_count as usize)?,
        max_output_response,
        flags,
    })
}

/// IOCTL response (2.2.32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoctlResponse<'a> {
    /// CtlCode.
    pub ctl_code: u32,
    /// FileId.
    pub file_id: FileId,
    /// Input buffer (echoed for some FSCTLs).
    pub input: &'a [u8],
    /// Output buffer.
    pub output: &'a [u8],
    /// Flags.
    pub flags: u32,
}

impl<'a> IoctlResponse<'a> {
    /// The interfaces in a FSCTL_QUERY_NETWORK_INTERFACE_INFO response.
    pub fn network_interfaces(&self) -> Option<NetworkInterfaces<'a>> {
        (self.ctl_code == FSCTL_QUERY_NETWORK_INTERFACE_INFO)
            .then(|| NetworkInterfaces::new(self.output))
    }
    /// The VALIDATE_NEGOTIATE_INFO response in the output, for that FSCTL.
    pub fn validate_negotiate_info(&self) -> Option<ValidateNegotiateInfoResponse> {
        (self.ctl_code == FSCTL_VALIDATE_NEGOTIATE_INFO)
            .then(|| parse_validate_negotiate_info_response(self.output).ok())
            .flatten()
    }
}

/// Parse an IOCTL response; `msg` starts at the SMB2 header.
pub fn parse_ioctl_response(msg: &[u8]) -> Result<IoctlResponse<'_>> {
    let body = body_with_size(msg, 49)?;
    let (i, _size) = u16_(body)?;
    let (i, _reserved) = u16_(i)?;
    let (i, ctl_code) = u32_(i)?;
    let (i, file_id) = file_id(i)?;
    let (i, in_off) = u32_(i)?;
    let (i, in_count) = u32_(i)?;
    let (i, out_off) = u32_(i)?;
    let (i, out_count) = u32_(i)?;
    let (_, flags) = u32_(i)?;
    Ok(IoctlResponse {
        ctl_code,
        file_id,
        input: util::buffer(msg, in_off as usize, in_count as usize)?,
        output: util::buffer(msg, out_off as usize, out_count as usize)?,
        flags,
    })
}

/// RSS_CAPABLE (2.2.32.5).
pub const NETWORK_INTERFACE_CAP_RSS: u32 = 0x0000_0001;
/// RDMA_CAPABLE.
pub const NETWORK_INTERFACE_CAP_RDMA: u32 = 0x0000_0002;

/// Address family InterNetwork in SOCKADDR_STORAGE (2.2.32.5.1).
pub const AF_INET: u16 = 0x0002;
/// Address family InterNetworkV6.
pub const AF_INET6: u16 = 0x0017;

/// One NETWORK_INTERFACE_INFO entry (2.2.32.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkInterfaceInfo<'a> {
    /// Next (offset of the next entry from this one, 0 for the last).
    pub next: u32,
    /// IfIndex.
    pub if_index: u32,
    /// Capability (`NETWORK_INTERFACE_CAP_*`).
    pub capability: u32,
    /// LinkSpeed (bits per second).
    pub link_speed: u64,
    /// The raw 128-byte SOCKADDR_STORAGE.
    pub sockaddr: &'a [u8],
}

impl NetworkInterfaceInfo<'_> {
    /// Address family of the sockaddr.
    pub fn family(&self) -> u16 {
        self.sockaddr
            .first_chunk()
            .map_or(0, |b| u16::from_le_bytes(*b))
    }
    /// The IP address (2.2.32.5.1.1, 2.2.32.5.1.2), for IPv4 and IPv6.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.family() {
            AF_INET => {
                let b: [u8; 4] = self.sockaddr.get(4..8)?.try_into().ok()?;
                Some(IpAddr::V4(Ipv4Addr::from(b)))
            }
            AF_INET6 => {
                let b: [u8; 16] = self.sockaddr.get(8..24)?.try_into().ok()?;
                Some(IpAddr::V6(Ipv6Addr::from(b)))
            }
            _ => None,
        }
    }
    /// The port (big-endian on the wire; normally 0).
    pub fn port(&self) -> Option<u16> {
        let b: [u8; 2] = self.sockaddr.get(2..4)?.try_into().ok()?;
        Some(u16::from_be_bytes(b))
    }
    /// RSS capable.
    pub fn is_rss(&self) -> bool {
        self.capability & NETWORK_INTERFACE_CAP_RSS != 0
    }
    /// RDMA capable.
    pub fn is_rdma(&self) -> bool {
        self.capability & NETWORK_INTERFACE_CAP_RDMA != 0
    }
}

/// Iterator over the NETWORK_INTERFACE_INFO chain of a query response: follows `Next`,
/// stops at 0, yields `Err` once and stops on a truncated entry or a `Next` that does not
/// move forward.
#[derive(Debug, Clone)]
pub struct NetworkInterfaces<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> NetworkInterfaces<'a> {
    /// Iterate the entries in an IOCTL output buffer.
    pub fn new(output: &'a [u8]) -> Self {
        NetworkInterfaces {
            rest: output,
            done: output.is_empty(),
        }
    }
}

impl<'a> Iterator for NetworkInterfaces<'a> {
    type Item = Result<NetworkInterfaceInfo<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let c = self.rest;
        let r = (|| -> Result<NetworkInterfaceInfo<'a>> {
            let (i, next) = u32_(c)?;
            let (i, if_index) = u32_(i)?;
            let (i, capability) = u32_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (i, link_speed) = u64_(i)?;
            let (_, sockaddr) = bytes(i, 128)?;
            Ok(NetworkInterfaceInfo {
                next,
                if_index,
                capability,
                link_speed,
                sockaddr,
            })
        })();
        match r {
            Ok(e) if e.next == 0 => {
                self.done = true;
                Some(Ok(e))
            }
            Ok(e) => match c.get(e.next as usize..) {
                Some(rest) if e.next >= 24 && !rest.is_empty() => {
                    self.rest = rest;
                    Some(Ok(e))
                }
                _ => {
                    self.done = true;
                    Some(Err(Error::Invalid(
                        "NETWORK_INTERFACE_INFO Next out of range",
                    )))
                }
            },
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// VALIDATE_NEGOTIATE_INFO request (2.2.31.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateNegotiateInfoRequest<'a> {
    /// Capabilities.
    pub capabilities: u32,
    /// Guid (client GUID).
    pub guid: [u8; 16],
    /// SecurityMode.
    pub security_mode: u16,
    /// Dialects.
    pub dialects: U16List<'a>,
}

/// Parse a VALIDATE_NEGOTIATE_INFO request (the IOCTL input buffer).
pub fn parse_validate_negotiate_info_request(
    input: &[u8],
) -> Result<ValidateNegotiateInfoRequest<'_>> {
    let (i, capabilities) = u32_(input)?;
    let (i, guid) = array::<16>(i)?;
    let (i, security_mode) = u16_(i)?;
    let (i, count) = u16_(i)?;
    let (_, dialects) = U16List::parse(i, count.into())?;
    Ok(ValidateNegotiateInfoRequest {
        capabilities,
        guid,
        security_mode,
        dialects,
    })
}

/// VALIDATE_NEGOTIATE_INFO response (2.2.32.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateNegotiateInfoResponse {
    /// Capabilities.
    pub capabilities: u32,
    /// Guid (server GUID).
    pub guid: [u8; 16],
    /// SecurityMode.
    pub security_mode: u16,
    /// Dialect.
    pub dialect: u16,
}

/// Parse a VALIDATE_NEGOTIATE_INFO response (the IOCTL output buffer).
pub fn parse_validate_negotiate_info_response(
    output: &[u8],
) -> Result<ValidateNegotiateInfoResponse> {
    let (i, capabilities) = u32_(output)?;
    let (i, guid) = array::<16>(i)?;
    let (i, security_mode) = u16_(i)?;
    let (_, dialect) = u16_(i)?;
    Ok(ValidateNegotiateInfoResponse {
        capabilities,
        guid,
        security_mode,
        dialect,
    })
}

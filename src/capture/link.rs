//! Link, IP and TCP decoding of one frame with etherparse, lax so that frames cut by the
//! snap length decode as far as they go.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::Mapping;

use etherparse::{
    EtherType, IpNumber, LaxIpPayloadSlice, LaxNetSlice, LaxSlicedPacket, TransportSlice,
};

const ETHERNET: u32 = 1;
const NULL: u32 = 0;
const LOOP: u32 = 108;
const LINUX_SLL: u32 = 113;
const LINUX_SLL2: u32 = 276;
/// Raw IP has several numbers: 101 (LINKTYPE_RAW), DLT_RAW 12 and 14, IPV4 228, IPV6 229.
const RAW_IP: [u32; 5] = [101, 12, 14, 228, 229];

/// Whether frames of this LINKTYPE_* can be decoded.
pub fn is_supported(linktype: u32) -> bool {
    matches!(linktype, ETHERNET | NULL | LOOP | LINUX_SLL | LINUX_SLL2)
        || RAW_IP.contains(&linktype)
}

/// The mapped capture file a frame's bytes lie in: a message's bytes can then be kept as
/// ranges of it instead of copies (`flow::Tail`). Equal when it is the same mapping.
#[derive(Clone, Copy, Debug)]
pub struct Backing<'a>(pub &'a Arc<Mapping>);

impl PartialEq for Backing<'_> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(self.0, other.0)
    }
}

impl Eq for Backing<'_> {}

/// One TCP segment of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    /// The acknowledgment number when the ACK flag is set.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Payload bytes sent but cut by the snap length (known from the IP length fields).
    pub cut: u32,
    /// The mapped file the payload lies in, if the caller says so (`decode_tcp` does not).
    pub backing: Option<Backing<'a>>,
}

/// What a frame holds, as far as TCP is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    Tcp(TcpSegment<'a>),
    /// Not an IP/TCP packet (ARP, UDP, ICMP, ...).
    NotTcp,
    /// An IP fragment: reassembly of IP fragments is not supported.
    IpFragment,
    /// A header is damaged or cut before the TCP header ends.
    Malformed(&'static str),
}

/// Decodes a frame of the given link type down to TCP.
pub fn decode_tcp(linktype: u32, data: &[u8]) -> Decoded<'_> {
    // Each arm builds the sliced packet in place (328 bytes): converting results and options
    // of it moved it around, a tenth of the reading thread's time at 1514-byte frames.
    const CUT: Decoded = Decoded::Malformed("link header cut short");
    let packet = match linktype {
        ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
            Ok(packet) => packet,
            Err(_) => return CUT,
        },
        LINUX_SLL if data.len() >= 16 => {
            LaxSlicedPacket::from_ether_type(EtherType(be16(data, 14)), &data[16..])
        }
        LINUX_SLL2 if data.len() >= 20 => {
            LaxSlicedPacket::from_ether_type(EtherType(be16(data, 0)), &data[20..])
        }
        // A 4-byte address family (NULL: host byte order, LOOP: big-endian); etherparse
        // tells IPv4 from IPv6 by the version nibble, and other families fail there.
        NULL | LOOP if data.len() >= 4 => match LaxSlicedPacket::from_ip(&data[4..]) {
            Ok(packet) => packet,
            Err(_) => return CUT,
        },
        _ if RAW_IP.contains(&linktype) => match LaxSlicedPacket::from_ip(data) {
            Ok(packet) => packet,
            Err(_) => return CUT,
        },
        LINUX_SLL | LINUX_SLL2 | NULL | LOOP => return CUT,
        _ => return Decoded::Malformed("unsupported link type"),
    };
    tcp_of(&packet)
}

/// The TCP segment of a sliced packet, if it holds one.
fn tcp_of<'a>(packet: &LaxSlicedPacket<'a>) -> Decoded<'a> {
    let Some(net) = &packet.net else {
        return Decoded::NotTcp;
    };
    let (src_ip, dst_ip, payload, declared_payload_len): (
        IpAddr,
        IpAddr,
        &LaxIpPayloadSlice,
        usize,
    ) = match net {
        LaxNetSlice::Ipv4(v4) => {
            let header = v4.header();
            let auth_len = v4.extensions().auth.map_or(0, |auth| auth.slice().len());
            let declared = usize::from(header.total_len())
                .saturating_sub(usize::from(header.ihl()) * 4 + auth_len);
            (
                header.source_addr().into(),
                header.destination_addr().into(),
                v4.payload(),
                declared,
            )
        }
        LaxNetSlice::Ipv6(v6) => {
            let header = v6.header();
            let declared =
                usize::from(header.payload_length()).saturating_sub(v6.extensions().slice().len());
            (
                header.source_addr().into(),
                header.destination_addr().into(),
                v6.payload(),
                declared,
            )
        }
        LaxNetSlice::Arp(_) => return Decoded::NotTcp,
    };
    if payload.fragmented {
        return if payload.ip_number == IpNumber::TCP {
            Decoded::IpFragment
        } else {
            Decoded::NotTcp
        };
    }
    if payload.ip_number != IpNumber::TCP {
        return Decoded::NotTcp;
    }
    let Some(TransportSlice::Tcp(tcp)) = &packet.transport else {
        return Decoded::Malformed("TCP header damaged or cut by the snap length");
    };
    // Lax slicing falls back to the captured length when the IP length field asks for
    // more; the difference is what the snap length cut. (A zero length field, as with
    // segmentation offload, gives nothing to fill.)
    let cut = if payload.incomplete {
        declared_payload_len.saturating_sub(payload.payload.len())
    } else {
        0
    };
    Decoded::Tcp(TcpSegment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
        cut: u32::try_from(cut).unwrap_or(u32::MAX),
        backing: None,
    })
}

fn be16(data: &[u8], offset: usize) -> u16 {
    match data.get(offset..offset + 2) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    }
}

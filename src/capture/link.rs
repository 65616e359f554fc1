//! Link, IP and TCP decoding of one frame with etherparse, lax so that frames cut by the
//! snap length decode as far as they go.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::Mapping;

use etherparse::{
    EtherType, IpNumber, LaxIpPayloadSlice, LaxIpSlice, LaxNetSlice, LaxSlicedPacket, TcpSlice,
    TransportSlice,
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

/// One whole UDP datagram of a frame (Kerberos to and from port 88 is read from these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: &'a [u8],
}

/// What a frame holds, as far as TCP (and UDP) is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    Tcp(TcpSegment<'a>),
    /// A whole UDP datagram (one cut by the snap length is `NotTcp`).
    Udp(UdpDatagram<'a>),
    /// Not an IP/TCP packet (ARP, ICMP, ...), or a UDP datagram not all captured.
    NotTcp,
    /// An IP fragment: reassembly of IP fragments is not supported.
    IpFragment,
    /// A header is damaged or cut before the TCP header ends.
    Malformed(&'static str),
}

/// Decodes a frame of the given link type down to TCP.
///
/// IP right after the link header (the usual case) is sliced from the IP header on; VLAN
/// tags, MACsec and other ether types go through etherparse's whole-packet slicer, whose
/// 328-byte result moved from layer to layer was a tenth of the reading thread's time at
/// 1514-byte frames. Both give the same answers (test
/// `ip_fast_path_decodes_as_the_packet_slicer`).
pub fn decode_tcp(linktype: u32, data: &[u8]) -> Decoded<'_> {
    match link_payload(linktype, data) {
        Err(bad) => bad,
        // Kept from the packet slicer: a damaged IP header is "not TCP" behind a link header
        // with an ether type, and a cut link header on links that carry only IP.
        Ok(LinkPayload::Ip(ip)) => from_ip(ip, CUT),
        Ok(LinkPayload::Ether(EtherType::IPV4 | EtherType::IPV6, ip)) => {
            from_ip(ip, Decoded::NotTcp)
        }
        Ok(LinkPayload::Ether(ether_type, rest)) => {
            from_packet(&LaxSlicedPacket::from_ether_type(ether_type, rest))
        }
    }
}

const CUT: Decoded = Decoded::Malformed("link header cut short");

/// What follows a link header.
enum LinkPayload<'a> {
    Ether(EtherType, &'a [u8]),
    /// Links that carry only IP.
    Ip(&'a [u8]),
}

fn link_payload(linktype: u32, data: &[u8]) -> Result<LinkPayload<'_>, Decoded<'_>> {
    let ether = |type_at: usize, len: usize| match data.get(len..) {
        Some(rest) => Ok(LinkPayload::Ether(EtherType(be16(data, type_at)), rest)),
        None => Err(CUT),
    };
    match linktype {
        ETHERNET => ether(12, 14),
        LINUX_SLL => ether(14, 16),
        LINUX_SLL2 => ether(0, 20),
        // A 4-byte address family (NULL: host byte order, LOOP: big-endian); etherparse
        // tells IPv4 from IPv6 by the version nibble, and other families fail there.
        NULL | LOOP => data.get(4..).map(LinkPayload::Ip).ok_or(CUT),
        _ if RAW_IP.contains(&linktype) => Ok(LinkPayload::Ip(data)),
        _ => Err(Decoded::Malformed("unsupported link type")),
    }
}

/// The TCP segment of an IP packet, sliced as etherparse's packet slicer does: no
/// transport header after damaged extension headers or in a fragment.
fn from_ip<'a>(bytes: &'a [u8], bad_ip: Decoded<'a>) -> Decoded<'a> {
    let Ok((ip, exts_damage)) = LaxIpSlice::from_slice(bytes) else {
        return bad_ip;
    };
    let payload = ip.payload();
    let tcp = (exts_damage.is_none() && !payload.fragmented && payload.ip_number == IpNumber::TCP)
        .then(|| TcpSlice::from_slice(payload.payload).ok())
        .flatten();
    segment(&ip, tcp.as_ref())
}

/// The TCP segment of a packet etherparse's packet slicer cut up.
fn from_packet<'a>(packet: &LaxSlicedPacket<'a>) -> Decoded<'a> {
    let ip = match &packet.net {
        Some(LaxNetSlice::Ipv4(v4)) => LaxIpSlice::Ipv4(v4.clone()),
        Some(LaxNetSlice::Ipv6(v6)) => LaxIpSlice::Ipv6(v6.clone()),
        Some(LaxNetSlice::Arp(_)) | None => return Decoded::NotTcp,
    };
    let tcp = match &packet.transport {
        Some(TransportSlice::Tcp(tcp)) => Some(tcp),
        _ => None,
    };
    segment(&ip, tcp)
}

/// The TCP segment of an IP packet, given its TCP header if it could be sliced.
fn segment<'a>(ip: &LaxIpSlice<'a>, tcp: Option<&TcpSlice<'a>>) -> Decoded<'a> {
    let (src_ip, dst_ip, payload, declared_payload_len): (
        IpAddr,
        IpAddr,
        &LaxIpPayloadSlice,
        usize,
    ) = match ip {
        LaxIpSlice::Ipv4(v4) => {
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
        LaxIpSlice::Ipv6(v6) => {
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
    };
    if payload.fragmented {
        return if payload.ip_number == IpNumber::TCP {
            Decoded::IpFragment
        } else {
            Decoded::NotTcp
        };
    }
    if payload.ip_number == IpNumber::UDP && !payload.incomplete {
        return udp(src_ip, dst_ip, payload.payload);
    }
    if payload.ip_number != IpNumber::TCP {
        return Decoded::NotTcp;
    }
    let tcp = match tcp {
        Some(tcp) => TcpFields::of(tcp),
        None if payload.incomplete => match TcpFields::cut_in_options(payload.payload) {
            Some(fields) => fields,
            None => return Decoded::Malformed("TCP header cut by the snap length"),
        },
        None => return Decoded::Malformed("TCP header damaged"),
    };
    // Lax slicing falls back to the captured length when the IP length field asks for
    // more; the difference is what the snap length cut. (A zero length field, as with
    // segmentation offload, gives nothing to fill.)
    let cut = if payload.incomplete {
        declared_payload_len.saturating_sub(tcp.header_len + tcp.data.len())
    } else {
        0
    };
    Decoded::Tcp(TcpSegment {
        src: SocketAddr::new(src_ip, tcp.src_port),
        dst: SocketAddr::new(dst_ip, tcp.dst_port),
        seq: tcp.seq,
        ack: tcp.ack,
        syn: tcp.syn,
        fin: tcp.fin,
        rst: tcp.rst,
        payload: tcp.data,
        cut: u32::try_from(cut).unwrap_or(u32::MAX),
        backing: None,
    })
}

/// The datagram in a UDP header and its data (RFC 768): the length field bounds the data.
fn udp<'a>(src_ip: IpAddr, dst_ip: IpAddr, bytes: &'a [u8]) -> Decoded<'a> {
    let Some(header) = bytes.get(..8) else {
        return Decoded::NotTcp;
    };
    let len = usize::from(be16(header, 4));
    let Some(payload) = bytes.get(8..len.max(8)) else {
        return Decoded::NotTcp;
    };
    Decoded::Udp(UdpDatagram {
        src: SocketAddr::new(src_ip, be16(header, 0)),
        dst: SocketAddr::new(dst_ip, be16(header, 2)),
        payload,
    })
}

/// What reassembly needs of a TCP header.
struct TcpFields<'a> {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    /// The acknowledgment number when the ACK flag is set.
    ack: Option<u32>,
    syn: bool,
    fin: bool,
    rst: bool,
    /// The header's length, options included (its data offset).
    header_len: usize,
    /// The captured data after the header.
    data: &'a [u8],
}

impl<'a> TcpFields<'a> {
    fn of(tcp: &TcpSlice<'a>) -> Self {
        TcpFields {
            src_port: tcp.source_port(),
            dst_port: tcp.destination_port(),
            seq: tcp.sequence_number(),
            ack: tcp.ack().then(|| tcp.acknowledgment_number()),
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            header_len: tcp.header_len(),
            data: tcp.payload(),
        }
    }

    /// A SYN whose header the snap length cut in its options (RFC 9293 3.1: 20 fixed bytes,
    /// then options up to the data offset), which etherparse does not slice: its ports,
    /// numbers and flags are whole and tell where the stream starts (IPv6 and Linux cooked
    /// headers leave a 96-byte snap length 4 bytes short of a SYN's 40-byte header). Other
    /// segments so cut lost their data too and stay damaged frames. None when the fixed part
    /// is cut too, the data offset is below 5 words, or the SYN flag is clear.
    fn cut_in_options(bytes: &'a [u8]) -> Option<Self> {
        let fixed: &[u8; 20] = bytes.get(..20)?.try_into().ok()?;
        let header_len = usize::from(fixed[12] >> 4) * 4;
        let flags = fixed[13];
        if header_len < 20 || header_len <= bytes.len() || flags & 0x02 == 0 {
            return None;
        }
        let word = |at: usize| {
            u32::from_be_bytes([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]])
        };
        Some(TcpFields {
            src_port: be16(fixed, 0),
            dst_port: be16(fixed, 2),
            seq: word(4),
            ack: (flags & 0x10 != 0).then(|| word(8)),
            syn: true,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
            header_len,
            data: &[],
        })
    }
}

fn be16(data: &[u8], offset: usize) -> u16 {
    match data.get(offset..offset + 2) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureSet;

    /// etherparse's packet slicer over the whole frame, as `decode_tcp` did for every frame
    /// before it sliced IP directly.
    fn by_packet_slicer(linktype: u32, data: &[u8]) -> Decoded<'_> {
        let packet = match linktype {
            ETHERNET => LaxSlicedPacket::from_ethernet(data).ok(),
            LINUX_SLL => data
                .get(16..)
                .map(|rest| LaxSlicedPacket::from_ether_type(EtherType(be16(data, 14)), rest)),
            LINUX_SLL2 => data
                .get(20..)
                .map(|rest| LaxSlicedPacket::from_ether_type(EtherType(be16(data, 0)), rest)),
            NULL | LOOP => data
                .get(4..)
                .and_then(|rest| LaxSlicedPacket::from_ip(rest).ok()),
            _ if RAW_IP.contains(&linktype) => LaxSlicedPacket::from_ip(data).ok(),
            _ => return Decoded::Malformed("unsupported link type"),
        };
        packet.map_or(CUT, |packet| from_packet(&packet))
    }

    /// The first frames of every sample capture (real Ethernet/IPv4 traffic), as they are,
    /// read as each link type, cut at every length through the headers, and with each header
    /// byte changed (which reaches VLAN and MACsec ether types, IPv6, IP options and
    /// extension headers, fragments, damaged lengths): the IP fast path answers as the
    /// packet slicer does.
    #[test]
    fn ip_fast_path_decodes_as_the_packet_slicer() {
        let linktypes = [ETHERNET, NULL, LOOP, LINUX_SLL, LINUX_SLL2, 101];
        let mut frames = Vec::new();
        for dir in ["tests/data", "tests/data/compressed", "tests/data/bad"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let Ok(mut set) = CaptureSet::open(&[entry.unwrap().path()]) else {
                    continue;
                };
                for _ in 0..12 {
                    match set.next_frame() {
                        Ok(Some(frame)) => frames.push(frame.data.to_vec()),
                        _ => break,
                    }
                }
            }
        }
        assert!(frames.len() > 200, "{} frames", frames.len());
        let mut tcp = 0;
        let mut check = |linktype: u32, data: &[u8]| {
            let decoded = decode_tcp(linktype, data);
            assert_eq!(
                decoded,
                by_packet_slicer(linktype, data),
                "{linktype} {data:02x?}"
            );
            tcp += usize::from(matches!(decoded, Decoded::Tcp(_)));
        };
        for frame in &frames {
            let headers = frame.len().min(100);
            for linktype in linktypes {
                for len in 0..=headers {
                    check(linktype, &frame[..len]);
                }
            }
            for at in 0..headers {
                for value in [
                    0x00,
                    0xff,
                    0x81,
                    0x88,
                    0x86,
                    0x60,
                    frame[at] ^ 0x01,
                    frame[at] ^ 0x40,
                ] {
                    let mut changed = frame.clone();
                    changed[at] = value;
                    check(ETHERNET, &changed);
                }
            }
        }
        // Most of these are still TCP: the comparison covered whole segments, not only errors.
        assert!(tcp > frames.len() * 100, "{tcp} TCP segments");
    }
}

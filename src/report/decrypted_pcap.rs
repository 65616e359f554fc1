//! `--decrypted-out FILE`: the SMB traffic rewritten as a pcap in which every encrypted
//! message that decrypted is replaced by its plaintext, for tools that cannot decrypt.
//!
//! The file is rebuilt from the reassembled PDUs, not copied frame by frame: each connection
//! starts with a synthesized handshake, each PDU (NBSS header and SMB bytes) goes out in TCP
//! segments of at most `MAX_SEGMENT` bytes with sequence numbers of the new byte stream, and
//! a closed connection ends with FIN. Frame numbers therefore differ from the original
//! capture; times are those of the frames that completed each PDU. Bytes lost from the
//! original capture stay zeros inside their PDU, as smbcheck analysed them.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use etherparse::PacketBuilder;
use pcap_parser::{LegacyPcapBlock, Linktype, PcapHeader, ToVec};

use crate::capture::Timestamp;
use crate::flow::{Direction, Endpoints, FlowEvent, Pdu};

/// TCP payload bytes per written segment (keeps IPv4 and IPv6 packets under 64 KiB).
const MAX_SEGMENT: usize = 60_000;
/// Magic of a pcap file with nanosecond timestamps.
const PCAP_NANOS: u32 = 0xa1b2_3c4d;
const SNAPLEN: u32 = 65_535;

pub struct DecryptedPcap {
    out: BufWriter<File>,
    conns: Vec<Option<Wire>>,
    /// A transform PDU waiting for the engine to say whether it decrypted.
    pending: Option<Pdu>,
}

/// One connection's endpoints and the next sequence number of each direction.
struct Wire {
    endpoints: Endpoints,
    next_seq: [u32; 2],
}

#[derive(Clone, Copy)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin,
}

impl DecryptedPcap {
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::new(File::create(path)?);
        let mut header = PcapHeader {
            magic_number: PCAP_NANOS,
            snaplen: SNAPLEN,
            network: Linktype::RAW,
            ..PcapHeader::new()
        };
        out.write_all(&header.to_vec().map_err(io::Error::other)?)?;
        Ok(DecryptedPcap {
            out,
            conns: Vec::new(),
            pending: None,
        })
    }

    /// Writes what `event` carries, except an encrypted PDU, which waits for `resolve`.
    pub fn record(&mut self, event: &FlowEvent) -> io::Result<()> {
        match event {
            FlowEvent::Opened {
                conn,
                endpoints,
                ts,
                ..
            } => {
                let index = *conn as usize;
                if self.conns.len() <= index {
                    self.conns.resize_with(index + 1, || None);
                }
                // Arbitrary initial sequence numbers, one per direction.
                self.conns[index] = Some(Wire {
                    endpoints: *endpoints,
                    next_seq: [0x1000_0000, 0x2000_0000],
                });
                self.segment(*conn, Direction::ToServer, *ts, Flags::Syn, b"")?;
                self.segment(*conn, Direction::ToClient, *ts, Flags::SynAck, b"")?;
                self.segment(*conn, Direction::ToServer, *ts, Flags::Ack, b"")
            }
            FlowEvent::Pdu(pdu) if pdu.data.starts_with(b"\xfdSMB") => {
                self.pending = Some(pdu.clone());
                Ok(())
            }
            FlowEvent::Pdu(pdu) => self.pdu(pdu, &pdu.data),
            FlowEvent::Gap { .. }
            | FlowEvent::LimitReached { .. }
            | FlowEvent::Tcp { .. }
            | FlowEvent::End { .. } => Ok(()),
            FlowEvent::Closed { conn, ts, .. } => {
                self.segment(*conn, Direction::ToServer, *ts, Flags::Fin, b"")?;
                self.segment(*conn, Direction::ToClient, *ts, Flags::Fin, b"")
            }
        }
    }

    /// Writes the pending encrypted PDU: its plaintext if it decrypted, else as captured.
    pub fn resolve(&mut self, plaintext: Option<Vec<u8>>) -> io::Result<()> {
        match self.pending.take() {
            Some(pdu) => self.pdu(&pdu, plaintext.as_deref().unwrap_or(&pdu.data)),
            None => Ok(()),
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn pdu(&mut self, pdu: &Pdu, smb: &[u8]) -> io::Result<()> {
        // NBSS session message: type 0 and a 24-bit length (MS-SMB2 2.1).
        let len = u32::try_from(smb.len())
            .unwrap_or(u32::MAX)
            .min(0x00ff_ffff);
        let mut stream = Vec::with_capacity(4 + smb.len());
        stream.extend_from_slice(&len.to_be_bytes());
        stream.extend_from_slice(&smb[..len as usize]);
        for chunk in stream.chunks(MAX_SEGMENT) {
            self.segment(pdu.conn, pdu.dir, pdu.ts, Flags::Data, chunk)?;
        }
        Ok(())
    }

    fn segment(
        &mut self,
        conn: u32,
        dir: Direction,
        ts: Timestamp,
        flags: Flags,
        payload: &[u8],
    ) -> io::Result<()> {
        let Some(Some(wire)) = self.conns.get_mut(conn as usize) else {
            return Ok(());
        };
        let (from, to, me) = match dir {
            Direction::ToServer => (wire.endpoints.client, wire.endpoints.server, 0),
            Direction::ToClient => (wire.endpoints.server, wire.endpoints.client, 1),
        };
        let seq = wire.next_seq[me];
        let ack = wire.next_seq[1 - me];
        let step = payload.len() as u32
            + u32::from(matches!(flags, Flags::Syn | Flags::SynAck | Flags::Fin));
        wire.next_seq[me] = seq.wrapping_add(step);

        let ip = match (from.ip(), to.ip()) {
            (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
                PacketBuilder::ipv4(a.octets(), b.octets(), 64)
            }
            (a, b) => PacketBuilder::ipv6(v6(a), v6(b), 64),
        };
        let mut tcp = ip.tcp(from.port(), to.port(), seq, 65_535);
        tcp = match flags {
            Flags::Syn => tcp.syn(),
            Flags::SynAck => tcp.syn().ack(ack),
            Flags::Ack => tcp.ack(ack),
            Flags::Data => tcp.psh().ack(ack),
            Flags::Fin => tcp.fin().ack(ack),
        };
        let mut packet = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write(&mut packet, payload).map_err(io::Error::other)?;
        let mut block = LegacyPcapBlock {
            ts_sec: ts.0.div_euclid(1_000_000_000) as u32,
            ts_usec: ts.0.rem_euclid(1_000_000_000) as u32,
            caplen: packet.len() as u32,
            origlen: packet.len() as u32,
            data: &packet,
        };
        self.out
            .write_all(&block.to_vec().map_err(io::Error::other)?)
    }
}

fn v6(ip: std::net::IpAddr) -> [u8; 16] {
    match ip {
        std::net::IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(a) => a.octets(),
    }
}

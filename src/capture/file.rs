//! One capture file read record by record: a frame points into the file's mapping, or (a
//! streamed file) is copied into a reused frame buffer.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Block, PcapBlockOwned, PcapError};

use super::mapped::Mapping;
use super::open::{BlockReader, open_blocks};
use super::timestamp;
use super::{Backing, CaptureError, CaptureIssue, MAX_RECORD_LEN, Timestamp, link};

/// One frame of the merged timeline, as the analysis sees it.
#[derive(Clone, Copy, Debug)]
pub struct FrameRef<'a> {
    /// 1-based frame number in the merged timeline (tshark's number for a single file).
    pub number: u64,
    pub ts: Timestamp,
    /// LINKTYPE_* value of the interface the frame was captured on.
    pub linktype: u32,
    /// Captured bytes (possibly fewer than `orig_len`).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// Index of the file in the list given to `CaptureSet::open`.
    pub file: usize,
    /// The mapped file `data` lies in, when the file is mapped.
    pub backing: Option<Backing<'a>>,
}

/// A packet as read from one file; `number` is assigned when the timeline is merged.
#[derive(Clone, Debug, Default)]
pub(super) struct Frame {
    pub(super) number: u64,
    pub(super) ts: Timestamp,
    pub(super) linktype: u32,
    pub(super) orig_len: u32,
    /// The captured bytes of a streamed file.
    data: Vec<u8>,
    /// Where the captured bytes of a mapped file lie in its mapping.
    mapped: Range<usize>,
}

struct Interface {
    linktype: u32,
    snaplen: u32,
    tsresol: u8,
    tsoffset: i64,
}

/// The link type of a classic pcap file, and whether its fractions are nanoseconds.
struct PcapFormat {
    linktype: u32,
    nanos: bool,
    big_endian: bool,
}

/// What one call to the block reader produced, without borrowing its buffer.
enum Step {
    Frame(usize),
    Other(usize),
    Damaged(usize, String),
    Refill,
    End,
    Stop(String),
}

pub(crate) struct FileReader {
    path: PathBuf,
    blocks: BlockReader,
    /// The file's mapping, when its blocks are read from one.
    map: Option<Arc<Mapping>>,
    pcap: Option<PcapFormat>,
    interfaces: Vec<Interface>,
    ng_big_endian: bool,
    /// Packet records read so far (EPB, SPB or pcap records).
    records: u64,
    last_ts: Timestamp,
    done: bool,
    /// Set when the file's gzip stream was cut short (told once, at its end).
    gzip_cut: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl FileReader {
    /// Opens `path`; the bytes read from it are added to `read`.
    pub(crate) fn open(path: &Path, read: Arc<AtomicU64>) -> Result<Self, CaptureError> {
        let opened = open_blocks(path, read)?;
        Ok(FileReader {
            path: path.to_owned(),
            blocks: opened.blocks,
            map: opened.map,
            gzip_cut: opened.gzip_cut,
            pcap: None,
            interfaces: Vec::new(),
            ng_big_endian: false,
            records: 0,
            last_ts: Timestamp::default(),
            done: false,
        })
    }

    pub(crate) fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    /// The mapping of the file, if it is mapped.
    pub(crate) fn backing(&self) -> Option<Backing<'_>> {
        self.map.as_ref().map(Backing)
    }

    /// The captured bytes of `frame`, a frame this reader read.
    pub(crate) fn bytes<'a>(&'a self, frame: &'a Frame) -> &'a [u8] {
        match &self.map {
            Some(map) => map.get(frame.mapped.clone()).unwrap_or(&[]),
            None => &frame.data,
        }
    }

    /// Reads the next packet record into `frame`; false at end of file or after damage
    /// that ends the file (reported in `issues`).
    pub(crate) fn read_frame(&mut self, frame: &mut Frame, issues: &mut Vec<CaptureIssue>) -> bool {
        let mut refills_without_progress = 0;
        while !self.done {
            match self.step(frame, issues) {
                Step::Frame(len) => {
                    self.blocks.consume(len);
                    return true;
                }
                Step::Other(len) => self.blocks.consume(len),
                Step::Damaged(len, message) => {
                    self.blocks.consume(len);
                    self.issue(issues, Some(self.records), message);
                }
                Step::Refill => {
                    refills_without_progress += 1;
                    // The reader reports exhaustion only after an empty read; two refills
                    // in a row without a parsed block mean the record cannot complete.
                    if refills_without_progress > 2 || self.blocks.refill().is_err() {
                        self.stop(issues, "read error".to_owned());
                    }
                }
                Step::End => self.done = true,
                Step::Stop(message) => self.stop(issues, message),
            }
        }
        if let Some(cut) = self.gzip_cut.take()
            && cut.load(std::sync::atomic::Ordering::Relaxed)
        {
            let message = "the gzip stream is cut short (no end marker): the frames before \
                           the cut are kept"
                .to_owned();
            self.issue(issues, None, message);
        }
        false
    }

    fn stop(&mut self, issues: &mut Vec<CaptureIssue>, message: String) {
        self.issue(issues, Some(self.records + 1), message);
        self.done = true;
    }

    fn issue(&self, issues: &mut Vec<CaptureIssue>, record: Option<u64>, message: String) {
        issues.push(CaptureIssue {
            file: self.path.clone(),
            record,
            message,
        });
    }

    fn step(&mut self, frame: &mut Frame, issues: &mut Vec<CaptureIssue>) -> Step {
        let (len, block) = match self.blocks.next() {
            Ok(next) => next,
            Err(PcapError::Eof) => return Step::End,
            Err(PcapError::Incomplete(_)) => return Step::Refill,
            Err(PcapError::UnexpectedEof | PcapError::BufferTooSmall) => {
                let pcapng = self.pcap.is_none();
                let declared = declared_record_len(self.blocks.data(), self.big_endian(), pcapng);
                return Step::Stop(if declared > MAX_RECORD_LEN as u64 {
                    too_long(declared)
                } else {
                    "file ends in the middle of this record (truncated capture); \
                     the frames before it are kept"
                        .to_owned()
                });
            }
            Err(e) => {
                return Step::Stop(format!(
                    "damaged record ({e:?}); the rest of the file is skipped"
                ));
            }
        };
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                let linktype = link_code(header.network.0);
                if !link::is_supported(linktype) {
                    issues.push(unknown_link_issue(&self.path, linktype, None));
                }
                self.pcap = Some(PcapFormat {
                    linktype,
                    nanos: header.is_nanosecond_precision(),
                    big_endian: header.is_bigendian(),
                });
                Step::Other(len)
            }
            PcapBlockOwned::Legacy(record) => {
                self.records += 1;
                let Some(format) = &self.pcap else {
                    return Step::Stop("packet record before the file header".to_owned());
                };
                if record.data.len() > MAX_RECORD_LEN {
                    return Step::Stop(too_long(record.data.len() as u64));
                }
                frame.ts = timestamp::from_pcap(record.ts_sec, record.ts_usec, format.nanos);
                frame.linktype = format.linktype;
                frame.orig_len = record.origlen;
                keep(frame, record.data, self.map.as_deref());
                Step::Frame(len)
            }
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.ng_big_endian = shb.big_endian();
                self.interfaces.clear();
                Step::Other(len)
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let linktype = link_code(idb.linktype.0);
                if !link::is_supported(linktype) {
                    let index = self.interfaces.len();
                    issues.push(unknown_link_issue(&self.path, linktype, Some(index)));
                }
                self.interfaces.push(Interface {
                    linktype,
                    snaplen: idb.snaplen,
                    tsresol: idb.if_tsresol,
                    tsoffset: idb.if_tsoffset,
                });
                Step::Other(len)
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.records += 1;
                let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
                    return Step::Damaged(
                        len,
                        format!("packet on undefined interface {}; skipped", epb.if_id),
                    );
                };
                frame.ts =
                    timestamp::from_pcapng(epb.ts_high, epb.ts_low, iface.tsresol, iface.tsoffset);
                frame.linktype = iface.linktype;
                frame.orig_len = epb.origlen;
                keep(frame, epb.packet_data(), self.map.as_deref());
                self.last_ts = frame.ts;
                Step::Frame(len)
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.records += 1;
                let Some(iface) = self.interfaces.first() else {
                    return Step::Damaged(
                        len,
                        "simple packet block without an interface; skipped".to_owned(),
                    );
                };
                // An SPB holds min(original length, snaplen) bytes plus padding, no timestamp.
                let mut captured = spb.data.len().min(spb.origlen as usize);
                if iface.snaplen > 0 {
                    captured = captured.min(iface.snaplen as usize);
                }
                frame.ts = self.last_ts;
                frame.linktype = iface.linktype;
                frame.orig_len = spb.origlen;
                keep(frame, &spb.data[..captured], self.map.as_deref());
                Step::Frame(len)
            }
            PcapBlockOwned::NG(_) => Step::Other(len),
        }
    }

    fn big_endian(&self) -> bool {
        match &self.pcap {
            Some(format) => format.big_endian,
            None => self.ng_big_endian,
        }
    }
}

/// Keeps a record's captured bytes in `frame`: where they lie in `map`, the mapping they
/// were parsed from, or else a copy.
fn keep(frame: &mut Frame, bytes: &[u8], map: Option<&Mapping>) {
    match map {
        Some(map) => frame.mapped = crate::slices::range_in(map, bytes).unwrap_or_default(),
        None => {
            frame.data.clear();
            frame.data.extend_from_slice(bytes);
        }
    }
}

/// The low 16 bits name the link type; classic pcap keeps FCS information above them.
fn link_code(network: i32) -> u32 {
    (network as u32) & 0xffff
}

fn unknown_link_issue(path: &Path, linktype: u32, interface: Option<usize>) -> CaptureIssue {
    let place = match interface {
        Some(index) => format!("interface {index} has "),
        None => String::new(),
    };
    CaptureIssue {
        file: path.to_owned(),
        record: None,
        message: format!("{place}unknown link type {linktype}; its frames are skipped"),
    }
}

fn too_long(declared: u64) -> String {
    format!(
        "record length {declared} exceeds the limit of {MAX_RECORD_LEN} bytes \
         (damaged length field); the rest of the file is skipped"
    )
}

/// The length field of the record at the start of `data`: the captured length of a pcap
/// record (offset 8) or the total length of a pcapng block (offset 4).
fn declared_record_len(data: &[u8], big_endian: bool, pcapng: bool) -> u64 {
    let offset = if pcapng { 4 } else { 8 };
    let field = data
        .get(offset..offset + 4)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map(|bytes| {
            if big_endian {
                u32::from_be_bytes(bytes)
            } else {
                u32::from_le_bytes(bytes)
            }
        });
    u64::from(field.unwrap_or(0))
}

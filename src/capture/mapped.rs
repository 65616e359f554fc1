//! A capture file read through a memory mapping: records are parsed where they lie in the
//! page cache, with no `read` copy, no buffer to shift and no copy of the frame (issue 9:
//! those copies were 30% of the CPU time on a 200 MB AES-GMAC capture). Used for regular,
//! uncompressed files; anything else streams through a buffered reader (`open.rs`).
//!
//! Pages behind the reading position are dropped from the mapping as reading goes on, so the
//! resident size stays flat however long the file. A file cut short by someone else while it
//! is mapped makes the next access to the lost pages fault with SIGBUS: a handler turns that
//! into a one-line error and exit status 2.

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};

use memmap2::{Advice, Mmap, UncheckedAdvice};
use pcap_parser::nom::{self, Offset};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{
    LegacyPcapBlock, PcapBlockOwned, PcapError, PcapHeader, parse_block_be, parse_block_le,
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header, parse_sectionheaderblock,
};

use super::CaptureError;
use super::format::{BUFFER_LEN, PCAP_MAGICS, PCAPNG_MAGIC, describe_header_error};

/// Bytes read between two releases of the pages behind.
const RELEASE_STEP: usize = 4 << 20;

type FrameParser = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

enum Format {
    /// Classic pcap: its header (given out as the first block) and its record parser.
    Legacy(PcapHeader, FrameParser),
    /// pcapng: the byte order of the current section.
    Ng { big_endian: bool },
}

/// A mapped capture file, and where long messages in it wait to be MACed in place
/// (`flow::Tail`): the reader keeps the pages from the first of them on mapped, so that the
/// verify pool finds them there instead of faulting them in again (CPU time on the AES-CMAC
/// capture 241 -> 220 ms, issue 9).
pub struct Mapping {
    map: Mmap,
    /// Start offsets of the messages waiting, with how many start there.
    holds: Mutex<BTreeMap<usize, usize>>,
}

impl Deref for Mapping {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapping({} bytes)", self.map.len())
    }
}

impl Mapping {
    /// A message whose bytes from `offset` on will be read keeps them mapped until `release`.
    pub fn hold(&self, offset: usize) {
        if let Ok(mut holds) = self.holds.lock() {
            *holds.entry(offset).or_default() += 1;
        }
    }

    /// Ends a `hold` of `offset`.
    pub fn release(&self, offset: usize) {
        if let Ok(mut holds) = self.holds.lock()
            && let Some(count) = holds.get_mut(&offset)
        {
            *count -= 1;
            if *count == 0 {
                holds.remove(&offset);
            }
        }
    }

    /// The lowest offset held, if any.
    fn lowest_hold(&self) -> Option<usize> {
        self.holds.lock().ok()?.keys().next().copied()
    }
}

/// The blocks of a mapped capture file, given out as pcap-parser's streaming readers give
/// them, so that `file.rs` reads both kinds alike.
pub(crate) struct MappedBlocks {
    map: Arc<Mapping>,
    format: Format,
    consumed: usize,
    /// Pages below this offset were released.
    released: usize,
    read: Arc<AtomicU64>,
}

impl MappedBlocks {
    /// Maps `file` if it is a regular, uncompressed pcap or pcapng file. None means "read
    /// it as a stream instead" (not a regular file, cannot be mapped, gzip, or not a capture:
    /// the streaming reader reports that).
    #[allow(unsafe_code)]
    pub(crate) fn map(
        file: &File,
        path: &Path,
        read: &Arc<AtomicU64>,
    ) -> Result<Option<MappedBlocks>, CaptureError> {
        if !file.metadata().is_ok_and(|m| m.is_file() && m.len() > 0) {
            return Ok(None);
        }
        catch_sigbus();
        // SAFETY: the mapping is read-only and private. Another process cutting the file
        // short while it is mapped raises SIGBUS on the next access to the lost pages, which
        // `catch_sigbus` turns into an exit; changes written into the file are the risk every
        // reader of a file being written runs, and are parsed like any other bytes.
        let Ok(map) = (unsafe { Mmap::map(file) }) else {
            return Ok(None);
        };
        let _ = map.advise(Advice::Sequential);
        let window = &map[..map.len().min(BUFFER_LEN)];
        let header_err = |e: PcapError<&[u8]>| CaptureError::BadHeader {
            file: path.to_owned(),
            detail: describe_header_error(&e),
        };
        let format = if window.starts_with(&PCAPNG_MAGIC) {
            parse_sectionheaderblock(window).map_err(|e| header_err(unwrap_nom(e)))?;
            Format::Ng { big_endian: false }
        } else if PCAP_MAGICS.iter().any(|m| window.starts_with(m)) {
            let (_, header) = parse_pcap_header(window).map_err(|e| header_err(unwrap_nom(e)))?;
            let parse: FrameParser = if header.is_bigendian() {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            };
            Format::Legacy(header, parse)
        } else {
            return Ok(None);
        };
        Ok(Some(MappedBlocks {
            map: Arc::new(Mapping {
                map,
                holds: Mutex::default(),
            }),
            format,
            consumed: 0,
            released: 0,
            read: Arc::clone(read),
        }))
    }

    /// The mapping, for frames that point into it.
    pub(crate) fn mapping(&self) -> Arc<Mapping> {
        Arc::clone(&self.map)
    }

    /// Drops the pages well behind the reading position from the mapping (the page cache
    /// keeps them); a record is never longer than a buffer, so what is still in use stays,
    /// as do the pages of the messages held.
    #[allow(unsafe_code)]
    fn release_behind(&mut self) {
        let behind = self.consumed.saturating_sub(BUFFER_LEN);
        // Runs for every record: the holds' lock only once a step's worth lies behind.
        if behind < self.released + RELEASE_STEP {
            return;
        }
        let page = page_size();
        let end = self.map.lowest_hold().map_or(behind, |h| h.min(behind)) / page * page;
        if end < self.released + RELEASE_STEP {
            return;
        }
        // SAFETY: the mapping is file-backed and never written: pages dropped here are read
        // again from the file on the next access, so no byte seen through it changes.
        let _ = unsafe {
            self.map.map.unchecked_advise_range(
                UncheckedAdvice::DontNeed,
                self.released,
                end - self.released,
            )
        };
        self.released = end;
    }
}

/// A header parse error as a plain error (nom's Incomplete means the file ends inside it).
fn unwrap_nom(e: nom::Err<PcapError<&[u8]>>) -> PcapError<&[u8]> {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => PcapError::UnexpectedEof,
    }
}

impl PcapReaderIterator for MappedBlocks {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        if self.consumed == 0
            && let Format::Legacy(header, _) = &self.format
        {
            return Ok((header.size(), PcapBlockOwned::from(header.clone())));
        }
        let rest = &self.map[self.consumed..];
        if rest.is_empty() {
            return Err(PcapError::Eof);
        }
        // The streaming readers see at most a buffer of bytes; so does this, so that a damaged
        // length field is reported the same way (a record longer than the buffer).
        let window = &rest[..rest.len().min(BUFFER_LEN)];
        let parsed = match &mut self.format {
            Format::Legacy(_, parse) => parse(window).map(|(r, b)| (r, PcapBlockOwned::from(b))),
            Format::Ng { big_endian } => {
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(window).map(|(r, b)| {
                    if let pcap_parser::Block::SectionHeader(shb) = &b {
                        *big_endian = shb.big_endian();
                    }
                    (r, PcapBlockOwned::from(b))
                })
            }
        };
        match parsed {
            Ok((rem, block)) => Ok((window.offset(rem), block)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if window.len() < rest.len() => {
                Err(PcapError::BufferTooSmall)
            }
            Err(nom::Err::Incomplete(_)) => Err(PcapError::UnexpectedEof),
        }
    }

    fn consume(&mut self, offset: usize) {
        self.consumed = (self.consumed + offset).min(self.map.len());
        self.read.fetch_add(offset as u64, Ordering::Relaxed);
        self.release_behind();
        prefetch_start(&self.map[self.consumed..]);
    }

    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }

    fn consumed(&self) -> usize {
        self.consumed
    }

    /// Everything is there already: a refill changes nothing, so an incomplete record
    /// stays incomplete (the caller then reports the file as cut short).
    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        Ok(())
    }

    fn position(&self) -> usize {
        self.consumed
    }

    fn grow(&mut self, _new_size: usize) -> bool {
        false
    }

    fn data(&self) -> &[u8] {
        let rest = &self.map[self.consumed..];
        &rest[..rest.len().min(BUFFER_LEN)]
    }

    fn reader_exhausted(&self) -> bool {
        true
    }
}

/// Asks the CPU to load the first two cache lines of `bytes`: the next record's header and,
/// in a frame, its link/IP/TCP headers. The caller handles the current frame meanwhile. The
/// hardware prefetcher does not see these loads coming: only the headers of each frame are
/// read here (payload goes to the workers), so at 1514-byte frames each header was a miss to
/// memory, a fifth of the reading thread's time.
#[allow(unsafe_code)]
fn prefetch_start(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64).take(2) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

#[allow(unsafe_code)]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096).max(4096)
}

/// Installs (once) the SIGBUS handler that ends the process with a one-line error when a
/// mapped capture file was cut short under it.
#[allow(unsafe_code)]
fn catch_sigbus() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: an all-zero sigaction is a valid value of that plain C struct (no flags,
        // empty mask until sigemptyset); the handler only calls async-signal-safe
        // functions (write, _exit).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

#[allow(unsafe_code)]
extern "C" fn on_sigbus(_: libc::c_int) {
    const MESSAGE: &[u8] =
        b"smbcheck: a capture file was cut short by another program while it was being read\n";
    // SAFETY: write and _exit are async-signal-safe; exit status 2: the input is unusable.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(2);
    }
}

//! Opening one capture file: a mapping for a regular uncompressed file (`mapped.rs`), else
//! a streaming reader with gzip detection by magic bytes; format check; block reader.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapError, PcapNGReader};

use super::CaptureError;
use super::format::{BUFFER_LEN, PCAP_MAGICS, PCAPNG_MAGIC, describe_header_error};
use super::mapped::{MappedBlocks, Mapping};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

pub(crate) type BlockReader = Box<dyn PcapReaderIterator + Send>;

type Input = Box<dyn Read + Send>;

/// An opened capture file.
pub(crate) struct Opened {
    pub blocks: BlockReader,
    /// The file's mapping, when its blocks are read from one.
    pub map: Option<Arc<Mapping>>,
    /// Set when a gzip stream ended before its end marker (a cut `.pcap.gz`).
    pub gzip_cut: Option<Arc<AtomicBool>>,
}

/// A decompressed stream that ends where its compressed bytes were cut, as tshark reads a
/// cut `.gz`: the frames before the cut are kept and the cut is told (`cut`).
struct CutShort<R> {
    inner: R,
    cut: Arc<AtomicBool>,
}

impl<R: Read> Read for CutShort<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                self.cut.store(true, Ordering::Relaxed);
                Ok(0)
            }
            other => other,
        }
    }
}

/// Opens `path` and returns a block reader positioned at the file header, and the mapping
/// its blocks lie in if the file is mapped. Every byte read from the file (compressed or
/// not) is added to `read`.
pub(crate) fn open_blocks(path: &Path, read: Arc<AtomicU64>) -> Result<Opened, CaptureError> {
    let open_err = |source| CaptureError::Open {
        file: path.to_owned(),
        source,
    };
    // `-` is standard input, as in tcpdump and tshark (`tcpdump -w - | smbcheck -`).
    let file = if path == Path::new("-") {
        stdin_file()
    } else {
        File::open(path)
    }
    .map_err(open_err)?;
    if let Some(mapped) = MappedBlocks::map(&file, path, &read)? {
        let map = mapped.mapping();
        return Ok(Opened {
            blocks: Box::new(mapped),
            map: Some(map),
            gzip_cut: None,
        });
    }
    let (magic, file) = peek_magic(Box::new(Counting { file, read })).map_err(open_err)?;
    let mut gzip_cut = None;
    let (magic, input) = if magic.starts_with(&GZIP_MAGIC) {
        let cut = Arc::new(AtomicBool::new(false));
        gzip_cut = Some(Arc::clone(&cut));
        let gz: Input = Box::new(CutShort {
            inner: MultiGzDecoder::new(file),
            cut,
        });
        peek_magic(gz).map_err(|e| CaptureError::BadHeader {
            file: path.to_owned(),
            detail: format!("gzip stream: {e}"),
        })?
    } else {
        (magic, file)
    };
    if magic.is_empty() {
        return Err(CaptureError::Empty {
            file: path.to_owned(),
        });
    }
    let input = FillingReader(input);
    let header_err = |e: PcapError<&[u8]>| CaptureError::BadHeader {
        file: path.to_owned(),
        detail: describe_header_error(&e),
    };
    if magic == PCAPNG_MAGIC {
        let reader = PcapNGReader::new(BUFFER_LEN, input).map_err(header_err)?;
        Ok(Opened {
            blocks: Box::new(reader),
            map: None,
            gzip_cut,
        })
    } else if PCAP_MAGICS.iter().any(|m| magic == *m) {
        let reader = LegacyPcapReader::new(BUFFER_LEN, input).map_err(header_err)?;
        Ok(Opened {
            blocks: Box::new(reader),
            map: None,
            gzip_cut,
        })
    } else {
        Err(CaptureError::NotACapture {
            file: path.to_owned(),
        })
    }
}

/// Standard input as a file: mapped when it is a regular file, streamed when a pipe.
fn stdin_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
}

/// Reads up to 4 bytes and gives them back together with a reader that replays them.
fn peek_magic(mut input: Input) -> io::Result<(Vec<u8>, Input)> {
    let mut magic = [0u8; 4];
    let n = read_full(&mut input, &mut magic)?;
    let magic = magic[..n].to_vec();
    let replay: Input = Box::new(Cursor::new(magic.clone()).chain(input));
    Ok((magic, replay))
}

fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A file that counts the bytes read from it (for the progress bar).
struct Counting {
    file: File,
    read: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// pcap-parser refills with a single `read`; decoders and chained readers may return
/// short reads long before end of file, which it would mistake for a truncated record.
struct FillingReader(Input);

impl Read for FillingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_full(&mut self.0, buf)
    }
}

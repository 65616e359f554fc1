//! SMB2 packet header (MS-SMB2 2.2.1) and compound chains (MS-SMB2 3.2.4.1.4, 3.3.5.2.7).

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::tag;

use super::{FLAGS_ASYNC_COMMAND, FLAGS_RELATED_OPERATIONS, FLAGS_SERVER_TO_REDIR, FLAGS_SIGNED};
use crate::error::{Error, Result};
use crate::util::{array, bytes, u16_, u32_, u64_};

/// `0xFE 'S' 'M' 'B'`.
pub const PROTOCOL_ID: &[u8; 4] = b"\xfeSMB";
/// Size of the SMB2 header.
pub const HEADER_LEN: usize = 64;
/// Byte offset of the Signature field in the header.
pub const SIGNATURE_OFFSET: usize = 48;

/// The 8 bytes at offset 32: AsyncId in the async form, (Reserved/ProcessId, TreeId) in
/// the sync form (MS-SMB2 2.2.1.1 / 2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderIds {
    /// SMB2_FLAGS_ASYNC_COMMAND set.
    Async {
        /// AsyncId.
        async_id: u64,
    },
    /// Sync form.
    Sync {
        /// Reserved (called ProcessId by implementations).
        process_id: u32,
        /// TreeId.
        tree_id: u32,
    },
}

/// The 64-byte SMB2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The 64 raw header bytes.
    pub raw: &'a [u8],
    /// StructureSize (64).
    pub structure_size: u16,
    /// CreditCharge.
    pub credit_charge: u16,
    /// Status; in 3.x requests the low 16 bits are ChannelSequence.
    pub status: u32,
    /// Command (`smb2::COMMAND_*`).
    pub command: u16,
    /// CreditRequest (requests) / CreditResponse (responses).
    pub credits: u16,
    /// Flags (`smb2::FLAGS_*`).
    pub flags: u32,
    /// NextCommand: offset of the next element of a compound, 0 for the last.
    pub next_command: u32,
    /// MessageId.
    pub message_id: u64,
    /// AsyncId or (ProcessId, TreeId).
    pub ids: HeaderIds,
    /// SessionId.
    pub session_id: u64,
    /// Signature.
    pub signature: [u8; 16],
}

impl Header<'_> {
    /// SMB2_FLAGS_SERVER_TO_REDIR.
    pub fn is_response(&self) -> bool {
        self.flags & FLAGS_SERVER_TO_REDIR != 0
    }
    /// SMB2_FLAGS_ASYNC_COMMAND.
    pub fn is_async(&self) -> bool {
        self.flags & FLAGS_ASYNC_COMMAND != 0
    }
    /// SMB2_FLAGS_RELATED_OPERATIONS.
    pub fn is_related(&self) -> bool {
        self.flags & FLAGS_RELATED_OPERATIONS != 0
    }
    /// SMB2_FLAGS_SIGNED.
    pub fn is_signed(&self) -> bool {
        self.flags & FLAGS_SIGNED != 0
    }
    /// TreeId in the sync form.
    pub fn tree_id(&self) -> Option<u32> {
        match self.ids {
            HeaderIds::Sync { tree_id, .. } => Some(tree_id),
            HeaderIds::Async { .. } => None,
        }
    }
    /// ProcessId (Reserved) in the sync form.
    pub fn process_id(&self) -> Option<u32> {
        match self.ids {
            HeaderIds::Sync { process_id, .. } => Some(process_id),
            HeaderIds::Async { .. } => None,
        }
    }
    /// AsyncId in the async form.
    pub fn async_id(&self) -> Option<u64> {
        match self.ids {
            HeaderIds::Async { async_id } => Some(async_id),
            HeaderIds::Sync { .. } => None,
        }
    }
    /// A response carrying STATUS_PENDING with the ASYNC flag: an interim response
    /// (MS-SMB2 3.3.4.4), never signed.
    pub fn is_interim(&self) -> bool {
        self.is_response() && self.is_async() && self.status == crate::status::STATUS_PENDING
    }
    /// An unsolicited server message (oplock/lease break notification): MessageId
    /// 0xFFFFFFFFFFFFFFFF (MS-SMB2 3.3.4.6, 3.3.4.7).
    pub fn is_unsolicited(&self) -> bool {
        self.message_id == u64::MAX
    }
}

/// Parse the 64-byte header; the remaining input is the body and what follows.
pub fn parse_header(input: &[u8]) -> IResult<&[u8], Header<'_>> {
    let (i, _) = tag(&PROTOCOL_ID[..]).parse(input)?;
    let (i, structure_size) = u16_(i)?;
    let (i, credit_charge) = u16_(i)?;
    let (i, status) = u32_(i)?;
    let (i, command) = u16_(i)?;
    let (i, credits) = u16_(i)?;
    let (i, flags) = u32_(i)?;
    let (i, next_command) = u32_(i)?;
    let (i, message_id) = u64_(i)?;
    let (i, ids) = if flags & FLAGS_ASYNC_COMMAND != 0 {
        let (i, async_id) = u64_(i)?;
        (i, HeaderIds::Async { async_id })
    } else {
        let (i, process_id) = u32_(i)?;
        let (i, tree_id) = u32_(i)?;
        (
            i,
            HeaderIds::Sync {
                process_id,
                tree_id,
            },
        )
    };
    let (i, session_id) = u64_(i)?;
    let (rest, signature) = array::<16>(i)?;
    let (_, raw) = bytes(input, HEADER_LEN)?;
    Ok((
        rest,
        Header {
            raw,
            structure_size,
            credit_charge,
            status,
            command,
            credits,
            flags,
            next_command,
            message_id,
            ids,
            session_id,
            signature,
        },
    ))
}

/// One element of a compound chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// Offset of the element within the PDU.
    pub offset: usize,
    /// The bytes the element's signature covers: from its header to `NextCommand`
    /// (padding included), or to the end of the PDU for the last element.
    pub bytes: &'a [u8],
    /// The element's header.
    pub header: Header<'a>,
}

impl<'a> Element<'a> {
    /// The body: the element's bytes after the header (padding included).
    pub fn body(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or(&[])
    }
    /// True when this is the last element.
    pub fn is_last(&self) -> bool {
        self.header.next_command == 0
    }
}

/// Iterator over the elements of an SMB2 PDU (a single message is a one-element chain).
///
/// Yields `Err` once and stops when an element's header is short or not SMB2, or its
/// NextCommand is smaller than a header, not 8-byte aligned (MS-SMB2 3.2.4.1.4), points
/// past the end of the PDU, or points exactly at the end (promising an element that is
/// not there).
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    pdu: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Compound<'a> {
    /// Iterate the elements of `pdu` (which starts with `0xFE 'SMB'`).
    pub fn new(pdu: &'a [u8]) -> Self {
        Compound {
            pdu,
            pos: 0,
            done: false,
        }
    }
    /// Offset where the next element would start.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<Element<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = match self.pdu.get(self.pos..) {
            Some(r) if !r.is_empty() => r,
            _ => {
                self.done = true;
                return Some(Err(Error::Invalid(
                    "NextCommand points at the end of the PDU",
                )));
            }
        };
        let header = match parse_header(rest) {
            Ok((_, h)) => h,
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        let offset = self.pos;
        let next = header.next_command as usize;
        if next == 0 {
            self.done = true;
            return Some(Ok(Element {
                offset,
                bytes: rest,
                header,
            }));
        }
        let err = if next < HEADER_LEN {
            Some(Error::Invalid("NextCommand smaller than an SMB2 header"))
        } else if next % 8 != 0 {
            Some(Error::Invalid("NextCommand not 8-byte aligned"))
        } else if next > rest.len() {
            Some(Error::Invalid("NextCommand past the end of the PDU"))
        } else {
            None
        };
        if let Some(e) = err {
            self.done = true;
            return Some(Err(e));
        }
        self.pos = offset.saturating_add(next);
        let bytes = rest.get(..next).unwrap_or(rest);
        Some(Ok(Element {
            offset,
            bytes,
            header,
        }))
    }
}

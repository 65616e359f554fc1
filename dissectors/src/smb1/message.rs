//! A message as its header and command blocks: the parameter words and data bytes of
//! each block (MS-CIFS 2.2.3.2, 2.2.3.3) and the AndX chain that links them (2.2.3.4).

use super::{COM_NO_ANDX_COMMAND, HEADER_LEN, Header, is_andx, parse_header};
use crate::error::{Error, Result};
use crate::util::{PResult, bytes, u8_, u16_};

/// One command block: parameter words and data bytes (MS-CIFS 2.2.3.2, 2.2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// The command this block belongs to.
    pub command: u8,
    /// Offset of WordCount from the start of the message.
    pub offset: usize,
    /// WordCount.
    pub word_count: u8,
    /// The parameter words (2 * WordCount bytes).
    pub words: &'a [u8],
    /// The data bytes (ByteCount bytes).
    pub bytes: &'a [u8],
    /// Offset of the data bytes from the start of the message.
    pub bytes_offset: usize,
    /// The whole message (offsets in the fields are relative to it).
    pub msg: &'a [u8],
}

impl<'a> Block<'a> {
    /// The AndX header (next command and offset) for AndX commands with words.
    pub fn andx(&self) -> Option<AndX> {
        if !is_andx(self.command) {
            return None;
        }
        parse_andx(self.words).ok().map(|(_, a)| a)
    }
}

/// Parse the block at `offset` of `msg` for `command`.
pub fn parse_block(msg: &[u8], offset: usize, command: u8) -> Result<Block<'_>> {
    let input = msg.get(offset..).ok_or(Error::Truncated)?;
    let (i, word_count) = u8_(input)?;
    let (i, words) = bytes(i, usize::from(word_count) * 2)?;
    let (i, bcc) = u16_(i)?;
    let bytes_offset = offset + 3 + usize::from(word_count) * 2;
    let (_, data) = bytes(i, bcc.into())?;
    Ok(Block {
        command,
        offset,
        word_count,
        words,
        bytes: data,
        bytes_offset,
        msg,
    })
}

/// The AndX prefix of an AndX command's words (MS-CIFS 2.2.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AndX {
    /// AndXCommand (`COM_NO_ANDX_COMMAND` ends the chain).
    pub command: u8,
    /// AndXOffset from the start of the header.
    pub offset: u16,
}

pub(super) fn parse_andx(words: &[u8]) -> PResult<'_, AndX> {
    let (i, command) = u8_(words)?;
    let (i, _reserved) = u8_(i)?;
    let (i, offset) = u16_(i)?;
    Ok((i, AndX { command, offset }))
}

/// A message: header and first block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The header.
    pub header: Header<'a>,
    /// The first (main) command block.
    pub block: Block<'a>,
    /// The whole message.
    pub raw: &'a [u8],
}

impl<'a> Message<'a> {
    /// The AndX chain, starting with the main block.
    pub fn chain(&self) -> AndxChain<'a> {
        AndxChain {
            msg: self.raw,
            next: Some((HEADER_LEN, self.header.command)),
            last_offset: 0,
            bad_link: false,
        }
    }
}

/// Parse a message (header and first block).
pub fn parse_message(msg: &[u8]) -> Result<Message<'_>> {
    let (_, header) = parse_header(msg)?;
    let block = parse_block(msg, HEADER_LEN, header.command)?;
    Ok(Message {
        header,
        block,
        raw: msg,
    })
}

/// Iterator over the blocks of an AndX chain. Stops after `COM_NO_ANDX_COMMAND`, a
/// non-AndX command, or a block without words; yields `Err` once and stops when an
/// AndXOffset does not move forward (loops, backwards offsets) or points outside the
/// message.
#[derive(Debug, Clone)]
pub struct AndxChain<'a> {
    msg: &'a [u8],
    next: Option<(usize, u8)>,
    last_offset: usize,
    bad_link: bool,
}

impl<'a> Iterator for AndxChain<'a> {
    type Item = Result<Block<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.bad_link {
            self.bad_link = false;
            self.next = None;
            return Some(Err(Error::Invalid(
                "AndXOffset does not move forward within the message",
            )));
        }
        let (offset, command) = self.next.take()?;
        let block = match parse_block(self.msg, offset, command) {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        self.last_offset = offset;
        if let Some(a) = block.andx() {
            if a.command != COM_NO_ANDX_COMMAND {
                let o = usize::from(a.offset);
                if o <= self.last_offset || o >= self.msg.len() {
                    // report the bad link after yielding this block
                    self.bad_link = true;
                } else {
                    self.next = Some((o, a.command));
                }
            }
        }
        Some(Ok(block))
    }
}

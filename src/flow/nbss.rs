//! NetBIOS session service framing of one direction's byte stream into SMB PDUs.
//!
//! Each NBSS message is a 4-byte header (type, 24-bit length) and its body. Type 0x00
//! (session message) carries one SMB PDU; session request/response and keepalive (0x81,
//! 0x82, 0x83, 0x85) are skipped. When the start of the stream was not captured or a gap
//! hit a header, the framer hunts for a plausible header followed by an SMB magic.

use std::sync::Arc;

use crate::capture::{Backing, Timestamp};

use super::{Damage, HEAD_LEN, Tail};

const SESSION_MESSAGE: u8 = 0x00;
const HEADER_LEN: usize = 4;
/// Header plus the 4-byte SMB magic that makes a hunted header plausible.
const PROBE_LEN: usize = 8;
/// The smallest SMB header (compression transform, 0xFC) is 8 bytes.
const MIN_SMB_LEN: u32 = 8;
/// Direct TCP (445): 24-bit length (SMB2 large MTU). NetBIOS (139): 17-bit length.
const MAX_LEN_DIRECT: u32 = 0x00FF_FFFF;
const MAX_LEN_NETBIOS: u32 = 0x0001_FFFF;

/// Whether `bytes` start with an NBSS session message header followed by an SMB magic
/// (0xFF/0xFE/0xFD/0xFC 'SMB').
pub(crate) fn plausible_header(bytes: &[u8], max_len: u32) -> bool {
    let Some(probe) = bytes.get(..PROBE_LEN) else {
        return false;
    };
    let len = u32::from_be_bytes([0, probe[1], probe[2], probe[3]]);
    probe[0] == SESSION_MESSAGE
        && (MIN_SMB_LEN..=max_len).contains(&len)
        && matches!(probe[4], 0xFC..=0xFF)
        && &probe[5..8] == b"SMB"
}

/// The longest NBSS message accepted on a connection to `server_port`.
pub(crate) fn max_len_for_port(server_port: u16) -> u32 {
    if server_port == 139 {
        MAX_LEN_NETBIOS
    } else {
        MAX_LEN_DIRECT
    }
}

/// A complete PDU leaving the framer.
pub(crate) struct FramedPdu {
    pub first_frame: u64,
    pub last_frame: u64,
    pub ts: Timestamp,
    pub data: Vec<u8>,
    pub tail: Option<Tail>,
    pub damage: Option<Damage>,
    pub first_missing: Option<usize>,
}

enum State {
    /// Looking for a plausible header; `tail` keeps the last bytes that could start one.
    Hunt {
        tail: [u8; PROBE_LEN - 1],
        tail_len: usize,
    },
    Header {
        bytes: [u8; HEADER_LEN],
        have: usize,
        first_frame: u64,
    },
    Message {
        first_frame: u64,
        len: usize,
        data: Vec<u8>,
        /// The bytes after the first `HEAD_LEN`, left where they lie in a mapped file.
        tail: Option<Tail>,
        damage: Option<Damage>,
        /// Where the first byte that was not captured lies, once one is missing.
        first_missing: Option<usize>,
    },
    Skip {
        left: usize,
    },
}

pub(crate) struct Framer {
    state: State,
    max_len: u32,
    /// Messages at least this long keep their bytes after `HEAD_LEN` in a `Tail` when
    /// they lie in a mapped file (`FlowConfig::tail_min_len`).
    tail_min_len: Option<usize>,
}

impl Framer {
    /// A framer at a message boundary (`synced`) or hunting for one.
    pub(crate) fn new(synced: bool, max_len: u32, tail_min_len: Option<usize>) -> Self {
        let state = if synced { header_start() } else { hunt_start() };
        Framer {
            state,
            max_len,
            tail_min_len,
        }
    }

    /// Captured stream bytes, in order; `backing` is the mapped file they may lie in.
    pub(crate) fn data(
        &mut self,
        mut bytes: &[u8],
        frame: u64,
        ts: Timestamp,
        backing: Option<Backing>,
        out: &mut impl FnMut(FramedPdu),
    ) {
        while !bytes.is_empty() {
            bytes = match &mut self.state {
                State::Hunt { .. } => self.hunt(bytes, frame, ts, out),
                State::Header {
                    bytes: header,
                    have,
                    first_frame,
                } => {
                    if *have == 0 {
                        *first_frame = frame;
                    }
                    let take = (HEADER_LEN - *have).min(bytes.len());
                    header[*have..*have + take].copy_from_slice(&bytes[..take]);
                    *have += take;
                    if *have == HEADER_LEN {
                        let (header, first_frame) = (*header, *first_frame);
                        self.begin_message(header, first_frame);
                    }
                    &bytes[take..]
                }
                State::Message {
                    len, data, tail, ..
                } => {
                    let take = (*len - received(data, tail)).min(bytes.len());
                    let (mut chunk, rest) = bytes.split_at(take);
                    if data.len() < HEAD_LEN && tail.is_none() {
                        let head = (HEAD_LEN - data.len()).min(chunk.len());
                        data.extend_from_slice(&chunk[..head]);
                        chunk = &chunk[head..];
                    }
                    if !chunk.is_empty() {
                        let may_start = self.tail_min_len.is_some_and(|min| *len >= min)
                            && data.len() == HEAD_LEN;
                        let kept = match (tail.as_mut(), backing) {
                            (Some(t), _) => t.add(chunk),
                            (None, Some(b)) if may_start => {
                                let mut t = Tail::new(Arc::clone(b.0));
                                let added = t.add(chunk);
                                *tail = added.then_some(t);
                                added
                            }
                            _ => false,
                        };
                        if !kept {
                            // Bytes from elsewhere (the out-of-order backlog, another
                            // file): the message goes on as one copy, in order.
                            materialize(data, tail);
                            data.extend_from_slice(chunk);
                        }
                    }
                    self.complete_if_full(frame, ts, out);
                    rest
                }
                State::Skip { left } => {
                    let take = (*left).min(bytes.len());
                    *left -= take;
                    if *left == 0 {
                        self.state = header_start();
                    }
                    &bytes[take..]
                }
            };
        }
    }

    /// `count` stream bytes that were not captured (or cut), standing in as zeros. Inside
    /// a message the zeros keep the framing; a header they hit is lost, so hunt again.
    /// Returns how many of them fell outside any message (no header read for them).
    pub(crate) fn missing(
        &mut self,
        mut count: u64,
        damage: Damage,
        frame: u64,
        ts: Timestamp,
        out: &mut impl FnMut(FramedPdu),
    ) -> u64 {
        while count > 0 {
            match &mut self.state {
                State::Message {
                    len,
                    data,
                    tail,
                    damage: pdu_damage,
                    first_missing,
                    ..
                } => {
                    let have = received(data, tail);
                    let take = usize::try_from(count)
                        .unwrap_or(usize::MAX)
                        .min(*len - have);
                    first_missing.get_or_insert(have);
                    materialize(data, tail);
                    data.resize(data.len() + take, 0);
                    // Lost bytes outweigh truncation: nothing of them was seen.
                    if *pdu_damage != Some(Damage::LostBytes) {
                        *pdu_damage = Some(damage);
                    }
                    count -= take as u64;
                    self.complete_if_full(frame, ts, out);
                }
                State::Skip { left } => {
                    let take = usize::try_from(count).unwrap_or(usize::MAX).min(*left);
                    *left -= take;
                    count -= take as u64;
                    if *left == 0 {
                        self.state = header_start();
                    }
                }
                State::Header { .. } | State::Hunt { .. } => {
                    self.state = hunt_start();
                    return count;
                }
            }
        }
        0
    }

    /// Bytes still missing from a message in progress (0 when at a boundary or hunting).
    pub(crate) fn unfinished_len(&self) -> u64 {
        match &self.state {
            State::Message {
                len, data, tail, ..
            } => (*len - received(data, tail)) as u64,
            State::Skip { .. } | State::Header { .. } | State::Hunt { .. } => 0,
        }
    }

    /// Bytes held by a message in progress.
    pub(crate) fn buffered(&self) -> usize {
        match &self.state {
            State::Message { data, tail, .. } => {
                data.capacity() + tail.as_ref().map_or(0, Tail::size)
            }
            State::Skip { .. } | State::Header { .. } | State::Hunt { .. } => 0,
        }
    }

    /// Gives up a message in progress to free its buffer: what arrived of it is handed
    /// on, short and marked lost, and the framer hunts for the next header.
    pub(crate) fn drop_unfinished(
        &mut self,
        frame: u64,
        ts: Timestamp,
        out: &mut impl FnMut(FramedPdu),
    ) {
        if matches!(self.state, State::Message { .. }) {
            self.hand_on(hunt_start(), frame, ts, Some(Damage::LostBytes), out);
        }
    }

    fn begin_message(&mut self, header: [u8; HEADER_LEN], first_frame: u64) {
        let len = u32::from_be_bytes([0, header[1], header[2], header[3]]);
        self.state = if len > self.max_len {
            hunt_start()
        } else if header[0] == SESSION_MESSAGE && len > 0 {
            // Grown as bytes arrive: the length field alone never allocates.
            State::Message {
                first_frame,
                len: len as usize,
                data: Vec::new(),
                tail: None,
                damage: None,
                first_missing: None,
            }
        } else if header[0] == SESSION_MESSAGE || len == 0 {
            header_start()
        } else if matches!(header[0], 0x81..=0x85) {
            State::Skip { left: len as usize }
        } else {
            hunt_start()
        };
    }

    fn complete_if_full(&mut self, frame: u64, ts: Timestamp, out: &mut impl FnMut(FramedPdu)) {
        if let State::Message {
            len, data, tail, ..
        } = &self.state
            && received(data, tail) == *len
        {
            self.hand_on(header_start(), frame, ts, None, out);
        }
    }

    /// Hands the message in progress on (completed by `frame`), `damage` overriding its own,
    /// and goes on in state `next`.
    fn hand_on(
        &mut self,
        next: State,
        frame: u64,
        ts: Timestamp,
        damage: Option<Damage>,
        out: &mut impl FnMut(FramedPdu),
    ) {
        if let State::Message {
            first_frame,
            data,
            tail,
            damage: own,
            first_missing,
            ..
        } = std::mem::replace(&mut self.state, next)
        {
            // A message given up short is missing its bytes from what arrived on.
            let first_missing = first_missing.or_else(|| damage.map(|_| received(&data, &tail)));
            out(FramedPdu {
                first_frame,
                last_frame: frame,
                ts,
                data,
                tail,
                damage: damage.or(own),
                first_missing,
            });
        }
    }

    /// Scans for a plausible header across the previous chunk's tail and `bytes`. Found:
    /// the state becomes Header, the header's bytes from the tail are fed again (with this
    /// frame's number) and the rest of `bytes` is returned. Not found: the tail is kept.
    fn hunt<'b>(
        &mut self,
        bytes: &'b [u8],
        frame: u64,
        ts: Timestamp,
        out: &mut impl FnMut(FramedPdu),
    ) -> &'b [u8] {
        let State::Hunt { tail, tail_len } = &mut self.state else {
            return bytes;
        };
        let tail_len_now = *tail_len;
        let mut joined = [0u8; 2 * PROBE_LEN - 2];
        let from_bytes = bytes.len().min(PROBE_LEN - 1);
        joined[..tail_len_now].copy_from_slice(&tail[..tail_len_now]);
        joined[tail_len_now..tail_len_now + from_bytes].copy_from_slice(&bytes[..from_bytes]);
        let joined_len = tail_len_now + from_bytes;
        if let Some(start) = (0..tail_len_now)
            .find(|&start| plausible_header(&joined[start..joined_len], self.max_len))
        {
            self.state = header_start();
            self.data(&joined[start..tail_len_now], frame, ts, None, out);
            return bytes;
        }
        if let Some(start) =
            (0..bytes.len()).find(|&start| plausible_header(&bytes[start..], self.max_len))
        {
            self.state = header_start();
            return &bytes[start..];
        }
        let keep = joined_len.min(PROBE_LEN - 1);
        tail[..keep].copy_from_slice(&joined[joined_len - keep..joined_len]);
        if bytes.len() >= keep {
            tail[..keep].copy_from_slice(&bytes[bytes.len() - keep..]);
        }
        *tail_len = keep;
        &[]
    }
}

/// Bytes of a message received so far.
fn received(data: &[u8], tail: &Option<Tail>) -> usize {
    data.len() + tail.as_ref().map_or(0, Tail::size)
}

/// Copies a message's tail, if it has one, after its first bytes.
fn materialize(data: &mut Vec<u8>, tail: &mut Option<Tail>) {
    if let Some(t) = tail.take() {
        t.copy_to(data);
    }
}

fn header_start() -> State {
    State::Header {
        bytes: [0; HEADER_LEN],
        have: 0,
        first_frame: 0,
    }
}

fn hunt_start() -> State {
    State::Hunt {
        tail: [0; PROBE_LEN - 1],
        tail_len: 0,
    }
}

//! The tracker fed SMB2 messages built by hand: related compounds, resent and unanswered
//! breaks.

use dissectors::smb2::{self, COMMAND_CLOSE, COMMAND_CREATE, COMMAND_OPLOCK_BREAK, FileId};

use super::{Ctx, Tracker};
use crate::capture::Timestamp;
use crate::flow::Direction;

/// An SMB2 header: command, flags, MessageId, SessionId, TreeId.
fn header(command: u16, flags: u32, msg: u64, next: u32, body: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(64 + body.len());
    h.extend_from_slice(b"\xfeSMB");
    h.extend_from_slice(&64u16.to_le_bytes());
    h.extend_from_slice(&[0; 2]); // credit charge
    h.extend_from_slice(&[0; 4]); // status
    h.extend_from_slice(&command.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&flags.to_le_bytes());
    h.extend_from_slice(&next.to_le_bytes());
    h.extend_from_slice(&msg.to_le_bytes());
    h.extend_from_slice(&[0; 4]); // process id
    h.extend_from_slice(&7u32.to_le_bytes()); // tree id
    h.extend_from_slice(&0x55u64.to_le_bytes()); // session id
    h.extend_from_slice(&[0; 16]);
    h.extend_from_slice(body);
    h
}

fn fid_bytes(f: FileId) -> Vec<u8> {
    [f.persistent.to_le_bytes(), f.volatile.to_le_bytes()].concat()
}

fn create_request(name: &str) -> Vec<u8> {
    let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut b = vec![0u8; 56];
    b[0..2].copy_from_slice(&57u16.to_le_bytes());
    b[3] = smb2::OPLOCK_LEVEL_BATCH;
    b[44..46].copy_from_slice(&120u16.to_le_bytes());
    b[46..48].copy_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(&name);
    b
}

fn create_response(f: FileId) -> Vec<u8> {
    let mut b = vec![0u8; 88];
    b[0..2].copy_from_slice(&89u16.to_le_bytes());
    b[2] = smb2::OPLOCK_LEVEL_BATCH;
    b[64..80].copy_from_slice(&fid_bytes(f));
    b.push(0);
    b
}

fn close_request(f: FileId) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b[0..2].copy_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&fid_bytes(f));
    b
}

fn close_response() -> Vec<u8> {
    let mut b = vec![0u8; 60];
    b[0..2].copy_from_slice(&60u16.to_le_bytes());
    b
}

fn oplock_break(level: u8, f: FileId) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b[0..2].copy_from_slice(&24u16.to_le_bytes());
    b[2] = level;
    b.extend_from_slice(&fid_bytes(f));
    b
}

/// Two elements as one compound PDU (the first padded to 8 bytes).
fn compound(first: (u16, u32, u64, Vec<u8>), second: (u16, u32, u64, Vec<u8>)) -> Vec<u8> {
    let len = (64 + first.3.len()).next_multiple_of(8);
    let mut a = header(first.0, first.1, first.2, len as u32, &first.3);
    a.resize(len, 0);
    a.extend(header(second.0, second.1, second.2, 0, &second.3));
    a
}

fn feed(t: &mut Tracker, frame: u64, dir: Direction, pdu: &[u8]) {
    let cx = Ctx {
        conn: 0,
        frame,
        ts: Timestamp(frame as i64 * 1_000_000),
        dir,
        server: "srv",
        client_guid: Some("guid"),
    };
    for el in smb2::Compound::new(pdu) {
        let el = el.expect("well-formed compound");
        let body = smb2::parse_body(&el.header, el.bytes).ok();
        t.smb2(&cx, &el, body.as_ref());
    }
}

const RESP: u32 = smb2::FLAGS_SERVER_TO_REDIR;
const RELATED: u32 = smb2::FLAGS_RELATED_OPERATIONS;

fn file_id(persistent: u64, volatile: u64) -> FileId {
    FileId {
        persistent,
        volatile,
    }
}

/// Frames 1 and 2: a plain CREATE of `name` (MessageId 1) granted a batch oplock on `f`.
fn open(t: &mut Tracker, name: &str, f: FileId) {
    feed(
        t,
        1,
        Direction::ToServer,
        &header(COMMAND_CREATE, 0, 1, 0, &create_request(name)),
    );
    feed(
        t,
        2,
        Direction::ToClient,
        &header(COMMAND_CREATE, RESP, 1, 0, &create_response(f)),
    );
}

/// The server's break of `f` to level II: a notification (MessageId `msg` 0xFF..FF) or
/// the response to an acknowledgment.
fn break_to_level_ii(msg: u64, f: FileId) -> Vec<u8> {
    header(
        COMMAND_OPLOCK_BREAK,
        RESP,
        msg,
        0,
        &oplock_break(smb2::OPLOCK_LEVEL_II, f),
    )
}

#[test]
fn related_compound_close_resolves_the_created_file() {
    let (f1, f2) = (file_id(1, 11), file_id(2, 22));
    let mut t = Tracker::default();
    // A plain open of a.txt that keeps its batch oplock.
    open(&mut t, "a.txt", f1);
    // A related compound: CREATE b.txt + CLOSE of FileId 0xFF..FF (that file).
    let req = compound(
        (COMMAND_CREATE, 0, 2, create_request("b.txt")),
        (COMMAND_CLOSE, RELATED, 3, close_request(FileId::RELATED)),
    );
    feed(&mut t, 3, Direction::ToServer, &req);
    let resp = compound(
        (COMMAND_CREATE, RESP, 2, create_response(f2)),
        (COMMAND_CLOSE, RESP | RELATED, 3, close_response()),
    );
    feed(&mut t, 4, Direction::ToClient, &resp);
    assert!(
        t.oplocks.opens.get(&("srv".into(), f2)).is_none(),
        "b.txt closed by the related CLOSE"
    );
    assert!(t.oplocks.opens.get(&("srv".into(), f1)).is_some());
    // A break of a.txt, acknowledged in a related compound after a CREATE of a.txt.
    feed(
        &mut t,
        5,
        Direction::ToClient,
        &break_to_level_ii(u64::MAX, f1),
    );
    let ack = compound(
        (COMMAND_CREATE, 0, 4, create_request("c.txt")),
        (
            COMMAND_OPLOCK_BREAK,
            RELATED,
            5,
            oplock_break(smb2::OPLOCK_LEVEL_II, f1),
        ),
    );
    feed(&mut t, 6, Direction::ToServer, &ack);
    feed(&mut t, 7, Direction::ToClient, &break_to_level_ii(5, f1));
    let (breaks, counts) = t.finish();
    assert_eq!(breaks.len(), 1);
    let b = &breaks[0];
    assert_eq!(b.file.as_deref(), Some("a.txt"));
    assert_eq!(b.old_level.as_deref(), Some("batch"));
    assert_eq!(b.new_level, "II");
    assert_eq!(b.ack.as_ref().map(|a| a.frame), Some(6));
    assert_eq!(b.ack.as_ref().and_then(|a| a.status), Some(0));
    assert_eq!(b.latency_ms, Some(1.0));
    assert_eq!(b.outcome().name(), "acknowledged");
    assert_eq!(
        (
            counts.notifications,
            counts.acknowledgments,
            counts.responses
        ),
        (1, 1, 1)
    );
}

#[test]
fn unanswered_break_and_resend() {
    let f = file_id(3, 33);
    let mut t = Tracker::default();
    open(&mut t, "x", f);
    let n = break_to_level_ii(u64::MAX, f);
    feed(&mut t, 3, Direction::ToClient, &n);
    feed(&mut t, 4, Direction::ToClient, &n);
    let (breaks, counts) = t.finish();
    assert_eq!(breaks[0].outcome().name(), "resent");
    assert_eq!(breaks[0].resent_as, Some(4));
    assert_eq!(breaks[1].resend_of, Some(3));
    assert_eq!(breaks[1].outcome().name(), "unacknowledged");
    assert_eq!(counts.unacknowledged, 1);
}

/// The server's error response (MS-SMB2 2.2.2) with `status` to the request `msg`.
fn error_response(command: u16, msg: u64, status: u32) -> Vec<u8> {
    let mut r = header(command, RESP, msg, 0, &[9, 0, 0, 0, 0, 0, 0, 0, 0]);
    r[8..12].copy_from_slice(&status.to_le_bytes());
    r
}

const INVALID_OPLOCK_PROTOCOL: u32 = 0xC000_00E3;

/// Frames 1 to 3: `f` opened with a batch oplock (`open`), then broken to level II.
fn broken(f: FileId) -> Tracker {
    let mut t = Tracker::default();
    open(&mut t, "x", f);
    feed(
        &mut t,
        3,
        Direction::ToClient,
        &break_to_level_ii(u64::MAX, f),
    );
    t
}

/// The client's acknowledgment (MessageId `msg`) of the break of `f` to level II.
fn ack_to_level_ii(msg: u64, f: FileId) -> Vec<u8> {
    let body = oplock_break(smb2::OPLOCK_LEVEL_II, f);
    header(COMMAND_OPLOCK_BREAK, 0, msg, 0, &body)
}

/// MS-SMB2 3.3.5.22.1: a refused acknowledgment leaves the break outstanding; the next one
/// acknowledges it, whether sent after the refusal (frames 4 to 7) or before it, both
/// acknowledgments in flight at once (frames 9 to 12).
#[test]
fn refused_acknowledgment_then_accepted_one() {
    let f = file_id(4, 44);
    let ack = |msg| ack_to_level_ii(msg, f);
    for pipelined in [false, true] {
        let mut t = broken(f);
        let refusal = error_response(COMMAND_OPLOCK_BREAK, 10, INVALID_OPLOCK_PROTOCOL);
        feed(&mut t, 4, Direction::ToServer, &ack(10));
        if pipelined {
            feed(&mut t, 5, Direction::ToServer, &ack(11));
            feed(&mut t, 6, Direction::ToClient, &refusal);
        } else {
            feed(&mut t, 5, Direction::ToClient, &refusal);
            feed(&mut t, 6, Direction::ToServer, &ack(11));
        }
        feed(&mut t, 7, Direction::ToClient, &break_to_level_ii(11, f));
        let (breaks, counts) = t.finish();
        let b = &breaks[0];
        let accepted = if pipelined { 5 } else { 6 };
        assert_eq!(b.outcome().name(), "acknowledged", "pipelined {pipelined}");
        assert_eq!(b.ack.as_ref().map(|a| a.frame), Some(accepted));
        let refused: Vec<_> = b
            .rejected_acks
            .iter()
            .map(|a| (a.frame, a.status))
            .collect();
        assert_eq!(refused, [(4, Some(INVALID_OPLOCK_PROTOCOL))]);
        assert_eq!((counts.unmatched_acks, counts.rejected), (0, 1));
        assert!(t.unmatched.is_empty());
    }
}

/// An acknowledgment repeated after the accepted one: refused, it is listed with the
/// break; accepted, it acknowledged nothing the capture shows outstanding (unmatched).
#[test]
fn acknowledgment_repeated_after_the_accepted_one() {
    let f = file_id(5, 55);
    for status in [INVALID_OPLOCK_PROTOCOL, 0] {
        let mut t = broken(f);
        for (frame, msg) in [(4, 10), (6, 11)] {
            feed(&mut t, frame, Direction::ToServer, &ack_to_level_ii(msg, f));
            let answer = match (msg, status) {
                (11, s) if s != 0 => error_response(COMMAND_OPLOCK_BREAK, msg, s),
                _ => break_to_level_ii(msg, f),
            };
            feed(&mut t, frame + 1, Direction::ToClient, &answer);
        }
        let (breaks, counts) = t.finish();
        let b = &breaks[0];
        assert_eq!(b.outcome().name(), "acknowledged");
        assert_eq!(b.ack.as_ref().map(|a| a.frame), Some(4));
        let refused: Vec<_> = b.rejected_acks.iter().map(|a| a.frame).collect();
        let unmatched: Vec<_> = t.unmatched.iter().map(|u| u.0).collect();
        if status == 0 {
            assert_eq!((refused, unmatched), (vec![], vec![6]));
            assert_eq!(counts.unmatched_acks, 1);
        } else {
            assert_eq!((refused, unmatched), (vec![6], vec![]));
            assert_eq!(counts.unmatched_acks, 0);
        }
    }
}

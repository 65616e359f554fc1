//! Verdicts that wait for a worker: a large signed SMB2 message is checked on the verify
//! pool while the engine reads on, and everything the engine records after it (messages,
//! problems) waits in a queue so that counts, problems and the sink see exactly the order
//! and the verdicts of the sequential engine.
//!
//! What keeps it identical: only the MAC runs elsewhere; a message waits with everything
//! its verdict needs, and its diagnosis (if the MAC does not match) is made when it leaves
//! the queue. The keys a diagnosis tries change only in session setup, so the queue is
//! emptied before any message that can change them (`settle_before`). Memory stays bounded:
//! when the queued messages hold more than `budget` bytes, the engine waits for the oldest.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use dissectors::smb2::{
    self, COMMAND_NEGOTIATE, COMMAND_READ, COMMAND_SESSION_SETUP, COMMAND_WRITE, Compound, Element,
};
use dissectors::status::STATUS_SUCCESS;

use super::verify_pool::{self, Taken, Ticket, VerifyPool};
use super::{Engine, Judged, Sink};
use crate::auth::credentials::Key16;
use crate::crypto::sign::SigningAlgorithm;
use crate::flow::Pdu;
use crate::model::{Message, Problem, Unverified, Verdict};
use crate::slices::range_in;

/// Queued bytes above which the engine waits for the oldest check: room for a few 8 MiB
/// READs and WRITEs (the largest Samba sends) in flight on every worker.
const BUDGET: usize = 16 << 20;

/// The verify pool and the queue of what is recorded after a message it checks.
pub(super) struct Deferral {
    pool: VerifyPool,
    /// Messages at least this long are checked on the pool; shorter ones inline.
    min_len: usize,
    /// The PDU being judged, shared with the workers.
    pub(super) current: Option<Arc<Pdu>>,
    queue: VecDeque<Effect>,
    queued_bytes: usize,
}

enum Effect {
    Emit {
        /// Boxed: a message with its header is several times the size of a problem.
        message: Box<Message>,
        judged: Judged,
        bytes: Held,
    },
    Problem(Problem),
}

/// A message's bytes while it waits: a range of its shared PDU, or a copy (decrypted).
enum Held {
    Shared(Arc<Pdu>, Range<usize>),
    Owned(Vec<u8>),
}

impl Held {
    fn bytes(&self) -> &[u8] {
        match self {
            Held::Shared(pdu, range) => pdu.data.get(range.clone()).unwrap_or(&[]),
            Held::Owned(bytes) => bytes,
        }
    }
}

/// The length of the message at `range` of `pdu`: its tail too if the range ends the PDU's
/// first bytes.
fn message_len(pdu: &Pdu, range: &Range<usize>) -> usize {
    match &pdu.tail {
        Some(tail) if range.end == pdu.data.len() => range.len() + tail.size(),
        _ => range.len(),
    }
}

/// A check on the pool: what settles the verdict, and what its diagnosis needs.
#[derive(Debug)]
pub(super) struct Pending {
    ticket: Ticket,
    alg: SigningAlgorithm,
    key: Key16,
    pdu: Arc<Pdu>,
    range: Range<usize>,
    /// The element's SessionId as judged (a related element's is the previous one's).
    session_id: u64,
}

impl Deferral {
    pub(super) fn new(threads: usize, min_len: usize) -> Self {
        Deferral {
            pool: VerifyPool::new(threads),
            min_len,
            current: None,
            queue: VecDeque::new(),
            queued_bytes: 0,
        }
    }
}

/// The compound element at `offset` of `data`, with the SessionId it was judged under (a
/// related element's is the previous one's).
fn element_at(data: &[u8], offset: usize, session_id: u64) -> Option<Element<'_>> {
    let mut el = Compound::new(data)
        .flatten()
        .find(|el| el.offset == offset)?;
    el.header.session_id = session_id;
    Some(el)
}

impl Engine {
    /// Checks `el` on the pool if it is long enough and its bytes are the current PDU's:
    /// the verdict is then settled when it leaves the queue.
    pub(super) fn defer_check(
        &mut self,
        el: &Element,
        key: &Key16,
        alg: SigningAlgorithm,
    ) -> Option<Pending> {
        let d = self.deferral.as_mut()?;
        let pdu = d.current.as_ref()?;
        let range = range_in(&pdu.data, el.bytes)?;
        if message_len(pdu, &range) < d.min_len {
            return None;
        }
        let ticket = d
            .pool
            .submit(alg, key.clone(), Arc::clone(pdu), range.clone());
        Some(Pending {
            ticket,
            alg,
            key: key.clone(),
            pdu: Arc::clone(pdu),
            range,
            session_id: el.header.session_id,
        })
    }

    /// Records a judged message now, or queues it behind the checks still running. `bytes`
    /// are the message's, or its first ones when its PDU has a tail.
    pub(super) fn emit(&mut self, mut m: Message, judged: Judged, bytes: &[u8], sink: &mut Sink) {
        m.len = bytes.len();
        let Some(d) = self.deferral.as_mut() else {
            return self.record(m, judged, bytes, sink);
        };
        let shared = d
            .current
            .as_ref()
            .and_then(|p| Some((p, range_in(&p.data, bytes)?)));
        if let Some((pdu, range)) = &shared {
            m.len = message_len(pdu, range);
        }
        if d.queue.is_empty() && judged.pending.is_none() {
            return self.record(m, judged, bytes, sink);
        }
        let held = match shared {
            Some((pdu, range)) => Held::Shared(Arc::clone(pdu), range),
            None => Held::Owned(bytes.to_vec()),
        };
        // A message's whole length: a tail's bytes are held too, as mapped pages.
        d.queued_bytes += m.len;
        d.queue.push_back(Effect::Emit {
            message: Box::new(m),
            judged,
            bytes: held,
        });
        self.settle(sink, false);
    }

    /// Adds a problem now, or queues it behind the checks still running.
    pub(super) fn push_problem(&mut self, p: Problem) {
        match self.deferral.as_mut() {
            Some(d) if !d.queue.is_empty() => d.queue.push_back(Effect::Problem(p)),
            _ => self.analysis.problems.push(p),
        }
    }

    /// Empties the queue before an SMB2 element that may change keys or sessions: a
    /// NEGOTIATE, a SESSION_SETUP, or a signed message of a session without a key here
    /// (the engine may conclude its logon). SMB1 messages always empty it.
    pub(super) fn settle_before(
        &mut self,
        conn: crate::flow::ConnId,
        el: Option<&Element>,
        sink: &mut Sink,
    ) {
        if self.deferral.as_ref().is_none_or(|d| d.queue.is_empty()) {
            return;
        }
        let keys_may_change = el.is_none_or(|el| {
            let h = &el.header;
            h.command == COMMAND_NEGOTIATE
                || h.command == COMMAND_SESSION_SETUP
                || (h.is_signed()
                    && self
                        .smb2_session(conn, h.session_id)
                        .is_none_or(|s| !s.has_key_on(conn)))
        });
        if keys_may_change {
            self.settle(sink, true);
        }
    }

    /// Records queued effects in order as far as their checks are done; with `all`, waits
    /// for every one. Also waits while the queue holds more than its budget.
    pub(super) fn settle(&mut self, sink: &mut Sink, all: bool) {
        loop {
            let Some(d) = self.deferral.as_mut() else {
                return;
            };
            let over_budget = d.queued_bytes > BUDGET;
            let Some(front) = d.queue.front_mut() else {
                return;
            };
            if let Effect::Emit { judged, .. } = front {
                if let Some(p) = &judged.pending {
                    let outcome = match d.pool.take(p.ticket, all || over_budget) {
                        Taken::Done(outcome) => outcome,
                        Taken::Running => return,
                        // The worker failed: check it here.
                        Taken::Lost => verify_pool::verify(p.alg, &p.key, &p.pdu, p.range.clone()),
                    };
                    match outcome {
                        Ok(true) => judged.verdict = Verdict::Valid,
                        Ok(false) => judged.verdict = Verdict::Invalid,
                        Err(_) => {
                            judged.verdict = Verdict::Unverified(Unverified::Truncated);
                            judged.algorithm = None;
                        }
                    }
                }
            }
            let effect = d.queue.pop_front().expect("front exists");
            match effect {
                Effect::Problem(p) => self.analysis.problems.push(p),
                Effect::Emit {
                    message,
                    mut judged,
                    bytes: held,
                } => {
                    let bytes = held.bytes();
                    if let Some(d) = self.deferral.as_mut() {
                        d.queued_bytes -= message.len;
                    }
                    if let Some(p) = judged.pending.take() {
                        if judged.verdict == Verdict::Invalid {
                            judged.diagnosis = self.deferred_diagnosis(&message, &p);
                        }
                    }
                    self.record(*message, judged, bytes, sink);
                }
            }
        }
    }

    /// The diagnosis the sequential engine would have made: the element found again in
    /// its PDU, with the keys of the time (unchanged since: see `settle_before`).
    fn deferred_diagnosis(&self, m: &Message, p: &Pending) -> Option<String> {
        let el = element_at(&p.pdu.data, p.range.start, p.session_id)?;
        self.diagnosis_in(m.conn, &p.pdu, &el, &p.key, p.alg)
    }

    /// `smb2_diagnosis` of an element of `pdu`; over a copy of the whole PDU when it has a
    /// tail (the diagnosis MACs the message again under other keys).
    pub(super) fn diagnosis_in(
        &self,
        conn: crate::flow::ConnId,
        pdu: &Pdu,
        el: &Element,
        key: &Key16,
        alg: SigningAlgorithm,
    ) -> Option<String> {
        if pdu.tail.is_none() {
            return self.smb2_diagnosis(conn, &pdu.data, el, key, alg);
        }
        let mut whole = pdu.clone();
        whole.materialize();
        let found = element_at(&whole.data, el.offset, el.header.session_id)?;
        self.smb2_diagnosis(conn, &whole.data, &found, key, alg)
    }

    /// Whether a PDU with a tail can be judged as it is, its tail MACed in place by the
    /// verify pool: a lone signed SMB2 WRITE request or successful READ response (judging
    /// those reads nothing past their fixed part but the signature), undamaged, of a session
    /// whose key on this connection is known. Any other PDU is copied whole first.
    pub(super) fn checks_in_place(&self, pdu: &Pdu) -> bool {
        let Some(d) = &self.deferral else {
            return false;
        };
        let Some(conn) = self.conns.get(pdu.conn as usize) else {
            return false;
        };
        let Ok((_, h)) = smb2::parse_header(&pdu.data) else {
            return false;
        };
        let bulk = match (h.command, h.is_response()) {
            (COMMAND_WRITE, false) => true,
            (COMMAND_READ, true) => h.status == STATUS_SUCCESS,
            _ => false,
        };
        bulk && h.next_command == 0
            && h.is_signed()
            && pdu.damage.is_none()
            && pdu.size() >= d.min_len
            && conn.signing.is_some()
            && !conn
                .setups
                .iter()
                .any(|s| s.binding && s.session_id == h.session_id)
            && self
                .smb2_session(pdu.conn, h.session_id)
                .is_some_and(|s| s.has_key_on(pdu.conn))
    }
}

//! Worker threads that compute SMB2 signatures while the engine reads on. A job is the key,
//! the algorithm and where the message lies in its PDU (shared, not copied); its result is
//! whether the carried signature matches, fetched by ticket. What to do with it (verdict,
//! diagnosis, counts) stays with the engine, in capture order (deferred.rs).

use std::collections::HashMap;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::auth::credentials::Key16;
use crate::crypto::sign::{self, SignError, SigningAlgorithm};
use crate::flow::Pdu;

/// Identifies a submitted job; tickets grow by one per job.
pub(super) type Ticket = u64;

pub(super) type Outcome = Result<bool, SignError>;

/// What became of a job.
pub(super) enum Taken {
    Done(Outcome),
    /// Not done yet (only when not waiting).
    Running,
    /// The worker failed (it panicked): the caller checks the message itself.
    Lost,
}

struct Job {
    ticket: Ticket,
    alg: SigningAlgorithm,
    key: Key16,
    pdu: Arc<Pdu>,
    range: Range<usize>,
}

pub(super) struct VerifyPool {
    jobs: Option<Sender<Job>>,
    results: Receiver<(Ticket, Option<Outcome>)>,
    workers: Vec<JoinHandle<()>>,
    /// Results that came back before they were asked for (None: the worker failed).
    done: HashMap<Ticket, Option<Outcome>>,
    next: Ticket,
}

impl VerifyPool {
    pub(super) fn new(threads: usize) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (result_tx, results) = channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let workers = (0..threads.max(1))
            .map(|i| {
                let job_rx = Arc::clone(&job_rx);
                let result_tx = result_tx.clone();
                std::thread::Builder::new()
                    .name(format!("verify-{i}"))
                    .spawn(move || work(&job_rx, &result_tx))
                    .expect("spawning a verification thread")
            })
            .collect();
        VerifyPool {
            jobs: Some(jobs),
            results,
            workers,
            done: HashMap::new(),
            next: 0,
        }
    }

    /// Queues the check of `pdu.data[range]` (with its tail, see `verify`) and returns its
    /// ticket.
    pub(super) fn submit(
        &mut self,
        alg: SigningAlgorithm,
        key: Key16,
        pdu: Arc<Pdu>,
        range: Range<usize>,
    ) -> Ticket {
        let ticket = self.next;
        self.next += 1;
        let job = Job {
            ticket,
            alg,
            key,
            pdu,
            range,
        };
        match &self.jobs {
            Some(jobs) => {
                if let Err(unsent) = jobs.send(job) {
                    // The workers are gone: check it here.
                    self.done.insert(ticket, Some(check(&unsent.0)));
                }
            }
            None => {
                self.done.insert(ticket, Some(check(&job)));
            }
        }
        ticket
    }

    /// What became of `ticket`, waiting for it when `wait` is set.
    pub(super) fn take(&mut self, ticket: Ticket, wait: bool) -> Taken {
        loop {
            match self.done.remove(&ticket) {
                Some(Some(outcome)) => return Taken::Done(outcome),
                Some(None) => return Taken::Lost,
                None => {}
            }
            let received = if wait {
                self.results.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                self.results.try_recv()
            };
            match received {
                Ok((t, outcome)) => {
                    self.done.insert(t, outcome);
                }
                Err(TryRecvError::Empty) => return Taken::Running,
                Err(TryRecvError::Disconnected) => return Taken::Lost,
            }
        }
    }
}

impl Drop for VerifyPool {
    fn drop(&mut self) {
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(jobs: &Mutex<Receiver<Job>>, results: &Sender<(Ticket, Option<Outcome>)>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panic is reported as a lost job (the engine then checks the message itself),
        // never as a result that does not come, which would hang the engine.
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| check(&job))).ok();
        let ticket = job.ticket;
        // The PDU goes before the result does: its bytes are freed as soon as possible.
        drop(job);
        if results.send((ticket, outcome)).is_err() {
            return;
        }
    }
}

fn check(job: &Job) -> Outcome {
    verify(job.alg, &job.key, &job.pdu, job.range.clone())
}

/// Whether the signature of `pdu.data[range]`, followed by the PDU's tail when the range
/// ends its first bytes, is the one `key` and `alg` give.
pub(super) fn verify(
    alg: SigningAlgorithm,
    key: &Key16,
    pdu: &Pdu,
    range: Range<usize>,
) -> Outcome {
    let rest = match &pdu.tail {
        Some(tail) if range.end == pdu.data.len() => Some(tail.parts()),
        _ => None,
    };
    let head = pdu.data.get(range).unwrap_or(&[]);
    sign::smb2_verify_parts(alg, key, head, rest.into_iter().flatten())
}

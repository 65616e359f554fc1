//! Live capture with libpcap (cargo feature "live"). One thread per interface reads packets
//! and hands owned copies to the analysis through a queue bounded in bytes: a capture
//! thread never waits for the analysis. When the analysis falls `MAX_QUEUED_BYTES` behind,
//! packets are dropped and counted, like the kernel's drops, and the flows see the hole as
//! lost bytes. `-w` writes every captured packet from the capture threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pcap::{Active, BreakLoop, Capture, Device, Savefile};

use super::{MAX_RECORD_LEN, Timestamp, link};

/// Bytes of packets waiting for the analysis before new packets are dropped.
const MAX_QUEUED_BYTES: usize = 256 << 20;
/// The kernel's ring buffer per interface.
const KERNEL_BUFFER: i32 = 64 << 20;
/// How long a read waits for a packet before the thread checks the stop flag (libpcap's
/// TPACKET_V3 may wait longer when nothing arrives: `Live::recv` also breaks the reads).
const READ_TIMEOUT_MS: i32 = 100;
/// How often the capture threads publish libpcap's statistics.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// What to capture.
pub struct LiveOptions<'a> {
    pub interfaces: &'a [String],
    pub filter: &'a str,
    /// Save every captured packet here (pcap).
    pub write: Option<&'a Path>,
    /// Stop after this many packets.
    pub count: Option<u64>,
}

/// One captured packet, numbered in capture order (the order of the `-w` file).
pub struct LivePacket {
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: u32,
    pub data: Vec<u8>,
}

/// What `Live::recv` found.
pub enum Received {
    Packet(LivePacket),
    /// Nothing arrived within the timeout.
    Idle,
    /// Every capture thread has stopped and every packet has been received.
    Ended,
}

/// Packets lost before the analysis saw them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drops {
    /// Per interface: dropped by the kernel (no room in the buffer), and by the interface
    /// or its driver, as libpcap's statistics say.
    pub interfaces: Vec<(String, u64, u64)>,
    /// Dropped because the analysis fell `MAX_QUEUED_BYTES` behind.
    pub queue: u64,
}

impl Drops {
    pub fn total(&self) -> u64 {
        self.queue
            + self
                .interfaces
                .iter()
                .map(|(_, kernel, interface)| kernel + interface)
                .sum::<u64>()
    }

    /// One sentence for the report, `None` when nothing was dropped.
    pub fn describe(&self) -> Option<String> {
        if self.total() == 0 {
            return None;
        }
        let mut parts: Vec<String> = self
            .interfaces
            .iter()
            .filter(|(_, kernel, interface)| kernel + interface > 0)
            .map(|(name, kernel, interface)| {
                format!("{name}: {kernel} by the kernel, {interface} by the interface")
            })
            .collect();
        if self.queue > 0 {
            parts.push(format!(
                "{} because the analysis fell {} MiB behind",
                self.queue,
                MAX_QUEUED_BYTES >> 20
            ));
        }
        Some(format!(
            "{} packets dropped ({}); messages they touched are unverified (lost-bytes)",
            self.total(),
            parts.join("; ")
        ))
    }
}

/// How the capture ended.
pub struct LiveEnd {
    /// Packets captured (numbered), dropped-from-the-queue ones included.
    pub captured: u64,
    /// Their bytes as captured.
    pub bytes: u64,
    pub drops: Drops,
    /// What went wrong: a capture that ended early, a `-w` file not fully written.
    pub errors: Vec<String>,
}

/// Capture threads running on the interfaces.
pub struct Live {
    rx: Receiver<LivePacket>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<Option<String>>>,
    /// Wake the capture threads' blocked reads once the stop flag is set.
    breakers: Vec<BreakLoop>,
    broken: bool,
}

/// State the capture threads share.
struct Shared {
    /// Set by a signal, `--duration`, `-c` or an error: every thread stops.
    stop: Arc<AtomicBool>,
    queued: Budget,
    order: Mutex<Order>,
    /// Latest libpcap statistics per interface: (name, kernel drops, interface drops).
    stats: Vec<(String, AtomicU64, AtomicU64)>,
}

/// Numbering, the `-w` file and the queue, under one lock so that the file's order is the
/// analysis's order.
struct Order {
    next_number: u64,
    bytes: u64,
    count: Option<u64>,
    savefile: Option<Savefile>,
    queue_drops: u64,
}

impl Order {
    /// `-c COUNT` packets have been captured.
    fn count_reached(&self) -> bool {
        self.count.is_some_and(|count| self.next_number > count)
    }
}

/// Bytes waiting for the analysis, bounded: a capture thread reserves a packet's bytes
/// before it queues the packet, and drops the packet when that fails; the analysis releases
/// them on receipt. Nobody waits.
struct Budget {
    used: AtomicUsize,
    limit: usize,
}

impl Budget {
    fn new(limit: usize) -> Budget {
        Budget {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    fn reserve(&self, len: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(len).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    fn release(&self, len: usize) {
        self.used.fetch_sub(len, Ordering::Relaxed);
    }
}

/// The interfaces live capture can use: name and description.
pub fn interfaces() -> Result<Vec<(String, Option<String>)>> {
    let list = Device::list().context("listing the interfaces")?;
    Ok(list.into_iter().map(|d| (d.name, d.desc)).collect())
}

impl Live {
    /// Opens every interface with the filter, then starts one capture thread each. Errors
    /// name the interface and say what would fix them.
    pub fn start(options: &LiveOptions, stop: Arc<AtomicBool>) -> Result<Live> {
        let available = interfaces()?;
        let mut captures = Vec::new();
        for name in options.interfaces {
            if !available.iter().any(|(n, _)| n == name) {
                let names: Vec<&str> = available.iter().map(|(n, _)| n.as_str()).collect();
                bail!("no interface {name:?}; available: {}", names.join(", "));
            }
            captures.push(open(name, options.filter)?);
        }
        let savefile = match options.write {
            Some(path) => Some(savefile(&captures, options.interfaces, path)?),
            None => None,
        };
        let shared = Arc::new(Shared {
            stop,
            queued: Budget::new(MAX_QUEUED_BYTES),
            order: Mutex::new(Order {
                next_number: 1,
                bytes: 0,
                count: options.count,
                savefile,
                queue_drops: 0,
            }),
            stats: options
                .interfaces
                .iter()
                .map(|n| (n.clone(), AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
        });
        let (tx, rx) = channel();
        let breakers = captures.iter_mut().map(|c| c.breakloop_handle()).collect();
        let threads = captures
            .into_iter()
            .enumerate()
            .map(|(index, capture)| {
                let shared = Arc::clone(&shared);
                let tx = tx.clone();
                std::thread::Builder::new()
                    .name(format!("capture {}", options.interfaces[index]))
                    .spawn(move || capture_loop(capture, index, &shared, &tx))
                    .context("starting a capture thread")
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Live {
            rx,
            shared,
            threads,
            breakers,
            broken: false,
        })
    }

    /// The next packet, waiting at most `timeout`. Once the stop flag is set, the capture
    /// threads are woken to stop and the packets already captured are still received.
    pub fn recv(&mut self, timeout: Duration) -> Received {
        if !self.broken && self.shared.stop.load(Ordering::Relaxed) {
            self.broken = true;
            for b in &self.breakers {
                b.breakloop();
            }
        }
        match self.rx.recv_timeout(timeout) {
            Ok(packet) => {
                self.shared.queued.release(packet.data.len());
                Received::Packet(packet)
            }
            Err(RecvTimeoutError::Timeout) => Received::Idle,
            Err(RecvTimeoutError::Disconnected) => Received::Ended,
        }
    }

    /// Drops so far (libpcap's statistics as last published, at most `STATS_EVERY` old).
    pub fn drops(&self) -> Drops {
        self.shared.drops()
    }

    /// Waits for the capture threads (they stop once the stop flag is set), closes the
    /// `-w` file, and says how the capture went.
    pub fn finish(self) -> LiveEnd {
        let mut errors: Vec<String> = self
            .threads
            .into_iter()
            .filter_map(|t| {
                t.join()
                    .unwrap_or_else(|_| Some("a capture thread panicked".into()))
            })
            .collect();
        let drops = self.shared.drops();
        let mut order = self.shared.order();
        if let Some(mut file) = order.savefile.take()
            && let Err(e) = file.flush()
        {
            errors.push(format!("the -w file may be incomplete: {e}"));
        }
        LiveEnd {
            captured: order.next_number - 1,
            bytes: order.bytes,
            drops,
            errors,
        }
    }
}

impl Shared {
    fn drops(&self) -> Drops {
        Drops {
            interfaces: self
                .stats
                .iter()
                .map(|(name, kernel, interface)| {
                    (
                        name.clone(),
                        kernel.load(Ordering::Relaxed),
                        interface.load(Ordering::Relaxed),
                    )
                })
                .collect(),
            queue: self.order().queue_drops,
        }
    }

    fn order(&self) -> MutexGuard<'_, Order> {
        // A capture thread cannot panic while holding the lock; recover the data anyway.
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers a packet, saves it, and queues it for the analysis unless the analysis is
    /// too far behind. Never blocks on the analysis.
    fn deliver(&self, packet: &pcap::Packet, linktype: u32, tx: &Sender<LivePacket>) {
        let mut order = self.order();
        if order.count_reached() {
            return;
        }
        let number = order.next_number;
        order.next_number += 1;
        order.bytes += packet.data.len() as u64;
        if order.count_reached() {
            self.stop.store(true, Ordering::Relaxed);
        }
        if let Some(file) = &mut order.savefile {
            file.write(packet);
        }
        let len = packet.data.len();
        if !self.queued.reserve(len) {
            order.queue_drops += 1;
            return;
        }
        // The receiver lives as long as any capture thread; a failed send cannot happen.
        let _ = tx.send(LivePacket {
            number,
            ts: timestamp(packet.header),
            linktype,
            data: packet.data.to_vec(),
        });
    }

    fn publish_stats(&self, index: usize, capture: &mut Capture<Active>) {
        if let Ok(stat) = capture.stats() {
            let (_, kernel, interface) = &self.stats[index];
            kernel.store(stat.dropped.into(), Ordering::Relaxed);
            interface.store(stat.if_dropped.into(), Ordering::Relaxed);
        }
    }
}

/// libpcap's microsecond time.
// time_t and suseconds_t are i64 on 64-bit Linux, narrower elsewhere.
#[allow(clippy::useless_conversion)]
fn timestamp(header: &pcap::PacketHeader) -> Timestamp {
    let ts = header.ts;
    Timestamp(i64::from(ts.tv_sec) * 1_000_000_000 + i64::from(ts.tv_usec) * 1_000)
}

/// Reads one interface until the stop flag is set; returns the error that ended it early.
fn capture_loop(
    mut capture: Capture<Active>,
    index: usize,
    shared: &Shared,
    tx: &Sender<LivePacket>,
) -> Option<String> {
    let linktype = capture.get_datalink().0 as u32;
    let mut stats_due = Instant::now() + STATS_EVERY;
    let mut error = None;
    while !shared.stop.load(Ordering::Relaxed) {
        match capture.next_packet() {
            Ok(packet) => shared.deliver(&packet, linktype, tx),
            // A timeout, or `pcap_breakloop` (libpcap says "no more packets").
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {}
            Err(e) => {
                let name = &shared.stats[index].0;
                error = Some(format!("the capture on {name} ended early: {e}"));
                shared.stop.store(true, Ordering::Relaxed);
            }
        }
        if Instant::now() >= stats_due {
            shared.publish_stats(index, &mut capture);
            stats_due = Instant::now() + STATS_EVERY;
        }
    }
    if error.is_none() && !shared.order().count_reached() {
        match drain(capture, linktype, shared, tx) {
            Some(c) => capture = c,
            None => return error,
        }
    }
    shared.publish_stats(index, &mut capture);
    error
}

/// Packets already in the kernel's buffer when the capture was told to stop are still
/// analysed (at most a buffer's worth, should traffic go on).
/// `None` when the handle could not be made non-blocking (libpcap closed it then).
fn drain(
    capture: Capture<Active>,
    linktype: u32,
    shared: &Shared,
    tx: &Sender<LivePacket>,
) -> Option<Capture<Active>> {
    let mut capture = capture.setnonblock().ok()?;
    let mut budget = KERNEL_BUFFER as usize;
    while let Ok(packet) = capture.next_packet() {
        budget = budget.saturating_sub(packet.data.len().max(1));
        shared.deliver(&packet, linktype, tx);
        if budget == 0 {
            break;
        }
    }
    Some(capture)
}

/// Opens one interface: whole packets, delivered at once, a large kernel buffer.
fn open(name: &str, filter: &str) -> Result<Capture<Active>> {
    let mut capture = Capture::from_device(name)
        .and_then(|c| {
            c.snaplen(MAX_RECORD_LEN as i32)
                .immediate_mode(true)
                .buffer_size(KERNEL_BUFFER)
                .timeout(READ_TIMEOUT_MS)
                // libpcap turns promiscuous mode down with a warning on "any".
                .promisc(name != "any")
                .open()
        })
        .map_err(|e| open_error(name, &e))?;
    let linktype = capture.get_datalink();
    if !link::is_supported(linktype.0 as u32) {
        bail!(
            "interface {name}: link type {} ({}) is not supported",
            linktype.0,
            linktype.get_name().unwrap_or_default()
        );
    }
    capture
        .filter(filter, true)
        .map_err(|e| anyhow::anyhow!("capture filter {filter:?}: {e}"))?;
    Ok(capture)
}

/// libpcap's reason, and for a permission problem what is needed.
fn open_error(name: &str, e: &pcap::Error) -> anyhow::Error {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        anyhow::anyhow!(
            "capturing on {name} needs root or CAP_NET_RAW and CAP_NET_ADMIN (libpcap: {text})"
        )
    } else {
        anyhow::anyhow!("cannot capture on {name}: {text}")
    }
}

/// The `-w` file, in the link type of the interfaces (pcap has one per file).
fn savefile(captures: &[Capture<Active>], names: &[String], path: &Path) -> Result<Savefile> {
    let linktypes: Vec<i32> = captures.iter().map(|c| c.get_datalink().0).collect();
    if linktypes.windows(2).any(|w| w[0] != w[1]) {
        let list: Vec<String> = names
            .iter()
            .zip(&linktypes)
            .map(|(n, l)| format!("{n} {l}"))
            .collect();
        bail!(
            "-w needs interfaces of one link type (here {}); capture on \"any\" instead",
            list.join(", ")
        );
    }
    let Some(first) = captures.first() else {
        bail!("no interface to capture on");
    };
    if path.to_str().is_none() {
        bail!("{}: libpcap needs a UTF-8 file name", path.display());
    }
    first
        .savefile(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", PathBuf::from(path).display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_what_would_pass_the_limit_until_released() {
        let budget = Budget::new(100);
        assert!(budget.reserve(60));
        assert!(!budget.reserve(41));
        assert!(budget.reserve(40));
        assert!(!budget.reserve(1));
        budget.release(60);
        assert!(budget.reserve(41));
        assert!(!budget.reserve(20));
    }

    #[test]
    fn drops_are_described_per_interface_and_queue() {
        let none = Drops {
            interfaces: vec![("lo".into(), 0, 0)],
            queue: 0,
        };
        assert_eq!(none.describe(), None);
        let some = Drops {
            interfaces: vec![("lo".into(), 3, 1), ("eth0".into(), 0, 0)],
            queue: 2,
        };
        assert_eq!(some.total(), 6);
        assert_eq!(
            some.describe().as_deref(),
            Some(
                "6 packets dropped (lo: 3 by the kernel, 1 by the interface; 2 because the \
                 analysis fell 256 MiB behind); messages they touched are unverified (lost-bytes)"
            )
        );
    }
}

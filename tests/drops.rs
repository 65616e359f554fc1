//! Dropped packets (kernel or capture-queue drops in a live capture, loss in a file) never
//! make a message `invalid`: what they touch is `unverified (lost-bytes)`. Each real sample
//! is analysed once per frame with that one frame left out, through the same pipeline
//! `smbcheck FILE` and `smbcheck -i` use. Nor does a snap length: each sample is analysed
//! with its frames cut at every length from the link headers to past its longest logon
//! message, and with one frame at a time cut (as a frame of its own snap length would be).

mod support;

use clap::Parser;
use smbcheck::app::cli::Args;
use smbcheck::app::pipeline::Pipeline;
use smbcheck::model::{Analysis, Message};
use support::{Record, read_records};

/// SMB1 (NTLMv2, NTLMv1 without extended security, oplocks), every SMB2/3 signing algorithm, a bound
/// channel, encryption, compounds.
const SAMPLES: [&str; 10] = [
    "smb1-ntlmv2.pcap",
    "smb1-ntlmv1-noess.pcap",
    "smb1-oplock-batch1.pcap",
    "smb202.pcap",
    "smb300.pcap",
    "smb311.pcap",
    "smb311-hmac.pcap",
    "smb311-enc-aes128gcm.pcap",
    "smb2-session-bind1.pcap",
    "smb2-compound-related1.pcap",
];

/// The samples cut by the snap-length tests: those above and the IPv6 and cooked v2 ones.
fn cut_samples() -> impl Iterator<Item = &'static str> {
    SAMPLES
        .into_iter()
        .chain(["smb300-ipv6-sll2.pcap", "smb311-ipv6.pcap"])
}

fn sample(name: &str) -> Vec<Record> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    read_records(&[path])
}

/// No invalid message and no failure (a password called wrong) in `a`.
fn assert_no_false_alarm(a: &Analysis, context: &str) {
    assert_eq!(a.summary.invalid, 0, "{context}: {:#?}", a.problems);
    let failures: Vec<_> = a.problems.iter().filter(|p| p.failure).collect();
    assert!(failures.is_empty(), "{context}: {failures:#?}");
}

fn analyse(records: &[&Record]) -> Analysis {
    let args = Args::try_parse_from(["smbcheck", "--password", "Secr3t!pass", "unused.pcap"])
        .expect("arguments");
    let mut pipeline = Pipeline::new(&args).expect("pipeline");
    let mut sink = |_: &Message, _: Option<&_>, _: &[u8]| {};
    for r in records {
        pipeline.frame(r.number, r.ts, r.linktype, &r.data, None, &mut sink);
    }
    let frames = records.last().map_or(0, |r| r.number);
    pipeline
        .finish(frames, Vec::new(), &args, &mut sink)
        .expect("finish")
}

#[test]
fn a_dropped_frame_never_makes_a_message_invalid() {
    for name in SAMPLES {
        let records = sample(name);
        let whole = analyse(&records.iter().collect::<Vec<_>>());
        assert_eq!(whole.summary.invalid, 0, "{name}");
        assert!(whole.summary.valid > 0, "{name}");
        for dropped in 0..records.len() {
            let kept: Vec<&Record> = records
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != dropped)
                .map(|(_, r)| r)
                .collect();
            let frame = records[dropped].number;
            assert_no_false_alarm(&analyse(&kept), &format!("{name} without frame {frame}"));
        }
    }
}

/// A snap length cuts headers, logon messages and signed messages in every combination as it
/// grows (IPv6 and Linux cooked v2 samples too): never an invalid message or a password
/// called wrong.
#[test]
fn a_snap_length_never_makes_a_message_invalid() {
    for name in cut_samples() {
        let records = sample(name);
        let longest = records.iter().map(|r| r.data.len()).max().unwrap_or(0);
        for snaplen in (40..longest.min(1600)).step_by(7) {
            let cut: Vec<Record> = records
                .iter()
                .map(|r| Record {
                    data: r.data[..r.data.len().min(snaplen)].to_vec(),
                    ..r.clone()
                })
                .collect();
            let a = analyse(&cut.iter().collect::<Vec<_>>());
            assert_no_false_alarm(&a, &format!("{name} cut at {snaplen}"));
        }
    }
}

/// One frame cut while the others are whole: the NEGOTIATE response cut alone made every
/// signed message of an SMB 3.1.1 session invalid (its zeros went into the preauth hash).
/// Each frame of each sample is cut in turn to 100 bytes, to 200 and to half its length.
#[test]
fn one_cut_frame_never_makes_a_message_invalid() {
    for name in cut_samples() {
        let records = sample(name);
        for (i, record) in records.iter().enumerate() {
            for len in [100, 200, record.data.len() / 2] {
                if len >= record.data.len() {
                    continue;
                }
                let mut cut = records.clone();
                cut[i].data.truncate(len);
                let a = analyse(&cut.iter().collect::<Vec<_>>());
                let frame = record.number;
                assert_no_false_alarm(&a, &format!("{name}, frame {frame} cut at {len}"));
            }
        }
    }
}

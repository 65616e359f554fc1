//! MIT keytab files: one written by MIT krb5's ktutil, the one published with Zeek's
//! smb2_krb.pcap, and damaged variants of them (tests/data/kerberos/README.md).

use std::path::PathBuf;

use dissectors::keytab::{self, KeytabError};

fn read(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kerberos")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Byte offsets of the records of a keytab (after the version), and the file's length.
fn record_bounds(file: &[u8]) -> Vec<usize> {
    let mut v = vec![2];
    let mut off = 2;
    while off + 4 <= file.len() {
        let size = i32::from_be_bytes(file[off..off + 4].try_into().unwrap());
        off += 4 + size.unsigned_abs() as usize;
        v.push(off);
    }
    v
}

#[test]
fn ktutil_keytab() {
    let file = read("alice.keytab");
    let kt = keytab::parse(&file).unwrap();
    let e: Vec<_> = kt.entries().collect();
    let summary: Vec<_> = e
        .iter()
        .map(|e| {
            (
                e.principal.to_string(),
                e.principal.name_type,
                e.kvno,
                e.enctype,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("alice@KRBLAB.TEST".to_owned(), 1, 2, 18),
            ("alice@KRBLAB.TEST".to_owned(), 1, 2, 17),
            ("alice@KRBLAB.TEST".to_owned(), 1, 2, 23),
            // kvno 300: 44 in the 8-bit field, 300 in the 32-bit one at the end
            ("cifs/srv.krblab.test@KRBLAB.TEST".to_owned(), 1, 300, 18),
        ]
    );
    assert_eq!(
        e[0].key,
        unhex("4abd4e7af98fb82f33f158805ee7f1be782257eb428473b9ef7f5300457e19c3")
    );
    assert_eq!(e[1].key, unhex("7e0327cb37c2377fd7a9957c28a1ff82"));
    assert_eq!(e[2].key, unhex("6d79e54cfc7ee9b0285bfbfeacc048c5"));
    assert_eq!(
        e[3].key,
        unhex("69d2d063921ed6d5fed4b94f5e8624fe184f4f189066a7021288258a1141f81d")
    );
    assert_eq!(e.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert!(
        e[3].principal
            .matches(b"krblab.test", [&b"cifs"[..], b"srv.krblab.test"])
    );
    let comps: Vec<_> = e[3].principal.components().collect();
    assert_eq!(comps, [&b"cifs"[..], b"srv.krblab.test"]);
    assert_eq!(e[3].principal.realm, b"KRBLAB.TEST");
    assert!(e[0].timestamp > 1_700_000_000);
    // keys never show in Debug
    let shown = format!("{:?} {kt:?}", e[0]);
    assert!(
        shown.contains("<redacted, 32 bytes>") && !shown.contains("74, 189"),
        "{shown}"
    );
}

#[test]
fn zeek_keytab() {
    let file = read("smb2_krb.keytab");
    let kt = keytab::parse(&file).unwrap();
    let e: Vec<_> = kt.entries().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].principal.to_string(),
        "host/phxlabbal821.ds.susq.com@DS.SUSQ.COM"
    );
    assert_eq!(
        (e[0].principal.name_type, e[0].kvno, e[0].enctype),
        (1, 2, 18)
    );
    assert_eq!(
        e[0].key,
        unhex("e8746b39615e6b6c3b42c78ac585ddd9874a87088e5be713634da5c85014d31f")
    );
}

#[test]
fn deleted_records_are_skipped() {
    let file = read("alice.keytab");
    let b = record_bounds(&file);
    // mark the second record deleted, as kadmin's ktremove does (negative size)
    let mut f = file.clone();
    let size = i32::from_be_bytes(f[b[1]..b[1] + 4].try_into().unwrap());
    f[b[1]..b[1] + 4].copy_from_slice(&(-size).to_be_bytes());
    let kt = keytab::parse(&f).unwrap();
    let idx: Vec<_> = kt.entries().map(|e| (e.index, e.enctype)).collect();
    assert_eq!(idx, [(0, 18), (2, 23), (3, 18)]);
    // a zero size ends the file, whatever follows
    let mut f = file[..b[2]].to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0xde, 0xad]);
    assert_eq!(keytab::parse(&f).unwrap().entries().count(), 2);
}

#[test]
fn every_truncation_is_an_error_or_a_shorter_keytab() {
    let file = read("alice.keytab");
    let bounds = record_bounds(&file);
    for n in 0..file.len() {
        match keytab::parse(&file[..n]) {
            Ok(kt) => {
                let at = bounds.iter().position(|&b| b == n);
                assert_eq!(at, Some(kt.entries().count()), "prefix {n}");
            }
            Err(KeytabError::Version(None)) => assert!(n < 2),
            Err(KeytabError::Record {
                index,
                offset,
                what,
            }) => {
                assert_eq!(offset, bounds[index], "prefix {n}: {what}");
                assert!(n > offset && n < bounds[index + 1], "prefix {n}: {what}");
            }
            Err(e) => panic!("prefix {n}: {e}"),
        }
    }
}

#[test]
fn corrupted_keytabs_name_the_record() {
    let file = read("alice.keytab");
    let b = record_bounds(&file);
    let err = |f: &[u8]| keytab::parse(f).unwrap_err().to_string();

    // second record's size one byte too large: it runs past the file only if it is last
    let mut f = file.clone();
    let last = b[3];
    let size = i32::from_be_bytes(f[last..last + 4].try_into().unwrap());
    f[last..last + 4].copy_from_slice(&(size + 1).to_be_bytes());
    assert_eq!(
        err(&f),
        format!("keytab record 3 (offset {last}): the record runs past the end of the file")
    );
    // component count of record 1 raised: its components run past the record
    let mut f = file.clone();
    f[b[1] + 5] = 9;
    assert_eq!(
        err(&f),
        format!(
            "keytab record 1 (offset {}): the record ends inside a principal component",
            b[1]
        )
    );
    // key length of record 2 raised from 16 to 272
    let mut f = file.clone();
    let key_len_at = b[3] - 2 - 16 - 4; // 16-byte key, then the 32-bit kvno
    assert_eq!(u16::from_be_bytes([f[key_len_at], f[key_len_at + 1]]), 16);
    f[key_len_at] = 1;
    assert_eq!(
        err(&f),
        format!(
            "keytab record 2 (offset {}): the record ends inside the key",
            b[2]
        )
    );
    // other versions
    let mut f = file.clone();
    f[1] = 1;
    assert_eq!(
        err(&f),
        "keytab version 0x0501 (host byte order) is not supported; rewrite it with ktutil"
    );
    f[0] = 0x42;
    assert_eq!(keytab::parse(&f), Err(KeytabError::Version(Some(0x4201))));
    // a hole of i32::MIN bytes
    let mut f = file[..b[1]].to_vec();
    f.extend_from_slice(&i32::MIN.to_be_bytes());
    assert!(keytab::parse(&f).is_err());
}

#[test]
fn bit_flips_never_panic() {
    for name in ["alice.keytab", "smb2_krb.keytab"] {
        let file = read(name);
        for i in 0..file.len() {
            for bit in 0..8 {
                let mut f = file.clone();
                f[i] ^= 1 << bit;
                if let Ok(kt) = keytab::parse(&f) {
                    for e in kt.entries() {
                        let _ = (e.principal.to_string(), e.principal.components().count());
                    }
                }
            }
        }
    }
}

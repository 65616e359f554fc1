//! The unit tests of the Kerberos crypto, by concern: published vectors of the
//! primitives (`ciphers`), string-to-key (`s2k`), captured exchanges (`captures`) and
//! messages built here (`synthetic`); the fixture readers they share are here.

mod captures;
mod ciphers;
mod s2k;
mod synthetic;

pub(super) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

pub(super) fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dissectors/tests/data/kerberos")
}

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    hex(&text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<String>())
}

/// The messages of mitkdc.hex, in frame order.
pub(super) fn mitkdc() -> Vec<Vec<u8>> {
    frames("mitkdc.hex").into_iter().map(|(_, m)| m).collect()
}

/// The blocks of a `# frame N: what` file, with their frame numbers.
pub(super) fn frames(name: &str) -> Vec<(u32, Vec<u8>)> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    let mut out: Vec<(u32, String)> = Vec::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# frame ") {
            let n = rest.split(':').next().unwrap().parse().unwrap();
            out.push((n, String::new()));
        } else if let Some(last) = out.last_mut().filter(|_| !l.starts_with('#')) {
            last.1.push_str(l.trim());
        }
    }
    out.iter().map(|(n, h)| (*n, hex(h))).collect()
}

pub(super) fn frame(name: &str, n: u32) -> Vec<u8> {
    frames(name)
        .into_iter()
        .find(|(f, _)| *f == n)
        .unwrap_or_else(|| panic!("{name}: no frame {n}"))
        .1
}

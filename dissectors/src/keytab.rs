//! MIT keytab files (the format of MIT krb5's `src/lib/krb5/keytab/kt_file.c`, described
//! in its `doc/formats/keytab_file_format.rst`), version 0x0502: every integer big-endian.
//!
//! ```text
//! keytab  = u16 version (0x0502), record*
//! record  = i32 size, then `size` bytes when size > 0 (an entry); a negative size is a
//!           deleted entry (a hole of -size bytes, skipped); 0 ends the file
//! entry   = u16 num_components, data realm, data component[num_components],
//!           u32 name_type, u32 timestamp, u8 kvno8, u16 enctype, data key,
//!           [u32 kvno32 when at least 4 bytes remain in the record; 0 means absent]
//! data    = u16 length, length bytes
//! ```
//!
//! Version 0x0501 is refused: its integers are in the writing host's byte order, which the
//! file does not record.
//!
//! [`parse`] checks every record once, so that a bad file is refused at load time with the
//! record that is wrong; [`Keytab::entries`] then yields borrowed [`Entry`] values. Nothing
//! is allocated, whatever the lengths and counts in the file say.

use core::fmt;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_i32, be_u8, be_u16, be_u32};

use crate::util::MAX_STRING_CHARS;

/// The keytab version this module reads.
pub const VERSION: u16 = 0x0502;

/// Why a keytab was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeytabError {
    /// The file does not start with version 0x0502 (`None`: shorter than 2 bytes).
    Version(Option<u16>),
    /// A record is malformed.
    Record {
        /// Index of the record in the file (0-based, deleted records counted).
        index: usize,
        /// Byte offset of the record's size field.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for KeytabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeytabError::Version(None) => f.write_str("not a keytab: shorter than its version"),
            KeytabError::Version(Some(0x0501)) => f.write_str(
                "keytab version 0x0501 (host byte order) is not supported; rewrite it with ktutil",
            ),
            KeytabError::Version(Some(v)) => {
                write!(f, "not a keytab: version 0x{v:04x}, expected 0x0502")
            }
            KeytabError::Record {
                index,
                offset,
                what,
            } => write!(f, "keytab record {index} (offset {offset}): {what}"),
        }
    }
}

impl std::error::Error for KeytabError {}

/// A principal name as stored in a keytab entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    /// The realm.
    pub realm: &'a [u8],
    /// The name type (RFC 4120 7.5.8: 1 principal, 2 service and instance, ...).
    pub name_type: u32,
    count: u16,
    components: &'a [u8],
}

impl<'a> Principal<'a> {
    /// The name components, in order (`cifs`, `host.example.com`).
    pub fn components(&self) -> Components<'a> {
        Components {
            rest: self.components,
            left: self.count,
        }
    }

    /// Whether this is `components@realm`: components compared exactly, the realm
    /// ASCII-case-insensitively (Active Directory realms are case-insensitive).
    pub fn matches<'b>(
        &self,
        realm: &[u8],
        components: impl IntoIterator<Item = &'b [u8]>,
    ) -> bool {
        if !self.realm.eq_ignore_ascii_case(realm) {
            return false;
        }
        let mut mine = self.components();
        for c in components {
            if mine.next() != Some(c) {
                return false;
            }
        }
        mine.next().is_none()
    }
}

impl fmt::Display for Principal<'_> {
    /// `comp1/comp2@REALM`, lossily decoded, at most [`MAX_STRING_CHARS`] characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (n, c) in self.components().enumerate() {
            if n > 0 {
                out.push('/');
            }
            out.push_str(&String::from_utf8_lossy(c));
            if out.len() > MAX_STRING_CHARS {
                break;
            }
        }
        out.push('@');
        out.push_str(&String::from_utf8_lossy(self.realm));
        f.write_str(&out.chars().take(MAX_STRING_CHARS).collect::<String>())
    }
}

/// Iterator over the components of a [`Principal`] (already checked by [`parse`]).
#[derive(Debug, Clone)]
pub struct Components<'a> {
    rest: &'a [u8],
    left: u16,
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match data(self.rest) {
            Ok((rest, c)) => {
                self.rest = rest;
                Some(c)
            }
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }
}

/// One key of a keytab. `Debug` does not show the key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Index of the record in the file (deleted records counted), for messages.
    pub index: usize,
    /// Whose key this is.
    pub principal: Principal<'a>,
    /// When the key was written (seconds since 1970).
    pub timestamp: u32,
    /// The key version: the 32-bit kvno at the end of the record when present and
    /// non-zero, else the 8-bit one.
    pub kvno: u32,
    /// The encryption type (RFC 3961 8: 17 aes128-cts-hmac-sha1-96, 18 aes256, 23 rc4-hmac).
    pub enctype: i32,
    /// The key bytes.
    pub key: &'a [u8],
}

impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("index", &self.index)
            .field("principal", &format_args!("{}", self.principal))
            .field("timestamp", &self.timestamp)
            .field("kvno", &self.kvno)
            .field("enctype", &self.enctype)
            .field("key", &format_args!("<redacted, {} bytes>", self.key.len()))
            .finish()
    }
}

/// A checked keytab file. `Debug` shows its entries without their keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Keytab<'a> {
    records: &'a [u8],
}

impl fmt::Debug for Keytab<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

impl<'a> Keytab<'a> {
    /// The live entries, in file order (deleted records skipped).
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            rest: self.records,
            offset: 2,
            index: 0,
        }
    }
}

/// Iterator over the entries of a [`Keytab`]: see [`Keytab::entries`].
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    rest: &'a [u8],
    offset: usize,
    index: usize,
}

impl<'a> Entries<'a> {
    /// The next entry, `Ok(None)` at the end of the file.
    fn next_record(&mut self) -> Result<Option<Entry<'a>>, KeytabError> {
        loop {
            if self.rest.is_empty() {
                return Ok(None);
            }
            let (index, offset) = (self.index, self.offset);
            let err = |what| KeytabError::Record {
                index,
                offset,
                what,
            };
            let (after, size) = be_i32::<_, ()>(self.rest)
                .map_err(|_| err("the file ends inside a record size"))?;
            self.index += 1;
            if size == 0 {
                // MIT stops reading at a zero size (files may be padded with zeros).
                self.rest = &[];
                return Ok(None);
            }
            let len = usize::try_from(size.unsigned_abs())
                .map_err(|_| err("record size does not fit in memory"))?;
            let (rest, body) = take::<_, _, ()>(len)
                .parse(after)
                .map_err(|_| err("the record runs past the end of the file"))?;
            self.rest = rest;
            self.offset = offset.saturating_add(4).saturating_add(len);
            if size < 0 {
                continue;
            }
            return parse_entry(body, index).map(Some).map_err(err);
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;
    fn next(&mut self) -> Option<Entry<'a>> {
        // Checked by `parse`: an error here cannot happen, and would end the iteration.
        self.next_record().ok().flatten()
    }
}

type R<'a, T> = nom::IResult<&'a [u8], T, ()>;

/// A counted octet string (u16 length).
fn data(i: &[u8]) -> R<'_, &[u8]> {
    let (i, n) = be_u16(i)?;
    take(n).parse(i)
}

/// Parse the body of a live record; the error says which field runs past its end.
fn parse_entry(body: &[u8], index: usize) -> Result<Entry<'_>, &'static str> {
    let (i, count) =
        be_u16::<_, ()>(body).map_err(|_| "the record ends inside the component count")?;
    let (i, realm) = data(i).map_err(|_| "the record ends inside the realm")?;
    let components = i;
    let mut i = i;
    for _ in 0..count {
        (i, _) = data(i).map_err(|_| "the record ends inside a principal component")?;
    }
    let components = components
        .get(..components.len() - i.len())
        .unwrap_or_default();
    let (i, name_type) = be_u32::<_, ()>(i).map_err(|_| "the record ends inside the name type")?;
    let (i, timestamp) = be_u32::<_, ()>(i).map_err(|_| "the record ends inside the timestamp")?;
    let (i, kvno8) = be_u8::<_, ()>(i).map_err(|_| "the record ends inside the kvno")?;
    let (i, enctype) = be_u16::<_, ()>(i).map_err(|_| "the record ends inside the key type")?;
    let (i, key) = data(i).map_err(|_| "the record ends inside the key")?;
    // The 32-bit kvno extension (krb5 1.14+ write it; zero means "use the 8-bit one").
    let kvno = match be_u32::<_, ()>(i) {
        Ok((_, k)) if k != 0 => k,
        _ => u32::from(kvno8),
    };
    Ok(Entry {
        index,
        principal: Principal {
            realm,
            name_type,
            count,
            components,
        },
        timestamp,
        kvno,
        enctype: i32::from(enctype),
        key,
    })
}

/// Check a whole keytab file: its version and every record.
pub fn parse(file: &[u8]) -> Result<Keytab<'_>, KeytabError> {
    let (records, version) = be_u16::<_, ()>(file).map_err(|_| KeytabError::Version(None))?;
    if version != VERSION {
        return Err(KeytabError::Version(Some(version)));
    }
    let keytab = Keytab { records };
    let mut it = keytab.entries();
    while it.next_record()?.is_some() {}
    Ok(keytab)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as i32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn entry_body(kvno32: Option<u32>) -> Vec<u8> {
        let mut b = vec![0, 2, 0, 4];
        b.extend_from_slice(b"TEST");
        b.extend_from_slice(&[0, 4]);
        b.extend_from_slice(b"cifs");
        b.extend_from_slice(&[0, 3]);
        b.extend_from_slice(b"srv");
        b.extend_from_slice(&2u32.to_be_bytes()); // name type
        b.extend_from_slice(&7u32.to_be_bytes()); // timestamp
        b.push(0x2c); // kvno8
        b.extend_from_slice(&[0, 17, 0, 2, 0xaa, 0xbb]);
        if let Some(k) = kvno32 {
            b.extend_from_slice(&k.to_be_bytes());
        }
        b
    }

    #[test]
    fn holes_zero_size_and_kvno32() {
        let mut f = vec![5, 2];
        f.extend_from_slice(&(-3i32).to_be_bytes());
        f.extend_from_slice(&[9, 9, 9]);
        f.extend(record(&entry_body(Some(300))));
        f.extend(record(&entry_body(Some(0))));
        f.extend(record(&entry_body(None)));
        f.extend_from_slice(&[0, 0, 0, 0, 0xff]); // zero size: end, garbage after it ignored
        let kt = parse(&f).unwrap();
        let e: Vec<_> = kt.entries().collect();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].index, 1);
        assert_eq!((e[0].kvno, e[1].kvno, e[2].kvno), (300, 0x2c, 0x2c));
        assert_eq!(e[0].enctype, 17);
        assert_eq!(e[0].key, [0xaa, 0xbb]);
        assert_eq!(e[0].principal.to_string(), "cifs/srv@TEST");
        assert!(e[0].principal.matches(b"test", [&b"cifs"[..], b"srv"]));
        assert!(!e[0].principal.matches(b"TEST", [&b"cifs"[..]]));
        assert!(
            !e[0]
                .principal
                .matches(b"TEST", [&b"cifs"[..], b"srv", b"x"])
        );
    }

    #[test]
    fn errors_name_the_record() {
        assert_eq!(parse(&[5]), Err(KeytabError::Version(None)));
        assert_eq!(parse(&[5, 1]), Err(KeytabError::Version(Some(0x0501))));
        let mut f = vec![5, 2];
        f.extend(record(&entry_body(None)));
        let mut body = entry_body(None);
        body.truncate(body.len() - 1);
        f.extend(record(&body));
        let e = parse(&f).unwrap_err();
        assert_eq!(
            e,
            KeytabError::Record {
                index: 1,
                offset: 2 + 4 + entry_body(None).len(),
                what: "the record ends inside the key"
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "keytab record 1 (offset {}): the record ends inside the key",
                6 + 34
            )
        );
        let mut f = vec![5, 2];
        f.extend_from_slice(&i32::MIN.to_be_bytes());
        assert!(parse(&f).is_err());
        let mut f = vec![5, 2];
        f.extend_from_slice(&(-8i32).to_be_bytes());
        f.extend_from_slice(&[0; 7]);
        assert!(parse(&f).is_err());
    }
}

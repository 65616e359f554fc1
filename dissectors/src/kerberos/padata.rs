//! PA-DATA (RFC 4120 5.2.7): the lists of them (METHOD-DATA, the padata of requests and
//! replies) and the salts of PA-ETYPE-INFO2 / PA-ETYPE-INFO.

use super::fields::{Fields, int32, octets, string, tagged};
use crate::der::{self, TAG_SEQUENCE};
use crate::error::Result;

/// PA-DATA (RFC 4120 5.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaData<'a> {
    /// padata-type (`PA_*`).
    pub padata_type: i32,
    /// padata-value.
    pub value: &'a [u8],
}

/// Iterator over a SEQUENCE OF PA-DATA (METHOD-DATA); stops after the first malformed
/// element, yielding it as `Err`.
#[derive(Debug, Clone)]
pub struct PaDataList<'a> {
    inner: der::TlvIter<'a>,
    failed: bool,
}

impl<'a> PaDataList<'a> {
    pub(super) fn new(contents: &'a [u8]) -> Self {
        PaDataList {
            inner: der::TlvIter::new(contents),
            failed: false,
        }
    }

    /// The value of the first element of `padata_type` (`None` also when the list is
    /// malformed before it).
    pub fn find(self, padata_type: i32) -> Option<&'a [u8]> {
        self.map_while(|p| p.ok())
            .find(|p| p.padata_type == padata_type)
            .map(|p| p.value)
    }
}

impl<'a> Iterator for PaDataList<'a> {
    type Item = Result<PaData<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.inner.next()?.and_then(|t| {
            let f = Fields::of(t.raw, TAG_SEQUENCE, "PA-DATA is not a SEQUENCE")?;
            Ok(PaData {
                padata_type: int32(f.req(1, "PA-DATA without padata-type")?)?,
                value: octets(f.req(2, "PA-DATA without padata-value")?)?,
            })
        });
        self.failed = item.is_err();
        Some(item)
    }
}

/// The contents of a SEQUENCE OF PA-DATA, each element checked.
pub(super) fn padata_seq(field: &[u8]) -> Result<&[u8]> {
    let contents = tagged(field, TAG_SEQUENCE)?;
    for p in PaDataList::new(contents) {
        p?;
    }
    Ok(contents)
}

/// Parse METHOD-DATA (a SEQUENCE OF PA-DATA, e.g. the e-data of a KRB-ERROR).
pub fn parse_method_data(der_bytes: &[u8]) -> Result<PaDataList<'_>> {
    Ok(PaDataList::new(tagged(der_bytes, TAG_SEQUENCE)?))
}

/// ETYPE-INFO2-ENTRY (RFC 4120 5.2.7.5), also used for ETYPE-INFO entries (whose salt is
/// an OCTET STRING and which have no s2kparams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EtypeInfo2Entry<'a> {
    /// The etype this salt is for.
    pub etype: i32,
    /// The salt; absent means the default salt (realm followed by the name strings).
    pub salt: Option<&'a [u8]>,
    /// String-to-key parameters (for AES: the iteration count, 4 bytes big-endian).
    pub s2kparams: Option<&'a [u8]>,
}

/// Iterator over an ETYPE-INFO2 or ETYPE-INFO (see [`parse_etype_info2`]).
#[derive(Debug, Clone)]
pub struct EtypeInfo2<'a> {
    inner: der::TlvIter<'a>,
    failed: bool,
}

impl<'a> Iterator for EtypeInfo2<'a> {
    type Item = Result<EtypeInfo2Entry<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.inner.next()?.and_then(|t| {
            let f = Fields::of(t.raw, TAG_SEQUENCE, "ETYPE-INFO2-ENTRY is not a SEQUENCE")?;
            let salt = match f.get(1) {
                None => None,
                // ETYPE-INFO2 has a KerberosString, the older ETYPE-INFO an OCTET STRING
                Some(s) => Some(string(s).or_else(|_| octets(s))?),
            };
            Ok(EtypeInfo2Entry {
                etype: int32(f.req(0, "ETYPE-INFO2-ENTRY without etype")?)?,
                salt,
                s2kparams: f.get(2).map(octets).transpose()?,
            })
        });
        self.failed = item.is_err();
        Some(item)
    }
}

/// Parse the value of a PA-ETYPE-INFO2 (or PA-ETYPE-INFO) element: the salt and
/// string-to-key parameters per etype.
pub fn parse_etype_info2(value: &[u8]) -> Result<EtypeInfo2<'_>> {
    Ok(EtypeInfo2 {
        inner: der::TlvIter::new(tagged(value, TAG_SEQUENCE)?),
        failed: false,
    })
}

//! Kerberos 5 messages (RFC 4120 5, DER with EXPLICIT tags), as far as recovering a
//! session key needs them, and the GSS-API token around them (RFC 4121 4.1).
//!
//! - Security blobs: [`find_token`] finds the Kerberos token of an SMB security buffer
//!   (the SPNEGO mechToken / responseToken, or a raw GSS-API token) and
//!   [`parse_gss_token`] reads `0x60 len OID TOK_ID message` (OID 1.2.840.113554.1.2.2,
//!   Microsoft's 1.2.840.48018.1.2.2 or the user-to-user one) or a bare message.
//! - Messages: [`parse_ap_req`], [`parse_ap_rep`], [`parse_krb_error`] (with
//!   [`KrbError::method_data`] and [`parse_etype_info2`] for the salts),
//!   [`parse_kdc_req`] (AS-REQ / TGS-REQ: client name, realm, padata) and
//!   [`parse_kdc_rep`] (AS-REP / TGS-REP).
//! - Decrypted parts (the plaintexts of [`EncryptedData`]): [`parse_enc_ticket_part`],
//!   [`parse_authenticator`], [`parse_enc_ap_rep_part`], [`parse_enc_kdc_rep_part`].
//! - FAST (RFC 6113 5.4): the PA-FX-FAST of a request ([`KdcReq::fast`],
//!   [`parse_pa_fx_fast_request`]: the armor and the encrypted KrbFastReq) and of a
//!   reply ([`KdcRep::fast`], [`parse_pa_fx_fast_reply`]), and their decrypted parts
//!   [`parse_krb_fast_req`] and [`parse_krb_fast_response`] (with the strengthen-key).
//!
//! Everything borrows the input; nothing is allocated by a length or count read from it.
//! Fields this module does not need (times, addresses, authorization data...) are
//! skipped, and unknown context tags are ignored (RFC 4120 messages are extensible).
//! [`EncryptionKey`] and keytab keys never show their bytes in `Debug`.

use core::fmt;

use crate::der::{
    self, TAG_BIT_STRING, TAG_GENERAL_STRING, TAG_GSS_APPLICATION, TAG_INTEGER, TAG_OCTET_STRING,
    TAG_OID, TAG_SEQUENCE, application,
};
use crate::error::{Error, Result};
use crate::spnego::{self, Mech, Token};
use crate::util::MAX_STRING_CHARS;

/// `[APPLICATION 1]` Ticket.
pub const TAG_TICKET: u8 = application(1);
/// `[APPLICATION 2]` Authenticator.
pub const TAG_AUTHENTICATOR: u8 = application(2);
/// `[APPLICATION 3]` EncTicketPart.
pub const TAG_ENC_TICKET_PART: u8 = application(3);
/// `[APPLICATION 10]` AS-REQ.
pub const TAG_AS_REQ: u8 = application(10);
/// `[APPLICATION 11]` AS-REP.
pub const TAG_AS_REP: u8 = application(11);
/// `[APPLICATION 12]` TGS-REQ.
pub const TAG_TGS_REQ: u8 = application(12);
/// `[APPLICATION 13]` TGS-REP.
pub const TAG_TGS_REP: u8 = application(13);
/// `[APPLICATION 14]` AP-REQ.
pub const TAG_AP_REQ: u8 = application(14);
/// `[APPLICATION 15]` AP-REP.
pub const TAG_AP_REP: u8 = application(15);
/// `[APPLICATION 25]` EncASRepPart.
pub const TAG_ENC_AS_REP_PART: u8 = application(25);
/// `[APPLICATION 26]` EncTGSRepPart.
pub const TAG_ENC_TGS_REP_PART: u8 = application(26);
/// `[APPLICATION 27]` EncAPRepPart.
pub const TAG_ENC_AP_REP_PART: u8 = application(27);
/// `[APPLICATION 30]` KRB-ERROR.
pub const TAG_KRB_ERROR: u8 = application(30);

/// GSS-API TOK_ID of an AP-REQ (RFC 4121 4.1).
pub const TOK_ID_AP_REQ: [u8; 2] = [0x01, 0x00];
/// GSS-API TOK_ID of an AP-REP.
pub const TOK_ID_AP_REP: [u8; 2] = [0x02, 0x00];
/// GSS-API TOK_ID of a KRB-ERROR.
pub const TOK_ID_KRB_ERROR: [u8; 2] = [0x03, 0x00];

// Key usage numbers (RFC 4120 7.5.1).
/// Ticket enc-part, encrypted with the service key.
pub const USAGE_TICKET: u32 = 2;
/// AS-REP enc-part, encrypted with the client key.
pub const USAGE_AS_REP_ENC_PART: u32 = 3;
/// TGS-REQ authenticator (in PA-TGS-REQ), encrypted with the TGT session key.
pub const USAGE_TGS_REQ_AUTHENTICATOR: u32 = 7;
/// TGS-REP enc-part encrypted with the TGT session key.
pub const USAGE_TGS_REP_SESSION_KEY: u32 = 8;
/// TGS-REP enc-part encrypted with the TGS-REQ authenticator subkey.
pub const USAGE_TGS_REP_SUBKEY: u32 = 9;
/// AP-REQ authenticator, encrypted with the ticket session key.
pub const USAGE_AP_REQ_AUTHENTICATOR: u32 = 11;
/// AP-REP enc-part, encrypted with the ticket session key.
pub const USAGE_AP_REP_ENC_PART: u32 = 12;
/// KrbFastArmoredReq req-checksum, in the armor key (RFC 6113 5.4.2).
pub const USAGE_FAST_REQ_CHKSUM: u32 = 50;
/// KrbFastArmoredReq enc-fast-req, in the armor key (RFC 6113 5.4.2).
pub const USAGE_FAST_ENC: u32 = 51;
/// KrbFastArmoredRep enc-fast-rep, in the armor key (RFC 6113 5.4.3).
pub const USAGE_FAST_REP: u32 = 52;
/// KrbFastFinished ticket-checksum, in the armor key (RFC 6113 5.4.3).
pub const USAGE_FAST_FINISHED: u32 = 53;

// PA-DATA types (RFC 4120 7.5.2).
/// PA-TGS-REQ: the AP-REQ of a TGS-REQ.
pub const PA_TGS_REQ: i32 = 1;
/// PA-ETYPE-INFO.
pub const PA_ETYPE_INFO: i32 = 11;
/// PA-ETYPE-INFO2 (RFC 4120 5.2.7.5).
pub const PA_ETYPE_INFO2: i32 = 19;
/// PA-FX-FAST (RFC 6113 5.4.2): PA-FX-FAST-REQUEST in a request, PA-FX-FAST-REPLY in a
/// reply; empty where a KDC only advertises FAST (KRB-ERROR e-data, encrypted padata).
pub const PA_FX_FAST: i32 = 136;

/// FX_FAST_ARMOR_AP_REQUEST, the armor type of an AP-REQ armor (RFC 6113 5.4.1.1).
pub const FX_FAST_ARMOR_AP_REQUEST: i32 = 1;

/// KDC_ERR_PREAUTH_REQUIRED, whose e-data lists the salts (RFC 4120 7.5.9).
pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;

fn invalid(what: &'static str) -> Error {
    Error::Invalid(what)
}

/// The contents of the explicitly tagged fields `[0]`..`[15]` of a SEQUENCE (each one
/// TLV), found in any order; other elements (higher tags, untagged) are skipped.
struct Fields<'a>([Option<&'a [u8]>; 16]);

impl<'a> Fields<'a> {
    /// The fields of `raw`, which must be `outer_tag { SEQUENCE { fields } }` (an
    /// APPLICATION-tagged message) or, with `outer_tag` = SEQUENCE, a bare SEQUENCE.
    fn of(raw: &'a [u8], outer_tag: u8, what: &'static str) -> Result<Self> {
        let (_, outer) = der::parse_tlv(raw)?;
        if outer.tag != outer_tag {
            return Err(invalid(what));
        }
        let seq = if outer_tag == TAG_SEQUENCE {
            outer.value
        } else {
            der::parse_tagged(TAG_SEQUENCE)(outer.value)?.1.value
        };
        let mut fields = [None; 16];
        for t in der::TlvIter::new(seq) {
            let t = t?;
            if t.tag & 0xe0 != 0xa0 {
                continue;
            }
            let Some(slot) = fields.get_mut(usize::from(t.tag & 0x1f)) else {
                continue;
            };
            if slot.replace(t.value).is_some() {
                return Err(invalid("a field appears twice"));
            }
        }
        Ok(Fields(fields))
    }

    fn get(&self, n: usize) -> Option<&'a [u8]> {
        self.0.get(n).copied().flatten()
    }

    fn req(&self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        self.get(n).ok_or_else(|| invalid(what))
    }
}

fn tagged(field: &[u8], tag: u8) -> Result<&[u8]> {
    Ok(der::parse_tagged(tag)(field)?.1.value)
}

fn int(field: &[u8]) -> Result<i64> {
    der::integer(tagged(field, TAG_INTEGER)?).ok_or_else(|| invalid("INTEGER out of range"))
}

fn int32(field: &[u8]) -> Result<i32> {
    i32::try_from(int(field)?).map_err(|_| invalid("Int32 out of range"))
}

/// A UInt32 (RFC 4120 5.2.4). Implementations that keep nonces and sequence numbers in a
/// signed 32-bit integer send the upper half as negative numbers (MIT and Heimdal read them
/// back that way: `krb5int_asn1decode_int32`), so -2^31..-1 stand for 2^31..2^32-1.
fn uint32(field: &[u8]) -> Result<u32> {
    let n = int(field)?;
    u32::try_from(n)
        .or_else(|_| i32::try_from(n).map(|v| v as u32))
        .map_err(|_| invalid("UInt32 out of range"))
}

fn string(field: &[u8]) -> Result<&[u8]> {
    tagged(field, TAG_GENERAL_STRING)
}

fn octets(field: &[u8]) -> Result<&[u8]> {
    tagged(field, TAG_OCTET_STRING)
}

/// KerberosFlags (BIT STRING): the first 32 bits, bit 0 the most significant.
fn flags(field: &[u8]) -> Result<u32> {
    let bits = tagged(field, TAG_BIT_STRING)?;
    let (_unused, bytes) = bits
        .split_first()
        .ok_or_else(|| invalid("empty BIT STRING"))?;
    let mut v = [0u8; 4];
    for (d, s) in v.iter_mut().zip(bytes) {
        *d = *s;
    }
    Ok(u32::from_be_bytes(v))
}

fn check_pvno(f: &Fields<'_>, n: usize) -> Result<()> {
    match int(f.req(n, "no pvno")?)? {
        5 => Ok(()),
        _ => Err(invalid("pvno is not 5")),
    }
}

fn check_msg_type(f: &Fields<'_>, n: usize, expected: &[i64]) -> Result<i64> {
    let t = int(f.req(n, "no msg-type")?)?;
    if expected.contains(&t) {
        Ok(t)
    } else {
        Err(invalid("msg-type does not match the message"))
    }
}

fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .chars()
        .take(MAX_STRING_CHARS)
        .collect()
}

/// PrincipalName (RFC 4120 5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalName<'a> {
    /// name-type (1 principal, 2 service and instance, ...).
    pub name_type: i32,
    strings: &'a [u8],
}

impl<'a> PrincipalName<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_SEQUENCE, "PrincipalName is not a SEQUENCE")?;
        let name_type = int32(f.req(0, "PrincipalName without name-type")?)?;
        let strings = tagged(f.req(1, "PrincipalName without name-string")?, TAG_SEQUENCE)?;
        for s in der::TlvIter::new(strings) {
            if s?.tag != TAG_GENERAL_STRING {
                return Err(invalid("a name-string is not a GeneralString"));
            }
        }
        Ok(PrincipalName { name_type, strings })
    }

    /// The name strings in order (`cifs`, `host.example.com`).
    pub fn components(&self) -> impl Iterator<Item = &'a [u8]> + Clone + use<'a> {
        der::TlvIter::new(self.strings).map_while(|t| t.ok().map(|t| t.value))
    }
}

impl fmt::Display for PrincipalName<'_> {
    /// `comp1/comp2`, lossily decoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, c) in self.components().enumerate() {
            if n > 0 {
                f.write_str("/")?;
            }
            f.write_str(&lossy(c))?;
        }
        Ok(())
    }
}

/// EncryptedData (RFC 4120 5.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedData<'a> {
    /// etype (17 aes128-cts-hmac-sha1-96, 18 aes256-cts-hmac-sha1-96, 23 rc4-hmac...).
    pub etype: i32,
    /// Version of the key it is encrypted in, if given.
    pub kvno: Option<u32>,
    /// The ciphertext.
    pub cipher: &'a [u8],
}

/// Parse an EncryptedData standing alone, as a PA-ENC-TIMESTAMP's value is (RFC 4120
/// 5.2.7.2).
pub fn parse_encrypted_data(der_bytes: &[u8]) -> Result<EncryptedData<'_>> {
    EncryptedData::parse(der_bytes)
}

impl<'a> EncryptedData<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_SEQUENCE, "EncryptedData is not a SEQUENCE")?;
        Ok(EncryptedData {
            etype: int32(f.req(0, "EncryptedData without etype")?)?,
            kvno: f.get(1).map(uint32).transpose()?,
            cipher: octets(f.req(2, "EncryptedData without cipher")?)?,
        })
    }
}

/// EncryptionKey (RFC 4120 5.2.9): a secret, borrowed from a decrypted plaintext.
/// `Debug` shows the key type and length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncryptionKey<'a> {
    /// keytype (an etype).
    pub keytype: i32,
    /// keyvalue.
    pub keyvalue: &'a [u8],
}

impl<'a> EncryptionKey<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_SEQUENCE, "EncryptionKey is not a SEQUENCE")?;
        Ok(EncryptionKey {
            keytype: int32(f.req(0, "EncryptionKey without keytype")?)?,
            keyvalue: octets(f.req(1, "EncryptionKey without keyvalue")?)?,
        })
    }
}

impl fmt::Debug for EncryptionKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EncryptionKey(type {}, {} bytes, <redacted>)",
            self.keytype,
            self.keyvalue.len()
        )
    }
}

/// Ticket (RFC 4120 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket<'a> {
    /// The service realm.
    pub realm: &'a [u8],
    /// The service name.
    pub sname: PrincipalName<'a>,
    /// The EncTicketPart, encrypted in the service key (usage [`USAGE_TICKET`]).
    pub enc_part: EncryptedData<'a>,
}

impl<'a> Ticket<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_TICKET, "not a Ticket")?;
        match int(f.req(0, "Ticket without tkt-vno")?)? {
            5 => {}
            _ => return Err(invalid("tkt-vno is not 5")),
        }
        Ok(Ticket {
            realm: string(f.req(1, "Ticket without realm")?)?,
            sname: PrincipalName::parse(f.req(2, "Ticket without sname")?)?,
            enc_part: EncryptedData::parse(f.req(3, "Ticket without enc-part")?)?,
        })
    }
}

/// AP-REQ (RFC 4120 5.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApReq<'a> {
    /// APOptions (bit 1 use-session-key = 0x4000_0000, bit 2 mutual-required = 0x2000_0000).
    pub ap_options: u32,
    /// The service ticket.
    pub ticket: Ticket<'a>,
    /// The Authenticator, encrypted in the ticket session key (usage
    /// [`USAGE_AP_REQ_AUTHENTICATOR`], or [`USAGE_TGS_REQ_AUTHENTICATOR`] in a TGS-REQ).
    pub authenticator: EncryptedData<'a>,
}

/// Parse an AP-REQ (`[APPLICATION 14]`, without the GSS-API wrapper).
pub fn parse_ap_req(msg: &[u8]) -> Result<ApReq<'_>> {
    let f = Fields::of(msg, TAG_AP_REQ, "not an AP-REQ")?;
    check_pvno(&f, 0)?;
    check_msg_type(&f, 1, &[14])?;
    Ok(ApReq {
        ap_options: flags(f.req(2, "AP-REQ without ap-options")?)?,
        ticket: Ticket::parse(f.req(3, "AP-REQ without ticket")?)?,
        authenticator: EncryptedData::parse(f.req(4, "AP-REQ without authenticator")?)?,
    })
}

/// AP-REP (RFC 4120 5.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApRep<'a> {
    /// The EncAPRepPart, encrypted in the ticket session key (usage
    /// [`USAGE_AP_REP_ENC_PART`]).
    pub enc_part: EncryptedData<'a>,
}

/// Parse an AP-REP (`[APPLICATION 15]`, without the GSS-API wrapper).
pub fn parse_ap_rep(msg: &[u8]) -> Result<ApRep<'_>> {
    let f = Fields::of(msg, TAG_AP_REP, "not an AP-REP")?;
    check_pvno(&f, 0)?;
    check_msg_type(&f, 1, &[15])?;
    Ok(ApRep {
        enc_part: EncryptedData::parse(f.req(2, "AP-REP without enc-part")?)?,
    })
}

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
    fn new(contents: &'a [u8]) -> Self {
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
fn padata_seq(field: &[u8]) -> Result<&[u8]> {
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

/// KRB-ERROR (RFC 4120 5.9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbError<'a> {
    /// error-code (e.g. [`KDC_ERR_PREAUTH_REQUIRED`]).
    pub error_code: i32,
    /// crealm, if given.
    pub crealm: Option<&'a [u8]>,
    /// cname, if given.
    pub cname: Option<PrincipalName<'a>>,
    /// The service realm.
    pub realm: &'a [u8],
    /// The service name.
    pub sname: PrincipalName<'a>,
    /// e-text, if given.
    pub e_text: Option<&'a [u8]>,
    /// e-data, if given (METHOD-DATA for KDC_ERR_PREAUTH_REQUIRED).
    pub e_data: Option<&'a [u8]>,
}

impl<'a> KrbError<'a> {
    /// The e-data as METHOD-DATA (`None` without e-data).
    pub fn method_data(&self) -> Option<Result<PaDataList<'a>>> {
        self.e_data.map(parse_method_data)
    }
}

/// Parse a KRB-ERROR (`[APPLICATION 30]`).
pub fn parse_krb_error(msg: &[u8]) -> Result<KrbError<'_>> {
    let f = Fields::of(msg, TAG_KRB_ERROR, "not a KRB-ERROR")?;
    check_pvno(&f, 0)?;
    check_msg_type(&f, 1, &[30])?;
    Ok(KrbError {
        error_code: int32(f.req(6, "KRB-ERROR without error-code")?)?,
        crealm: f.get(7).map(string).transpose()?,
        cname: f.get(8).map(PrincipalName::parse).transpose()?,
        realm: string(f.req(9, "KRB-ERROR without realm")?)?,
        sname: PrincipalName::parse(f.req(10, "KRB-ERROR without sname")?)?,
        e_text: f.get(11).map(string).transpose()?,
        e_data: f.get(12).map(octets).transpose()?,
    })
}

/// AS-REQ or TGS-REQ (RFC 4120 5.4.1), the fields that name the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdcReq<'a> {
    /// 10 (AS-REQ) or 12 (TGS-REQ).
    pub msg_type: u8,
    padata: Option<&'a [u8]>,
    /// cname (AS-REQ only: the client).
    pub cname: Option<PrincipalName<'a>>,
    /// realm: the client's realm in an AS-REQ, the server's in a TGS-REQ.
    pub realm: &'a [u8],
    /// sname, if given.
    pub sname: Option<PrincipalName<'a>>,
    /// nonce.
    pub nonce: u32,
}

impl<'a> KdcReq<'a> {
    /// The padata (PA-ENC-TIMESTAMP in an AS-REQ, PA-TGS-REQ in a TGS-REQ...), if any.
    pub fn padata(&self) -> Option<PaDataList<'a>> {
        self.padata.map(PaDataList::new)
    }

    /// The AP-REQ of a TGS-REQ (its PA-TGS-REQ): its ticket is the TGT and its
    /// authenticator, in the TGT session key, names the client and may carry the subkey
    /// the TGS-REP is encrypted in.
    pub fn tgs_ap_req(&self) -> Option<Result<ApReq<'a>>> {
        self.padata()?.find(PA_TGS_REQ).map(parse_ap_req)
    }

    /// The FAST armored request (its PA-FX-FAST, RFC 6113 5.4.2), if any: the armor and
    /// the real request, encrypted in the armor key.
    pub fn fast(&self) -> Option<Result<KrbFastArmoredReq<'a>>> {
        self.padata()?
            .find(PA_FX_FAST)
            .map(parse_pa_fx_fast_request)
    }
}

/// The KDC-REQ-BODY fields kept (RFC 4120 5.4.1).
struct ReqBody<'a> {
    cname: Option<PrincipalName<'a>>,
    realm: &'a [u8],
    sname: Option<PrincipalName<'a>>,
    nonce: u32,
}

impl<'a> ReqBody<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let body = Fields::of(field, TAG_SEQUENCE, "req-body is not a SEQUENCE")?;
        Ok(ReqBody {
            cname: body.get(1).map(PrincipalName::parse).transpose()?,
            realm: string(body.req(2, "req-body without realm")?)?,
            sname: body.get(3).map(PrincipalName::parse).transpose()?,
            nonce: uint32(body.req(7, "req-body without nonce")?)?,
        })
    }
}

/// Parse an AS-REQ (`[APPLICATION 10]`) or TGS-REQ (`[APPLICATION 12]`).
pub fn parse_kdc_req(msg: &[u8]) -> Result<KdcReq<'_>> {
    let (tag, n) = match msg.first() {
        Some(&TAG_AS_REQ) => (TAG_AS_REQ, 10),
        Some(&TAG_TGS_REQ) => (TAG_TGS_REQ, 12),
        _ => return Err(invalid("not an AS-REQ or TGS-REQ")),
    };
    let f = Fields::of(msg, tag, "not an AS-REQ or TGS-REQ")?;
    check_pvno(&f, 1)?;
    check_msg_type(&f, 2, &[i64::from(n)])?;
    let padata = f.get(3).map(padata_seq).transpose()?;
    let body = ReqBody::parse(f.req(4, "KDC-REQ without req-body")?)?;
    Ok(KdcReq {
        msg_type: n,
        padata,
        cname: body.cname,
        realm: body.realm,
        sname: body.sname,
        nonce: body.nonce,
    })
}

/// AS-REP or TGS-REP (RFC 4120 5.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdcRep<'a> {
    /// 11 (AS-REP) or 13 (TGS-REP).
    pub msg_type: u8,
    padata: Option<&'a [u8]>,
    /// The client realm.
    pub crealm: &'a [u8],
    /// The client name (`WELLKNOWN/ANONYMOUS` in a FAST reply that hides it: the real
    /// one is in the [`KrbFastFinished`]).
    pub cname: PrincipalName<'a>,
    /// The ticket issued.
    pub ticket: Ticket<'a>,
    /// The EncKDCRepPart: in the client key (AS-REP, usage [`USAGE_AS_REP_ENC_PART`]), in
    /// the TGT session key (TGS-REP, usage [`USAGE_TGS_REP_SESSION_KEY`]) or in the
    /// TGS-REQ authenticator subkey (usage [`USAGE_TGS_REP_SUBKEY`]); with FAST, in that
    /// reply key strengthened with the [`KrbFastResponse`]'s strengthen-key.
    pub enc_part: EncryptedData<'a>,
}

impl<'a> KdcRep<'a> {
    /// The padata (PA-ETYPE-INFO2 with the salt in an AS-REP...), if any.
    pub fn padata(&self) -> Option<PaDataList<'a>> {
        self.padata.map(PaDataList::new)
    }

    /// The FAST armored reply (a non-empty PA-FX-FAST, RFC 6113 5.4.3), if any: the
    /// [`KrbFastResponse`], encrypted in the armor key of the request.
    pub fn fast(&self) -> Option<Result<KrbFastArmoredRep<'a>>> {
        self.padata()?
            .find(PA_FX_FAST)
            .filter(|v| !v.is_empty())
            .map(parse_pa_fx_fast_reply)
    }
}

/// Parse an AS-REP (`[APPLICATION 11]`) or TGS-REP (`[APPLICATION 13]`).
pub fn parse_kdc_rep(msg: &[u8]) -> Result<KdcRep<'_>> {
    let (tag, n) = match msg.first() {
        Some(&TAG_AS_REP) => (TAG_AS_REP, 11),
        Some(&TAG_TGS_REP) => (TAG_TGS_REP, 13),
        _ => return Err(invalid("not an AS-REP or TGS-REP")),
    };
    let f = Fields::of(msg, tag, "not an AS-REP or TGS-REP")?;
    check_pvno(&f, 0)?;
    check_msg_type(&f, 1, &[i64::from(n)])?;
    Ok(KdcRep {
        msg_type: n,
        padata: f.get(2).map(padata_seq).transpose()?,
        crealm: string(f.req(3, "KDC-REP without crealm")?)?,
        cname: PrincipalName::parse(f.req(4, "KDC-REP without cname")?)?,
        ticket: Ticket::parse(f.req(5, "KDC-REP without ticket")?)?,
        enc_part: EncryptedData::parse(f.req(6, "KDC-REP without enc-part")?)?,
    })
}

/// EncTicketPart (RFC 4120 5.3): the decrypted `enc-part` of a [`Ticket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncTicketPart<'a> {
    /// TicketFlags.
    pub flags: u32,
    /// The ticket session key.
    pub key: EncryptionKey<'a>,
    /// The client realm.
    pub crealm: &'a [u8],
    /// The client name.
    pub cname: PrincipalName<'a>,
}

/// Parse a decrypted EncTicketPart (`[APPLICATION 3]`; bytes after it are ignored).
pub fn parse_enc_ticket_part(plain: &[u8]) -> Result<EncTicketPart<'_>> {
    let f = Fields::of(plain, TAG_ENC_TICKET_PART, "not an EncTicketPart")?;
    Ok(EncTicketPart {
        flags: flags(f.req(0, "EncTicketPart without flags")?)?,
        key: EncryptionKey::parse(f.req(1, "EncTicketPart without key")?)?,
        crealm: string(f.req(2, "EncTicketPart without crealm")?)?,
        cname: PrincipalName::parse(f.req(3, "EncTicketPart without cname")?)?,
    })
}

/// Authenticator (RFC 4120 5.5.1): the decrypted `authenticator` of an [`ApReq`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticator<'a> {
    /// The client realm.
    pub crealm: &'a [u8],
    /// The client name.
    pub cname: PrincipalName<'a>,
    /// The client's subkey, if it chose one.
    pub subkey: Option<EncryptionKey<'a>>,
    /// The initial sequence number, if given.
    pub seq_number: Option<u32>,
}

/// Parse a decrypted Authenticator (`[APPLICATION 2]`).
pub fn parse_authenticator(plain: &[u8]) -> Result<Authenticator<'_>> {
    let f = Fields::of(plain, TAG_AUTHENTICATOR, "not an Authenticator")?;
    check_pvno(&f, 0)?;
    Ok(Authenticator {
        crealm: string(f.req(1, "Authenticator without crealm")?)?,
        cname: PrincipalName::parse(f.req(2, "Authenticator without cname")?)?,
        subkey: f.get(6).map(EncryptionKey::parse).transpose()?,
        seq_number: f.get(7).map(uint32).transpose()?,
    })
}

/// EncAPRepPart (RFC 4120 5.5.2): the decrypted `enc-part` of an [`ApRep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncApRepPart<'a> {
    /// The server's subkey, if it chose one.
    pub subkey: Option<EncryptionKey<'a>>,
    /// The initial sequence number, if given.
    pub seq_number: Option<u32>,
}

/// Parse a decrypted EncAPRepPart (`[APPLICATION 27]`).
pub fn parse_enc_ap_rep_part(plain: &[u8]) -> Result<EncApRepPart<'_>> {
    let f = Fields::of(plain, TAG_ENC_AP_REP_PART, "not an EncAPRepPart")?;
    Ok(EncApRepPart {
        subkey: f.get(2).map(EncryptionKey::parse).transpose()?,
        seq_number: f.get(3).map(uint32).transpose()?,
    })
}

/// EncKDCRepPart (RFC 4120 5.4.2): the decrypted `enc-part` of a [`KdcRep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncKdcRepPart<'a> {
    /// The session key of the ticket issued.
    pub key: EncryptionKey<'a>,
    /// The nonce of the request.
    pub nonce: u32,
    /// The service realm.
    pub srealm: &'a [u8],
    /// The service name.
    pub sname: PrincipalName<'a>,
}

/// Parse a decrypted EncASRepPart (`[APPLICATION 25]`) or EncTGSRepPart
/// (`[APPLICATION 26]`): either tag is taken for either reply, as RFC 4120 5.4.2 allows
/// (some KDCs send EncTGSRepPart in an AS-REP).
pub fn parse_enc_kdc_rep_part(plain: &[u8]) -> Result<EncKdcRepPart<'_>> {
    let tag = match plain.first() {
        Some(&TAG_ENC_AS_REP_PART) => TAG_ENC_AS_REP_PART,
        _ => TAG_ENC_TGS_REP_PART,
    };
    let f = Fields::of(plain, tag, "not an EncASRepPart or EncTGSRepPart")?;
    Ok(EncKdcRepPart {
        key: EncryptionKey::parse(f.req(0, "EncKDCRepPart without key")?)?,
        nonce: uint32(f.req(2, "EncKDCRepPart without nonce")?)?,
        srealm: string(f.req(9, "EncKDCRepPart without srealm")?)?,
        sname: PrincipalName::parse(f.req(10, "EncKDCRepPart without sname")?)?,
    })
}

// ---- FAST (RFC 6113 5.4) ----

/// KrbFastArmor (RFC 6113 5.4.1): what the armor key is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastArmor<'a> {
    /// armor-type ([`FX_FAST_ARMOR_AP_REQUEST`] is the only one defined).
    pub armor_type: i32,
    /// armor-value: for [`FX_FAST_ARMOR_AP_REQUEST`], an AP-REQ.
    pub armor_value: &'a [u8],
}

impl<'a> KrbFastArmor<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_SEQUENCE, "KrbFastArmor is not a SEQUENCE")?;
        Ok(KrbFastArmor {
            armor_type: int32(f.req(0, "KrbFastArmor without armor-type")?)?,
            armor_value: octets(f.req(1, "KrbFastArmor without armor-value")?)?,
        })
    }

    /// The AP-REQ of an [`FX_FAST_ARMOR_AP_REQUEST`] armor: its ticket (a TGT, of the
    /// machine for Windows' compound identity) and its authenticator (usage
    /// [`USAGE_AP_REQ_AUTHENTICATOR`]) with the subkey that, with the ticket session key,
    /// makes the armor key.
    pub fn ap_req(&self) -> Result<ApReq<'a>> {
        if self.armor_type != FX_FAST_ARMOR_AP_REQUEST {
            return Err(invalid("FAST armor is not FX_FAST_ARMOR_AP_REQUEST"));
        }
        parse_ap_req(self.armor_value)
    }
}

/// KrbFastArmoredReq (RFC 6113 5.4.2), the value of a request's PA-FX-FAST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastArmoredReq<'a> {
    /// The explicit armor; absent in a TGS-REQ armored with its own PA-TGS-REQ (implicit
    /// armor: the armor key comes from the TGT session key and the authenticator subkey).
    pub armor: Option<KrbFastArmor<'a>>,
    /// The KrbFastReq, encrypted in the armor key (usage [`USAGE_FAST_ENC`]).
    pub enc_fast_req: EncryptedData<'a>,
}

/// Parse the value of a request's PA-FX-FAST:
/// `PA-FX-FAST-REQUEST ::= CHOICE { armored-data [0] KrbFastArmoredReq }`.
pub fn parse_pa_fx_fast_request(value: &[u8]) -> Result<KrbFastArmoredReq<'_>> {
    let choice = tagged(value, der::context(0))?;
    let f = Fields::of(choice, TAG_SEQUENCE, "KrbFastArmoredReq is not a SEQUENCE")?;
    Ok(KrbFastArmoredReq {
        armor: f.get(0).map(KrbFastArmor::parse).transpose()?,
        enc_fast_req: EncryptedData::parse(f.req(2, "KrbFastArmoredReq without enc-fast-req")?)?,
    })
}

/// KrbFastArmoredRep (RFC 6113 5.4.3), the value of a reply's PA-FX-FAST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastArmoredRep<'a> {
    /// The KrbFastResponse, encrypted in the armor key (usage [`USAGE_FAST_REP`]).
    pub enc_fast_rep: EncryptedData<'a>,
}

/// Parse the value of a reply's PA-FX-FAST:
/// `PA-FX-FAST-REPLY ::= CHOICE { armored-data [0] KrbFastArmoredRep }`.
pub fn parse_pa_fx_fast_reply(value: &[u8]) -> Result<KrbFastArmoredRep<'_>> {
    let choice = tagged(value, der::context(0))?;
    let f = Fields::of(choice, TAG_SEQUENCE, "KrbFastArmoredRep is not a SEQUENCE")?;
    Ok(KrbFastArmoredRep {
        enc_fast_rep: EncryptedData::parse(f.req(0, "KrbFastArmoredRep without enc-fast-rep")?)?,
    })
}

/// KrbFastReq (RFC 6113 5.4.2): the decrypted `enc-fast-req`, the request the KDC acts
/// on (its req-body replaces the outer one, which may hide the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastReq<'a> {
    /// FastOptions (bit 1 hide-client-names = 0x4000_0000).
    pub fast_options: u32,
    padata: &'a [u8],
    /// cname of the req-body (AS-REQ only).
    pub cname: Option<PrincipalName<'a>>,
    /// realm of the req-body.
    pub realm: &'a [u8],
    /// sname of the req-body, if given.
    pub sname: Option<PrincipalName<'a>>,
    /// nonce of the req-body.
    pub nonce: u32,
}

impl<'a> KrbFastReq<'a> {
    /// The padata of the FAST request.
    pub fn padata(&self) -> PaDataList<'a> {
        PaDataList::new(self.padata)
    }
}

/// Parse a decrypted KrbFastReq (a SEQUENCE).
pub fn parse_krb_fast_req(plain: &[u8]) -> Result<KrbFastReq<'_>> {
    let f = Fields::of(plain, TAG_SEQUENCE, "KrbFastReq is not a SEQUENCE")?;
    let body = ReqBody::parse(f.req(2, "KrbFastReq without req-body")?)?;
    Ok(KrbFastReq {
        fast_options: flags(f.req(0, "KrbFastReq without fast-options")?)?,
        padata: padata_seq(f.req(1, "KrbFastReq without padata")?)?,
        cname: body.cname,
        realm: body.realm,
        sname: body.sname,
        nonce: body.nonce,
    })
}

/// KrbFastFinished (RFC 6113 5.4.3): the client the reply is for, when the outer reply
/// hides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastFinished<'a> {
    /// The client realm.
    pub crealm: &'a [u8],
    /// The client name.
    pub cname: PrincipalName<'a>,
}

impl<'a> KrbFastFinished<'a> {
    fn parse(field: &'a [u8]) -> Result<Self> {
        let f = Fields::of(field, TAG_SEQUENCE, "KrbFastFinished is not a SEQUENCE")?;
        Ok(KrbFastFinished {
            crealm: string(f.req(2, "KrbFastFinished without crealm")?)?,
            cname: PrincipalName::parse(f.req(3, "KrbFastFinished without cname")?)?,
        })
    }
}

/// KrbFastResponse (RFC 6113 5.4.3): the decrypted `enc-fast-rep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbFastResponse<'a> {
    padata: &'a [u8],
    /// The strengthen-key, if the KDC chose one: the reply key of the enc-part becomes
    /// KRB-FX-CF2(strengthen-key, reply key, "strengthenkey", "replykey").
    pub strengthen_key: Option<EncryptionKey<'a>>,
    /// finished (present in the final reply).
    pub finished: Option<KrbFastFinished<'a>>,
    /// The nonce of the request.
    pub nonce: u32,
}

impl<'a> KrbFastResponse<'a> {
    /// The padata of the FAST reply (those the outer reply would carry).
    pub fn padata(&self) -> PaDataList<'a> {
        PaDataList::new(self.padata)
    }
}

/// Parse a decrypted KrbFastResponse (a SEQUENCE).
pub fn parse_krb_fast_response(plain: &[u8]) -> Result<KrbFastResponse<'_>> {
    let f = Fields::of(plain, TAG_SEQUENCE, "KrbFastResponse is not a SEQUENCE")?;
    Ok(KrbFastResponse {
        padata: padata_seq(f.req(0, "KrbFastResponse without padata")?)?,
        strengthen_key: f.get(1).map(EncryptionKey::parse).transpose()?,
        finished: f.get(2).map(KrbFastFinished::parse).transpose()?,
        nonce: uint32(f.req(3, "KrbFastResponse without nonce")?)?,
    })
}

/// A Kerberos message carried as a GSS-API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Krb5Token<'a> {
    /// AP-REQ (the client's token).
    ApReq(ApReq<'a>),
    /// AP-REP (the server's answer when mutual authentication was asked).
    ApRep(ApRep<'a>),
    /// KRB-ERROR (the server refused the AP-REQ).
    Error(KrbError<'a>),
}

fn parse_message(msg: &[u8]) -> Result<Krb5Token<'_>> {
    match msg.first() {
        Some(&TAG_AP_REQ) => Ok(Krb5Token::ApReq(parse_ap_req(msg)?)),
        Some(&TAG_AP_REP) => Ok(Krb5Token::ApRep(parse_ap_rep(msg)?)),
        Some(&TAG_KRB_ERROR) => Ok(Krb5Token::Error(parse_krb_error(msg)?)),
        Some(_) => Err(invalid("not an AP-REQ, AP-REP or KRB-ERROR")),
        None => Err(Error::Truncated),
    }
}

/// Parse a Kerberos GSS-API token: `0x60 len { OID, TOK_ID, message }` (RFC 4121 4.1,
/// RFC 1964 1.1) with a Kerberos OID, or a bare AP-REQ / AP-REP / KRB-ERROR.
pub fn parse_gss_token(tok: &[u8]) -> Result<Krb5Token<'_>> {
    if tok.first() != Some(&TAG_GSS_APPLICATION) {
        return parse_message(tok);
    }
    let (_, outer) = der::parse_tlv(tok)?;
    let (inner, oid) = der::parse_tagged(TAG_OID)(outer.value)?;
    if Mech::from_oid(oid.value) != Mech::Kerberos {
        return Err(invalid("GSS-API token of another mechanism"));
    }
    let (tok_id, msg) = inner.split_at_checked(2).ok_or(Error::Truncated)?;
    let token = parse_message(msg)?;
    let expected = match token {
        Krb5Token::ApReq(_) => TOK_ID_AP_REQ,
        Krb5Token::ApRep(_) => TOK_ID_AP_REP,
        Krb5Token::Error(_) => TOK_ID_KRB_ERROR,
    };
    if tok_id != expected {
        return Err(invalid("TOK_ID does not match the Kerberos message"));
    }
    Ok(token)
}

/// The Kerberos token of an SMB security buffer: the SPNEGO mechToken (negTokenInit)
/// or responseToken (negTokenResp), or the blob itself when it is a raw Kerberos
/// GSS-API token or a bare AP-REQ / AP-REP / KRB-ERROR. `Ok(None)` when the blob
/// carries none (empty, NTLMSSP, no token, another mechanism); `Err` when the blob or
/// its Kerberos token is malformed.
pub fn find_token(blob: &[u8]) -> Result<Option<Krb5Token<'_>>> {
    if blob.is_empty() {
        return Ok(None);
    }
    let tok = match spnego::parse_token(blob) {
        Ok(Token::Init(init)) => init.mech_token,
        Ok(Token::Resp(resp)) => resp.response_token,
        Ok(Token::Gss { mech, .. }) if Mech::from_oid(mech) == Mech::Kerberos => Some(blob),
        Ok(Token::Gss { .. } | Token::RawNtlmssp(_)) => None,
        Err(e) => match blob.first() {
            Some(&(TAG_AP_REQ | TAG_AP_REP | TAG_KRB_ERROR)) => Some(blob),
            _ => return Err(e),
        },
    };
    let Some(tok) = tok else { return Ok(None) };
    let is_krb5 = match tok.first() {
        Some(&TAG_GSS_APPLICATION) => der::parse_tlv(tok)
            .ok()
            .and_then(|(_, t)| der::parse_tagged(TAG_OID)(t.value).ok())
            .is_some_and(|(_, oid)| Mech::from_oid(oid.value) == Mech::Kerberos),
        Some(&(TAG_AP_REQ | TAG_AP_REP | TAG_KRB_ERROR)) => true,
        _ => false,
    };
    if is_krb5 {
        parse_gss_token(tok).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_uint32_is_the_upper_half() {
        // INTEGER -2 (MIT's encoding of the sequence number 0xFFFFFFFE) and 2^31 + 5.
        assert_eq!(uint32(&[0x02, 0x01, 0xfe]).ok(), Some(0xffff_fffe));
        assert_eq!(
            uint32(&[0x02, 0x05, 0x00, 0x80, 0, 0, 5]).ok(),
            Some(0x8000_0005)
        );
        assert!(uint32(&[0x02, 0x05, 0x01, 0, 0, 0, 0]).is_err());
        assert!(uint32(&[0x02, 0x05, 0xff, 0x7f, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn etype_info2_and_method_data() {
        // METHOD-DATA { PA-DATA { 19, ETYPE-INFO2 { {18, "EXAMPLE.COMuser", 00001000} } } }
        let entry: &[u8] = &[
            0x30, 0x22, 0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x11, 0x1b, 0x0f, b'E', b'X', b'A',
            b'M', b'P', b'L', b'E', b'.', b'C', b'O', b'M', b'u', b's', b'e', b'r', 0xa2, 0x08,
            0x04, 0x06, 0, 0, 0x10, 0, 0, 0,
        ];
        let mut info = vec![0x30, entry.len() as u8];
        info.extend_from_slice(entry);
        let mut pa = vec![
            0xa1,
            0x03,
            0x02,
            0x01,
            0x13,
            0xa2,
            info.len() as u8 + 2,
            0x04,
        ];
        pa.push(info.len() as u8);
        pa.extend_from_slice(&info);
        let mut md = vec![0x30, pa.len() as u8 + 2, 0x30, pa.len() as u8];
        md.extend_from_slice(&pa);
        let value = parse_method_data(&md)
            .unwrap()
            .find(PA_ETYPE_INFO2)
            .unwrap();
        let e: Vec<_> = parse_etype_info2(value).unwrap().collect();
        assert_eq!(
            e,
            [Ok(EtypeInfo2Entry {
                etype: 18,
                salt: Some(&b"EXAMPLE.COMuser"[..]),
                s2kparams: Some(&[0, 0, 0x10, 0, 0, 0][..]),
            })]
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        let k = EncryptionKey {
            keytype: 18,
            keyvalue: &[0xab; 32],
        };
        assert_eq!(
            format!("{k:?}"),
            "EncryptionKey(type 18, 32 bytes, <redacted>)"
        );
    }

    #[test]
    fn duplicate_fields_and_bad_pvno_are_refused() {
        // AP-REP { SEQUENCE { [0] 5, [0] 5 } }
        let dup = [
            0x6f, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x05,
        ];
        assert_eq!(
            parse_ap_rep(&dup),
            Err(Error::Invalid("a field appears twice"))
        );
        let pvno4 = [0x6f, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x04];
        assert_eq!(parse_ap_rep(&pvno4), Err(Error::Invalid("pvno is not 5")));
    }
}

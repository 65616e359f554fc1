//! The types every message uses (PrincipalName, EncryptedData, EncryptionKey, Ticket),
//! the AP exchange (AP-REQ, AP-REP) and the decrypted parts of its messages
//! (EncTicketPart, Authenticator, EncAPRepPart).

use core::fmt;

use super::fields::{
    Fields, check_msg_type, check_pvno, flags, int, int32, invalid, lossy, octets, string, tagged,
    uint32,
};
use super::{
    TAG_AP_REP, TAG_AP_REQ, TAG_AUTHENTICATOR, TAG_ENC_AP_REP_PART, TAG_ENC_TICKET_PART, TAG_TICKET,
};
use crate::der::{self, TAG_GENERAL_STRING, TAG_SEQUENCE};
use crate::error::Result;

/// PrincipalName (RFC 4120 5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalName<'a> {
    /// name-type (1 principal, 2 service and instance, ...).
    pub name_type: i32,
    strings: &'a [u8],
}

impl<'a> PrincipalName<'a> {
    pub(super) fn parse(field: &'a [u8]) -> Result<Self> {
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
    pub(super) fn parse(field: &'a [u8]) -> Result<Self> {
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
    pub(super) fn parse(field: &'a [u8]) -> Result<Self> {
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
    ///
    /// [`USAGE_TICKET`]: super::USAGE_TICKET
    pub enc_part: EncryptedData<'a>,
}

impl<'a> Ticket<'a> {
    pub(super) fn parse(field: &'a [u8]) -> Result<Self> {
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
    ///
    /// [`USAGE_AP_REQ_AUTHENTICATOR`]: super::USAGE_AP_REQ_AUTHENTICATOR
    /// [`USAGE_TGS_REQ_AUTHENTICATOR`]: super::USAGE_TGS_REQ_AUTHENTICATOR
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
    ///
    /// [`USAGE_AP_REP_ENC_PART`]: super::USAGE_AP_REP_ENC_PART
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

//! FAST (RFC 6113 5.4): the PA-FX-FAST of a request (armor and encrypted KrbFastReq)
//! and of a reply (encrypted KrbFastResponse), and their decrypted parts.

use super::FX_FAST_ARMOR_AP_REQUEST;
use super::fields::{Fields, flags, int32, invalid, octets, string, tagged, uint32};
use super::kdc::ReqBody;
use super::messages::{ApReq, EncryptedData, EncryptionKey, PrincipalName, parse_ap_req};
use super::padata::{PaDataList, padata_seq};
use crate::der::{self, TAG_SEQUENCE};
use crate::error::Result;

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
    ///
    /// [`USAGE_AP_REQ_AUTHENTICATOR`]: super::USAGE_AP_REQ_AUTHENTICATOR
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
    ///
    /// [`USAGE_FAST_ENC`]: super::USAGE_FAST_ENC
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
    ///
    /// [`USAGE_FAST_REP`]: super::USAGE_FAST_REP
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

//! The KDC exchanges: KRB-ERROR, AS-REQ / TGS-REQ, AS-REP / TGS-REP and the decrypted
//! EncKDCRepPart.

use super::fast::{
    KrbFastArmoredRep, KrbFastArmoredReq, parse_pa_fx_fast_reply, parse_pa_fx_fast_request,
};
use super::fields::{Fields, check_msg_type, check_pvno, int32, invalid, octets, string, uint32};
use super::messages::{ApReq, EncryptedData, EncryptionKey, PrincipalName, Ticket, parse_ap_req};
use super::padata::{PaDataList, padata_seq, parse_method_data};
use super::{
    PA_FX_FAST, PA_TGS_REQ, TAG_AS_REP, TAG_AS_REQ, TAG_ENC_AS_REP_PART, TAG_ENC_TGS_REP_PART,
    TAG_KRB_ERROR, TAG_TGS_REP, TAG_TGS_REQ,
};
use crate::der::TAG_SEQUENCE;
use crate::error::Result;

/// KRB-ERROR (RFC 4120 5.9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrbError<'a> {
    /// error-code (e.g. [`KDC_ERR_PREAUTH_REQUIRED`]).
    ///
    /// [`KDC_ERR_PREAUTH_REQUIRED`]: super::KDC_ERR_PREAUTH_REQUIRED
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
pub(super) struct ReqBody<'a> {
    pub(super) cname: Option<PrincipalName<'a>>,
    pub(super) realm: &'a [u8],
    pub(super) sname: Option<PrincipalName<'a>>,
    pub(super) nonce: u32,
}

impl<'a> ReqBody<'a> {
    pub(super) fn parse(field: &'a [u8]) -> Result<Self> {
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
    ///
    /// [`KrbFastFinished`]: super::KrbFastFinished
    pub cname: PrincipalName<'a>,
    /// The ticket issued.
    pub ticket: Ticket<'a>,
    /// The EncKDCRepPart: in the client key (AS-REP, usage [`USAGE_AS_REP_ENC_PART`]), in
    /// the TGT session key (TGS-REP, usage [`USAGE_TGS_REP_SESSION_KEY`]) or in the
    /// TGS-REQ authenticator subkey (usage [`USAGE_TGS_REP_SUBKEY`]); with FAST, in that
    /// reply key strengthened with the [`KrbFastResponse`]'s strengthen-key.
    ///
    /// [`KrbFastResponse`]: super::KrbFastResponse
    /// [`USAGE_AS_REP_ENC_PART`]: super::USAGE_AS_REP_ENC_PART
    /// [`USAGE_TGS_REP_SESSION_KEY`]: super::USAGE_TGS_REP_SESSION_KEY
    /// [`USAGE_TGS_REP_SUBKEY`]: super::USAGE_TGS_REP_SUBKEY
    pub enc_part: EncryptedData<'a>,
}

impl<'a> KdcRep<'a> {
    /// The padata (PA-ETYPE-INFO2 with the salt in an AS-REP...), if any.
    pub fn padata(&self) -> Option<PaDataList<'a>> {
        self.padata.map(PaDataList::new)
    }

    /// The FAST armored reply (a non-empty PA-FX-FAST, RFC 6113 5.4.3), if any: the
    /// [`KrbFastResponse`], encrypted in the armor key of the request.
    ///
    /// [`KrbFastResponse`]: super::KrbFastResponse
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

//! The GSS-API token around the AP exchange (RFC 4121 4.1) and the Kerberos token of an
//! SMB security blob.

use super::fields::invalid;
use super::kdc::{KrbError, parse_krb_error};
use super::messages::{ApRep, ApReq, parse_ap_rep, parse_ap_req};
use super::{
    TAG_AP_REP, TAG_AP_REQ, TAG_KRB_ERROR, TOK_ID_AP_REP, TOK_ID_AP_REQ, TOK_ID_KRB_ERROR,
};
use crate::der::{self, TAG_GSS_APPLICATION, TAG_OID};
use crate::error::{Error, Result};
use crate::spnego::{self, Mech, Token};

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
    let inner = unframe(tok)?;
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

/// The per-message token inside the RFC 1964 1.1 framing (`0x60 len { OID, token }`) of a
/// Kerberos GSS-API token, or the token itself when it has none (RFC 4121 4.2.6 tokens are
/// not framed).
pub fn unframe(tok: &[u8]) -> Result<&[u8]> {
    if tok.first() != Some(&TAG_GSS_APPLICATION) {
        return Ok(tok);
    }
    let (_, outer) = der::parse_tlv(tok)?;
    let (inner, oid) = der::parse_tagged(TAG_OID)(outer.value)?;
    if Mech::from_oid(oid.value) != Mech::Kerberos {
        return Err(invalid("GSS-API token of another mechanism"));
    }
    Ok(inner)
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

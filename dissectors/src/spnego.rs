//! SPNEGO (RFC 4178, MS-SPNG) inside the GSS-API framing (RFC 2743 3.1).
//!
//! A security blob in SMB is one of:
//! - `0x60 len { OID 1.3.6.1.5.5.2, NegotiationToken }`: the initial token, holding
//!   `[0] NegTokenInit` (or MS-SPNG NegTokenInit2 with `negHints`);
//! - a bare `NegotiationToken` choice: `[1] NegTokenResp` (subsequent tokens, RFC 4178
//!   4.2) or, rarely, `[0] NegTokenInit`;
//! - a raw NTLMSSP message (`"NTLMSSP\0"`, no SPNEGO at all) or a raw Kerberos GSS token.

use crate::der::{self, TAG_ENUMERATED, TAG_GSS_APPLICATION, TAG_OCTET_STRING, TAG_OID, Tlv};
use crate::error::{Error, Result};
use crate::ntlmssp::SIGNATURE as NTLMSSP_SIGNATURE;

/// DER contents of OID 1.3.6.1.5.5.2 (SPNEGO).
pub const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER contents of OID 1.3.6.1.4.1.311.2.2.10 (NTLMSSP).
pub const OID_NTLMSSP: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// DER contents of OID 1.2.840.113554.1.2.2 (Kerberos 5, RFC 4121).
pub const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER contents of OID 1.2.840.48018.1.2.2 (Microsoft's mistyped Kerberos 5 OID).
pub const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER contents of OID 1.2.840.113554.1.2.2.3 (Kerberos 5 user-to-user).
pub const OID_KRB5_U2U: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];
/// DER contents of OID 1.3.6.1.4.1.311.2.2.30 (NEGOEX).
pub const OID_NEGOEX: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];

/// negState values (RFC 4178 4.2.2).
pub const NEG_STATE_ACCEPT_COMPLETED: u8 = 0;
/// negState accept-incomplete.
pub const NEG_STATE_ACCEPT_INCOMPLETE: u8 = 1;

/// A security mechanism, from its OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// NTLMSSP.
    Ntlmssp,
    /// Kerberos 5 (standard or Microsoft OID, or user-to-user).
    Kerberos,
    /// NEGOEX.
    Negoex,
    /// SPNEGO itself (only as the outer GSS mech).
    Spnego,
    /// Anything else.
    Other,
}

impl Mech {
    /// Classify OID contents octets.
    pub fn from_oid(oid: &[u8]) -> Mech {
        match oid {
            OID_NTLMSSP => Mech::Ntlmssp,
            OID_KRB5 | OID_MS_KRB5 | OID_KRB5_U2U => Mech::Kerberos,
            OID_NEGOEX => Mech::Negoex,
            OID_SPNEGO => Mech::Spnego,
            _ => Mech::Other,
        }
    }
}

/// Iterator over the OIDs (contents octets) of a MechTypeList.
#[derive(Debug, Clone)]
pub struct MechTypes<'a> {
    inner: der::TlvIter<'a>,
}

impl<'a> Iterator for MechTypes<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            match self.inner.next()? {
                Ok(t) if t.tag == TAG_OID => return Some(t.value),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// NegTokenInit / NegTokenInit2 (RFC 4178 4.2.1, MS-SPNG 2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NegTokenInit<'a> {
    /// The DER encoding of the MechTypeList SEQUENCE (tag 0x30 included, the `[0]`
    /// wrapper excluded): mechListMIC is computed over exactly these bytes
    /// (RFC 4178 5 d).
    pub mech_types_der: Option<&'a [u8]>,
    /// reqFlags BIT STRING contents.
    pub req_flags: Option<&'a [u8]>,
    /// The optimistic mechanism token.
    pub mech_token: Option<&'a [u8]>,
    /// MS-SPNG negHints (raw contents), only in NegTokenInit2.
    pub neg_hints: Option<&'a [u8]>,
    /// mechListMIC.
    pub mech_list_mic: Option<&'a [u8]>,
}

impl<'a> NegTokenInit<'a> {
    /// The offered mechanisms, most preferred first.
    pub fn mech_types(&self) -> MechTypes<'a> {
        let contents = self
            .mech_types_der
            .and_then(|d| der::parse_tlv(d).ok())
            .map(|(_, t)| t.value)
            .unwrap_or(&[]);
        MechTypes {
            inner: der::TlvIter::new(contents),
        }
    }
    /// The first (preferred) mechanism.
    pub fn preferred_mech(&self) -> Option<Mech> {
        self.mech_types().next().map(Mech::from_oid)
    }
}

/// NegTokenResp (RFC 4178 4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NegTokenResp<'a> {
    /// negState (`NEG_STATE_*`).
    pub neg_state: Option<u8>,
    /// supportedMech OID contents.
    pub supported_mech: Option<&'a [u8]>,
    /// responseToken.
    pub response_token: Option<&'a [u8]>,
    /// mechListMIC.
    pub mech_list_mic: Option<&'a [u8]>,
}

/// A parsed security blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// SPNEGO NegTokenInit (with or without the GSS-API wrapper).
    Init(NegTokenInit<'a>),
    /// SPNEGO NegTokenResp.
    Resp(NegTokenResp<'a>),
    /// A raw NTLMSSP message.
    RawNtlmssp(&'a [u8]),
    /// A GSS-API initial context token for another mechanism (e.g. raw Kerberos): the
    /// mechanism OID and the inner token.
    Gss {
        /// Mechanism OID contents.
        mech: &'a [u8],
        /// Inner token bytes after the OID.
        inner: &'a [u8],
    },
}

fn octet_string(t: Tlv<'_>) -> Option<&[u8]> {
    let (_, o) = der::parse_tlv(t.value).ok()?;
    (o.tag == TAG_OCTET_STRING).then_some(o.value)
}

/// Parse the contents of a NegTokenInit SEQUENCE wrapper (`0x30 ...`).
pub fn parse_neg_token_init(seq: &[u8]) -> Result<NegTokenInit<'_>> {
    let (_, s) = der::parse_tagged(der::TAG_SEQUENCE)(seq)?;
    let mut out = NegTokenInit::default();
    for item in der::TlvIter::new(s.value) {
        let t = item?;
        match t.tag {
            0xa0 => {
                let (_, l) = der::parse_tagged(der::TAG_SEQUENCE)(t.value)?;
                out.mech_types_der = Some(l.raw);
            }
            0xa1 => {
                let (_, b) = der::parse_tlv(t.value)?;
                out.req_flags = Some(b.value);
            }
            0xa2 => out.mech_token = octet_string(t),
            // [3] is mechListMIC in RFC 4178 but negHints in MS-SPNG NegTokenInit2,
            // where mechListMIC moves to [4]: tell them apart by the inner type.
            0xa3 => match der::parse_tlv(t.value) {
                Ok((_, inner)) if inner.tag == TAG_OCTET_STRING => {
                    out.mech_list_mic = Some(inner.value)
                }
                Ok((_, inner)) => out.neg_hints = Some(inner.value),
                Err(e) => return Err(e.into()),
            },
            0xa4 => out.mech_list_mic = octet_string(t),
            _ => {}
        }
    }
    Ok(out)
}

/// Parse a NegTokenResp SEQUENCE (`0x30 ...`).
pub fn parse_neg_token_resp(seq: &[u8]) -> Result<NegTokenResp<'_>> {
    let (_, s) = der::parse_tagged(der::TAG_SEQUENCE)(seq)?;
    let mut out = NegTokenResp::default();
    for item in der::TlvIter::new(s.value) {
        let t = item?;
        match t.tag {
            0xa0 => {
                let (_, e) = der::parse_tagged(TAG_ENUMERATED)(t.value)?;
                out.neg_state = e.value.last().copied();
            }
            0xa1 => {
                let (_, o) = der::parse_tagged(TAG_OID)(t.value)?;
                out.supported_mech = Some(o.value);
            }
            0xa2 => out.response_token = octet_string(t),
            0xa3 => out.mech_list_mic = octet_string(t),
            _ => {}
        }
    }
    Ok(out)
}

/// Parse a security blob (see the module documentation for the accepted forms).
pub fn parse_token(blob: &[u8]) -> Result<Token<'_>> {
    if blob.starts_with(NTLMSSP_SIGNATURE) {
        return Ok(Token::RawNtlmssp(blob));
    }
    let (_, outer) = der::parse_tlv(blob)?;
    match outer.tag {
        TAG_GSS_APPLICATION => {
            let (inner, oid) = der::parse_tagged(TAG_OID)(outer.value)?;
            if oid.value != OID_SPNEGO {
                return Ok(Token::Gss {
                    mech: oid.value,
                    inner,
                });
            }
            let (_, choice) = der::parse_tlv(inner)?;
            match choice.tag {
                0xa0 => Ok(Token::Init(parse_neg_token_init(choice.value)?)),
                0xa1 => Ok(Token::Resp(parse_neg_token_resp(choice.value)?)),
                _ => Err(Error::Invalid("unknown NegotiationToken choice")),
            }
        }
        0xa0 => Ok(Token::Init(parse_neg_token_init(outer.value)?)),
        0xa1 => Ok(Token::Resp(parse_neg_token_resp(outer.value)?)),
        _ => Err(Error::Invalid("not a GSS-API/SPNEGO token")),
    }
}

/// The NTLMSSP message carried by a security blob, whether the blob is SPNEGO
/// (mechToken / responseToken) or a raw NTLMSSP message. `None` otherwise.
pub fn find_ntlmssp(blob: &[u8]) -> Option<&[u8]> {
    let inner = match parse_token(blob).ok()? {
        Token::RawNtlmssp(m) => return Some(m),
        Token::Init(init) => init.mech_token?,
        Token::Resp(resp) => resp.response_token?,
        Token::Gss { .. } => return None,
    };
    inner.starts_with(NTLMSSP_SIGNATURE).then_some(inner)
}

/// Which mechanism a security blob uses, as far as it tells: the NTLMSSP or Kerberos
/// token inside, the supported/preferred mech, or the raw token kind.
pub fn blob_mech(blob: &[u8]) -> Option<Mech> {
    match parse_token(blob).ok()? {
        Token::RawNtlmssp(_) => Some(Mech::Ntlmssp),
        Token::Gss { mech, .. } => Some(Mech::from_oid(mech)),
        Token::Init(init) => {
            if init
                .mech_token
                .is_some_and(|t| t.starts_with(NTLMSSP_SIGNATURE))
            {
                return Some(Mech::Ntlmssp);
            }
            if let Some(t) = init.mech_token {
                if let Ok(Token::Gss { mech, .. }) = parse_token(t) {
                    return Some(Mech::from_oid(mech));
                }
            }
            init.preferred_mech()
        }
        Token::Resp(resp) => {
            if resp
                .response_token
                .is_some_and(|t| t.starts_with(NTLMSSP_SIGNATURE))
            {
                return Some(Mech::Ntlmssp);
            }
            resp.supported_mech.map(Mech::from_oid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ntlmssp_passthrough() {
        let m = b"NTLMSSP\0\x01\0\0\0";
        assert_eq!(find_ntlmssp(m), Some(&m[..]));
        assert_eq!(blob_mech(m), Some(Mech::Ntlmssp));
        assert_eq!(find_ntlmssp(b"garbage"), None);
        assert_eq!(find_ntlmssp(b""), None);
    }
}

//! SMB_COM_NEGOTIATE: the request's dialect strings and the response's three forms
//! (MS-CIFS 2.2.4.52), with the SecurityMode and Capabilities bits.

use super::strings::ByteCursor;
use super::{Block, Header, SmbString};
use crate::error::{Error, Result};
use crate::util::{self, array, u8_, u16_, u32_, u64_};

// SecurityMode (2.2.4.52.2)
/// NEGOTIATE_SECURITY_SIGNATURES_ENABLED.
pub const NEGOTIATE_SECURITY_SIGNATURES_ENABLED: u16 = 0x04;
/// NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
pub const NEGOTIATE_SECURITY_SIGNATURES_REQUIRED: u16 = 0x08;

// Capabilities (2.2.4.52.2, MS-SMB 2.2.4.5.2)
/// CAP_EXTENDED_SECURITY.
pub const CAP_EXTENDED_SECURITY: u32 = 0x8000_0000;

/// NEGOTIATE request (2.2.4.52.1): the dialect strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// The raw byte block.
    pub raw: &'a [u8],
}

impl<'a> NegotiateRequest<'a> {
    /// The dialect names, in order (their index is what the response names).
    pub fn dialects(&self) -> Dialects<'a> {
        Dialects { rest: self.raw }
    }
}

/// Iterator over NEGOTIATE dialect strings (`0x02` + NUL-terminated OEM string).
#[derive(Debug, Clone)]
pub struct Dialects<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Dialects<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&fmt, after) = self.rest.split_first()?;
        if fmt != 0x02 {
            self.rest = &[];
            return None;
        }
        let (s, rest) = util::split_z(after);
        self.rest = rest;
        Some(s)
    }
}

/// Parse a NEGOTIATE request block.
pub fn parse_negotiate_request<'a>(b: &Block<'a>) -> Result<NegotiateRequest<'a>> {
    if b.word_count != 0 {
        return Err(Error::Invalid("NEGOTIATE request with words"));
    }
    Ok(NegotiateRequest { raw: b.bytes })
}

/// NEGOTIATE response, any of the forms distinguished by WordCount (MS-CIFS 2.2.4.52.2):
/// 17 for NT LM 0.12, 13 for LANMAN, 1 for the core protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateResponse<'a> {
    /// WordCount (17, 13 or 1).
    pub word_count: u8,
    /// DialectIndex (0xFFFF: none acceptable).
    pub dialect_index: u16,
    /// SecurityMode (`NEGOTIATE_*`).
    pub security_mode: u16,
    /// MaxMpxCount.
    pub max_mpx_count: u16,
    /// MaxNumberVcs.
    pub max_number_vcs: u16,
    /// MaxBufferSize.
    pub max_buffer_size: u32,
    /// SessionKey.
    pub session_key: u32,
    /// Capabilities (`CAP_*`; 0 before NT LM 0.12).
    pub capabilities: u32,
    /// SystemTime (FILETIME; NT form only).
    pub system_time: u64,
    /// ServerTimeZone (minutes from UTC).
    pub server_time_zone: i16,
    /// The challenge (EncryptionKey), when 8 bytes long and not extended security.
    pub challenge: Option<[u8; 8]>,
    /// ServerGUID (extended security).
    pub server_guid: Option<[u8; 16]>,
    /// SecurityBlob (extended security; may be empty for raw NTLMSSP).
    pub security_blob: &'a [u8],
    /// DomainName (non-extended).
    pub domain_name: SmbString<'a>,
    /// ServerName (non-extended, NT form).
    pub server_name: SmbString<'a>,
}

impl NegotiateResponse<'_> {
    /// CAP_EXTENDED_SECURITY.
    pub fn is_extended_security(&self) -> bool {
        self.capabilities & CAP_EXTENDED_SECURITY != 0
    }
    /// NEGOTIATE_SECURITY_SIGNATURES_ENABLED.
    pub fn signing_enabled(&self) -> bool {
        self.security_mode & NEGOTIATE_SECURITY_SIGNATURES_ENABLED != 0
    }
    /// NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
    pub fn signing_required(&self) -> bool {
        self.security_mode & NEGOTIATE_SECURITY_SIGNATURES_REQUIRED != 0
    }
}

/// Parse a NEGOTIATE response block (`h` gives the string encoding).
pub fn parse_negotiate_response<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<NegotiateResponse<'a>> {
    let w = b.words;
    let mut out = NegotiateResponse {
        word_count: b.word_count,
        dialect_index: 0,
        security_mode: 0,
        max_mpx_count: 0,
        max_number_vcs: 0,
        max_buffer_size: 0,
        session_key: 0,
        capabilities: 0,
        system_time: 0,
        server_time_zone: 0,
        challenge: None,
        server_guid: None,
        security_blob: &[],
        domain_name: SmbString::default(),
        server_name: SmbString::default(),
    };
    match b.word_count {
        17 => {
            let (i, dialect_index) = u16_(w)?;
            let (i, security_mode) = u8_(i)?;
            let (i, max_mpx_count) = u16_(i)?;
            let (i, max_number_vcs) = u16_(i)?;
            let (i, max_buffer_size) = u32_(i)?;
            let (i, _max_raw_size) = u32_(i)?;
            let (i, session_key) = u32_(i)?;
            let (i, capabilities) = u32_(i)?;
            let (i, system_time) = u64_(i)?;
            let (i, tz) = u16_(i)?;
            let (_, challenge_length) = u8_(i)?;
            out.dialect_index = dialect_index;
            out.security_mode = security_mode.into();
            out.max_mpx_count = max_mpx_count;
            out.max_number_vcs = max_number_vcs;
            out.max_buffer_size = max_buffer_size;
            out.session_key = session_key;
            out.capabilities = capabilities;
            out.system_time = system_time;
            out.server_time_zone = tz as i16;
            if capabilities & CAP_EXTENDED_SECURITY != 0 {
                let (blob, guid) = array::<16>(b.bytes)?;
                out.server_guid = Some(guid);
                out.security_blob = blob;
            } else {
                let mut c = ByteCursor::new(b, h.is_unicode());
                let ch = c.take(challenge_length.into())?;
                out.challenge = ch.try_into().ok();
                // MS-CIFS 2.2.4.52.2: DomainName and ServerName directly follow the
                // challenge, without the usual Unicode alignment pad
                out.domain_name = c.string_unaligned();
                out.server_name = c.string_unaligned();
            }
        }
        13 => {
            let (i, dialect_index) = u16_(w)?;
            let (i, security_mode) = u16_(i)?;
            let (i, max_buffer_size) = u16_(i)?;
            let (i, max_mpx_count) = u16_(i)?;
            let (i, max_number_vcs) = u16_(i)?;
            let (i, _raw_mode) = u16_(i)?;
            let (i, session_key) = u32_(i)?;
            let (i, _time) = u16_(i)?;
            let (i, _date) = u16_(i)?;
            let (i, tz) = u16_(i)?;
            let (_, challenge_length) = u16_(i)?;
            out.dialect_index = dialect_index;
            out.security_mode = security_mode;
            out.max_buffer_size = max_buffer_size.into();
            out.max_mpx_count = max_mpx_count;
            out.max_number_vcs = max_number_vcs;
            out.session_key = session_key;
            out.server_time_zone = tz as i16;
            let mut c = ByteCursor::new(b, false);
            let ch = c.take(challenge_length.into())?;
            out.challenge = ch.try_into().ok();
            out.domain_name = c.oem_string();
        }
        1 => {
            let (_, dialect_index) = u16_(w)?;
            out.dialect_index = dialect_index;
        }
        _ => return Err(Error::Invalid("unexpected NEGOTIATE response WordCount")),
    }
    Ok(out)
}

//! NTLMSSP messages (MS-NLMP 2.2).
//!
//! Variable fields are `(Len, MaxLen, BufferOffset)` descriptors (MS-NLMP 2.2.1) whose
//! offsets count from the start of the message; every one is bounds-checked here.

use crate::error::{Error, Result};
use crate::util::{self, PResult, array, u16_, u32_, u64_};
use nom::Parser;
use nom::bytes::complete::tag;

/// `"NTLMSSP\0"`.
pub const SIGNATURE: &[u8] = b"NTLMSSP\0";

/// MessageType of NEGOTIATE_MESSAGE.
pub const NEGOTIATE: u32 = 1;
/// MessageType of CHALLENGE_MESSAGE.
pub const CHALLENGE: u32 = 2;
/// MessageType of AUTHENTICATE_MESSAGE.
pub const AUTHENTICATE: u32 = 3;

// NegotiateFlags (MS-NLMP 2.2.2.5)
/// NTLMSSP_NEGOTIATE_UNICODE (A).
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// NTLMSSP_NEGOTIATE_LM_KEY (G).
pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
/// NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED (K).
pub const NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
/// NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED (L).
pub const NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
/// NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (P).
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// NTLMSSP_REQUEST_NON_NT_SESSION_KEY (R).
pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
/// NTLMSSP_NEGOTIATE_TARGET_INFO (S).
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// NTLMSSP_NEGOTIATE_VERSION (T).
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// NTLMSSP_NEGOTIATE_KEY_EXCH (V).
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;

// AV_PAIR ids (MS-NLMP 2.2.2.1)
/// MsvAvEOL.
pub const AV_EOL: u16 = 0;
/// MsvAvNbComputerName.
pub const AV_NB_COMPUTER_NAME: u16 = 1;
/// MsvAvNbDomainName.
pub const AV_NB_DOMAIN_NAME: u16 = 2;
/// MsvAvDnsComputerName.
pub const AV_DNS_COMPUTER_NAME: u16 = 3;
/// MsvAvDnsDomainName.
pub const AV_DNS_DOMAIN_NAME: u16 = 4;
/// MsvAvFlags.
pub const AV_FLAGS: u16 = 6;
/// MsvAvTimestamp.
pub const AV_TIMESTAMP: u16 = 7;
/// MsvAvTargetName.
pub const AV_TARGET_NAME: u16 = 9;
/// MsvAvChannelBindings.
pub const AV_CHANNEL_BINDINGS: u16 = 10;

/// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
pub const AV_FLAG_MIC_PRESENT: u32 = 0x2;

/// Byte offset of the MIC in an AUTHENTICATE message (MS-NLMP 2.2.1.3).
pub const AUTHENTICATE_MIC_OFFSET: usize = 72;

/// A `(Len, MaxLen, BufferOffset)` field descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldDesc {
    /// Len.
    pub len: u16,
    /// MaxLen.
    pub max_len: u16,
    /// BufferOffset from the start of the message.
    pub offset: u32,
}

impl FieldDesc {
    /// The bytes it points to, bounds-checked against `msg`.
    pub fn resolve<'a>(&self, msg: &'a [u8]) -> Result<&'a [u8]> {
        util::buffer(msg, self.offset as usize, self.len as usize)
    }
}

fn field_desc(i: &[u8]) -> PResult<'_, FieldDesc> {
    let (i, len) = u16_(i)?;
    let (i, max_len) = u16_(i)?;
    let (i, offset) = u32_(i)?;
    Ok((
        i,
        FieldDesc {
            len,
            max_len,
            offset,
        },
    ))
}

/// The VERSION structure (MS-NLMP 2.2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Version {
    /// ProductMajorVersion.
    pub major: u8,
    /// ProductMinorVersion.
    pub minor: u8,
    /// ProductBuild.
    pub build: u16,
    /// NTLMRevisionCurrent (15 for NTLMSSP_REVISION_W2K3).
    pub ntlm_revision: u8,
}

impl Version {
    fn from_bytes(b: &[u8; 8]) -> Self {
        Version {
            major: b[0],
            minor: b[1],
            build: u16::from_le_bytes([b[2], b[3]]),
            ntlm_revision: b[7],
        }
    }
}

/// A string field of an NTLMSSP message, with the encoding given by the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtlmString<'a> {
    /// Raw bytes as on the wire.
    pub raw: &'a [u8],
    /// True when UTF-16LE (NTLMSSP_NEGOTIATE_UNICODE), else OEM.
    pub unicode: bool,
}

impl NtlmString<'_> {
    /// Decoded text (lossy, bounded).
    pub fn to_string_lossy(&self) -> String {
        decode_string(self.raw, self.unicode)
    }
}

/// Decode an NTLMSSP string: UTF-16LE when `unicode`, else OEM (lossy, bounded).
pub fn decode_string(raw: &[u8], unicode: bool) -> String {
    if unicode {
        util::utf16le_lossy(raw)
    } else {
        util::oem_lossy(raw)
    }
}

/// Which message a buffer holds, with its parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// NEGOTIATE_MESSAGE.
    Negotiate(Negotiate<'a>),
    /// CHALLENGE_MESSAGE.
    Challenge(Challenge<'a>),
    /// AUTHENTICATE_MESSAGE.
    Authenticate(Authenticate<'a>),
}

/// Parse any NTLMSSP message.
pub fn parse_message(msg: &[u8]) -> Result<Message<'_>> {
    match message_type(msg)? {
        NEGOTIATE => parse_negotiate(msg).map(Message::Negotiate),
        CHALLENGE => parse_challenge(msg).map(Message::Challenge),
        AUTHENTICATE => parse_authenticate(msg).map(Message::Authenticate),
        _ => Err(Error::Invalid("unknown NTLMSSP message type")),
    }
}

/// The MessageType of an NTLMSSP message (checks the signature).
pub fn message_type(msg: &[u8]) -> Result<u32> {
    let (i, _) = tag(SIGNATURE).parse(msg).map_err(Error::from)?;
    let (_, t) = u32_(i)?;
    Ok(t)
}

fn header(msg: &[u8], expect: u32) -> Result<&[u8]> {
    let (i, _) = tag(SIGNATURE).parse(msg).map_err(Error::from)?;
    let (i, t) = u32_(i)?;
    if t != expect {
        return Err(Error::Invalid("unexpected NTLMSSP message type"));
    }
    Ok(i)
}

/// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiate<'a> {
    /// The whole message.
    pub raw: &'a [u8],
    /// NegotiateFlags.
    pub flags: u32,
    /// DomainName (OEM).
    pub domain: &'a [u8],
    /// Workstation (OEM).
    pub workstation: &'a [u8],
    /// Version when NTLMSSP_NEGOTIATE_VERSION.
    pub version: Option<Version>,
}

/// Parse a NEGOTIATE_MESSAGE. Old clients stop after the flags; the rest is optional.
pub fn parse_negotiate(msg: &[u8]) -> Result<Negotiate<'_>> {
    let i = header(msg, NEGOTIATE)?;
    let (i, flags) = u32_(i)?;
    let mut out = Negotiate {
        raw: msg,
        flags,
        domain: &[],
        workstation: &[],
        version: None,
    };
    let Ok((i, dom)) = field_desc(i) else {
        return Ok(out);
    };
    let Ok((i, ws)) = field_desc(i) else {
        return Ok(out);
    };
    // Domain/workstation are only meaningful with the *_SUPPLIED flags; tolerate bad
    // descriptors when the flag is clear.
    out.domain = match dom.resolve(msg) {
        Ok(b) => b,
        Err(e) if flags & NEGOTIATE_OEM_DOMAIN_SUPPLIED != 0 => return Err(e),
        Err(_) => &[],
    };
    out.workstation = match ws.resolve(msg) {
        Ok(b) => b,
        Err(e) if flags & NEGOTIATE_OEM_WORKSTATION_SUPPLIED != 0 => return Err(e),
        Err(_) => &[],
    };
    if flags & NEGOTIATE_VERSION != 0 {
        if let Ok((_, v)) = array::<8>(i) {
            out.version = Some(Version::from_bytes(&v));
        }
    }
    Ok(out)
}

/// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The whole message.
    pub raw: &'a [u8],
    /// TargetName.
    pub target_name: NtlmString<'a>,
    /// NegotiateFlags.
    pub flags: u32,
    /// ServerChallenge.
    pub server_challenge: [u8; 8],
    /// TargetInfo (raw AV_PAIR list); empty when absent.
    pub target_info: &'a [u8],
    /// Version when NTLMSSP_NEGOTIATE_VERSION and present.
    pub version: Option<Version>,
}

impl<'a> Challenge<'a> {
    /// The AV pairs of TargetInfo.
    pub fn av_pairs(&self) -> AvPairs<'a> {
        AvPairs::new(self.target_info)
    }
    /// TargetName decoded.
    pub fn target_name_string(&self) -> String {
        self.target_name.to_string_lossy()
    }
}

/// Parse a CHALLENGE_MESSAGE.
pub fn parse_challenge(msg: &[u8]) -> Result<Challenge<'_>> {
    let i = header(msg, CHALLENGE)?;
    let (i, tn) = field_desc(i)?;
    let (i, flags) = u32_(i)?;
    let (i, server_challenge) = array::<8>(i)?;
    let (i, _reserved) = array::<8>(i)?;
    // TargetInfoFields and Version are absent in very old servers' messages (32 bytes).
    let (i, ti) = match field_desc(i) {
        Ok((i, d)) => (i, Some(d)),
        Err(_) => (i, None),
    };
    let target_info = match ti {
        Some(d) => d.resolve(msg)?,
        None => &[],
    };
    let payload_start = [tn.offset, ti.map_or(u32::MAX, |d| d.offset)]
        .into_iter()
        .filter(|&o| o != 0)
        .min()
        .unwrap_or(u32::MAX);
    let version = if flags & NEGOTIATE_VERSION != 0 && payload_start >= 56 {
        array::<8>(i).ok().map(|(_, v)| Version::from_bytes(&v))
    } else {
        None
    };
    Ok(Challenge {
        raw: msg,
        target_name: NtlmString {
            raw: tn.resolve(msg)?,
            unicode: flags & NEGOTIATE_UNICODE != 0,
        },
        flags,
        server_challenge,
        target_info,
        version,
    })
}

/// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticate<'a> {
    /// The whole message.
    pub raw: &'a [u8],
    /// LmChallengeResponse.
    pub lm_response: &'a [u8],
    /// NtChallengeResponse.
    pub nt_response: &'a [u8],
    /// DomainName.
    pub domain: NtlmString<'a>,
    /// UserName.
    pub user: NtlmString<'a>,
    /// Workstation.
    pub workstation: NtlmString<'a>,
    /// EncryptedRandomSessionKey (empty when absent).
    pub encrypted_session_key: &'a [u8],
    /// NegotiateFlags (0 in the oldest form without them).
    pub flags: u32,
    /// Version, when the payload leaves room for it and NEGOTIATE_VERSION is set.
    pub version: Option<Version>,
    /// MIC, when the payload leaves room for Version + MIC (lowest payload offset >= 88).
    pub mic: Option<[u8; 16]>,
    /// Byte offset of the MIC within the message (zero these 16 bytes to recompute it).
    pub mic_offset: Option<usize>,
}

impl<'a> Authenticate<'a> {
    /// True for an anonymous authentication (MS-NLMP 3.2.5.1.2: empty user, and an
    /// NT response that is empty, with an LM response empty or a single zero byte).
    pub fn is_anonymous(&self) -> bool {
        self.user.raw.is_empty()
            && self.nt_response.is_empty()
            && (self.lm_response.is_empty() || self.lm_response == [0])
    }
    /// True when the NT response has the NTLMv2 form (longer than the 24-byte v1 form).
    pub fn is_ntlmv2(&self) -> bool {
        self.nt_response.len() > 24
    }
    /// The NTLMv2 response structure, when the NT response has that form.
    pub fn ntlmv2_response(&self) -> Option<Ntlmv2Response<'a>> {
        parse_ntlmv2_response(self.nt_response).ok()
    }
    /// UserName decoded.
    pub fn user_string(&self) -> String {
        self.user.to_string_lossy()
    }
    /// DomainName decoded.
    pub fn domain_string(&self) -> String {
        self.domain.to_string_lossy()
    }
    /// Workstation decoded.
    pub fn workstation_string(&self) -> String {
        self.workstation.to_string_lossy()
    }
}

/// Parse an AUTHENTICATE_MESSAGE.
pub fn parse_authenticate(msg: &[u8]) -> Result<Authenticate<'_>> {
    let i = header(msg, AUTHENTICATE)?;
    let (i, lm) = field_desc(i)?;
    let (i, nt) = field_desc(i)?;
    let (i, dom) = field_desc(i)?;
    let (i, user) = field_desc(i)?;
    let (i, ws) = field_desc(i)?;
    // EncryptedRandomSessionKeyFields and NegotiateFlags are missing in the oldest form;
    // decide by where the payload begins.
    let lowest = |d: &[FieldDesc]| {
        d.iter()
            .filter(|f| f.len != 0)
            .map(|f| f.offset as usize)
            .min()
            .unwrap_or(usize::MAX)
    };
    let mut descs = [lm, nt, dom, user, ws, FieldDesc::default()];
    let (i, key, flags) = if lowest(&descs) >= 64 {
        let (i, key) = field_desc(i)?;
        let (i, flags) = u32_(i)?;
        descs[5] = key;
        (i, Some(key), flags)
    } else {
        (i, None, 0)
    };
    let low = lowest(&descs);
    let version = if low >= 72 && flags & NEGOTIATE_VERSION != 0 {
        array::<8>(i).ok().map(|(_, v)| Version::from_bytes(&v))
    } else {
        None
    };
    let (mic, mic_offset) = if low >= AUTHENTICATE_MIC_OFFSET + 16 {
        match util::slice(msg, AUTHENTICATE_MIC_OFFSET, 16) {
            Some(b) => {
                let mut m = [0u8; 16];
                m.copy_from_slice(b);
                (Some(m), Some(AUTHENTICATE_MIC_OFFSET))
            }
            None => (None, None),
        }
    } else {
        (None, None)
    };
    let unicode = flags & NEGOTIATE_UNICODE != 0 || key.is_none();
    let s = |d: FieldDesc| -> Result<NtlmString<'_>> {
        Ok(NtlmString {
            raw: d.resolve(msg)?,
            unicode,
        })
    };
    Ok(Authenticate {
        raw: msg,
        lm_response: lm.resolve(msg)?,
        nt_response: nt.resolve(msg)?,
        domain: s(dom)?,
        user: s(user)?,
        workstation: s(ws)?,
        encrypted_session_key: match key {
            Some(k) => k.resolve(msg)?,
            None => &[],
        },
        flags,
        version,
        mic,
        mic_offset,
    })
}

/// One AV_PAIR (MS-NLMP 2.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvPair<'a> {
    /// AvId (`AV_*`).
    pub id: u16,
    /// Value bytes.
    pub value: &'a [u8],
}

impl AvPair<'_> {
    /// The value decoded as UTF-16LE (name-valued pairs).
    pub fn string(&self) -> String {
        util::utf16le_lossy(self.value)
    }
    /// The value as a u32 (MsvAvFlags).
    pub fn as_u32(&self) -> Option<u32> {
        let b: [u8; 4] = self.value.get(..4)?.try_into().ok()?;
        Some(u32::from_le_bytes(b))
    }
    /// The value as a u64 (MsvAvTimestamp, a FILETIME).
    pub fn as_u64(&self) -> Option<u64> {
        let b: [u8; 8] = self.value.get(..8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
}

/// Iterator over an AV_PAIR list; ends at MsvAvEOL, at the end of the buffer, or after
/// yielding one `Err` for a truncated pair.
#[derive(Debug, Clone)]
pub struct AvPairs<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> AvPairs<'a> {
    /// Iterate the pairs in `raw`.
    pub fn new(raw: &'a [u8]) -> Self {
        AvPairs {
            rest: raw,
            done: false,
        }
    }
    /// The first pair with id `id`.
    pub fn find(self, id: u16) -> Option<AvPair<'a>> {
        self.filter_map(|p| p.ok()).find(|p| p.id == id)
    }
}

impl<'a> Iterator for AvPairs<'a> {
    type Item = Result<AvPair<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let r: PResult<'a, AvPair<'a>> = (|i: &'a [u8]| {
            let (i, id) = u16_(i)?;
            let (i, len) = u16_(i)?;
            let (i, value) = util::bytes(i, len as usize)?;
            Ok((i, AvPair { id, value }))
        })(self.rest);
        match r {
            Ok((rest, p)) => {
                self.rest = rest;
                if p.id == AV_EOL {
                    self.done = true;
                    return None;
                }
                Some(Ok(p))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.into()))
            }
        }
    }
}

/// NTLMv2_RESPONSE (MS-NLMP 2.2.2.8) with its NTLMv2_CLIENT_CHALLENGE (2.2.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ntlmv2Response<'a> {
    /// NTProofStr (the HMAC over server challenge || blob).
    pub nt_proof_str: [u8; 16],
    /// The client challenge structure ("blob"), everything after NTProofStr.
    pub blob: &'a [u8],
    /// RespType (1).
    pub resp_type: u8,
    /// HiRespType (1).
    pub hi_resp_type: u8,
    /// TimeStamp (FILETIME).
    pub timestamp: u64,
    /// ChallengeFromClient.
    pub client_challenge: [u8; 8],
    /// AvPairs (raw; iterate with [`AvPairs::new`]).
    pub av_pairs: &'a [u8],
}

impl<'a> Ntlmv2Response<'a> {
    /// The AV pairs of the client challenge.
    pub fn av_pairs(&self) -> AvPairs<'a> {
        AvPairs::new(self.av_pairs)
    }
}

/// Parse an NTLMv2 NT response.
pub fn parse_ntlmv2_response(nt: &[u8]) -> Result<Ntlmv2Response<'_>> {
    if nt.len() <= 24 {
        return Err(Error::Invalid("not an NTLMv2 response"));
    }
    let (blob, nt_proof_str) = array::<16>(nt)?;
    let (i, resp_type) = util::u8_(blob)?;
    let (i, hi_resp_type) = util::u8_(i)?;
    let (i, _r1) = u16_(i)?;
    let (i, _r2) = u32_(i)?;
    let (i, timestamp) = u64_(i)?;
    let (i, client_challenge) = array::<8>(i)?;
    let (av_pairs, _r3) = u32_(i)?;
    Ok(Ntlmv2Response {
        nt_proof_str,
        blob,
        resp_type,
        hi_resp_type,
        timestamp,
        client_challenge,
        av_pairs,
    })
}

//! SMB_COM_SESSION_SETUP_ANDX (MS-CIFS 2.2.4.53, MS-SMB 2.2.4.6) and
//! SMB_COM_TREE_CONNECT_ANDX (MS-CIFS 2.2.4.55).

use super::message::parse_andx;
use super::strings::ByteCursor;
use super::{AndX, Block, Header, SmbString};
use crate::error::{Error, Result};
use crate::util::{u16_, u32_};

/// SESSION_SETUP_ANDX response Action bit: logged in as guest.
pub const ACTION_GUEST: u16 = 0x0001;

/// How a SESSION_SETUP_ANDX request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSetupAuth<'a> {
    /// Extended security (WordCount 12): a SPNEGO or raw NTLMSSP blob.
    ExtendedSecurity {
        /// SecurityBlob.
        security_blob: &'a [u8],
    },
    /// NT LM 0.12 without extended security (WordCount 13) or LANMAN (WordCount 10).
    Password {
        /// OEMPassword: the LM (or LMv2) response; the plaintext password when the
        /// server did not ask for encrypted passwords.
        lm_response: &'a [u8],
        /// UnicodePassword: the NT (NTLMv1 24-byte, or NTLMv2) response; empty for LANMAN.
        nt_response: &'a [u8],
        /// AccountName.
        account_name: SmbString<'a>,
        /// PrimaryDomain.
        primary_domain: SmbString<'a>,
    },
}

/// SESSION_SETUP_ANDX request (MS-CIFS 2.2.4.53.1, MS-SMB 2.2.4.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// MaxBufferSize.
    pub max_buffer_size: u16,
    /// MaxMpxCount.
    pub max_mpx_count: u16,
    /// VcNumber.
    pub vc_number: u16,
    /// SessionKey.
    pub session_key: u32,
    /// Capabilities (0 for LANMAN).
    pub capabilities: u32,
    /// The credentials.
    pub auth: SessionSetupAuth<'a>,
    /// NativeOS.
    pub native_os: SmbString<'a>,
    /// NativeLanMan.
    pub native_lanman: SmbString<'a>,
}

/// Parse a SESSION_SETUP_ANDX request block.
pub fn parse_session_setup_request<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<SessionSetupRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, max_buffer_size) = u16_(i)?;
    let (i, max_mpx_count) = u16_(i)?;
    let (i, vc_number) = u16_(i)?;
    let (i, session_key) = u32_(i)?;
    let unicode = h.is_unicode();
    let mut c = ByteCursor::new(b, unicode);
    let (capabilities, auth) = match b.word_count {
        12 => {
            let (i, blob_len) = u16_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (_, capabilities) = u32_(i)?;
            let security_blob = c.take(blob_len.into())?;
            (
                capabilities,
                SessionSetupAuth::ExtendedSecurity { security_blob },
            )
        }
        13 => {
            let (i, oem_len) = u16_(i)?;
            let (i, uni_len) = u16_(i)?;
            let (i, _reserved) = u32_(i)?;
            let (_, capabilities) = u32_(i)?;
            let lm_response = c.take(oem_len.into())?;
            let nt_response = c.take(uni_len.into())?;
            let account_name = c.string();
            let primary_domain = c.string();
            (
                capabilities,
                SessionSetupAuth::Password {
                    lm_response,
                    nt_response,
                    account_name,
                    primary_domain,
                },
            )
        }
        10 => {
            let (i, pw_len) = u16_(i)?;
            let (_, _reserved) = u32_(i)?;
            let lm_response = c.take(pw_len.into())?;
            let account_name = c.string();
            let primary_domain = c.string();
            (
                0,
                SessionSetupAuth::Password {
                    lm_response,
                    nt_response: &[],
                    account_name,
                    primary_domain,
                },
            )
        }
        _ => return Err(Error::Invalid("unexpected SESSION_SETUP_ANDX WordCount")),
    };
    let native_os = c.string();
    let native_lanman = c.string();
    Ok(SessionSetupRequest {
        andx,
        max_buffer_size,
        max_mpx_count,
        vc_number,
        session_key,
        capabilities,
        auth,
        native_os,
        native_lanman,
    })
}

/// SESSION_SETUP_ANDX response (MS-CIFS 2.2.4.53.2, MS-SMB 2.2.4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupResponse<'a> {
    /// AndX.
    pub andx: AndX,
    /// Action (`ACTION_GUEST`).
    pub action: u16,
    /// SecurityBlob (extended security form, WordCount 4).
    pub security_blob: &'a [u8],
    /// NativeOS.
    pub native_os: SmbString<'a>,
    /// NativeLanMan.
    pub native_lanman: SmbString<'a>,
    /// PrimaryDomain (empty when absent).
    pub primary_domain: SmbString<'a>,
}

impl SessionSetupResponse<'_> {
    /// Logged in as guest.
    pub fn is_guest(&self) -> bool {
        self.action & ACTION_GUEST != 0
    }
}

/// Parse a SESSION_SETUP_ANDX response block.
pub fn parse_session_setup_response<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<SessionSetupResponse<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, action) = u16_(i)?;
    let mut c = ByteCursor::new(b, h.is_unicode());
    let security_blob = match b.word_count {
        4 => {
            let (_, blob_len) = u16_(i)?;
            c.take(blob_len.into())?
        }
        3 => &[],
        _ => {
            return Err(Error::Invalid(
                "unexpected SESSION_SETUP_ANDX response WordCount",
            ));
        }
    };
    let native_os = c.string();
    let native_lanman = c.string();
    let primary_domain = c.string();
    Ok(SessionSetupResponse {
        andx,
        action,
        security_blob,
        native_os,
        native_lanman,
        primary_domain,
    })
}

/// TREE_CONNECT_ANDX request (2.2.4.55.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectRequest<'a> {
    /// AndX.
    pub andx: AndX,
    /// Flags.
    pub flags: u16,
    /// Password (share-level security).
    pub password: &'a [u8],
    /// Path (`\\server\share`).
    pub path: SmbString<'a>,
    /// Service (OEM: `"?????"`, `"A:"`, `"IPC"`...).
    pub service: SmbString<'a>,
}

/// Parse a TREE_CONNECT_ANDX request block.
pub fn parse_tree_connect_request<'a>(
    h: &Header<'_>,
    b: &Block<'a>,
) -> Result<TreeConnectRequest<'a>> {
    let (i, andx) = parse_andx(b.words)?;
    let (i, flags) = u16_(i)?;
    let (_, pw_len) = u16_(i)?;
    let mut c = ByteCursor::new(b, h.is_unicode());
    let password = c.take(pw_len.into())?;
    let path = c.string();
    let service = c.oem_string();
    Ok(TreeConnectRequest {
        andx,
        flags,
        password,
        path,
        service,
    })
}

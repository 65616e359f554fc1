//! GSS-API MIC tokens of the Kerberos mechanism, what SPNEGO's mechListMIC is after a
//! Kerberos logon (RFC 4178 5): the RFC 4121 4.2.6.1 token. The older RFC 4757 7.2 token of
//! rc4-hmac is recognised but not checked.

use dissectors::kerberos::unframe;

use super::enctype::{KrbKey, checksum};

/// KG_USAGE_ACCEPTOR_SIGN and KG_USAGE_INITIATOR_SIGN (RFC 4121 2).
const USAGE_ACCEPTOR_SIGN: u32 = 23;
const USAGE_INITIATOR_SIGN: u32 = 25;
/// RFC 4121 4.2.6.1: TOK_ID, Flags, five 0xFF, SND_SEQ (8), then the checksum.
const CFX_TOK_ID: [u8; 2] = [0x04, 0x04];
const CFX_HEADER: usize = 16;
/// RFC 4121 4.2.2 flags: SentByAcceptor, AcceptorSubkey.
const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;
/// The TOK_ID of an RFC 1964 1.2.1 / RFC 4757 7.2 MIC token.
const RC4_TOK_ID: [u8; 2] = [0x01, 0x01];

/// Who made a MIC token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Initiator,
    Acceptor,
}

/// The keys of an established Kerberos context (RFC 4121 2).
#[derive(Debug, Clone)]
pub struct ContextKeys {
    /// The ticket session key.
    pub ticket: KrbKey,
    /// The authenticator's subkey, if any.
    pub initiator_subkey: Option<KrbKey>,
    /// The AP-REP's subkey, if any.
    pub acceptor_subkey: Option<KrbKey>,
    /// Whether the capture holds the AP-REP: without it, whether the acceptor chose a
    /// subkey, and which, cannot be known.
    pub ap_rep_captured: bool,
}

/// Why a MIC token does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicError {
    /// The checksum or a field of the token is wrong: the data or the token was changed.
    Invalid(&'static str),
    /// The token cannot be checked here (an rc4-hmac token, an enctype without a checksum
    /// here).
    Unchecked(String),
}

/// Checks `token`, a MIC over `data` made by `sender` in the context of `keys`.
pub fn verify_mic(
    keys: &ContextKeys,
    sender: Sender,
    token: &[u8],
    data: &[u8],
) -> Result<(), MicError> {
    let token = unframe(token).map_err(|_| MicError::Invalid("malformed GSS-API framing"))?;
    if token.starts_with(&CFX_TOK_ID) {
        verify_cfx(keys, sender, token, data)
    } else if token.starts_with(&RC4_TOK_ID) {
        // RFC 4757 7.2 (rc4-hmac, the RFC 1964 layout): Samba sends none (it signs the
        // mechTypes list only with the newer enctypes), so no capture shows one to check.
        Err(MicError::Unchecked(
            "an rc4-hmac MIC token (RFC 4757 7.2) is not checked".into(),
        ))
    } else {
        Err(MicError::Invalid("not a Kerberos MIC token (TOK_ID)"))
    }
}

/// RFC 4121 4.2.6.1: the checksum covers the data, then the token's 16-byte header; the
/// key is the acceptor subkey when the AcceptorSubkey flag is set, else the initiator's
/// subkey, else the ticket session key (4.2.2, 2).
fn verify_cfx(
    keys: &ContextKeys,
    sender: Sender,
    token: &[u8],
    data: &[u8],
) -> Result<(), MicError> {
    let header = token
        .get(..CFX_HEADER)
        .ok_or(MicError::Invalid("token shorter than its header"))?;
    let flags = header[2];
    if header[3..8] != [0xff; 5] {
        return Err(MicError::Invalid("the filler is not FF FF FF FF FF"));
    }
    if (flags & FLAG_SENT_BY_ACCEPTOR != 0) != (sender == Sender::Acceptor) {
        return Err(MicError::Invalid(
            "the SentByAcceptor flag names the other side",
        ));
    }
    let key = if flags & FLAG_ACCEPTOR_SUBKEY != 0 {
        match (&keys.acceptor_subkey, keys.ap_rep_captured) {
            (Some(key), _) => key,
            (None, true) => {
                return Err(MicError::Invalid(
                    "AcceptorSubkey flag set, but the AP-REP has no subkey",
                ));
            }
            (None, false) => {
                return Err(MicError::Unchecked(
                    "AcceptorSubkey flag set, but the AP-REP that holds the subkey is not in \
                     the capture"
                        .into(),
                ));
            }
        }
    } else {
        keys.initiator_subkey.as_ref().unwrap_or(&keys.ticket)
    };
    let usage = match sender {
        Sender::Initiator => USAGE_INITIATOR_SIGN,
        Sender::Acceptor => USAGE_ACCEPTOR_SIGN,
    };
    let signed = [data, header].concat();
    let expected = checksum(key, usage, &signed).map_err(|e| MicError::Unchecked(e.to_string()))?;
    if token[CFX_HEADER..] == expected[..] {
        Ok(())
    } else {
        Err(MicError::Invalid("the checksum does not match"))
    }
}

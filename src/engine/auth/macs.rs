//! The logon's own signatures, checked with the key the replay gave: the NTLM MIC
//! (MS-NLMP 3.1.5.1.2) and SPNEGO's mechListMIC in both directions (RFC 4178 5; NTLMSSP
//! signature, MS-NLMP 3.4.4; Kerberos MIC token, RFC 4121 4.2.6.1).

use dissectors::ntlmssp::{self, Authenticate};

use super::{AuthMessages, AuthOutcome};
use crate::auth::credentials::Key16;
use crate::auth::ntlm;
use crate::crypto::kerberos as krb;
use crate::model::{LogonMac, PasswordCheck};

/// Why the logon's own signatures cannot be checked: it gave no key.
fn no_key_reason(out: &AuthOutcome) -> String {
    match &out.password_check {
        Some(PasswordCheck::Mismatch | PasswordCheck::MismatchGuest) => {
            "no key: the password does not match".into()
        }
        Some(PasswordCheck::NotChecked(why)) => format!("no key ({why})"),
        Some(PasswordCheck::Match) | None => "no key".into(),
    }
}

/// The NTLM MIC (MS-NLMP 3.1.5.1.2) and SPNEGO mechListMIC (RFC 4178 5, MS-NLMP 3.4.4) of a
/// replayed exchange.
pub(super) fn logon_macs(out: &mut AuthOutcome, msgs: &AuthMessages) {
    let key: Option<Key16> = out
        .session_key
        .as_ref()
        .and_then(|k| <[u8; 16]>::try_from(k.as_bytes()).ok())
        .map(Key16::new);
    let auth = msgs
        .authenticate
        .as_deref()
        .and_then(|a| ntlmssp::parse_authenticate(a).ok());
    let no_key = || {
        if out.session_key.is_some() {
            "the session key is not 16 bytes".to_string()
        } else {
            no_key_reason(out)
        }
    };
    let no_key = no_key();
    if let Some(auth) = &auth {
        out.ntlm_mic = Some(ntlm_mic(msgs, auth, key.as_ref(), &no_key));
    }
    if !msgs.spnego {
        return;
    }
    let client = msgs.client_mech_list_mic.as_ref();
    let server = msgs.server_mech_list_mic.as_ref();
    if client.is_none() && server.is_none() {
        // A logon that ended before its AUTHENTICATE (or AP-REQ) has nothing to say.
        if msgs.authenticate.is_some() || msgs.kerberos {
            let why = match msgs.repeated_token_frame {
                Some(frame) => format!(
                    "neither side sent one (the mechListMIC field of frame {frame} repeats its \
                     responseToken, as Windows 2000 does: not a MIC)"
                ),
                None => "neither side sent one".to_string(),
            };
            out.mech_list_mic = Some(LogonMac::Absent(why));
        }
        return;
    }
    let verdict = match (&msgs.mech_types, &auth, &key) {
        _ if msgs.damaged => {
            LogonMac::Unverified("bytes of the session setup were lost or cut".into())
        }
        (None, _, _) => {
            LogonMac::Unverified("the client's negTokenInit (mechTypes) is not captured".into())
        }
        (Some(types), _, _) if msgs.kerberos => kerberos_mech_list_mic(out, msgs, types, &no_key),
        (_, None, _) => LogonMac::Unverified("no NTLM AUTHENTICATE in the capture".into()),
        (_, _, None) => LogonMac::Unverified(no_key),
        (Some(types), Some(auth), Some(key)) => {
            let what = "does not match the NTLMSSP signature of the mechTypes list";
            each_side(out, msgs, what, |client, mic| {
                if mech_list_mic_matches(key, auth.flags, client, types, mic) {
                    SideCheck::Good
                } else {
                    SideCheck::Bad(String::new())
                }
            })
        }
    };
    out.mech_list_mic = Some(verdict);
}

/// One side's mechListMIC: it matches, it does not (why, if more than the whole says), or it
/// cannot be checked (why).
enum SideCheck {
    Good,
    Bad(String),
    Unchecked(String),
}

/// The verdict on the mechListMICs the client and the server sent, each checked by `check`
/// (told whether it is the client's): `valid` when every one sent matches; `what` says what
/// a wrong one failed to be.
fn each_side(
    out: &mut AuthOutcome,
    msgs: &AuthMessages,
    what: &str,
    check: impl Fn(bool, &[u8]) -> SideCheck,
) -> LogonMac {
    let mut wrong = Vec::new();
    let sides = [
        ("client", &msgs.client_mech_list_mic, true),
        ("server", &msgs.server_mech_list_mic, false),
    ];
    for (side, found, client) in sides {
        let Some((mic, frame)) = found else { continue };
        match check(client, mic) {
            SideCheck::Good => {}
            SideCheck::Bad(why) => {
                out.mech_list_mic_frame.get_or_insert(*frame);
                wrong.push(format!("the {side}'s (frame {frame}){why}"));
            }
            SideCheck::Unchecked(why) => {
                return LogonMac::Unverified(format!("the {side}'s (frame {frame}): {why}"));
            }
        }
    }
    if wrong.is_empty() {
        LogonMac::Valid
    } else {
        LogonMac::Invalid(format!("{} {what}", wrong.join(" and ")))
    }
}

/// A Kerberos logon's mechListMIC: a GSS-API MIC token over the DER mechTypes list, the
/// client's with KG_USAGE_INITIATOR_SIGN, the server's with KG_USAGE_ACCEPTOR_SIGN (RFC 4178
/// 5, RFC 4121 4.2.6.1).
fn kerberos_mech_list_mic(
    out: &mut AuthOutcome,
    msgs: &AuthMessages,
    types: &[u8],
    no_key: &str,
) -> LogonMac {
    let Some(keys) = out.gss_keys.clone() else {
        if out.session_key.is_some() {
            return LogonMac::Unverified(
                "a session key from --keys does not give the Kerberos context's keys".into(),
            );
        }
        return LogonMac::Unverified(no_key.to_string());
    };
    let what = "(a Kerberos MIC token over the mechTypes list)";
    each_side(out, msgs, what, |client, mic| {
        let sender = if client {
            krb::Sender::Initiator
        } else {
            krb::Sender::Acceptor
        };
        match krb::verify_mic(&keys, sender, mic, types) {
            Ok(()) => SideCheck::Good,
            Err(krb::MicError::Invalid(why)) => SideCheck::Bad(format!(": {why}")),
            Err(krb::MicError::Unchecked(why)) => SideCheck::Unchecked(why),
        }
    })
}

/// Whether `mic` is the NTLMSSP signature (sequence number 0) of the mechTypes list under
/// the client's or the server's keys.
fn mech_list_mic_matches(key: &Key16, flags: u32, client: bool, types: &[u8], mic: &[u8]) -> bool {
    if flags & ntlm::flags::NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 {
        return mic == ntlm::ess_signature(key, flags, client, 0, types);
    }
    // Without extended session security one key seals both directions (MS-NLMP 3.4.5.3):
    // the server's first signature starts its own RC4 stream at sequence number 0, or, where
    // one RC4 state serves both directions (Samba: what smb1-ntlmv1-noess.pcap shows),
    // continues after the client's at 1.
    // Checksum and sequence number are compared; RandomPad is not (3.4.4.1).
    let tries: &[(usize, u32)] = if client {
        &[(0, 0)]
    } else {
        &[(0, 0), (12, 1)]
    };
    tries.iter().any(|&(offset, seq)| {
        let expected = ntlm::v1_signature(key, flags, offset, seq, types);
        mic.get(8..16) == expected.get(8..16)
    })
}

/// The AUTHENTICATE message's MIC. MsvAvFlags (bit 0x2, in the NTLMv2 response) says whether
/// one is there; NTLMv1 responses carry no AV pairs, hence no MIC.
fn ntlm_mic(
    msgs: &AuthMessages,
    auth: &Authenticate,
    key: Option<&Key16>,
    no_key: &str,
) -> LogonMac {
    if msgs.damaged {
        // Zeros stand in for lost bytes: neither the MIC nor MsvAvFlags can be trusted.
        return LogonMac::Unverified("bytes of the session setup were lost or cut".into());
    }
    let announced = auth
        .ntlmv2_response()
        .and_then(|r| r.av_pairs().find(ntlmssp::AV_FLAGS))
        .and_then(|p| p.as_u32())
        .is_some_and(|f| f & ntlmssp::AV_FLAG_MIC_PRESENT != 0);
    if !announced {
        let why = if auth.ntlmv2_response().is_some() {
            "not announced in MsvAvFlags"
        } else if auth.is_anonymous() {
            "anonymous: no key, no MIC"
        } else {
            "NTLMv1: no MsvAvFlags, no MIC"
        };
        return LogonMac::Absent(why.into());
    }
    let (Some(mic), Some(offset)) = (auth.mic, auth.mic_offset) else {
        return LogonMac::Invalid(
            "MsvAvFlags announces a MIC, but the AUTHENTICATE message has none".into(),
        );
    };
    let (Some(negotiate), Some(challenge)) = (&msgs.negotiate, &msgs.challenge) else {
        return LogonMac::Unverified("the NEGOTIATE or CHALLENGE message is not captured".into());
    };
    let Some(key) = key else {
        return LogonMac::Unverified(no_key.to_string());
    };
    match ntlm::mic(key, negotiate, challenge, auth.raw, offset) {
        Some(expected) if expected == mic => LogonMac::Valid,
        Some(_) if mic == [0; 16] => {
            LogonMac::Invalid("MsvAvFlags announces a MIC, but the MIC field is zero".into())
        }
        Some(_) => LogonMac::Invalid(
            "the MIC does not match NEGOTIATE, CHALLENGE and AUTHENTICATE under the session key: \
             a message was changed"
                .into(),
        ),
        None => LogonMac::Invalid("the MIC field does not fit in the AUTHENTICATE message".into()),
    }
}

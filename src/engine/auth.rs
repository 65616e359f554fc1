//! One authentication exchange: the security blobs of a session setup, collected as they pass,
//! then replayed with what the user knows to recover the session key.

use dissectors::ntlmssp::{self, Authenticate};
use dissectors::spnego::{self, Mech};

use crate::auth::Secrets;
use crate::auth::credentials::{CredentialSource, SecretBytes};
use crate::auth::ntlm::{self, AuthExchange, ReplayError};
use crate::model::KeySource;

/// The NTLMSSP messages of one exchange (copied: they come from different PDUs).
#[derive(Debug, Default, Clone)]
pub struct AuthMessages {
    pub negotiate: Option<Vec<u8>>,
    pub challenge: Option<Vec<u8>>,
    pub authenticate: Option<Vec<u8>>,
    /// A Kerberos token was seen instead of NTLMSSP.
    pub kerberos: bool,
    /// Some bytes of the exchange were lost or cut: it cannot be replayed with confidence.
    pub damaged: bool,
    /// The frame that carried the AUTHENTICATE message.
    pub authenticate_frame: Option<u64>,
}

impl AuthMessages {
    /// Takes in a security buffer (SPNEGO, GSS-API or raw NTLMSSP) of either side, carried
    /// in `frame`.
    pub fn feed(&mut self, blob: &[u8], frame: u64) {
        if let Some(msg) = spnego::find_ntlmssp(blob) {
            let slot = match ntlmssp::message_type(msg) {
                Ok(ntlmssp::NEGOTIATE) => &mut self.negotiate,
                Ok(ntlmssp::CHALLENGE) => &mut self.challenge,
                Ok(ntlmssp::AUTHENTICATE) => {
                    self.authenticate_frame = Some(frame);
                    &mut self.authenticate
                }
                _ => return,
            };
            *slot = Some(msg.to_vec());
        } else if spnego::blob_mech(blob) == Some(Mech::Kerberos) {
            self.kerberos = true;
        }
    }
}

/// The credentials of a raw-NTLM SESSION_SETUP_ANDX request (SMB1 without extended
/// security), kept for its response.
#[derive(Debug, Default)]
pub struct RawLogon {
    pub lm_response: Vec<u8>,
    pub nt_response: Vec<u8>,
    pub user: String,
    pub domain: String,
    /// Bytes of the request or its response were lost or cut.
    pub damaged: bool,
    pub frame: u64,
}

/// Who authenticated, how, and the key it gave (if any).
#[derive(Debug, Default)]
pub struct AuthOutcome {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub workstation: Option<String>,
    pub auth: Option<String>,
    pub key_source: Option<KeySource>,
    pub password_check: Option<String>,
    /// The session key (ExportedSessionKey for NTLM).
    pub session_key: Option<SecretBytes>,
    /// The SMB1 raw-NTLM MAC key (session key followed by the NT response).
    pub smb1_mac_key: Option<SecretBytes>,
    /// The password did not match: a failed check.
    pub mismatch: bool,
    /// The frame of the AUTHENTICATE message (or of the raw-NTLM SESSION_SETUP_ANDX request).
    pub authenticate_frame: Option<u64>,
    /// Why the logon could not be replayed, when that is worth a problem line (a missing
    /// password or an anonymous logon is not).
    pub unreplayable: Option<String>,
}

impl AuthOutcome {
    /// `DOMAIN\user`, or `user`, or `?`.
    pub fn account(&self) -> String {
        match (&self.domain, &self.user) {
            (_, Some(u)) if u.is_empty() => "(no user name)".into(),
            (Some(d), Some(u)) if !d.is_empty() => format!("{d}\\{u}"),
            (_, Some(u)) => u.clone(),
            _ => "?".into(),
        }
    }
}

/// Replays an NTLMSSP exchange. `known_key` is a session key from `--keys`, used when given.
pub fn replay_ntlmssp(
    msgs: &AuthMessages,
    secrets: &Secrets,
    known_key: Option<&SecretBytes>,
) -> AuthOutcome {
    let mut out = AuthOutcome {
        authenticate_frame: msgs.authenticate_frame,
        ..AuthOutcome::default()
    };
    let parsed = msgs
        .authenticate
        .as_deref()
        .map(ntlmssp::parse_authenticate);
    if let Some(Ok(a)) = &parsed {
        out.user = Some(a.user.to_string_lossy());
        out.domain = Some(a.domain.to_string_lossy());
        out.workstation = Some(a.workstation.to_string_lossy()).filter(|w| !w.is_empty());
    }
    if msgs.damaged {
        return out
            .not_checked("bytes of the session setup were lost or cut from the capture".into());
    }
    if let Some(key) = known_key {
        out.auth = Some(if msgs.kerberos { "Kerberos" } else { "NTLM" }.into());
        out.session_key = Some(key.clone());
        out.key_source = Some(KeySource::SessionKey);
        out.password_check = Some("not-checked: session key given".into());
        return out;
    }
    let auth = match parsed {
        Some(Ok(a)) => a,
        Some(Err(e)) => return out.not_checked(format!("malformed AUTHENTICATE: {e}")),
        None if msgs.kerberos => {
            out.auth = Some("Kerberos".into());
            return out.not_checked("Kerberos: give the session key with --keys".into());
        }
        None => return out.not_checked("no AUTHENTICATE in capture".into()),
    };
    let Some(challenge) = msgs.challenge.as_deref() else {
        return out.not_checked("no CHALLENGE in capture".into());
    };
    let challenge = match ntlmssp::parse_challenge(challenge) {
        Ok(c) => c,
        Err(e) => return out.not_checked(format!("malformed CHALLENGE: {e}")),
    };
    let exchange = exchange_of(&auth, challenge.server_challenge);
    replay(&mut out, &exchange, secrets);
    out
}

fn exchange_of<'a>(auth: &'a Authenticate<'a>, server_challenge: [u8; 8]) -> AuthExchange<'a> {
    AuthExchange {
        flags: auth.flags,
        server_challenge,
        lm_response: auth.lm_response,
        nt_response: auth.nt_response,
        user: "",
        domain: "",
        encrypted_random_session_key: auth.encrypted_session_key,
    }
}

/// Replays raw NTLM (SMB1 without extended security): the challenge comes from the NEGOTIATE
/// response, the responses from SESSION_SETUP_ANDX; the MAC key is MS-CIFS 3.2.5.3.
pub fn replay_raw(
    logon: &RawLogon,
    server_challenge: Option<[u8; 8]>,
    secrets: &Secrets,
) -> AuthOutcome {
    let mut out = AuthOutcome {
        authenticate_frame: Some(logon.frame),
        user: Some(logon.user.clone()),
        domain: Some(logon.domain.clone()),
        ..AuthOutcome::default()
    };
    if logon.damaged {
        return out
            .not_checked("bytes of the session setup were lost or cut from the capture".into());
    }
    let Some(server_challenge) = server_challenge else {
        return out.not_checked("no NEGOTIATE response (challenge) in capture".into());
    };
    let exchange = AuthExchange {
        flags: 0,
        server_challenge,
        lm_response: &logon.lm_response,
        nt_response: &logon.nt_response,
        user: "",
        domain: "",
        encrypted_random_session_key: &[],
    };
    replay(&mut out, &exchange, secrets);
    out
}

/// The password check and key recovery common to both forms.
fn replay(out: &mut AuthOutcome, exchange: &AuthExchange, secrets: &Secrets) {
    let user = out.user.clone().unwrap_or_default();
    let domain = out.domain.clone().unwrap_or_default();
    let exchange = AuthExchange {
        user: &user,
        domain: &domain,
        ..*exchange
    };
    match ntlm::classify(&exchange) {
        Ok(kind) => out.auth = Some(kind.to_string()),
        Err(e) => {
            out.password_check = Some(format!("not-checked: {e}"));
            out.unreplayable = Some(e.to_string());
            return;
        }
    }
    if out.auth.as_deref() == Some("anonymous") {
        out.key_source = Some(KeySource::None);
        out.password_check = Some("not-checked: anonymous".into());
        return;
    }
    let Some(cred) = secrets.credentials.lookup(&user, &domain) else {
        out.key_source = Some(KeySource::None);
        out.password_check = Some(format!("not-checked: no credentials for {}", out.account()));
        return;
    };
    match ntlm::replay(&exchange, &cred.nt_hash, cred.lm_hash.as_ref()) {
        Ok(replayed) => {
            out.key_source = Some(match cred.source {
                CredentialSource::Password => KeySource::Password,
                CredentialSource::NtHash => KeySource::NtHash,
            });
            out.password_check = Some("match".into());
            if exchange.flags == 0 {
                out.smb1_mac_key = Some(ntlm::smb1_raw_mac_key(
                    &replayed.session_base_key,
                    exchange.nt_response,
                ));
            }
            out.session_key = Some(SecretBytes::new(
                replayed.exported_session_key.as_bytes().to_vec(),
            ));
        }
        Err(ReplayError::PasswordMismatch(_)) => {
            out.key_source = Some(KeySource::None);
            out.password_check = Some("mismatch".into());
            out.mismatch = true;
        }
        Err(e) => {
            out.key_source = Some(KeySource::None);
            out.password_check = Some(format!("not-checked: {e}"));
            out.unreplayable = Some(e.to_string());
        }
    }
}

impl AuthOutcome {
    fn not_checked(mut self, why: String) -> Self {
        self.unreplayable = Some(why.clone());
        self.key_source = Some(KeySource::None);
        self.password_check = Some(format!("not-checked: {why}"));
        self
    }
}

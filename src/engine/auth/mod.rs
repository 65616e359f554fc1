//! One authentication exchange: the security blobs of a session setup, collected as they pass,
//! then replayed with what the user knows to recover the session key.

use dissectors::kerberos::{self, Krb5Token};
use dissectors::ntlmssp::{self, Authenticate};
use dissectors::spnego::{self, Mech};

mod macs;

use super::kdc::Kdc;
use crate::auth::Secrets;
use crate::auth::credentials::{CredentialSource, SecretBytes};
use crate::auth::ntlm::{self, AuthExchange, ReplayError};
use crate::crypto::kerberos as krb;
use crate::model::{AuthKind, KeySource, LogonMac, PasswordCheck};

/// The NTLMSSP messages of one exchange (copied: they come from different PDUs).
#[derive(Debug, Default, Clone)]
pub struct AuthMessages {
    pub negotiate: Option<Vec<u8>>,
    pub challenge: Option<Vec<u8>>,
    pub authenticate: Option<Vec<u8>>,
    /// A Kerberos token was seen instead of NTLMSSP.
    pub kerberos: bool,
    /// The security buffer that carried the Kerberos AP-REQ, and the one that carried the
    /// AP-REP (MS-KILE 3.2.5.3, 3.4.5.3).
    pub ap_req: Option<Vec<u8>>,
    pub ap_rep: Option<Vec<u8>>,
    /// Some bytes of the exchange were lost or cut: it cannot be replayed with confidence.
    pub damaged: bool,
    /// The frame that carried the AUTHENTICATE message.
    pub authenticate_frame: Option<u64>,
    /// A SPNEGO token was seen (not raw NTLMSSP or a bare GSS token).
    pub spnego: bool,
    /// The DER MechTypeList of the client's negTokenInit (what mechListMIC covers).
    pub mech_types: Option<Vec<u8>>,
    /// The client's and the server's mechListMIC, with the frame that carried each.
    pub client_mech_list_mic: Option<(Vec<u8>, u64)>,
    pub server_mech_list_mic: Option<(Vec<u8>, u64)>,
    /// A negTokenResp whose mechListMIC field repeats its responseToken (Windows 2000 does
    /// this): no MIC, ignored as Samba's SPNEGO client does (auth/gensec/spnego.c).
    pub repeated_token_frame: Option<u64>,
}

impl AuthMessages {
    /// Takes in a security buffer (SPNEGO, GSS-API or raw NTLMSSP) carried in `frame`, sent
    /// by the client (`from_client`) or the server.
    pub fn feed(&mut self, blob: &[u8], frame: u64, from_client: bool) {
        let mic = match spnego::parse_token(blob) {
            Ok(spnego::Token::Init(init)) => {
                self.spnego = true;
                if from_client && self.mech_types.is_none() {
                    self.mech_types = init.mech_types_der.map(<[u8]>::to_vec);
                }
                init.mech_list_mic
            }
            Ok(spnego::Token::Resp(resp)) => {
                self.spnego = true;
                if resp.mech_list_mic.is_some() && resp.mech_list_mic == resp.response_token {
                    self.repeated_token_frame = Some(frame);
                    None
                } else {
                    resp.mech_list_mic
                }
            }
            _ => None,
        };
        if let Some(mic) = mic {
            let slot = if from_client {
                &mut self.client_mech_list_mic
            } else {
                &mut self.server_mech_list_mic
            };
            *slot = Some((mic.to_vec(), frame));
        }
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
        } else {
            match kerberos::find_token(blob) {
                Ok(Some(Krb5Token::ApReq(_))) => {
                    self.authenticate_frame = Some(frame);
                    self.ap_req = Some(blob.to_vec());
                }
                Ok(Some(Krb5Token::ApRep(_))) => self.ap_rep = Some(blob.to_vec()),
                _ => {}
            }
            self.kerberos |=
                self.ap_req.is_some() || spnego::blob_mech(blob) == Some(Mech::Kerberos);
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
    pub auth: Option<AuthKind>,
    pub key_source: Option<KeySource>,
    pub password_check: Option<PasswordCheck>,
    /// The session key (ExportedSessionKey for NTLM).
    pub session_key: Option<SecretBytes>,
    /// Where the key came from, for people (a keytab entry, the KDC exchange).
    pub key_detail: Option<String>,
    /// The SMB1 raw-NTLM MAC key (session key followed by the NT response).
    pub smb1_mac_key: Option<SecretBytes>,
    /// The password did not match: a failed check.
    pub mismatch: bool,
    /// The frame of the AUTHENTICATE message (or of the raw-NTLM SESSION_SETUP_ANDX request).
    pub authenticate_frame: Option<u64>,
    /// Why the logon could not be replayed, when that is worth a problem line (a missing
    /// password or an anonymous logon is not).
    pub unreplayable: Option<String>,
    /// The AUTHENTICATE message's MIC (NTLM only) and SPNEGO's mechListMIC (SPNEGO only).
    pub ntlm_mic: Option<LogonMac>,
    pub mech_list_mic: Option<LogonMac>,
    /// The frame of the mechListMIC found wrong (the client's or the server's).
    pub mech_list_mic_frame: Option<u64>,
    /// The keys of a Kerberos logon's GSS-API context, which key its mechListMIC.
    pub gss_keys: Option<krb::ContextKeys>,
}

impl AuthOutcome {
    /// The server mapped this logon to guest (SMB2_SESSION_FLAG_IS_GUEST, SMB1 Action bit 0):
    /// it took the logon without checking its password (Samba's `map to guest = bad user`
    /// takes any unknown user), so a password that does not match is no problem.
    pub fn mapped_to_guest(&mut self) {
        if self.mismatch {
            self.mismatch = false;
            self.password_check = Some(PasswordCheck::MismatchGuest);
        }
    }

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

/// Replays an NTLMSSP or Kerberos exchange, then checks the logon's own signatures (the
/// NTLM MIC, SPNEGO's mechListMIC) with the key it gave. `known_key` is a session key from
/// `--keys`, used when given.
pub fn replay_exchange(
    msgs: &AuthMessages,
    secrets: &Secrets,
    kdc: &Kdc,
    known_key: Option<&SecretBytes>,
) -> AuthOutcome {
    let mut out = replay_keys(msgs, secrets, kdc, known_key);
    macs::logon_macs(&mut out, msgs);
    out
}

fn replay_keys(
    msgs: &AuthMessages,
    secrets: &Secrets,
    kdc: &Kdc,
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
        out.auth = Some(if msgs.kerberos {
            AuthKind::Kerberos
        } else {
            AuthKind::Ntlm
        });
        out.session_key = Some(key.clone());
        out.key_source = Some(KeySource::SessionKey);
        out.password_check = Some(PasswordCheck::NotChecked("session key given".into()));
        return out;
    }
    let auth = match parsed {
        Some(Ok(a)) => a,
        Some(Err(e)) => return out.not_checked(format!("malformed AUTHENTICATE: {e}")),
        None if msgs.kerberos => return replay_kerberos(out, msgs, secrets, kdc),
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
        Ok(kind) => out.auth = Some(auth_kind(kind)),
        Err(e) => {
            out.password_check = Some(PasswordCheck::NotChecked(e.to_string()));
            out.unreplayable = Some(e.to_string());
            return;
        }
    }
    if out.auth == Some(AuthKind::Anonymous) {
        out.key_source = Some(KeySource::None);
        out.password_check = Some(PasswordCheck::NotChecked("anonymous".into()));
        return;
    }
    let Some(cred) = secrets.credentials.lookup(&user, &domain) else {
        out.key_source = Some(KeySource::None);
        let why = format!("no credentials for {}", out.account());
        out.password_check = Some(PasswordCheck::NotChecked(why));
        return;
    };
    match ntlm::replay(&exchange, &cred.nt_hash, cred.lm_hash.as_ref()) {
        Ok(replayed) => {
            out.key_source = Some(match cred.source {
                CredentialSource::Password => KeySource::Password,
                CredentialSource::NtHash => KeySource::NtHash,
            });
            out.password_check = Some(PasswordCheck::Match);
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
            out.password_check = Some(PasswordCheck::Mismatch);
            out.mismatch = true;
        }
        Err(e) => {
            out.key_source = Some(KeySource::None);
            out.password_check = Some(PasswordCheck::NotChecked(e.to_string()));
            out.unreplayable = Some(e.to_string());
        }
    }
}

/// The session's logon kind of an NTLM response kind.
fn auth_kind(kind: ntlm::AuthKind) -> AuthKind {
    match kind {
        ntlm::AuthKind::Anonymous => AuthKind::Anonymous,
        ntlm::AuthKind::NtlmV1 => AuthKind::NtlmV1,
        ntlm::AuthKind::NtlmV1Ess => AuthKind::NtlmV1Ess,
        ntlm::AuthKind::NtlmV2 => AuthKind::NtlmV2,
    }
}

impl AuthOutcome {
    fn not_checked(mut self, why: String) -> Self {
        self.unreplayable = Some(why.clone());
        self.key_source = Some(KeySource::None);
        self.password_check = Some(PasswordCheck::NotChecked(why));
        self
    }
}

/// Recovers the session key of a Kerberos logon (MS-KILE 3.1.1.2): a keytab key decrypts
/// the ticket in the AP-REQ (key usage 2), its session key the authenticator (11) and the
/// AP-REP (12); the GSS session key is the AP-REP subkey, else the authenticator's, else the
/// ticket's, and SMB takes its first 16 bytes (MS-SMB2 3.2.5.3.1; the whole key for the
/// 256-bit ciphers of 3.1.1).
fn replay_kerberos(
    mut out: AuthOutcome,
    msgs: &AuthMessages,
    secrets: &Secrets,
    kdc: &Kdc,
) -> AuthOutcome {
    out.auth = Some(AuthKind::Kerberos);
    let Some(ap_req) = msgs.ap_req.as_deref() else {
        return out.not_checked("Kerberos: no AP-REQ in the capture".into());
    };
    // The ticket's session key: from the TGS-REP the password opened, else from the keytab.
    let issued = kdc.ticket_for(ap_req);
    let req = match issued {
        Some(t) => krb::ap_req_keys_with_session_key(&t.session_key, ap_req),
        None if secrets.keytabs.is_empty() => {
            return out.not_checked(
                "Kerberos: give the service's keytab with --keytab (the ticket was not issued \
                 in the capture, or no password opened the exchange that issued it)"
                    .into(),
            );
        }
        None => krb::ap_req_keys(secrets.keytabs.iter().flat_map(|k| k.entries()), ap_req),
    };
    let req = match req {
        Ok(req) => req,
        Err(e) => return out.not_checked(format!("Kerberos: the ticket does not open: {e}")),
    };
    out.user = Some(format!("{}@{}", req.client_name, req.client_realm));
    out.domain = None;
    if let Some(t) = issued {
        out.key_source = Some(KeySource::KdcExchange);
        out.key_detail = Some(format!(
            "password via AS/TGS (frames {}, {})",
            t.frames.0, t.frames.1
        ));
        out.password_check = Some(PasswordCheck::Match);
    } else {
        let entry = req.keytab_entry.and_then(|index| {
            secrets
                .keytabs
                .iter()
                .flat_map(|k| k.entries())
                .find(|e| e.index == index)
        });
        if let Some(e) = entry {
            let etype = krb::Enctype::from_wire(e.enctype)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| e.enctype.to_string());
            out.key_detail = Some(format!("keytab: {} kvno {} {etype}", e.principal, e.kvno));
        }
        out.key_source = Some(KeySource::Keytab);
        out.password_check = Some(PasswordCheck::NotChecked("keytab".into()));
    }
    let rep = match msgs.ap_rep.as_deref() {
        Some(token) => match krb::ap_rep_keys(&req.ticket_session_key, token) {
            Ok(rep) => Some(rep),
            Err(e) => return out.not_checked(format!("Kerberos: the AP-REP does not open: {e}")),
        },
        None => None,
    };
    let key = krb::session_key(&req, rep.as_ref());
    out.session_key = Some(SecretBytes::new(key.as_bytes().to_vec()));
    out.gss_keys = Some(krb::ContextKeys {
        ticket: req.ticket_session_key.clone(),
        initiator_subkey: req.authenticator_subkey.clone(),
        ap_rep_captured: rep.is_some(),
        acceptor_subkey: rep.and_then(|r| r.subkey),
    });
    out
}

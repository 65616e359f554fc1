//! Kerberos exchanges with the KDC seen in the capture (port 88, UDP or TCP). With the
//! user's password they lead to the SMB session key without the service's keytab: the
//! password (and the salt the KDC announces) gives the user's key, which opens the AS-REP
//! (key usage 3) and so the TGT session key; that opens the TGS-REQ's authenticator (7) and
//! the TGS-REP (8, or 9 with the authenticator's subkey), which holds the service ticket's
//! session key; that key opens the AP-REQ of the SMB logon (RFC 4120 3.1, 3.3; MS-KILE 3.1.5).

use dissectors::kerberos::{
    self, PrincipalName, TAG_AS_REP, TAG_AS_REQ, TAG_KRB_ERROR, TAG_TGS_REP, TAG_TGS_REQ,
};

use super::Engine;
use crate::auth::Secrets;
use crate::capture::Timestamp;
use crate::crypto::kerberos::{self as krb, Enctype, KrbKey};
use crate::model::ProblemKind;

/// Keys and salts kept at most (a bound on what a capture full of KDC traffic costs).
const MAX_KEPT: usize = 256;
/// PA-ETYPE-INFO2 (RFC 4120 5.2.7.5).
const PA_ETYPE_INFO2: i32 = 19;
/// PA-ENC-TIMESTAMP (RFC 4120 5.2.7.2) and its key usage.
const PA_ENC_TIMESTAMP: i32 = 2;
const USAGE_PA_ENC_TIMESTAMP: u32 = 1;
/// KDC_ERR_PREAUTH_REQUIRED.
const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;

/// What the KDC exchanges gave so far.
#[derive(Debug, Default)]
pub struct Kdc {
    /// Salts the KDC announced (ETYPE-INFO2), by client principal and etype.
    salts: Vec<(String, i32, Vec<u8>)>,
    /// TGT session keys from AS-REPs: (client principal, key, AS-REP frame).
    tgts: Vec<(String, KrbKey, u64)>,
    /// TGS-REQs opened with a TGT session key: (that key, the request, the AS-REP frame).
    tgs_reqs: Vec<(KrbKey, Vec<u8>, u64)>,
    /// Service tickets with their session keys, found again by the ticket's ciphertext.
    tickets: Vec<ServiceTicket>,
    /// Principals whose password was found wrong (told once).
    mismatched: Vec<String>,
}

/// A service ticket issued in the capture.
#[derive(Debug)]
pub struct ServiceTicket {
    cipher: Vec<u8>,
    pub session_key: KrbKey,
    /// The frames of the AS-REP and TGS-REP that led to it.
    pub frames: (u64, u64),
}

impl Kdc {
    /// The service ticket (and its session key) an AP-REQ presents, if the capture showed
    /// it being issued.
    pub fn ticket_for(&self, ap_req_blob: &[u8]) -> Option<&ServiceTicket> {
        let Ok(Some(kerberos::Krb5Token::ApReq(req))) = kerberos::find_token(ap_req_blob) else {
            return None;
        };
        let cipher = req.ticket.enc_part.cipher;
        self.tickets.iter().find(|t| t.cipher == cipher)
    }
}

fn push_bounded<T>(list: &mut Vec<T>, item: T) {
    if list.len() >= MAX_KEPT {
        list.remove(0);
    }
    list.push(item);
}

fn principal(name: &PrincipalName, realm: &[u8]) -> String {
    let comps: Vec<String> = name
        .components()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!("{}@{}", comps.join("/"), String::from_utf8_lossy(realm))
}

impl Engine {
    /// One Kerberos message to or from a KDC (a UDP datagram, or a TCP record without its
    /// length), in capture order.
    pub fn kdc_message(&mut self, frame: u64, ts: Timestamp, msg: &[u8]) {
        let mismatch = match msg.first() {
            Some(&TAG_KRB_ERROR) => {
                self.kdc.krb_error(msg);
                None
            }
            Some(&TAG_AS_REQ) => self
                .kdc
                .as_req(&self.secrets, msg)
                .map(|who| (who, "the AS-REQ's encrypted timestamp")),
            Some(&TAG_AS_REP) => self
                .kdc
                .as_rep(&self.secrets, msg, frame)
                .map(|who| (who, "the AS-REP")),
            Some(&TAG_TGS_REQ) => {
                self.kdc.tgs_req(msg);
                None
            }
            Some(&TAG_TGS_REP) => {
                self.kdc.tgs_rep(msg, frame);
                None
            }
            _ => None,
        };
        if let Some((who, what)) = mismatch {
            let detail = format!(
                "password does not match for {who}: it does not decrypt {what} (frame {frame})"
            );
            self.problem(frame, ts, None, ProblemKind::PasswordMismatch, detail, true);
        }
    }
}

impl Kdc {
    /// A KRB-ERROR asking for pre-authentication announces the salts (RFC 4120 5.2.7.5).
    fn krb_error(&mut self, msg: &[u8]) {
        let Ok(err) = kerberos::parse_krb_error(msg) else {
            return;
        };
        if err.error_code != KDC_ERR_PREAUTH_REQUIRED {
            return;
        }
        let (Some(cname), Some(Ok(methods))) = (err.cname, err.method_data()) else {
            return;
        };
        let client = principal(&cname, err.crealm.unwrap_or(err.realm));
        if let Some(info) = methods.find(PA_ETYPE_INFO2) {
            self.note_salts(&client, info);
        }
    }

    fn note_salts(&mut self, client: &str, etype_info2: &[u8]) {
        let Ok(info) = kerberos::parse_etype_info2(etype_info2) else {
            return;
        };
        for entry in info.flatten() {
            if let Some(salt) = entry.salt {
                push_bounded(
                    &mut self.salts,
                    (client.to_string(), entry.etype, salt.to_vec()),
                );
            }
        }
    }

    /// The salt of `client`'s key of `etype`: announced, or the default (RFC 4120 4).
    fn salt(&self, client: &str, etype: i32, realm: &[u8], name: &PrincipalName) -> Vec<u8> {
        self.salts
            .iter()
            .rev()
            .find(|(c, e, _)| c == client && *e == etype)
            .map(|(_, _, s)| s.clone())
            .unwrap_or_else(|| krb::default_salt(realm, name.components()))
    }

    /// The keys of `name@realm` of `etype` the credentials give, most specific first: from
    /// a password with the salt (RFC 3962 4), or for RC4-HMAC the NT hash (RFC 4757 2).
    fn user_keys(
        &self,
        secrets: &Secrets,
        etype: i32,
        realm: &[u8],
        name: &PrincipalName,
    ) -> Vec<KrbKey> {
        let Ok(enctype) = Enctype::from_wire(etype) else {
            return Vec::new();
        };
        let client = principal(name, realm);
        let salt = self.salt(&client, etype, realm, name);
        let user = name
            .components()
            .next()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_default();
        let realm = String::from_utf8_lossy(realm);
        secrets
            .credentials
            .candidates(&user, &realm)
            .filter_map(|cred| match (enctype, &cred.password) {
                (Enctype::Rc4Hmac, _) => Some(KrbKey::new(etype, cred.nt_hash.as_bytes())),
                (_, Some(pw)) => krb::string_to_key(enctype, pw.expose(), &salt, None)
                    .ok()
                    .map(|k| KrbKey::new(etype, k.as_bytes())),
                (_, None) => None,
            })
            .collect()
    }

    /// A wrong password for `client`, told once; None when it was told already.
    fn mismatch(&mut self, client: String) -> Option<String> {
        if self.mismatched.contains(&client) {
            return None;
        }
        self.mismatched.push(client.clone());
        Some(client)
    }

    /// An AS-REQ's PA-ENC-TIMESTAMP (key usage 1) is the client's proof of its password:
    /// returns the principal when no password given for it opens it (RFC 4120 5.2.7.2).
    fn as_req(&mut self, secrets: &Secrets, msg: &[u8]) -> Option<String> {
        let req = kerberos::parse_kdc_req(msg).ok()?;
        let cname = req.cname?;
        let timestamp = req.padata()?.find(PA_ENC_TIMESTAMP)?;
        let enc = kerberos::parse_encrypted_data(timestamp).ok()?;
        let keys = self.user_keys(secrets, enc.etype, req.realm, &cname);
        let opened = keys
            .iter()
            .any(|k| krb::decrypt_data(k, USAGE_PA_ENC_TIMESTAMP, &enc).is_ok());
        if keys.is_empty() || opened {
            return None;
        }
        self.mismatch(principal(&cname, req.realm))
    }

    /// Opens an AS-REP with the user's password; returns the principal when every password
    /// given for it fails.
    fn as_rep(&mut self, secrets: &Secrets, msg: &[u8], frame: u64) -> Option<String> {
        let rep = kerberos::parse_kdc_rep(msg).ok()?;
        let client = principal(&rep.cname, rep.crealm);
        if let Some(info) = rep.padata().and_then(|p| p.find(PA_ETYPE_INFO2)) {
            self.note_salts(&client, info);
        }
        let keys = self.user_keys(secrets, rep.enc_part.etype, rep.crealm, &rep.cname);
        let opened = keys.iter().find_map(|k| krb::kdc_rep_keys(k, msg).ok());
        match opened {
            Some(opened) => {
                push_bounded(&mut self.tgts, (client, opened.session_key, frame));
                None
            }
            None if keys.is_empty() => None,
            None => self.mismatch(client),
        }
    }

    /// A TGS-REQ whose authenticator a TGT session key opens: kept for its TGS-REP, which
    /// is sealed in that key, the authenticator's subkey or a FAST reply key made from them.
    fn tgs_req(&mut self, msg: &[u8]) {
        let opened = self
            .tgts
            .iter()
            .rev()
            .find(|(_, tgt, _)| krb::tgs_req_subkey(tgt, msg).is_ok());
        if let Some((_, tgt, as_frame)) = opened {
            let kept = (tgt.clone(), msg.to_vec(), *as_frame);
            push_bounded(&mut self.tgs_reqs, kept);
        }
    }

    /// A TGS-REP: opened with the keys of its request, it gives the service ticket's
    /// session key.
    fn tgs_rep(&mut self, msg: &[u8], frame: u64) {
        let Ok(rep) = kerberos::parse_kdc_rep(msg) else {
            return;
        };
        let opened = self.tgs_reqs.iter().rev().find_map(|(tgt, req, as_frame)| {
            let keys = krb::tgs_rep_keys(tgt, req, msg).ok()?;
            Some((keys, *as_frame))
        });
        if let Some((keys, as_frame)) = opened {
            let ticket = ServiceTicket {
                cipher: rep.ticket.enc_part.cipher.to_vec(),
                session_key: keys.session_key,
                frames: (as_frame, frame),
            };
            push_bounded(&mut self.tickets, ticket);
        }
    }
}

//! The AP exchange (the keys of an AP-REQ and AP-REP, the GSS-API session key) and the
//! KDC exchanges without FAST (AS-REP and TGS-REP reply keys, the TGS-REQ subkey).

use dissectors::kerberos::{self as krb, ApReq, Krb5Token, PrincipalName};
use dissectors::keytab;

use super::enctype::{Enctype, KrbCryptoError, KrbKey, Result, decrypt, decrypt_data};

fn name_string(realm: &[u8], name: &PrincipalName<'_>) -> (String, String) {
    (
        String::from_utf8_lossy(realm).into_owned(),
        name.to_string(),
    )
}

fn token_kind(t: &Krb5Token<'_>) -> &'static str {
    match t {
        Krb5Token::ApReq(_) => "AP-REQ",
        Krb5Token::ApRep(_) => "AP-REP",
        Krb5Token::Error(_) => "KRB-ERROR",
    }
}

/// The AP-REQ in `token`: an SMB security blob (SPNEGO), a GSS-API token or a bare
/// AP-REQ.
fn find_ap_req(token: &[u8]) -> Result<ApReq<'_>> {
    match krb::find_token(token)?.ok_or(KrbCryptoError::NoToken)? {
        Krb5Token::ApReq(r) => Ok(r),
        t => Err(KrbCryptoError::WrongMessage {
            expected: "AP-REQ",
            found: token_kind(&t),
        }),
    }
}

/// What an AP-REQ yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApReqKeys {
    /// The ticket session key (EncTicketPart key).
    pub ticket_session_key: KrbKey,
    /// The client's subkey from the authenticator, if any.
    pub authenticator_subkey: Option<KrbKey>,
    /// The authenticator's initial sequence number, if any.
    pub seq_number: Option<u32>,
    /// The client realm (from the authenticator).
    pub client_realm: String,
    /// The client name, components joined with `/` (from the authenticator).
    pub client_name: String,
    /// Index (record number) of the keytab entry that decrypted the ticket; `None` when the
    /// ticket session key was given.
    pub keytab_entry: Option<usize>,
}

/// Decrypt the authenticator of `ap_req` with the ticket session key.
pub(super) fn authenticator_keys(
    ticket_session_key: KrbKey,
    ap_req: &ApReq<'_>,
    keytab_entry: Option<usize>,
) -> Result<ApReqKeys> {
    let plain = decrypt_data(
        &ticket_session_key,
        krb::USAGE_AP_REQ_AUTHENTICATOR,
        &ap_req.authenticator,
    )?;
    let auth = krb::parse_authenticator(&plain)?;
    let (client_realm, client_name) = name_string(auth.crealm, &auth.cname);
    Ok(ApReqKeys {
        authenticator_subkey: auth.subkey.as_ref().map(KrbKey::from_wire),
        seq_number: auth.seq_number,
        client_realm,
        client_name,
        ticket_session_key,
        keytab_entry,
    })
}

/// The keys of an AP-REQ, with the service's keytab: the ticket is decrypted with the
/// keytab keys of its etype, those of its service principal and kvno first, then the
/// others (tickets are often issued for another name of the same account, e.g.
/// `cifs/host` for a `host/host` keytab); the integrity check tells the right one.
/// `token` is an SMB security blob (SPNEGO), a GSS-API token or a bare AP-REQ.
pub fn ap_req_keys<'k>(
    keytab: impl IntoIterator<Item = keytab::Entry<'k>>,
    token: &[u8],
) -> Result<ApReqKeys> {
    let ap_req = find_ap_req(token)?;
    let ticket = &ap_req.ticket;
    let enc = &ticket.enc_part;
    let etype = Enctype::from_wire(enc.etype)?;
    let mut candidates: Vec<keytab::Entry<'k>> = keytab
        .into_iter()
        .filter(|e| e.enctype == enc.etype)
        .collect();
    // exact principal and kvno first (a stable sort keeps the file order otherwise)
    candidates.sort_by_key(|e| {
        let named = e.principal.matches(ticket.realm, ticket.sname.components());
        let kvno = enc.kvno.is_none_or(|k| k == e.kvno);
        (!(named && kvno), !kvno)
    });
    for entry in &candidates {
        let Ok(plain) = decrypt(etype, entry.key, krb::USAGE_TICKET, enc.cipher) else {
            continue;
        };
        let part = krb::parse_enc_ticket_part(&plain)?;
        return authenticator_keys(KrbKey::from_wire(&part.key), &ap_req, Some(entry.index));
    }
    Err(KrbCryptoError::NoKey {
        etype: enc.etype,
        kvno: enc.kvno,
        tried: candidates.len(),
    })
}

/// The keys of an AP-REQ whose ticket session key is known (from the TGS-REP that issued
/// the ticket, see [`kdc_rep_keys`]): only the authenticator is decrypted.
pub fn ap_req_keys_with_session_key(
    ticket_session_key: &KrbKey,
    token: &[u8],
) -> Result<ApReqKeys> {
    let ap_req = find_ap_req(token)?;
    authenticator_keys(ticket_session_key.clone(), &ap_req, None)
}

/// What an AP-REP yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApRepKeys {
    /// The server's subkey, if any.
    pub subkey: Option<KrbKey>,
    /// The server's initial sequence number, if any.
    pub seq_number: Option<u32>,
}

/// The keys of an AP-REP, decrypted with the ticket session key of the AP-REQ it answers.
/// `token` is an SMB security blob (SPNEGO), a GSS-API token or a bare AP-REP.
pub fn ap_rep_keys(ticket_session_key: &KrbKey, token: &[u8]) -> Result<ApRepKeys> {
    let ap_rep = match krb::find_token(token)?.ok_or(KrbCryptoError::NoToken)? {
        Krb5Token::ApRep(r) => r,
        t => {
            return Err(KrbCryptoError::WrongMessage {
                expected: "AP-REP",
                found: token_kind(&t),
            });
        }
    };
    let plain = decrypt_data(
        ticket_session_key,
        krb::USAGE_AP_REP_ENC_PART,
        &ap_rep.enc_part,
    )?;
    let part = krb::parse_enc_ap_rep_part(&plain)?;
    Ok(ApRepKeys {
        subkey: part.subkey.as_ref().map(KrbKey::from_wire),
        seq_number: part.seq_number,
    })
}

/// The GSS-API session key of an AP exchange (MS-KILE 3.1.1.2, RFC 4121 2): the AP-REP
/// subkey when there is one, else the authenticator subkey, else the ticket session key.
/// SMB's Session.SessionKey is its first 16 bytes (MS-SMB2 3.2.5.3.1).
pub fn session_key<'a>(ap_req: &'a ApReqKeys, ap_rep: Option<&'a ApRepKeys>) -> &'a KrbKey {
    ap_rep
        .and_then(|r| r.subkey.as_ref())
        .or(ap_req.authenticator_subkey.as_ref())
        .unwrap_or(&ap_req.ticket_session_key)
}

// ---- KDC exchanges ----

/// What an AS-REP or TGS-REP yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcRepKeys {
    /// The session key of the ticket issued (the TGT's for an AS-REP).
    pub session_key: KrbKey,
    /// The service realm.
    pub srealm: String,
    /// The service name, components joined with `/`.
    pub sname: String,
    /// The nonce of the request answered.
    pub nonce: u32,
}

/// The session key an AS-REP or TGS-REP (`msg`, bare) delivers. `key` is the client key
/// for an AS-REP (from [`string_to_key`]; usage 3), for a TGS-REP the TGT session key
/// (usage 8) or the TGS-REQ's authenticator subkey ([`tgs_req_subkey`]; usage 9, also
/// tried with 8 as some KDCs do). A FAST-armored TGS-REP needs the strengthened reply key:
/// [`tgs_rep_keys`] finds it from the TGS-REQ and handles both cases.
///
/// [`string_to_key`]: super::string_to_key
/// [`tgs_rep_keys`]: super::tgs_rep_keys
pub fn kdc_rep_keys(key: &KrbKey, msg: &[u8]) -> Result<KdcRepKeys> {
    let rep = krb::parse_kdc_rep(msg)?;
    let usages: &[u32] = if msg.first() == Some(&krb::TAG_AS_REP) {
        &[krb::USAGE_AS_REP_ENC_PART]
    } else {
        &[krb::USAGE_TGS_REP_SESSION_KEY, krb::USAGE_TGS_REP_SUBKEY]
    };
    let mut last = KrbCryptoError::Integrity;
    for &usage in usages {
        match decrypt_data(key, usage, &rep.enc_part) {
            Ok(plain) => {
                let part = krb::parse_enc_kdc_rep_part(&plain)?;
                let (srealm, sname) = name_string(part.srealm, &part.sname);
                return Ok(KdcRepKeys {
                    session_key: KrbKey::from_wire(&part.key),
                    srealm,
                    sname,
                    nonce: part.nonce,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The subkey of a TGS-REQ's authenticator (in its PA-TGS-REQ), decrypted with the TGT
/// session key (usage 7): the key its TGS-REP is encrypted in, when present.
pub fn tgs_req_subkey(tgt_session_key: &KrbKey, msg: &[u8]) -> Result<Option<KrbKey>> {
    let req = krb::parse_kdc_req(msg)?;
    let ap_req = req.tgs_ap_req().ok_or(KrbCryptoError::WrongMessage {
        expected: "TGS-REQ with PA-TGS-REQ",
        found: "a KDC-REQ without it",
    })??;
    let plain = decrypt_data(
        tgt_session_key,
        krb::USAGE_TGS_REQ_AUTHENTICATOR,
        &ap_req.authenticator,
    )?;
    let auth = krb::parse_authenticator(&plain)?;
    Ok(auth.subkey.as_ref().map(KrbKey::from_wire))
}

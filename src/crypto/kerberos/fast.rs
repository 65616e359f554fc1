//! FAST (RFC 6113): the armor key of a TGS-REQ (implicit or explicit armor), the
//! strengthened reply key, and the keys of a TGS exchange with or without FAST.

use dissectors::kerberos as krb;

use super::enctype::{KrbCryptoError, KrbKey, Result, decrypt_data};
use super::exchange::{KdcRepKeys, authenticator_keys, kdc_rep_keys, tgs_req_subkey};
use super::prf::krb_fx_cf2;

/// The armor key of a TGS-REQ with implicit armor (RFC 6113 5.4.1.1): KRB-FX-CF2(the
/// PA-TGS-REQ authenticator subkey, the TGT session key, "subkeyarmor", "ticketarmor").
/// The same formula makes the key of an explicit armor AP-REQ from its authenticator
/// subkey and its ticket session key.
pub fn tgs_armor_key(subkey: &KrbKey, ticket_session_key: &KrbKey) -> Result<KrbKey> {
    krb_fx_cf2(subkey, b"subkeyarmor", ticket_session_key, b"ticketarmor")
}

/// The reply key of a FAST reply with a strengthen-key (RFC 6113 5.4.3):
/// KRB-FX-CF2(strengthen-key, reply key, "strengthenkey", "replykey").
pub fn strengthen_reply_key(strengthen_key: &KrbKey, reply_key: &KrbKey) -> Result<KrbKey> {
    krb_fx_cf2(strengthen_key, b"strengthenkey", reply_key, b"replykey")
}

/// The session key of the service ticket a TGS-REP (`tgs_rep`, bare) delivers, from the
/// TGT session key and the TGS-REQ it answers (`tgs_req`, bare), with or without FAST.
/// The reply key is the TGS-REQ's authenticator subkey ([`tgs_req_subkey`]) or, without
/// one, the TGT session key (both tried, with usages 9 and 8, as [`kdc_rep_keys`] does).
/// When the TGS-REP carries a PA-FX-FAST, the armor key of the request's implicit armor
/// ([`tgs_armor_key`]) opens its KrbFastResponse (usage 52) and a strengthen-key there
/// replaces the reply key by [`strengthen_reply_key`]. A request with explicit armor needs
/// [`tgs_rep_keys_with_armor`]. The nonces are not compared: the integrity check decides.
pub fn tgs_rep_keys(
    tgt_session_key: &KrbKey,
    tgs_req: &[u8],
    tgs_rep: &[u8],
) -> Result<KdcRepKeys> {
    tgs_rep_keys_with_armor(tgt_session_key, None, tgs_req, tgs_rep)
}

/// [`tgs_rep_keys`] for a TGS-REQ that may carry an explicit FAST armor (MS-KILE 3.3.5.7.4
/// compound identity, the machine's TGT in an AP-REQ armor): `armor_ticket_session_key` is
/// the session key of that armor ticket (from the machine's AS-REP, say). The armor key
/// is then KRB-FX-CF2(KRB-FX-CF2(armor subkey, armor ticket session key, "subkeyarmor",
/// "ticketarmor"), TGS-REQ subkey, "explicitarmor", "tgsarmor") as Windows, Heimdal and
/// MIT clients make it. Unused for implicit armor.
pub fn tgs_rep_keys_with_armor(
    tgt_session_key: &KrbKey,
    armor_ticket_session_key: Option<&KrbKey>,
    tgs_req: &[u8],
    tgs_rep: &[u8],
) -> Result<KdcRepKeys> {
    if tgs_req.first() != Some(&krb::TAG_TGS_REQ) {
        return Err(KrbCryptoError::WrongMessage {
            expected: "TGS-REQ",
            found: "another message",
        });
    }
    if tgs_rep.first() != Some(&krb::TAG_TGS_REP) {
        return Err(KrbCryptoError::WrongMessage {
            expected: "TGS-REP",
            found: "another message",
        });
    }
    let subkey = tgs_req_subkey(tgt_session_key, tgs_req)?;
    let rep = krb::parse_kdc_rep(tgs_rep)?;
    let Some(fast_rep) = rep.fast().transpose()? else {
        return match &subkey {
            Some(sub) => kdc_rep_keys(sub, tgs_rep).or_else(|e| match e {
                KrbCryptoError::Integrity | KrbCryptoError::EnctypeMismatch { .. } => {
                    kdc_rep_keys(tgt_session_key, tgs_rep)
                }
                e => Err(e),
            }),
            None => kdc_rep_keys(tgt_session_key, tgs_rep),
        };
    };
    let req = krb::parse_kdc_req(tgs_req)?;
    let fast_req = req.fast().ok_or(KrbCryptoError::Fast(
        "an armored TGS-REP to a TGS-REQ without PA-FX-FAST",
    ))??;
    let subkey = subkey.ok_or(KrbCryptoError::Fast(
        "the TGS-REQ authenticator has no subkey to make the armor key",
    ))?;
    let armor_key = match fast_req.armor {
        None => tgs_armor_key(&subkey, tgt_session_key)?,
        Some(armor) => {
            let ticket_key = armor_ticket_session_key.ok_or(KrbCryptoError::Fast(
                "explicit armor: the armor ticket's session key is needed",
            ))?;
            let armor_ap_req = armor.ap_req()?;
            let armor_sub = authenticator_keys(ticket_key.clone(), &armor_ap_req, None)?
                .authenticator_subkey
                .ok_or(KrbCryptoError::Fast("the armor AP-REQ has no subkey"))?;
            let armor_key = tgs_armor_key(&armor_sub, ticket_key)?;
            krb_fx_cf2(&armor_key, b"explicitarmor", &subkey, b"tgsarmor")?
        }
    };
    let plain = decrypt_data(&armor_key, krb::USAGE_FAST_REP, &fast_rep.enc_fast_rep)?;
    let response = krb::parse_krb_fast_response(&plain)?;
    let reply_keys = [subkey, tgt_session_key.clone()];
    let mut last = KrbCryptoError::Integrity;
    for reply_key in &reply_keys {
        let key = match &response.strengthen_key {
            Some(s) => strengthen_reply_key(&KrbKey::from_wire(s), reply_key)?,
            None => reply_key.clone(),
        };
        match kdc_rep_keys(&key, tgs_rep) {
            Ok(keys) => return Ok(keys),
            Err(e) => last = e,
        }
    }
    Err(last)
}

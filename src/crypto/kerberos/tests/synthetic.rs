//! Synthetic TGS exchanges: no FAST, and FAST with explicit armor.

use aes::cipher::{KeyInit, KeyIvInit};
use aes::{Aes128, Aes256};
use dissectors::kerberos as krb;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::crypto::kerberos::aes::{BLOCK, MAC_LEN, dk, usage_constant};
use crate::crypto::kerberos::{
    KrbCryptoError, KrbKey, krb_fx_cf2, strengthen_reply_key, tgs_armor_key, tgs_rep_keys,
    tgs_rep_keys_with_armor,
};

/// RFC 3961 5.3 encryption with AES (the inverse of `aes_decrypt`), for building
/// messages.
fn aes_encrypt(key: &KrbKey, usage: u32, confounder: u8, plain: &[u8]) -> Vec<u8> {
    use cts::Encrypt as _;
    let k = key.as_bytes();
    let ke = dk(k, &usage_constant(usage, 0xaa));
    let ki = dk(k, &usage_constant(usage, 0x55));
    let mut data = vec![confounder; BLOCK];
    data.extend_from_slice(plain);
    let mut h = <Hmac<Sha1> as KeyInit>::new_from_slice(&ki).unwrap();
    h.update(&data);
    let mac = h.finalize().into_bytes();
    let iv = [0u8; BLOCK];
    match ke.len() {
        16 => cts::CbcCs3::<Aes128>::new_from_slices(&ke, &iv)
            .unwrap()
            .encrypt(&mut data)
            .unwrap(),
        _ => cts::CbcCs3::<Aes256>::new_from_slices(&ke, &iv)
            .unwrap()
            .encrypt(&mut data)
            .unwrap(),
    }
    data.extend_from_slice(&mac[..MAC_LEN]);
    data
}

fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let b = (len as u32).to_be_bytes();
        let skip = b.iter().take_while(|&&x| x == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&b[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

fn ctx(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, inner)
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn int(v: u32) -> Vec<u8> {
    let mut b = v.to_be_bytes().to_vec();
    while b.len() > 1 && b[0] == 0 && b[1] & 0x80 == 0 {
        b.remove(0);
    }
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

fn gstr(s: &str) -> Vec<u8> {
    tlv(0x1b, s.as_bytes())
}

fn principal(name_type: u32, comps: &[&str]) -> Vec<u8> {
    let strings: Vec<Vec<u8>> = comps.iter().map(|c| gstr(c)).collect();
    seq(&[ctx(0, &int(name_type)), ctx(1, &seq(&strings))])
}

fn enc_data(etype: u32, cipher: &[u8]) -> Vec<u8> {
    seq(&[ctx(0, &int(etype)), ctx(2, &tlv(0x04, cipher))])
}

fn enc_key(key: &KrbKey) -> Vec<u8> {
    seq(&[
        ctx(0, &int(key.enctype() as u32)),
        ctx(1, &tlv(0x04, key.as_bytes())),
    ])
}

fn pa(padata_type: u32, value: &[u8]) -> Vec<u8> {
    seq(&[ctx(1, &int(padata_type)), ctx(2, &tlv(0x04, value))])
}

const REALM: &str = "EXAMPLE.TEST";

/// An AP-REQ with a TGT (opaque enc-part) and an authenticator in `session_key`.
fn ap_req(session_key: &KrbKey, usage: u32, subkey: Option<&KrbKey>) -> Vec<u8> {
    let ticket = tlv(
        0x61,
        &seq(&[
            ctx(0, &int(5)),
            ctx(1, &gstr(REALM)),
            ctx(2, &principal(2, &["krbtgt", REALM])),
            ctx(3, &enc_data(18, &[0x55; 60])),
        ]),
    );
    let mut auth = vec![
        ctx(0, &int(5)),
        ctx(1, &gstr(REALM)),
        ctx(2, &principal(1, &["alice"])),
    ];
    if let Some(k) = subkey {
        auth.push(ctx(6, &enc_key(k)));
    }
    let auth = tlv(0x62, &seq(&auth));
    tlv(
        0x6e,
        &seq(&[
            ctx(0, &int(5)),
            ctx(1, &int(14)),
            ctx(2, &tlv(0x03, &[0, 0, 0, 0, 0])),
            ctx(3, &ticket),
            ctx(4, &enc_data(18, &aes_encrypt(session_key, usage, 1, &auth))),
        ]),
    )
}

const NONCE: u32 = 0x89ab_cdef;

fn tgs_req(padata: &[Vec<u8>]) -> Vec<u8> {
    let body = seq(&[
        ctx(0, &tlv(0x03, &[0, 0x40, 0x81, 0, 0])),
        ctx(2, &gstr(REALM)),
        ctx(3, &principal(2, &["cifs", "srv.example.test"])),
        ctx(7, &int(NONCE)),
        ctx(8, &seq(&[int(18)])),
    ]);
    tlv(
        0x6c,
        &seq(&[
            ctx(1, &int(5)),
            ctx(2, &int(12)),
            ctx(3, &seq(padata)),
            ctx(4, &body),
        ]),
    )
}

/// A TGS-REP delivering `service_key`, its enc-part in `reply_key` with `usage`.
fn tgs_rep(padata: &[Vec<u8>], reply_key: &KrbKey, usage: u32, service_key: &KrbKey) -> Vec<u8> {
    let part = tlv(
        0x7a,
        &seq(&[
            ctx(0, &enc_key(service_key)),
            ctx(1, &seq(&[])),
            ctx(2, &int(NONCE)),
            ctx(9, &gstr(REALM)),
            ctx(10, &principal(2, &["cifs", "srv.example.test"])),
        ]),
    );
    let ticket = tlv(
        0x61,
        &seq(&[
            ctx(0, &int(5)),
            ctx(1, &gstr(REALM)),
            ctx(2, &principal(2, &["cifs", "srv.example.test"])),
            ctx(3, &enc_data(18, &[0x66; 60])),
        ]),
    );
    let mut fields = vec![ctx(0, &int(5)), ctx(1, &int(13))];
    if !padata.is_empty() {
        fields.push(ctx(2, &seq(padata)));
    }
    fields.extend([
        ctx(3, &gstr(REALM)),
        ctx(4, &principal(1, &["alice"])),
        ctx(5, &ticket),
        ctx(6, &enc_data(18, &aes_encrypt(reply_key, usage, 2, &part))),
    ]);
    tlv(0x6d, &seq(&fields))
}

#[test]
fn tgs_exchanges_without_fast() {
    let tgt = KrbKey::new(18, &[1; 32]);
    let sub = KrbKey::new(18, &[4; 32]);
    let svc = KrbKey::new(18, &[6; 32]);
    // with a subkey: the enc-part in it (usage 9)
    let req = tgs_req(&[pa(1, &ap_req(&tgt, 7, Some(&sub)))]);
    let rep = tgs_rep(&[], &sub, 9, &svc);
    let keys = tgs_rep_keys(&tgt, &req, &rep).unwrap();
    assert_eq!(keys.session_key, svc);
    assert_eq!(
        (keys.srealm.as_str(), keys.sname.as_str(), keys.nonce),
        (REALM, "cifs/srv.example.test", NONCE)
    );
    // a KDC that ignores the subkey: the TGT session key (usage 8)
    let rep = tgs_rep(&[], &tgt, 8, &svc);
    assert_eq!(tgs_rep_keys(&tgt, &req, &rep).unwrap().session_key, svc);
    // without a subkey
    let req = tgs_req(&[pa(1, &ap_req(&tgt, 7, None))]);
    assert_eq!(tgs_rep_keys(&tgt, &req, &rep).unwrap().session_key, svc);
    // an advertising (empty) PA-FX-FAST is not an armored reply
    let rep = tgs_rep(&[pa(136, &[])], &tgt, 8, &svc);
    assert_eq!(tgs_rep_keys(&tgt, &req, &rep).unwrap().session_key, svc);
    assert_eq!(
        tgs_rep_keys(&KrbKey::new(18, &[2; 32]), &req, &rep),
        Err(KrbCryptoError::Integrity)
    );
}

// MS-KILE 3.3.5.7.4 compound identity: the TGS-REQ's PA-FX-FAST carries an AP-REQ armor
// (a machine TGT), and the armor key combines it with the TGS-REQ subkey. Built here
// with the formula of MIT's krb5int_fast_tgs_armor and Heimdal's
// _krb5_fast_explicit_armor_key: no capture of it was at hand.
#[test]
fn tgs_exchange_with_explicit_fast_armor() {
    let tgt = KrbKey::new(18, &[1; 32]);
    let armor_ticket = KrbKey::new(18, &[2; 32]);
    let armor_sub = KrbKey::new(18, &[3; 32]);
    let sub = KrbKey::new(18, &[4; 32]);
    let strengthen = KrbKey::new(18, &[5; 32]);
    let svc = KrbKey::new(18, &[6; 32]);

    let armor_ap_req = ap_req(&armor_ticket, 11, Some(&armor_sub));
    let armor = seq(&[ctx(0, &int(1)), ctx(1, &tlv(0x04, &armor_ap_req))]);
    let checksum = seq(&[ctx(0, &int(16)), ctx(1, &tlv(0x04, &[0; 12]))]);
    let fast_req = ctx(
        0,
        &seq(&[
            ctx(0, &armor),
            ctx(1, &checksum),
            ctx(2, &enc_data(18, &[0x77; 60])),
        ]),
    );
    let req = tgs_req(&[pa(1, &ap_req(&tgt, 7, Some(&sub))), pa(136, &fast_req)]);

    let armor_key = krb_fx_cf2(
        &tgs_armor_key(&armor_sub, &armor_ticket).unwrap(),
        b"explicitarmor",
        &sub,
        b"tgsarmor",
    )
    .unwrap();
    let response = seq(&[
        ctx(0, &seq(&[])),
        ctx(1, &enc_key(&strengthen)),
        ctx(3, &int(NONCE)),
    ]);
    let fast_rep = ctx(
        0,
        &seq(&[ctx(
            0,
            &enc_data(18, &aes_encrypt(&armor_key, 52, 3, &response)),
        )]),
    );
    let reply_key = strengthen_reply_key(&strengthen, &sub).unwrap();
    let rep = tgs_rep(&[pa(136, &fast_rep)], &reply_key, 9, &svc);

    let keys = tgs_rep_keys_with_armor(&tgt, Some(&armor_ticket), &req, &rep).unwrap();
    assert_eq!(keys.session_key, svc);
    assert_eq!(
        tgs_rep_keys(&tgt, &req, &rep),
        Err(KrbCryptoError::Fast(
            "explicit armor: the armor ticket's session key is needed"
        ))
    );
    assert_eq!(
        tgs_rep_keys_with_armor(&tgt, Some(&tgt), &req, &rep),
        Err(KrbCryptoError::Integrity)
    );
    let parsed = krb::parse_kdc_req(&req).unwrap().fast().unwrap().unwrap();
    let a = parsed.armor.unwrap();
    assert_eq!(a.armor_type, krb::FX_FAST_ARMOR_AP_REQUEST);
    assert_eq!(a.armor_value, &armor_ap_req[..]);

    // the same reply to a request without PA-FX-FAST, or without a subkey
    let plain_req = tgs_req(&[pa(1, &ap_req(&tgt, 7, Some(&sub)))]);
    assert!(matches!(
        tgs_rep_keys(&tgt, &plain_req, &rep),
        Err(KrbCryptoError::Fast(_))
    ));
    let no_sub = tgs_req(&[pa(1, &ap_req(&tgt, 7, None)), pa(136, &fast_req)]);
    assert!(matches!(
        tgs_rep_keys_with_armor(&tgt, Some(&armor_ticket), &no_sub, &rep),
        Err(KrbCryptoError::Fast(_))
    ));
}

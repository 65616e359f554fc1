use dissectors::kerberos as krb;
use dissectors::keytab;

use super::{data_dir, fixture, frame, hex, mitkdc};
use crate::crypto::kerberos::{
    Enctype, KrbCryptoError, KrbKey, ap_rep_keys, ap_req_keys, ap_req_keys_with_session_key,
    decrypt_data, default_salt, kdc_rep_keys, session_key, strengthen_reply_key, string_to_key,
    tgs_armor_key, tgs_rep_keys, tgs_req_subkey,
};

// AS and TGS exchanges of an MIT krb5 KDC, from the users' passwords, against what
// tshark 4.0 decrypts with the KDC's keytab (dissectors/tests/data/kerberos/README.md).
#[test]
fn mit_kdc_exchanges_from_passwords() {
    let m = mitkdc();
    // alice: aes256, the salt from the KRB-ERROR's ETYPE-INFO2
    let err = krb::parse_krb_error(&m[1]).unwrap();
    let info = err
        .method_data()
        .unwrap()
        .unwrap()
        .find(krb::PA_ETYPE_INFO2)
        .unwrap();
    let info = krb::parse_etype_info2(info)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let etype = Enctype::from_wire(info.etype).unwrap();
    let key = string_to_key(etype, "Secr3t!pass", info.salt.unwrap(), info.s2kparams).unwrap();
    // the same key as the KDC's (kadmin.local ktadd -norandkey)
    assert_eq!(
        key.as_bytes(),
        hex("6ffbd37d404b09cfec34d027878711ec483f4c050beaa09694c2adf39c08dd73")
    );
    let client = KrbKey::new(info.etype, key.as_bytes());
    let tgt = kdc_rep_keys(&client, &m[3]).unwrap();
    assert_eq!(tgt.session_key.enctype(), 18);
    assert_eq!(
        tgt.session_key.as_bytes(),
        hex("0fbee49c53633419fa4b7a91483754c363f411e086971558b819c945f33a0a85")
    );
    assert_eq!(
        (tgt.srealm.as_str(), tgt.sname.as_str()),
        ("MITLAB.TEST", "krbtgt/MITLAB.TEST")
    );
    assert_eq!(tgt.nonce, krb::parse_kdc_req(&m[2]).unwrap().nonce);
    let sub = tgs_req_subkey(&tgt.session_key, &m[4]).unwrap().unwrap();
    assert_eq!(sub.enctype(), 18);
    assert_eq!(
        sub.as_bytes(),
        hex("dcd1b95a9cf918e244700548e57b886a72dff03adb644d7925cb0d93c54f44ec")
    );
    // the TGS-REP is FAST-armored: neither key opens it alone...
    assert_eq!(
        kdc_rep_keys(&tgt.session_key, &m[5]),
        Err(KrbCryptoError::Integrity)
    );
    assert_eq!(kdc_rep_keys(&sub, &m[5]), Err(KrbCryptoError::Integrity));
    // ...the FAST reply key does (an MIT KDC strengthens it)
    let svc = tgs_rep_keys(&tgt.session_key, &m[4], &m[5]).unwrap();
    assert_eq!(svc.session_key.enctype(), 18);
    assert_eq!(
        svc.session_key.as_bytes(),
        hex("52d7bb4d27a378f5d655936df78332bc94562e2a4b6e7a0b52e94dab7614a72f")
    );
    assert_eq!(
        (svc.srealm.as_str(), svc.sname.as_str()),
        ("MITLAB.TEST", "cifs/srv.mitlab.test")
    );
    assert_eq!(svc.nonce, krb::parse_kdc_req(&m[4]).unwrap().nonce);
    // a wrong password
    let wrong = string_to_key(etype, "Secr3t!pasS", info.salt.unwrap(), None).unwrap();
    assert_eq!(
        kdc_rep_keys(&KrbKey::new(18, wrong.as_bytes()), &m[3]),
        Err(KrbCryptoError::Integrity)
    );

    // bob: rc4-hmac, where an AS-REP's usage 3 is 8
    let key = string_to_key(Enctype::Rc4Hmac, "Bob!pass2", b"MITLAB.TESTbob", None).unwrap();
    assert_eq!(key.as_bytes(), hex("0915e2445d4686360ed9ae8ba2f1147f"));
    let tgt = kdc_rep_keys(&KrbKey::new(23, key.as_bytes()), &m[9]).unwrap();
    assert_eq!(tgt.session_key.enctype(), 23);
    assert_eq!(
        tgt.session_key.as_bytes(),
        hex("6d52ba0c437ae99e6ae68449b1032728")
    );
    let sub = tgs_req_subkey(&tgt.session_key, &m[10]).unwrap().unwrap();
    assert_eq!(
        (sub.enctype(), sub.as_bytes()),
        (23, &hex("1564493893b4ff17f158f444f46827c0")[..])
    );
    // an AES key cannot open rc4-hmac data
    assert_eq!(
        kdc_rep_keys(&client, &m[9]),
        Err(KrbCryptoError::EnctypeMismatch { key: 18, data: 23 })
    );
    // bob's TGS-REP: FAST with rc4-hmac keys (the PRF is HMAC-SHA1)
    let svc = tgs_rep_keys(&tgt.session_key, &m[10], &m[11]).unwrap();
    assert_eq!(
        (svc.session_key.enctype(), svc.session_key.as_bytes()),
        (23, &hex("739dfa1f2b5ea5c94c3dbef128923d30")[..])
    );
    // another TGT, or the request of the other exchange, fails the integrity check
    assert!(tgs_rep_keys(&KrbKey::new(23, &[9; 16]), &m[10], &m[11]).is_err());
    assert!(tgs_rep_keys(&tgt.session_key, &m[10], &m[5]).is_err());
}

/// What tshark 4.0 shows for samples/krb-smb311.pcap and krb-smb311-rc4.pcap with
/// `-o kerberos.decrypt:TRUE -o kerberos.file:samples/krb.keytab` (the TGT session key
/// it learns from the AS-REP with alice's keytab key).
struct Known {
    file: &'static str,
    tgt: &'static str,
    tgs_subkey: &'static str,
    /// tshark prints the first 4 bytes of derived keys only.
    armor_key_prefix: &'static str,
    strengthen_key: &'static str,
    reply_key_prefix: &'static str,
    service_session_key: &'static str,
}

// A Samba 4.17 AD DC (Heimdal) answering an MIT client's FAST TGS-REQ (implicit armor),
// and the SMB AP-REQ that uses the ticket: the ticket session key from the KDC exchange
// and from the cifs keytab are the same.
#[test]
fn samba_fast_tgs_exchange_end_to_end() {
    let kt_file = std::fs::read(data_dir().join("krblab.keytab")).unwrap();
    let kt = keytab::parse(&kt_file).unwrap();
    let alice = |etype: i32| {
        kt.entries()
            .find(|e| e.enctype == etype && e.principal.matches(b"KRBLAB.TEST", [&b"alice"[..]]))
            .unwrap()
    };
    let known = [
        Known {
            file: "krblab.hex",
            tgt: "0adf6e1b01c38d767120fe9072720777baccd29569255ba74a541ecdb191ee25",
            tgs_subkey: "b62db0e2171769bae30bc0c94c2b110eac659f63c4f4a7fea4242fc43d4aca9d",
            armor_key_prefix: "23e8f4ea",
            strengthen_key: "c475f7de1ac0a3f23008e98a566ef9760df244e1c1f23100f5810a46c3ad16bf",
            reply_key_prefix: "5120198e",
            service_session_key: "58a5bed88ea6154573f6fa890b24a86dcc02ab85611b85f8981212236ee4567b",
        },
        Known {
            file: "krblab-rc4.hex",
            tgt: "2b6b8cd80c4aa58ef0d07f2e09cacced",
            tgs_subkey: "443c9be56b3c60e484480fe78d36b6be",
            armor_key_prefix: "9fdd2045",
            strengthen_key: "523a56bcd68fa1af98de0ffdac03045c",
            reply_key_prefix: "9d57c131",
            service_session_key: "88f6ba4bf869915ae19ee27a214bb5e8",
        },
    ];
    for k in &known {
        let (as_rep, tgs_req, tgs_rep, ap_req) = (
            frame(k.file, 10),
            frame(k.file, 25),
            frame(k.file, 27),
            frame(k.file, 40),
        );
        // alice's key from her password: AES with the AS-REP's ETYPE-INFO2 salt,
        // rc4-hmac the NT hash; both the keytab's
        let rep = krb::parse_kdc_rep(&as_rep).unwrap();
        let etype = rep.enc_part.etype;
        let enctype = Enctype::from_wire(etype).unwrap();
        let (salt, params) = match rep.padata().and_then(|p| p.find(krb::PA_ETYPE_INFO2)) {
            Some(info) => {
                let e = krb::parse_etype_info2(info)
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap();
                assert_eq!(e.etype, etype);
                (e.salt.unwrap().to_vec(), e.s2kparams)
            }
            None => (default_salt(rep.crealm, rep.cname.components()), None),
        };
        let key = string_to_key(enctype, "Secr3t!pass", &salt, params).unwrap();
        assert_eq!(key.as_bytes(), alice(etype).key, "{}", k.file);
        let tgt = kdc_rep_keys(&KrbKey::new(etype, key.as_bytes()), &as_rep).unwrap();
        assert_eq!(tgt.session_key.as_bytes(), hex(k.tgt), "{}", k.file);
        assert_eq!(
            (tgt.srealm.as_str(), tgt.sname.as_str()),
            ("KRBLAB.TEST", "krbtgt/KRBLAB.TEST")
        );

        // the TGS-REQ: subkey, then the armor key (implicit armor)
        let sub = tgs_req_subkey(&tgt.session_key, &tgs_req).unwrap().unwrap();
        assert_eq!(sub.as_bytes(), hex(k.tgs_subkey), "{}", k.file);
        let req = krb::parse_kdc_req(&tgs_req).unwrap();
        let fast_req = req.fast().unwrap().unwrap();
        assert_eq!(fast_req.armor, None);
        let armor = tgs_armor_key(&sub, &tgt.session_key).unwrap();
        assert_eq!(armor.enctype(), etype);
        assert_eq!(armor.as_bytes()[..4], hex(k.armor_key_prefix), "{}", k.file);
        let inner = decrypt_data(&armor, krb::USAGE_FAST_ENC, &fast_req.enc_fast_req).unwrap();
        let inner = krb::parse_krb_fast_req(&inner).unwrap();
        assert_eq!(inner.fast_options, 0x4000_0000); // hide-client-names
        assert_eq!(inner.nonce, req.nonce);
        assert_eq!(
            inner.sname.map(|n| n.to_string()).as_deref(),
            Some("cifs/dc1.krblab.test")
        );

        // the TGS-REP: KrbFastResponse in the armor key, its strengthen-key
        let rep = krb::parse_kdc_rep(&tgs_rep).unwrap();
        assert_eq!(rep.cname.to_string(), "WELLKNOWN/ANONYMOUS");
        let fast_rep = rep.fast().unwrap().unwrap();
        let plain = decrypt_data(&armor, krb::USAGE_FAST_REP, &fast_rep.enc_fast_rep).unwrap();
        let response = krb::parse_krb_fast_response(&plain).unwrap();
        assert_eq!(response.nonce, req.nonce);
        let finished = response.finished.unwrap();
        assert_eq!(
            (finished.crealm, finished.cname.to_string().as_str()),
            (&b"KRBLAB.TEST"[..], "alice")
        );
        let strengthen = KrbKey::from_wire(&response.strengthen_key.unwrap());
        assert_eq!(strengthen.as_bytes(), hex(k.strengthen_key), "{}", k.file);
        let reply = strengthen_reply_key(&strengthen, &sub).unwrap();
        assert_eq!(reply.as_bytes()[..4], hex(k.reply_key_prefix), "{}", k.file);

        // all of it from the two messages
        let svc = tgs_rep_keys(&tgt.session_key, &tgs_req, &tgs_rep).unwrap();
        assert_eq!(
            svc.session_key.as_bytes(),
            hex(k.service_session_key),
            "{}",
            k.file
        );
        assert_eq!(
            (svc.srealm.as_str(), svc.sname.as_str(), svc.nonce),
            ("KRBLAB.TEST", "cifs/dc1.krblab.test", req.nonce)
        );
        assert_eq!(kdc_rep_keys(&reply, &tgs_rep), Ok(svc.clone()));
        // none of the keys alone opens it
        for key in [&tgt.session_key, &sub, &strengthen] {
            assert_eq!(kdc_rep_keys(key, &tgs_rep), Err(KrbCryptoError::Integrity));
        }

        // the cifs keytab opens the ticket of the SMB AP-REQ: the same session key
        let ap = ap_req_keys(kt.entries(), &ap_req).unwrap();
        assert_eq!(ap.ticket_session_key, svc.session_key, "{}", k.file);
        let again = ap_req_keys_with_session_key(&svc.session_key, &ap_req).unwrap();
        assert_eq!(again.authenticator_subkey, ap.authenticator_subkey);
        assert_eq!(
            (ap.client_realm.as_str(), ap.client_name.as_str()),
            ("KRBLAB.TEST", "alice")
        );

        // wrong keys and wrong messages
        let other = KrbKey::new(etype, &vec![7; enctype.key_len()]);
        assert_eq!(
            tgs_rep_keys(&other, &tgs_req, &tgs_rep),
            Err(KrbCryptoError::Integrity)
        );
        assert!(matches!(
            tgs_rep_keys(&tgt.session_key, &tgs_rep, &tgs_req),
            Err(KrbCryptoError::WrongMessage { .. })
        ));
        assert!(matches!(
            tgs_rep_keys(&tgt.session_key, &as_rep, &tgs_rep),
            Err(KrbCryptoError::WrongMessage { .. })
        ));
        assert!(!format!("{svc:?}").contains(&k.service_session_key[..8]));
    }
    // the AS exchange is not armored: the AS-REP has no PA-FX-FAST, the KRB-ERROR
    // offers it (empty)
    let as_rep = frame("krblab.hex", 10);
    assert_eq!(krb::parse_kdc_rep(&as_rep).unwrap().fast(), None);
    let err = frame("krblab.hex", 2);
    let err = krb::parse_krb_error(&err).unwrap();
    let md = err.method_data().unwrap().unwrap();
    assert_eq!(md.find(krb::PA_FX_FAST), Some(&[][..]));
}

// zeek/smb2_krb.pcap, frames 12 and 14, against what tshark 4.0 prints with the
// published keytab (dissectors/tests/data/kerberos/README.md).
#[test]
fn smb2_krb_session_setup_end_to_end() {
    let file = std::fs::read(data_dir().join("smb2_krb.keytab")).unwrap();
    let kt = keytab::parse(&file).unwrap();
    let ap_req = fixture("smb2_krb_ap_req.hex");
    let req = ap_req_keys(kt.entries(), &ap_req).unwrap();
    assert_eq!(req.ticket_session_key.enctype(), 18);
    assert_eq!(
        req.ticket_session_key.as_bytes(),
        hex("8f62794a9046010ab2fcf1a555183486fc41fb01b87633957e7b57d6920c95b2")
    );
    let sub = req.authenticator_subkey.as_ref().unwrap();
    assert_eq!(sub.enctype(), 18);
    assert_eq!(
        sub.as_bytes(),
        hex("305cd2e4361e9afd3d77e045b0ea61d3d8e39972976ebb336aa8d808c0377e60")
    );
    assert_eq!(req.seq_number, Some(584_874_224));
    assert_eq!(
        (req.client_realm.as_str(), req.client_name.as_str()),
        ("DS.SUSQ.COM", "wallior")
    );
    assert_eq!(req.keytab_entry, Some(0));

    let ap_rep = fixture("smb2_krb_ap_rep.hex");
    let rep = ap_rep_keys(&req.ticket_session_key, &ap_rep).unwrap();
    let sub = rep.subkey.as_ref().unwrap();
    assert_eq!(sub.enctype(), 18);
    assert_eq!(
        sub.as_bytes(),
        hex("5102c65b8aa67ea7fd7884433b46ede1bcf934c6bb17f7ea5aa6beca4e9e30b1")
    );
    assert_eq!(rep.seq_number, Some(901_016_573));
    assert_eq!(session_key(&req, Some(&rep)), sub);
    assert_eq!(
        session_key(&req, None),
        req.authenticator_subkey.as_ref().unwrap()
    );

    // knowing the ticket session key is enough for the authenticator
    let again = ap_req_keys_with_session_key(&req.ticket_session_key, &ap_req).unwrap();
    assert_eq!(again.authenticator_subkey, req.authenticator_subkey);
    assert_eq!(again.keytab_entry, None);

    // the wrong keys, the wrong messages
    let wrong = KrbKey::new(18, &[7; 32]);
    assert_eq!(ap_rep_keys(&wrong, &ap_rep), Err(KrbCryptoError::Integrity));
    assert_eq!(
        ap_rep_keys(&req.ticket_session_key, &ap_req),
        Err(KrbCryptoError::WrongMessage {
            expected: "AP-REP",
            found: "AP-REQ"
        })
    );
    let other = std::fs::read(data_dir().join("alice.keytab")).unwrap();
    let other = keytab::parse(&other).unwrap();
    assert_eq!(
        ap_req_keys(other.entries(), &ap_req),
        Err(KrbCryptoError::NoKey {
            etype: 18,
            kvno: Some(2),
            tried: 2
        })
    );
    assert_eq!(
        ap_req_keys(kt.entries(), b"NTLMSSP\0\x01\0\0\0"),
        Err(KrbCryptoError::NoToken)
    );
    assert!(!format!("{req:?}").contains("8f62"));
}

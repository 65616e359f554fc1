//! Kerberos messages from real traffic: the AP-REQ / AP-REP of zeek/smb2_krb.pcap's
//! SESSION_SETUP, the AS and TGS exchanges of an MIT KDC (the values tshark shows,
//! tests/data/kerberos/README.md), and robustness on every truncation and on damaged
//! copies.

mod common;

use std::path::PathBuf;

use common::{security_buffer, unhex};
use dissectors::kerberos::{self, Krb5Token};

fn token(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kerberos")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    unhex(
        &text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<String>(),
    )
}

/// The messages of a `# frame N: what` file (mitkdc.hex, krblab.hex...), in frame order.
fn frames(name: &str) -> Vec<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kerberos")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    let mut out: Vec<String> = Vec::new();
    for l in text.lines() {
        if l.starts_with("# frame ") {
            out.push(String::new());
        } else if let Some(last) = out.last_mut().filter(|_| !l.starts_with('#')) {
            last.push_str(l.trim());
        }
    }
    out.iter().map(|h| unhex(h)).collect()
}

/// The messages of mitkdc.hex, in frame order.
fn mitkdc() -> Vec<Vec<u8>> {
    frames("mitkdc.hex")
}

/// krblab.hex: frames 2 (KRB-ERROR), 10 (AS-REP), 25 (TGS-REQ), 27 (TGS-REP), 40 (AP-REQ).
fn krblab() -> Vec<Vec<u8>> {
    frames("krblab.hex")
}

fn names(n: &kerberos::PrincipalName<'_>) -> String {
    n.to_string()
}

#[test]
fn ap_req_of_smb2_krb() {
    let tok = token("smb2_krb_ap_req.hex");
    let Krb5Token::ApReq(r) = kerberos::parse_gss_token(&tok).unwrap() else {
        panic!("not an AP-REQ")
    };
    assert_eq!(r.ap_options, 0x2000_0000); // mutual-required
    assert_eq!(r.ticket.realm, b"DS.SUSQ.COM");
    assert_eq!(r.ticket.sname.name_type, 2);
    assert_eq!(
        r.ticket.sname.to_string(),
        "cifs/phxlabbal821.techlab.susq.com"
    );
    assert_eq!(
        (r.ticket.enc_part.etype, r.ticket.enc_part.kvno),
        (18, Some(2))
    );
    assert!(
        r.ticket
            .enc_part
            .cipher
            .starts_with(&unhex("8fd8f4f8fbcff447c4e84aa9"))
    );
    assert_eq!((r.authenticator.etype, r.authenticator.kvno), (18, None));
    assert!(
        r.authenticator
            .cipher
            .starts_with(&unhex("f08bc606cc59f49550544f6e"))
    );

    // the same token found in the SMB2 SESSION_SETUP request (SPNEGO mechToken)
    let blob = security_buffer("krb_sess_req");
    assert_eq!(kerberos::find_token(&blob), Ok(Some(Krb5Token::ApReq(r))));
    // and the bare AP-REQ after the GSS-API header (0x60 len, OID, TOK_ID)
    let bare = &tok[4 + 11 + 2..];
    assert_eq!(kerberos::find_token(bare), Ok(Some(Krb5Token::ApReq(r))));
}

#[test]
fn ap_rep_of_smb2_krb() {
    let tok = token("smb2_krb_ap_rep.hex");
    let Krb5Token::ApRep(r) = kerberos::parse_gss_token(&tok).unwrap() else {
        panic!("not an AP-REP")
    };
    assert_eq!((r.enc_part.etype, r.enc_part.kvno), (18, None));
    assert_eq!(r.enc_part.cipher.len(), 110);
    assert!(
        r.enc_part
            .cipher
            .starts_with(&unhex("ec6df261f2543a57496851b2"))
    );
    let blob = security_buffer("krb_sess_resp");
    assert_eq!(kerberos::find_token(&blob), Ok(Some(Krb5Token::ApRep(r))));
}

#[test]
fn kdc_exchanges_of_mit_krb5() {
    let m = mitkdc();
    assert_eq!(m.len(), 12);

    // frame 1: AS-REQ for alice
    let r = kerberos::parse_kdc_req(&m[0]).unwrap();
    assert_eq!(r.msg_type, 10);
    assert_eq!(r.realm, b"MITLAB.TEST");
    assert_eq!(
        r.cname.map(|n| (n.name_type, names(&n))),
        Some((1, "alice".into()))
    );
    assert_eq!(
        r.sname.map(|n| names(&n)).as_deref(),
        Some("krbtgt/MITLAB.TEST")
    );
    assert_eq!(r.tgs_ap_req(), None);

    // frame 2: KRB-ERROR PREAUTH_REQUIRED, the salt in its ETYPE-INFO2
    let e = kerberos::parse_krb_error(&m[1]).unwrap();
    assert_eq!(e.error_code, kerberos::KDC_ERR_PREAUTH_REQUIRED);
    assert_eq!(
        (e.realm, names(&e.sname).as_str()),
        (&b"MITLAB.TEST"[..], "krbtgt/MITLAB.TEST")
    );
    assert_eq!(e.cname.map(|n| names(&n)).as_deref(), Some("alice"));
    let info2 = e
        .method_data()
        .unwrap()
        .unwrap()
        .find(kerberos::PA_ETYPE_INFO2)
        .unwrap();
    let entries: Vec<_> = kerberos::parse_etype_info2(info2).unwrap().collect();
    assert_eq!(
        entries,
        [Ok(kerberos::EtypeInfo2Entry {
            etype: 18,
            salt: Some(&b"MITLAB.TESTalice"[..]),
            s2kparams: None
        })]
    );
    assert_eq!(kerberos::find_token(&m[1]), Ok(Some(Krb5Token::Error(e))));

    // frame 3: the AS-REQ again, with PA-ENC-TIMESTAMP (type 2)
    let r3 = kerberos::parse_kdc_req(&m[2]).unwrap();
    assert!(
        r3.padata()
            .unwrap()
            .any(|p| p.is_ok_and(|p| p.padata_type == 2))
    );

    // frame 4: AS-REP
    let rep = kerberos::parse_kdc_rep(&m[3]).unwrap();
    assert_eq!(rep.msg_type, 11);
    assert_eq!(
        (rep.crealm, names(&rep.cname).as_str()),
        (&b"MITLAB.TEST"[..], "alice")
    );
    assert_eq!(names(&rep.ticket.sname), "krbtgt/MITLAB.TEST");
    assert_eq!(
        (rep.ticket.enc_part.etype, rep.ticket.enc_part.kvno),
        (18, Some(1))
    );
    assert_eq!((rep.enc_part.etype, rep.enc_part.kvno), (18, None));
    let salt = rep
        .padata()
        .unwrap()
        .find(kerberos::PA_ETYPE_INFO2)
        .unwrap();
    let salt = kerberos::parse_etype_info2(salt)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        (salt.etype, salt.salt),
        (18, Some(&b"MITLAB.TESTalice"[..]))
    );

    // frame 5: TGS-REQ for cifs/srv.mitlab.test, the TGT in its PA-TGS-REQ
    let r = kerberos::parse_kdc_req(&m[4]).unwrap();
    assert_eq!((r.msg_type, r.cname), (12, None));
    assert_eq!(
        r.sname.map(|n| names(&n)).as_deref(),
        Some("cifs/srv.mitlab.test")
    );
    let tgt = r.tgs_ap_req().unwrap().unwrap();
    assert_eq!(tgt.ticket, rep.ticket);
    assert_eq!((tgt.authenticator.etype, tgt.ap_options), (18, 0));

    // frame 6: TGS-REP
    let rep = kerberos::parse_kdc_rep(&m[5]).unwrap();
    assert_eq!(rep.msg_type, 13);
    assert_eq!(names(&rep.ticket.sname), "cifs/srv.mitlab.test");
    assert_eq!(
        (rep.ticket.enc_part.etype, rep.ticket.enc_part.kvno),
        (18, Some(1))
    );

    // frame 8: bob's KRB-ERROR has ETYPE-INFO (salt as octets) and ETYPE-INFO2
    let e = kerberos::parse_krb_error(&m[7]).unwrap();
    let md = || e.method_data().unwrap().unwrap();
    for t in [kerberos::PA_ETYPE_INFO, kerberos::PA_ETYPE_INFO2] {
        let v = md().find(t).unwrap();
        let i = kerberos::parse_etype_info2(v)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            (i.etype, i.salt),
            (23, Some(&b"MITLAB.TESTbob"[..])),
            "padata {t}"
        );
    }

    // frame 10: bob's AS-REP, enc-part in rc4-hmac
    let rep = kerberos::parse_kdc_rep(&m[9]).unwrap();
    assert_eq!(
        (names(&rep.cname).as_str(), rep.enc_part.etype),
        ("bob", 23)
    );

    // the other parsers refuse what is not theirs
    assert!(kerberos::parse_kdc_rep(&m[0]).is_err());
    assert!(kerberos::parse_kdc_req(&m[3]).is_err());
    assert!(kerberos::parse_krb_error(&m[3]).is_err());
    assert!(kerberos::parse_ap_req(&m[4]).is_err());
}

// The FAST TGS exchange of a Samba 4.17 AD DC with an MIT client (samples/krb-smb311.pcap):
// what tshark 4.0 shows of the PA-FX-FAST of frames 25 and 27.
#[test]
fn fast_tgs_exchange_of_samba() {
    let m = krblab();
    assert_eq!(m.len(), 5);

    // frame 2: the KDC offers FAST with an empty PA-FX-FAST
    let e = kerberos::parse_krb_error(&m[0]).unwrap();
    assert_eq!(e.error_code, kerberos::KDC_ERR_PREAUTH_REQUIRED);
    let md = e.method_data().unwrap().unwrap();
    assert_eq!(md.clone().find(kerberos::PA_FX_FAST), Some(&[][..]));
    let salt = kerberos::parse_etype_info2(md.find(kerberos::PA_ETYPE_INFO2).unwrap())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        (salt.etype, salt.salt, salt.s2kparams),
        (
            18,
            Some(&b"KRBLAB.TESTalice"[..]),
            Some(&[0, 0, 0x10, 0][..])
        )
    );

    // frame 10: the AS-REP is not armored
    let rep = kerberos::parse_kdc_rep(&m[1]).unwrap();
    assert_eq!(rep.fast(), None);
    assert_eq!(names(&rep.cname), "alice");

    // frame 25: TGS-REQ with PA-TGS-REQ and PA-FX-FAST (implicit armor)
    let req = kerberos::parse_kdc_req(&m[2]).unwrap();
    assert_eq!(req.msg_type, 12);
    let types: Vec<i32> = req
        .padata()
        .unwrap()
        .map(|p| p.unwrap().padata_type)
        .collect();
    assert_eq!(types, [kerberos::PA_TGS_REQ, kerberos::PA_FX_FAST]);
    let fast = req.fast().unwrap().unwrap();
    assert_eq!(fast.armor, None);
    assert_eq!(
        (fast.enc_fast_req.etype, fast.enc_fast_req.kvno),
        (18, None)
    );
    assert!(
        fast.enc_fast_req
            .cipher
            .starts_with(&unhex("ed7473adbb964acfa9ba6d02246c5fc9"))
    );
    let tgt = req.tgs_ap_req().unwrap().unwrap();
    assert_eq!(names(&tgt.ticket.sname), "krbtgt/KRBLAB.TEST");

    // frame 27: TGS-REP, PA-FX-FAST-REPLY, the client name hidden
    let rep = kerberos::parse_kdc_rep(&m[3]).unwrap();
    assert_eq!(rep.msg_type, 13);
    assert_eq!(
        (rep.crealm, names(&rep.cname).as_str(), rep.cname.name_type),
        (&b"WELLKNOWN:ANONYMOUS"[..], "WELLKNOWN/ANONYMOUS", 11)
    );
    assert_eq!(names(&rep.ticket.sname), "cifs/dc1.krblab.test");
    let fast = rep.fast().unwrap().unwrap();
    assert_eq!(fast.enc_fast_rep.etype, 18);
    assert_eq!(fast.enc_fast_rep.cipher.len(), 0xb0);
    assert!(
        fast.enc_fast_rep
            .cipher
            .starts_with(&unhex("271421721ff03e4f4b8768c7f8d424a0"))
    );
    // the PA-FX-FAST of a request is not that of a reply, and the other way round
    let rep_value = rep.padata().unwrap().find(kerberos::PA_FX_FAST).unwrap();
    assert!(kerberos::parse_pa_fx_fast_request(rep_value).is_err());
    let req_value = req.padata().unwrap().find(kerberos::PA_FX_FAST).unwrap();
    assert!(kerberos::parse_pa_fx_fast_reply(req_value).is_err());
    assert!(kerberos::parse_krb_fast_response(rep_value).is_err());
    assert!(kerberos::parse_krb_fast_req(req_value).is_err());

    // frame 40: the SMB AP-REQ with the service ticket of frame 27
    let Ok(Some(Krb5Token::ApReq(ap))) = kerberos::find_token(&m[4]) else {
        panic!("not an AP-REQ")
    };
    assert_eq!(ap.ticket, rep.ticket);
}

#[test]
fn kdc_messages_every_truncation_is_an_error() {
    for (i, msg) in mitkdc().iter().chain(krblab().iter()).enumerate() {
        for n in 0..msg.len() {
            let b = &msg[..n];
            assert!(
                kerberos::parse_kdc_req(b).is_err()
                    && kerberos::parse_kdc_rep(b).is_err()
                    && kerberos::parse_krb_error(b).is_err(),
                "message {i} (mitkdc.hex then krblab.hex): {n}"
            );
        }
        for bit in 0..8 {
            for j in 0..msg.len() {
                let mut t = msg.clone();
                t[j] ^= 1 << bit;
                exercise(&t);
            }
        }
    }
}

#[test]
fn blobs_without_kerberos() {
    assert_eq!(kerberos::find_token(&[]), Ok(None));
    let ntlm = security_buffer("smb311_sess_req1");
    assert_eq!(kerberos::find_token(&ntlm), Ok(None));
    assert_eq!(kerberos::find_token(b"NTLMSSP\0\x01\0\0\0"), Ok(None));
    assert!(kerberos::find_token(b"garbage").is_err());
    // a TOK_ID that does not match the message
    let mut tok = token("smb2_krb_ap_rep.hex");
    tok[4 + 11] = 0x01;
    assert_eq!(
        kerberos::parse_gss_token(&tok),
        Err(dissectors::Error::Invalid(
            "TOK_ID does not match the Kerberos message"
        ))
    );
}

#[test]
fn every_truncation_is_an_error() {
    for name in ["smb2_krb_ap_req.hex", "smb2_krb_ap_rep.hex"] {
        let tok = token(name);
        let bare = &tok[tok.len() - (tok.len() - 4 - 11 - 2)..];
        for n in 0..tok.len() {
            assert!(kerberos::parse_gss_token(&tok[..n]).is_err(), "{name}: {n}");
        }
        for n in 0..bare.len() {
            assert!(
                kerberos::parse_gss_token(&bare[..n]).is_err(),
                "{name} bare: {n}"
            );
        }
    }
    for name in ["krb_sess_req", "krb_sess_resp"] {
        let blob = security_buffer(name);
        for n in 0..blob.len() {
            assert!(
                !matches!(kerberos::find_token(&blob[..n]), Ok(Some(_))),
                "{name}: {n}"
            );
        }
    }
}

/// Everything the parsers offer on `b`, whatever it is: damaged bytes must give errors,
/// never a panic.
fn exercise(b: &[u8]) {
    let padata = |list: Option<kerberos::PaDataList<'_>>| {
        for pa in list.into_iter().flatten().take(1000).flatten() {
            if let Ok(info) = kerberos::parse_etype_info2(pa.value) {
                info.take(1000).for_each(drop);
            }
        }
    };
    let _ = kerberos::find_token(b);
    if let Ok(e) = kerberos::parse_krb_error(b) {
        padata(e.method_data().and_then(|m| m.ok()));
    }
    if let Ok(r) = kerberos::parse_kdc_req(b) {
        padata(r.padata());
        let _ = r.tgs_ap_req();
        if let Some(Ok(f)) = r.fast() {
            let _ = f.armor.map(|a| a.ap_req());
        }
    }
    if let Ok(r) = kerberos::parse_kdc_rep(b) {
        padata(r.padata());
        let _ = r.fast();
    }
    if let Ok(r) = kerberos::parse_krb_fast_req(b) {
        padata(Some(r.padata()));
    }
    if let Ok(r) = kerberos::parse_krb_fast_response(b) {
        padata(Some(r.padata()));
    }
    let _ = kerberos::parse_pa_fx_fast_request(b);
    let _ = kerberos::parse_pa_fx_fast_reply(b);
    let _ = kerberos::parse_enc_ticket_part(b);
    let _ = kerberos::parse_authenticator(b);
    let _ = kerberos::parse_enc_ap_rep_part(b);
    let _ = kerberos::parse_enc_kdc_rep_part(b);
}

#[test]
fn damaged_tokens_never_panic() {
    let rep = token("smb2_krb_ap_rep.hex");
    for i in 0..rep.len() {
        for bit in 0..8 {
            let mut t = rep.clone();
            t[i] ^= 1 << bit;
            exercise(&t);
        }
    }
    let req = token("smb2_krb_ap_req.hex");
    for i in 0..req.len() {
        for v in [0x00, 0x7f, 0x80, 0xff] {
            let mut t = req.clone();
            t[i] = v;
            exercise(&t);
        }
    }
}

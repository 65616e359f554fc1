//! SPNEGO and NTLMSSP from real SMB2 session setups (samples/smb311.pcap frames 8, 9,
//! 10); expected values are tshark's dissection of the same frames.

mod common;

use common::{security_buffer, unhex};
use dissectors::{ntlmssp, spnego};

#[test]
fn ntlm_negotiate_in_neg_token_init() {
    let blob = security_buffer("smb311_sess_req1");
    let spnego::Token::Init(init) = spnego::parse_token(&blob).unwrap() else {
        panic!()
    };
    assert_eq!(init.mech_types().collect::<Vec<_>>(), [spnego::OID_NTLMSSP]);
    // mechListMIC is computed over the DER of MechTypeList (a SEQUENCE of one OID)
    assert_eq!(
        init.mech_types_der.unwrap(),
        unhex("300c060a2b06010401823702020a")
    );
    let m = spnego::find_ntlmssp(&blob).unwrap();
    assert_eq!(Some(m), init.mech_token);
    let n = ntlmssp::parse_negotiate(m).unwrap();
    assert_eq!(n.flags, 0x62088215);
    assert!(n.domain.is_empty() && n.workstation.is_empty());
    let v = n.version.unwrap();
    assert_eq!((v.major, v.minor, v.build, v.ntlm_revision), (6, 1, 0, 15));
}

#[test]
fn ntlm_challenge() {
    let blob = security_buffer("smb311_sess_resp1");
    let m = spnego::find_ntlmssp(&blob).unwrap();
    let ntlmssp::Message::Challenge(c) = ntlmssp::parse_message(m).unwrap() else {
        panic!()
    };
    assert_eq!(c.target_name_string(), "LABSRV");
    assert_eq!(c.flags, 0x628a8215);
    assert_ne!(c.flags & ntlmssp::NEGOTIATE_TARGET_INFO, 0);
    assert_eq!(c.server_challenge.to_vec(), unhex("219e450a78c98417"));
    let pairs: Vec<_> = c.av_pairs().map(|p| p.unwrap()).collect();
    let ids: Vec<_> = pairs.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [
            ntlmssp::AV_NB_DOMAIN_NAME,
            ntlmssp::AV_NB_COMPUTER_NAME,
            ntlmssp::AV_DNS_DOMAIN_NAME,
            ntlmssp::AV_DNS_COMPUTER_NAME,
            ntlmssp::AV_TIMESTAMP
        ]
    );
    assert_eq!(pairs[0].string(), "LABSRV");
    assert_eq!(pairs[1].string(), "LABSRV");
    assert_eq!(pairs[2].string(), "");
    assert_eq!(pairs[3].string(), "vm");
    assert!(pairs[4].as_u64().is_some());
    let v = c.version.unwrap();
    assert_eq!((v.major, v.minor, v.build, v.ntlm_revision), (6, 1, 0, 15));
}

#[test]
fn ntlmv2_authenticate_with_mic() {
    let blob = security_buffer("smb311_sess_req2");
    assert_eq!(blob.len(), 412);
    let spnego::Token::Resp(resp) = spnego::parse_token(&blob).unwrap() else {
        panic!()
    };
    assert_eq!(
        resp.mech_list_mic,
        Some(&unhex("010000009335942812dfeb9800000000")[..])
    );
    let m = spnego::find_ntlmssp(&blob).unwrap();
    let a = ntlmssp::parse_authenticate(m).unwrap();
    assert_eq!(a.lm_response, [0u8; 24]);
    assert_eq!(a.nt_response.len(), 216);
    assert!(a.is_ntlmv2());
    assert_eq!(a.domain_string(), "WORKGROUP");
    assert_eq!(a.user_string(), "alice");
    assert_eq!(a.workstation_string(), "VM");
    assert_eq!(
        a.encrypted_session_key,
        unhex("3d063a548641f6d6b7613d54da787b6d")
    );
    assert_eq!(a.flags, 0x62088215);
    assert_ne!(a.flags & ntlmssp::NEGOTIATE_KEY_EXCH, 0);
    let v = a.version.unwrap();
    assert_eq!((v.major, v.minor, v.build, v.ntlm_revision), (6, 1, 0, 15));
    let mic = unhex("5c1c5c4ef5fecbf3dac98d23c62557ea");
    assert_eq!(a.mic.unwrap().to_vec(), mic);
    let off = a.mic_offset.unwrap();
    assert_eq!(off, 72);
    assert_eq!(&m[off..off + 16], &mic[..]);

    let v2 = a.ntlmv2_response().unwrap();
    assert_eq!(
        v2.nt_proof_str.to_vec(),
        unhex("8f3e4673fa5b4dcc82edda0230f86519")
    );
    assert_eq!((v2.resp_type, v2.hi_resp_type), (1, 1));
    assert_eq!(v2.client_challenge.to_vec(), unhex("ce45f1585311afff"));
    assert_eq!(v2.blob, &a.nt_response[16..]);
    let ids: Vec<_> = v2.av_pairs().map(|p| p.unwrap().id).collect();
    assert_eq!(ids, [2, 1, 4, 3, 7, 6, 8, 10, 9]);
    let flags = v2.av_pairs().find(ntlmssp::AV_FLAGS).unwrap();
    assert_eq!(flags.as_u32(), Some(ntlmssp::AV_FLAG_MIC_PRESENT));
    let target = v2.av_pairs().find(ntlmssp::AV_TARGET_NAME).unwrap();
    assert_eq!(target.string(), "cifs/127.0.0.1");
    let cb = v2.av_pairs().find(ntlmssp::AV_CHANNEL_BINDINGS).unwrap();
    assert_eq!(cb.value, [0u8; 16]);
}

// zeek/smb2_krb.pcap frames 12 and 14: Kerberos inside SPNEGO (tshark: mechTypes MS KRB5,
// KRB5, NEGOEX, NTLMSSP; the mechToken is a KRB5 GSS token; supportedMech MS KRB5)
#[test]
fn kerberos_is_recognised() {
    let blob = security_buffer("krb_sess_req");
    let spnego::Token::Init(init) = spnego::parse_token(&blob).unwrap() else {
        panic!()
    };
    let mechs: Vec<_> = init.mech_types().map(spnego::Mech::from_oid).collect();
    assert_eq!(
        mechs,
        [
            spnego::Mech::Kerberos,
            spnego::Mech::Kerberos,
            spnego::Mech::Negoex,
            spnego::Mech::Ntlmssp
        ]
    );
    assert_eq!(init.mech_types().next(), Some(spnego::OID_MS_KRB5));
    let tok = init.mech_token.unwrap();
    let spnego::Token::Gss { mech, .. } = spnego::parse_token(tok).unwrap() else {
        panic!()
    };
    assert_eq!(mech, spnego::OID_KRB5);
    assert_eq!(spnego::blob_mech(&blob), Some(spnego::Mech::Kerberos));
    assert_eq!(spnego::find_ntlmssp(&blob), None);

    let blob = security_buffer("krb_sess_resp");
    let spnego::Token::Resp(resp) = spnego::parse_token(&blob).unwrap() else {
        panic!()
    };
    assert_eq!(resp.supported_mech, Some(spnego::OID_MS_KRB5));
    assert_eq!(spnego::blob_mech(&blob), Some(spnego::Mech::Kerberos));
}

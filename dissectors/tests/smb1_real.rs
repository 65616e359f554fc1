//! SMB1 dissection of PDUs from real captures; expected values are tshark's dissection
//! of the same frames.

mod common;

use common::{pdu, unhex};
use dissectors::smb1::{self, Body, SessionSetupAuth};
use dissectors::{PduKind, ntlmssp, pdu_kind, spnego};

fn parse(name: &str) -> (smb1::Header<'static>, smb1::Block<'static>, Body<'static>) {
    let bytes: &'static [u8] = Box::leak(pdu(name).into_boxed_slice());
    assert_eq!(pdu_kind(bytes), Some(PduKind::Smb1), "{name}");
    let m = smb1::parse_message(bytes).expect("message");
    let body = smb1::parse_body(&m.header, &m.block).expect("body");
    (m.header, m.block, body)
}

// samples/smb1-ntlmv1.pcap frames 4 and 6
#[test]
fn negotiate_extended_security() {
    let (h, b, body) = parse("smb1_negotiate_req");
    assert_eq!(h.command, smb1::COM_NEGOTIATE);
    assert_eq!(h.flags, 0x18);
    assert_eq!((h.tid, h.pid_low, h.uid, h.mid), (0, 65534, 0, 0));
    assert_eq!(b.word_count, 0);
    assert_eq!(b.bytes.len(), 27);
    let Body::NegotiateRequest(r) = body else {
        panic!("{body:?}")
    };
    let d: Vec<_> = r.dialects().collect();
    assert_eq!(d, [&b"NT LANMAN 1.0"[..], b"NT LM 0.12"]);

    let (h, b, body) = parse("smb1_negotiate_resp");
    assert!(h.is_response());
    assert_eq!(h.flags, 0x88);
    assert_eq!(b.word_count, 17);
    assert_eq!(b.bytes.len(), 90);
    let Body::NegotiateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.dialect_index, 0);
    assert_eq!(r.security_mode, 0x0f);
    assert!(r.signing_enabled() && r.signing_required());
    assert_eq!((r.max_mpx_count, r.max_number_vcs), (50, 1));
    assert_eq!(r.max_buffer_size, 16644);
    assert_eq!(r.session_key, 0x3b34);
    assert_eq!(r.capabilities, 0x8080f3fc);
    assert!(r.is_extended_security());
    assert_eq!(
        r.server_guid.unwrap().to_vec(),
        unhex("6c616273727600000000000000000000")
    );
    assert_eq!(r.security_blob.len(), 74);
    assert_eq!(r.challenge, None);
    assert_eq!(
        spnego::blob_mech(r.security_blob),
        Some(spnego::Mech::Ntlmssp)
    );
}

// samples/smb1-ntlmv1.pcap frames 10 and 11: NTLMv1 (extended session security) inside
// SPNEGO, with the "BSRSPYL " placeholder where the MAC belongs
#[test]
fn session_setup_extended_security() {
    let (h, b, body) = parse("smb1_sess_req2");
    assert_eq!(&h.signature, b"BSRSPYL ");
    assert_eq!((h.pid_low, h.uid, h.mid), (15155, 13470, 2));
    assert_eq!(b.word_count, 12);
    assert_eq!(b.bytes.len(), 239);
    let Body::SessionSetupRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.andx.command, smb1::COM_NO_ANDX_COMMAND);
    assert_eq!(
        (r.max_buffer_size, r.max_mpx_count, r.vc_number),
        (65535, 2, 1)
    );
    assert_eq!(r.session_key, 0);
    assert_eq!(r.capabilities, 0x8000c054);
    assert_eq!(r.native_os.to_string_lossy(), "Unix");
    assert_eq!(r.native_lanman.to_string_lossy(), "Samba");
    let SessionSetupAuth::ExtendedSecurity { security_blob } = r.auth else {
        panic!()
    };
    let spnego::Token::Resp(resp) = spnego::parse_token(security_blob).unwrap() else {
        panic!()
    };
    assert_eq!(
        resp.mech_list_mic,
        Some(&unhex("01000000cb645373bd728b0d00000000")[..])
    );
    let ntlm = spnego::find_ntlmssp(security_blob).unwrap();
    let a = ntlmssp::parse_authenticate(ntlm).unwrap();
    assert_eq!(
        a.lm_response,
        unhex("286c9ad176d43eba00000000000000000000000000000000")
    );
    assert_eq!(
        a.nt_response,
        unhex("0ee8cce9793b4ebeace58c0d5da2c2b3fc41401cb9b3e6c2")
    );
    assert!(!a.is_ntlmv2());
    assert_eq!(a.domain_string(), "WORKGROUP");
    assert_eq!(a.user_string(), "alice");
    assert_eq!(a.workstation_string(), "VM");
    assert_eq!(
        a.encrypted_session_key,
        unhex("13792b75de4564f55a96393eb4e7ce32")
    );
    assert_eq!(
        a.mic.unwrap().to_vec(),
        unhex("c3dbccd501d1571dca9dc4e600df8f87")
    );

    let (h, b, body) = parse("smb1_sess_resp2");
    assert_eq!(h.signature.to_vec(), unhex("1427e3901a28de3e"));
    assert_eq!(b.word_count, 4);
    let Body::SessionSetupResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.action, 0);
    assert!(!r.is_guest());
    assert_eq!(
        r.security_blob,
        unhex("a11b3019a0030a0100a312041001000000f76942dab95c0a2100000000")
    );
    assert_eq!(r.native_os.to_string_lossy(), "Windows 6.1");
    assert_eq!(r.native_lanman.to_string_lossy(), "Samba 4.17.12-Debian");
    assert_eq!(r.primary_domain.to_string_lossy(), "LAB");
}

// samples/smb1-raw-ntlmv1.pcap frames 6 and 8: no extended security, raw NTLMv1
#[test]
fn negotiate_and_session_setup_without_extended_security() {
    let (_, _, body) = parse("smb1_raw_negotiate_resp");
    let Body::NegotiateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert!(!r.is_extended_security());
    assert_eq!(r.capabilities, 0x0080f3fc);
    assert_eq!(r.session_key, 0x3b88);
    assert_eq!(r.challenge.unwrap().to_vec(), unhex("6075bf9b46c51a30"));
    assert_eq!(r.domain_name.to_string_lossy(), "LAB");
    assert_eq!(r.server_name.to_string_lossy(), "LABSRV");
    assert_eq!(r.server_guid, None);

    let (h, b, body) = parse("smb1_raw_sess_req");
    assert_eq!(&h.signature, b"BSRSPYL ");
    assert_eq!(b.word_count, 13);
    assert_eq!(b.bytes.len(), 103);
    let Body::SessionSetupRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.vc_number, 15239);
    assert_eq!(r.session_key, 0x3b88);
    assert_eq!(r.capabilities, 0xc054);
    let SessionSetupAuth::Password {
        lm_response,
        nt_response,
        account_name,
        primary_domain,
    } = r.auth
    else {
        panic!()
    };
    let v1 = unhex("6375abbd1b36e9cbc660ea4996e44472e59053bc992e41b9");
    assert_eq!(lm_response, v1);
    assert_eq!(nt_response, v1);
    assert_eq!(account_name.to_string_lossy(), "alice");
    assert_eq!(primary_domain.to_string_lossy(), "WORKGROUP");
    assert_eq!(r.native_os.to_string_lossy(), "Unix");
    assert_eq!(r.native_lanman.to_string_lossy(), "Samba");
}

// samples/smb1-raw-ntlmv2.pcap frame 8: raw NTLMv2 in the Unicode password
#[test]
fn session_setup_raw_ntlmv2() {
    let (_, _, body) = parse("smb1_raw2_sess_req");
    let Body::SessionSetupRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.vc_number, 15430);
    assert_eq!(r.session_key, 0x3c47);
    let SessionSetupAuth::Password {
        lm_response,
        nt_response,
        account_name,
        primary_domain,
    } = r.auth
    else {
        panic!()
    };
    assert_eq!(lm_response, [0u8; 24]);
    assert_eq!(nt_response.len(), 70);
    let v2 = ntlmssp::parse_ntlmv2_response(nt_response).unwrap();
    assert_eq!(
        v2.nt_proof_str.to_vec(),
        unhex("ce4d8e5dd772d7b0d9cb3b0423abf0ba")
    );
    assert_eq!((v2.resp_type, v2.hi_resp_type), (1, 1));
    assert_eq!(v2.client_challenge.to_vec(), unhex("ab70ceb574a9ee1d"));
    let dom = v2.av_pairs().find(ntlmssp::AV_NB_DOMAIN_NAME).unwrap();
    assert_eq!(dom.string(), "WORKGROUP");
    assert_eq!(account_name.to_string_lossy(), "alice");
    assert_eq!(primary_domain.to_string_lossy(), "WORKGROUP");
}

// samples/smb1-ntlmv1.pcap frames 12, 14, 26, 27
#[test]
fn tree_connect_trans2_write() {
    let (_, _, body) = parse("smb1_tree_req");
    let Body::TreeConnectRequest(t) = body else {
        panic!("{body:?}")
    };
    assert_eq!(t.flags, 0x000c);
    assert_eq!(t.password, [0]);
    assert_eq!(t.path.to_string_lossy(), r"\\127.0.0.1\IPC$");
    assert_eq!(t.service.to_string_lossy(), "IPC");

    let (_, b, body) = parse("smb1_trans2_req");
    assert_eq!(b.word_count, 15);
    let Body::Transaction(t) = body else {
        panic!("{body:?}")
    };
    assert_eq!(t.kind, smb1::TransactionKind::Request);
    assert_eq!((t.total_parameter_count, t.total_data_count), (36, 0));
    assert_eq!((t.parameter_count, t.data_count), (36, 0));
    assert_eq!(t.subcommand(), Some(0x0010));
    assert!(!t.is_partial());

    let (h, b, body) = parse("smb1_write_req");
    assert_eq!((h.tid, h.mid), (50567, 10));
    assert_eq!(b.word_count, 14);
    let Body::WriteRequest(w) = body else {
        panic!("{body:?}")
    };
    assert_eq!(w.fid, 0x25f5);
    assert_eq!((w.write_mode, w.remaining), (0, 0));
    assert_eq!(w.offset, 0);
    assert_eq!(w.data_length, 27);
    assert_eq!(w.data, Some(&b"hello from smbcheck sample\n"[..]));

    let (_, _, body) = parse("smb1_write_resp");
    let Body::WriteResponse(w) = body else {
        panic!("{body:?}")
    };
    assert_eq!(w.count, 27);
}

// samples/smb1-oplock-batch1.pcap frames 35, 36, 38, 40
#[test]
fn nt_create_and_oplock_break() {
    let (_, b, body) = parse("smb1_ntcreate_req");
    assert_eq!(b.word_count, 24);
    let Body::NtCreateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.flags, 0x16);
    assert!(r.requests_oplock());
    assert_eq!(
        r.flags & smb1::NT_CREATE_REQUEST_OPBATCH,
        smb1::NT_CREATE_REQUEST_OPBATCH
    );
    assert_eq!(r.root_directory_fid, 0);
    assert_eq!(r.desired_access, 0x001f01ff);
    assert_eq!(r.allocation_size, 0);
    assert_eq!(r.ext_file_attributes, 0x80);
    assert_eq!(r.share_access, 0);
    assert_eq!(r.create_disposition, 3);
    assert_eq!(
        (r.create_options, r.impersonation_level, r.security_flags),
        (0, 0, 0)
    );
    assert_eq!(r.name.to_string_lossy(), r"\test_oplock\test_batch1.dat");

    let (_, b, body) = parse("smb1_ntcreate_resp");
    assert_eq!(b.word_count, 42);
    let Body::NtCreateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.oplock_level, smb1::OPLOCK_BATCH);
    assert_eq!(r.fid, 0x5118);
    assert_eq!(r.create_disposition, 2);
    assert_eq!(r.ext_file_attributes, 0x20);
    assert_eq!(r.end_of_file, 0);
    assert!(!r.directory);

    // the server's break: a LOCKING_ANDX request with MID 0xFFFF
    let (h, b, body) = parse("smb1_oplock_break");
    assert!(!h.is_response());
    assert_eq!((h.flags, h.flags2), (0, 0));
    assert_eq!((h.tid, h.pid_low, h.uid, h.mid), (31416, 65535, 0, 65535));
    assert_eq!(b.word_count, 8);
    let Body::LockingRequest(l) = body else {
        panic!("{body:?}")
    };
    assert_eq!(l.fid, 0x5118);
    assert_eq!(l.type_of_lock, smb1::LOCKING_ANDX_OPLOCK_RELEASE);
    assert!(l.is_oplock_release());
    assert_eq!(l.new_oplock_level, 1);
    assert_eq!((l.number_of_unlocks, l.number_of_locks), (0, 0));

    let (h, _, body) = parse("smb1_oplock_ack");
    assert_eq!((h.pid_low, h.uid, h.mid), (19463, 38181, 9));
    assert_eq!(h.signature.to_vec(), unhex("b16e870c521709f0"));
    assert!(matches!(body, Body::LockingRequest(l) if l.is_oplock_release() && l.fid == 0x5118));
}

// zeek/cifs_negotiate_lanman.pcap frames 4 and 6
#[test]
fn lanman_negotiate() {
    let (_, _, body) = parse("lanman_negotiate_req");
    let Body::NegotiateRequest(r) = body else {
        panic!("{body:?}")
    };
    let d: Vec<_> = r.dialects().collect();
    assert_eq!(
        d,
        [
            &b"PC NETWORK PROGRAM 1.0"[..],
            b"LANMAN1.0",
            b"LM1.2X002",
            b"LANMAN2.1"
        ]
    );
    let (h, b, body) = parse("lanman_negotiate_resp");
    assert_eq!((h.pid_low, h.mid), (4660, 1));
    assert_eq!(b.word_count, 13);
    let Body::NegotiateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.dialect_index, 3);
    assert_eq!(r.security_mode, 0x0003);
    assert_eq!(r.max_buffer_size, 4356);
    assert_eq!((r.max_mpx_count, r.max_number_vcs), (32, 1));
    assert_eq!(r.session_key, 0);
    assert_eq!(r.challenge.unwrap().to_vec(), unhex("1122334455667788"));
    assert_eq!(r.capabilities, 0);
}

// zeek/smb1-logoff-andx-no-advance.pcap frame 4: AndXOffset 0 pointing back at itself
// (tshark: malformed); the chain yields the block and then stops with an error
#[test]
fn andx_loop_stops() {
    let p = pdu("smb1_andx_loop");
    let m = smb1::parse_message(&p).unwrap();
    assert_eq!(m.header.command, smb1::COM_LOGOFF_ANDX);
    let items: Vec<_> = m.chain().collect();
    assert_eq!(items.len(), 2);
    let b = items[0].as_ref().unwrap();
    assert_eq!(b.word_count, 2);
    assert_eq!(
        b.andx(),
        Some(smb1::AndX {
            command: smb1::COM_LOGOFF_ANDX,
            offset: 0
        })
    );
    assert!(items[1].is_err());
}

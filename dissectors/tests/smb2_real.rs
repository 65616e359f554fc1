//! SMB2/3 dissection of PDUs from real captures; expected values are tshark's
//! dissection of the same frames (`tshark -r CAPTURE -V -Y frame.number==N`).

mod common;

use common::{pdu, unhex};
use dissectors::smb2::{self, Body, Compound, NegotiateContextData as Ctx};
use dissectors::{PduKind, guid_string, pdu_kind, spnego, status, transform, utf16le_lossy};

fn message(name: &str) -> (Vec<u8>, smb2::Header<'static>, Body<'static>) {
    let bytes: &'static [u8] = Box::leak(pdu(name).into_boxed_slice());
    assert_eq!(pdu_kind(bytes), Some(PduKind::Smb2), "{name}");
    let mut it = Compound::new(bytes);
    let el = it.next().expect("one element").expect("valid element");
    assert!(it.next().is_none(), "{name}: single message");
    let body = smb2::parse_body(&el.header, el.bytes).expect("body");
    (bytes.to_vec(), el.header, body)
}

fn guid(g: &[u8; 16]) -> String {
    guid_string(g)
}

// samples/smb311.pcap frame 4
#[test]
fn negotiate_request_with_contexts() {
    let (_, h, body) = message("smb311_negotiate_req");
    assert_eq!(h.command, smb2::COMMAND_NEGOTIATE);
    assert_eq!(h.credits, 31);
    assert_eq!(h.message_id, 0);
    assert!(!h.is_response());
    let Body::NegotiateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.dialects.into_iter().collect::<Vec<_>>(), [0x0311]);
    assert_eq!(r.security_mode, 0x03);
    assert_eq!(r.capabilities, 0x7f);
    assert_eq!(guid(&r.client_guid), "903a139e-c0ee-4c69-bb37-84a2f903a781");
    assert_eq!(r.contexts.count(), 4);
    let ctxs: Vec<_> = r.contexts.map(|c| c.unwrap().parse().unwrap()).collect();
    assert_eq!(ctxs.len(), 4);
    match ctxs[0] {
        Ctx::PreauthIntegrity {
            hash_algorithms,
            salt,
        } => {
            assert_eq!(
                hash_algorithms.into_iter().collect::<Vec<_>>(),
                [smb2::HASH_SHA512]
            );
            assert_eq!(
                salt,
                unhex("0cfc72c356f83845e2799c22904a76828eef1563d334092d1c3c75ffda0907f3")
            );
        }
        ref o => panic!("{o:?}"),
    }
    match ctxs[1] {
        Ctx::Encryption { ciphers } => assert_eq!(
            ciphers.into_iter().collect::<Vec<_>>(),
            [
                smb2::CIPHER_AES128_GCM,
                smb2::CIPHER_AES128_CCM,
                smb2::CIPHER_AES256_GCM,
                smb2::CIPHER_AES256_CCM
            ]
        ),
        ref o => panic!("{o:?}"),
    }
    match ctxs[2] {
        Ctx::Signing { algorithms } => assert_eq!(
            algorithms.into_iter().collect::<Vec<_>>(),
            [
                smb2::SIGNING_AES_GMAC,
                smb2::SIGNING_AES_CMAC,
                smb2::SIGNING_HMAC_SHA256
            ]
        ),
        ref o => panic!("{o:?}"),
    }
    match ctxs[3] {
        Ctx::NetName { name } => assert_eq!(utf16le_lossy(name), "127.0.0.1"),
        ref o => panic!("{o:?}"),
    }
}

// samples/smb311.pcap frame 6
#[test]
fn negotiate_response_with_contexts() {
    let (_, h, body) = message("smb311_negotiate_resp");
    assert!(h.is_response());
    let Body::NegotiateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.security_mode, 0x03);
    assert_eq!(r.dialect_revision, smb2::DIALECT_311);
    assert_eq!(guid(&r.server_guid), "7362616c-7672-0000-0000-000000000000");
    assert_eq!(r.capabilities, 0x0f);
    assert_eq!(r.max_transact_size, 8_388_608);
    assert_eq!(r.max_read_size, 8_388_608);
    assert_eq!(r.max_write_size, 8_388_608);
    assert_eq!(r.server_start_time, 0);
    assert_eq!(r.security_buffer.len(), 74);
    let spnego::Token::Init(init) = spnego::parse_token(r.security_buffer).unwrap() else {
        panic!()
    };
    let mechs: Vec<_> = init.mech_types().collect();
    assert_eq!(mechs, [spnego::OID_NTLMSSP]);
    assert!(init.neg_hints.is_some());
    assert_eq!(init.mech_token, None);
    assert_eq!(
        r.contexts.find(smb2::CTX_ENCRYPTION),
        Some(Ctx::Encryption {
            ciphers: smb2::U16List::new(&[2, 0])
        })
    );
    assert_eq!(
        r.contexts.find(smb2::CTX_SIGNING),
        Some(Ctx::Signing {
            algorithms: smb2::U16List::new(&[2, 0])
        })
    );
    let Some(Ctx::PreauthIntegrity { salt, .. }) = r.contexts.find(smb2::CTX_PREAUTH_INTEGRITY)
    else {
        panic!()
    };
    assert_eq!(
        salt,
        unhex("b9646205390311c096156ab4b762c3274db93c9329f1dcb69fbd00e666ff11dc")
    );
}

// zeek/smb3_negotiate_context.pcap frames 12 and 13 (a Windows-style client, 8 dialects)
#[test]
fn negotiate_context_capture() {
    let (_, _, body) = message("ctx_negotiate_req");
    let Body::NegotiateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(
        r.dialects.into_iter().collect::<Vec<_>>(),
        [
            0x0202, 0x0210, 0x0222, 0x0224, 0x0300, 0x0302, 0x0310, 0x0311
        ]
    );
    assert_eq!(r.security_mode, 0x01);
    assert_eq!(guid(&r.client_guid), "d94fab16-5662-4876-8cd1-707d08e52b58");
    assert_eq!(
        r.contexts.find(smb2::CTX_ENCRYPTION),
        Some(Ctx::Encryption {
            ciphers: smb2::U16List::new(&[1, 0, 2, 0])
        })
    );
    let (_, _, body) = message("ctx_negotiate_resp");
    let Body::NegotiateResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(guid(&r.server_guid), "7377656e-6f74-6172-6765-000000000000");
    assert_eq!(r.capabilities, 0x05);
    assert_eq!(r.contexts.count(), 2);
    assert_eq!(
        r.contexts.find(smb2::CTX_ENCRYPTION),
        Some(Ctx::Encryption {
            ciphers: smb2::U16List::new(&[1, 0])
        })
    );
}

// samples/smb311.pcap frames 9 and 11
#[test]
fn session_setup_responses() {
    let (_, h, body) = message("smb311_sess_resp1");
    assert_eq!(h.status, status::STATUS_MORE_PROCESSING_REQUIRED);
    assert_eq!(h.session_id, 0xdaf8a6f0);
    assert_eq!(h.message_id, 1);
    assert_eq!(h.flags, 0x11);
    let Body::SessionSetupResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.session_flags, 0);
    let spnego::Token::Resp(resp) = spnego::parse_token(r.security_buffer).unwrap() else {
        panic!()
    };
    assert_eq!(resp.neg_state, Some(spnego::NEG_STATE_ACCEPT_INCOMPLETE));
    assert_eq!(resp.supported_mech, Some(spnego::OID_NTLMSSP));

    let (_, h, body) = message("smb311_sess_resp2");
    assert_eq!(h.status, status::STATUS_SUCCESS);
    assert_eq!(h.flags, 0x19);
    assert!(h.is_signed());
    let Body::SessionSetupResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.security_buffer.len(), 29);
    let spnego::Token::Resp(resp) = spnego::parse_token(r.security_buffer).unwrap() else {
        panic!()
    };
    assert_eq!(resp.neg_state, Some(spnego::NEG_STATE_ACCEPT_COMPLETED));
    assert_eq!(
        resp.mech_list_mic,
        Some(&unhex("010000001e3e328ee231af4900000000")[..])
    );
    assert_eq!(spnego::find_ntlmssp(r.security_buffer), None);
}

// samples/smb2-session-bind1.pcap frame 31: multichannel binding request
#[test]
fn session_setup_binding_request() {
    let (_, h, body) = message("bind_sess_req");
    assert!(h.is_signed());
    assert_eq!(h.session_id, 0x0b913619);
    assert_eq!(h.message_id, 4);
    let Body::SessionSetupRequest(r) = body else {
        panic!("{body:?}")
    };
    assert!(r.is_binding());
    assert_eq!(r.flags, smb2::SESSION_FLAG_BINDING);
    assert_eq!(r.security_mode, 3);
    assert_eq!(r.capabilities, 0);
    assert_eq!(r.channel, 0);
    assert_eq!(r.previous_session_id, 0);
    assert!(spnego::find_ntlmssp(r.security_buffer).is_some());
}

// samples/smb311.pcap frames 12, 13, 15
#[test]
fn tree_connect_and_error_response() {
    let (_, h, body) = message("smb311_tree_req");
    assert_eq!(h.flags, 0x18);
    let Body::TreeConnectRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.flags, 0);
    assert_eq!(r.path_string(), r"\\127.0.0.1\IPC$");

    let (_, h, body) = message("smb311_tree_resp");
    assert_eq!(h.tree_id(), Some(0x458af754));
    let Body::TreeConnectResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.share_type, smb2::SHARE_TYPE_PIPE);
    assert_eq!(r.share_flags, 0);
    assert_eq!(r.capabilities, 0);
    assert_eq!(r.maximal_access, 0x001f00a9);

    let (_, h, body) = message("smb311_ioctl_err");
    assert_eq!(h.status, status::STATUS_NOT_FOUND);
    assert_eq!(h.command, smb2::COMMAND_IOCTL);
    let Body::Error(e) = body else {
        panic!("{body:?}")
    };
    assert_eq!(e.error_context_count, 0);
    assert_eq!(e.byte_count, 0);
}

// samples/smb311.pcap frames 34, 36, 37, 26, 64, 65
#[test]
fn create_write_read_close() {
    let (_, h, body) = message("smb311_create_req");
    assert_eq!(h.message_id, 268);
    assert_eq!(h.tree_id(), Some(0x930916a3));
    let Body::CreateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.oplock_level, smb2::OPLOCK_LEVEL_NONE);
    assert_eq!(r.impersonation_level, 2);
    assert_eq!(r.desired_access, 0x0012019f);
    assert_eq!(r.file_attributes, 0);
    assert_eq!(r.share_access, 3);
    assert_eq!(r.create_disposition, smb2::FILE_OVERWRITE_IF);
    assert_eq!(r.create_options, 0x40);
    assert_eq!(r.name_string(), "hello.txt");
    assert_eq!(r.contexts.count(), 0);

    let hello = b"hello from smbcheck sample\n";
    let (_, _, body) = message("smb311_write_req");
    let Body::WriteRequest(w) = body else {
        panic!("{body:?}")
    };
    assert_eq!(w.file_id.persistent, 0x11355cc8);
    assert_eq!(w.file_id.volatile, 0x1052d3ba);
    assert_eq!(w.length, 27);
    assert_eq!(w.offset, 0);
    assert_eq!(w.channel, 0);
    assert_eq!(w.remaining_bytes, 0);
    assert_eq!(w.flags, 0);
    assert_eq!(w.data, Some(&hello[..]));

    let (_, _, body) = message("smb311_write_resp");
    let Body::WriteResponse(w) = body else {
        panic!("{body:?}")
    };
    assert_eq!((w.count, w.remaining), (27, 0));

    let (_, h, body) = message("smb311_read_req");
    assert_eq!(h.message_id, 537);
    let Body::ReadRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.length, 27);
    assert_eq!(r.offset, 0);
    assert_eq!(r.file_id.persistent, 0xf5ab99d8);
    assert_eq!(r.minimum_count, 0);

    let (_, _, body) = message("smb311_read_resp");
    let Body::ReadResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.data_length, 27);
    assert_eq!(r.data_remaining, 0);
    assert_eq!(r.data, Some(&hello[..]));

    let (_, h, body) = message("smb311_close_req");
    assert_eq!(h.message_id, 264);
    let Body::CloseRequest(c) = body else {
        panic!("{body:?}")
    };
    assert_eq!(c.flags, 0);
    assert_eq!(c.file_id.persistent, 0xfacb9d50);
    assert_eq!(c.file_id.volatile, 0x97722306);
}

const LEASE_KEY: [u8; 16] = [
    0x0d, 0xf0, 0xdd, 0xe0, 0xfe, 0x0f, 0xdc, 0xba, 0xf2, 0x0f, 0x22, 0x1f, 0x01, 0xf0, 0x23, 0x45,
];

// samples/smb2-lease-break.pcap frames 16, 163, 164, 165
#[test]
fn lease_request_and_break() {
    let (_, _, body) = message("lease_create_req");
    let Body::CreateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.oplock_level, smb2::OPLOCK_LEVEL_LEASE);
    assert_eq!(r.desired_access, 0x001f01ff);
    assert_eq!(r.file_attributes, 0x80);
    assert_eq!(r.share_access, 7);
    assert_eq!(r.create_disposition, smb2::FILE_OPEN_IF);
    assert_eq!(r.create_options, 0x00200064);
    assert_eq!(r.name_string(), "lease_break.dat");
    let ctx = r.contexts.find(smb2::CREATE_REQUEST_LEASE).expect("RqLs");
    let smb2::CreateContextData::Lease(l) = ctx.parse(false).unwrap() else {
        panic!()
    };
    assert_eq!(guid(&l.key), "e0ddf00d-0ffe-badc-f20f-221f01f02345");
    assert_eq!(l.key, LEASE_KEY);
    assert_eq!(
        (l.state, l.flags, l.duration),
        (smb2::LEASE_READ_CACHING, 0, 0)
    );
    assert!(!l.is_v2());

    let (_, h, body) = message("lease_break_notify");
    assert!(h.is_response());
    assert!(h.is_unsolicited());
    assert_eq!(h.session_id, 0);
    assert_eq!(h.credits, 0);
    let Body::LeaseBreakNotification(n) = body else {
        panic!("{body:?}")
    };
    assert_eq!(n.new_epoch, 0);
    assert!(n.ack_required());
    assert_eq!(n.lease_key, LEASE_KEY);
    assert_eq!(n.current_state, 0x5);
    assert_eq!(n.new_state, 0x1);
    assert_eq!(
        (n.break_reason, n.access_mask_hint, n.share_mask_hint),
        (0, 0, 0)
    );

    let (_, h, body) = message("lease_break_ack");
    assert!(!h.is_response());
    assert_eq!(h.message_id, 71);
    let Body::LeaseBreakAck(a) = body else {
        panic!("{body:?}")
    };
    assert_eq!(
        (a.flags, a.lease_key, a.lease_state, a.lease_duration),
        (0, LEASE_KEY, 1, 0)
    );

    let (_, h, body) = message("lease_break_resp");
    assert!(h.is_response());
    assert!(matches!(body, Body::LeaseBreakAck(a) if a.lease_key == LEASE_KEY));
}

// samples/smb2-oplock-batch1.pcap frames 29, 34, 36, 37
#[test]
fn oplock_break_forms() {
    let (_, _, body) = message("oplock_create_req");
    let Body::CreateRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.name_string(), r"oplock_test\test_batch1.dat");
    assert_eq!(r.desired_access, 0x00010000);
    assert_eq!(r.create_options, 0x1040);

    let fid = smb2::FileId {
        persistent: 0xb876bf8e,
        volatile: 0xf5509023,
    };
    let (_, h, body) = message("oplock_break_notify");
    assert!(h.is_response() && h.is_unsolicited());
    assert_eq!(h.session_id, 0xbf726e6f);
    assert_eq!(
        body,
        Body::OplockBreak(smb2::OplockBreak {
            oplock_level: smb2::OPLOCK_LEVEL_II,
            file_id: fid
        })
    );
    let (_, h, body) = message("oplock_break_ack");
    assert!(!h.is_response());
    assert_eq!(h.message_id, 7);
    assert!(matches!(body, Body::OplockBreak(b) if b.file_id == fid && b.oplock_level == 1));
    let (_, h, body) = message("oplock_break_resp");
    assert!(h.is_response() && !h.is_unsolicited());
    assert!(matches!(body, Body::OplockBreak(b) if b.file_id == fid && b.oplock_level == 1));
}

// samples/smb2-mc-leases-test1.pcap frame 15
#[test]
fn network_interface_info() {
    let (_, _, body) = message("nii_ioctl_resp");
    let Body::IoctlResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.ctl_code, smb2::FSCTL_QUERY_NETWORK_INTERFACE_INFO);
    assert_eq!(r.file_id, smb2::FileId::RELATED);
    assert_eq!(r.flags, 0);
    assert!(r.input.is_empty());
    let nics: Vec<_> = r
        .network_interfaces()
        .unwrap()
        .map(|n| n.unwrap())
        .collect();
    assert_eq!(nics.len(), 1);
    let n = nics[0];
    assert_eq!((n.next, n.if_index, n.capability), (0, 1, 0));
    assert_eq!(n.link_speed, 1_000_000_000);
    assert_eq!(n.family(), smb2::AF_INET);
    assert_eq!(n.port(), Some(0));
    assert_eq!(n.ip(), Some("127.0.0.1".parse().unwrap()));
    assert!(!n.is_rss() && !n.is_rdma());
}

// samples/smb202.pcap frames 14 and 15
#[test]
fn validate_negotiate_info() {
    let (_, _, body) = message("vni_ioctl_req");
    let Body::IoctlRequest(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.ctl_code, smb2::FSCTL_VALIDATE_NEGOTIATE_INFO);
    assert_eq!(r.max_output_response, 24);
    assert_eq!(r.flags, smb2::IOCTL_IS_FSCTL);
    let v = r.validate_negotiate_info().unwrap();
    assert_eq!(v.capabilities, 0);
    assert_eq!(v.guid, [0; 16]);
    assert_eq!(v.security_mode, 3);
    assert_eq!(v.dialects.into_iter().collect::<Vec<_>>(), [0x0202]);

    let (_, _, body) = message("vni_ioctl_resp");
    let Body::IoctlResponse(r) = body else {
        panic!("{body:?}")
    };
    let v = r.validate_negotiate_info().unwrap();
    assert_eq!(v.capabilities, 1);
    assert_eq!(guid(&v.guid), "7362616c-7672-0000-0000-000000000000");
    assert_eq!(v.security_mode, 3);
    assert_eq!(v.dialect, smb2::DIALECT_202);
}

// samples/smb311-enc-aes128gcm.pcap frame 12
#[test]
fn transform_header() {
    let p = pdu("enc_gcm_transform");
    assert_eq!(pdu_kind(&p), Some(PduKind::Transform));
    let (_, t) = transform::parse_transform(&p).unwrap();
    assert_eq!(
        t.signature.to_vec(),
        unhex("26701e1c63a6fdb2c3dc0318a744e7be")
    );
    assert_eq!(t.nonce.to_vec(), unhex("010000000000000056feb64f00000000"));
    assert_eq!(t.original_message_size, 104);
    assert_eq!(t.flags, transform::TRANSFORM_FLAG_ENCRYPTED);
    assert_eq!(t.session_id, 0xa8f5fb56);
    assert_eq!(t.aad, &p[20..52]);
    assert_eq!(&t.aad[..16], &t.nonce);
    assert_eq!(t.ciphertext, &p[52..]);
    // GCM: ciphertext as long as the plaintext
    assert_eq!(t.ciphertext.len(), 104);
}

// zeek/smb2_100_small_files.pcap frames 72, 74 and 78: CREATE + QUERY_INFO + CLOSE
#[test]
fn compound_chains() {
    let p = pdu("compound_req");
    let els: Vec<_> = Compound::new(&p).map(|e| e.unwrap()).collect();
    assert_eq!(els.len(), 3);
    assert_eq!(
        els.iter().map(|e| e.offset).collect::<Vec<_>>(),
        [0, 0x98, 0x98 + 0x68]
    );
    assert_eq!(els[0].bytes.len(), 0x98);
    assert_eq!(els[1].bytes.len(), 0x68);
    assert_eq!(els[2].bytes.len(), p.len() - 0x98 - 0x68);
    assert_eq!(
        els.iter().map(|e| e.header.command).collect::<Vec<_>>(),
        [
            smb2::COMMAND_CREATE,
            smb2::COMMAND_QUERY_INFO,
            smb2::COMMAND_CLOSE
        ]
    );
    assert_eq!(
        els.iter().map(|e| e.header.message_id).collect::<Vec<_>>(),
        [17, 18, 19]
    );
    assert!(!els[0].header.is_related());
    assert!(els[1].header.is_related() && els[2].header.is_related());
    assert!(els[2].is_last());
    let Body::CreateRequest(c) = smb2::parse_body(&els[0].header, els[0].bytes).unwrap() else {
        panic!()
    };
    let ctx: Vec<_> = c.contexts.map(|c| c.unwrap()).collect();
    assert_eq!(ctx.len(), 1);
    assert_eq!(ctx[0].name, smb2::CREATE_QUERY_ON_DISK_ID);
    assert!(ctx[0].data.is_empty());
    let Body::CloseRequest(cl) = smb2::parse_body(&els[2].header, els[2].bytes).unwrap() else {
        panic!()
    };
    assert_eq!(cl.file_id, smb2::FileId::RELATED);

    let p = pdu("compound_resp");
    let els: Vec<_> = Compound::new(&p).map(|e| e.unwrap()).collect();
    assert_eq!(els.len(), 3);
    assert_eq!(els[0].bytes.len(), 0xd0);
    let Body::CreateResponse(c) = smb2::parse_body(&els[0].header, els[0].bytes).unwrap() else {
        panic!()
    };
    assert_eq!(c.oplock_level, 0);
    assert_eq!(c.file_id.persistent, 0xe36ac8d2);
    let q = c
        .contexts
        .find(smb2::CREATE_QUERY_ON_DISK_ID)
        .unwrap()
        .parse(true)
        .unwrap();
    assert!(matches!(q, smb2::CreateContextData::QueryOnDiskId { raw } if raw.len() == 32));

    let p = pdu("compound_err_resp");
    let els: Vec<_> = Compound::new(&p).map(|e| e.unwrap()).collect();
    assert_eq!(els.len(), 3);
    assert_eq!(els[0].bytes.len(), 0x50);
    assert_eq!(els[1].bytes.len(), 0x50);
    assert_eq!(els[1].header.status, status::STATUS_FILE_CLOSED);
    assert_eq!(els[2].header.status, status::STATUS_FILE_CLOSED);
    for e in &els {
        let b = smb2::parse_body(&e.header, e.bytes).unwrap();
        assert!(matches!(b, Body::Error(er) if er.byte_count == 0), "{b:?}");
    }
}

/// Every bad NextCommand stops the iteration with one error item.
#[test]
fn compound_rejects_bad_next_command() {
    let p = pdu("compound_req");
    let set_next = |v: u32| {
        let mut q = p.clone();
        q[20..24].copy_from_slice(&v.to_le_bytes());
        q
    };
    for (next, why) in [
        (8u32, "too small"),
        (0x9c, "not aligned"),
        (0x10000, "past end"),
        (p.len() as u32, "at end"),
    ] {
        let q = set_next(next);
        let items: Vec<_> = Compound::new(&q).collect();
        assert!(items.last().unwrap().is_err(), "{why}: {items:?}");
        assert!(items.len() <= 2, "{why}");
    }
    // a chain that loops on itself is impossible: offsets only grow
    let items: Vec<_> = Compound::new(&p[..0x98 + 10]).collect();
    assert!(items[0].is_ok());
    assert!(items[1].is_err());
}

use super::hex;
use crate::crypto::kerberos::aes::{cts_decrypt, nfold};
use crate::crypto::kerberos::{
    ContextKeys, Enctype, KrbCryptoError, KrbKey, MicError, Sender, checksum, decrypt, krb_fx_cf2,
    prf, prf_plus, string_to_key, verify_mic,
};

// RFC 3961 appendix A.1.
#[test]
fn nfold_rfc3961_a1() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"012345", 64, "be072631276b1955"),
        (b"password", 56, "78a07b6caf85fa"),
        (b"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"),
        (
            b"password",
            168,
            "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e",
        ),
        (
            b"MASSACHVSETTS INSTITVTE OF TECHNOLOGY",
            192,
            "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b",
        ),
        (b"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"),
        (b"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"),
        (b"kerberos", 64, "6b65726265726f73"),
        (b"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"),
        (
            b"kerberos",
            168,
            "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4",
        ),
        (
            b"kerberos",
            256,
            "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4",
        ),
    ];
    for (input, bits, want) in cases {
        assert_eq!(nfold(input, bits / 8), hex(want), "{bits}-fold");
    }
}

// RFC 3962 appendix B: AES-128 CBC with ciphertext stealing, zero IV. The vectors give
// the encryption; here the output decrypts back to the input.
#[test]
fn cts_rfc3962_b() {
    let key = b"chicken teriyaki";
    let input = hex(
        "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
    );
    let cases: &[(usize, &str)] = &[
        (17, "c6353568f2bf8cb4d8a580362da7ff7f97"),
        (
            31,
            "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5",
        ),
        (
            32,
            "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584",
        ),
        (
            47,
            "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5",
        ),
        (
            48,
            "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8",
        ),
        (
            64,
            "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8",
        ),
    ];
    for &(len, out) in cases {
        let mut buf = hex(out);
        cts_decrypt(key, &mut buf).unwrap();
        assert_eq!(buf, input[..len], "{len} bytes");
    }
}

// MIT krb5's known-answer decryption vectors (src/lib/crypto/crypto_tests/t_decrypt.c):
// (enctype, plaintext, usage, key, ciphertext). The empty plaintexts make one-block
// AES ciphertexts; usage 3 exercises the rc4-hmac usage mapping (3 -> 8).
#[test]
fn decrypt_mit_t_decrypt() {
    use Enctype::*;
    let cases: &[(Enctype, &str, u32, &str, &str)] = &[
        (
            Rc4Hmac,
            "",
            0,
            "F81FEC39255F5784E850C4377C88BD85",
            "02C1EB15586144122EC717763DD348BF00434DDC6585954C",
        ),
        (
            Rc4Hmac,
            "1",
            1,
            "67D1300D281223867F9647FF48721273",
            "6156E0CC04E0A0874F9FDA008F498A7ADBBC80B70B14DDDBC0",
        ),
        (
            Rc4Hmac,
            "9 bytesss",
            2,
            "3E40AB6093695281B3AC1A9304224D98",
            "0F9AD121D99D4A09448E4F1F718C4F5CBE6096262C66F29DF232A87C9F98755D55",
        ),
        (
            Rc4Hmac,
            "13 bytes byte",
            3,
            "4BA2FBF0379FAED87A254D3B353D5A7E",
            "612C57568B17A70352BAE8CF26FB9459A6F3353CD35FD439DB3107CBEC765D326DFC04C1DD",
        ),
        (
            Rc4Hmac,
            "30 bytes bytes bytes bytes byt",
            4,
            "68F263DB3FCE15D031C9EAB02D67107A",
            "95F9047C3AD75891C2E9B04B16566DC8B6EB9CE4231AFB2542EF87A7B5A0F260A99F0460508DE0CECC632D07C354124E46C5D2234EB8",
        ),
        (
            Aes128CtsHmacSha196,
            "",
            0,
            "5A5C0F0BA54F3828B2195E66CA24A289",
            "49FF8E11C173D9583A3254FBE7B1F1DF36C538E8416784A1672E6676",
        ),
        (
            Aes128CtsHmacSha196,
            "1",
            1,
            "98450E3F3BAA13F5C99BEB936981B06F",
            "F86742F537B35DC2174A4DBAA920FAF9042090B065E1EBB1CAD9A65394",
        ),
        (
            Aes128CtsHmacSha196,
            "9 bytesss",
            2,
            "9062430C8CDA3388922E6D6A509F5B7A",
            "68FB9679601F45C78857B2BF820FD6E53ECA8D42FD4B1D7024A09205ABB7CD2EC26C355D2F",
        ),
        (
            Aes128CtsHmacSha196,
            "13 bytes byte",
            3,
            "033EE6502C54FD23E27791E987983827",
            "EC366D0327A933BF49330E650E49BC6B974637FE80BF532FE51795B4809718E6194724DB948D1FD637",
        ),
        (
            Aes128CtsHmacSha196,
            "30 bytes bytes bytes bytes byt",
            4,
            "DCEEB70B3DE76562E689226C76429148",
            "C96081032D5D8EEB7E32B4089F789D0FAA481DEA74C0F97CBF3146DDFCF8E800156ECB532FC203E30FF600B63B350939FECE510F02D7FF1E7BAC",
        ),
        (
            Aes256CtsHmacSha196,
            "",
            0,
            "17F275F2954F2ED1F90C377BA7F4D6A369AA0136E0BF0C927AD6133C693759A9",
            "E5094C55EE7B38262E2B044280B06937 9A95BF95BD8376FB3281B435",
        ),
        (
            Aes256CtsHmacSha196,
            "1",
            1,
            "B9477E1FF0329C0050E20CE6C72D2DFF27E8FE541AB0954429A9CB5B4F7B1E2A",
            "406150B97AEB76D43B36B62CC1ECDFBE6F40E95755E0BEB5C27825F3A4",
        ),
        (
            Aes256CtsHmacSha196,
            "9 bytesss",
            2,
            "B1AE4CD8462AFF1677053CC9279AAC30B796FB81CE21474DD3DDBCFEA4EC76D7",
            "09957AA25FCAF88F7B39E4406E633012D5FEA21853F6478DA7065CAEF41FD454A40824EEC5",
        ),
        (
            Aes256CtsHmacSha196,
            "13 bytes byte",
            3,
            "E5A72BE9B7926C1225BAFEF9C1872E7BA4CDB2B17893D84ABD90ACDD8764D966",
            "D8F1AAFEEC84587CC3E700A774E56651A6D693E174EC4473B5E6D96F80297A653FB818AD893E719F96",
        ),
        (
            Aes256CtsHmacSha196,
            "30 bytes bytes bytes bytes byt",
            4,
            "F1C795E9248A09338D82C3F8D5B567040B0110736845041347235B1404231398",
            "D1137A4D634CFECE924DBC3BF6790648BD5CFF7DE0E7B99460211D0DAEF3D79A295C688858F3B34B9CBD6EEBAE81DAF6B734D4D498B6714F1C1D",
        ),
    ];
    for &(enctype, plain, usage, key, cipher) in cases {
        let (key, cipher) = (hex(key), hex(cipher));
        let got = decrypt(enctype, &key, usage, &cipher).unwrap();
        assert_eq!(&got[..], plain.as_bytes(), "{enctype} usage {usage}");
        // any damage, another usage or another key fails the integrity check
        let mut bad = cipher.clone();
        if let Some(b) = bad.last_mut() {
            *b ^= 1;
        }
        assert_eq!(
            decrypt(enctype, &key, usage, &bad),
            Err(KrbCryptoError::Integrity)
        );
        assert_eq!(
            decrypt(enctype, &key, usage + 1, &cipher),
            Err(KrbCryptoError::Integrity)
        );
        for n in 0..cipher.len() {
            let _ = decrypt(enctype, &key, usage, &cipher[..n]);
        }
    }
    assert!(matches!(
        decrypt(Rc4Hmac, &[0; 16], 1, &[0; 23]),
        Err(KrbCryptoError::CiphertextTooShort { .. })
    ));
    assert!(matches!(
        decrypt(Aes128CtsHmacSha196, &[0; 16], 1, &[0; 27]),
        Err(KrbCryptoError::CiphertextTooShort { .. })
    ));
    assert!(matches!(
        decrypt(Aes256CtsHmacSha196, &[0; 16], 1, &[0; 40]),
        Err(KrbCryptoError::KeyLength { .. })
    ));
    assert_eq!(
        Enctype::from_wire(16),
        Err(KrbCryptoError::UnsupportedEnctype(16))
    );
}

// MIT krb5's src/lib/crypto/crypto_tests/t_prf.c (the RFC 3962 PRF of AES).
#[test]
fn prf_mit_t_prf() {
    let cases: &[(i32, &str, &str, &str)] = &[
        (
            17,
            "AE272E7CDEC86AC5138CDB196D8E297D",
            "0161",
            "77B39A37A868920F2A51F9DD150C5717",
        ),
        (
            17,
            "67AB1CFEF35E4C27FFDEAC60385A3E9C",
            "0162",
            "E06C0DD31FF02091994F2EF5178BFE3D",
        ),
        (
            18,
            "C01F157211F7B77EAAF457C3E156690127EE127D810BA6392E97BAA243EB0616",
            "0161",
            "B2628C788E2E9C4A9BB4644678C29F2F",
        ),
        (
            18,
            "C01F157211F7B77EAAF457C3E156690127EE127D810BA6392E97BAA243EB0616",
            "0261",
            "B406373350CEE8A6126F4A9B65A0CD21",
        ),
        (
            18,
            "9D520D2D980AA7CB6B693682B62DA258B333867951642CE647AE62B1E5E0B5E9",
            "0162",
            "FF0E289EA756C0559A0E911856961A49",
        ),
        (
            18,
            "9D520D2D980AA7CB6B693682B62DA258B333867951642CE647AE62B1E5E0B5E9",
            "0262",
            "0D674DD0F9A6806525A4D92E828BD15A",
        ),
    ];
    for &(etype, key, input, want) in cases {
        let key = KrbKey::new(etype, &hex(key));
        assert_eq!(&prf(&key, &hex(input)).unwrap()[..], hex(want), "{etype}");
    }
    // PRF+ is PRF(1 | pepper) | PRF(2 | pepper) | ...
    let key = KrbKey::new(18, &hex(cases[2].1));
    let plus = prf_plus(&key, b"a", 20).unwrap();
    assert_eq!(plus[..16], hex(cases[2].3));
    assert_eq!(plus[16..], hex(cases[3].3)[..4]);
    // rc4-hmac: HMAC-SHA1, RFC 2202 test case 2 (HMAC pads "Jefe" with zeros anyway)
    let rc4 = KrbKey::new(23, b"Jefe\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(
        &prf(&rc4, b"what do ya want for nothing?").unwrap()[..],
        hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    );
    assert_eq!(
        prf_plus(&key, b"a", 255 * 16 + 1),
        Err(KrbCryptoError::PrfLength(255 * 16 + 1))
    );
    assert_eq!(prf_plus(&key, b"a", 255 * 16).unwrap().len(), 255 * 16);
    assert_eq!(
        prf(&KrbKey::new(18, &[0; 16]), b""),
        Err(KrbCryptoError::KeyLength {
            enctype: Enctype::Aes256CtsHmacSha196,
            expected: 32,
            got: 16
        })
    );
    assert_eq!(
        prf(&KrbKey::new(16, &[0; 24]), b""),
        Err(KrbCryptoError::UnsupportedEnctype(16))
    );
}

// MIT krb5's src/lib/crypto/crypto_tests/t_cf2.in and t_cf2.expected: each key is the
// string-to-key of "key1" / "key2" with the same string as salt, the peppers "a" and
// "b". (The other cases are des3, aes-sha2 and camellia, not implemented here.)
#[test]
fn krb_fx_cf2_mit_t_cf2() {
    let cases: &[(Enctype, &str)] = &[
        (
            Enctype::Aes128CtsHmacSha196,
            "97df97e4b798b29eb31ed7280287a92a",
        ),
        (
            Enctype::Aes256CtsHmacSha196,
            "4d6ca4e629785c1f01baf55e2e548566b9617ae3a96868c337cb93b5e72b1c7b",
        ),
        (Enctype::Rc4Hmac, "24d7f6b6bae4e5c00d2082c5ebab3672"),
    ];
    for &(enctype, want) in cases {
        let key = |s: &str| {
            let k = string_to_key(enctype, s, s.as_bytes(), None).unwrap();
            KrbKey::new(enctype.to_wire(), k.as_bytes())
        };
        let (k1, k2) = (key("key1"), key("key2"));
        let out = krb_fx_cf2(&k1, b"a", &k2, b"b").unwrap();
        assert_eq!(out.enctype(), enctype.to_wire());
        assert_eq!(out.as_bytes(), hex(want), "{enctype}");
        // the XOR makes the two (key, pepper) pairs commute, but each pepper belongs to
        // its key
        assert_eq!(krb_fx_cf2(&k2, b"b", &k1, b"a").unwrap(), out);
        assert_ne!(krb_fx_cf2(&k1, b"b", &k2, b"a").unwrap(), out);
    }
}

// MIT krb5 src/lib/crypto/crypto_tests/t_cksums.c: hmac-sha1-96-aes128 (usage 3),
// hmac-sha1-96-aes256 (usage 4) and hmac-md5 with rc4-hmac (CKSUMTYPE_HMAC_MD5_ARCFOUR,
// usage 6).
#[test]
fn checksums_mit_t_cksums() {
    let cases: &[(&str, i32, u32, &str, &str)] = &[
        (
            "eight nine ten eleven twelve thirteen",
            17,
            3,
            "9062430C8CDA3388922E6D6A509F5B7A",
            "01A4B088D45628F6946614E3",
        ),
        (
            "fourteen",
            18,
            4,
            "B1AE4CD8462AFF1677053CC9279AAC30B796FB81CE21474DD3DDBCFEA4EC76D7",
            "E08739E3279E2903EC8E3836",
        ),
        (
            "seventeen eighteen nineteen twenty",
            23,
            6,
            "F7D3A155AF5E238A0B7A871A96BA2AB2",
            "EB38CC97E2230F59DA4117DC5859D7EC",
        ),
    ];
    for (plain, etype, usage, key, want) in cases {
        let key = KrbKey::new(*etype, &hex(key));
        let got = checksum(&key, *usage, plain.as_bytes()).unwrap();
        assert_eq!(&got[..], &hex(want)[..], "etype {etype}");
    }
}

/// RFC 4121 4.2.6.1 MIC tokens laid out by the RFC around the checksum checked above: the
/// key follows the AcceptorSubkey flag, the usage the sender, and any changed byte of the
/// data or the token is `Invalid`.
#[test]
fn cfx_mic_tokens() {
    let ticket = KrbKey::new(17, &[1; 16]);
    let initiator = KrbKey::new(17, &[2; 16]);
    let acceptor = KrbKey::new(18, &[3; 32]);
    let keys = ContextKeys {
        ticket,
        initiator_subkey: Some(initiator.clone()),
        acceptor_subkey: Some(acceptor.clone()),
        ap_rep_captured: true,
    };
    let data = b"mechTypes";
    let token = |flags: u8, key: &KrbKey, usage: u32| {
        let mut header = vec![0x04, 0x04, flags, 0xff, 0xff, 0xff, 0xff, 0xff];
        header.extend_from_slice(&7u64.to_be_bytes());
        let sum = checksum(key, usage, &[&data[..], &header].concat()).unwrap();
        [header, sum.to_vec()].concat()
    };
    // The acceptor's token, AcceptorSubkey set: usage 23, the acceptor subkey.
    let server = token(0x05, &acceptor, 23);
    assert_eq!(verify_mic(&keys, Sender::Acceptor, &server, data), Ok(()));
    // The initiator's token, AcceptorSubkey set: usage 25, the acceptor subkey.
    let client = token(0x04, &acceptor, 25);
    assert_eq!(verify_mic(&keys, Sender::Initiator, &client, data), Ok(()));
    // Without the flag the initiator's subkey.
    let client = token(0x00, &initiator, 25);
    assert_eq!(verify_mic(&keys, Sender::Initiator, &client, data), Ok(()));
    // The wrong usage, the wrong side, a changed byte: invalid.
    let wrong_usage = token(0x04, &acceptor, 23);
    let invalid = |r: Result<(), MicError>| matches!(r, Err(MicError::Invalid(_)));
    assert!(invalid(verify_mic(
        &keys,
        Sender::Initiator,
        &wrong_usage,
        data
    )));
    assert!(invalid(verify_mic(&keys, Sender::Initiator, &server, data)));
    let mut changed = server.clone();
    *changed.last_mut().unwrap() ^= 1;
    assert!(invalid(verify_mic(&keys, Sender::Acceptor, &changed, data)));
    assert!(invalid(verify_mic(
        &keys,
        Sender::Acceptor,
        &server,
        b"mechTypez"
    )));
    assert!(invalid(verify_mic(
        &keys,
        Sender::Acceptor,
        &server[..10],
        data
    )));
    // AcceptorSubkey set (RFC 4121 4.2.2) with no subkey known: an AP-REP that has none
    // contradicts the token; with no AP-REP captured the key cannot be known, so the token
    // is unchecked, never invalid.
    let without = |ap_rep_captured| ContextKeys {
        acceptor_subkey: None,
        ap_rep_captured,
        ..keys.clone()
    };
    assert!(invalid(verify_mic(
        &without(true),
        Sender::Acceptor,
        &server,
        data
    )));
    assert!(matches!(
        verify_mic(&without(false), Sender::Acceptor, &server, data),
        Err(MicError::Unchecked(_))
    ));
}

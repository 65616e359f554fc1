use sha1::Sha1;

use super::hex;
use crate::crypto::kerberos::{Enctype, KrbCryptoError, default_salt, string_to_key};

// RFC 3962 appendix B: PBKDF2 outputs and the AES keys of string-to-key.
#[test]
fn string_to_key_rfc3962_b() {
    let x64 = "X".repeat(64);
    let x65 = "X".repeat(65);
    let salt_1234 = hex("1234567878563412");
    // (iterations, pass phrase, salt, PBKDF2 128 bits, AES-128 key, PBKDF2 256 bits,
    // AES-256 key)
    type Case<'a> = (u32, &'a str, &'a [u8], &'a str, &'a str, &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            1,
            "password",
            b"ATHENA.MIT.EDUraeburn",
            "cdedb5281bb2f801565a1122b2563515",
            "42263c6e89f4fc28b8df68ee09799f15",
            "cdedb5281bb2f801565a1122b25635150ad1f7a04bb9f3a333ecc0e2e1f70837",
            "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
        ),
        (
            2,
            "password",
            b"ATHENA.MIT.EDUraeburn",
            "01dbee7f4a9e243e988b62c73cda935d",
            "c651bf29e2300ac27fa469d693bdda13",
            "01dbee7f4a9e243e988b62c73cda935da05378b93244ec8f48a99e61ad799d86",
            "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff",
        ),
        (
            1200,
            "password",
            b"ATHENA.MIT.EDUraeburn",
            "5c08eb61fdf71e4e4ec3cf6ba1f5512b",
            "4c01cd46d632d01e6dbe230a01ed642a",
            "5c08eb61fdf71e4e4ec3cf6ba1f5512ba7e52ddbc5e5142f708a31e2e62b1e13",
            "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a",
        ),
        (
            5,
            "password",
            &salt_1234,
            "d1daa78615f287e6a1c8b120d7062a49",
            "e9b23d52273747dd5c35cb55be619d8e",
            "d1daa78615f287e6a1c8b120d7062a493f98d203e6be49a6adf4fa574b6e64ee",
            "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31",
        ),
        (
            1200,
            &x64,
            b"pass phrase equals block size",
            "139c30c0966bc32ba55fdbf212530ac9",
            "59d1bb789a828b1aa54ef9c2883f69ed",
            "139c30c0966bc32ba55fdbf212530ac9c5ec59f1a452f5cc9ad940fea0598ed1",
            "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34",
        ),
        (
            1200,
            &x65,
            b"pass phrase exceeds block size",
            "9ccad6d468770cd51b10e6a68721be61",
            "cb8005dc5f90179a7f02104c0018751d",
            "9ccad6d468770cd51b10e6a68721be611a8b4d282601db3b36be9246915ec82a",
            "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b",
        ),
        (
            50,
            "\u{1d11e}",
            b"EXAMPLE.COMpianist",
            "6b9cf26d45455a43a5b8bb276a403b39",
            "f149c1f2e154a73452d43e7fe62a56e5",
            "6b9cf26d45455a43a5b8bb276a403b39e7fe37a0c41e02c281ff3069e1e94f52",
            "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e",
        ),
    ];
    for &(iter, pass, salt, pb128, key128, pb256, key256) in cases {
        let params = iter.to_be_bytes();
        let mut out = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<Sha1>(pass.as_bytes(), salt, iter, &mut out);
        assert_eq!(out.to_vec(), hex(pb128), "PBKDF2-128, {iter} iterations");
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha1>(pass.as_bytes(), salt, iter, &mut out);
        assert_eq!(out.to_vec(), hex(pb256), "PBKDF2-256, {iter} iterations");
        let k = string_to_key(Enctype::Aes128CtsHmacSha196, pass, salt, Some(&params));
        assert_eq!(
            k.unwrap().as_bytes(),
            hex(key128),
            "aes128, {iter} iterations"
        );
        let k = string_to_key(Enctype::Aes256CtsHmacSha196, pass, salt, Some(&params));
        assert_eq!(
            k.unwrap().as_bytes(),
            hex(key256),
            "aes256, {iter} iterations"
        );
    }
}

// MIT krb5 1.20's ktutil (dissectors/tests/data/kerberos/README.md): default salt,
// default iteration count.
#[test]
fn string_to_key_matches_ktutil() {
    let salt = default_salt(b"KRBLAB.TEST", [&b"alice"[..]]);
    let k = string_to_key(Enctype::Aes256CtsHmacSha196, "alicepw", &salt, None).unwrap();
    assert_eq!(
        k.as_bytes(),
        hex("4abd4e7af98fb82f33f158805ee7f1be782257eb428473b9ef7f5300457e19c3")
    );
    let k = string_to_key(Enctype::Aes128CtsHmacSha196, "alicepw", &salt, None).unwrap();
    assert_eq!(k.as_bytes(), hex("7e0327cb37c2377fd7a9957c28a1ff82"));
    let k = string_to_key(Enctype::Rc4Hmac, "alicepw", &salt, None).unwrap();
    assert_eq!(k.as_bytes(), hex("6d79e54cfc7ee9b0285bfbfeacc048c5"));
    let salt = default_salt(b"KRBLAB.TEST", [&b"cifs"[..], b"srv.krblab.test"]);
    let k = string_to_key(Enctype::Aes256CtsHmacSha196, "srvpw", &salt, None).unwrap();
    assert_eq!(
        k.as_bytes(),
        hex("69d2d063921ed6d5fed4b94f5e8624fe184f4f189066a7021288258a1141f81d")
    );
}

// MS-NLMP 4.2.2.1.2: NTOWFv1("Password").
#[test]
fn rc4_string_to_key_is_the_nt_hash() {
    let k = string_to_key(Enctype::Rc4Hmac, "Password", b"ignored", Some(&[])).unwrap();
    assert_eq!(k.as_bytes(), hex("a4f49c406510bdcab6824ee7c30fd852"));
    assert!(string_to_key(Enctype::Rc4Hmac, "Password", b"", Some(&[0, 0, 0x10, 0])).is_err());
}

#[test]
fn string_to_key_parameters_are_bounded() {
    let s2k = |p: &[u8]| string_to_key(Enctype::Aes128CtsHmacSha196, "p", b"s", Some(p));
    assert_eq!(
        s2k(&[0, 0, 0, 0]),
        Err(KrbCryptoError::S2kParams("iteration count above 2^24"))
    );
    assert!(s2k(&[1, 0, 0, 1]).is_err());
    assert!(s2k(&[0, 0, 0x10]).is_err());
    assert!(s2k(&[0, 0, 0, 1]).is_ok());
}

//! Known-answer tests from published vectors (tests/vectors/vectors.json, sources in
//! tests/vectors/README.md). Inputs come from the JSON `inputs`, results are compared with the
//! JSON `outputs`.

use serde_json::Value;
use smbcheck::auth::credentials::{Credential, Credentials, Key16, SecretBytes};
use smbcheck::auth::key_list::KnownSessionKey;
use smbcheck::auth::ntlm::{self, AuthExchange, AuthKind, ReplayError, flags};
use smbcheck::auth::{lm_hash, nt_hash, parse_keys_file, replay};
use smbcheck::crypto::keys::{self, Cipher, Dialect, PreauthHash};
use smbcheck::crypto::seal;
use smbcheck::crypto::sign::{self, SigningAlgorithm};

struct Group {
    inputs: Value,
    outputs: Value,
}

impl Group {
    fn load(name: &str) -> Group {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/vectors.json");
        let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let g = &all[name];
        assert!(g.is_object(), "group {name} missing");
        Group {
            inputs: g["inputs"].clone(),
            outputs: g["outputs"].clone(),
        }
    }

    fn input(&self, key: &str) -> Vec<u8> {
        hex(self.inputs[key]
            .as_str()
            .unwrap_or_else(|| panic!("input {key}")))
    }

    fn text(&self, key: &str) -> String {
        self.inputs[key].as_str().unwrap().to_string()
    }

    fn int(&self, key: &str) -> u64 {
        self.inputs[key].as_u64().unwrap()
    }

    fn output(&self, key: &str) -> Vec<u8> {
        hex(self.outputs[key]
            .as_str()
            .unwrap_or_else(|| panic!("output {key}")))
    }

    fn flags(&self, key: &str) -> u32 {
        u32::from_le_bytes(self.input(key).try_into().unwrap())
    }
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
    v.try_into().unwrap()
}

/// The fields of an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) a replay needs.
struct Authenticate {
    lm: Vec<u8>,
    nt: Vec<u8>,
    domain: String,
    user: String,
    encrypted_key: Vec<u8>,
}

fn field(msg: &[u8], at: usize) -> Vec<u8> {
    let len = u16::from_le_bytes(arr(&msg[at..at + 2])) as usize;
    let off = u32::from_le_bytes(arr(&msg[at + 4..at + 8])) as usize;
    msg[off..off + len].to_vec()
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn parse_authenticate(msg: &[u8]) -> Authenticate {
    assert_eq!(&msg[..12], b"NTLMSSP\0\x03\0\0\0");
    Authenticate {
        lm: field(msg, 12),
        nt: field(msg, 20),
        domain: utf16(&field(msg, 28)),
        user: utf16(&field(msg, 36)),
        encrypted_key: field(msg, 52),
    }
}

impl Authenticate {
    fn exchange(&self, flags: u32, server_challenge: [u8; 8]) -> AuthExchange<'_> {
        AuthExchange {
            flags,
            server_challenge,
            lm_response: &self.lm,
            nt_response: &self.nt,
            user: &self.user,
            domain: &self.domain,
            encrypted_random_session_key: &self.encrypted_key,
        }
    }
}

fn common() -> Group {
    Group::load("ms_nlmp_4_2_1_common_values")
}

#[test]
fn ms_nlmp_4_2_2_ntlmv1() {
    let c = common();
    let g = Group::load("ms_nlmp_4_2_2_ntlmv1");
    let password = c.text("passwd");
    let nt = nt_hash(&password);
    let lm = lm_hash(&password).unwrap();
    assert_eq!(nt.as_bytes()[..], g.output("ntowfv1"));
    assert_eq!(lm.as_bytes()[..], g.output("lmowfv1"));
    assert_eq!(
        ntlm::desl(nt.as_bytes(), &arr(&c.input("server_challenge")))[..],
        g.output("nt_challenge_response")
    );
    assert_eq!(
        ntlm::desl(lm.as_bytes(), &arr(&c.input("server_challenge")))[..],
        g.output("lm_challenge_response")
    );

    let auth = parse_authenticate(&g.output("authenticate_message"));
    assert_eq!(auth.user, c.text("user"));
    let challenge = arr(&c.input("server_challenge"));
    let flags = g.flags("authenticate_negotiate_flags_le");
    let r = replay(&auth.exchange(flags, challenge), &nt, Some(&lm)).unwrap();
    assert_eq!(r.kind, AuthKind::NtlmV1);
    assert_eq!(
        r.session_base_key.as_bytes()[..],
        g.output("session_base_key")
    );
    assert_eq!(
        r.key_exchange_key.as_bytes()[..],
        g.output("key_exchange_key")
    );
    assert_eq!(auth.encrypted_key, g.output("encrypted_random_session_key"));
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        c.input("random_session_key")
    );

    // The same exchange with NEGOTIATE_LM_KEY, then REQUEST_NON_NT_SESSION_KEY (4.2.2.2).
    let lm_key = g.output("encrypted_random_session_key_if_negotiate_lm_key");
    let mut ex = auth.exchange(flags | flags::NEGOTIATE_LM_KEY, challenge);
    ex.encrypted_random_session_key = &lm_key;
    let r = replay(&ex, &nt, Some(&lm)).unwrap();
    assert_eq!(
        r.key_exchange_key.as_bytes()[..],
        g.output("key_exchange_key_if_negotiate_lm_key")
    );
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        c.input("random_session_key")
    );
    assert_eq!(replay(&ex, &nt, None).unwrap_err(), ReplayError::NeedLmHash);

    let non_nt = g.output("encrypted_random_session_key_if_request_non_nt_session_key");
    let mut ex = auth.exchange(flags | flags::REQUEST_NON_NT_SESSION_KEY, challenge);
    ex.encrypted_random_session_key = &non_nt;
    let r = replay(&ex, &nt, Some(&lm)).unwrap();
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        c.input("random_session_key")
    );

    // Wrong password: no keys.
    assert_eq!(
        replay(&auth.exchange(flags, challenge), &nt_hash("password"), None).unwrap_err(),
        ReplayError::PasswordMismatch(AuthKind::NtlmV1)
    );

    // Raw SMB1 (MS-CIFS 3.1.4.1): MD4(NT hash) ‖ 24-byte NT response.
    let mac = ntlm::smb1_raw_mac_key(&r.session_base_key, &auth.nt);
    let mut expected = g.output("session_base_key");
    expected.extend(g.output("nt_challenge_response"));
    assert_eq!(mac.as_bytes(), &expected[..]);
}

#[test]
fn ms_nlmp_4_2_3_ntlmv1_ess() {
    let c = common();
    let g = Group::load("ms_nlmp_4_2_3_ntlmv1_extended_session_security");
    let nt = nt_hash(&c.text("passwd"));
    let auth = parse_authenticate(&g.output("authenticate_message"));
    assert_eq!(auth.lm, g.output("lm_challenge_response"));
    let flags = g.flags("authenticate_negotiate_flags_le");
    let r = replay(
        &auth.exchange(flags, arr(&c.input("server_challenge"))),
        &nt,
        None,
    )
    .unwrap();
    assert_eq!(r.kind, AuthKind::NtlmV1Ess);
    assert_eq!(auth.nt, g.output("nt_challenge_response"));
    assert_eq!(
        r.session_base_key.as_bytes()[..],
        g.output("session_base_key")
    );
    assert_eq!(
        r.key_exchange_key.as_bytes()[..],
        g.output("key_exchange_key")
    );
    // No KEY_EXCH in 4.2.3: ExportedSessionKey = KeyExchangeKey.
    assert_eq!(flags & flags::NEGOTIATE_KEY_EXCH, 0);
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        g.output("key_exchange_key")
    );
    assert_eq!(
        replay(
            &auth.exchange(flags, arr(&c.input("server_challenge"))),
            &nt_hash("Password!"),
            None
        )
        .unwrap_err(),
        ReplayError::PasswordMismatch(AuthKind::NtlmV1Ess)
    );
}

#[test]
fn ms_nlmp_4_2_4_ntlmv2() {
    let c = common();
    let g = Group::load("ms_nlmp_4_2_4_ntlmv2");
    let nt = nt_hash(&c.text("passwd"));
    assert_eq!(
        ntlm::ntowf_v2(&nt, &c.text("user"), &c.text("user_dom")).as_bytes()[..],
        g.output("ntowfv2")
    );
    let auth = parse_authenticate(&g.output("authenticate_message"));
    assert_eq!(auth.nt, g.output("nt_challenge_response"));
    let flags = g.flags("authenticate_negotiate_flags_le");
    let ex = auth.exchange(flags, arr(&c.input("server_challenge")));
    let r = replay(&ex, &nt, None).unwrap();
    assert_eq!(r.kind, AuthKind::NtlmV2);
    assert_eq!(&auth.nt[..16], &g.output("nt_proof_str")[..]);
    assert_eq!(
        r.session_base_key.as_bytes()[..],
        g.output("session_base_key")
    );
    assert_eq!(
        r.key_exchange_key.as_bytes()[..],
        g.output("key_exchange_key")
    );
    assert_eq!(auth.encrypted_key, g.output("encrypted_random_session_key"));
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        c.input("random_session_key")
    );
    assert_eq!(
        replay(&ex, &nt_hash("Passwore"), None).unwrap_err(),
        ReplayError::PasswordMismatch(AuthKind::NtlmV2)
    );

    // Raw SMB1 with NTLMv2: SessionBaseKey ‖ the whole NTLMv2 response (MS-CIFS 3.2.5.3).
    let mac = ntlm::smb1_raw_mac_key(&r.session_base_key, &auth.nt);
    assert_eq!(&mac.as_bytes()[..16], &g.output("session_base_key")[..]);
    assert_eq!(&mac.as_bytes()[16..], &auth.nt[..]);

    // KEY_EXCH with a truncated EncryptedRandomSessionKey is refused, not guessed.
    let mut short = ex;
    short.encrypted_random_session_key = &auth.encrypted_key[..15];
    assert_eq!(
        replay(&short, &nt, None).unwrap_err(),
        ReplayError::BadEncryptedKey(15)
    );
}

#[test]
fn blog_2017_ntlmv2_session_key_and_mic() {
    let g = Group::load("ms_blog_2017_ntlmv2_session_key");
    let nt = nt_hash(&g.text("passwd"));
    assert_eq!(nt.as_bytes()[..], g.output("nt_hash_ntowfv1"));

    let mut creds = Credentials::new();
    creds.push(Credential::from_password(
        Some(g.text("user")),
        Some(g.text("user_dom")),
        &g.text("passwd"),
    ));

    let authenticate = g.input("authenticate_message");
    let auth = parse_authenticate(&authenticate);
    assert_eq!(auth.encrypted_key, g.input("encrypted_random_session_key"));
    let hash = creds
        .for_user(&auth.user, &auth.domain)
        .expect("user matches");
    assert_eq!(
        ntlm::ntowf_v2(hash, &auth.user, &auth.domain).as_bytes()[..],
        g.output("ntowfv2")
    );
    let challenge = g.input("challenge_message");
    let ex = auth.exchange(
        g.flags("authenticate_negotiate_flags_le"),
        arr(&challenge[24..32]),
    );
    assert_eq!(ex.server_challenge[..], g.input("server_challenge"));
    let r = replay(&ex, hash, None).unwrap();
    assert_eq!(r.kind, AuthKind::NtlmV2);
    assert_eq!(&auth.nt[..16], &g.output("nt_proof_str")[..]);
    assert_eq!(&auth.nt[16..], &g.input("temp")[..]);
    assert_eq!(
        r.session_base_key.as_bytes()[..],
        g.output("session_base_key")
    );
    assert_eq!(
        r.key_exchange_key.as_bytes()[..],
        g.output("key_exchange_key")
    );
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        g.output("exported_session_key")
    );

    // MIC at offset 72 (after the fixed fields and Version, MS-NLMP 2.2.1.3).
    let mic = ntlm::mic(
        &r.exported_session_key,
        &g.input("negotiate_message"),
        &challenge,
        &authenticate,
        72,
    )
    .unwrap();
    assert_eq!(mic[..], g.output("authenticate_message_mic"));
    assert_eq!(authenticate[72..88], mic);

    // The binding channel's own NTLM exchange.
    let binding = g.input("binding_authenticate_message");
    let bauth = parse_authenticate(&binding);
    let bchallenge = g.input("binding_challenge_message");
    let bflags = u32::from_le_bytes(arr(&binding[60..64]));
    let r = replay(
        &bauth.exchange(bflags, arr(&bchallenge[24..32])),
        hash,
        None,
    )
    .unwrap();
    assert_eq!(
        r.exported_session_key.as_bytes()[..],
        g.output("binding_channel_exported_session_key")
    );
}

#[test]
fn blog_2017_smb300_kdf() {
    let g = Group::load("ms_blog_2017_smb300_kdf");
    let sk = g.input("session_key");
    let keys = keys::derive(Dialect::Smb300, &sk, None, None).unwrap();
    assert_eq!(keys.signing.as_bytes()[..], g.output("signing_key"));
    assert_eq!(
        keys.encryption_c2s.unwrap().as_bytes(),
        &g.output("encryption_key_client")[..]
    );
    assert_eq!(
        keys.decryption_s2c.unwrap().as_bytes(),
        &g.output("decryption_key_client")[..]
    );
    assert_eq!(keys.application.as_bytes()[..], g.output("application_key"));
    // The generic KDF with the labels as published.
    assert_eq!(
        keys::kdf(
            &sk,
            &g.input("signing_label"),
            &g.input("signing_context"),
            128
        )
        .as_bytes(),
        &g.output("signing_key")[..]
    );
    let second = keys::signing_key(
        Dialect::Smb300,
        &g.input("second_channel_session_key"),
        None,
    )
    .unwrap();
    assert_eq!(
        second.as_bytes()[..],
        g.output("second_channel_signing_key")
    );
}

#[test]
fn blog_2012_smb300_kdf_and_ccm() {
    let g = Group::load("ms_blog_2012_smb300_kdf_and_ccm_encryption");
    let keys = keys::derive(Dialect::Smb302, &g.input("session_key"), None, None).unwrap();
    assert_eq!(keys.signing.as_bytes()[..], g.output("signing_key"));
    assert_eq!(keys.application.as_bytes()[..], g.output("application_key"));
    let enc = keys.encryption_c2s.unwrap();
    let dec = keys.decryption_s2c.unwrap();
    assert_eq!(enc.as_bytes(), &g.output("encryption_key_client")[..]);
    assert_eq!(dec.as_bytes(), &g.output("decryption_key_client")[..]);

    // WRITE request: client encrypts with its EncryptionKey.
    let aad = g.input("write_request_aad");
    assert_eq!(aad[..11], g.input("write_request_ccm_nonce"));
    let plaintext = g.input("write_request_plaintext");
    let nonce: [u8; 16] = arr(&aad[..16]);
    let (ct, tag) =
        seal::encrypt(Cipher::Aes128Ccm, enc.as_bytes(), &aad, &nonce, &plaintext).unwrap();
    assert_eq!(ct, g.output("write_request_ciphertext"));
    assert_eq!(tag[..], g.output("write_request_signature"));
    let mut transformed = b"\xfdSMB".to_vec();
    transformed.extend(tag);
    transformed.extend(&aad);
    transformed.extend(&ct);
    assert_eq!(transformed, g.output("write_request_transformed"));
    assert_eq!(
        seal::decrypt(Cipher::Aes128Ccm, enc.as_bytes(), &aad, &nonce, &ct, &tag).unwrap(),
        plaintext
    );

    // WRITE response: decrypted with the client's DecryptionKey.
    let t = g.input("write_response_transformed");
    let (tag, aad, ct) = (&t[4..20], &t[20..52], &t[52..]);
    assert_eq!(aad, &g.output("write_response_aad")[..]);
    assert_eq!(aad[..11], g.output("write_response_ccm_nonce"));
    let plain = seal::decrypt(
        Cipher::Aes128Ccm,
        dec.as_bytes(),
        aad,
        &arr(&aad[..16]),
        ct,
        &arr(tag),
    )
    .unwrap();
    assert_eq!(plain, g.output("write_response_decrypted"));
    // The wrong direction's key fails the tag.
    assert_eq!(
        seal::decrypt(
            Cipher::Aes128Ccm,
            enc.as_bytes(),
            aad,
            &arr(&aad[..16]),
            ct,
            &arr(tag)
        ),
        Err(seal::CryptError::TagMismatch)
    );
}

const CHAIN: [&str; 5] = [
    "negotiate_request",
    "negotiate_response",
    "session_setup_request_1",
    "session_setup_response_1",
    "session_setup_request_2",
];

fn preauth_chain(g: &Group) -> PreauthHash {
    let mut h = PreauthHash::new();
    assert_eq!(h.as_bytes(), &[0; 64]);
    for name in CHAIN {
        h.update(&g.input(name));
        assert_eq!(
            h.as_bytes()[..],
            g.output(&format!("hash_after_{name}")),
            "{name}"
        );
    }
    h
}

#[test]
fn blog_2017_smb311_preauth_kdf() {
    let g = Group::load("ms_blog_2017_smb311_preauth_kdf");
    let h = preauth_chain(&g);
    let cipher = Cipher::from_wire(g.int("cipher_id") as u16).unwrap();
    assert_eq!(cipher, Cipher::Aes128Gcm);
    let keys = keys::derive(
        Dialect::Smb311,
        &g.input("session_key"),
        Some(cipher),
        Some(&h),
    )
    .unwrap();
    assert_eq!(keys.signing.as_bytes()[..], g.output("signing_key"));
    assert_eq!(
        keys.encryption_c2s.unwrap().as_bytes(),
        &g.output("encryption_key_client")[..]
    );
    assert_eq!(
        keys.decryption_s2c.unwrap().as_bytes(),
        &g.output("decryption_key_client")[..]
    );
    assert_eq!(keys.application.as_bytes()[..], g.output("application_key"));
    assert_eq!(
        keys::kdf(
            &g.input("session_key"),
            &g.input("signing_label"),
            h.as_bytes(),
            128
        )
        .as_bytes(),
        &g.output("signing_key")[..]
    );
}

#[test]
fn blog_2017_smb311_binding_channel() {
    let g = Group::load("ms_blog_2017_smb311_binding_channel");
    let h = preauth_chain(&g);
    let key =
        keys::signing_key(Dialect::Smb311, &g.input("binding_session_key"), Some(&h)).unwrap();
    assert_eq!(key.as_bytes()[..], g.output("channel_signing_key"));
}

#[test]
fn blog_2015_smb311_kdf_and_gcm() {
    let g = Group::load("ms_blog_2015_smb311_kdf_and_gcm_encryption");
    let h = PreauthHash::from_bytes(arr(&g.input("preauth_integrity_hash_value")));
    let cipher = Cipher::from_wire(g.int("cipher_id") as u16).unwrap();
    let keys = keys::derive(
        Dialect::Smb311,
        &g.input("session_key"),
        Some(cipher),
        Some(&h),
    )
    .unwrap();
    assert_eq!(keys.signing.as_bytes()[..], g.output("signing_key"));
    assert_eq!(keys.application.as_bytes()[..], g.output("application_key"));
    let enc = keys.encryption_c2s.unwrap();
    assert_eq!(enc.as_bytes(), &g.output("encryption_key_client")[..]);
    assert_eq!(
        keys.decryption_s2c.unwrap().as_bytes(),
        &g.output("decryption_key_client")[..]
    );

    // TRANSFORM_HEADER from Nonce on: Nonce(16) OriginalMessageSize Reserved Flags=1 SessionId.
    let plaintext = g.input("write_request_plaintext");
    let mut nonce = [0u8; 16];
    nonce[..12].copy_from_slice(&g.input("write_request_gcm_nonce"));
    let mut aad = nonce.to_vec();
    aad.extend((plaintext.len() as u32).to_le_bytes());
    aad.extend(0u16.to_le_bytes());
    aad.extend(1u16.to_le_bytes());
    aad.extend(g.int("session_id").to_le_bytes());
    let (ct, tag) = seal::encrypt(cipher, enc.as_bytes(), &aad, &nonce, &plaintext).unwrap();
    assert_eq!(ct, g.output("write_request_ciphertext"));
    assert_eq!(tag[..], g.output("write_request_signature"));
    let mut transformed = b"\xfdSMB".to_vec();
    transformed.extend(tag);
    transformed.extend(&aad);
    transformed.extend(&ct);
    assert_eq!(transformed, g.output("write_request_transformed"));
    assert_eq!(
        seal::decrypt(cipher, enc.as_bytes(), &aad, &nonce, &ct, &tag).unwrap(),
        plaintext
    );
    let mut bad = ct.clone();
    bad[0] ^= 1;
    assert_eq!(
        seal::decrypt(cipher, enc.as_bytes(), &aad, &nonce, &bad, &tag),
        Err(seal::CryptError::TagMismatch)
    );
}

#[test]
fn smb311_aes_cmac_signed_messages() {
    let g = Group::load("smb311_aes_cmac_signed_messages");
    let cases = [
        (
            "blog2017_master_final_session_setup_response",
            "blog2017_master_signing_key",
        ),
        (
            "blog2015_final_session_setup_response",
            "blog2015_signing_key",
        ),
        (
            "blog2017_binding_final_session_setup_response",
            "blog2017_binding_channel_signing_key",
        ),
        (
            "blog2017_binding_session_setup_request_1",
            "blog2017_master_signing_key",
        ),
        (
            "blog2017_binding_session_setup_response_1",
            "blog2017_master_signing_key",
        ),
        (
            "blog2017_binding_session_setup_request_2",
            "blog2017_master_signing_key",
        ),
    ];
    for (msg, key) in cases {
        let message = g.input(msg);
        let key = Key16::new(arr(&g.input(key)));
        let sig = sign::smb2_signature(SigningAlgorithm::AesCmac, &key, &message).unwrap();
        assert_eq!(sig[..], g.output(&format!("{msg}_signature")), "{msg}");
        assert!(sign::smb2_verify(SigningAlgorithm::AesCmac, &key, &message).unwrap());
        let mut tampered = message.clone();
        *tampered.last_mut().unwrap() ^= 0x80;
        assert!(!sign::smb2_verify(SigningAlgorithm::AesCmac, &key, &tampered).unwrap());
    }
    // The binding request is signed with the session's key, not the new channel key.
    let channel = Key16::new(arr(&g.input("blog2017_binding_channel_signing_key")));
    assert!(
        !sign::smb2_verify(
            SigningAlgorithm::AesCmac,
            &channel,
            &g.input("blog2017_binding_session_setup_request_1")
        )
        .unwrap()
    );
}

#[test]
fn rfc4493_aes_cmac() {
    let g = Group::load("rfc4493_aes_cmac");
    let key = Key16::new(arr(&g.input("key")));
    for n in 1..=4 {
        let msg = g.input(&format!("example_{n}_message"));
        let expected = g.output(&format!("example_{n}_mac"));
        assert_eq!(sign::aes_cmac(&key, &[&msg])[..], expected, "example {n}");
        // Streamed in uneven pieces, as smb2_signature feeds it.
        let (a, rest) = msg.split_at(msg.len() / 3);
        let (b, c) = rest.split_at(rest.len() / 2);
        assert_eq!(
            sign::aes_cmac(&key, &[a, b, c])[..],
            expected,
            "example {n}"
        );
    }
}

#[test]
fn rfc4231_hmac_sha256() {
    let g = Group::load("rfc4231_hmac_sha256");
    for n in 1..=2 {
        let key = g.input(&format!("test_case_{n}_key"));
        let data = g.input(&format!("test_case_{n}_data"));
        let full = g.output(&format!("test_case_{n}_hmac_sha256"));
        let (a, b) = data.split_at(3);
        assert_eq!(
            sign::hmac_sha256_16(&key, &[a, b])[..],
            full[..16],
            "case {n}"
        );
    }
}

#[test]
fn nist_gmac() {
    let g = Group::load("nist_aes_gcm_gmac");
    for case in ["cavp_count_0", "cavp_count_1", "gcm_spec_test_case_1"] {
        assert!(g.input(&format!("{case}_plaintext")).is_empty());
        let key = Key16::new(arr(&g.input(&format!("{case}_key"))));
        let iv = arr(&g.input(&format!("{case}_iv")));
        let aad = g.input(&format!("{case}_aad"));
        let tag = g.output(&format!("{case}_tag"));
        assert_eq!(sign::gmac(&key, &iv, &[&aad])[..], tag, "{case}");
        // Streamed in uneven pieces, as smb2_signature feeds it.
        let (a, rest) = aad.split_at(aad.len() / 3);
        let (b, c) = rest.split_at(rest.len() / 2);
        assert_eq!(sign::gmac(&key, &iv, &[a, b, c])[..], tag, "{case}");
    }
}

#[test]
fn secrets_never_show_in_debug() {
    const B: u8 = 0xa5; // "a5", "A5", "165" must not appear
    let key16 = Key16::new([B; 16]);
    let bytes = SecretBytes::new(vec![B; 32]);
    let nt = smbcheck::auth::NtHash::from_bytes([B; 16]);
    let lm = smbcheck::auth::LmHash::from_bytes([B; 16]);
    let cred = Credential::from_nt_hash(Some("u".into()), None, nt.clone());
    let mut creds = Credentials::new();
    creds.push(cred.clone());
    let a5 = "a5".repeat(16);
    let known: Vec<KnownSessionKey> =
        parse_keys_file(&format!("0x1 {a5}\n0100000000000000,,{a5},{a5}")).unwrap();
    let session = keys::derive(
        Dialect::Smb311,
        &[B; 32],
        Some(Cipher::Aes256Gcm),
        Some(&PreauthHash::new()),
    )
    .unwrap();
    let debugs = [
        format!("{key16:?}"),
        format!("{bytes:?}"),
        format!("{nt:?}"),
        format!("{lm:?}"),
        format!("{cred:?}"),
        format!("{creds:?}"),
        format!("{known:?}"),
        format!("{session:?}"),
    ];
    for d in &debugs {
        assert!(d.contains("redacted"), "{d}");
        let lower = d.to_lowercase();
        assert!(!lower.contains("a5") && !d.contains("165"), "{d}");
    }
    // Derived keys are random-looking: check their bytes are absent as well.
    let k = session.signing.as_bytes();
    let as_hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!debugs[7].contains(&as_hex));
}

#[test]
fn replayed_keys_are_redacted() {
    let c = common();
    let g = Group::load("ms_nlmp_4_2_4_ntlmv2");
    let auth = parse_authenticate(&g.output("authenticate_message"));
    let r = replay(
        &auth.exchange(
            g.flags("authenticate_negotiate_flags_le"),
            arr(&c.input("server_challenge")),
        ),
        &nt_hash(&c.text("passwd")),
        None,
    )
    .unwrap();
    let d = format!("{r:?}");
    for key in [&r.session_base_key, &r.exported_session_key] {
        let as_dec = format!("{:?}", key.as_bytes());
        let as_hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!d.contains(&as_hex) && !d.contains(&as_dec[1..as_dec.len() - 1]));
    }
    assert!(d.contains("redacted"));
}

//! Kerberos 5 crypto for recovering SMB session keys (MS-KILE): decryption with its
//! integrity check and string-to-key for aes128-cts-hmac-sha1-96 (17) and
//! aes256-cts-hmac-sha1-96 (18) (RFC 3961 5.3 simplified profile, RFC 3962) and
//! rc4-hmac (23, RFC 4757); then the keys of the exchanges built on them:
//!
//! - AP exchange (the SMB2 SESSION_SETUP security buffers): [`ap_req_keys`] decrypts the
//!   ticket with a keytab key and then the authenticator; [`ap_req_keys_with_session_key`]
//!   does the latter when the ticket session key is already known (from a TGS-REP);
//!   [`ap_rep_keys`] decrypts the AP-REP; [`session_key`] picks the GSS-API session key
//!   (MS-KILE 3.1.1.2: the AP-REP subkey, else the authenticator subkey, else the ticket
//!   session key), of which SMB uses the first 16 bytes.
//! - KDC exchanges (when only the user's password is known): [`string_to_key`] with the
//!   salt of the AS-REP or KRB-ERROR (`dissectors::kerberos::parse_etype_info2`, else
//!   [`default_salt`]) gives the client key, [`kdc_rep_keys`] opens the AS-REP with it
//!   (the TGT session key), [`tgs_req_subkey`] and [`kdc_rep_keys`] then the TGS-REP (the
//!   service ticket session key). [`tgs_rep_keys`] does the TGS part from both messages,
//!   with or without FAST (RFC 6113, which MIT clients use for the TGS exchange when the
//!   KDC offers it): the armor key is KRB-FX-CF2 of the authenticator subkey and the TGT
//!   session key ([`tgs_armor_key`]), it opens the TGS-REP's KrbFastResponse, whose
//!   strengthen-key changes the reply key ([`strengthen_reply_key`]).
//!   [`tgs_rep_keys_with_armor`] also takes an explicit armor (MS-KILE compound
//!   identity) when the armor ticket's session key is known. Armored AS exchanges are
//!   not handled (they need the armor TGT's session key and an encrypted-challenge or
//!   other FAST preauthentication).
//! - Pseudo-random functions: [`prf`] (RFC 3961 3, RFC 3962 6 for AES, HMAC-SHA1 for
//!   rc4-hmac as MIT krb5 and Heimdal do), [`prf_plus`] and [`krb_fx_cf2`] (RFC 6113
//!   5.1).
//!
//! Written by hand on RustCrypto primitives of the project's one generation (cipher 0.5 /
//! digest 0.11): aes, hmac, md-5, md4 and rc4, with sha1, pbkdf2 and cts (CBC-CS3) added
//! for this. Not with picky-krb: picky-krb 0.13 is of the same generation but has no
//! rc4-hmac, does not zeroize its keys, and brings rand, crypto-bigint, serde and an
//! X.509 stack along.
//!
//! Keys and plaintexts live in zeroizing types ([`KrbKey`], `Zeroizing<Vec<u8>>`) whose
//! `Debug` shows no key byte.

use std::fmt;

use aes::cipher::array::Array;
use aes::cipher::consts::U16;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit, KeyIvInit};
use aes::{Aes128, Aes256};
use cts::Decrypt as _;
use dissectors::kerberos::{
    self as krb, ApReq, EncryptedData, EncryptionKey, Krb5Token, PrincipalName,
};
use dissectors::keytab;
use hmac::{Hmac, Mac};
use md5::Md5;
use rc4::{Rc4, StreamCipher};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

use crate::auth::credentials::{SecretBytes, nt_hash};

/// An encryption type this module implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17).
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18).
    Aes256CtsHmacSha196,
    /// rc4-hmac (23).
    Rc4Hmac,
}

impl Enctype {
    /// From the etype number of the wire; other etypes are `UnsupportedEnctype`.
    pub fn from_wire(etype: i32) -> Result<Self, KrbCryptoError> {
        match etype {
            17 => Ok(Enctype::Aes128CtsHmacSha196),
            18 => Ok(Enctype::Aes256CtsHmacSha196),
            23 => Ok(Enctype::Rc4Hmac),
            _ => Err(KrbCryptoError::UnsupportedEnctype(etype)),
        }
    }

    /// The etype number of the wire.
    pub fn to_wire(self) -> i32 {
        match self {
            Enctype::Aes128CtsHmacSha196 => 17,
            Enctype::Aes256CtsHmacSha196 => 18,
            Enctype::Rc4Hmac => 23,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Enctype::Aes256CtsHmacSha196 => 32,
            Enctype::Aes128CtsHmacSha196 | Enctype::Rc4Hmac => 16,
        }
    }
}

impl fmt::Display for Enctype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Enctype::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Enctype::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Enctype::Rc4Hmac => "rc4-hmac",
        })
    }
}

/// Why a Kerberos key could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KrbCryptoError {
    /// Not aes128/aes256-cts-hmac-sha1-96 or rc4-hmac.
    #[error("unsupported Kerberos encryption type {0}")]
    UnsupportedEnctype(i32),
    /// A key of the wrong length for its enctype.
    #[error("{enctype} takes {expected}-byte keys, not {got}")]
    KeyLength {
        enctype: Enctype,
        expected: usize,
        got: usize,
    },
    /// Shorter than the confounder and checksum.
    #[error("{enctype} ciphertext of {len} bytes is too short")]
    CiphertextTooShort { enctype: Enctype, len: usize },
    /// The checksum does not match: another key, or damaged data.
    #[error("integrity check failed: wrong key or damaged ciphertext")]
    Integrity,
    /// The key is not of the etype the data is encrypted with.
    #[error("a key of etype {key} cannot decrypt data of etype {data}")]
    EnctypeMismatch { key: i32, data: i32 },
    /// Bad or excessive string-to-key parameters.
    #[error("bad string-to-key parameters: {0}")]
    S2kParams(&'static str),
    /// PRF+ asked for more than 255 PRF outputs.
    #[error("PRF+ output of {0} bytes is too long")]
    PrfLength(usize),
    /// A FAST exchange that cannot be opened with what was given.
    #[error("FAST: {0}")]
    Fast(&'static str),
    /// A Kerberos message (or a decrypted part) is malformed.
    #[error("malformed Kerberos message: {0}")]
    Message(#[from] dissectors::Error),
    /// The security blob holds no Kerberos token.
    #[error("no Kerberos token")]
    NoToken,
    /// A Kerberos message of another kind than the one needed.
    #[error("expected {expected}, found {found}")]
    WrongMessage {
        expected: &'static str,
        found: &'static str,
    },
    /// No keytab key of the ticket's etype decrypts it.
    #[error(
        "no keytab key decrypts the ticket (etype {etype}, kvno {}): {tried} key(s) of that etype tried",
        kvno.map_or_else(|| "none".to_owned(), |k| k.to_string())
    )]
    NoKey {
        etype: i32,
        kvno: Option<u32>,
        tried: usize,
    },
}

type Result<T, E = KrbCryptoError> = std::result::Result<T, E>;

/// A Kerberos key: its etype and its bytes (zeroized on drop, never printed).
#[derive(Clone, PartialEq, Eq)]
pub struct KrbKey {
    enctype: i32,
    key: SecretBytes,
}

impl KrbKey {
    /// A key of etype `enctype` (the wire number, possibly one this module cannot use).
    pub fn new(enctype: i32, bytes: &[u8]) -> Self {
        KrbKey {
            enctype,
            key: SecretBytes::from(bytes),
        }
    }

    fn from_wire(k: &EncryptionKey<'_>) -> Self {
        KrbKey::new(k.keytype, k.keyvalue)
    }

    /// The etype number.
    pub fn enctype(&self) -> i32 {
        self.enctype
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }
}

impl fmt::Debug for KrbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KrbKey(etype {}, {} bytes, <redacted>)",
            self.enctype,
            self.key.len()
        )
    }
}

fn check_key(enctype: Enctype, key: &[u8]) -> Result<()> {
    if key.len() == enctype.key_len() {
        Ok(())
    } else {
        Err(KrbCryptoError::KeyLength {
            enctype,
            expected: enctype.key_len(),
            got: key.len(),
        })
    }
}

/// Decrypt `cipher` (the `cipher` of an EncryptedData) with `key` for key usage `usage`
/// (RFC 4120 7.5.1), checking its integrity; the confounder is removed.
pub fn decrypt(
    enctype: Enctype,
    key: &[u8],
    usage: u32,
    cipher: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    check_key(enctype, key)?;
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_decrypt(enctype, key, usage, cipher)
        }
        Enctype::Rc4Hmac => rc4_decrypt(key, usage, cipher),
    }
}

/// Decrypt an EncryptedData with `key`, which must be of its etype.
pub fn decrypt_data(
    key: &KrbKey,
    usage: u32,
    data: &EncryptedData<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    if key.enctype != data.etype {
        return Err(KrbCryptoError::EnctypeMismatch {
            key: key.enctype,
            data: data.etype,
        });
    }
    decrypt(
        Enctype::from_wire(data.etype)?,
        key.as_bytes(),
        usage,
        data.cipher,
    )
}

// ---- RFC 3961 simplified profile with AES (RFC 3962) ----

/// AES block size, also the confounder length.
const BLOCK: usize = 16;
/// HMAC-SHA1-96 output length.
const MAC_LEN: usize = 12;

/// n-fold (RFC 3961 5.1): `input` stretched or folded to `out_len` bytes. The input is
/// repeated to the least common multiple of the two lengths, each copy rotated 13 bits
/// right from the previous one, and the `out_len`-byte chunks are added with end-around
/// carry (ones' complement addition).
fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut sum = vec![0u8; out_len];
    if input.is_empty() || out_len == 0 {
        return sum;
    }
    let bits = input.len() * 8;
    let total = lcm(input.len(), out_len);
    let bit = |i: usize| (input[i / 8] >> (7 - i % 8)) & 1;
    let mut chunk = vec![0u8; out_len];
    for start in (0..total).step_by(out_len) {
        for (j, byte) in chunk.iter_mut().enumerate() {
            // byte `start + j` of the repeated input lies in copy `n`, rotated 13n bits
            let pos = start + j;
            let (n, b) = (pos / input.len(), pos % input.len());
            let rot = (13 * n) % bits;
            *byte = (0..8).fold(0u8, |v, k| (v << 1) | bit((8 * b + k + bits - rot) % bits));
        }
        ones_complement_add(&mut sum, &chunk);
    }
    sum
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

fn ones_complement_add(acc: &mut [u8], x: &[u8]) {
    let mut carry = 0u16;
    for (a, b) in acc.iter_mut().zip(x).rev() {
        let s = u16::from(*a) + u16::from(*b) + carry;
        *a = s as u8;
        carry = s >> 8;
    }
    while carry != 0 {
        for a in acc.iter_mut().rev() {
            let s = u16::from(*a) + carry;
            *a = s as u8;
            carry = s >> 8;
            if carry == 0 {
                break;
            }
        }
    }
}

/// One AES block encrypted with `key` (16 or 32 bytes, checked by the callers).
fn aes_encrypt_block(key: &[u8], block: &mut Array<u8, U16>) {
    if key.len() == 16 {
        Aes128::new_from_slice(key)
            .expect("16-byte AES key")
            .encrypt_block(block);
    } else {
        Aes256::new_from_slice(key)
            .expect("32-byte AES key")
            .encrypt_block(block);
    }
}

/// DK(base, constant) (RFC 3961 5.1): DR, the base key's encryptions of n-fold(constant)
/// chained until there are enough bytes; random-to-key is the identity for AES.
fn dk(base: &[u8], constant: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut block = Array::<u8, U16>::default();
    block.copy_from_slice(&nfold(constant, BLOCK));
    let mut out = Zeroizing::new(Vec::with_capacity(base.len() + BLOCK));
    while out.len() < base.len() {
        aes_encrypt_block(base, &mut block);
        out.extend_from_slice(&block);
    }
    out.truncate(base.len());
    block.as_mut_slice().zeroize();
    out
}

/// The well-known constants of a key usage (RFC 3961 5.3): usage (4 bytes big-endian)
/// followed by 0xAA for Ke, 0x55 for Ki.
fn usage_constant(usage: u32, which: u8) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], which]
}

/// AES in CBC mode with ciphertext stealing (RFC 3962 5: CBC-CS3, the last two blocks
/// swapped) and a zero IV, in place. A single block is plain CBC, which `cts::CbcCs3`
/// does not do (it swaps anyway), hence the first branch.
fn cts_decrypt(key: &[u8], buf: &mut [u8]) -> Result<()> {
    let iv = [0u8; BLOCK];
    if buf.len() == BLOCK {
        let mut block = Array::<u8, U16>::default();
        block.copy_from_slice(buf);
        if key.len() == 16 {
            Aes128::new_from_slice(key)
                .expect("16-byte AES key")
                .decrypt_block(&mut block);
        } else {
            Aes256::new_from_slice(key)
                .expect("32-byte AES key")
                .decrypt_block(&mut block);
        }
        buf.copy_from_slice(&block);
        block.as_mut_slice().zeroize();
        return Ok(());
    }
    let done = if key.len() == 16 {
        cts::CbcCs3::<Aes128>::new_from_slices(key, &iv)
            .expect("16-byte AES key")
            .decrypt(buf)
    } else {
        cts::CbcCs3::<Aes256>::new_from_slices(key, &iv)
            .expect("32-byte AES key")
            .decrypt(buf)
    };
    // only refused below one block, which the caller has excluded
    done.map_err(|_| KrbCryptoError::Integrity)
}

/// RFC 3961 5.3 decryption: ciphertext = E(Ke, confounder | plaintext) | H, where
/// H = HMAC-SHA1(Ki, confounder | plaintext) truncated to 96 bits.
fn aes_decrypt(
    enctype: Enctype,
    key: &[u8],
    usage: u32,
    cipher: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let too_short = KrbCryptoError::CiphertextTooShort {
        enctype,
        len: cipher.len(),
    };
    let split = cipher.len().checked_sub(MAC_LEN).ok_or(too_short.clone())?;
    let (enc, mac) = cipher.split_at(split);
    if enc.len() < BLOCK {
        return Err(too_short);
    }
    let ke = dk(key, &usage_constant(usage, 0xaa));
    let ki = dk(key, &usage_constant(usage, 0x55));
    let mut plain = Zeroizing::new(enc.to_vec());
    cts_decrypt(&ke, &mut plain)?;
    let mut h = <Hmac<Sha1> as KeyInit>::new_from_slice(&ki).expect("HMAC takes any key length");
    h.update(&plain);
    h.verify_truncated_left(mac)
        .map_err(|_| KrbCryptoError::Integrity)?;
    plain.drain(..BLOCK);
    Ok(plain)
}

// ---- RFC 4757 rc4-hmac ----

/// Confounder length of rc4-hmac.
const RC4_CONFOUNDER: usize = 8;

/// The Microsoft key usage numbers of rc4-hmac (RFC 4757 3): an AS-REP enc-part is 8,
/// not 3. (RFC 4757's table also maps 9 to 8; current MIT krb5 and Heimdal keep 9, and
/// [`kdc_rep_keys`] tries a TGS-REP with both 8 and 9.)
fn rc4_usage(usage: u32) -> u32 {
    match usage {
        3 => 8,
        u => u,
    }
}

fn hmac_md5(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut h = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    h.update(data);
    Zeroizing::new(h.finalize().into_bytes().into())
}

/// RFC 4757 5 decryption: ciphertext = checksum (16) | RC4(K3, confounder (8) | data),
/// K1 = HMAC-MD5(key, T as 4 bytes little-endian), K3 = HMAC-MD5(K1, checksum),
/// checksum = HMAC-MD5(K1, confounder | data).
fn rc4_decrypt(key: &[u8], usage: u32, cipher: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if cipher.len() < 16 + RC4_CONFOUNDER {
        return Err(KrbCryptoError::CiphertextTooShort {
            enctype: Enctype::Rc4Hmac,
            len: cipher.len(),
        });
    }
    let (checksum, edata) = cipher.split_at(16);
    let k1 = hmac_md5(key, &rc4_usage(usage).to_le_bytes());
    let k3 = hmac_md5(&k1[..], checksum);
    let mut plain = Zeroizing::new(edata.to_vec());
    Rc4::new_from_slice(&k3[..])
        .expect("RC4 takes 16-byte keys")
        .apply_keystream(&mut plain);
    let mut h = <Hmac<Md5> as KeyInit>::new_from_slice(&k1[..]).expect("HMAC takes any key length");
    h.update(&plain);
    h.verify_slice(checksum)
        .map_err(|_| KrbCryptoError::Integrity)?;
    plain.drain(..RC4_CONFOUNDER);
    Ok(plain)
}

// ---- string-to-key ----

/// Default PBKDF2 iteration count of the AES enctypes (RFC 3962 4: s2kparams 00001000).
const DEFAULT_ITERATIONS: u32 = 4096;
/// Largest iteration count accepted (MIT krb5's bound): s2kparams come from the wire, and
/// RFC 3962 8 warns of a denial of service by a spoofed count.
const MAX_ITERATIONS: u32 = 0x0100_0000;

/// The default salt (RFC 4120 4): the realm followed by the name components.
pub fn default_salt<'a>(realm: &[u8], components: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut salt = realm.to_vec();
    for c in components {
        salt.extend_from_slice(c);
    }
    salt
}

/// A user's long-term key from their password. AES (RFC 3962 4): DK(PBKDF2-HMAC-SHA1(
/// password, salt, iterations, key length), "kerberos"), the iteration count from
/// `params` (4 bytes big-endian; default 4096). rc4-hmac (RFC 4757 2): MD4(UTF-16LE(
/// password)), the NT hash; salt ignored, `params` must be absent or empty.
pub fn string_to_key(
    enctype: Enctype,
    password: &str,
    salt: &[u8],
    params: Option<&[u8]>,
) -> Result<SecretBytes> {
    match enctype {
        Enctype::Rc4Hmac => {
            if params.is_some_and(|p| !p.is_empty()) {
                return Err(KrbCryptoError::S2kParams("rc4-hmac takes no parameters"));
            }
            Ok(SecretBytes::from(&nt_hash(password).as_bytes()[..]))
        }
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let iterations = match params {
                None => DEFAULT_ITERATIONS,
                Some(p) => {
                    let p: [u8; 4] = p
                        .try_into()
                        .map_err(|_| KrbCryptoError::S2kParams("AES takes 4 bytes"))?;
                    // 0 stands for 2^32 (RFC 3962 4), above the bound as well
                    match u32::from_be_bytes(p) {
                        0 => u32::MAX,
                        n => n,
                    }
                }
            };
            if iterations > MAX_ITERATIONS {
                return Err(KrbCryptoError::S2kParams("iteration count above 2^24"));
            }
            let mut tkey = Zeroizing::new(vec![0u8; enctype.key_len()]);
            pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, iterations, &mut tkey);
            Ok(SecretBytes::new(dk(&tkey, b"kerberos").to_vec()))
        }
    }
}

// ---- AP exchange ----

fn name_string(realm: &[u8], name: &PrincipalName<'_>) -> (String, String) {
    (
        String::from_utf8_lossy(realm).into_owned(),
        name.to_string(),
    )
}

fn token_kind(t: &Krb5Token<'_>) -> &'static str {
    match t {
        Krb5Token::ApReq(_) => "AP-REQ",
        Krb5Token::ApRep(_) => "AP-REP",
        Krb5Token::Error(_) => "KRB-ERROR",
    }
}

/// The AP-REQ in `token`: an SMB security blob (SPNEGO), a GSS-API token or a bare
/// AP-REQ.
fn find_ap_req(token: &[u8]) -> Result<ApReq<'_>> {
    match krb::find_token(token)?.ok_or(KrbCryptoError::NoToken)? {
        Krb5Token::ApReq(r) => Ok(r),
        t => Err(KrbCryptoError::WrongMessage {
            expected: "AP-REQ",
            found: token_kind(&t),
        }),
    }
}

/// What an AP-REQ yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApReqKeys {
    /// The ticket session key (EncTicketPart key).
    pub ticket_session_key: KrbKey,
    /// The client's subkey from the authenticator, if any.
    pub authenticator_subkey: Option<KrbKey>,
    /// The authenticator's initial sequence number, if any.
    pub seq_number: Option<u32>,
    /// The client realm (from the authenticator).
    pub client_realm: String,
    /// The client name, components joined with `/` (from the authenticator).
    pub client_name: String,
    /// Index (record number) of the keytab entry that decrypted the ticket; `None` when the
    /// ticket session key was given.
    pub keytab_entry: Option<usize>,
}

/// Decrypt the authenticator of `ap_req` with the ticket session key.
fn authenticator_keys(
    ticket_session_key: KrbKey,
    ap_req: &ApReq<'_>,
    keytab_entry: Option<usize>,
) -> Result<ApReqKeys> {
    let plain = decrypt_data(
        &ticket_session_key,
        krb::USAGE_AP_REQ_AUTHENTICATOR,
        &ap_req.authenticator,
    )?;
    let auth = krb::parse_authenticator(&plain)?;
    let (client_realm, client_name) = name_string(auth.crealm, &auth.cname);
    Ok(ApReqKeys {
        authenticator_subkey: auth.subkey.as_ref().map(KrbKey::from_wire),
        seq_number: auth.seq_number,
        client_realm,
        client_name,
        ticket_session_key,
        keytab_entry,
    })
}

/// The keys of an AP-REQ, with the service's keytab: the ticket is decrypted with the
/// keytab keys of its etype, those of its service principal and kvno first, then the
/// others (tickets are often issued for another name of the same account, e.g.
/// `cifs/host` for a `host/host` keytab); the integrity check tells the right one.
/// `token` is an SMB security blob (SPNEGO), a GSS-API token or a bare AP-REQ.
pub fn ap_req_keys<'k>(
    keytab: impl IntoIterator<Item = keytab::Entry<'k>>,
    token: &[u8],
) -> Result<ApReqKeys> {
    let ap_req = find_ap_req(token)?;
    let ticket = &ap_req.ticket;
    let enc = &ticket.enc_part;
    let etype = Enctype::from_wire(enc.etype)?;
    let mut candidates: Vec<keytab::Entry<'k>> = keytab
        .into_iter()
        .filter(|e| e.enctype == enc.etype)
        .collect();
    // exact principal and kvno first (a stable sort keeps the file order otherwise)
    candidates.sort_by_key(|e| {
        let named = e.principal.matches(ticket.realm, ticket.sname.components());
        let kvno = enc.kvno.is_none_or(|k| k == e.kvno);
        (!(named && kvno), !kvno)
    });
    for entry in &candidates {
        let Ok(plain) = decrypt(etype, entry.key, krb::USAGE_TICKET, enc.cipher) else {
            continue;
        };
        let part = krb::parse_enc_ticket_part(&plain)?;
        return authenticator_keys(KrbKey::from_wire(&part.key), &ap_req, Some(entry.index));
    }
    Err(KrbCryptoError::NoKey {
        etype: enc.etype,
        kvno: enc.kvno,
        tried: candidates.len(),
    })
}

/// The keys of an AP-REQ whose ticket session key is known (from the TGS-REP that issued
/// the ticket, see [`kdc_rep_keys`]): only the authenticator is decrypted.
pub fn ap_req_keys_with_session_key(
    ticket_session_key: &KrbKey,
    token: &[u8],
) -> Result<ApReqKeys> {
    let ap_req = find_ap_req(token)?;
    authenticator_keys(ticket_session_key.clone(), &ap_req, None)
}

/// What an AP-REP yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApRepKeys {
    /// The server's subkey, if any.
    pub subkey: Option<KrbKey>,
    /// The server's initial sequence number, if any.
    pub seq_number: Option<u32>,
}

/// The keys of an AP-REP, decrypted with the ticket session key of the AP-REQ it answers.
/// `token` is an SMB security blob (SPNEGO), a GSS-API token or a bare AP-REP.
pub fn ap_rep_keys(ticket_session_key: &KrbKey, token: &[u8]) -> Result<ApRepKeys> {
    let ap_rep = match krb::find_token(token)?.ok_or(KrbCryptoError::NoToken)? {
        Krb5Token::ApRep(r) => r,
        t => {
            return Err(KrbCryptoError::WrongMessage {
                expected: "AP-REP",
                found: token_kind(&t),
            });
        }
    };
    let plain = decrypt_data(
        ticket_session_key,
        krb::USAGE_AP_REP_ENC_PART,
        &ap_rep.enc_part,
    )?;
    let part = krb::parse_enc_ap_rep_part(&plain)?;
    Ok(ApRepKeys {
        subkey: part.subkey.as_ref().map(KrbKey::from_wire),
        seq_number: part.seq_number,
    })
}

/// The GSS-API session key of an AP exchange (MS-KILE 3.1.1.2, RFC 4121 2): the AP-REP
/// subkey when there is one, else the authenticator subkey, else the ticket session key.
/// SMB's Session.SessionKey is its first 16 bytes (MS-SMB2 3.2.5.3.1).
pub fn session_key<'a>(ap_req: &'a ApReqKeys, ap_rep: Option<&'a ApRepKeys>) -> &'a KrbKey {
    ap_rep
        .and_then(|r| r.subkey.as_ref())
        .or(ap_req.authenticator_subkey.as_ref())
        .unwrap_or(&ap_req.ticket_session_key)
}

// ---- KDC exchanges ----

/// What an AS-REP or TGS-REP yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcRepKeys {
    /// The session key of the ticket issued (the TGT's for an AS-REP).
    pub session_key: KrbKey,
    /// The service realm.
    pub srealm: String,
    /// The service name, components joined with `/`.
    pub sname: String,
    /// The nonce of the request answered.
    pub nonce: u32,
}

/// The session key an AS-REP or TGS-REP (`msg`, bare) delivers. `key` is the client key
/// for an AS-REP (from [`string_to_key`]; usage 3), for a TGS-REP the TGT session key
/// (usage 8) or the TGS-REQ's authenticator subkey ([`tgs_req_subkey`]; usage 9, also
/// tried with 8 as some KDCs do). A FAST-armored TGS-REP needs the strengthened reply key:
/// [`tgs_rep_keys`] finds it from the TGS-REQ and handles both cases.
pub fn kdc_rep_keys(key: &KrbKey, msg: &[u8]) -> Result<KdcRepKeys> {
    let rep = krb::parse_kdc_rep(msg)?;
    let usages: &[u32] = if msg.first() == Some(&krb::TAG_AS_REP) {
        &[krb::USAGE_AS_REP_ENC_PART]
    } else {
        &[krb::USAGE_TGS_REP_SESSION_KEY, krb::USAGE_TGS_REP_SUBKEY]
    };
    let mut last = KrbCryptoError::Integrity;
    for &usage in usages {
        match decrypt_data(key, usage, &rep.enc_part) {
            Ok(plain) => {
                let part = krb::parse_enc_kdc_rep_part(&plain)?;
                let (srealm, sname) = name_string(part.srealm, &part.sname);
                return Ok(KdcRepKeys {
                    session_key: KrbKey::from_wire(&part.key),
                    srealm,
                    sname,
                    nonce: part.nonce,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The subkey of a TGS-REQ's authenticator (in its PA-TGS-REQ), decrypted with the TGT
/// session key (usage 7): the key its TGS-REP is encrypted in, when present.
pub fn tgs_req_subkey(tgt_session_key: &KrbKey, msg: &[u8]) -> Result<Option<KrbKey>> {
    let req = krb::parse_kdc_req(msg)?;
    let ap_req = req.tgs_ap_req().ok_or(KrbCryptoError::WrongMessage {
        expected: "TGS-REQ with PA-TGS-REQ",
        found: "a KDC-REQ without it",
    })??;
    let plain = decrypt_data(
        tgt_session_key,
        krb::USAGE_TGS_REQ_AUTHENTICATOR,
        &ap_req.authenticator,
    )?;
    let auth = krb::parse_authenticator(&plain)?;
    Ok(auth.subkey.as_ref().map(KrbKey::from_wire))
}

// ---- PRF, PRF+ and KRB-FX-CF2 ----

/// Length in bytes of an enctype's PRF output.
fn prf_len(enctype: Enctype) -> usize {
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => BLOCK,
        Enctype::Rc4Hmac => 20,
    }
}

/// The pseudo-random function of `key`'s enctype (RFC 3961 3) on `input`. AES (RFC 3962
/// 6): E(DK(key, "prf"), SHA-1(input) truncated to a multiple of the block size) with
/// CBC-CTS and a zero IV: 16 bytes, one AES block. rc4-hmac: HMAC-SHA1(key, input), 20
/// bytes (RFC 4757 defines none; this is MIT krb5's and Heimdal's).
pub fn prf(key: &KrbKey, input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let enctype = Enctype::from_wire(key.enctype)?;
    let k = key.as_bytes();
    check_key(enctype, k)?;
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let hash = Sha1::digest(input);
            let mut block = Array::<u8, U16>::default();
            block.copy_from_slice(&hash[..BLOCK]);
            aes_encrypt_block(&dk(k, b"prf"), &mut block);
            let out = Zeroizing::new(block.to_vec());
            block.as_mut_slice().zeroize();
            Ok(out)
        }
        Enctype::Rc4Hmac => {
            let mut h =
                <Hmac<Sha1> as KeyInit>::new_from_slice(k).expect("HMAC takes any key length");
            h.update(input);
            let mut mac = h.finalize().into_bytes();
            let out = Zeroizing::new(mac.to_vec());
            mac.as_mut_slice().zeroize();
            Ok(out)
        }
    }
}

/// PRF+ (RFC 6113 5.1): PRF(key, 1 | pepper) | PRF(key, 2 | pepper) | ... truncated to
/// `len` bytes (at most 255 PRF outputs).
pub fn prf_plus(key: &KrbKey, pepper: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let per = prf_len(Enctype::from_wire(key.enctype)?);
    let blocks = len.div_ceil(per);
    if blocks > 255 {
        return Err(KrbCryptoError::PrfLength(len));
    }
    let mut input = Vec::with_capacity(pepper.len() + 1);
    input.push(0u8);
    input.extend_from_slice(pepper);
    let mut out = Zeroizing::new(Vec::with_capacity(blocks * per));
    for i in 1..=blocks {
        input[0] = i as u8;
        out.extend_from_slice(&prf(key, &input)?);
    }
    out.truncate(len);
    Ok(out)
}

/// KRB-FX-CF2 (RFC 6113 5.1): random-to-key(PRF+(key1, pepper1) XOR PRF+(key2,
/// pepper2)), a key of `key1`'s enctype (random-to-key is the identity for AES and
/// rc4-hmac).
pub fn krb_fx_cf2(key1: &KrbKey, pepper1: &[u8], key2: &KrbKey, pepper2: &[u8]) -> Result<KrbKey> {
    let enctype = Enctype::from_wire(key1.enctype)?;
    let len = enctype.key_len();
    let mut out = prf_plus(key1, pepper1, len)?;
    let other = prf_plus(key2, pepper2, len)?;
    for (o, b) in out.iter_mut().zip(other.iter()) {
        *o ^= b;
    }
    Ok(KrbKey::new(key1.enctype, &out))
}

// ---- FAST (RFC 6113) ----

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

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn data_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dissectors/tests/data/kerberos")
    }

    fn fixture(name: &str) -> Vec<u8> {
        let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
        hex(&text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<String>())
    }

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

    /// The messages of mitkdc.hex, in frame order.
    fn mitkdc() -> Vec<Vec<u8>> {
        frames("mitkdc.hex").into_iter().map(|(_, m)| m).collect()
    }

    /// The blocks of a `# frame N: what` file, with their frame numbers.
    fn frames(name: &str) -> Vec<(u32, Vec<u8>)> {
        let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
        let mut out: Vec<(u32, String)> = Vec::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# frame ") {
                let n = rest.split(':').next().unwrap().parse().unwrap();
                out.push((n, String::new()));
            } else if let Some(last) = out.last_mut().filter(|_| !l.starts_with('#')) {
                last.1.push_str(l.trim());
            }
        }
        out.iter().map(|(n, h)| (*n, hex(h))).collect()
    }

    fn frame(name: &str, n: u32) -> Vec<u8> {
        frames(name)
            .into_iter()
            .find(|(f, _)| *f == n)
            .unwrap_or_else(|| panic!("{name}: no frame {n}"))
            .1
    }

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
                .find(|e| {
                    e.enctype == etype && e.principal.matches(b"KRBLAB.TEST", [&b"alice"[..]])
                })
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

    // ---- synthetic TGS exchanges: no FAST, and FAST with explicit armor ----

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
    fn tgs_rep(
        padata: &[Vec<u8>],
        reply_key: &KrbKey,
        usage: u32,
        service_key: &KrbKey,
    ) -> Vec<u8> {
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
}

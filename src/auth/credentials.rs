//! What the user knows: passwords and NT hashes (known session keys: `key_list`), kept in
//! zeroizing types whose `Debug` never shows a byte of the secret.
//!
//! # `--credentials FILE`
//!
//! One entry per line, `[DOMAIN\]user:password`, `user@REALM:password` (a Kerberos principal)
//! or `[DOMAIN\]user::NTHASH` (32 hex digits).
//! Everything after the first `:` is the password, spaces included; a password that begins
//! with `:` cannot be written here (use `--password-file`). Blank lines and lines whose first
//! non-blank character is `#` are ignored. The user matches case-insensitively; an entry
//! without a domain matches any domain.

use std::fmt;

use des::Des;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::{Digest, Md4};
use zeroize::{Zeroize, Zeroizing};

/// A 16-byte secret key (NT hash, session key, signing key...).
#[derive(Clone, PartialEq, Eq)]
pub struct Key16(Zeroizing<[u8; 16]>);

impl Key16 {
    pub fn new(bytes: [u8; 16]) -> Self {
        Key16(Zeroizing::new(bytes))
    }

    /// The first 16 bytes of `key`, right-padded with zeros if shorter (MS-SMB2 3.2.1.3
    /// Session.SessionKey).
    pub fn from_prefix(key: &[u8]) -> Self {
        let mut k = [0u8; 16];
        let n = key.len().min(16);
        k[..n].copy_from_slice(&key[..n]);
        let out = Key16::new(k);
        k.zeroize();
        out
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl AsRef<[u8]> for Key16 {
    fn as_ref(&self) -> &[u8] {
        &self.0[..]
    }
}

impl fmt::Debug for Key16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key16(<redacted>)")
    }
}

/// A secret of any length (SMB1 MAC key, session key of 16 or 32 bytes, cipher key).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&[u8]> for SecretBytes {
    fn from(bytes: &[u8]) -> Self {
        SecretBytes::new(bytes.to_vec())
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes, <redacted>)", self.0.len())
    }
}

/// NTOWFv1 = MD4(UNICODE(password)) (MS-NLMP 3.3.1).
#[derive(Clone, PartialEq, Eq)]
pub struct NtHash(Key16);

impl NtHash {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        NtHash(Key16::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for NtHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NtHash(<redacted>)")
    }
}

/// LMOWFv1 (MS-NLMP 3.3.1): only needed for LM responses and the LM_KEY /
/// REQUEST_NON_NT_SESSION_KEY variants of the NTLMv1 key exchange key.
#[derive(Clone, PartialEq, Eq)]
pub struct LmHash(Key16);

impl LmHash {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        LmHash(Key16::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for LmHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LmHash(<redacted>)")
    }
}

/// NTOWFv1(password) = MD4(UTF-16LE(password)) (MS-NLMP 3.3.1).
pub fn nt_hash(password: &str) -> NtHash {
    let mut md4 = Md4::new();
    for unit in password.encode_utf16() {
        md4.update(unit.to_le_bytes());
    }
    let mut out: [u8; 16] = md4.finalize().into();
    let hash = NtHash::from_bytes(out);
    out.zeroize();
    hash
}

/// LMOWFv1(password) = DES(UPPER(password)[0..7], "KGS!@#$%") ‖ DES(..[7..14], ...)
/// (MS-NLMP 3.3.1). The password is uppercased in the OEM code page; only ASCII is handled
/// here, so `None` for non-ASCII passwords and for those longer than 14 characters, which
/// have no LM hash.
pub fn lm_hash(password: &str) -> Option<LmHash> {
    if !password.is_ascii() || password.len() > 14 {
        return None;
    }
    let mut padded = Zeroizing::new([0u8; 14]);
    for (dst, src) in padded.iter_mut().zip(password.bytes()) {
        *dst = src.to_ascii_uppercase();
    }
    let mut out = Zeroizing::new([0u8; 16]);
    out[..8].copy_from_slice(&des_encrypt7(&padded[..7], b"KGS!@#$%"));
    out[8..].copy_from_slice(&des_encrypt7(&padded[7..], b"KGS!@#$%"));
    Some(LmHash::from_bytes(*out))
}

/// DES with a 7-byte key spread over 8 bytes (parity bits unused), MS-NLMP 6 "DES()".
pub(crate) fn des_encrypt7(key7: &[u8], block: &[u8; 8]) -> [u8; 8] {
    debug_assert_eq!(key7.len(), 7);
    let k = key7;
    let mut key = [
        k[0],
        (k[0] << 7) | (k[1] >> 1),
        (k[1] << 6) | (k[2] >> 2),
        (k[2] << 5) | (k[3] >> 3),
        (k[3] << 4) | (k[4] >> 4),
        (k[4] << 3) | (k[5] >> 5),
        (k[5] << 2) | (k[6] >> 6),
        k[6] << 1,
    ];
    let des = Des::new(&key.into());
    key.zeroize();
    let mut b = (*block).into();
    des.encrypt_block(&mut b);
    b.into()
}

/// Why a hash, credentials file or keys file could not be read. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("NT hash must be 32 hex digits")]
    BadNtHash,
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: &'static str },
}

/// Parse `--nt-hash HEX`: exactly 32 hex digits.
pub fn parse_nt_hash(hex: &str) -> Result<NtHash, CredentialError> {
    let bytes = Zeroizing::new(decode_hex(hex.trim()).ok_or(CredentialError::BadNtHash)?);
    let arr: [u8; 16] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| CredentialError::BadNtHash)?;
    Ok(NtHash::from_bytes(arr))
}

/// Where a credential came from (reported per session as its key source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Password,
    NtHash,
}

/// A password, wiped when dropped and never shown by `Debug`.
#[derive(Clone)]
pub struct Password(zeroize::Zeroizing<String>);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(redacted)")
    }
}

/// One user's secret, or a secret for every user (`user == None`).
#[derive(Debug, Clone)]
pub struct Credential {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub nt_hash: NtHash,
    pub lm_hash: Option<LmHash>,
    /// The password itself, when given: Kerberos AES keys are derived from it with the
    /// principal's salt (RFC 3962 4), which the NT hash cannot give.
    pub password: Option<Password>,
    pub source: CredentialSource,
}

impl Credential {
    pub fn from_password(user: Option<String>, domain: Option<String>, password: &str) -> Self {
        Credential {
            user,
            domain,
            nt_hash: nt_hash(password),
            lm_hash: lm_hash(password),
            password: Some(Password(zeroize::Zeroizing::new(password.to_string()))),
            source: CredentialSource::Password,
        }
    }

    pub fn from_nt_hash(user: Option<String>, domain: Option<String>, hash: NtHash) -> Self {
        Credential {
            user,
            domain,
            nt_hash: hash,
            lm_hash: None,
            password: None,
            source: CredentialSource::NtHash,
        }
    }

    /// 0 = no match; higher = more specific (user and domain > user > anyone).
    fn rank(&self, user: &str, domain: &str) -> u8 {
        let Some(u) = &self.user else { return 1 };
        if !eq_ignore_case(u, user) {
            return 0;
        }
        match &self.domain {
            None => 2,
            Some(d) if eq_ignore_case(d, domain) => 3,
            Some(_) => 0,
        }
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// All credentials the user gave: command-line password or hash (matches every user) and
/// `--credentials` entries.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    entries: Vec<Credential>,
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, credential: Credential) {
        self.entries.push(credential);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parse a `--credentials` file (format in the module documentation).
    pub fn parse(text: &str) -> Result<Self, CredentialError> {
        let mut creds = Credentials::new();
        for (line, content) in meaningful_lines(text) {
            let err = |reason| CredentialError::Line { line, reason };
            let (who, secret) = content.split_once(':').ok_or(err(
                "expected [DOMAIN\\]user:password, user@REALM:password or [DOMAIN\\]user::NTHASH",
            ))?;
            let who = who.trim();
            // DOMAIN\user, or a Kerberos principal user@REALM.
            let (domain, user) = match (who.split_once('\\'), who.rsplit_once('@')) {
                (Some((d, u)), _) => (Some(d.to_string()), u),
                (None, Some((u, realm))) => (Some(realm.to_string()), u),
                (None, None) => (None, who),
            };
            if user.is_empty() || domain.as_deref() == Some("") {
                return Err(err("empty user or domain name"));
            }
            let user = Some(user.to_string());
            creds.push(match secret.strip_prefix(':') {
                Some(hex) => {
                    let hash = parse_nt_hash(hex)
                        .map_err(|_| err("NT hash after '::' must be 32 hex digits"))?;
                    Credential::from_nt_hash(user, domain, hash)
                }
                None => Credential::from_password(user, domain, secret),
            });
        }
        Ok(creds)
    }

    /// Entries that match the AUTHENTICATE message's user and domain, most specific first
    /// (user and domain, then user, then the command-line secret for everyone), so a caller
    /// can try the next one when a replay does not match.
    pub fn candidates<'s>(
        &'s self,
        user: &str,
        domain: &str,
    ) -> impl Iterator<Item = &'s Credential> + use<'s> {
        let mut ranked: Vec<(u8, &Credential)> = self
            .entries
            .iter()
            .map(|c| (c.rank(user, domain), c))
            .filter(|(rank, _)| *rank > 0)
            .collect();
        ranked.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        ranked.into_iter().map(|(_, c)| c)
    }

    /// The most specific entry for the AUTHENTICATE message's user and domain.
    pub fn lookup(&self, user: &str, domain: &str) -> Option<&Credential> {
        self.candidates(user, domain).next()
    }

    pub fn for_user(&self, user: &str, domain: &str) -> Option<&NtHash> {
        self.lookup(user, domain).map(|c| &c.nt_hash)
    }
}

/// (1-based line number, content) of lines that are neither blank nor comments.
pub(crate) fn meaningful_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#')
        })
}

/// Even-length hex to bytes, `None` on anything else.
pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_lines() {
        let text = "# comment\n\nLAB\\Alice:pa:ss word\r\nbob::7c4fe5eada682714a036e39378362bab\n";
        let c = Credentials::parse(text).unwrap();
        assert_eq!(c.for_user("alice", "lab").unwrap(), &nt_hash("pa:ss word"));
        assert!(c.for_user("alice", "OTHER").is_none());
        assert_eq!(
            c.for_user("BOB", "anything").unwrap().as_bytes(),
            &[
                0x7c, 0x4f, 0xe5, 0xea, 0xda, 0x68, 0x27, 0x14, 0xa0, 0x36, 0xe3, 0x93, 0x78, 0x36,
                0x2b, 0xab
            ]
        );
        assert!(c.for_user("carol", "").is_none());
    }

    #[test]
    fn credentials_errors_name_line_not_secret() {
        let e = Credentials::parse("\nalice:ok\nbob::zz-secret-zz\n").unwrap_err();
        assert_eq!(
            e,
            CredentialError::Line {
                line: 3,
                reason: "NT hash after '::' must be 32 hex digits"
            }
        );
        assert!(!e.to_string().contains("secret"));
        let e = Credentials::parse("nocolon-secret").unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }

    #[test]
    fn specific_entry_beats_wildcard() {
        let mut c = Credentials::new();
        c.push(Credential::from_password(None, None, "any"));
        c.push(Credential::from_password(
            Some("alice".into()),
            None,
            "hers",
        ));
        assert_eq!(c.for_user("ALICE", "X").unwrap(), &nt_hash("hers"));
        assert_eq!(c.for_user("bob", "X").unwrap(), &nt_hash("any"));
        let order: Vec<_> = c.candidates("Alice", "X").map(|c| &c.nt_hash).collect();
        assert_eq!(order, [&nt_hash("hers"), &nt_hash("any")]);
    }

    #[test]
    fn nt_hash_argument() {
        assert!(parse_nt_hash("7c4fe5eada682714a036e39378362bab").is_ok());
        assert_eq!(parse_nt_hash("7c4f"), Err(CredentialError::BadNtHash));
        assert_eq!(
            parse_nt_hash("xx4fe5eada682714a036e39378362bab"),
            Err(CredentialError::BadNtHash)
        );
    }

    #[test]
    fn lm_hash_limits() {
        assert!(lm_hash("fifteen-chars!!").is_none());
        assert!(lm_hash("pässword").is_none());
        assert!(lm_hash("").is_some());
    }
}

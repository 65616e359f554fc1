//! Authentication replay: what the user knows (`credentials`) and NTLM (`ntlm`).
//! Pure functions on plain inputs: no packets, no dissectors.

pub mod credentials;
pub mod key_list;
pub mod ntlm;

pub use credentials::{
    Credential, CredentialError, CredentialSource, Credentials, Key16, LmHash, NtHash, SecretBytes,
    lm_hash, nt_hash, parse_nt_hash,
};
pub use key_list::{CipherKeys, KnownSessionKey, parse_keys_file};
pub use ntlm::{AuthExchange, AuthKind, ReplayError, Replayed, replay};

/// What the user knows: passwords or NT hashes, session keys, and Kerberos service keys.
#[derive(Debug, Default)]
pub struct Secrets {
    pub credentials: Credentials,
    pub session_keys: Vec<KnownSessionKey>,
    /// Keytab files as read (MIT format, checked when loaded): the service keys that
    /// decrypt Kerberos tickets.
    pub keytabs: Vec<Keytab>,
}

/// A keytab file's bytes, checked to parse.
pub struct Keytab(zeroize::Zeroizing<Vec<u8>>);

impl Keytab {
    /// Checks that `bytes` is a keytab; the error names the entry that is wrong.
    pub fn new(bytes: Vec<u8>) -> Result<Self, dissectors::keytab::KeytabError> {
        let bytes = zeroize::Zeroizing::new(bytes);
        dissectors::keytab::parse(&bytes)?;
        Ok(Keytab(bytes))
    }

    /// The keys it holds.
    pub fn entries(&self) -> impl Iterator<Item = dissectors::keytab::Entry<'_>> {
        dissectors::keytab::parse(&self.0)
            .ok()
            .into_iter()
            .flat_map(|k| k.entries())
    }
}

impl std::fmt::Debug for Keytab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keytab({} bytes)", self.0.len())
    }
}

impl Secrets {
    /// Whether anything at all was given to check signatures with.
    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty() && self.session_keys.is_empty() && self.keytabs.is_empty()
    }
}

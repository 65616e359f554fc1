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

/// What the user knows: passwords or NT hashes, and session keys.
#[derive(Debug, Default)]
pub struct Secrets {
    pub credentials: Credentials,
    pub session_keys: Vec<KnownSessionKey>,
}

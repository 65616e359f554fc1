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

//! Authentication replay: what the user knows (`credentials`) and NTLM (`ntlm`).
//! Pure functions on plain inputs: no packets, no dissectors.

pub mod credentials;
pub mod ntlm;

pub use credentials::{
    Credential, CredentialError, CredentialSource, Credentials, Key16, KnownSessionKey, LmHash,
    NtHash, SecretBytes, lm_hash, nt_hash, parse_keys_file, parse_nt_hash,
};
pub use ntlm::{AuthExchange, AuthKind, ReplayError, Replayed, replay};

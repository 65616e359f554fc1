//! Cryptography: the SMB2/3 KDF and preauth hash (`keys`), signing (`sign`, with the
//! hand-written AES-CMAC and AES-GMAC of `mac`), sealing (`seal`: AES-CCM and AES-GCM), and
//! Kerberos (`kerberos`: RFC 3961, 3962, 4757, 6113).

pub mod kerberos;
pub mod keys;
pub mod mac;
pub mod seal;
pub mod sign;

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
//! - GSS-API MIC tokens (SPNEGO's mechListMIC after a Kerberos logon): [`verify_mic`]
//!   checks an RFC 4121 4.2.6.1 token with the keyed [`checksum`] of the enctype and the
//!   context's keys ([`ContextKeys`]).
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
//!
//! The files: `enctype` (enctypes, keys, errors, decryption, checksum), `aes` (RFC
//! 3961/3962: n-fold, DK, CBC-CTS, HMAC-SHA1-96), `rc4` (RFC 4757), `s2k` (string-to-key),
//! `exchange` (AP and KDC exchanges), `mic` (GSS-API MIC tokens), `prf` (PRF, PRF+,
//! KRB-FX-CF2) and `fast` (RFC 6113 armor and reply keys).
//!
//! [`prf`]: fn@prf

mod aes;
mod enctype;
mod exchange;
mod fast;
mod mic;
mod prf;
mod rc4;
mod s2k;
#[cfg(test)]
mod tests;

pub use enctype::{Enctype, KrbCryptoError, KrbKey, checksum, decrypt, decrypt_data};
pub use exchange::{
    ApRepKeys, ApReqKeys, KdcRepKeys, ap_rep_keys, ap_req_keys, ap_req_keys_with_session_key,
    kdc_rep_keys, session_key, tgs_req_subkey,
};
pub use fast::{strengthen_reply_key, tgs_armor_key, tgs_rep_keys, tgs_rep_keys_with_armor};
pub use mic::{ContextKeys, MicError, Sender, verify_mic};
pub use prf::{krb_fx_cf2, prf, prf_plus};
pub use s2k::{default_salt, string_to_key};

//! Kerberos 5 messages (RFC 4120 5, DER with EXPLICIT tags), as far as recovering a
//! session key needs them, and the GSS-API token around them (RFC 4121 4.1).
//!
//! - Security blobs: [`find_token`] finds the Kerberos token of an SMB security buffer
//!   (the SPNEGO mechToken / responseToken, or a raw GSS-API token) and
//!   [`parse_gss_token`] reads `0x60 len OID TOK_ID message` (OID 1.2.840.113554.1.2.2,
//!   Microsoft's 1.2.840.48018.1.2.2 or the user-to-user one) or a bare message.
//! - Messages: [`parse_ap_req`], [`parse_ap_rep`], [`parse_krb_error`] (with
//!   [`KrbError::method_data`] and [`parse_etype_info2`] for the salts),
//!   [`parse_kdc_req`] (AS-REQ / TGS-REQ: client name, realm, padata) and
//!   [`parse_kdc_rep`] (AS-REP / TGS-REP).
//! - Decrypted parts (the plaintexts of [`EncryptedData`]): [`parse_enc_ticket_part`],
//!   [`parse_authenticator`], [`parse_enc_ap_rep_part`], [`parse_enc_kdc_rep_part`].
//! - FAST (RFC 6113 5.4): the PA-FX-FAST of a request ([`KdcReq::fast`],
//!   [`parse_pa_fx_fast_request`]: the armor and the encrypted KrbFastReq) and of a
//!   reply ([`KdcRep::fast`], [`parse_pa_fx_fast_reply`]), and their decrypted parts
//!   [`parse_krb_fast_req`] and [`parse_krb_fast_response`] (with the strengthen-key).
//!
//! Everything borrows the input; nothing is allocated by a length or count read from it.
//! Fields this module does not need (times, addresses, authorization data...) are
//! skipped, and unknown context tags are ignored (RFC 4120 messages are extensible).
//! [`EncryptionKey`] and keytab keys never show their bytes in `Debug`.
//!
//! The files: `fields` (the DER field readers all messages share), `messages` (the common
//! types, the AP exchange and its decrypted parts), `padata` (PA-DATA lists, ETYPE-INFO2),
//! `kdc` (KRB-ERROR, KDC-REQ, KDC-REP), `fast` (RFC 6113) and `gss` (GSS-API tokens and
//! security blobs).

use crate::der::application;

mod fast;
mod fields;
mod gss;
mod kdc;
mod messages;
mod padata;
#[cfg(test)]
mod tests;

pub use fast::{
    KrbFastArmor, KrbFastArmoredRep, KrbFastArmoredReq, KrbFastFinished, KrbFastReq,
    KrbFastResponse, parse_krb_fast_req, parse_krb_fast_response, parse_pa_fx_fast_reply,
    parse_pa_fx_fast_request,
};
pub use gss::{Krb5Token, find_token, parse_gss_token, unframe};
pub use kdc::{
    EncKdcRepPart, KdcRep, KdcReq, KrbError, parse_enc_kdc_rep_part, parse_kdc_rep, parse_kdc_req,
    parse_krb_error,
};
pub use messages::{
    ApRep, ApReq, Authenticator, EncApRepPart, EncTicketPart, EncryptedData, EncryptionKey,
    PrincipalName, Ticket, parse_ap_rep, parse_ap_req, parse_authenticator, parse_enc_ap_rep_part,
    parse_enc_ticket_part, parse_encrypted_data,
};
pub use padata::{
    EtypeInfo2, EtypeInfo2Entry, PaData, PaDataList, parse_etype_info2, parse_method_data,
};

/// `[APPLICATION 1]` Ticket.
pub const TAG_TICKET: u8 = application(1);
/// `[APPLICATION 2]` Authenticator.
pub const TAG_AUTHENTICATOR: u8 = application(2);
/// `[APPLICATION 3]` EncTicketPart.
pub const TAG_ENC_TICKET_PART: u8 = application(3);
/// `[APPLICATION 10]` AS-REQ.
pub const TAG_AS_REQ: u8 = application(10);
/// `[APPLICATION 11]` AS-REP.
pub const TAG_AS_REP: u8 = application(11);
/// `[APPLICATION 12]` TGS-REQ.
pub const TAG_TGS_REQ: u8 = application(12);
/// `[APPLICATION 13]` TGS-REP.
pub const TAG_TGS_REP: u8 = application(13);
/// `[APPLICATION 14]` AP-REQ.
pub const TAG_AP_REQ: u8 = application(14);
/// `[APPLICATION 15]` AP-REP.
pub const TAG_AP_REP: u8 = application(15);
/// `[APPLICATION 25]` EncASRepPart.
pub const TAG_ENC_AS_REP_PART: u8 = application(25);
/// `[APPLICATION 26]` EncTGSRepPart.
pub const TAG_ENC_TGS_REP_PART: u8 = application(26);
/// `[APPLICATION 27]` EncAPRepPart.
pub const TAG_ENC_AP_REP_PART: u8 = application(27);
/// `[APPLICATION 30]` KRB-ERROR.
pub const TAG_KRB_ERROR: u8 = application(30);

/// GSS-API TOK_ID of an AP-REQ (RFC 4121 4.1).
pub const TOK_ID_AP_REQ: [u8; 2] = [0x01, 0x00];
/// GSS-API TOK_ID of an AP-REP.
pub const TOK_ID_AP_REP: [u8; 2] = [0x02, 0x00];
/// GSS-API TOK_ID of a KRB-ERROR.
pub const TOK_ID_KRB_ERROR: [u8; 2] = [0x03, 0x00];

// Key usage numbers (RFC 4120 7.5.1).
/// Ticket enc-part, encrypted with the service key.
pub const USAGE_TICKET: u32 = 2;
/// AS-REP enc-part, encrypted with the client key.
pub const USAGE_AS_REP_ENC_PART: u32 = 3;
/// TGS-REQ authenticator (in PA-TGS-REQ), encrypted with the TGT session key.
pub const USAGE_TGS_REQ_AUTHENTICATOR: u32 = 7;
/// TGS-REP enc-part encrypted with the TGT session key.
pub const USAGE_TGS_REP_SESSION_KEY: u32 = 8;
/// TGS-REP enc-part encrypted with the TGS-REQ authenticator subkey.
pub const USAGE_TGS_REP_SUBKEY: u32 = 9;
/// AP-REQ authenticator, encrypted with the ticket session key.
pub const USAGE_AP_REQ_AUTHENTICATOR: u32 = 11;
/// AP-REP enc-part, encrypted with the ticket session key.
pub const USAGE_AP_REP_ENC_PART: u32 = 12;
/// KrbFastArmoredReq req-checksum, in the armor key (RFC 6113 5.4.2).
pub const USAGE_FAST_REQ_CHKSUM: u32 = 50;
/// KrbFastArmoredReq enc-fast-req, in the armor key (RFC 6113 5.4.2).
pub const USAGE_FAST_ENC: u32 = 51;
/// KrbFastArmoredRep enc-fast-rep, in the armor key (RFC 6113 5.4.3).
pub const USAGE_FAST_REP: u32 = 52;
/// KrbFastFinished ticket-checksum, in the armor key (RFC 6113 5.4.3).
pub const USAGE_FAST_FINISHED: u32 = 53;

// PA-DATA types (RFC 4120 7.5.2).
/// PA-TGS-REQ: the AP-REQ of a TGS-REQ.
pub const PA_TGS_REQ: i32 = 1;
/// PA-ETYPE-INFO.
pub const PA_ETYPE_INFO: i32 = 11;
/// PA-ETYPE-INFO2 (RFC 4120 5.2.7.5).
pub const PA_ETYPE_INFO2: i32 = 19;
/// PA-FX-FAST (RFC 6113 5.4.2): PA-FX-FAST-REQUEST in a request, PA-FX-FAST-REPLY in a
/// reply; empty where a KDC only advertises FAST (KRB-ERROR e-data, encrypted padata).
pub const PA_FX_FAST: i32 = 136;

/// FX_FAST_ARMOR_AP_REQUEST, the armor type of an AP-REQ armor (RFC 6113 5.4.1.1).
pub const FX_FAST_ARMOR_AP_REQUEST: i32 = 1;

/// KDC_ERR_PREAUTH_REQUIRED, whose e-data lists the salts (RFC 4120 7.5.9).
pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;

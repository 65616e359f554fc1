//! SMB signatures, computed over the message as captured, with the signature field read as
//! zeros (SMB2) or as the sequence number (SMB1), without copying the message.

pub use dissectors::smb2::SigningAlgorithm;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::auth::credentials::{Key16, SecretBytes};

/// SMB2 header length and the Signature field inside it (MS-SMB2 2.2.1).
pub const SMB2_HEADER_LEN: usize = 64;
const SMB2_SIGNATURE: std::ops::Range<usize> = 48..64;
const SMB2_FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
const SMB2_CANCEL: u16 = 0x000c;

/// SMB1 SecuritySignature field (MS-CIFS 2.2.3.1).
const SMB1_SIGNATURE: std::ops::Range<usize> = 14..22;
/// What a server that never turned signing on puts where the SMB1 MAC belongs.
pub const SMB1_PLACEHOLDER: [u8; 8] = *b"BSRSPYL ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("message shorter than its header")]
    TooShort,
    #[error("{0} is not an SMB2 signing algorithm")]
    NotSmb2(SigningAlgorithm),
}

/// The signature of an SMB2 message (one compound element: its own bytes up to NextCommand)
/// with bytes 48..64 taken as zeros (MS-SMB2 3.1.4.1).
///
/// Every algorithm streams the message in three parts: before, in place of and after the
/// signature.
pub fn smb2_signature(
    alg: SigningAlgorithm,
    key: &Key16,
    message: &[u8],
) -> Result<[u8; 16], SignError> {
    smb2_signature_parts(alg, key, message, [])
}

/// [`smb2_signature`] of a message given as its first bytes (at least the header) and the
/// rest in parts (a long message left where it lies in the capture file, `flow::Tail`).
fn smb2_signature_parts<'a>(
    alg: SigningAlgorithm,
    key: &Key16,
    head: &'a [u8],
    rest: impl IntoIterator<Item = &'a [u8]>,
) -> Result<[u8; 16], SignError> {
    if head.len() < SMB2_HEADER_LEN {
        return Err(SignError::TooShort);
    }
    let mut parts: Vec<&[u8]> = vec![
        &head[..SMB2_SIGNATURE.start],
        &[0; 16],
        &head[SMB2_SIGNATURE.end..],
    ];
    parts.extend(rest);
    Ok(match alg {
        SigningAlgorithm::HmacSha256 => hmac_sha256_16(key.as_ref(), &parts),
        SigningAlgorithm::AesCmac => aes_cmac(key, &parts),
        SigningAlgorithm::AesGmac => {
            let nonce = smb2_gmac_nonce(head).ok_or(SignError::TooShort)?;
            gmac(key, &nonce, &parts)
        }
        SigningAlgorithm::Smb1Md5 => return Err(SignError::NotSmb2(alg)),
    })
}

/// HMAC-SHA256 over the concatenation of `parts`, truncated to 16 bytes (MS-SMB2 3.1.4.1
/// for 2.0.2/2.1, and 3.1.1 with SIGNING_CAPABILITIES HMAC-SHA256).
pub fn hmac_sha256_16(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().into_bytes()[..16]
        .try_into()
        .expect("SHA-256 gives 32 bytes")
}

pub use crate::crypto::mac::{aes_cmac, gmac};

/// Whether the signature carried at bytes 48..64 is the one [`smb2_signature`] computes.
pub fn smb2_verify(alg: SigningAlgorithm, key: &Key16, message: &[u8]) -> Result<bool, SignError> {
    smb2_verify_parts(alg, key, message, [])
}

/// [`smb2_verify`] of a message given as in [`smb2_signature_parts`].
pub fn smb2_verify_parts<'a>(
    alg: SigningAlgorithm,
    key: &Key16,
    head: &'a [u8],
    rest: impl IntoIterator<Item = &'a [u8]>,
) -> Result<bool, SignError> {
    let expected = smb2_signature_parts(alg, key, head, rest)?;
    Ok(head[SMB2_SIGNATURE] == expected)
}

/// The AES-GMAC nonce (MS-SMB2 3.1.4.1): MessageId (8 bytes LE), then a 32-bit LE word with
/// bit 0 set for a response (SMB2_FLAGS_SERVER_TO_REDIR) and bit 1 for a CANCEL request.
pub fn gmac_nonce(message_id: u64, is_response: bool, is_cancel_request: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&message_id.to_le_bytes());
    let word = u32::from(is_response) | (u32::from(is_cancel_request) << 1);
    nonce[8..].copy_from_slice(&word.to_le_bytes());
    nonce
}

/// [`gmac_nonce`] from an SMB2 header: Command at 12, Flags at 16, MessageId at 24.
pub fn smb2_gmac_nonce(header: &[u8]) -> Option<[u8; 12]> {
    let command = u16::from_le_bytes(header.get(12..14)?.try_into().ok()?);
    let flags = u32::from_le_bytes(header.get(16..20)?.try_into().ok()?);
    let message_id = u64::from_le_bytes(header.get(24..32)?.try_into().ok()?);
    let response = flags & SMB2_FLAGS_SERVER_TO_REDIR != 0;
    Some(gmac_nonce(
        message_id,
        response,
        command == SMB2_CANCEL && !response,
    ))
}

/// SMB1 MAC (MS-CIFS 3.1.4.1): the first 8 bytes of MD5(MAC key ‖ message), with the
/// SecuritySignature field (bytes 14..22) holding `seq` as u32 LE followed by 4 zero bytes.
/// The MAC key is the session key with extended security (NTLMSSP: the ExportedSessionKey,
/// MS-SMB 3.2.5.3) or [`crate::auth::ntlm::smb1_raw_mac_key`] with raw NTLM.
pub fn smb1_signature(
    mac_key: &SecretBytes,
    message: &[u8],
    seq: u32,
) -> Result<[u8; 8], SignError> {
    if message.len() < SMB1_SIGNATURE.end {
        return Err(SignError::TooShort);
    }
    let mut field = [0u8; 8];
    field[..4].copy_from_slice(&seq.to_le_bytes());
    let mut md5 = Md5::new();
    md5.update(mac_key.as_bytes());
    md5.update(&message[..SMB1_SIGNATURE.start]);
    md5.update(field);
    md5.update(&message[SMB1_SIGNATURE.end..]);
    Ok(md5.finalize()[..8].try_into().expect("MD5 gives 16 bytes"))
}

/// Whether the SecuritySignature carried at bytes 14..22 is the MAC for `seq`.
pub fn smb1_verify(mac_key: &SecretBytes, message: &[u8], seq: u32) -> Result<bool, SignError> {
    let expected = smb1_signature(mac_key, message, seq)?;
    Ok(message[SMB1_SIGNATURE] == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(command: u16, flags: u32, message_id: u64) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\xfeSMB");
        h[12..14].copy_from_slice(&command.to_le_bytes());
        h[16..20].copy_from_slice(&flags.to_le_bytes());
        h[24..32].copy_from_slice(&message_id.to_le_bytes());
        h
    }

    #[test]
    fn gmac_nonce_layout() {
        assert_eq!(
            gmac_nonce(0x0102_0304_0506_0708, false, false),
            [8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0]
        );
        assert_eq!(gmac_nonce(5, true, false)[8..], [1, 0, 0, 0]);
        assert_eq!(gmac_nonce(5, false, true)[8..], [2, 0, 0, 0]);
    }

    #[test]
    fn gmac_nonce_from_header() {
        // READ request, READ response, CANCEL request (async flag 0x2 set too).
        assert_eq!(
            smb2_gmac_nonce(&header(0x0008, 0, 7)),
            Some(gmac_nonce(7, false, false))
        );
        assert_eq!(
            smb2_gmac_nonce(&header(0x0008, 1, 7)),
            Some(gmac_nonce(7, true, false))
        );
        assert_eq!(
            smb2_gmac_nonce(&header(0x000c, 2, 9)),
            Some(gmac_nonce(9, false, true))
        );
        assert_eq!(smb2_gmac_nonce(&[0; 20]), None);
    }

    #[test]
    fn signature_field_is_ignored() {
        let key = Key16::new([3; 16]);
        let mut msg = header(0x0008, 1, 7);
        msg.extend_from_slice(b"body");
        for alg in [
            SigningAlgorithm::HmacSha256,
            SigningAlgorithm::AesCmac,
            SigningAlgorithm::AesGmac,
        ] {
            let sig = smb2_signature(alg, &key, &msg).unwrap();
            msg[48..64].copy_from_slice(&sig);
            assert!(smb2_verify(alg, &key, &msg).unwrap(), "{alg}");
            assert_eq!(smb2_signature(alg, &key, &msg).unwrap(), sig);
            msg[66] ^= 1;
            assert!(!smb2_verify(alg, &key, &msg).unwrap(), "{alg}");
            msg[66] ^= 1;
        }
    }

    #[test]
    fn short_messages_are_errors() {
        let key = Key16::new([0; 16]);
        assert_eq!(
            smb2_signature(SigningAlgorithm::AesCmac, &key, &[0; 63]),
            Err(SignError::TooShort)
        );
        assert_eq!(
            smb2_signature(SigningAlgorithm::Smb1Md5, &key, &[0; 64]),
            Err(SignError::NotSmb2(SigningAlgorithm::Smb1Md5))
        );
        let mac = SecretBytes::from(&[1u8; 40][..]);
        assert_eq!(smb1_signature(&mac, &[0; 21], 0), Err(SignError::TooShort));
    }

    #[test]
    fn smb1_sequence_number_goes_in_signature_field() {
        let mac = SecretBytes::from(&[1u8; 40][..]);
        let mut msg = vec![0u8; 40];
        msg[..4].copy_from_slice(b"\xffSMB");
        let sig = smb1_signature(&mac, &msg, 2).unwrap();
        // Same as MD5 over the message with the field written out.
        let mut written = msg.clone();
        written[14..18].copy_from_slice(&2u32.to_le_bytes());
        let mut md5 = Md5::new();
        md5.update([1u8; 40]);
        md5.update(&written);
        assert_eq!(sig[..], md5.finalize()[..8]);
        msg[14..22].copy_from_slice(&sig);
        assert!(smb1_verify(&mac, &msg, 2).unwrap());
        assert!(!smb1_verify(&mac, &msg, 3).unwrap());
    }
}

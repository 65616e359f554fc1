//! `--keys FILE`: keys the user already knows, for sessions whose password is not known
//! (Kerberos) or not wanted.
//!
//! Each line that is not blank or a `#` comment is one of:
//! - `SESSIONID KEY`, separated by blanks: a session key in hex, 32 digits (16 bytes) or 64
//!   digits (32 bytes, Kerberos with AES-256 ciphers).
//! - A Wireshark `smb2_seskey_list` line: `SESSIONID,SESSIONKEY,S2CKEY,C2SKEY`, each field
//!   optionally in double quotes and any but the first possibly empty (`""`), as Wireshark's
//!   preferences file and `--export-keys` write it. S2CKEY seals server-to-client messages,
//!   C2SKEY client-to-server ones (16 or 32 bytes). With the two cipher keys alone encrypted
//!   traffic decrypts, even when its session setup is not in the capture; the session key
//!   also gives the signing keys.
//! - A `session`, `channel` or `smb1` record of an `--export-keys` file: skipped, so that a
//!   whole export file can be given back (its Wireshark block holds the same keys).
//!
//! `SESSIONID` is either `0x` followed by up to 16 hex digits, read as the number
//! (`0x0000100000000019`), or exactly 16 hex digits without `0x`, read as the 8 bytes of the
//! SMB2 header's SessionId in wire order (little-endian), as Wireshark shows it
//! (`1900000000100000` is the same session). Errors name the line, never its content.

use super::credentials::{CredentialError, SecretBytes, decode_hex, meaningful_lines};

/// Keys the user supplied with `--keys` for one session.
#[derive(Debug, Clone)]
pub struct KnownSessionKey {
    pub session_id: u64,
    pub session_key: Option<SecretBytes>,
    pub cipher_keys: Option<CipherKeys>,
}

/// The two keys that seal an SMB 3.x session's traffic, one per direction.
#[derive(Debug, Clone)]
pub struct CipherKeys {
    pub c2s: SecretBytes,
    pub s2c: SecretBytes,
}

/// Records of an `--export-keys` file other than its Wireshark block.
const EXPORT_RECORDS: [&str; 3] = ["session ", "channel ", "smb1 "];

/// Parses a `--keys` file (format in the module documentation).
pub fn parse_keys_file(text: &str) -> Result<Vec<KnownSessionKey>, CredentialError> {
    meaningful_lines(text)
        .filter(|(_, l)| !EXPORT_RECORDS.iter().any(|r| l.starts_with(r)))
        .map(|(line, content)| {
            let parsed = if content.contains(',') {
                wireshark_line(content)
            } else {
                id_and_key(content)
            };
            parsed.map_err(|reason| CredentialError::Line { line, reason })
        })
        .collect()
}

fn id_and_key(content: &str) -> Result<KnownSessionKey, &'static str> {
    let mut fields = content.split_whitespace();
    let (Some(id), Some(key), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err("expected two fields: SESSIONID KEY, or a Wireshark smb2_seskey_list line");
    };
    Ok(KnownSessionKey {
        session_id: session_id(id)?,
        session_key: Some(key_field(key)?),
        cipher_keys: None,
    })
}

fn wireshark_line(content: &str) -> Result<KnownSessionKey, &'static str> {
    let fields: Vec<&str> = content.trim().split(',').map(unquote).collect();
    let [id, session_key, s2c, c2s] = fields[..] else {
        return Err("a Wireshark smb2_seskey_list line has four fields: id,session,s2c,c2s");
    };
    let optional = |f: &str| (!f.is_empty()).then(|| key_field(f)).transpose();
    let cipher_keys = match (optional(c2s)?, optional(s2c)?) {
        (Some(c2s), Some(s2c)) => Some(CipherKeys { c2s, s2c }),
        (None, None) => None,
        _ => return Err("give both cipher keys (S2C and C2S) or neither"),
    };
    let session_key = optional(session_key)?;
    if session_key.is_none() && cipher_keys.is_none() {
        return Err("no key on this line");
    }
    Ok(KnownSessionKey {
        session_id: session_id(id)?,
        session_key,
        cipher_keys,
    })
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
}

/// A 16- or 32-byte key in hex.
fn key_field(hex: &str) -> Result<SecretBytes, &'static str> {
    decode_hex(hex)
        .filter(|k| k.len() == 16 || k.len() == 32)
        .map(SecretBytes::new)
        .ok_or("keys must be 32 or 64 hex digits")
}

fn session_id(s: &str) -> Result<u64, &'static str> {
    const BAD: &str = "session id must be 0x<hex> or 16 hex digits in wire order";
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 16 {
            return Err(BAD);
        }
        return u64::from_str_radix(hex, 16).map_err(|_| BAD);
    }
    let bytes: [u8; 8] = decode_hex(s).and_then(|b| b.try_into().ok()).ok_or(BAD)?;
    Ok(u64::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "270e1ba896585eeb7af3472d3b4c75a7";

    #[test]
    fn id_and_key_lines() {
        let text = format!("# id key\n0x0000100000000019 {KEY}\n1900000000100000 {KEY}{KEY}\n");
        let keys = parse_keys_file(&text).unwrap();
        assert_eq!(keys[0].session_id, 0x0000_1000_0000_0019);
        assert_eq!(keys[1].session_id, 0x0000_1000_0000_0019);
        assert_eq!(keys[0].session_key.as_ref().unwrap().len(), 16);
        assert_eq!(keys[1].session_key.as_ref().unwrap().len(), 32);
        assert!(matches!(
            parse_keys_file("0x19 abcd").unwrap_err(),
            CredentialError::Line { line: 1, .. }
        ));
        assert!(parse_keys_file(&format!("19000000 {KEY}")).is_err());
    }

    #[test]
    fn wireshark_lines() {
        let text = format!(
            "\"1900000000100000\",\"{KEY}\",\"\",\"\"\n\
             1900000000100000,,{KEY}{KEY},{KEY}{KEY}\n\
             session 0x0000100000000019 dialect 3.1.1 session_key {KEY}\n"
        );
        let keys = parse_keys_file(&text).unwrap();
        assert_eq!(keys.len(), 2, "the export record is skipped");
        assert!(keys[0].session_key.is_some() && keys[0].cipher_keys.is_none());
        assert!(keys[1].session_key.is_none());
        assert_eq!(keys[1].cipher_keys.as_ref().unwrap().c2s.len(), 32);
        for bad in [
            format!("1900000000100000,{KEY},{KEY}"),
            format!("1900000000100000,,{KEY},"),
            "1900000000100000,,,".to_string(),
            format!("19,{KEY},,"),
        ] {
            assert!(
                matches!(
                    parse_keys_file(&bad),
                    Err(CredentialError::Line { line: 1, .. })
                ),
                "{bad}"
            );
        }
    }
}

//! `--export-keys FILE`: the keys smbcheck derived, for people, scripts and Wireshark. The only
//! place where key material leaves the program. The file is created with mode 0600 on Unix
//! (an existing file is truncated and its mode set to 0600 before anything is written).
//!
//! # Format (version 1)
//!
//! UTF-8 text, one record per line. Lines starting with `#` are comments and blank lines are
//! empty; every other line is either a record or, inside the Wireshark block (below), a
//! Wireshark UAT line starting with `"`. A record is a keyword followed by `name value` pairs
//! separated by single spaces. Values contain no whitespace: in user names, whitespace, `%`
//! and control characters are written `%XX` (hex of the UTF-8 byte). Keys are lowercase hex,
//! in the byte order they enter the algorithms. Session ids are `0x` and 16 hex digits, the
//! number as Wireshark shows `smb2.sesid`. Pairs whose value is unknown or does not exist
//! in the dialect are left out; readers should ignore names they do not know.
//!
//! ```text
//! session 0x000000004ee6bce7 dialect 3.1.1 user WORKGROUP\alice signing AES-GMAC cipher AES-256-GCM session_key <hex> signing_key <hex> encryption_key_c2s <hex> decryption_key_s2c <hex> application_key <hex>
//! channel 0x000000004ee6bce7 connection #0 client 127.0.0.1:37980 first signing_key <hex>
//! channel 0x000000004ee6bce7 connection #1 client 127.0.0.1:37990 bound signing_key <hex>
//! smb1 connection #2 client 127.0.0.1:41000 uid 0x0801 user LAB\alice mac_key <hex>
//! ```
//!
//! - `session ID`: one SMB2/3 session. `dialect`, `user` (`DOMAIN\user`), `signing`
//!   (algorithm), `cipher` (SMB 3.x, the cipher negotiated on the session's first connection),
//!   `source` (`password`, `nt-hash`, `session-key`). `session_key`: the session key as
//!   recovered (16 bytes from NTLM). `signing_key`: the session's signing key (its first
//!   channel). `encryption_key_c2s`: the key sealing client-to-server messages (the client's
//!   EncryptionKey, the server's DecryptionKey); `decryption_key_s2c`: the key sealing
//!   server-to-client messages (the client's DecryptionKey, the server's EncryptionKey); both
//!   SMB 3.x only, 16 or 32 bytes (AES-256 ciphers). `application_key`: SMB 3.x
//!   ApplicationKey; for 2.0.2/2.1 the session key itself. A session without keys has
//!   `no_keys REASON` (`password-mismatch`, `anonymous%20session`, ...) and no key pairs.
//! - `channel ID`: one connection of that session, after its `session` line. `connection #N`
//!   is the connection number of the reports, `client` its client address, then `first` (the
//!   connection the session was established on) or `bound` (a multichannel binding, whose
//!   signing key comes from the binding's own authentication), then `signing_key`, the key
//!   that signs that connection's traffic (missing when unknown).
//! - `smb1 connection #N`: an SMB1 connection that signs (SMB1 signing is per connection).
//!   `client`, `uid` (the logon that started signing, 4 hex digits), `user`, `mac_key`
//!   (MS-CIFS: the session key, or for raw NTLM the MD4 of the NT hash followed by the NT
//!   response; 16, 40 or more bytes).
//!
//! # Wireshark block
//!
//! After the records, between the lines `# BEGIN wireshark smb2_seskey_list` and
//! `# END wireshark smb2_seskey_list`, one line per SMB2/3 session with a session key, in the
//! format of Wireshark's `smb2_seskey_list` UAT:
//!
//! ```text
//! e7bce64e00000000,<session key>,<server-to-client key>,<client-to-server key>
//! ```
//!
//! Four comma-separated hex-bytes fields, unquoted (Wireshark 4.0 reads a quoted field as
//! text and rejects it as a session id); an empty field is `""`, as Wireshark writes it (a
//! line ending in `,,` confuses its UAT reader when a comment line follows). The session id
//! is the 8 bytes of the header's SessionId in wire order (little-endian), as Wireshark
//! shows `smb2.sesid` bytes; the other fields are the session's `session_key`,
//! `decryption_key_s2c` and `encryption_key_c2s` (empty before SMB 3.0). The block, marker
//! lines included (they are comments, which UAT files allow), is a valid `smb2_seskey_list`
//! file for a Wireshark profile; each key line can be given to tshark as
//! `-o 'uat:smb2_seskey_list:LINE'`. The rest of the export file is not: Wireshark rejects
//! the record lines. Wireshark keeps one key set per session, so the signing keys of bound
//! channels cannot be given to it.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::engine::export::{ExportedKeys, Smb2SessionExport};
use crate::model::KeySource;
use crate::model::names::session_hex;

pub const WIRESHARK_BEGIN: &str = "# BEGIN wireshark smb2_seskey_list";
pub const WIRESHARK_END: &str = "# END wireshark smb2_seskey_list";

/// Creates (or truncates) `path` with mode 0600 and writes the keys to it.
pub fn write_file(path: &Path, keys: &ExportedKeys) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // An existing file keeps its mode through open(): narrow it before writing.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        write_to(file, keys)
    }
    #[cfg(not(unix))]
    {
        write_to(options.open(path)?, keys)
    }
}

fn write_to(mut file: std::fs::File, keys: &ExportedKeys) -> io::Result<()> {
    let text = render(keys);
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The whole file, in a buffer that is wiped when dropped.
pub fn render(keys: &ExportedKeys) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::new());
    let out = &mut *s;
    out.push_str(
        "# smbcheck exported keys, format 1 (see docs/export-keys.md)\n\
         # SECRET: these keys decrypt and can forge the traffic of these sessions.\n",
    );
    for session in &keys.smb2 {
        session_line(out, session);
        for ch in &session.channels {
            let _ = write!(
                out,
                "channel {} connection #{} client {} {}",
                session_hex(session.session_id),
                ch.conn,
                ch.client,
                if ch.bound { "bound" } else { "first" }
            );
            if let Some(k) = &ch.signing {
                pair_hex(out, "signing_key", k.as_ref());
            }
            out.push('\n');
        }
    }
    for c in &keys.smb1 {
        let _ = write!(out, "smb1 connection #{} client {}", c.conn, c.client);
        if let Some(uid) = c.uid {
            let _ = write!(out, " uid 0x{uid:04x}");
        }
        if let Some(user) = &c.user {
            let _ = write!(out, " user {}", escape(user));
        }
        pair_hex(out, "mac_key", c.mac_key.as_bytes());
        out.push('\n');
    }
    out.push_str(WIRESHARK_BEGIN);
    out.push('\n');
    out.push_str(
        "# This block is a Wireshark smb2_seskey_list file (copy it into your profile), and\n\
         # each key line works as tshark -o 'uat:smb2_seskey_list:LINE'. Fields: session id\n\
         # (SessionId bytes in wire order), session key, server-to-client key,\n\
         # client-to-server key.\n",
    );
    for line in wireshark_lines(keys).iter() {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(WIRESHARK_END);
    out.push('\n');
    s
}

fn session_line(out: &mut String, s: &Smb2SessionExport) {
    let _ = write!(out, "session {}", session_hex(s.session_id));
    if let Some(d) = &s.dialect {
        let _ = write!(out, " dialect {d}");
    }
    if let Some(u) = &s.user {
        let _ = write!(out, " user {}", escape(u));
    }
    if let Some(a) = s.signing_algorithm {
        let _ = write!(out, " signing {a}");
    }
    if let Some(c) = s.cipher {
        let _ = write!(out, " cipher {c}");
    }
    if s.key_source != KeySource::None {
        let _ = write!(out, " source {}", s.key_source.name());
    }
    if let Some(why) = &s.no_keys {
        let _ = write!(out, " no_keys {}", escape(why));
    }
    if let Some(k) = &s.session_key {
        pair_hex(out, "session_key", k.as_bytes());
    }
    if let Some(k) = &s.keys {
        pair_hex(out, "signing_key", k.signing.as_ref());
        if let Some(e) = &k.encryption_c2s {
            pair_hex(out, "encryption_key_c2s", e.as_bytes());
        }
        if let Some(d) = &k.decryption_s2c {
            pair_hex(out, "decryption_key_s2c", d.as_bytes());
        }
        pair_hex(out, "application_key", k.application.as_ref());
    }
    out.push('\n');
}

/// The `smb2_seskey_list` UAT lines, one per session with a session key.
pub fn wireshark_lines(keys: &ExportedKeys) -> Vec<Zeroizing<String>> {
    keys.smb2
        .iter()
        .filter_map(|s| {
            let session_key = s.session_key.as_ref()?;
            let (s2c, c2s) = match &s.keys {
                Some(k) => (k.decryption_s2c.as_ref(), k.encryption_c2s.as_ref()),
                None => (None, None),
            };
            let mut line = Zeroizing::new(String::new());
            push_hex(&mut line, &s.session_id.to_le_bytes());
            line.push(',');
            // Session.SessionKey is 16 bytes (MS-SMB2 3.2.5.3.1): a Kerberos AES-256 key is
            // longer, and Wireshark takes no key of another length; the 256-bit cipher keys
            // that need the whole key follow as S2C and C2S.
            let bytes = session_key.as_bytes();
            push_hex(&mut line, bytes.get(..16).unwrap_or(bytes));
            for key in [s2c, c2s] {
                line.push(',');
                match key {
                    Some(k) => push_hex(&mut line, k.as_bytes()),
                    None => line.push_str("\"\""),
                }
            }
            Some(line)
        })
        .collect()
}

fn pair_hex(out: &mut String, name: &str, bytes: &[u8]) {
    out.push(' ');
    out.push_str(name);
    out.push(' ');
    push_hex(out, bytes);
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

/// A value without whitespace: whitespace, `%`, `"` and control characters as `%XX`.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if ch.is_whitespace() || ch.is_control() || ch == '%' || ch == '"' {
            let mut buf = [0; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_blanks_and_percent() {
        assert_eq!(escape("LAB\\John Smith"), "LAB\\John%20Smith");
        assert_eq!(escape("a%b\tc"), "a%25b%09c");
        assert_eq!(escape("Zoë"), "Zoë");
    }

    #[test]
    fn hex_is_lowercase() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0xab, 0x7f]);
        assert_eq!(s, "00ab7f");
    }
}

//! The keys `--export-keys` writes: per SMB2/3 session its session key and derived keys, per
//! channel the key that signs that connection's traffic, per SMB1 connection its MAC key.
//! Only collected here (the records hold zeroizing types); `report::keys` writes them.

use std::net::SocketAddr;

use super::Engine;
use crate::auth::credentials::{Key16, SecretBytes};
use crate::crypto::keys::Cipher;
use crate::flow::ConnId;
use crate::model::{AuthKind, KeySource, PasswordCheck, Session};

/// Every key the engine derived, in session order.
#[derive(Debug, Default)]
pub struct ExportedKeys {
    pub smb2: Vec<Smb2SessionExport>,
    pub smb1: Vec<Smb1ConnExport>,
}

/// One SMB2/3 session.
#[derive(Debug)]
pub struct Smb2SessionExport {
    pub session_id: u64,
    /// `3.1.1`, `3.0.2`, ...
    pub dialect: Option<String>,
    /// `DOMAIN\user`, or `user`.
    pub user: Option<String>,
    pub signing_algorithm: Option<&'static str>,
    /// Cipher of the connection the session was established on (SMB 3.x).
    pub cipher: Option<Cipher>,
    pub key_source: KeySource,
    /// Why there are no keys, when there are none (`password-mismatch`, `anonymous session`).
    pub no_keys: Option<String>,
    /// The session key as recovered (16 bytes from NTLM; 32 possible from `--keys`).
    pub session_key: Option<SecretBytes>,
    pub keys: Option<DerivedKeys>,
    /// Every connection the session was seen established on, first channel first.
    pub channels: Vec<ChannelExport>,
}

/// The keys derived from a session's first authentication.
#[derive(Debug)]
pub struct DerivedKeys {
    pub signing: Key16,
    /// Seals client-to-server messages (client EncryptionKey, server DecryptionKey).
    pub encryption_c2s: Option<SecretBytes>,
    /// Seals server-to-client messages (client DecryptionKey, server EncryptionKey).
    pub decryption_s2c: Option<SecretBytes>,
    pub application: Key16,
}

/// One connection of a session and the key that signs its traffic.
#[derive(Debug)]
pub struct ChannelExport {
    pub conn: ConnId,
    pub client: SocketAddr,
    /// A connection bound later (MS-SMB2 Channel.SigningKey), not the session's first.
    pub bound: bool,
    /// `None` when no key is known for this channel.
    pub signing: Option<Key16>,
}

/// One SMB1 connection that signs (SMB1 keys are per connection, MS-CIFS 3.2.4.1.1).
#[derive(Debug)]
pub struct Smb1ConnExport {
    pub conn: ConnId,
    pub client: SocketAddr,
    /// UID of the logon that started signing (the first successful one with a key).
    pub uid: Option<u16>,
    pub user: Option<String>,
    pub mac_key: SecretBytes,
}

impl Engine {
    /// The keys known so far, for `--export-keys`. Call before [`Engine::finish`].
    pub fn exported_keys(&self) -> ExportedKeys {
        let mut out = ExportedKeys::default();
        let mut sessions: Vec<_> = self.smb2_sessions.values().collect();
        sessions.sort_by_key(|s| (s.info.first_frame, s.info.id));
        for s in sessions {
            let channels = s
                .info
                .channels
                .iter()
                .chain(
                    s.channel_keys
                        .keys()
                        .filter(|c| !s.info.channels.contains(c)),
                )
                .map(|&conn| ChannelExport {
                    conn,
                    client: self.client_of(conn),
                    bound: s.channel_keys.contains_key(&conn),
                    signing: s
                        .channel_choice(conn, self.conns.get(conn as usize).and_then(|c| c.signing))
                        .map(|c| c.key),
                })
                .collect();
            let cipher = s
                .info
                .channels
                .first()
                .and_then(|&c| self.conns.get(c as usize))
                .and_then(|c| c.cipher);
            let keys = s.keys.as_ref().map(|k| DerivedKeys {
                signing: k.signing.clone(),
                encryption_c2s: k.encryption_c2s.clone(),
                decryption_s2c: k.decryption_s2c.clone(),
                application: k.application.clone(),
            });
            out.smb2.push(Smb2SessionExport {
                session_id: s.info.id,
                dialect: s.info.dialect.clone(),
                user: account(&s.info),
                signing_algorithm: s.info.signing,
                cipher: s.dialect.filter(|d| d.is_smb3()).and(cipher),
                key_source: s.info.key_source,
                no_keys: keys.is_none().then(|| why_no_keys(&s.info)),
                session_key: s.session_key.clone(),
                keys,
                channels,
            });
        }
        for c in self.conns.iter().filter(|c| c.opened) {
            let Some(mac_key) = &c.smb1.mac_key else {
                continue;
            };
            // Signing starts with the first successful, non-guest logon that gave a key.
            let mut logons: Vec<_> = self
                .smb1_sessions
                .iter()
                .filter(|((conn, _), s)| {
                    *conn == c.info.id
                        && s.info.logon_status == Some(0)
                        && s.info.key_source != KeySource::None
                        && s.info.auth != Some(AuthKind::Guest)
                })
                .map(|((_, uid), s)| (s.info.first_frame, *uid, &s.info))
                .collect();
            logons.sort_by_key(|l| (l.0, l.1));
            let first = logons.first();
            out.smb1.push(Smb1ConnExport {
                conn: c.info.id,
                client: c.info.client,
                uid: first.map(|l| l.1),
                user: first.and_then(|l| account(l.2)),
                mac_key: mac_key.clone(),
            });
        }
        out
    }

    fn client_of(&self, conn: ConnId) -> SocketAddr {
        self.conns
            .get(conn as usize)
            .map(|c| c.info.client)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

fn account(s: &Session) -> Option<String> {
    match (&s.domain, &s.user) {
        (Some(d), Some(u)) if !d.is_empty() => Some(format!("{d}\\{u}")),
        (_, Some(u)) => Some(u.clone()),
        _ => None,
    }
}

fn why_no_keys(s: &Session) -> String {
    match &s.password_check {
        Some(PasswordCheck::Mismatch) => return "password-mismatch".into(),
        Some(PasswordCheck::MismatchGuest) => return "password-mismatch, guest logon".into(),
        Some(PasswordCheck::NotChecked(why)) => return why.clone(),
        Some(PasswordCheck::Match) | None => {}
    }
    match s.auth {
        Some(a @ (AuthKind::Anonymous | AuthKind::Guest)) => format!("{a} session"),
        _ if s.logon_status.is_some_and(|st| st != 0) => "logon failed".into(),
        _ => "no key".into(),
    }
}

//! How oplock levels, lease states, FileIds and lease keys are shown in the report.

use dissectors::smb2::{self, FileId};

/// An SMB2 oplock level (`OPLOCK_LEVEL_*`).
pub fn oplock_name(level: u8) -> &'static str {
    match level {
        smb2::OPLOCK_LEVEL_NONE => "none",
        smb2::OPLOCK_LEVEL_II => "II",
        smb2::OPLOCK_LEVEL_EXCLUSIVE => "exclusive",
        smb2::OPLOCK_LEVEL_BATCH => "batch",
        smb2::OPLOCK_LEVEL_LEASE => "lease",
        _ => "unknown",
    }
}

/// An SMB1 oplock level (`OPLOCK_*`).
pub fn smb1_oplock_name(level: u8) -> &'static str {
    use dissectors::smb1::{OPLOCK_BATCH, OPLOCK_EXCLUSIVE, OPLOCK_LEVEL_II, OPLOCK_NONE};
    match level {
        OPLOCK_NONE => "none",
        OPLOCK_EXCLUSIVE => "exclusive",
        OPLOCK_BATCH => "batch",
        OPLOCK_LEVEL_II => "II",
        _ => "unknown",
    }
}

/// Lease state as letters: `RWH`, `RH`, `R`, or `none`.
pub fn lease_state_name(state: u32) -> String {
    let mut s = String::new();
    if state & smb2::LEASE_READ_CACHING != 0 {
        s.push('R');
    }
    if state & smb2::LEASE_WRITE_CACHING != 0 {
        s.push('W');
    }
    if state & smb2::LEASE_HANDLE_CACHING != 0 {
        s.push('H');
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

/// An SMB2 FileId as `persistent:volatile`.
pub fn file_id_text(f: FileId) -> String {
    format!("{:016x}:{:016x}", f.persistent, f.volatile)
}

/// An SMB1 FID.
pub fn fid_text(fid: u16) -> String {
    format!("0x{fid:04x}")
}

/// A lease key the way Wireshark shows it (a GUID).
pub fn guid_text(b: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_states() {
        assert_eq!(lease_state_name(7), "RWH");
        assert_eq!(lease_state_name(3), "RH");
        assert_eq!(lease_state_name(0), "none");
    }
}

//! Text made to fit a narrow column without cutting a number: words are dropped from the
//! end (an ellipsis says so), and long command names have short forms.

/// `text` in at most `width` columns: whole if it fits, else cut after the last whole word
/// that fits, with `…` (a word is never cut in two, so neither is a number in it; a single
/// word too long for the width is cut only when it has no digit, else left out).
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let with = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if with + 1 > width {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        let first = text.split(' ').next().unwrap_or("");
        if first.chars().any(|c| c.is_ascii_digit()) {
            return "…".to_string();
        }
        out = first.chars().take(width - 1).collect();
    }
    out.push('…');
    out
}

/// The longest short command name.
pub(crate) const SHORT_COMMAND: usize = 10;

/// Short forms of the command names longer than `SHORT_COMMAND` (SMB2 and SMB1).
const SHORT_COMMANDS: &[(&str, &str)] = &[
    ("SESSION_SETUP", "SESS_SETUP"),
    ("SESSION_SETUP_ANDX", "SESS_SETUP"),
    ("TREE_CONNECT", "TREE_CONN"),
    ("TREE_CONNECT_ANDX", "TREE_CONN"),
    ("TREE_DISCONNECT", "TREE_DISC"),
    ("QUERY_DIRECTORY", "QUERY_DIR"),
    ("CHANGE_NOTIFY", "CHG_NOTIFY"),
    ("OPLOCK_BREAK", "OPLK_BREAK"),
    ("SERVER_TO_CLIENT_NOTIFICATION", "S2C_NOTIFY"),
    ("CREATE_DIRECTORY", "MKDIR"),
    ("DELETE_DIRECTORY", "RMDIR"),
    ("QUERY_INFORMATION", "QUERY_INFO"),
    ("QUERY_INFORMATION_DISK", "QUERY_DISK"),
    ("SET_INFORMATION", "SET_INFO"),
    ("LOCK_BYTE_RANGE", "LOCK_RANGE"),
    ("UNLOCK_BYTE_RANGE", "UNLOCK"),
    ("CHECK_DIRECTORY", "CHECK_DIR"),
    ("LOCKING_ANDX", "LOCKING"),
    ("LOGOFF_ANDX", "LOGOFF"),
    ("TRANSACTION", "TRANS"),
    ("TRANSACTION_SECONDARY", "TRANS_2ND"),
    ("TRANSACTION2", "TRANS2"),
    ("TRANSACTION2_SECONDARY", "TRANS2_2ND"),
    ("FIND_CLOSE2", "FINDCLOSE2"),
    ("NT_TRANSACT", "NT_TRANS"),
    ("NT_TRANSACT_SECONDARY", "NTTRANS2ND"),
    ("NT_CREATE_ANDX", "NT_CREATE"),
    ("OPEN_PRINT_FILE", "OPEN_PRINT"),
];

/// The command name in at most `SHORT_COMMAND` columns: its short form when it has one.
pub(crate) fn short_command(name: &str) -> String {
    SHORT_COMMANDS
        .iter()
        .find(|(long, _)| *long == name)
        .map_or_else(|| fit(name, SHORT_COMMAND), |(_, short)| short.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_whole_words() {
        assert_eq!(
            fit("lease break → f164 0.1ms", 100),
            "lease break → f164 0.1ms"
        );
        assert_eq!(fit("lease break → f164 0.1ms", 20), "lease break → f164…");
        assert_eq!(fit("lease break → f164 0.1ms", 17), "lease break →…");
        assert_eq!(fit("f164", 3), "…");
        assert_eq!(fit("MORE_PROCESSING_REQUIRED", 12), "MORE_PROCES…");
    }

    #[test]
    fn short_commands_fit() {
        for (_, short) in SHORT_COMMANDS {
            assert!(short.len() <= SHORT_COMMAND, "{short}");
        }
        assert_eq!(short_command("SESSION_SETUP"), "SESS_SETUP");
        assert_eq!(short_command("CREATE"), "CREATE");
    }
}

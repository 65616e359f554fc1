//! Secrets given on the command line or typed at a prompt: kept in zeroizing strings whose
//! `Debug` shows nothing, so a debug print of the parsed arguments cannot leak them.

use std::fmt;

use zeroize::Zeroizing;

/// A password or NT hash from the command line.
#[derive(Clone)]
pub struct SecretArg(Zeroizing<String>);

impl SecretArg {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
}

/// clap value parser: takes the argument as it is.
pub fn parse(value: &str) -> Result<SecretArg, std::convert::Infallible> {
    Ok(SecretArg(Zeroizing::new(value.to_owned())))
}

/// Reads a password from the controlling terminal (/dev/tty) without echo.
pub fn prompt_password() -> anyhow::Result<Zeroizing<String>> {
    rpassword::prompt_password("Password: ")
        .map(Zeroizing::new)
        .map_err(|e| anyhow::anyhow!("cannot read the password from the terminal: {e}"))
}

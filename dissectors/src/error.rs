//! Crate-level error type.

use core::fmt;

/// Why a dissector refused its input.
///
/// Header parsers return nom's [`nom::IResult`]; whole-message parsers (bodies whose
/// buffers are addressed by offsets from the start of the header) return
/// `Result<_, Error>`. `From<nom::Err<..>>` converts the former into the latter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The input ended before the structure (or a buffer it points to) did.
    Truncated,
    /// A field holds a value the structure does not allow.
    Invalid(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated"),
            Error::Invalid(why) => write!(f, "invalid: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl<I> From<nom::Err<nom::error::Error<I>>> for Error {
    fn from(e: nom::Err<nom::error::Error<I>>) -> Self {
        match e {
            nom::Err::Incomplete(_) => Error::Truncated,
            nom::Err::Error(e) | nom::Err::Failure(e) => match e.code {
                nom::error::ErrorKind::Eof | nom::error::ErrorKind::Complete => Error::Truncated,
                // A fixed value (protocol identifier, magic) is not there.
                nom::error::ErrorKind::Tag => Error::Invalid("a fixed identifier is wrong"),
                nom::error::ErrorKind::Verify => Error::Invalid("field check failed"),
                _ => Error::Invalid("malformed"),
            },
        }
    }
}

/// Result of the whole-message parsers.
pub type Result<T> = core::result::Result<T, Error>;

//! Pattern_V1 payloads (MS-SMB2 2.2.42.2.2): one byte repeated.

use super::{DecompressError, Output};

/// Appends Repetitions copies of Pattern; the payload is exactly 8 bytes.
pub(crate) fn expand(payload: &[u8], mut out: Output) -> Result<(), DecompressError> {
    let [pattern, _reserved1, _, _, r0, r1, r2, r3] = payload else {
        return Err(DecompressError::Invalid(
            "Pattern_V1 payload is not 8 bytes",
        ));
    };
    let repetitions = u32::from_le_bytes([*r0, *r1, *r2, *r3]) as usize;
    let room = out.room();
    if repetitions > room {
        return Err(DecompressError::Overrun { expected: room });
    }
    for _ in 0..repetitions {
        out.literal(*pattern)?;
    }
    Ok(())
}

//! Conversion of on-disk timestamps to nanoseconds since the epoch.

use super::Timestamp;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Classic pcap: seconds plus a fraction in micro- or nanoseconds.
pub(crate) fn from_pcap(secs: u32, frac: u32, nanos: bool) -> Timestamp {
    let frac_ns = if nanos {
        i64::from(frac)
    } else {
        i64::from(frac) * 1000
    };
    Timestamp(i64::from(secs) * 1_000_000_000 + frac_ns)
}

/// pcapng: a 64-bit count of units of `if_tsresol` (bit 7 set: 2^-n s, else 10^-n s),
/// plus `if_tsoffset` seconds. Absurd resolutions give 0 rather than overflow.
pub(crate) fn from_pcapng(high: u32, low: u32, tsresol: u8, offset_secs: i64) -> Timestamp {
    let units = (i128::from(high) << 32) | i128::from(low);
    let exponent = u32::from(tsresol & 0x7f);
    let units_per_sec = if tsresol & 0x80 != 0 {
        1i128.checked_shl(exponent)
    } else {
        10i128.checked_pow(exponent)
    };
    let nanos = match units_per_sec {
        Some(per_sec) if per_sec > 0 => units * NANOS_PER_SEC / per_sec,
        _ => 0,
    };
    let total = nanos + i128::from(offset_secs) * NANOS_PER_SEC;
    Timestamp(i64::try_from(total).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_resolutions() {
        // default resolution 10^-6
        assert_eq!(from_pcapng(0, 1_500_000, 6, 0), Timestamp(1_500_000_000));
        assert_eq!(from_pcapng(0, 7, 9, 1), Timestamp(1_000_000_007));
        // 2^-10 s units
        assert_eq!(from_pcapng(0, 1024, 0x8a, 0), Timestamp(1_000_000_000));
        assert_eq!(from_pcapng(1, 0, 127, 0), Timestamp(0));
    }
}

//! Where a borrowed slice lies inside another: how a frame's bytes, a PDU's tail and a
//! queued message are kept as offsets of the buffer or mapping they were cut from.

use std::ops::Range;

/// Where `inner` lies in `outer`, if it lies there.
pub fn range_in(outer: &[u8], inner: &[u8]) -> Option<Range<usize>> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start + inner.len();
    (end <= outer.len()).then_some(start..end)
}

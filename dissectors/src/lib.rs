//! Zero-copy nom dissectors (being written).

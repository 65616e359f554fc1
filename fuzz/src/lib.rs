//! Fuzz targets of smbcheck (see README.md, "Fuzzing"): what each target does is in
//! `walk`, shared with the regression tests of the main crate.

pub mod walk;

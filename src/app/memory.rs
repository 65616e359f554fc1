//! Allocator settings for the buffers of multi-megabyte messages.
//!
//! glibc's malloc maps every block above its mmap threshold (128 KiB to start with) straight
//! from the kernel and unmaps it when freed, and gives the top of its heap back above its
//! trim threshold. A capture of 4 to 8 MiB READs and WRITEs then gets fresh pages for every
//! message: on a 200 MB AES-GMAC capture 27,000 page faults and a quarter of the CPU time
//! (perf stat, issue 9). With both thresholds above the largest message (an NBSS message is
//! at most 16 MiB) freed buffers are reused instead. Memory stays bounded by what is in use
//! at once, which the verify pool's budget bounds.

/// Above the longest NBSS message (24-bit length).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 64 << 20;

/// Applies the settings above where the allocator is glibc's; elsewhere does nothing.
#[allow(unsafe_code)]
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before any thread
    // of ours starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

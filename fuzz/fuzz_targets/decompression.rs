#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smbcheck_fuzz::walk::decompression(data);
});

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = smbcheck_fuzz::walk::pcap(data);
});

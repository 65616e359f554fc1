#![no_main]

// The report format follows the input length, so all three writers run.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let format = ["text", "json", "jsonl"][data.len() % 3];
    if let Ok((status, _)) = smbcheck_fuzz::walk::pipeline(data, format) {
        assert!(status == 0 || status == 1, "exit status {status}");
    }
});

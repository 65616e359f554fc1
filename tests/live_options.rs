//! The live capture options in every build: without the feature "live" they say how to get
//! it; in any build they need an interface and exclude capture files.

#[path = "support/cli.rs"]
mod cli;

/// A default build asked for live capture says how to get it (with the feature the options
/// work: `live.rs`).
#[cfg(not(feature = "live"))]
#[test]
fn interface_without_the_feature_says_how_to_build() {
    for args in [&["-i", "lo"][..], &["-D"][..]] {
        let run = cli::run(args);
        let line = run.one_line_error();
        assert!(
            line.contains("--features live") && line.contains("libpcap-dev"),
            "{run}"
        );
    }
}

#[test]
fn capture_options_need_an_interface_and_exclude_files() {
    let sample = cli::sample("smb311.pcap");
    for args in [
        vec!["-f", "tcp port 445", sample.to_str().unwrap()],
        vec!["-c", "5", sample.to_str().unwrap()],
        vec!["-i", "lo", sample.to_str().unwrap()],
        vec![],
    ] {
        let run = cli::run(&args);
        assert_eq!(run.code, 2, "{run}");
    }
}

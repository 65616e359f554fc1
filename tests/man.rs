//! man/smbcheck.1 is generated from the clap definition (`smbcheck::app::cli::Args`) with
//! clap_mangen; this test fails when the committed page is out of date, and rewrites it when
//! run as `UPDATE_MAN=1 cargo test --test man`.

use std::path::PathBuf;

use clap::CommandFactory;

fn render() -> String {
    let mut page = Vec::new();
    clap_mangen::Man::new(smbcheck::app::cli::Args::command())
        .render(&mut page)
        .expect("render the man page");
    String::from_utf8(page).expect("the man page is UTF-8")
}

#[test]
fn man_page_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man/smbcheck.1");
    let page = render();
    if std::env::var("UPDATE_MAN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &page).expect("write man/smbcheck.1");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != page {
        let first = committed
            .lines()
            .zip(page.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(page.lines().count()));
        panic!(
            "man/smbcheck.1 is out of date with the command line in src/cli.rs (first \
             difference at line {}); run `UPDATE_MAN=1 cargo test --test man` to regenerate it \
             and commit the result",
            first + 1
        );
    }
}

#[test]
fn man_page_names_the_contract() {
    let page = render();
    for needle in [
        "smbcheck",
        "password\\-file",
        "nt\\-hash",
        "credentials",
        "format",
        "Exit status",
    ] {
        assert!(page.contains(needle), "the man page lacks {needle:?}");
    }
}

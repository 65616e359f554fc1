//! man/smbcheck.1 is generated from the clap definition (`smbcheck::app::cli::Args`) with
//! clap_mangen; this test fails when the committed page is out of date, and rewrites it when
//! run as `UPDATE_MAN=1 cargo test --test man`.

use std::path::PathBuf;

use clap::CommandFactory;

fn render() -> String {
    let man = clap_mangen::Man::new(smbcheck::app::cli::Args::command());
    let mut page = Vec::new();
    man.render_title(&mut page).expect("title");
    man.render_name_section(&mut page).expect("name");
    man.render_synopsis_section(&mut page).expect("synopsis");
    man.render_description_section(&mut page)
        .expect("description");
    man.render_options_section(&mut page).expect("options");
    // The long help's closing text (limits, secrets): notes, not "EXTRA".
    let mut notes = Vec::new();
    man.render_extra_section(&mut notes).expect("notes");
    let notes = String::from_utf8(notes).expect("UTF-8");
    page.extend_from_slice(notes.replacen(".SH EXTRA", ".SH NOTES", 1).as_bytes());
    // Written by hand: exit status, environment, files, examples, see also.
    let written = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man/sections.roff");
    page.extend(std::fs::read(written).expect("man/sections.roff"));
    man.render_version_section(&mut page).expect("version");
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

/// `man -l` renders the page with its sections (man-db, installed by .ci/run).
#[test]
fn man_renders_with_its_sections() {
    let Ok(out) = std::process::Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man/smbcheck.1"))
        .env("MANWIDTH", "100")
        .output()
    else {
        assert!(
            std::env::var("SMBCHECK_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "man is not installed and SMBCHECK_REQUIRE_TOOLS=1"
        );
        eprintln!("skipped: man_renders_with_its_sections: man is not installed");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(
            text.lines().any(|l| l.trim_end() == section),
            "no {section} heading in:\n{text}"
        );
    }
    assert!(!text.contains("EXTRA"), "{text}");
}

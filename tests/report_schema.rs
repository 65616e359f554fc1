//! docs/report.schema.json against what smbcheck writes: the `--format json` document and
//! every `--format jsonl` line of every sample and every smbtorture capture (with the
//! samples' password and keytab, so that sessions, keys, bindings, breaks and verdicts
//! appear), the lines a live capture tells (`event` session, binding, break, problem; made
//! in process through the pipeline `smbcheck -i` uses), and runs over several files and
//! standard input. Then the schema must reject each of those reports with any one field
//! renamed, and with mistyped words of its closed vocabularies; its vocabularies are the
//! model's.
//!
//! Validated with the `jsonschema` crate (a dev-dependency without its network resolvers),
//! so `cargo test` needs nothing else.

#[path = "support/cli.rs"]
mod cli;
mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde_json::{Value, json};
use smbcheck::app::cli::Args;
use smbcheck::app::pipeline::Pipeline;
use smbcheck::engine::news::Seen;
use smbcheck::model::{BreakOutcome, ProblemKind, SecurityKind};
use smbcheck::report;

fn schema() -> Value {
    let path = cli::root().join("docs/report.schema.json");
    let text = std::fs::read_to_string(&path).expect("docs/report.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// A validator for one of the schema's definitions (`document`, `line`), or for the whole
/// schema (either) with `None`.
fn validator(part: Option<&str>) -> jsonschema::Validator {
    let mut schema = schema();
    if let (Some(part), Some(root)) = (part, schema.as_object_mut()) {
        root.remove("oneOf");
        root.insert("$ref".into(), json!(format!("#/$defs/{part}")));
    }
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Every way `instance` breaks the schema: `path: message`.
fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The credentials every sample was made with (samples/README.md).
fn secrets() -> Vec<OsString> {
    vec![
        "--password".into(),
        cli::PASSWORD.into(),
        "--keytab".into(),
        cli::sample("krb.keytab").into(),
    ]
}

fn report(format: &str, captures: &[&Path]) -> cli::Run {
    let mut args: Vec<OsString> = vec!["--format".into(), format.into()];
    args.extend(secrets());
    args.extend(captures.iter().map(|c| c.as_os_str().to_owned()));
    let run = cli::run(&args);
    assert!(run.code == 0 || run.code == 1, "{run}");
    run
}

/// The samples and the smbtorture captures.
fn captures() -> Vec<PathBuf> {
    let mut all = cli::samples();
    let torture = cli::root().join("tests/data/torture");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&torture)
        .expect("tests/data/torture")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    more.sort();
    all.extend(more);
    all
}

/// Checks one run's JSONL: every line fits, names `capture` as one of `given` (the file of
/// its frame for a message), and the summary comes last, once.
fn check_lines(run: &cli::Run, given: &[&Path], line: &jsonschema::Validator) -> Vec<String> {
    assert!(run.code == 0 || run.code == 1, "{run}");
    let names: Vec<String> = given.iter().map(|p| p.display().to_string()).collect();
    let what = format!("{} (jsonl)", names.join(" "));
    let mut failures = Vec::new();
    let lines: Vec<&str> = run.stdout.lines().collect();
    for (n, text) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(text).expect("a JSON line");
        for e in errors(line, &v) {
            failures.push(format!("{what} line {}: {e}", n + 1));
        }
        let last = n + 1 == lines.len();
        let capture = v["capture"].as_str();
        match v["event"].as_str() {
            Some("summary") if last => {
                let one = (names.len() == 1).then(|| names[0].as_str());
                if capture != one || v["captures"] != json!(names) {
                    failures.push(format!(
                        "{what}: summary names {capture:?}, {}",
                        v["captures"]
                    ));
                }
            }
            Some("message") if !last && capture.is_some_and(|c| names.iter().any(|n| n == c)) => {}
            _ => failures.push(format!("{what} line {}: {text}", n + 1)),
        }
    }
    failures
}

#[test]
fn every_report_of_every_capture_fits_the_schema() {
    let (document, line) = (validator(Some("document")), validator(Some("line")));
    let either = validator(None);
    let captures = captures();
    assert!(captures.len() >= 60, "{captures:?}");
    let mut failures = Vec::new();
    let (mut lines, mut documents) = (0, 0);
    for capture in &captures {
        let run = report("json", &[capture]);
        let v = run.json();
        documents += 1;
        let what = format!("{} (json)", capture.display());
        for e in errors(&document, &v) {
            failures.push(format!("{what}: {e}"));
        }
        if v["captures"] != json!([capture.display().to_string()]) {
            failures.push(format!("{what}: captures {}", v["captures"]));
        }
        if !either.is_valid(&v) {
            failures.push(format!("{what}: the whole schema does not take it"));
        }
        let run = report("jsonl", &[capture]);
        lines += run.stdout.lines().count();
        failures.extend(check_lines(&run, &[capture], &line));
    }
    // Several files in one run: each message names the file of its frame.
    let two = [cli::sample("smb210.pcap"), cli::sample("smb300.pcap")];
    let two: Vec<&Path> = two.iter().map(PathBuf::as_path).collect();
    let run = report("jsonl", &two);
    failures.extend(check_lines(&run, &two, &line));
    for (i, name) in two.iter().enumerate() {
        let alone = report("jsonl", &[name]).stdout.lines().count() - 1;
        let named = run
            .stdout
            .lines()
            .filter(|l| l.contains(&format!("\"capture\":\"{}\"", name.display())))
            .count();
        assert_eq!(named, alone, "file {i}: its messages, each named once");
    }
    // Standard input is `-`.
    let mut args: Vec<OsString> = vec!["--format".into(), "jsonl".into()];
    args.extend(secrets());
    args.push("-".into());
    let out = std::process::Command::new(cli::bin())
        .args(&args)
        .stdin(std::fs::File::open(cli::sample("smb311.pcap")).expect("sample"))
        .output()
        .expect("run smbcheck");
    let stdin_run = cli::Run {
        args: vec!["... -".into()],
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Default::default(),
    };
    assert_eq!(stdin_run.code, 0, "{stdin_run}");
    failures.extend(check_lines(&stdin_run, &[Path::new("-")], &line));

    println!("{documents} documents and {lines} JSONL lines checked");
    assert!(
        failures.is_empty(),
        "{} failures, the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

#[test]
fn the_lines_of_a_live_capture_fit_the_schema() {
    let line = validator(Some("line"));
    let mut failures = Vec::new();
    let mut told = std::collections::BTreeMap::<String, usize>::new();
    for capture in captures() {
        let records = support::read_records(std::slice::from_ref(&capture));
        let mut argv: Vec<OsString> = vec!["smbcheck".into()];
        argv.extend(secrets());
        argv.push("x.pcap".into());
        let args = Args::try_parse_from(argv).expect("arguments");
        let mut pipeline = Pipeline::new(&args).expect("pipeline");
        let mut sink = |_: &_, _: Option<&_>, _: &[u8]| {};
        let mut seen = Seen::default();
        for r in &records {
            pipeline.frame(r.number, r.ts, r.linktype, &r.data, None, &mut sink);
            pipeline.engine().news(&mut seen, |news| {
                let v = report::news::json(&news);
                *told.entry(v["event"].to_string()).or_default() += 1;
                for e in errors(&line, &v) {
                    failures.push(format!("{}: {e}: {v}", capture.display()));
                }
            });
        }
    }
    println!("live lines checked: {told:?}");
    assert_eq!(told.len(), 4, "every kind of news: {told:?}");
    assert!(
        failures.is_empty(),
        "{} failures, the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

/// Every object of `v`, with where it is (the first element of each array only).
fn objects<'v>(v: &'v Value, at: String, out: &mut Vec<(String, &'v Value)>) {
    match v {
        Value::Object(map) => {
            out.push((at.clone(), v));
            for (k, x) in map {
                objects(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                objects(first, format!("{at}/0"), out);
            }
        }
        _ => {}
    }
}

/// `v` with the key `key` of the object at `at` renamed to `key_x`.
fn renamed(v: &Value, at: &str, key: &str) -> Value {
    let mut changed = v.clone();
    let object = changed
        .pointer_mut(at)
        .and_then(Value::as_object_mut)
        .expect("the object is there");
    let value = object.remove(key).expect("the key is there");
    object.insert(format!("{key}_x"), value);
    changed
}

/// Renames each field of each object of `v` in turn: every variant must be rejected.
fn every_rename_is_rejected(what: &str, v: &Value, validator: &jsonschema::Validator) -> usize {
    assert!(
        errors(validator, v).is_empty(),
        "{what}: {:?}",
        errors(validator, v)
    );
    let mut found = Vec::new();
    objects(v, String::new(), &mut found);
    let mut tried = 0;
    for (at, object) in found {
        for key in object.as_object().unwrap().keys() {
            tried += 1;
            let changed = renamed(v, &at, key);
            assert!(
                !validator.is_valid(&changed),
                "{what}: {at}/{key} renamed to {key}_x is taken"
            );
        }
    }
    tried
}

#[test]
fn a_renamed_field_or_a_mistyped_word_is_rejected() {
    let (document, line) = (validator(Some("document")), validator(Some("line")));
    let mut tried = 0;
    // Together these reports hold every kind of record: bindings and channels, lease and
    // oplock breaks (with causes, resends, late acknowledgments), invalid signatures,
    // Security findings, a logon's MICs, encrypted and SMB1 messages.
    for name in [
        "smb2-session-bind1.pcap",
        "smb2-lease-break.pcap",
        "smb2-mc-oplocks-test2-breakretry.pcap",
        "smb1-raw-ntlmv1.pcap",
        "smb311-enc-aes128gcm.pcap",
    ] {
        let capture = cli::sample(name);
        let run = report("json", &[&capture]);
        tried += every_rename_is_rejected(name, &run.json(), &document);
        let run = report("jsonl", &[&capture]);
        let lines: Vec<Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // The first line of each shape: by its set of fields.
        let mut shapes = std::collections::BTreeSet::new();
        for v in &lines {
            let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            if shapes.insert(keys) {
                tried += every_rename_is_rejected(name, v, &line);
            }
        }
    }
    println!("{tried} renamed fields rejected");

    // Mistyped words: each change of a real report is rejected.
    let run = report("jsonl", &[&cli::sample("smb2-session-bind1.pcap")]);
    let message: Value = serde_json::from_str(run.stdout.lines().nth(5).unwrap()).unwrap();
    assert!(line.is_valid(&message), "{message}");
    let run = report("json", &[&cli::sample("smb1-raw-ntlmv1.pcap")]);
    let doc = run.json();
    assert!(document.is_valid(&doc));
    let changes: [(&Value, &str, Value); 12] = [
        (&message, "/verdict", json!("Valid")),
        (&message, "/verdict", json!("unverified")),
        (&message, "/key", json!("signing")),
        (&message, "/direction", json!("to_server")),
        (&message, "/algorithm", json!("AES-GMAC-128")),
        (&message, "/session_id", json!("0x1")),
        (&message, "/report_version", json!(2)),
        (&message, "/event", json!("messages")),
        (&doc, "/problems/0/kind", json!("invalid_signature")),
        (&doc, "/security/0/kind", json!("smb-1")),
        (&doc, "/sessions/0/dialect", json!("3.1.2")),
        (&doc, "/summary/unverified_reasons", json!({"no key": 1})),
    ];
    for (v, at, wrong) in changes {
        let mut changed = v.clone();
        *changed.pointer_mut(at).expect("the field is there") = wrong.clone();
        let validator = if v.get("event").is_some() {
            &line
        } else {
            &document
        };
        assert!(
            !validator.is_valid(&changed),
            "{at} = {wrong} is taken by the schema"
        );
    }
}

#[test]
fn the_schema_speaks_the_models_words() {
    let schema = schema();
    let words = |def: &str| -> Vec<String> {
        let list = schema["$defs"][def]["enum"].as_array();
        let list = list.unwrap_or_else(|| panic!("$defs/{def} has an enum"));
        list.iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    };
    let mut kinds: Vec<String> = ProblemKind::ALL.iter().map(|k| k.name().into()).collect();
    let mut listed = words("problem_kind");
    kinds.sort();
    listed.sort();
    assert_eq!(listed, kinds, "problem kinds");
    let security: Vec<&str> = SecurityKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(words("security_kind"), security, "security kinds");
    let outcomes: Vec<&str> = BreakOutcome::ALL.iter().map(|o| o.name()).collect();
    assert_eq!(words("break_outcome"), outcomes, "break outcomes");
    assert_eq!(
        schema["$defs"]["report_version"]["const"],
        json!(report::REPORT_VERSION)
    );
    assert_eq!(
        schema["$id"],
        json!(format!("urn:smbcheck:report:{}", report::REPORT_VERSION))
    );
}

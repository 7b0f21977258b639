//! The binary end to end: `zongjie run` on the fixtures, bad inputs with
//! their reasons, deterministic output, exit codes.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zongjie"))
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

fn run_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn every_bad_fixture_is_rejected_with_its_reason_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--out"])
        .arg(&out)
        .arg(fixtures().join("bad"))
        .arg(fixtures().join("txt/seed-utf8.txt"))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let run = run_json(&out);
    let rejected = run["rejected"].as_array().unwrap();
    let code_of = |name: &str| {
        rejected
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .unwrap_or_else(|| panic!("{name} not in run.json rejected: {rejected:#?}"))
    };
    let cases = [
        ("truncated.docx", "corrupt_zip", "truncated or corrupt zip"),
        ("legacy.doc", "legacy_doc", "legacy binary Word 97-2003"),
        ("random.docx", "unknown_binary", "neither a zip package"),
        ("empty.docx", "empty", "empty file"),
        ("bomb.docx", "zip_bomb", "compression ratio"),
        ("deep.docx", "xml_too_deep", "nesting deeper than"),
        ("notdocx.docx", "not_docx", "without a Word main document"),
        ("encrypted.docx", "encrypted", "encrypted"),
    ];
    for (name, code, words) in cases {
        let (got_code, reason) = code_of(name);
        assert_eq!(got_code, code, "{name}: {reason}");
        assert!(reason.contains(words), "{name}: {reason:?} lacks {words:?}");
    }
    assert_eq!(run["files_rejected"], cases.len());
    assert_eq!(
        run["documents"], 6,
        "the seed still yields its six documents"
    );
    let stderr = String::from_utf8_lossy(&st.stderr);
    assert!(
        stderr.contains("9 files: 1 read, 8 rejected"),
        "summary line: {stderr}"
    );
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "4"] {
        let out = tmp.path().join(format!("out{jobs}"));
        let st = bin()
            .args(["run", "-q", "--no-db", "--jobs", jobs, "--out"])
            .arg(&out)
            .arg(fixtures())
            .status()
            .unwrap();
        assert!(st.success());
        let docs = std::fs::read(out.join("records/documents.jsonl")).unwrap();
        let facts = std::fs::read(out.join("records/facts.jsonl")).unwrap();
        outputs.push((docs, facts));
    }
    assert!(!outputs[0].0.is_empty());
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn seed_in_three_encodings_gives_the_same_six_texts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--out"])
        .arg(&out)
        .arg(fixtures().join("txt"))
        .status()
        .unwrap();
    assert!(st.success());
    let docs: Vec<serde_json::Value> = std::fs::read_to_string(out.join("records/documents.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_file = |suffix: &str| -> Vec<String> {
        docs.iter()
            .filter(|d| d["source"]["path"].as_str().unwrap().ends_with(suffix))
            .map(|d| d["text"].as_str().unwrap().to_string())
            .collect()
    };
    let utf8 = by_file("seed-utf8.txt");
    assert_eq!(utf8.len(), 6);
    assert_eq!(by_file("seed-gb18030.txt"), utf8);
    assert_eq!(by_file("seed-utf16le-bom.txt"), utf8);
    let encodings: Vec<&str> = docs
        .iter()
        .map(|d| d["source"]["encoding"].as_str().unwrap())
        .collect();
    assert!(
        encodings.contains(&"gb18030")
            && encodings.contains(&"UTF-16LE")
            && encodings.contains(&"UTF-8")
    );
}

#[test]
fn forced_encoding_and_undecodable_text() {
    let tmp = tempfile::tempdir().unwrap();
    let gbk = tmp.path().join("gbk.txt");
    std::fs::copy(fixtures().join("txt/seed-gb18030.txt"), &gbk).unwrap();
    let out = tmp.path().join("out");
    // Forcing UTF-8 on GB18030 bytes rejects the file with the offset, never replaces.
    let st = bin()
        .args(["run", "-q", "--no-db", "--encoding", "utf-8", "--out"])
        .arg(&out)
        .arg(&gbk)
        .status()
        .unwrap();
    assert!(st.success());
    let run = run_json(&out);
    assert_eq!(run["rejected"][0]["code"], "undecodable");
    assert!(run["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not valid UTF-8"));
    let st = bin()
        .args(["run", "-q", "--no-db", "--encoding", "gbk", "--out"])
        .arg(&out)
        .arg(&gbk)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(run_json(&out)["documents"], 6);
    // An unknown label is a usage error.
    let st = bin()
        .args(["run", "-q", "--no-db", "--encoding", "klingon", "--out"])
        .arg(&out)
        .arg(&gbk)
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("unknown encoding label"));
}

#[test]
fn no_inputs_is_an_error_and_missing_paths_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--out"])
        .arg(&out)
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("no input files found"));
    let run = run_json(&out);
    assert_eq!(run["skipped"][0]["code"], "unreadable");
    // No arguments at all: clap's usage error.
    assert!(!bin().arg("run").output().unwrap().status.success());
}

#[test]
fn help_explains_the_commands() {
    let o = bin().arg("--help").output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("run") && s.contains("extract"), "{s}");
    let o = bin().args(["help", "run"]).output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    for opt in ["--out", "--jobs", "--encoding", "--year", "--db", "--shard"] {
        assert!(s.contains(opt), "run --help lacks {opt}");
    }
}

#[test]
fn extract_reads_stdin_and_a_file() {
    use std::io::Write;
    let mut child = bin()
        .args(["extract", "--year", "2024", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("县科协工作总结。".as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["kind"].is_string());
    }
    let o = bin()
        .args(["extract", "/nonexistent/file.txt"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("reading /nonexistent/file.txt"));
}

/// An output folder inside the input folder is not read back: the second
/// run sees the same files and documents as the first, and says why it
/// left the folder out.
#[test]
fn the_output_folder_inside_the_input_is_not_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(
        fixtures().join("txt/seed-utf8.txt"),
        input.join("seed-utf8.txt"),
    )
    .unwrap();
    let out = input.join("out");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let st = bin()
            .args(["run", "-q", "--out"])
            .arg(&out)
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let run = run_json(&out);
        assert!(
            run["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["code"] == "output_folder"
                    && s["path"].as_str().unwrap().ends_with("out")),
            "{run}"
        );
        seen.push((run["files_seen"].clone(), run["documents"].clone()));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1].1, 6, "the seed's six pieces, no report read back");
}

/// A year that cannot be one a report covers is refused before anything
/// is read, with the range in the message.
#[test]
fn an_impossible_year_is_refused() {
    let seed = fixtures().join("txt/seed-utf8.txt");
    for args in [
        vec!["extract", "--year", "99999"],
        vec!["extract", "--year", "24"],
        vec!["run", "--year", "0"],
    ] {
        let out = bin().args(&args).arg(&seed).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("1000..=2999"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // So is a thread count that is none or would take minutes to start.
    for n in ["0", "100000"] {
        let out = bin()
            .args(["run", "--jobs", n])
            .arg(&seed)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--jobs {n}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("1..=1024"));
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["run", "-q", "--no-db", "--out"])
        .arg(tmp.path().join("out"))
        .env("RAYON_NUM_THREADS", "100000")
        .arg(&seed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RAYON_NUM_THREADS=100000"));
}

/// `--dict-dir` must be a folder; a file in it that extends no data file
/// (a misspelt name) is named in a warning, and the run goes on.
#[test]
fn dict_dir_is_checked() {
    let seed = fixtures().join("txt/seed-utf8.txt");
    let out = bin()
        .args(["extract", "--dict-dir", "/nonexistent/zongjie-dict"])
        .arg(&seed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--dict-dir is not a folder"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("user_dicts.txt"), "科普e站\n").unwrap();
    let out = bin()
        .arg("extract")
        .arg("--dict-dir")
        .arg(tmp.path())
        .arg(&seed)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("user_dicts.txt") && err.contains("user_dict.txt"),
        "{err}"
    );
    assert!(!out.stdout.is_empty());
}

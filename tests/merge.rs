//! `zongjie merge`: shards merged give what one run over all inputs gives,
//! and folders that cannot be merged stop it with a clear error (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zongjie::batch::shard_of;

const SHARDS: u64 = 3;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zongjie"))
}

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).to_path_buf()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run(input: &Path, out: &Path, shard: Option<(u64, u64)>) {
    let mut c = bin();
    c.args(["run", "-q", "--out"]).arg(out).arg(input);
    if let Some((k, n)) = shard {
        c.arg("--shard").arg(format!("{k}/{n}"));
    }
    ok(c.output().unwrap());
}

fn merge(shards: &[PathBuf], out: &Path) -> Output {
    bin()
        .args(["merge", "--out"])
        .arg(out)
        .args(shards)
        .output()
        .unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(p)).unwrap()
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn row_counts(db: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    [
        "documents",
        "sections",
        "facts",
        "findings",
        "finding_others",
        "files",
    ]
    .iter()
    .map(|t| {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t.to_string(), n)
    })
    .collect()
}

/// Run `input` whole and as shards, merge the shards, and check the merge
/// wrote what the whole run wrote. Returns the whole run's folder.
fn whole_vs_merged(input: &Path, tmp: &Path) -> (PathBuf, PathBuf) {
    let whole = tmp.join("whole");
    run(input, &whole, None);
    let shards: Vec<PathBuf> = (1..=SHARDS)
        .map(|k| {
            let d = tmp.join(format!("shard-{}", k - 1));
            run(input, &d, Some((k, SHARDS)));
            d
        })
        .collect();
    let merged = tmp.join("merged");
    // Shards given in any order: the merge orders documents itself.
    let mut given = shards.clone();
    given.reverse();
    let out = ok(merge(&given, &merged));
    assert!(String::from_utf8_lossy(&out.stderr).contains("merged 3 shards"));

    // Records: byte for byte, cross-document findings included.
    for name in ["documents.jsonl", "facts.jsonl", "findings.jsonl"] {
        let (a, b) = (
            read(&whole.join("records").join(name)),
            read(&merged.join("records").join(name)),
        );
        assert!(!a.is_empty() || name == "findings.jsonl");
        assert!(a == b, "records/{name} differ between whole run and merge");
    }
    // Digests and the audit report: the same files with the same bytes.
    for sub in ["digest", "audit", "reports"] {
        let (fa, fb) = (
            files_under(&whole.join(sub)),
            files_under(&merged.join(sub)),
        );
        assert!(!fa.is_empty(), "{sub} empty");
        assert_eq!(fa, fb, "{sub}: other files");
        for f in &fa {
            assert!(
                read(&whole.join(sub).join(f)) == read(&merged.join(sub).join(f)),
                "{sub}/{} differs",
                f.display()
            );
        }
    }
    // The store: the same rows.
    assert_eq!(
        row_counts(&whole.join("zongjie.db")),
        row_counts(&merged.join("zongjie.db"))
    );
    // run.json: totals and refusals as one run counts them.
    let (rw, rm) = (
        json(&whole.join("run.json")),
        json(&merged.join("run.json")),
    );
    for k in [
        "inputs",
        "files_seen",
        "files_ok",
        "files_rejected",
        "documents",
        "facts",
        "findings",
        "input_bytes",
        "text_bytes",
        "rejected",
        "skipped",
        "outputs",
        "zongjie_version",
    ] {
        assert_eq!(rw[k], rm[k], "run.json {k}");
    }
    (whole, merged)
}

#[test]
fn fixtures_in_three_shards_merge_to_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, _) = whole_vs_merged(&fixtures(), tmp.path());
    let run = json(&whole.join("run.json"));
    // The bad fixtures are refused in some shard and listed once.
    assert!(run["rejected"].as_array().unwrap().len() >= 8);
    assert!(run["documents"].as_u64().unwrap() > 10);
}

/// A paragraph long and specific enough to count as copied.
const SHARED: &str = "我们在红石岭村试点建设的蓝莓冷链仓储与直播带货一体化服务站，整合了合作社、快递网点和电商讲师三方力量，形成了从采摘分级、预冷保鲜到线上销售的完整链条，帮助三十七户种植户打开了省外销路，这一做法得到了市农业农村局的肯定并在全市推广。";

/// Two names in `dir` whose files fall in different shards.
fn names_in_other_shards(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    let mut first: Option<PathBuf> = None;
    for i in 0..1000 {
        let p = dir.join(format!("{stem}-{i:03}.txt"));
        let s = shard_of(&p.to_string_lossy(), SHARDS);
        match &first {
            None => first = Some(p),
            Some(f) if shard_of(&f.to_string_lossy(), SHARDS) != s => {
                return (f.clone(), p);
            }
            _ => {}
        }
    }
    unreachable!("1000 names in one shard")
}

#[test]
fn generated_corpus_with_copies_across_shards_merges_to_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let spec = zongjie::gen::CorpusSpec {
        documents: 40,
        seed: 7,
        ..Default::default()
    };
    zongjie::gen::write_corpus(&spec, &corpus).unwrap();
    // A paragraph copied between two reports that land in different shards:
    // no shard alone can see it.
    let mut rng = zongjie::gen::Rng::new(99);
    let (a, b) = names_in_other_shards(&corpus, "copied");
    for p in [&a, &b] {
        let (_, body) = zongjie::gen::document(&mut rng);
        let mut lines: Vec<&str> = body.lines().collect();
        let at = lines.len().min(2);
        lines.insert(at, SHARED);
        std::fs::write(p, lines.join("\n")).unwrap();
    }
    // The same file twice, in different shards: a run reads it once.
    let (c, d) = names_in_other_shards(&corpus, "same");
    let (_, body) = zongjie::gen::document(&mut rng);
    std::fs::write(&c, &body).unwrap();
    std::fs::write(&d, &body).unwrap();

    let (whole, merged) = whole_vs_merged(&corpus, tmp.path());

    let findings = String::from_utf8(read(&merged.join("records/findings.jsonl"))).unwrap();
    let docs = String::from_utf8(read(&merged.join("records/documents.jsonl"))).unwrap();
    let doc_of = |path: &Path| -> String {
        docs.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|d| d["source"]["path"] == *path.to_string_lossy())
            .map(|d| d["doc_id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{} not in documents", a.display()))
    };
    let (ida, idb) = (doc_of(&a), doc_of(&b));
    let copied: Vec<serde_json::Value> = findings
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["rule"] == "copied_paragraph")
        .collect();
    assert!(
        copied
            .iter()
            .any(|f| f["doc_id"] == *ida && f["others"][0]["doc_id"] == *idb),
        "copied paragraph across shards not found: {copied:#?}"
    );
    // No shard found it (each saw one of the two).
    for k in 0..SHARDS {
        let f = read(&tmp.path().join(format!("shard-{k}/records/findings.jsonl")));
        let f = String::from_utf8(f).unwrap();
        assert!(!(f.contains(&ida) && f.contains(&idb) && f.contains("copied_paragraph")));
    }
    // The later copy is refused as a duplicate of the earlier one.
    let run = json(&whole.join("run.json"));
    let (first, later) = if c.as_os_str() < d.as_os_str() {
        (c, d)
    } else {
        (d, c)
    };
    let dup = run["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == *later.to_string_lossy())
        .expect("the later copy is refused");
    assert_eq!(dup["code"], "duplicate");
    assert!(dup["reason"]
        .as_str()
        .unwrap()
        .contains(&*first.to_string_lossy()));
}

fn fails_with(out: Output, words: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(words), "expected {words:?} in: {err}");
}

#[test]
fn folders_that_cannot_be_merged_stop_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let input = fixtures().join("txt");
    let (s1, s2) = (t.join("s1"), t.join("s2"));
    run(&input, &s1, Some((1, 2)));
    run(&input, &s2, Some((2, 2)));
    let out = t.join("merged");

    // The same shard twice, by the same or another spelling of its path.
    fails_with(merge(&[s1.clone(), s1.clone()], &out), "same folder");
    fails_with(merge(&[s1.clone(), s1.join(".")], &out), "same folder");
    // A copy of a shard (one with documents): its documents are in both.
    let full = if std::fs::metadata(s1.join("records/documents.jsonl"))
        .unwrap()
        .len()
        > 0
    {
        &s1
    } else {
        &s2
    };
    let copy = t.join("copy");
    std::fs::create_dir_all(copy.join("records")).unwrap();
    for f in [
        "run.json",
        "records/documents.jsonl",
        "records/facts.jsonl",
        "records/findings.jsonl",
    ] {
        std::fs::copy(full.join(f), copy.join(f)).unwrap();
    }
    fails_with(merge(&[full.clone(), copy.clone()], &out), "is in both");
    // Missing folder, an empty folder, a file.
    fails_with(
        merge(&[s1.clone(), t.join("nope")], &out),
        "nope: cannot open",
    );
    std::fs::create_dir_all(t.join("empty")).unwrap();
    fails_with(
        merge(&[t.join("empty")], &out),
        "not the output folder of a zongjie run",
    );
    // A store instead of the folder.
    fails_with(
        merge(&[s1.join("zongjie.db")], &out),
        "pass the shard's output folder",
    );
    // Another zongjie version.
    let old = t.join("old");
    std::fs::create_dir_all(old.join("records")).unwrap();
    for f in [
        "records/documents.jsonl",
        "records/facts.jsonl",
        "records/findings.jsonl",
    ] {
        std::fs::copy(s2.join(f), old.join(f)).unwrap();
    }
    let mut rj = json(&s2.join("run.json"));
    rj["zongjie_version"] = "0.0.1".into();
    std::fs::write(old.join("run.json"), serde_json::to_vec(&rj).unwrap()).unwrap();
    fails_with(
        merge(&[s1.clone(), old.clone()], &out),
        "written by zongjie 0.0.1",
    );
    // An unfinished run.
    let unf = t.join("unfinished");
    std::fs::create_dir_all(unf.join("records")).unwrap();
    std::fs::write(unf.join("records/documents.jsonl.tmp"), "").unwrap();
    fails_with(merge(&[unf], &out), "did not finish");
    // Records edited by hand.
    let edited = t.join("edited");
    std::fs::create_dir_all(edited.join("records")).unwrap();
    for f in ["run.json", "records/facts.jsonl", "records/findings.jsonl"] {
        std::fs::copy(full.join(f), edited.join(f)).unwrap();
    }
    let docs = std::fs::read_to_string(full.join("records/documents.jsonl")).unwrap();
    let mut lines: Vec<String> = docs.lines().map(str::to_string).collect();
    let mut d: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    d["paragraphs"] = 100000.into();
    lines[0] = serde_json::to_string(&d).unwrap();
    std::fs::write(
        edited.join("records/documents.jsonl"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    fails_with(merge(&[edited], &out), "cannot be rebuilt exactly");
    // Into a shard folder.
    fails_with(
        merge(&[s1.clone(), s2.clone()], &s1),
        "merge into a new folder",
    );
    // Nothing was written by the failed merges.
    assert!(!out.join("run.json").exists());
    // And the two good shards merge.
    ok(merge(&[s1, s2], &out));
    assert!(out.join("run.json").is_file());
}

#[test]
fn a_shard_that_draws_no_file_succeeds_and_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let input = t.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let file = input.join("one.txt");
    std::fs::copy(fixtures().join("txt/seed-utf8.txt"), &file).unwrap();
    // One file, two shards: one shard has nothing to do.
    let k = shard_of(&file.to_string_lossy(), 2) + 1;
    let (full, empty) = (t.join("full"), t.join("empty"));
    run(&input, &full, Some((k, 2)));
    run(&input, &empty, Some((3 - k, 2)));
    assert_eq!(json(&empty.join("run.json"))["files_seen"], 0);
    let merged = t.join("merged");
    ok(merge(&[empty, full.clone()], &merged));
    for name in ["documents.jsonl", "facts.jsonl", "findings.jsonl"] {
        let (a, b) = (
            read(&full.join("records").join(name)),
            read(&merged.join("records").join(name)),
        );
        assert!(a == b, "records/{name}");
    }
    // --no-digests --no-reports: the same records, no digest or report
    // folder, and run.json lists neither.
    let bare = t.join("bare");
    ok(bin()
        .args(["merge", "--no-db", "--no-digests", "--no-reports", "--out"])
        .arg(&bare)
        .arg(&full)
        .output()
        .unwrap());
    assert_eq!(
        read(&bare.join("records/facts.jsonl")),
        read(&full.join("records/facts.jsonl"))
    );
    assert!(!bare.join("digest").exists() && !bare.join("reports").exists());
    let outputs = json(&bare.join("run.json"))["outputs"].to_string();
    assert!(
        !outputs.contains("digest") && !outputs.contains("reports"),
        "{outputs}"
    );
    assert!(merged.join("digest/overall/digest.md").exists());
}

/// Figures with decimals (`3.14159%`, `1.00005万`, amounts in `万`/`亿`
/// with decimals) are read back from the shards' records exactly, so the
/// merge rebuilds every document: `12.96万公里` in a real report was
/// written as 129600.00000000001, read back by serde_json's default float
/// parser as 129600, and stopped the merge. (Both are mended: the value is
/// 129600, and the records are parsed with `float_roundtrip`.)
#[test]
fn fractional_figures_merge_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let figures = [
        "12.96万公里",
        "4416.6亿元",
        "1.00005万元",
        "3.14159%",
        "0.1%",
        "2.675亿人次",
        "98.76543%",
        "1234.56789012万元",
        "0.123456789万元",
        "7.77777777亿元",
    ];
    for (i, chunk) in figures.chunks(2).enumerate() {
        let body: String = chunk
            .iter()
            .map(|f| format!("全年完成{f}，其中一项为0.3%。\n"))
            .collect();
        std::fs::write(
            input.join(format!("r{i}.txt")),
            format!("青石镇科协2024年工作总结\n一、主要工作\n{body}"),
        )
        .unwrap();
    }
    whole_vs_merged(&input, tmp.path());
}

//! The SQLite store through the real binary: re-import idempotence, changed
//! and moved files, importing into an existing store, and a run killed
//! part-way then rerun.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

const BIN: &str = env!("CARGO_BIN_EXE_zongjie");

/// A small work report in two pieces; `i` varies names and figures so that
/// every file has its own content.
fn report(i: usize) -> String {
    format!(
        "第{i}镇科协2023年工作总结\n\
         一、主要工作\n\
         （一）科普宣传\n\
         2023年3月{d}日，镇科协在第{i}村开展科普宣传活动，发放资料{n}余份，受益群众1500多人(次)。\n\
         （二）培训讲座\n\
         全年举办实用技术培训班12期，培训农民{m}人次，其中女性XX人。\n\
         二、2024年工作计划\n\
         下一步，我们将组织青少年科技竞赛，计划参与学生约500人。\n\
         【篇2】第{i}镇科协2024年工作计划\n\
         一、指导思想\n\
         以科普为重点，20xx年计划开展科技下乡活动{k}次，举办讲座不少于{j}场。\n",
        d = 1 + i % 28,
        n = 1000 + i,
        m = 200 + i % 97,
        k = 3 + i % 11,
        j = 5 + i % 7,
    )
}

fn make_corpus(dir: &Path, files: usize) -> Vec<PathBuf> {
    (0..files)
        .map(|i| {
            let sub = dir.join(format!("{:02}", i % 10));
            std::fs::create_dir_all(&sub).unwrap();
            let p = sub.join(format!("r{i:05}.txt"));
            std::fs::write(&p, report(i)).unwrap();
            p
        })
        .collect()
}

fn zongjie(args: &[&Path], extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("run").arg("-q").args(extra).args(args);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "zongjie failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `zongjie run -q --out OUT --db DB INPUT…`
fn run_into(out: &Path, db: &Path, inputs: &[&Path]) -> Output {
    let mut args: Vec<&Path> = vec![Path::new("--out"), out, Path::new("--db"), db];
    args.extend_from_slice(inputs);
    zongjie(&args, &[])
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

const TABLES: &[&str] = &[
    "documents",
    "sections",
    "facts",
    "findings",
    "finding_others",
    "files",
];

fn counts(db: &Path) -> Vec<i64> {
    let conn = Connection::open(db).unwrap();
    TABLES.iter().map(|t| count(&conn, t)).collect()
}

/// Everything the store holds about documents, in a canonical order and
/// without run ids (which differ between runs by design).
fn dump(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let queries = [
        "SELECT doc_id || '|' || sha256 || '|' || path || '|' || results_sha256 || '|' || record || '|' || text
         FROM documents ORDER BY doc_id",
        "SELECT doc_id || '|' || ord || '|' || level || '|' || title || '|' || start || '|' || end
         FROM sections ORDER BY doc_id, ord",
        "SELECT fact_id || '|' || ord || '|' || kind || '|' || text || '|' || start || '|' || end
           || '|' || coalesce(value_text, '') || '|' || coalesce(value_num, '')
           || '|' || coalesce(unit, '') || '|' || coalesce(approx, '') || '|' || placeholder
           || '|' || coalesce(status, '') || '|' || coalesce(date_start, '')
           || '|' || coalesce(date_end, '') || '|' || coalesce(section_ord, '')
         FROM facts ORDER BY doc_id, ord",
        "SELECT finding_id || '|' || coalesce(ord, '') || '|' || cross_document || '|' || record
         FROM findings ORDER BY doc_id, cross_document, ord, finding_id",
        "SELECT path || '|' || sha256 || '|' || pieces FROM files ORDER BY path",
    ];
    let mut rows = Vec::new();
    for q in queries {
        let mut st = conn.prepare(q).unwrap();
        let it = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.extend(it.map(Result::unwrap));
    }
    rows
}

fn doc_ids_of(db: &Path, path: &str) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT doc_id FROM documents WHERE path = ?1 ORDER BY doc_id")
        .unwrap();
    let ids = st
        .query_map([path], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    ids
}

/// (added, unchanged, reextracted, removed) of the last run.
fn last_run(db: &Path) -> (i64, i64, i64, i64) {
    let conn = Connection::open(db).unwrap();
    conn.query_row(
        "SELECT documents_added, documents_unchanged, documents_reextracted, documents_removed
         FROM runs ORDER BY run_id DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

#[test]
fn default_store_is_written_and_no_db_writes_none() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, 3);
    let out = tmp.path().join("out");
    zongjie(&[Path::new("--out"), &out, &corpus], &[]);
    let db = out.join("zongjie.db");
    assert!(db.is_file());
    let c = counts(&db);
    assert!(c[0] >= 3, "documents: {c:?}");
    let out2 = tmp.path().join("out2");
    zongjie(&[Path::new("--out"), &out2, &corpus], &["--no-db"]);
    assert!(!out2.join("zongjie.db").exists());
}

#[test]
fn importing_the_same_files_again_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, 12);
    let db = tmp.path().join("store.db");
    run_into(&tmp.path().join("o1"), &db, &[&corpus]);
    let first = counts(&db);
    let first_dump = dump(&db);
    assert!(first[0] >= 12);
    run_into(&tmp.path().join("o2"), &db, &[&corpus]);
    assert_eq!(counts(&db), first, "row counts after a second import");
    assert_eq!(dump(&db), first_dump);
    let (added, unchanged, reextracted, removed) = last_run(&db);
    assert_eq!((added, reextracted, removed), (0, 0, 0));
    assert_eq!(unchanged, first[0]);
    let conn = Connection::open(&db).unwrap();
    assert_eq!(count(&conn, "runs"), 2);
    let unfinished: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM runs WHERE finished_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unfinished, 0);
}

#[test]
fn a_changed_file_replaces_its_records() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    let files = make_corpus(&corpus, 8);
    let db = tmp.path().join("store.db");
    run_into(&tmp.path().join("o1"), &db, &[&corpus]);
    let before = counts(&db);
    let target = files[3].to_string_lossy().into_owned();
    let old_ids = doc_ids_of(&db, &target);
    assert!(!old_ids.is_empty());
    let others_before: Vec<String> = dump(&db)
        .into_iter()
        .filter(|r| !old_ids.iter().any(|id| r.starts_with(id.as_str())) && !r.starts_with(&target))
        .collect();

    // Same shape, different figures: the file now holds report 9999.
    std::fs::write(&files[3], report(9999)).unwrap();
    run_into(&tmp.path().join("o2"), &db, &[&corpus]);
    let new_ids = doc_ids_of(&db, &target);
    assert_eq!(new_ids.len(), old_ids.len());
    assert!(new_ids.iter().all(|id| !old_ids.contains(id)));
    assert_eq!(counts(&db)[0], before[0], "documents");
    let (added, unchanged, _, removed) = last_run(&db);
    assert_eq!(added, new_ids.len() as i64);
    assert_eq!(removed, old_ids.len() as i64);
    assert_eq!(unchanged, before[0] - old_ids.len() as i64);
    // Nothing of the old content is left anywhere, and nothing else moved.
    let conn = Connection::open(&db).unwrap();
    for id in &old_ids {
        for t in ["documents", "sections", "facts", "findings"] {
            let n: i64 = conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM {t} WHERE doc_id = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "{t} still holds {id}");
        }
    }
    let others_after: Vec<String> = dump(&db)
        .into_iter()
        .filter(|r| !new_ids.iter().any(|id| r.starts_with(id.as_str())) && !r.starts_with(&target))
        .collect();
    assert_eq!(others_after, others_before);
}

#[test]
fn a_moved_file_is_recognised_by_content() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    let files = make_corpus(&corpus, 6);
    let db = tmp.path().join("store.db");
    run_into(&tmp.path().join("o1"), &db, &[&corpus]);
    let before = counts(&db);
    let old = files[2].to_string_lossy().into_owned();
    let ids = doc_ids_of(&db, &old);
    let new = corpus.join("renamed").join("moved here.txt");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    std::fs::rename(&files[2], &new).unwrap();
    run_into(&tmp.path().join("o2"), &db, &[&corpus]);
    assert_eq!(counts(&db), before);
    assert_eq!(doc_ids_of(&db, &new.to_string_lossy()), ids);
    assert!(doc_ids_of(&db, &old).is_empty());
    let (added, _, _, removed) = last_run(&db);
    assert_eq!((added, removed), (0, 0));
}

#[test]
fn db_option_adds_to_an_existing_store() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    make_corpus(&a, 4);
    // Different content from a's files: offset the report numbers.
    std::fs::create_dir_all(&b).unwrap();
    for i in 0..3 {
        std::fs::write(b.join(format!("b{i}.txt")), report(500 + i)).unwrap();
    }
    let db = tmp.path().join("nested").join("archive.db");
    run_into(&tmp.path().join("oa"), &db, &[&a]);
    let na = counts(&db)[0];
    run_into(&tmp.path().join("ob"), &db, &[&b]);
    let nab = counts(&db)[0];
    let clean = tmp.path().join("clean.db");
    run_into(&tmp.path().join("oc"), &clean, &[&b]);
    assert_eq!(nab, na + counts(&clean)[0]);
}

#[test]
fn a_given_year_reextracts_unchanged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, 3);
    let db = tmp.path().join("store.db");
    run_into(&tmp.path().join("o1"), &db, &[&corpus]);
    let before = counts(&db);
    let o2 = tmp.path().join("o2");
    zongjie(
        &[Path::new("--out"), &o2, Path::new("--db"), &db, &corpus],
        &["--year", "2019"],
    );
    let (added, unchanged, reextracted, _) = last_run(&db);
    assert_eq!((added, unchanged, reextracted), (0, 0, before[0]));
    assert_eq!(counts(&db)[0], before[0]);
    let conn = Connection::open(&db).unwrap();
    let years: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE year = 2019",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(years, before[0]);
}

/// Documents committed so far, or 0 while the store is not there yet.
fn committed(db: &Path) -> i64 {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return 0;
    };
    conn.busy_timeout(Duration::from_millis(200)).ok();
    conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))
        .unwrap_or(0)
}

#[test]
fn a_killed_run_leaves_a_consistent_store_that_a_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, 1500);

    let clean_db = tmp.path().join("clean.db");
    run_into(&tmp.path().join("clean"), &clean_db, &[&corpus]);
    let total = counts(&clean_db)[0];
    assert!(total >= 1500);

    let out = tmp.path().join("killed");
    let db = tmp.path().join("killed.db");
    let mut child = Command::new(BIN)
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg("--db")
        .arg(&db)
        .arg(&corpus)
        // Small transactions, so that a small corpus is killed between commits.
        .env("ZONGJIE_STORE_COMMIT_EVERY", "25")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let mut seen = 0;
    while seen < 100 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be killed: corpus too small");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "the run made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
        seen = committed(&db);
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let at_kill = counts(&db)[0];
    assert!(
        at_kill >= 100 && at_kill < total,
        "killed part-way: {at_kill} of {total}"
    );
    // Whole transactions only: every stored document has all its facts,
    // sections and findings (the counts in the document rows agree).
    let conn = Connection::open(&db).unwrap();
    let torn: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM documents d
             WHERE fact_count <> (SELECT COUNT(*) FROM facts f WHERE f.doc_id = d.doc_id)
                OR finding_count <> (SELECT COUNT(*) FROM findings f
                                     WHERE f.doc_id = d.doc_id AND f.cross_document = 0)
                OR json_array_length(record, '$.sections')
                   <> (SELECT COUNT(*) FROM sections s WHERE s.doc_id = d.doc_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(torn, 0);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let finished: Option<String> = conn
        .query_row("SELECT finished_at FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(finished, None, "the killed run is recorded as unfinished");
    drop(conn);
    // The JSON Lines files of the killed run never appeared under their names.
    let records = out.join("records");
    for name in ["documents", "facts", "findings"] {
        assert!(!records.join(format!("{name}.jsonl")).exists());
        assert!(records.join(format!("{name}.jsonl.tmp")).exists());
    }

    run_into(&out, &db, &[&corpus]);
    assert_eq!(counts(&db), counts(&clean_db));
    assert_eq!(dump(&db), dump(&clean_db));
    let (added, unchanged, reextracted, removed) = last_run(&db);
    assert_eq!(added + unchanged, total);
    assert_eq!(unchanged, at_kill);
    assert_eq!((reextracted, removed), (0, 0));
    for name in ["documents", "facts", "findings"] {
        assert!(records.join(format!("{name}.jsonl")).exists());
        assert!(!records.join(format!("{name}.jsonl.tmp")).exists());
    }
}

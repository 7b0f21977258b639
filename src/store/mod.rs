//! The embedded SQLite store (`OUT/zongjie.db` or `--db PATH`).
//!
//! Every run adds to the store it is given: documents are keyed by content
//! (`doc_id` comes from the file's SHA-256 and the piece number), so
//! importing the same files again adds nothing, a file whose bytes changed
//! replaces its old documents, and a moved or renamed file is recognised.
//! Records go in with cached prepared statements inside transactions of
//! [`COMMIT_EVERY`] documents; a run killed at any moment leaves the store
//! at its last commit, and rerunning skips what is already there.
//! An import into an empty store drops the secondary indexes and builds
//! them at its end (one sort each instead of a B-tree insert per row); a
//! killed one leaves them to the next import, which builds them first.
//! See `docs/STORE.md` for the tables, views and everyday queries.

pub mod schema;
mod sink;
pub use sink::edtf_bounds;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::batch::{RunError, RunOptions, Sink};

pub use schema::SCHEMA_VERSION;
pub use sink::{ImportCounts, StoreSink};

/// File name of the default store inside the output folder.
pub const DEFAULT_FILE: &str = "zongjie.db";

/// Documents per transaction: large enough that commits cost little, small
/// enough that a killed run redoes little.
pub const COMMIT_EVERY: usize = 200;

/// The store a run imports into: `--db`, else `OUT/zongjie.db`.
pub fn db_path(opts: &RunOptions) -> PathBuf {
    opts.db
        .clone()
        .unwrap_or_else(|| opts.out_dir.join(DEFAULT_FILE))
}

/// Open (creating if needed) a store and bring its schema up to date.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut conn = Connection::open(path)?;
    // Another run importing into the same store holds the write lock for one
    // transaction at a time: wait for it rather than fail.
    conn.busy_timeout(Duration::from_secs(120))?;
    // WAL: readers (a user's sqlite3 session) never block the import, and a
    // killed writer leaves only an uncommitted tail that SQLite ignores.
    // Some filesystems cannot do WAL; the rollback journal SQLite then keeps
    // is just as safe, only slower, so the answer is not checked.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // NORMAL in WAL mode: a commit survives a killed process; only a power
    // cut can lose the last commits, never consistency.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 8 MiB of page cache: enough for one transaction now that a new
    // store's secondary indexes are built at the end, and what a large run
    // holds beyond a small one (10^4 documents: peak 150–164 MB, against
    // 161–170 with 16 MiB, writer CPU the same).
    conn.pragma_update(None, "cache_size", -8192)?;
    // Room for the multi-row INSERTs of every row count (2 × 32) besides
    // the dozen other statements of an import.
    conn.set_prepared_statement_cache_capacity(128);
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// The store sink for a run, or `None` when the run writes no store.
pub fn open_sink(opts: &RunOptions) -> Result<Option<Box<dyn Sink>>, RunError> {
    if opts.no_db {
        return Ok(None);
    }
    let path = db_path(opts);
    let inputs: Vec<String> = opts
        .inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    // Undocumented knob for tests that kill a run part-way through a small
    // corpus: commit more often than the default.
    let commit_every = std::env::var("ZONGJIE_STORE_COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COMMIT_EVERY);
    let sink = StoreSink::open(
        &path,
        &inputs,
        &opts.out_dir.to_string_lossy(),
        commit_every,
    )
    .map_err(|e| {
        RunError::Other(anyhow::anyhow!(
            "cannot open the store {}: {e:#}",
            path.display()
        ))
    })?;
    Ok(Some(Box::new(sink)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::cross::CrossFinding;
    use crate::model::*;
    use rusqlite::params;

    /// A document with one fact of every kind, a section and a finding that
    /// points at another document.
    fn doc(path: &str, content: &str, piece: usize) -> Document {
        let sha = crate::ingest::sha256_hex(content.as_bytes());
        let text = format!("一、科普工作\n2024年3月15日，{content}发放资料3000余份，XX人参加。");
        let find = |s: &str| {
            let a = text.find(s).unwrap();
            Span::new(a, a + s.len())
        };
        let facts = vec![
            Fact::new(
                find("2024年3月15日"),
                FactData::Date(DateFact {
                    value: "2024-03-15".into(),
                    year_inferred: false,
                    relative: false,
                    placeholder: false,
                }),
            ),
            Fact::new(
                find("3000余份"),
                FactData::Count(CountFact {
                    value: Some(3000.0),
                    approx: Approx::MoreThan,
                    unit: Some("份".into()),
                    placeholder: false,
                }),
            ),
            Fact::new(
                find("XX人"),
                FactData::Count(CountFact {
                    value: None,
                    approx: Approx::Exact,
                    unit: Some("人".into()),
                    placeholder: true,
                }),
            ),
            Fact::new(
                Span::new(find("2024").start, text.len()),
                FactData::Activity(ActivityFact {
                    type_id: "science_popularization".into(),
                    status: Status::Done,
                }),
            ),
            Fact::new(
                find("科普"),
                FactData::Org(OrgFact {
                    name: "科普".into(),
                    category: "other".into(),
                }),
            ),
        ];
        let findings = vec![Finding {
            rule: "placeholder_figure",
            severity: Severity::Warning,
            message: "占位数字".into(),
            span: find("XX人"),
            related_spans: vec![],
            facts: vec![2],
            others: vec![OtherRef {
                doc_id: "elsewhere".into(),
                start: 1,
                end: 2,
            }],
        }];
        Document {
            doc_id: crate::ingest::doc_id(&sha, piece),
            source: Source {
                path: path.into(),
                piece,
                pieces: 1,
                format: Format::Txt,
                sha256: sha,
                encoding: "UTF-8".into(),
                piece_header: None,
                offset_in_file: 0,
            },
            title: Some("标题".into()),
            year: Some(2024),
            year_source: Some("text"),
            region: Some(Region {
                county: Some("武乡县".into()),
                ..Default::default()
            }),
            sections: vec![Section {
                level: 1,
                title: "科普工作".into(),
                heading: find("一、科普工作"),
                extent: Span::new(0, text.len()),
            }],
            paragraphs: vec![],
            sentences: vec![],
            text,
            facts,
            findings,
            scanned_figures: None,
        }
    }

    fn import(db: &Path, docs: &[Document], cross: &[CrossFinding]) -> ImportCounts {
        let mut sink = StoreSink::open(db, &["in".into()], "out", 2).unwrap();
        for d in docs {
            sink.document(d).unwrap();
        }
        sink.cross_findings(cross).unwrap();
        sink.finish().unwrap();
        sink.outcome().unwrap().0.clone()
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn facts_land_in_typed_columns() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let d = doc("a.txt", "甲", 1);
        import(&db, std::slice::from_ref(&d), &[]);
        let conn = open(&db).unwrap();
        let (v, unit, approx, sec): (f64, String, String, i64) = conn
            .query_row(
                "SELECT value_num, unit, approx, section_ord FROM facts
                 WHERE kind = 'count' AND placeholder = 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (v, unit.as_str(), approx.as_str(), sec),
            (3000.0, "份", "more_than", 0)
        );
        let (ds, de): (String, String) = conn
            .query_row(
                "SELECT date_start, date_end FROM facts WHERE kind = 'date'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((ds.as_str(), de.as_str()), ("2024-03-15", "2024-03-15"));
        // The everyday views see the figures under their activity type.
        let (county, ty, n, ph): (String, String, i64, i64) = conn
            .query_row(
                "SELECT county, activity_type, SUM(figures), SUM(placeholders)
                 FROM v_figure_totals GROUP BY county, activity_type",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (county.as_str(), ty.as_str(), n, ph),
            ("武乡县", "science_popularization", 2, 1)
        );
        let n: i64 = conn
            .query_row(
                "SELECT placeholders FROM v_placeholders_per_document",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        // Every field of a facts.jsonl record is in a typed column (the
        // store keeps no JSON copy of facts since schema version 2).
        let idx = crate::emit::CharIndex::new(&d.text);
        let want = crate::emit::fact_record(&d.doc_id, &d.text, &idx, &d.facts[0]);
        let got: serde_json::Value = conn
            .query_row(
                "SELECT json_object('fact_id', fact_id, 'doc_id', doc_id, 'kind', kind,
                   'text', text, 'start', start, 'end', end, 'value', value_text,
                   'year_inferred', json(CASE year_inferred WHEN 1 THEN 'true' ELSE 'false' END))
                 FROM facts WHERE kind = 'date'",
                [],
                |r| r.get::<_, String>(0),
            )
            .map(|s| serde_json::from_str(&s).unwrap())
            .unwrap();
        assert_eq!(got, want);
        let has_record: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM pragma_table_info('facts') WHERE name = 'record')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has_record);
        let full: String = conn
            .query_row(
                "SELECT json_set(record, '$.text', text) FROM documents",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let want = crate::emit::document_record(&d, &idx);
        let mut got: serde_json::Value = serde_json::from_str(&full).unwrap();
        got.as_object_mut().unwrap().sort_keys();
        let mut want = want;
        want.as_object_mut().unwrap().sort_keys();
        assert_eq!(got, want);
    }

    #[test]
    fn second_import_adds_nothing_and_changes_replace() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let docs: Vec<Document> = (0..5)
            .map(|i| doc(&format!("f{i}.txt"), &format!("内容{i}"), 1))
            .collect();
        let c = import(&db, &docs, &[]);
        assert_eq!(c.added, 5);
        let conn = open(&db).unwrap();
        let before: Vec<i64> = ["documents", "facts", "findings", "sections", "files"]
            .iter()
            .map(|t| count(&conn, t))
            .collect();
        let c = import(&db, &docs, &[]);
        assert_eq!((c.added, c.unchanged), (0, 5));
        let after: Vec<i64> = ["documents", "facts", "findings", "sections", "files"]
            .iter()
            .map(|t| count(&conn, t))
            .collect();
        assert_eq!(before, after);
        // f2.txt changes: its old document goes, in the same import.
        let mut changed = docs.clone();
        changed[2] = doc("f2.txt", "新内容", 1);
        let c = import(&db, &changed, &[]);
        assert_eq!((c.added, c.unchanged, c.removed), (1, 4, 1));
        assert_eq!(count(&conn, "documents"), 5);
        let gone: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM documents WHERE doc_id = ?1)",
                [&docs[2].doc_id],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!gone);
        assert_eq!(count(&conn, "facts"), before[1]);
    }

    #[test]
    fn old_content_held_by_another_path_stays() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        // Two copies of the same bytes; one of them is then edited.
        let a = doc("a.txt", "同", 1);
        let b = doc("b.txt", "同", 1);
        import(&db, &[a.clone(), b], &[]);
        let c = import(&db, &[doc("a.txt", "改", 1)], &[]);
        assert_eq!((c.added, c.removed), (1, 0));
        let conn = open(&db).unwrap();
        assert_eq!(count(&conn, "documents"), 2);
    }

    #[test]
    fn cross_findings_are_idempotent_and_follow_their_documents() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let a = doc("a.txt", "甲", 1);
        let b = doc("b.txt", "乙", 1);
        let cross: Vec<CrossFinding> = vec![serde_json::from_value(serde_json::json!({
            "finding_id": format!("{}:copied_paragraph:0-5", a.doc_id),
            "doc_id": a.doc_id, "rule": "copied_paragraph", "rule_name": "与其他报告段落雷同",
            "severity": "info",
            "message": "段落与其他报告相同", "start": 0, "end": 5, "text": "一、科普工",
            "related": [], "facts": [],
            "others": [{"doc_id": b.doc_id, "start": 0, "end": 5}],
        }))
        .unwrap()];
        let conn_count = |db: &Path| {
            let conn = open(db).unwrap();
            conn.query_row(
                "SELECT COUNT(*) FROM findings WHERE cross_document = 1",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
        };
        import(&db, &[a.clone(), b.clone()], &cross);
        import(&db, &[a.clone(), b.clone()], &cross);
        assert_eq!(conn_count(&db), 1);
        // b.txt changes: the finding about a that points at b goes too.
        import(&db, &[a, doc("b.txt", "丙", 1)], &[]);
        assert_eq!(conn_count(&db), 0);
    }

    #[test]
    fn moved_file_is_recognised_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let old = dir.path().join("old.txt");
        std::fs::write(&old, "x").unwrap();
        let d = doc(old.to_str().unwrap(), "甲", 1);
        import(&db, std::slice::from_ref(&d), &[]);
        std::fs::remove_file(&old).unwrap();
        let moved = doc(dir.path().join("new.txt").to_str().unwrap(), "甲", 1);
        let c = import(&db, std::slice::from_ref(&moved), &[]);
        assert_eq!((c.added, c.unchanged, c.moved), (0, 1, 1));
        let conn = open(&db).unwrap();
        let (path, rec_path): (String, String) = conn
            .query_row(
                "SELECT path, json_extract(record, '$.source.path') FROM documents",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(path, moved.source.path);
        assert_eq!(rec_path, moved.source.path);
        assert_eq!(count(&conn, "files"), 1);
    }

    #[test]
    fn changed_results_replace_the_document() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let d = doc("a.txt", "甲", 1);
        import(&db, std::slice::from_ref(&d), &[]);
        let mut again = d.clone();
        again.facts.pop();
        let c = import(&db, &[again], &[]);
        assert_eq!(c.reextracted, 1);
        let conn = open(&db).unwrap();
        assert_eq!(count(&conn, "facts"), 4);
    }

    #[test]
    fn migrations_record_the_version_and_refuse_newer_stores() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let conn = open(&db).unwrap();
        assert_eq!(schema::current_version(&conn).unwrap(), SCHEMA_VERSION);
        let uv: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(uv, SCHEMA_VERSION);
        drop(conn);
        // Reopening applies nothing.
        let mut conn = open(&db).unwrap();
        assert_eq!(schema::migrate(&mut conn).unwrap(), SCHEMA_VERSION);
        conn.execute(
            "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
            params![],
        )
        .unwrap();
        drop(conn);
        let err = open(&db).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }

    #[test]
    fn a_later_migration_applies_on_top_of_an_older_store() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate_with(&mut conn, &schema::MIGRATIONS[..1]).unwrap();
        let later = [
            schema::Migration {
                version: 1,
                description: "",
                sql: "",
            },
            schema::Migration {
                version: 2,
                description: "test",
                sql: "ALTER TABLE documents ADD COLUMN note TEXT;",
            },
        ];
        assert_eq!(schema::migrate_with(&mut conn, &later).unwrap(), 1);
        assert_eq!(schema::current_version(&conn).unwrap(), 2);
        conn.execute("UPDATE documents SET note = 'x'", []).unwrap();
    }

    /// The results hash is the one schema version 1 wrote (v1's own
    /// computation, copied here), so a store written before the records were
    /// shared with the JSON Lines sink is not re-imported for nothing.
    #[test]
    fn results_hash_is_unchanged_from_version_1() {
        use sha2::{Digest, Sha256};
        fn v1_without_text(mut v: serde_json::Value) -> String {
            v.as_object_mut().unwrap().shift_remove("text");
            serde_json::to_string(&v).unwrap()
        }
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let d = doc("a.txt", "甲", 1);
        import(&db, std::slice::from_ref(&d), &[]);
        let idx = crate::emit::CharIndex::new(&d.text);
        let mut h = Sha256::new();
        let mut rec = crate::emit::document_record(&d, &idx);
        let map = rec.as_object_mut().unwrap();
        map.shift_remove("text");
        map.shift_remove("source");
        h.update(serde_json::to_vec(&map).unwrap());
        h.update(d.text.as_bytes());
        for f in &d.facts {
            h.update(b"\nF");
            h.update(v1_without_text(crate::emit::fact_record(
                &d.doc_id, &d.text, &idx, f,
            )));
        }
        for f in &d.findings {
            h.update(b"\nA");
            h.update(v1_without_text(crate::emit::finding_record(&d, &idx, f)));
        }
        let conn = open(&db).unwrap();
        let stored: String = conn
            .query_row("SELECT results_sha256 FROM documents", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, format!("{:x}", h.finalize()));
    }

    /// A store at version 1 with facts in it moves to version 2 keeping
    /// every fact, and its views still answer.
    #[test]
    fn a_version_1_store_with_facts_migrates_to_version_2() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate_with(&mut conn, &schema::MIGRATIONS[..1]).unwrap();
        conn.execute_batch(
            "INSERT INTO documents (doc_id, sha256, piece, pieces, path, format, chars,
               paragraphs, fact_count, finding_count, text, record, results_sha256, run_id,
               county, year)
             VALUES ('d', 's', 1, 1, 'a.txt', 'txt', 4, 1, 2, 0, 'XX人次', '{}', 'h', 1,
               '武乡县', 2024);
             INSERT INTO facts (fact_id, doc_id, ord, kind, text, start, end, unit,
               placeholder, record)
             VALUES ('d:count:0-4', 'd', 0, 'count', 'XX人次', 0, 4, '人次', 1, '{}'),
                    ('d:date:0-2', 'd', 1, 'date', 'XX', 0, 2, NULL, 1, '{}');",
        )
        .unwrap();
        assert_eq!(schema::migrate(&mut conn).unwrap(), 1);
        assert_eq!(schema::current_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(count(&conn, "facts"), 2);
        let n: i64 = conn
            .query_row(
                "SELECT placeholders FROM v_placeholders_per_document",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        let figures: i64 = conn
            .query_row(
                "SELECT SUM(figures) FROM v_figure_totals WHERE unit = '人次'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(figures, 1);
        let indexes: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'facts'
                 ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            indexes,
            ["facts_date", "facts_doc_kind", "facts_kind_value"]
        );
    }

    /// Every index of the store with its SQL, by name.
    fn indexes(conn: &Connection) -> Vec<(String, String)> {
        conn.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// The indexes an import into an empty store builds at its end are the
    /// schema's own, word for word.
    #[test]
    fn deferred_indexes_are_the_schemas() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let all = indexes(&conn);
        for (name, sql) in schema::DEFERRED_INDEXES {
            let want = sql.replace("IF NOT EXISTS ", "");
            assert!(
                all.iter().any(|(n, s)| n == name && *s == want),
                "{name}: {want} not in {all:?}"
            );
        }
    }

    /// An import into an empty store ends with every index; one killed
    /// while its indexes were dropped leaves a store that the next import
    /// completes (indexes built first, nothing imported twice); and a
    /// document deleted in the middle of the first import (its file
    /// changed) takes its rows with it.
    #[test]
    fn deferred_indexes_are_built_by_the_end_and_after_a_kill() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let want = indexes(&open(&dir.path().join("fresh.db")).unwrap());
        let docs: Vec<Document> = (0..5)
            .map(|i| doc(&format!("f{i}.txt"), &format!("内容{i}"), 1))
            .collect();
        // f0.txt turns up twice in one import with different content: its
        // first document goes while the indexes are still dropped.
        let mut first = docs.clone();
        first.insert(1, doc("f0.txt", "旧内容", 1));
        first.swap(0, 1);
        let c = import(&db, &first, &[]);
        assert_eq!((c.added, c.removed), (6, 1));
        let conn = open(&db).unwrap();
        assert_eq!(indexes(&conn), want);
        assert_eq!(count(&conn, "documents"), 5);
        let orphans: i64 = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM facts WHERE doc_id NOT IN
                          (SELECT doc_id FROM documents))
                      + (SELECT COUNT(*) FROM sections WHERE doc_id NOT IN
                          (SELECT doc_id FROM documents))
                      + (SELECT COUNT(*) FROM findings WHERE doc_id NOT IN
                          (SELECT doc_id FROM documents))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
        let facts = count(&conn, "facts");
        // What a kill leaves: documents committed, indexes not yet built.
        for (name, _) in schema::DEFERRED_INDEXES {
            conn.execute_batch(&format!("DROP INDEX {name}")).unwrap();
        }
        drop(conn);
        let c = import(&db, &docs, &[]);
        assert_eq!((c.added, c.unchanged), (0, 5));
        let conn = open(&db).unwrap();
        assert_eq!(indexes(&conn), want);
        assert_eq!(count(&conn, "facts"), facts);
    }

    /// More facts than one multi-row INSERT holds: every fact lands once,
    /// in order, with its own ord.
    #[test]
    fn many_facts_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("z.db");
        let mut d = doc("a.txt", "甲", 1);
        let base = d.facts.clone();
        while d.facts.len() < 75 {
            d.facts.extend(base.iter().cloned());
        }
        import(&db, std::slice::from_ref(&d), &[]);
        let conn = open(&db).unwrap();
        let rows: Vec<(i64, i64, String)> = conn
            .prepare("SELECT id, ord, kind FROM facts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), d.facts.len());
        for (i, (id, ord, kind)) in rows.iter().enumerate() {
            assert_eq!((*id, *ord), (i as i64 + 1, i as i64));
            assert_eq!(kind, d.facts[i].kind());
        }
    }

    #[test]
    fn edtf_bounds_only_when_known() {
        use super::sink::edtf_bounds;
        let s = |x: &str| Some(x.to_string());
        assert_eq!(edtf_bounds("2024-03"), (s("2024-03"), s("2024-03")));
        assert_eq!(edtf_bounds("2024/2025"), (s("2024"), s("2025")));
        assert_eq!(edtf_bounds("XXXX-03-15/XXXX-12-15"), (None, None));
        assert_eq!(edtf_bounds("20XX"), (None, None));
        assert_eq!(
            edtf_bounds("2024-01-10?"),
            (s("2024-01-10"), s("2024-01-10"))
        );
        assert_eq!(edtf_bounds("2024-01/.."), (s("2024-01"), None));
        assert_eq!(edtf_bounds(""), (None, None));
    }
}

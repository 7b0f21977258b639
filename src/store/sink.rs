//! Importing documents into the store, one transaction per batch.

use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit::cross::CrossFinding;
use crate::batch::{PreparePlan, Prepared, Sink};
use crate::emit::{DocRecords, RecordLine};
use crate::model::Document;

/// What an import did, document by document.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportCounts {
    /// Documents handed to the store.
    pub seen: u64,
    /// New documents written.
    pub added: u64,
    /// Documents already in the store with the same results: skipped.
    pub unchanged: u64,
    /// Documents already in the store whose extraction results changed
    /// (new zongjie, new dictionaries): replaced.
    pub reextracted: u64,
    /// Old documents of files whose content changed: removed.
    pub removed: u64,
    /// Paths that vanished while the same content turned up elsewhere.
    pub moved: u64,
    /// Cross-document findings written.
    pub cross_findings: u64,
}

/// The writer: owns the connection and does the SQL, on its own thread.
struct Importer {
    conn: Connection,
    run_id: i64,
    in_tx: bool,
    pending: usize,
    commit_every: usize,
    counts: ImportCounts,
    /// Time spent inside the sink (record building and SQLite).
    busy: Duration,
    /// The store was empty at the start, so its secondary indexes
    /// ([`super::schema::DEFERRED_INDEXES`]) were dropped and are built
    /// before anything is deleted, or at the end.
    deferred: bool,
    /// The deferred index built ahead of the others, if one was.
    early_index: Option<&'static str>,
    /// `INSERT INTO facts` of 1, 2, … [`ROWS_PER_INSERT`] rows.
    facts_sql: Vec<String>,
    /// `INSERT INTO sections` of 1, 2, … [`ROWS_PER_INSERT`] rows.
    sections_sql: Vec<String>,
}

/// Rows per multi-row `INSERT`: a fact costs SQLite one statement step,
/// reset and halt when inserted alone, and a document has ~90 of them.
/// 32 × 21 parameters stay far below SQLite's limit of 32766.
const ROWS_PER_INSERT: usize = 32;

const FACT_COLUMNS: &str = "fact_id, doc_id, ord, kind, text, start, end, value_text, \
     value_num, unit, approx, placeholder, status, date_start, date_end, year_inferred, \
     relative, level, code, category, section_ord";
const FACT_PARAMS: usize = 21;

const SECTION_COLUMNS: &str = "doc_id, ord, level, title, start, end, heading_end";
const SECTION_PARAMS: usize = 7;

/// `INSERT INTO table (columns) VALUES (?, …), …` for 1 ..= ROWS_PER_INSERT
/// rows. Multi-row VALUES insert their rows in order, so ids come out as
/// they did one row at a time.
fn multi_row_sql(table: &str, columns: &str, params: usize) -> Vec<String> {
    let row = format!("({})", vec!["?"; params].join(","));
    (1..=ROWS_PER_INSERT)
        .map(|n| {
            format!(
                "INSERT INTO {table} ({columns}) VALUES {}",
                vec![row.as_str(); n].join(",")
            )
        })
        .collect()
}

/// What the store needs of a document besides its records: the typed
/// fields, taken on the run's thread so the writer gets no `Document` copy.
struct DocRow {
    doc_id: String,
    sha256: String,
    piece: i64,
    pieces: i64,
    path: String,
    format: &'static str,
    encoding: String,
    title: Option<String>,
    year: Option<i32>,
    year_source: Option<&'static str>,
    province: Option<String>,
    prefecture: Option<String>,
    county: Option<String>,
    township: Option<String>,
    region_code: Option<String>,
    chars: i64,
    paragraphs: i64,
    /// Innermost section holding each fact, in fact order.
    fact_sections: Vec<Option<i64>>,
}

impl DocRow {
    fn new(doc: &Document) -> DocRow {
        let src = &doc.source;
        let region = doc.region.as_ref();
        let part =
            |f: fn(&crate::model::Region) -> &Option<String>| region.and_then(|r| f(r).clone());
        DocRow {
            doc_id: doc.doc_id.clone(),
            sha256: src.sha256.clone(),
            piece: src.piece as i64,
            pieces: src.pieces as i64,
            path: src.path.clone(),
            format: format_name(doc),
            encoding: src.encoding.clone(),
            title: doc.title.clone(),
            year: doc.year,
            year_source: doc.year_source,
            province: part(|r| &r.province),
            prefecture: part(|r| &r.prefecture),
            county: part(|r| &r.county),
            township: part(|r| &r.township),
            region_code: part(|r| &r.code),
            chars: doc.text.chars().count() as i64,
            paragraphs: doc.paragraphs.len() as i64,
            // Sections are in text order and nest, so the last one whose
            // extent holds the fact is the innermost.
            fact_sections: doc
                .facts
                .iter()
                .map(|fact| {
                    doc.sections
                        .iter()
                        .rposition(|sec| {
                            sec.extent.start <= fact.span.start && fact.span.start < sec.extent.end
                        })
                        .map(|i| i as i64)
                })
                .collect(),
        }
    }
}

/// A map serialized without some of its keys, in its own order: the same
/// bytes as removing them and serializing, without copying the map.
struct Without<'a>(&'a serde_json::Map<String, Value>, &'a [&'a str]);

impl serde::Serialize for Without<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().filter(|(k, _)| !self.1.contains(&k.as_str())))
    }
}

/// Hash of everything extracted from a document (not where the file was
/// found): a new zongjie or new dictionaries that extract differently
/// change it, and the document is re-imported. It hashes the same bytes as
/// schema version 1 did, so the stores it wrote are not re-imported for
/// nothing.
fn results_sha256(recs: &DocRecords) -> anyhow::Result<String> {
    let map = recs
        .document_value
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("document record is not an object"))?;
    let mut hasher = Sha256::new();
    // The source (path, encoding) says where the bytes were found, not what
    // was extracted from them; doc_id already covers the bytes.
    hasher.update(serde_json::to_vec(&Without(map, &["text", "source"]))?);
    hasher.update(
        str_field(&recs.document_value, "text")
            .unwrap_or("")
            .as_bytes(),
    );
    for (tag, lines) in [(b"\nF", &recs.facts), (b"\nA", &recs.findings)] {
        for r in lines {
            let (a, b) = r.without_text();
            hasher.update(tag);
            hasher.update(a.as_bytes());
            hasher.update(b.as_bytes());
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Bind the next parameter (`p` counts the ones bound so far).
fn bind<T: rusqlite::ToSql>(
    st: &mut rusqlite::Statement<'_>,
    p: &mut usize,
    value: T,
) -> rusqlite::Result<()> {
    *p += 1;
    st.raw_bind_parameter(*p, value)
}

/// Drop the secondary indexes of an empty store for the length of an
/// import (true), or build any that a killed import left dropped (false).
/// Decided in one IMMEDIATE transaction, so of two imports starting on one
/// new store both see it empty, and an import that finds documents already
/// committed by another leaves the indexes built: whichever way, every
/// index exists when the last import ends.
fn defer_indexes(conn: &Connection) -> rusqlite::Result<bool> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let r = (|| {
        let empty: bool =
            conn.query_row("SELECT NOT EXISTS(SELECT 1 FROM documents)", [], |r| {
                r.get(0)
            })?;
        for (name, sql) in super::schema::DEFERRED_INDEXES {
            if empty {
                conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
            } else {
                conn.execute_batch(sql)?;
            }
        }
        Ok(empty)
    })();
    match r {
        Ok(empty) => {
            conn.execute_batch("COMMIT")?;
            Ok(empty)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn int_field(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// ISO lower and upper bounds of an EDTF value, each only when fully known
/// (`2024-03` → (`2024-03`, `2024-03`); `2024-01/2024-03` → both ends;
/// `20XX` → none). Strings compare in date order because ISO prefixes do.
pub fn edtf_bounds(value: &str) -> (Option<String>, Option<String>) {
    fn known(part: &str) -> Option<String> {
        let p = part.trim_end_matches(['?', '~', '%']);
        let ok = !p.is_empty()
            && p.len() <= 10
            && p.bytes().all(|b| b.is_ascii_digit() || b == b'-')
            && p.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && p.split('-').all(|s| !s.is_empty());
        ok.then(|| p.to_string())
    }
    match value.split_once('/') {
        Some((a, b)) => (known(a), known(b)),
        None => {
            let k = known(value);
            (k.clone(), k)
        }
    }
}

impl Importer {
    fn open(
        path: &Path,
        inputs: &[String],
        out_dir: &str,
        commit_every: usize,
    ) -> anyhow::Result<Importer> {
        let conn = super::open(path)?;
        // Checkpoint (copy the WAL into the main file) every 32 MiB rather
        // than every 4 MiB: pages touched by many commits are copied once.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        conn.execute(
            "INSERT INTO runs (zongjie_version, schema_version, inputs, out_dir)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                env!("CARGO_PKG_VERSION"),
                super::SCHEMA_VERSION,
                serde_json::to_string(inputs)?,
                out_dir
            ],
        )?;
        let run_id = conn.last_insert_rowid();
        let deferred = defer_indexes(&conn)?;
        Ok(Importer {
            conn,
            run_id,
            in_tx: false,
            pending: 0,
            commit_every: commit_every.max(1),
            counts: ImportCounts::default(),
            busy: Duration::ZERO,
            deferred,
            early_index: None,
            facts_sql: multi_row_sql("facts", FACT_COLUMNS, FACT_PARAMS),
            sections_sql: multi_row_sql("sections", SECTION_COLUMNS, SECTION_PARAMS),
        })
    }

    /// Build the indexes dropped at the start (see [`defer_indexes`]): in
    /// the open transaction if there is one (a delete in the middle of a
    /// document), else each in a transaction of its own, so the WAL is
    /// checkpointed between them instead of growing by all of them at once.
    /// Idempotent: another import into the same store may have built them.
    fn build_indexes(&mut self) -> rusqlite::Result<()> {
        if !self.deferred {
            return Ok(());
        }
        for (_, sql) in super::schema::DEFERRED_INDEXES {
            self.create_index(sql)?;
        }
        self.deferred = false;
        Ok(())
    }

    /// Build one of the deferred indexes now, ahead of the others (once:
    /// `early_index` remembers it).
    fn build_index(&mut self, name: &'static str) -> rusqlite::Result<()> {
        if !self.deferred || self.early_index == Some(name) {
            return Ok(());
        }
        let sqls = super::schema::DEFERRED_INDEXES.iter();
        for (_, sql) in sqls.filter(|(n, _)| *n == name) {
            self.create_index(sql)?;
        }
        self.early_index = Some(name);
        Ok(())
    }

    /// Run one `CREATE INDEX`: in the open transaction if there is one, else
    /// in a transaction of its own.
    fn create_index(&mut self, sql: &str) -> rusqlite::Result<()> {
        if self.in_tx {
            return self.conn.execute_batch(sql);
        }
        self.begin()?;
        self.conn.execute_batch(sql)?;
        self.commit()
    }

    fn begin(&mut self) -> rusqlite::Result<()> {
        if !self.in_tx {
            // IMMEDIATE takes the write lock now, so a concurrent importer
            // waits here (busy_timeout) instead of failing mid-transaction.
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_tx = true;
        }
        Ok(())
    }

    fn write_run_row(&self, finished: bool) -> rusqlite::Result<()> {
        let c = &self.counts;
        self.conn
            .prepare_cached(
                "UPDATE runs SET documents_seen = ?2, documents_added = ?3,
                   documents_unchanged = ?4, documents_reextracted = ?5,
                   documents_removed = ?6, files_moved = ?7, cross_findings = ?8,
                   import_ms = ?9,
                   finished_at = CASE WHEN ?10 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END
                 WHERE run_id = ?1",
            )?
            .execute(params![
                self.run_id,
                c.seen as i64,
                c.added as i64,
                c.unchanged as i64,
                c.reextracted as i64,
                c.removed as i64,
                c.moved as i64,
                c.cross_findings as i64,
                self.busy.as_millis() as i64,
                finished,
            ])?;
        Ok(())
    }

    fn commit(&mut self) -> rusqlite::Result<()> {
        if self.in_tx {
            self.write_run_row(false)?;
            self.conn.execute_batch("COMMIT")?;
            self.in_tx = false;
            self.pending = 0;
        }
        Ok(())
    }

    /// Remove a document with everything hanging off it (ON DELETE CASCADE)
    /// and the cross-document findings elsewhere that point at it (trigger).
    fn delete_document(&mut self, doc_id: &str) -> rusqlite::Result<()> {
        // The cascades find their rows through the secondary indexes.
        self.build_indexes()?;
        self.conn
            .prepare_cached("DELETE FROM documents WHERE doc_id = ?1")?
            .execute([doc_id])?;
        Ok(())
    }

    /// Keep the path → content map current; drop the documents of a file's
    /// old content when no other path still holds it.
    fn map_file(&mut self, src: &DocRow) -> rusqlite::Result<()> {
        let known: Option<String> = self
            .conn
            .prepare_cached("SELECT sha256 FROM files WHERE path = ?1")?
            .query_row([&src.path], |r| r.get(0))
            .optional()?;
        match known {
            Some(old) if old == src.sha256 => {
                self.conn
                    .prepare_cached(
                        "UPDATE files SET last_run = ?2 WHERE path = ?1 AND last_run <> ?2",
                    )?
                    .execute(params![src.path, self.run_id])?;
            }
            Some(old) => {
                self.conn
                    .prepare_cached(
                        "UPDATE files SET sha256 = ?2, format = ?3, encoding = ?4,
                           pieces = ?5, last_run = ?6 WHERE path = ?1",
                    )?
                    .execute(params![
                        src.path,
                        src.sha256,
                        src.format,
                        src.encoding,
                        src.pieces,
                        self.run_id
                    ])?;
                let still_held: bool = self
                    .conn
                    .prepare_cached("SELECT EXISTS(SELECT 1 FROM files WHERE sha256 = ?1)")?
                    .query_row([&old], |r| r.get(0))?;
                if !still_held {
                    let ids: Vec<String> = self
                        .conn
                        .prepare_cached("SELECT doc_id FROM documents WHERE sha256 = ?1")?
                        .query_map([&old], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    for id in &ids {
                        self.delete_document(id)?;
                    }
                    self.counts.removed += ids.len() as u64;
                }
            }
            None => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO files (path, sha256, format, encoding, pieces, first_run, last_run)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    )?
                    .execute(params![
                        src.path,
                        src.sha256,
                        src.format,
                        src.encoding,
                        src.pieces,
                        self.run_id
                    ])?;
                // Same content known under paths that no longer exist: the
                // file was moved or renamed.
                let others: Vec<String> = self
                    .conn
                    .prepare_cached("SELECT path FROM files WHERE sha256 = ?1 AND path <> ?2")?
                    .query_map([&src.sha256, &src.path], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for p in others {
                    if std::fs::symlink_metadata(&p).is_err() {
                        self.conn
                            .prepare_cached("DELETE FROM files WHERE path = ?1")?
                            .execute([&p])?;
                        self.counts.moved += 1;
                    }
                }
            }
        }
        Ok(())
    }

    fn import(&mut self, row: &DocRow, recs: &DocRecords) -> anyhow::Result<()> {
        // The facts' rows are their typed fields, which the plan asks for.
        anyhow::ensure!(
            recs.fact_fields.len() == recs.facts.len(),
            "store: records of {} prepared without the facts' fields",
            row.path
        );
        self.begin()?;
        self.counts.seen += 1;
        self.map_file(row)?;
        let results = results_sha256(recs)?;
        let existing: Option<(String, String, bool)> = self
            .conn
            .prepare_cached(
                "SELECT d.results_sha256, d.path,
                        EXISTS(SELECT 1 FROM files f WHERE f.path = d.path)
                 FROM documents d WHERE d.doc_id = ?1",
            )?
            .query_row([&row.doc_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match existing {
            Some((sha, path, path_known)) if sha == results => {
                self.counts.unchanged += 1;
                // Recorded under a path that is gone: follow the file.
                if path != row.path && !path_known {
                    self.conn
                        .prepare_cached(
                            "UPDATE documents SET path = ?2,
                               record = json_set(record, '$.source.path', ?2)
                             WHERE doc_id = ?1",
                        )?
                        .execute(params![row.doc_id, row.path])?;
                }
            }
            Some(_) => {
                self.delete_document(&row.doc_id)?;
                self.insert(row, recs, &results)?;
                self.counts.reextracted += 1;
            }
            None => {
                self.insert(row, recs, &results)?;
                self.counts.added += 1;
            }
        }
        self.pending += 1;
        if self.pending >= self.commit_every {
            self.commit()?;
        }
        Ok(())
    }

    fn insert(&self, row: &DocRow, recs: &DocRecords, results: &str) -> rusqlite::Result<()> {
        let doc = &recs.document_value;
        self.conn
            .prepare_cached(
                "INSERT INTO documents (doc_id, sha256, piece, pieces, path, format, encoding,
                   title, year, year_source, province, prefecture, county, township,
                   region_code, chars, paragraphs, fact_count, finding_count, text, record,
                   results_sha256, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                   ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?
            .execute(params![
                row.doc_id,
                row.sha256,
                row.piece,
                row.pieces,
                row.path,
                row.format,
                row.encoding,
                row.title,
                row.year,
                row.year_source,
                row.province,
                row.prefecture,
                row.county,
                row.township,
                row.region_code,
                row.chars,
                row.paragraphs,
                recs.facts.len() as i64,
                recs.findings.len() as i64,
                str_field(doc, "text").unwrap_or(""),
                recs.document.without_text_string(),
                results,
                self.run_id,
            ])?;
        if let Some(Value::Array(sections)) = doc.get("sections") {
            for (c, chunk) in sections.chunks(ROWS_PER_INSERT).enumerate() {
                let mut st = self
                    .conn
                    .prepare_cached(&self.sections_sql[chunk.len() - 1])?;
                let mut p = 0;
                for (j, s) in chunk.iter().enumerate() {
                    let ord = (c * ROWS_PER_INSERT + j) as i64;
                    bind(&mut st, &mut p, &row.doc_id)?;
                    bind(&mut st, &mut p, ord)?;
                    bind(&mut st, &mut p, int_field(s, "level"))?;
                    bind(&mut st, &mut p, str_field(s, "title").unwrap_or(""))?;
                    bind(&mut st, &mut p, int_field(s, "start"))?;
                    bind(&mut st, &mut p, int_field(s, "end"))?;
                    bind(&mut st, &mut p, int_field(s, "heading_end"))?;
                }
                st.raw_execute()?;
            }
        }
        // Every field of a facts.jsonl record has a typed column, so the
        // record itself is not stored again (schema version 2).
        for (c, chunk) in recs.fact_fields.chunks(ROWS_PER_INSERT).enumerate() {
            let mut st = self.conn.prepare_cached(&self.facts_sql[chunk.len() - 1])?;
            let mut p = 0;
            for (j, f) in chunk.iter().enumerate() {
                let i = c * ROWS_PER_INSERT + j;
                let (date_start, date_end) = match (f.kind.as_str(), f.value_text.as_deref()) {
                    ("date", Some(t)) => edtf_bounds(t),
                    _ => (None, None),
                };
                bind(&mut st, &mut p, &f.fact_id)?;
                bind(&mut st, &mut p, &row.doc_id)?;
                bind(&mut st, &mut p, i as i64)?;
                bind(&mut st, &mut p, &f.kind)?;
                bind(&mut st, &mut p, &f.text)?;
                bind(&mut st, &mut p, f.start)?;
                bind(&mut st, &mut p, f.end)?;
                bind(&mut st, &mut p, &f.value_text)?;
                bind(&mut st, &mut p, f.value_num)?;
                bind(&mut st, &mut p, &f.unit)?;
                bind(&mut st, &mut p, &f.approx)?;
                bind(&mut st, &mut p, f.placeholder.unwrap_or(false))?;
                bind(&mut st, &mut p, &f.status)?;
                bind(&mut st, &mut p, date_start)?;
                bind(&mut st, &mut p, date_end)?;
                bind(&mut st, &mut p, f.year_inferred)?;
                bind(&mut st, &mut p, f.relative)?;
                bind(&mut st, &mut p, &f.level)?;
                bind(&mut st, &mut p, &f.code)?;
                bind(&mut st, &mut p, &f.category)?;
                bind(&mut st, &mut p, row.fact_sections.get(i).copied().flatten())?;
            }
            st.raw_execute()?;
        }
        for (i, (r, v)) in recs.findings.iter().zip(&recs.finding_values).enumerate() {
            self.insert_finding(v, &r.without_text_string(), Some(i as i64), false)?;
        }
        Ok(())
    }

    fn insert_finding(
        &self,
        v: &Value,
        record: &str,
        ord: Option<i64>,
        cross: bool,
    ) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO findings (finding_id, doc_id, ord, rule, severity, message, start,
                   end, text, cross_document, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                str_field(v, "finding_id").unwrap_or(""),
                str_field(v, "doc_id").unwrap_or(""),
                ord,
                str_field(v, "rule").unwrap_or(""),
                str_field(v, "severity").unwrap_or(""),
                str_field(v, "message").unwrap_or(""),
                int_field(v, "start"),
                int_field(v, "end"),
                str_field(v, "text"),
                cross,
                record,
            ])?;
        if let Some(Value::Array(others)) = v.get("others") {
            if !others.is_empty() {
                let id = self.conn.last_insert_rowid();
                let mut st = self.conn.prepare_cached(
                    "INSERT INTO finding_others (finding, doc_id, start, end)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for o in others {
                    st.execute(params![
                        id,
                        str_field(o, "doc_id").unwrap_or(""),
                        int_field(o, "start"),
                        int_field(o, "end"),
                    ])?;
                }
            }
        }
        Ok(())
    }

    fn import_cross(&mut self, records: &[CrossFinding]) -> anyhow::Result<()> {
        // Replacing a finding looks it up by finding_id: that index first,
        // after the documents so far are committed. The other deferred
        // indexes wait for `close`, which the run does not wait for until
        // its reports and digests are written: built here, they kept the
        // run's thread waiting on the store's queue with the workers idle
        // (a quarter of a second of one core alone, 2,000 documents).
        self.commit()?;
        self.build_index("findings_finding_id")?;
        self.begin()?;
        for rec in records {
            // The store keeps the record as findings.jsonl has it.
            let v = &serde_json::to_value(rec)?;
            let (Some(finding_id), Some(doc_id)) =
                (str_field(v, "finding_id"), str_field(v, "doc_id"))
            else {
                continue;
            };
            let known: bool = self
                .conn
                .prepare_cached("SELECT EXISTS(SELECT 1 FROM documents WHERE doc_id = ?1)")?
                .query_row([doc_id], |r| r.get(0))?;
            if !known {
                continue;
            }
            // Stable finding ids: a rerun replaces rather than doubles.
            self.conn
                .prepare_cached(
                    "DELETE FROM findings
                     WHERE finding_id = ?1 AND doc_id = ?2 AND cross_document = 1",
                )?
                .execute([finding_id, doc_id])?;
            let r = RecordLine::new(v)?;
            self.insert_finding(v, &r.without_text_string(), None, true)?;
            self.counts.cross_findings += 1;
        }
        Ok(())
    }

    fn close(&mut self) -> anyhow::Result<()> {
        self.commit()?;
        self.build_indexes()?;
        self.begin()?;
        self.write_run_row(true)?;
        self.conn.execute_batch("COMMIT")?;
        self.in_tx = false;
        self.pending = 0;
        // Fold the WAL back into the main file so the store is one file a
        // user can copy, and let SQLite refresh its planner statistics.
        self.conn.execute_batch("PRAGMA optimize")?;
        let _: (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(())
    }
}

fn format_name(doc: &Document) -> &'static str {
    match doc.source.format {
        crate::model::Format::Txt => "txt",
        crate::model::Format::Docx => "docx",
    }
}

/// What the run's thread hands the writer.
enum Msg {
    /// Documents with their records.
    Docs(Vec<(DocRow, Arc<DocRecords>)>),
    Cross(Vec<CrossFinding>),
    Finish,
}

/// What the writer reports when it is done.
struct Outcome {
    counts: ImportCounts,
    busy: Duration,
    /// CPU time of the writer thread, where the OS tells it.
    cpu: Option<Duration>,
}

/// CPU time the calling thread has used so far (Linux: the first field of
/// `/proc/thread-self/schedstat`, in nanoseconds). Wall time on a loaded
/// machine says little about what importing costs; this does.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

impl Importer {
    /// Serve messages until `Finish` (commit and close) or until the channel
    /// closes without one (the run failed: the open transaction is rolled
    /// back, the store stays at its last commit).
    fn serve(mut self, rx: Receiver<Msg>) -> anyhow::Result<Outcome> {
        let cpu0 = thread_cpu();
        while let Ok(msg) = rx.recv() {
            let t = Instant::now();
            match msg {
                Msg::Docs(docs) => {
                    for (row, recs) in &docs {
                        self.import(row, recs)?;
                    }
                }
                Msg::Cross(records) => self.import_cross(&records)?,
                Msg::Finish => {
                    self.close()?;
                    self.busy += t.elapsed();
                    return Ok(Outcome {
                        counts: self.counts.clone(),
                        busy: self.busy,
                        cpu: thread_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a)),
                    });
                }
            }
            self.busy += t.elapsed();
        }
        anyhow::bail!("the run stopped before the store was finished")
    }
}

/// Batches of documents the run's thread may hand over before it waits
/// for the writer. Small: at scale the writer is the slower side, so the
/// queue stays full, and every document in it holds its records (4 × 64
/// documents grew peak RSS by ~30 MB between 10^3 and 10^4 documents;
/// 2 × 32 ran as fast).
const QUEUE: usize = 2;

/// Documents handed to the writer in one message.
const BATCH: usize = 32;

/// The [`Sink`] that imports a run's documents into a store.
///
/// SQL runs on a writer thread of its own, so importing one chunk overlaps
/// with analysing the next instead of holding up the run. The records are
/// the ones the JSON Lines files get, built once per document by
/// [`crate::batch::Sinks`] and shared; the run's thread only copies a
/// document's few typed fields, and the writer hashes and executes prepared
/// statements.
pub struct StoreSink {
    tx: Option<SyncSender<Msg>>,
    writer: Option<JoinHandle<anyhow::Result<Outcome>>>,
    path: String,
    started: Instant,
    outcome: Option<(ImportCounts, Duration)>,
    /// Documents not yet handed to the writer.
    pending: Vec<(DocRow, Arc<DocRecords>)>,
    /// Time the run's thread spent preparing documents for the writer.
    build: Duration,
    /// Time the run's thread spent waiting for the writer.
    waited: Duration,
    /// `Msg::Finish` was sent ([`Sink::finish_start`]).
    finish_sent: bool,
}

impl StoreSink {
    /// Open the store at `path` (creating and migrating it as needed) and
    /// record a new run in it.
    pub fn open(
        path: &Path,
        inputs: &[String],
        out_dir: &str,
        commit_every: usize,
    ) -> anyhow::Result<StoreSink> {
        let importer = Importer::open(path, inputs, out_dir, commit_every)?;
        let (tx, rx) = sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("zongjie-store".into())
            .spawn(move || importer.serve(rx))?;
        Ok(StoreSink {
            tx: Some(tx),
            writer: Some(writer),
            path: path.display().to_string(),
            started: Instant::now(),
            outcome: None,
            pending: Vec::with_capacity(BATCH),
            build: Duration::ZERO,
            waited: Duration::ZERO,
            finish_sent: false,
        })
    }

    /// Hand the pending documents to the writer.
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let docs = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        self.send(Msg::Docs(docs))
    }

    fn send(&mut self, msg: Msg) -> anyhow::Result<()> {
        let t = Instant::now();
        let sent = match &self.tx {
            Some(tx) => tx.send(msg).is_ok(),
            None => false,
        };
        self.waited += t.elapsed();
        if sent {
            Ok(())
        } else {
            // The writer stopped: its error says why.
            Err(self
                .join()
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("the store writer stopped early")))
        }
    }

    fn join(&mut self) -> anyhow::Result<Outcome> {
        self.tx = None;
        let handle = self
            .writer
            .take()
            .ok_or_else(|| anyhow::anyhow!("the store is already closed"))?;
        match handle.join() {
            Ok(r) => r.map_err(|e| e.context(format!("store {}", self.path))),
            Err(_) => anyhow::bail!("the store writer panicked (please report)"),
        }
    }

    /// Counts and import time, once [`Sink::finish`] has run.
    pub fn outcome(&self) -> Option<&(ImportCounts, Duration)> {
        self.outcome.as_ref()
    }
}

impl Sink for StoreSink {
    fn document_prepared(&mut self, doc: &Document, prepared: &mut Prepared) -> anyhow::Result<()> {
        let t = Instant::now();
        let records = prepared.records(doc)?;
        self.pending.push((DocRow::new(doc), records));
        self.build += t.elapsed();
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn plan(&self, plan: &mut PreparePlan) {
        plan.records = true;
        plan.fact_fields = true;
    }

    fn cross_findings(&mut self, records: &[CrossFinding]) -> anyhow::Result<()> {
        self.flush()?;
        self.send(Msg::Cross(records.to_vec()))
    }

    /// Hands the writer its last documents and the order to commit and
    /// checkpoint, without waiting: the writer does that while the other
    /// sinks finish (reports and digests), and `finish` waits for it.
    fn finish_start(&mut self) -> anyhow::Result<bool> {
        self.flush()?;
        self.send(Msg::Finish)?;
        self.finish_sent = true;
        Ok(true)
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if !self.finish_sent {
            self.finish_start()?;
        }
        let t = Instant::now();
        let out = self.join()?;
        self.waited += t.elapsed();
        let c = &out.counts;
        let total = self.started.elapsed().as_secs_f64();
        let cpu = match out.cpu {
            Some(d) => format!(" (cpu {:.2} s)", d.as_secs_f64()),
            None => String::new(),
        };
        eprintln!(
            "zongjie: store {}: {} documents added, {} unchanged, {} re-extracted, \
             {} removed (changed files); records {:.2} s, writer {:.2} s{cpu}, \
             run held up {:.2} s of {:.2} s",
            self.path,
            c.added,
            c.unchanged,
            c.reextracted,
            c.removed,
            self.build.as_secs_f64(),
            out.busy.as_secs_f64(),
            (self.build + self.waited).as_secs_f64(),
            total,
        );
        self.outcome = Some((out.counts, out.busy));
        Ok(())
    }
}

//! `zongjie merge`: the outputs of several `zongjie run --shard K/N` runs
//! into one, as a single run over all the inputs would have written it.
//!
//! Each shard's `records/documents.jsonl` is already in walk order (files
//! sorted by path, pieces in order), and a shard holds a disjoint share of
//! the files, so a k-way merge on (path, piece) gives the single run's
//! document order while holding one document per shard in memory. Every
//! document is rebuilt from its records (text, sections, facts, findings,
//! region, year; paragraphs and sentences are recomputed from the text and
//! sections exactly as the pipeline computes them) and handed to the same
//! sinks a run uses: JSON Lines, the store, reports and digests, and the
//! audit wrapper, which recomputes the cross-document findings over all
//! documents. The shards' own cross-document findings are dropped: each
//! shard only saw its share. A rebuilt document is checked by writing its
//! records again in memory and comparing them with what was read, so a
//! record the rebuild cannot reproduce stops the merge instead of being
//! silently altered.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::batch::{self, Rejected, RunOptions, RunSummary, RunTotals, Sink, Timings};
use crate::emit::{self, CharIndex};
use crate::model::{
    ActivityFact, Approx, CountFact, DateFact, Document, Fact, FactData, Finding, Format, OrgFact,
    OtherRef, PlaceFact, PlaceLevel, Region, Section, Severity, Source, Span, Status,
};

/// Rules the cross-document index writes; a shard's findings of these rules
/// only cover its own share and are recomputed by the merge.
pub const CROSS_RULES: &[&str] = &["copied_paragraph", "repeated_figure"];

/// Options of one merge.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Output folders of the shard runs (each with `run.json` and `records/`).
    pub shards: Vec<PathBuf>,
    pub out_dir: PathBuf,
    /// The SQLite store to import into; default `OUT/zongjie.db`.
    pub db: Option<PathBuf>,
    pub no_db: bool,
    pub render: crate::render::RenderOptions,
}

/// Why a merge stopped.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard folder that cannot be merged (missing, not a zongjie output,
    /// another version, unfinished, given twice, inconsistent records).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn input_err(msg: impl Into<String>) -> MergeError {
    MergeError::Input(msg.into())
}

const RECORD_FILES: [&str; 3] = ["documents.jsonl", "facts.jsonl", "findings.jsonl"];

/// One JSON Lines file read a line at a time, with one line of look-ahead.
struct Stream {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    line: u64,
    peeked: Option<Value>,
}

impl Stream {
    fn open(path: PathBuf) -> Result<Self, MergeError> {
        let f = File::open(&path)
            .map_err(|e| input_err(format!("cannot read {}: {e}", path.display())))?;
        Ok(Stream {
            path,
            lines: BufReader::with_capacity(1 << 16, f).lines(),
            line: 0,
            peeked: None,
        })
    }

    fn where_(&self) -> String {
        format!("{} line {}", self.path.display(), self.line)
    }

    fn peek(&mut self) -> Result<Option<&Value>, MergeError> {
        if self.peeked.is_none() {
            loop {
                let Some(line) = self.lines.next() else {
                    return Ok(None);
                };
                self.line += 1;
                let line = line
                    .map_err(|e| input_err(format!("cannot read {}: {e}", self.path.display())))?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(&line)
                    .map_err(|e| input_err(format!("{}: not a JSON record: {e}", self.where_())))?;
                self.peeked = Some(v);
                break;
            }
        }
        Ok(self.peeked.as_ref())
    }

    fn take(&mut self) -> Result<Option<Value>, MergeError> {
        self.peek()?;
        Ok(self.peeked.take())
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn is_cross(finding: &Value) -> bool {
    str_field(finding, "rule").is_some_and(|r| CROSS_RULES.contains(&r))
}

/// A document's records as read from one shard.
struct DocRecords {
    doc: Value,
    facts: Vec<Value>,
    findings: Vec<Value>,
    /// The walk-order key: the path as written and the piece number.
    path: String,
    piece: u64,
    sha256: String,
}

/// One shard's records, read document by document in their written order.
struct ShardReader {
    dir: PathBuf,
    docs: Stream,
    facts: Stream,
    findings: Stream,
    head: Option<DocRecords>,
    /// Key of the last document read, to check the shard's own order.
    last: Option<(String, u64)>,
}

impl ShardReader {
    fn open(dir: &Path) -> Result<Self, MergeError> {
        let rec = dir.join("records");
        let [d, f, g] = RECORD_FILES.map(|n| rec.join(n));
        let mut r = ShardReader {
            dir: dir.to_path_buf(),
            docs: Stream::open(d)?,
            facts: Stream::open(f)?,
            findings: Stream::open(g)?,
            head: None,
            last: None,
        };
        r.advance()?;
        Ok(r)
    }

    /// Read the next document with its facts and (per-document) findings.
    fn advance(&mut self) -> Result<(), MergeError> {
        let Some(doc) = self.docs.take()? else {
            self.head = None;
            return self.check_drained();
        };
        let bad = |what: &str| input_err(format!("{}: {what}", self.docs.where_()));
        let doc_id = str_field(&doc, "doc_id")
            .ok_or_else(|| bad("document without doc_id"))?
            .to_string();
        let source = doc
            .get("source")
            .ok_or_else(|| bad("document without source"))?;
        let path = str_field(source, "path")
            .ok_or_else(|| bad("document without source.path"))?
            .to_string();
        let piece = source
            .get("piece")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("document without source.piece"))?;
        let sha256 = str_field(source, "sha256")
            .ok_or_else(|| bad("document without source.sha256"))?
            .to_string();
        let key = (path.clone(), piece);
        if let Some(last) = &self.last {
            if walk_cmp(last, &key) != std::cmp::Ordering::Less {
                return Err(bad(&format!(
                    "documents are not in walk order ({} piece {} after {} piece {}): not the records of one zongjie run",
                    key.0, key.1, last.0, last.1
                )));
            }
        }
        self.last = Some(key);
        let mut facts = Vec::new();
        while let Some(f) = self.facts.peek()? {
            if str_field(f, "doc_id") != Some(doc_id.as_str()) {
                break;
            }
            facts.extend(self.facts.take()?);
        }
        let mut findings = Vec::new();
        while let Some(f) = self.findings.peek()? {
            if is_cross(f) {
                // Written at the end of the shard's run over its share only.
                self.findings.take()?;
                continue;
            }
            if str_field(f, "doc_id") != Some(doc_id.as_str()) {
                break;
            }
            findings.extend(self.findings.take()?);
        }
        self.head = Some(DocRecords {
            doc,
            facts,
            findings,
            path,
            piece,
            sha256,
        });
        Ok(())
    }

    /// Every fact and finding must have belonged to a document read.
    fn check_drained(&mut self) -> Result<(), MergeError> {
        if self.facts.peek()?.is_some() {
            return Err(input_err(format!(
                "{}: a fact of a document that is not in documents.jsonl (or out of order): records of {} are inconsistent",
                self.facts.where_(),
                self.dir.display()
            )));
        }
        while let Some(f) = self.findings.peek()? {
            if !is_cross(f) {
                return Err(input_err(format!(
                    "{}: a finding of a document that is not in documents.jsonl (or out of order): records of {} are inconsistent",
                    self.findings.where_(),
                    self.dir.display()
                )));
            }
            self.findings.take()?;
        }
        Ok(())
    }
}

/// Walk order: the walk sorts paths by their bytes (for UTF-8 paths the
/// bytes of the path as written), then pieces in order.
fn walk_cmp(a: &(String, u64), b: &(String, u64)) -> std::cmp::Ordering {
    a.0.as_bytes()
        .cmp(b.0.as_bytes())
        .then_with(|| a.1.cmp(&b.1))
}

/// What a shard's `run.json` says that the merge needs.
struct ShardRun {
    inputs: Vec<String>,
    totals: RunTotals,
    rejected: Vec<Rejected>,
    skipped: Vec<Rejected>,
}

fn static_stage(s: &str) -> Option<&'static str> {
    ["walk", "read", "ingest", "internal"]
        .into_iter()
        .find(|k| *k == s)
}

fn refusals(run: &Value, key: &str, file: &Path) -> Result<Vec<Rejected>, MergeError> {
    let bad = || {
        input_err(format!(
            "{}: `{key}` is not a list of refusals",
            file.display()
        ))
    };
    let list = run.get(key).and_then(Value::as_array).ok_or_else(bad)?;
    list.iter()
        .map(|r| {
            let s = |k: &str| str_field(r, k).map(str::to_string).ok_or_else(bad);
            Ok(Rejected {
                path: s("path")?,
                stage: str_field(r, "stage")
                    .and_then(static_stage)
                    .ok_or_else(bad)?,
                code: s("code")?,
                reason: s("reason")?,
            })
        })
        .collect()
}

/// Check one shard folder and read its run.json.
fn open_shard(dir: &Path) -> Result<ShardRun, MergeError> {
    let shown = dir.display();
    let meta =
        std::fs::metadata(dir).map_err(|e| input_err(format!("{shown}: cannot open: {e}")))?;
    if !meta.is_dir() {
        let mut head = [0u8; 16];
        let is_sqlite = File::open(dir)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok()
            && head.starts_with(b"SQLite format 3\0");
        return Err(input_err(if is_sqlite {
            format!(
                "{shown} is a SQLite store: merge reads the records a run writes, so pass the shard's output folder (the one holding run.json and records/), not its zongjie.db"
            )
        } else {
            format!("{shown} is a file, not the output folder of a zongjie run")
        }));
    }
    let rec = dir.join("records");
    for name in RECORD_FILES {
        let p = rec.join(name);
        if !p.is_file() {
            let tmp = rec.join(format!("{name}.tmp"));
            return Err(input_err(if tmp.exists() {
                format!(
                    "{shown}: the run did not finish ({} exists but not {name}): run that shard again",
                    tmp.display()
                )
            } else {
                format!("{shown} is not the output folder of a zongjie run: no records/{name}")
            }));
        }
    }
    let run_path = dir.join("run.json");
    let bytes = std::fs::read(&run_path).map_err(|e| {
        input_err(format!(
            "{shown} is not the output folder of a finished zongjie run: cannot read run.json: {e}"
        ))
    })?;
    let run: Value = serde_json::from_slice(&bytes)
        .map_err(|e| input_err(format!("{}: not valid JSON: {e}", run_path.display())))?;
    let version = str_field(&run, "zongjie_version").ok_or_else(|| {
        input_err(format!(
            "{} has no zongjie_version: not written by zongjie run",
            run_path.display()
        ))
    })?;
    let ours = env!("CARGO_PKG_VERSION");
    if version != ours {
        return Err(input_err(format!(
            "{shown} was written by zongjie {version}, this is zongjie {ours}: records of different versions may differ, so run every shard with the same zongjie"
        )));
    }
    let count = |k: &str| -> Result<u64, MergeError> {
        run.get(k).and_then(Value::as_u64).ok_or_else(|| {
            input_err(format!(
                "{}: `{k}` missing or not a count",
                run_path.display()
            ))
        })
    };
    let totals = RunTotals {
        files_seen: count("files_seen")? as usize,
        files_ok: count("files_ok")? as usize,
        files_rejected: count("files_rejected")? as usize,
        input_bytes: run.get("input_bytes").and_then(Value::as_u64).unwrap_or(0),
        ..Default::default()
    };
    let inputs = run
        .get("inputs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(ShardRun {
        inputs,
        totals,
        rejected: refusals(&run, "rejected", &run_path)?,
        skipped: refusals(&run, "skipped", &run_path)?,
    })
}

/// Byte offsets of every char of a text, and its length at the end, so a
/// record's code-point offsets map back to byte spans.
struct ByteIndex(Vec<usize>);

impl ByteIndex {
    fn new(text: &str) -> Self {
        let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        v.push(text.len());
        ByteIndex(v)
    }
    fn byte(&self, c: &Value) -> Option<usize> {
        let c = usize::try_from(c.as_u64()?).ok()?;
        self.0.get(c).copied()
    }
    fn span(&self, rec: &Value) -> Option<Span> {
        let s = self.byte(rec.get("start")?)?;
        let e = self.byte(rec.get("end")?)?;
        (s <= e).then_some(Span { start: s, end: e })
    }
}

fn opt_string(v: &Value, key: &str) -> Option<String> {
    str_field(v, key).map(str::to_string)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn parse_approx(s: &str) -> Option<Approx> {
    Some(match s {
        "exact" => Approx::Exact,
        "more_than" => Approx::MoreThan,
        "about" => Approx::About,
        "at_least" => Approx::AtLeast,
        "at_most" => Approx::AtMost,
        "less_than" => Approx::LessThan,
        _ => return None,
    })
}

fn parse_level(s: &str) -> Option<PlaceLevel> {
    Some(match s {
        "province" => PlaceLevel::Province,
        "prefecture" => PlaceLevel::Prefecture,
        "county" => PlaceLevel::County,
        "township" => PlaceLevel::Township,
        "village" => PlaceLevel::Village,
        _ => return None,
    })
}

fn parse_severity(s: &str) -> Option<Severity> {
    Some(match s {
        "info" => Severity::Info,
        "warning" => Severity::Warning,
        "error" => Severity::Error,
        _ => return None,
    })
}

fn fact_from_record(r: &Value, idx: &ByteIndex) -> Option<Fact> {
    let span = idx.span(r)?;
    let data = match str_field(r, "kind")? {
        "date" => FactData::Date(DateFact {
            value: opt_string(r, "value")?,
            year_inferred: flag(r, "year_inferred"),
            relative: flag(r, "relative"),
            placeholder: flag(r, "placeholder"),
        }),
        "count" => FactData::Count(CountFact {
            value: match r.get("value")? {
                Value::Null => None,
                v => Some(v.as_f64()?),
            },
            approx: parse_approx(str_field(r, "approx")?)?,
            unit: opt_string(r, "unit"),
            placeholder: flag(r, "placeholder"),
        }),
        "activity" => FactData::Activity(ActivityFact {
            type_id: opt_string(r, "value")?,
            status: match str_field(r, "status")? {
                "done" => Status::Done,
                "planned" => Status::Planned,
                _ => return None,
            },
        }),
        "place" => FactData::Place(PlaceFact {
            name: opt_string(r, "value")?,
            level: parse_level(str_field(r, "level")?)?,
            code: opt_string(r, "code"),
        }),
        "org" => FactData::Org(OrgFact {
            name: opt_string(r, "value")?,
            category: opt_string(r, "category")?,
        }),
        _ => return None,
    };
    Some(Fact { span, data })
}

fn finding_from_record(
    r: &Value,
    idx: &ByteIndex,
    fact_ids: &HashMap<&str, usize>,
) -> Option<Finding> {
    let rule = str_field(r, "rule")?;
    let rule = crate::audit::RULES.iter().find(|x| x.0 == rule)?.0;
    let related = r
        .get("related")?
        .as_array()?
        .iter()
        .map(|s| idx.span(s))
        .collect::<Option<Vec<Span>>>()?;
    let facts = r
        .get("facts")?
        .as_array()?
        .iter()
        .map(|id| fact_ids.get(id.as_str()?).copied())
        .collect::<Option<Vec<usize>>>()?;
    let others = r
        .get("others")?
        .as_array()?
        .iter()
        .map(|o| {
            Some(OtherRef {
                doc_id: opt_string(o, "doc_id")?,
                start: o.get("start")?.as_u64()? as usize,
                end: o.get("end")?.as_u64()? as usize,
            })
        })
        .collect::<Option<Vec<OtherRef>>>()?;
    Some(Finding {
        rule,
        severity: parse_severity(str_field(r, "severity")?)?,
        message: opt_string(r, "message")?,
        span: idx.span(r)?,
        related_spans: related,
        facts,
        others,
    })
}

/// Rebuild the document a run analysed from its records: what the records
/// leave out (paragraphs, sentences) is recomputed as the pipeline does,
/// from the text and the sections. `None` when a record lacks a field or
/// holds a value this zongjie does not write.
pub fn document_from_records(doc: &Value, facts: &[Value], findings: &[Value]) -> Option<Document> {
    let text = opt_string(doc, "text")?;
    let idx = ByteIndex::new(&text);
    let src = doc.get("source")?;
    let source = Source {
        path: opt_string(src, "path")?,
        piece: src.get("piece")?.as_u64()? as usize,
        pieces: src.get("pieces")?.as_u64()? as usize,
        format: match str_field(src, "format")? {
            "txt" => Format::Txt,
            "docx" => Format::Docx,
            _ => return None,
        },
        sha256: opt_string(src, "sha256")?,
        encoding: opt_string(src, "encoding")?,
        piece_header: opt_string(src, "piece_header"),
        // Not written to records and read by no sink.
        offset_in_file: 0,
    };
    let region = match doc.get("region")? {
        Value::Null => None,
        r => Some(Region {
            province: opt_string(r, "province"),
            prefecture: opt_string(r, "prefecture"),
            county: opt_string(r, "county"),
            township: opt_string(r, "township"),
            code: opt_string(r, "code"),
        }),
    };
    let sections = doc
        .get("sections")?
        .as_array()?
        .iter()
        .map(|s| {
            let extent = idx.span(s)?;
            let heading_end = idx.byte(s.get("heading_end")?)?;
            // A heading is the first line of its section's extent.
            (extent.start <= heading_end).then_some(())?;
            Some(Section {
                level: u8::try_from(s.get("level")?.as_u64()?).ok()?,
                title: opt_string(s, "title")?,
                heading: Span {
                    start: extent.start,
                    end: heading_end,
                },
                extent,
            })
        })
        .collect::<Option<Vec<Section>>>()?;
    let paragraphs = crate::segment::paragraphs(&text, &sections);
    let sentences = crate::segment::sentences(&text, &paragraphs);
    let fact_list = facts
        .iter()
        .map(|f| fact_from_record(f, &idx))
        .collect::<Option<Vec<Fact>>>()?;
    // Findings name facts by id; a run writes the facts of a document in
    // order, so the record's position is the fact's index.
    let mut fact_ids: HashMap<&str, usize> = HashMap::with_capacity(facts.len());
    for (i, r) in facts.iter().enumerate() {
        fact_ids.entry(str_field(r, "fact_id")?).or_insert(i);
    }
    let finding_list = findings
        .iter()
        .map(|f| finding_from_record(f, &idx, &fact_ids))
        .collect::<Option<Vec<Finding>>>()?;
    let year = match doc.get("year")? {
        Value::Null => None,
        y => Some(i32::try_from(y.as_i64()?).ok()?),
    };
    let year_source = match doc.get("year_source")? {
        Value::Null => None,
        s => Some(
            ["given", "text"]
                .into_iter()
                .find(|k| Some(*k) == s.as_str())?,
        ),
    };
    Some(Document {
        doc_id: opt_string(doc, "doc_id")?,
        source,
        title: opt_string(doc, "title"),
        text,
        year,
        year_source,
        region,
        sections,
        paragraphs,
        sentences,
        facts: fact_list,
        findings: finding_list,
        scanned_figures: None,
    })
}

/// True when writing the rebuilt document gives back exactly the records it
/// was rebuilt from.
fn rebuilt_faithfully(doc: &Document, recs: &DocRecords) -> bool {
    let idx = CharIndex::new(&doc.text);
    emit::document_record(doc, &idx) == recs.doc
        && doc.facts.len() == recs.facts.len()
        && doc
            .facts
            .iter()
            .zip(&recs.facts)
            .all(|(f, r)| emit::fact_record(&doc.doc_id, &doc.text, &idx, f) == *r)
        && doc.findings.len() == recs.findings.len()
        && doc
            .findings
            .iter()
            .zip(&recs.findings)
            .all(|(f, r)| emit::finding_record(doc, &idx, f) == *r)
}

/// `same bytes as ORIGINAL, already read: …`: the original a duplicate names.
const DUP_PREFIX: &str = "same bytes as ";
const DUP_SUFFIX: &str = ", already read: its documents are recorded once";

fn duplicate_reason(original: &str) -> String {
    format!("{DUP_PREFIX}{original}{DUP_SUFFIX}")
}

/// The whole `zongjie merge`: check the shard folders, merge their records
/// in walk order, recompute the cross-document audit, write records, store,
/// reports, digests, audit report and run.json under `opts.out_dir`.
pub fn merge(opts: &MergeOptions, data: &crate::data::DataDir) -> Result<RunSummary, MergeError> {
    let t0 = Instant::now();
    if opts.shards.is_empty() {
        return Err(input_err("no shard folders given"));
    }
    let mut runs = Vec::with_capacity(opts.shards.len());
    let mut canon: Vec<PathBuf> = Vec::with_capacity(opts.shards.len());
    for dir in &opts.shards {
        runs.push(open_shard(dir)?);
        let c = std::fs::canonicalize(dir)
            .map_err(|e| input_err(format!("{}: cannot open: {e}", dir.display())))?;
        if let Some(i) = canon.iter().position(|x| *x == c) {
            return Err(input_err(format!(
                "{} and {} are the same folder: each shard must be given once",
                opts.shards[i].display(),
                dir.display()
            )));
        }
        canon.push(c);
    }
    if let Ok(out) = std::fs::canonicalize(&opts.out_dir) {
        if let Some(i) = canon.iter().position(|x| *x == out) {
            return Err(input_err(format!(
                "the output folder {} is the shard folder {}: merge into a new folder",
                opts.out_dir.display(),
                opts.shards[i].display()
            )));
        }
    }
    let mut readers = opts
        .shards
        .iter()
        .map(|d| ShardReader::open(d))
        .collect::<Result<Vec<_>, _>>()?;

    // Every shard walks the same inputs; a single run over them names them once.
    let mut inputs: Vec<String> = Vec::new();
    for r in &runs {
        for i in &r.inputs {
            if !inputs.contains(i) {
                inputs.push(i.clone());
            }
        }
    }
    if runs.iter().any(|r| r.inputs != runs[0].inputs) {
        eprintln!(
            "zongjie: warning: the shards were run on different inputs; the merge covers them all: {}",
            inputs.join(" ")
        );
    }

    let out_err = |e: std::io::Error| {
        MergeError::Other(anyhow::anyhow!(
            "output folder {} is not writable: {e}",
            opts.out_dir.display()
        ))
    };
    std::fs::create_dir_all(&opts.out_dir).map_err(out_err)?;
    let startup = t0.elapsed();
    let t_proc = Instant::now();
    let run_opts = RunOptions {
        inputs: inputs.iter().map(PathBuf::from).collect(),
        out_dir: opts.out_dir.clone(),
        db: opts.db.clone(),
        no_db: opts.no_db,
        render: opts.render.clone(),
        ..Default::default()
    };
    let (mut sink, outputs) =
        crate::batch::open_sinks(&run_opts, data).map_err(|e| MergeError::Other(e.into()))?;

    let mut totals = RunTotals::default();
    let mut rejected: Vec<Rejected> = Vec::new();
    for r in &runs {
        totals.files_seen += r.totals.files_seen;
        totals.files_ok += r.totals.files_ok;
        totals.files_rejected += r.totals.files_rejected;
        totals.input_bytes += r.totals.input_bytes;
        rejected.extend(r.rejected.iter().cloned());
    }
    // A run reads the first copy of identical files (in walk order) and
    // rejects the others; copies in different shards were each read there.
    let mut first_of_sha: HashMap<String, String> = HashMap::new();
    let mut sha_of_path: HashMap<String, String> = HashMap::new();
    let mut current: Option<(String, bool)> = None; // (path, dropped)
    let mut write_time = std::time::Duration::ZERO;
    loop {
        let mut best: Option<usize> = None;
        for (i, r) in readers.iter().enumerate() {
            let Some(h) = &r.head else { continue };
            let Some(b) = best else {
                best = Some(i);
                continue;
            };
            let bh = readers[b].head.as_ref().map(|x| (x.path.clone(), x.piece));
            let key = (h.path.clone(), h.piece);
            match bh.as_ref().map(|bk| walk_cmp(&key, bk)) {
                Some(std::cmp::Ordering::Less) => best = Some(i),
                Some(std::cmp::Ordering::Equal) => {
                    return Err(input_err(format!(
                        "{} (piece {}) is in both {} and {}: the same shard given twice, or shards of different runs (another --shard N)",
                        key.0,
                        key.1,
                        opts.shards[b].display(),
                        opts.shards[i].display()
                    )))
                }
                _ => {}
            }
        }
        let Some(i) = best else { break };
        let recs = readers[i]
            .head
            .take()
            .ok_or_else(|| MergeError::Other(anyhow::anyhow!("internal: shard head vanished")))?;
        readers[i].advance()?;

        let new_file = current.as_ref().is_none_or(|(p, _)| *p != recs.path);
        if new_file {
            let dropped = match first_of_sha.get(&recs.sha256) {
                Some(orig) if *orig != recs.path => {
                    rejected.push(Rejected {
                        path: recs.path.clone(),
                        stage: "ingest",
                        code: "duplicate".into(),
                        reason: duplicate_reason(orig),
                    });
                    totals.files_ok = totals.files_ok.saturating_sub(1);
                    totals.files_rejected += 1;
                    // The shard counted the copy's bytes; a single run
                    // counts only those of files it keeps.
                    match std::fs::metadata(&recs.path) {
                        Ok(m) => totals.input_bytes = totals.input_bytes.saturating_sub(m.len()),
                        Err(_) => eprintln!(
                            "zongjie: warning: cannot read the size of {} (a copy of {orig}): input_bytes in run.json counts it",
                            recs.path
                        ),
                    }
                    true
                }
                Some(_) => false,
                None => {
                    first_of_sha.insert(recs.sha256.clone(), recs.path.clone());
                    false
                }
            };
            sha_of_path.insert(recs.path.clone(), recs.sha256.clone());
            current = Some((recs.path.clone(), dropped));
        }
        if current.as_ref().is_some_and(|c| c.1) {
            continue;
        }
        let where_ = || {
            format!(
                "{}: document {} ({} piece {})",
                opts.shards[i].display(),
                str_field(&recs.doc, "doc_id").unwrap_or("?"),
                recs.path,
                recs.piece
            )
        };
        let doc =
            document_from_records(&recs.doc, &recs.facts, &recs.findings).ok_or_else(|| {
                input_err(format!(
                    "{}: its records lack a field or hold a value this zongjie does not write",
                    where_()
                ))
            })?;
        if !rebuilt_faithfully(&doc, &recs) {
            return Err(input_err(format!(
                "{}: its records cannot be rebuilt exactly (edited by hand, or written by another build of zongjie)",
                where_()
            )));
        }
        totals.documents += 1;
        totals.facts += doc.facts.len();
        totals.findings += doc.findings.len();
        totals.text_bytes += doc.text.len() as u64;
        let t = Instant::now();
        sink.document(&doc)?;
        write_time += t.elapsed();
    }
    let t = Instant::now();
    sink.finish()?;
    write_time += t.elapsed();
    totals.findings += sink.cross_count;

    // A shard's duplicates name the copy that shard read; a single run
    // names the first copy of all.
    for r in rejected.iter_mut().filter(|r| r.code == "duplicate") {
        let orig = r
            .reason
            .strip_prefix(DUP_PREFIX)
            .and_then(|s| s.strip_suffix(DUP_SUFFIX));
        let first = orig
            .and_then(|o| sha_of_path.get(o))
            .and_then(|sha| first_of_sha.get(sha));
        if let (Some(o), Some(first)) = (orig, first) {
            if o != first {
                r.reason = duplicate_reason(first);
            }
        }
    }
    // Walk order, as a run lists them (each file is in one shard).
    rejected.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    // Every shard walked the same inputs and met the same skipped paths.
    let mut seen = HashSet::new();
    let mut skipped: Vec<Rejected> = runs
        .iter()
        .flat_map(|r| r.skipped.iter())
        .filter(|s| seen.insert((s.path.clone(), s.stage, s.code.clone(), s.reason.clone())))
        .cloned()
        .collect();
    skipped.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));

    let summary = RunSummary {
        zongjie_version: env!("CARGO_PKG_VERSION"),
        inputs,
        out_dir: opts.out_dir.to_string_lossy().into_owned(),
        jobs: rayon::current_num_threads(),
        totals,
        rejected,
        skipped,
        timings_ms: Timings {
            startup: startup.as_millis(),
            walk: 0,
            process_and_write: t_proc.elapsed().as_millis(),
            write: write_time.as_millis(),
            total: t0.elapsed().as_millis(),
        },
        peak_rss_bytes: batch::peak_rss_bytes(),
        outputs,
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| MergeError::Other(e.into()))?;
    let path = opts.out_dir.join("run.json");
    batch::write_atomic(&path, &json)
        .map_err(|e| MergeError::Other(anyhow::anyhow!("writing {}: {e}", path.display())))?;
    Ok(summary)
}

//! Reports and digests regenerated from the records.
//!
//! Per document: `DIR/reports/<doc_id>.md` and `.docx`, from templates fed
//! the document's facts and findings (never its text beyond the facts' own
//! surfaces). Per county and year, and overall: `DIR/digest/…/digest.md`,
//! `.html` (inline SVG charts), `.docx` and `.xlsx`. The .docx files are
//! laid out as Chinese official documents (GB/T 9704-2012, see [`docx`]).
//!
//! The render sink sees documents in input order on the writer thread; it
//! builds the report model there (cheap), spills it as a JSON line, and
//! spills each document's digest detail likewise, keeping only a small
//! [`DocHead`] per document in memory. At the
//! end of the run, once the cross-document findings are known, the models
//! are read back in batches and the reports formatted and written on the
//! rayon pool, each once; then the digests.

pub mod digest;
pub mod docx;
mod heads;
pub mod manifest;
pub mod model;
pub mod svg;
pub mod templates;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::audit::spill::{BufferedTempFile, TempFile};
use crate::batch::Sink;
use crate::data::{DataDir, DataError};
use crate::model::Document;
use digest::{Details, DocHead, GroupRow};
use manifest::{Manifest, ManifestError};
use model::{BuildContext, FindingView, Placement, ReportModel, UnitClasses};
use templates::{TemplateError, Templates};

/// What to render, from the command line.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// `--templates DIR`: files here override the embedded templates.
    pub templates: Option<PathBuf>,
    /// `--manifest CSV`: path → county, year, unit.
    pub manifest: Option<PathBuf>,
    /// Write per-document reports (`--no-reports` turns them off).
    pub reports: bool,
    /// Write digests.
    pub digests: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            templates: None,
            manifest: None,
            reports: true,
            digests: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Template(#[from] TemplateError),
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("loading data files: {0}")]
    Data(#[from] DataError),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("writing workbook {path}: {message}")]
    Xlsx { path: String, message: String },
}

/// Write a file under a temporary name, then rename it into place: readers
/// never see a half-written report. No fsync: reports are regenerated from
/// the records, and a sync per file would dominate the run's time.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::batch::write_via_temp(path, bytes, false)
}

fn xlsx_err(path: &Path, e: rust_xlsxwriter::XlsxError) -> RenderError {
    RenderError::Xlsx {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// An error of one of the render sink's temporary files, named by what it
/// holds (the I/O error itself names the file).
fn spill_err(what: &'static str) -> impl FnOnce(std::io::Error) -> RenderError {
    move |source| RenderError::Io {
        path: format!("{what} (temporary file)"),
        source,
    }
}

/// Templates, tables and the manifest, shared by all threads.
pub struct Renderer {
    pub templates: Templates,
    units: UnitClasses,
    activity_names: HashMap<String, String>,
    manifest: Manifest,
    /// County name → six-digit code, for names that resolve to one code.
    county_codes: HashMap<String, String>,
}

/// A name fit for a file: content-derived ids are hex already; anything
/// else is replaced by a hash, so nothing can escape the output folder.
pub fn safe_name(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return id.to_string();
    }
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(id.as_bytes()))[..20].to_string()
}

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in s.as_bytes() {
        h ^= *b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h
}

impl Renderer {
    pub fn new(opts: &RenderOptions, data: &DataDir) -> Result<Self, RenderError> {
        let templates = Templates::load(opts.templates.as_deref())?;
        let manifest = match &opts.manifest {
            Some(p) => Manifest::load(p)?,
            None => Manifest::default(),
        };
        let mut activity_names = HashMap::new();
        for (_, _, line) in data.file("activity_types.tsv")?.lines() {
            let mut cols = line.split('\t');
            if let (Some(id), Some(name)) = (cols.next(), cols.next()) {
                if !id.starts_with('@') && name != "-" && !name.is_empty() {
                    activity_names.insert(id.to_string(), name.to_string());
                }
            }
        }
        let mut county_codes: HashMap<String, String> = HashMap::new();
        let mut ambiguous: Vec<String> = Vec::new();
        for (_, _, line) in data.file("counties.tsv")?.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 || cols.get(3).is_some_and(|m| !m.is_empty()) {
                continue;
            }
            match county_codes.get(cols[1]) {
                Some(c) if c != cols[0] => ambiguous.push(cols[1].to_string()),
                _ => {
                    county_codes.insert(cols[1].to_string(), cols[0].to_string());
                }
            }
        }
        for a in ambiguous {
            county_codes.remove(&a);
        }
        Ok(Renderer {
            templates,
            units: UnitClasses::embedded(),
            activity_names,
            manifest,
            county_codes,
        })
    }

    /// Where a document belongs: the text first, the manifest where the
    /// text does not say.
    pub fn placement(&self, doc: &Document) -> Placement {
        let mut p = model::placement_from_text(doc);
        if let Some(m) = self.manifest.get(&doc.source.path) {
            if p.unit.is_none() && m.unit.is_some() {
                p.unit = m.unit.clone();
                p.unit_from = Some("manifest");
            }
            if p.county.is_none() {
                if let Some(c) = &m.county {
                    p.county = Some(c.clone());
                    p.county_from = Some("manifest");
                    p.county_code = if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) {
                        Some(c.clone())
                    } else {
                        self.county_codes.get(c).cloned()
                    };
                }
            }
            if p.year.is_none() && m.year.is_some() {
                p.year = m.year;
                p.year_from = Some("manifest");
            }
        }
        // A provincial or prefectural report (a province's government work
        // report) is grouped under its province or prefecture, not with
        // the texts that name no place at all: where neither its text nor
        // the manifest names a county.
        if p.county.is_none() {
            if let Some(r) = &doc.region {
                let name = r.prefecture.as_ref().or(r.province.as_ref());
                if let (Some(name), Some(code)) = (name, model::code6(r)) {
                    p.county = Some(name.clone());
                    p.county_code = Some(code);
                    p.county_from = Some("text");
                }
            }
        }
        p
    }

    /// The folder name of a document's county.
    pub fn county_key(p: &Placement) -> String {
        match (&p.county_code, &p.county) {
            (Some(c), _) => safe_name(c),
            (None, Some(name)) => format!("n{:08x}", fnv(name)),
            (None, None) => "unknown".into(),
        }
    }

    pub fn report(&self, doc: &Document) -> ReportModel {
        let ctx = BuildContext {
            units: &self.units,
            activity_names: &self.activity_names,
        };
        model::build_report(doc, self.placement(doc), &ctx)
    }

    /// Write `<doc_id>.md` and `<doc_id>.docx` into `dir` from a report
    /// model as a template value (one value serves both templates).
    pub fn write_report(
        &self,
        dir: &Path,
        doc_id: &str,
        ctx: &minijinja::Value,
    ) -> Result<(), RenderError> {
        let name = safe_name(doc_id);
        let md = self.templates.render_value("report.md.j2", ctx)?;
        let p = dir.join(format!("{name}.md"));
        write_atomic(&p, md.as_bytes()).map_err(io_err(&p))?;
        let layout = self.templates.render_value("report.docx.j2", ctx)?;
        let p = dir.join(format!("{name}.docx"));
        let bytes = docx::markdown_to_docx(&layout).map_err(io_err(&p))?;
        write_atomic(&p, &bytes).map_err(io_err(&p))?;
        Ok(())
    }

    /// The Markdown, HTML and Word files of a digest.
    fn write_digest_text(&self, dir: &Path, d: &digest::DigestModel) -> Result<(), RenderError> {
        let md = self.templates.render("digest.md.j2", d)?;
        let p = dir.join("digest.md");
        write_atomic(&p, md.as_bytes()).map_err(io_err(&p))?;
        drop(md);
        let html = self.templates.render("digest.html.j2", d)?;
        let p = dir.join("digest.html");
        write_atomic(&p, html.as_bytes()).map_err(io_err(&p))?;
        drop(html);
        let layout = self.templates.render("digest.docx.j2", d)?;
        let p = dir.join("digest.docx");
        let bytes = docx::markdown_to_docx(&layout).map_err(io_err(&p))?;
        write_atomic(&p, &bytes).map_err(io_err(&p))
    }

    /// Save the workbook of a digest.
    fn write_digest_workbook(
        &self,
        dir: &Path,
        wb: digest::WorkbookBuilder,
    ) -> Result<(), RenderError> {
        let p = dir.join("digest.xlsx");
        // Saved beside and renamed, as write_atomic does, without holding
        // the workbook's bytes in memory.
        let tmp = dir.join("digest.xlsx.tmp");
        let saved = wb
            .save(&tmp)
            .map_err(|e| xlsx_err(&p, e))
            .and_then(|()| std::fs::rename(&tmp, &p).map_err(io_err(&p)));
        if saved.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        saved
    }

    /// All files of a digest. Each document's detail is read back once and
    /// fed to both the model of the text files and the workbook's rows;
    /// then the workbook is compressed and saved while the text files are
    /// formatted, on the pool.
    fn write_digest(&self, job: &DigestJob, details: &Details) -> Result<(), RenderError> {
        let dir = &job.dir;
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let xlsx = dir.join("digest.xlsx");
        let mut wb = digest::WorkbookBuilder::new(&job.title).map_err(|e| xlsx_err(&xlsx, e))?;
        let mut model = digest::ModelBuilder::new();
        let mut failed = None;
        details
            .each(&job.heads, |e, d| {
                if failed.is_none() {
                    failed = wb.add(e, &d).err();
                }
                model.add(e, d);
                Ok(())
            })
            .map_err(spill_err("digest details"))?;
        if let Some(e) = failed {
            return Err(xlsx_err(&xlsx, e));
        }
        let model = model.finish(
            job.heads.len(),
            job.title.clone(),
            job.scope.clone(),
            job.groups.clone(),
        );
        let (saved, text) = rayon::join(
            || self.write_digest_workbook(dir, wb),
            || self.write_digest_text(dir, &model),
        );
        saved.and(text)
    }

    /// Write the overall digest and one per (county, year) under `dir`.
    pub fn write_digests(
        &self,
        dir: &Path,
        groups: &[heads::Group],
        details: &Details,
    ) -> Result<(), RenderError> {
        let year_dir =
            |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_else(|| "unknown".into());
        let county_name =
            |g: &heads::Group| g.county.clone().unwrap_or_else(|| "地区未注明".into());
        let rows: Vec<GroupRow> = groups
            .iter()
            .map(|g| GroupRow {
                county: county_name(g),
                county_key: g.county_key.clone(),
                year: g.year,
                docs: g.members.len(),
                path: format!("{}/{}", g.county_key, year_dir(g.year)),
            })
            .collect();
        let all: Vec<u32> = (0..details.heads.len() as u32).collect();
        let mut jobs: Vec<DigestJob> = vec![DigestJob {
            dir: dir.join("overall"),
            heads: std::borrow::Cow::Owned(all),
            title: "工作总体汇总".into(),
            scope: format!("全部文档（{}个地区、年度分组）", rows.len()),
            groups: rows,
        }];
        for g in groups {
            let (k, y) = (&g.county_key, g.year);
            let county = county_name(g);
            let year = y
                .map(|y| format!("{y}年度"))
                .unwrap_or_else(|| "年度未注明".into());
            let code = if k.len() == 6 {
                format!("（{k}）")
            } else {
                String::new()
            };
            jobs.push(DigestJob {
                dir: dir.join(k).join(year_dir(y)),
                heads: std::borrow::Cow::Borrowed(&g.members),
                title: format!("{county}{year}工作汇总"),
                scope: format!("{county}{code}，{year}"),
                groups: Vec::new(),
            });
        }
        // One task per digest, longest first (the overall one, every
        // document's every figure, then counties by their number of
        // documents), each pool thread taking the next task when it is
        // free: the run ends when the last task does, and with one task
        // handed out at a time no thread is left holding a queue of tasks
        // while another idles (rayon's halving of the list left one thread
        // 0.2 s of CPU behind on 2,000 documents, 30 tasks against 91).
        // Each task reads its documents' details back a block at a time
        // (parsed on the pool), so parallel tasks hold little.
        jobs[1..].sort_by_key(|j| std::cmp::Reverse(j.heads.len()));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failed = std::sync::Mutex::new(None);
        rayon::scope(|scope| {
            for _ in 0..rayon::current_num_threads() {
                scope.spawn(|_| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if let Err(e) = self.write_digest(job, details) {
                        failed
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(e);
                        // The others stop after their current task.
                        next.store(jobs.len(), std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                });
            }
        });
        if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        Ok(())
    }
}

/// One digest: its folder, documents, title, scope and (overall only) the
/// group rows.
struct DigestJob<'a> {
    dir: PathBuf,
    /// Places of its documents' heads ([`heads::HeadFile::head`]).
    heads: std::borrow::Cow<'a, [u32]>,
    title: String,
    scope: String,
    groups: Vec<GroupRow>,
}

/// Digest details ([`digest::encode_detail`]) until the end of the run,
/// and the documents' [`DocHead`]s in a [`heads::HeadFile`]: memory keeps
/// 4 bytes per document until the digests are written (heads held all run
/// long grew it by ~0.4 KB per document). Both files are unlinked as soon
/// as they are open.
struct DetailSpill {
    file: BufferedTempFile,
    heads: heads::HeadFile,
}

impl DetailSpill {
    fn create(dir: &Path) -> Result<Self, RenderError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        Ok(DetailSpill {
            file: BufferedTempFile::create(dir, ".details.bin.tmp").map_err(io_err(dir))?,
            heads: heads::HeadFile::create(dir).map_err(io_err(dir))?,
        })
    }

    /// Write a detail (`bytes`, from [`digest::encode_detail`]), and
    /// `head` with where it starts and its length.
    fn push(&mut self, mut head: DocHead, bytes: &[u8]) -> Result<(), RenderError> {
        head.at = self
            .file
            .append(bytes)
            .map_err(spill_err("digest details"))?;
        head.len = bytes.len();
        self.heads.push(&head).map_err(spill_err("digest heads"))
    }

    /// Flush the details and group the heads (see [`heads::HeadFile::finish`]).
    fn finish(&mut self, cross: &CrossSpill) -> Result<Vec<heads::Group>, RenderError> {
        self.file.flush().map_err(spill_err("digest details"))?;
        self.heads
            .finish(|id| cross.count(id))
            .map_err(spill_err("digest heads"))
    }
}

/// Cross-document findings per document id, kept in a temporary file: one
/// JSON line per run of consecutive findings of one document, and in
/// memory only where each run starts. They arrive at the end of the run,
/// grouped by document, for most documents of an archive; held as views
/// they grew the run's memory with the corpus (~0.4 KB per document).
pub struct CrossSpill {
    file: TempFile,
    /// The document whose findings are being collected, and them.
    open: Option<(String, Vec<FindingView>)>,
    /// Document key → its first run: 32 bytes a document (an id string
    /// and a vector each took ~100).
    runs: HashMap<DocKey, Run>,
    /// Its later runs, if any: findings come grouped by document, so a
    /// document has one run unless its id comes back later.
    more: HashMap<DocKey, Vec<Run>>,
}

/// Where a run of one document's findings starts in the file, its length,
/// and how many findings it holds.
type Run = (u64, u32, u32);

impl CrossSpill {
    fn create(dir: &Path) -> Result<Self, RenderError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        Ok(CrossSpill {
            file: TempFile::create(dir, ".cross-findings.jsonl.tmp").map_err(io_err(dir))?,
            open: None,
            runs: HashMap::new(),
            more: HashMap::new(),
        })
    }

    fn push(&mut self, doc_id: String, finding: FindingView) -> Result<(), RenderError> {
        match &mut self.open {
            Some((id, list)) if *id == doc_id => list.push(finding),
            _ => {
                self.close_run()?;
                self.open = Some((doc_id, vec![finding]));
            }
        }
        Ok(())
    }

    /// Write the findings still collected (before reading back).
    fn close_run(&mut self) -> Result<(), RenderError> {
        let Some((doc_id, list)) = self.open.take() else {
            return Ok(());
        };
        let line = serde_json::to_vec(&list).map_err(|e| self.err(e.into()))?;
        let at = self.file.append(&line).map_err(|e| self.err(e))?;
        let len = u32::try_from(line.len()).unwrap_or(u32::MAX);
        let count = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let key = doc_key(&doc_id);
        match self.runs.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((at, len, count));
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(key).or_default().push((at, len, count));
            }
        }
        Ok(())
    }

    fn err(&self, source: std::io::Error) -> RenderError {
        spill_err("cross-document findings")(source)
    }

    /// How many cross-document findings `doc_id` has.
    pub fn count(&self, doc_id: &str) -> usize {
        self.runs_of(doc_id).map(|&(_, _, n)| n as usize).sum()
    }

    /// The runs of `doc_id`, in the order they were written.
    fn runs_of(&self, doc_id: &str) -> impl Iterator<Item = &Run> {
        let key = doc_key(doc_id);
        let first = self.runs.get(&key);
        // Later runs exist only for an id that has a first one.
        let later = first.and_then(|_| self.more.get(&key));
        first.into_iter().chain(later.into_iter().flatten())
    }

    /// The cross-document findings of `doc_id`, in the order they came.
    pub fn get(&self, doc_id: &str) -> std::io::Result<Vec<FindingView>> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for &(at, len, _) in self.runs_of(doc_id) {
            buf.resize(len as usize, 0);
            self.file.read_at(at, &mut buf)?;
            let list: Vec<FindingView> = serde_json::from_slice(&buf)?;
            out.extend(list);
        }
        Ok(out)
    }
}

/// The sink that writes reports and, at the end, digests.
///
/// Reports are written once, at the end of the run: most documents of an
/// archive get cross-document findings (a figure repeated from another
/// year's report, …) that are only known then, and writing every report
/// early and again then cost twice the work.
pub struct RenderSink {
    renderer: Arc<Renderer>,
    reports_dir: Option<PathBuf>,
    digest_dir: Option<PathBuf>,
    /// The (county, year) groups of the digests, once the last document
    /// is in.
    groups: Vec<heads::Group>,
    details: Option<DetailSpill>,
    /// Report models as JSON lines until the end of the run; memory keeps
    /// only where each line starts.
    spill: Option<Spill>,
    /// Cross-document findings per document id.
    cross: CrossSpill,
}

struct Spill {
    file: BufferedTempFile,
    /// Each model's line length, in input order (4 bytes a document).
    lines: Vec<u32>,
    /// Each model's document key, in input order, on disk: a later
    /// document with the same id replaces the report of an earlier one,
    /// which is found once, when the reports are written. A map of the
    /// keys held while documents came in grew memory where it peaks
    /// (~2.7 MB at 10^5 documents).
    keys: BufferedTempFile,
}

/// A document id in 16 bytes (the start of its SHA-256): the spill keeps
/// one per document all run long, so not a string.
type DocKey = [u8; 16];

fn doc_key(doc_id: &str) -> DocKey {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(doc_id.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&h[..16]);
    k
}

impl Spill {
    fn create(dir: &Path) -> Result<Self, RenderError> {
        Ok(Spill {
            file: BufferedTempFile::create(dir, ".models.jsonl.tmp").map_err(io_err(dir))?,
            lines: Vec::new(),
            keys: BufferedTempFile::create(dir, ".model-keys.tmp").map_err(io_err(dir))?,
        })
    }

    /// A model's line and document key, as [`Spill::push`] takes them.
    fn line(r: &ReportModel) -> Result<(Vec<u8>, DocKey), RenderError> {
        let line = serde_json::to_vec(r).map_err(|e| spill_err("report models")(e.into()))?;
        Ok((line, doc_key(&r.doc_id)))
    }

    fn push(&mut self, line: &[u8], key: &DocKey) -> Result<(), RenderError> {
        let len = u32::try_from(line.len()).map_err(|_| {
            spill_err("report models")(std::io::Error::other("report model over 4 GiB"))
        })?;
        self.file.append(line).map_err(spill_err("report models"))?;
        self.keys.append(key).map_err(spill_err("report models"))?;
        self.lines.push(len);
        Ok(())
    }

    /// The models replaced by a later one with the same document key, by
    /// position in `lines`, sorted (usually none). The keys must have been
    /// flushed.
    fn superseded(&self) -> std::io::Result<Vec<u32>> {
        const K: usize = std::mem::size_of::<DocKey>();
        let mut bytes = vec![0u8; self.keys.len() as usize];
        self.keys.read_at(0, &mut bytes)?;
        let mut keyed: Vec<(DocKey, u32)> = bytes
            .chunks_exact(K)
            .enumerate()
            .map(|(i, k)| {
                let mut key = [0u8; K];
                key.copy_from_slice(k);
                (key, i as u32)
            })
            .collect();
        drop(bytes);
        keyed.sort_unstable();
        // Sorted by key, then position: each model but the last of its key.
        let mut out: Vec<u32> = keyed
            .windows(2)
            .filter(|w| w[0].0 == w[1].0)
            .map(|w| w[0].1)
            .collect();
        out.sort_unstable();
        Ok(out)
    }
}

/// `model` (a report model as a template value) with `more` after its own
/// findings; every other field as it is.
fn with_more_findings(
    model: &minijinja::Value,
    more: &[FindingView],
) -> serde_json::Result<minijinja::Value> {
    use minijinja::Value;
    let findings = model.get_attr("findings").unwrap_or_default();
    let mut list: Vec<Value> = findings.try_iter().into_iter().flatten().collect();
    for f in more {
        // Through JSON, as the model's own findings came: a map, not a
        // struct (whose fields would keep another order).
        list.push(Value::from_serialize(&serde_json::to_value(f)?));
    }
    let mut list = Some(list);
    let keys: Vec<Value> = model.try_iter().into_iter().flatten().collect();
    Ok(keys
        .into_iter()
        .map(|k| {
            let v = match list.take_if(|_| k.as_str() == Some("findings")) {
                Some(list) => Value::from(list),
                None => model.get_item(&k).unwrap_or_default(),
            };
            (k, v)
        })
        .collect())
}

/// The render sink's per-document work, done on the analysis workers (see
/// [`crate::batch::PreparePlan`]): the report model, its spill line and
/// the digest's part of it.
pub struct Preparer {
    renderer: Arc<Renderer>,
    /// Reports are wanted: the model's line.
    model: bool,
    /// Digests are wanted: the head and detail.
    detail: bool,
}

/// What [`Preparer`] made of a document, ready to append to the spills.
pub struct PreparedDoc {
    model: Option<(Vec<u8>, DocKey)>,
    detail: Option<(DocHead, Vec<u8>)>,
}

impl Preparer {
    /// `None` on an error: the sink then prepares the document itself and
    /// reports it.
    pub fn prepare(&self, doc: &Document) -> Option<PreparedDoc> {
        self.prepare_or_fail(doc).ok()
    }

    fn prepare_or_fail(&self, doc: &Document) -> Result<PreparedDoc, RenderError> {
        let r = self.renderer.report(doc);
        let detail = match self.detail {
            true => {
                let (head, detail) = digest::split(&r, Renderer::county_key(&r.placement));
                let bytes = digest::encode_detail(&detail).map_err(spill_err("digest details"))?;
                Some((head, bytes))
            }
            false => None,
        };
        let model = match self.model {
            true => Some(Spill::line(&r)?),
            false => None,
        };
        Ok(PreparedDoc { model, detail })
    }
}

/// Reports formatted at once, at most; bounds the models held.
const BATCH: usize = 256;

impl RenderSink {
    pub fn new(
        renderer: Renderer,
        out_dir: &Path,
        opts: &RenderOptions,
    ) -> Result<Self, RenderError> {
        let reports_dir = opts.reports.then(|| out_dir.join("reports"));
        if let Some(d) = &reports_dir {
            std::fs::create_dir_all(d).map_err(io_err(d))?;
        }
        let spill = match &reports_dir {
            Some(d) => Some(Spill::create(d)?),
            None => None,
        };
        let cross = CrossSpill::create(reports_dir.as_deref().unwrap_or(&out_dir.join("digest")))?;
        Ok(RenderSink {
            spill,
            cross,
            renderer: Arc::new(renderer),
            reports_dir,
            details: match opts.digests {
                true => Some(DetailSpill::create(&out_dir.join("digest"))?),
                false => None,
            },
            digest_dir: opts.digests.then(|| out_dir.join("digest")),
            groups: Vec::new(),
        })
    }

    fn preparer(&self) -> Preparer {
        Preparer {
            renderer: Arc::clone(&self.renderer),
            model: self.spill.is_some(),
            detail: self.details.is_some(),
        }
    }

    /// Read the models back in input order, add their cross-document
    /// findings and write the reports, a batch at a time on the pool. The
    /// reading thread only reads bytes: parsing a model is most of the
    /// per-report work outside formatting, so it is done on the pool too.
    fn write_reports(&self) -> Result<(), RenderError> {
        let (Some(spill), Some(dir)) = (&self.spill, &self.reports_dir) else {
            return Ok(());
        };
        let superseded = spill.superseded().map_err(spill_err("report models"))?;
        let report = |(i, line): &(u32, Vec<u8>)| -> Result<(), RenderError> {
            // Parsed straight into the templates' value: going through a
            // `serde_json::Value` first was 9% of a default run's CPU.
            let model: minijinja::Value =
                serde_json::from_slice(line).map_err(|e| spill_err("report models")(e.into()))?;
            let doc_id = model
                .get_attr("doc_id")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            // A model replaced by a later document with the same id is
            // not written.
            if superseded.binary_search(i).is_ok() {
                return Ok(());
            }
            let found = self.cross.get(&doc_id).map_err(|e| self.cross.err(e))?;
            let model = if found.is_empty() {
                model
            } else {
                with_more_findings(&model, &found)
                    .map_err(|e| spill_err("report models")(e.into()))?
            };
            self.renderer.write_report(dir, &doc_id, &model)
        };
        let mut batch: Vec<(u32, Vec<u8>)> = Vec::with_capacity(BATCH);
        let flush = |batch: &mut Vec<(u32, Vec<u8>)>| {
            let r = batch
                .par_iter()
                .map(&report)
                .collect::<Result<Vec<()>, RenderError>>();
            batch.clear();
            r
        };
        let mut at = 0u64;
        for (i, len) in spill.lines.iter().enumerate() {
            let mut line = vec![0; *len as usize];
            spill
                .file
                .read_at(at, &mut line)
                .map_err(spill_err("report models"))?;
            at += *len as u64;
            batch.push((i as u32, line));
            if batch.len() >= BATCH {
                flush(&mut batch)?;
            }
        }
        flush(&mut batch)?;
        Ok(())
    }

    /// Write the digests under `digest_dir`, once the cross-document
    /// findings are known.
    fn write_digests(&self) -> Result<(), RenderError> {
        let (Some(dir), Some(spill)) = (&self.digest_dir, &self.details) else {
            return Ok(());
        };
        let details = Details {
            file: &spill.file,
            cross: &self.cross,
            heads: &spill.heads,
        };
        self.renderer.write_digests(dir, &self.groups, &details)
    }
}

impl Sink for RenderSink {
    fn document_prepared(
        &mut self,
        doc: &Document,
        prepared: &mut crate::batch::Prepared,
    ) -> anyhow::Result<()> {
        let p = match prepared.render.take() {
            Some(p) => p,
            None => self.preparer().prepare_or_fail(doc)?,
        };
        if let (Some(spill), Some((head, bytes))) = (&mut self.details, p.detail) {
            spill.push(head, &bytes)?;
        }
        if let (Some(spill), Some((line, key))) = (&mut self.spill, p.model) {
            spill.push(&line, &key)?;
        }
        Ok(())
    }

    fn plan(&self, plan: &mut crate::batch::PreparePlan) {
        plan.render = Some(self.preparer());
    }

    fn cross_findings(
        &mut self,
        records: &[crate::audit::cross::CrossFinding],
    ) -> anyhow::Result<()> {
        for rec in records {
            let finding = FindingView {
                severity: rec.severity,
                severity_name: model::severity_zh(rec.severity),
                rule_name: crate::audit::rule_name(&rec.rule),
                rule: rec.rule.clone(),
                message: rec.message.clone(),
                text: rec.text.chars().take(60).collect(),
                start: rec.start as usize,
                section: None,
            };
            let doc_id = rec.doc_id.clone();
            self.cross.push(doc_id, finding)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.cross.close_run()?;
        if let Some(spill) = &mut self.spill {
            spill.file.flush().map_err(spill_err("report models"))?;
            spill.keys.flush().map_err(spill_err("report models"))?;
        }
        if let Some(spill) = &mut self.details {
            self.groups = spill.finish(&self.cross)?;
        }
        // Digests and reports at once on the pool: the digests (their
        // overall workbook first) on this thread, the reports on any other,
        // so no thread waits for one long task while others idle.
        let this = &*self;
        let (digests, reports) = rayon::join(|| this.write_digests(), || this.write_reports());
        reports?;
        digests?;
        self.spill = None;
        self.groups = Vec::new();
        self.details = None;
        Ok(())
    }
}

/// The render sink of a run, or `None` when neither reports nor digests
/// are wanted. Templates and the manifest are loaded here, so their errors
/// stop the run before any document is read.
pub fn open_sink(
    out_dir: &Path,
    opts: &RenderOptions,
    data: &DataDir,
) -> Result<Option<Box<dyn Sink>>, RenderError> {
    if !opts.reports && !opts.digests {
        return Ok(None);
    }
    let renderer = Renderer::new(opts, data)?;
    Ok(Some(Box::new(RenderSink::new(renderer, out_dir, opts)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn view(message: &str) -> FindingView {
        FindingView {
            severity: Severity::Warning,
            severity_name: model::severity_zh(Severity::Warning),
            rule: "repeated_figure".into(),
            rule_name: crate::audit::rule_name("repeated_figure"),
            message: message.into(),
            text: "“3场”".into(),
            start: 7,
            section: None,
        }
    }

    /// Cross-document findings come after the model's own; every other
    /// field, and the order of fields, is kept: the same value as adding
    /// them to the JSON model before converting it.
    #[test]
    fn more_findings_are_appended_to_the_models_own() {
        let json = serde_json::json!({
            "doc_id": "d1",
            "findings": [serde_json::to_value(view("own")).unwrap()],
            "title": "标题",
            "chars": 12,
        });
        let line = serde_json::to_vec(&json).unwrap();
        let model: minijinja::Value = serde_json::from_slice(&line).unwrap();
        let got = with_more_findings(&model, &[view("a"), view("b")]).unwrap();
        let mut want = json;
        for m in ["a", "b"] {
            want["findings"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::to_value(view(m)).unwrap());
        }
        let want = minijinja::Value::from_serialize(&want);
        assert_eq!(got, want);
        assert_eq!(got.to_string(), want.to_string());
        let messages: Vec<String> = got
            .get_attr("findings")
            .unwrap()
            .try_iter()
            .unwrap()
            .map(|f| f.get_attr("message").unwrap().to_string())
            .collect();
        assert_eq!(messages, ["own", "a", "b"]);
    }

    #[test]
    fn cross_spill_gives_back_each_documents_findings_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = CrossSpill::create(dir.path()).unwrap();
        // a, a, b, then a again: a's second run is found too.
        for (id, m) in [("a", "一"), ("a", "二"), ("b", "三"), ("a", "四")] {
            spill.push(id.into(), view(m)).unwrap();
        }
        spill.close_run().unwrap();
        let messages = |id: &str| -> Vec<String> {
            spill
                .get(id)
                .unwrap()
                .into_iter()
                .map(|f| f.message)
                .collect()
        };
        assert_eq!(messages("a"), ["一", "二", "四"]);
        assert_eq!(messages("b"), ["三"]);
        assert!(messages("c").is_empty());
        assert_eq!(
            (spill.count("a"), spill.count("b"), spill.count("c")),
            (3, 1, 0)
        );
        let back = spill.get("b").unwrap().remove(0);
        assert_eq!(
            (back.rule.as_str(), back.start, back.text.as_str()),
            ("repeated_figure", 7, "“3场”")
        );
        // The file is gone from the folder while the spill is open (Unix).
        #[cfg(unix)]
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    fn figure(
        n: usize,
        approx: crate::model::Approx,
        class: Option<model::KeyClass>,
    ) -> model::Figure {
        model::Figure {
            n,
            display: format!("{n}余人次"),
            value: Some(n as f64 + 0.5),
            approx: approx.as_str(),
            approx_zh: model::approx_zh(approx),
            unit: Some("人次".into()),
            class,
            class_name: class.map(model::KeyClass::name_zh),
            base_value: class.map(|_| 1e9 + n as f64),
            base_unit: class.map(|_| "人次".into()),
            text: "培训干部群众3000余人次".into(),
            section: (n % 2 == 0).then(|| "一、主要工作".into()),
            start: 12,
            end: 24,
            planned: n == 2,
            placeholder: n == 3,
            counted: class.is_some(),
        }
    }

    #[test]
    fn detail_spill_gives_back_each_detail_unchanged() {
        use crate::model::Approx;
        let dir = tempfile::tempdir().unwrap();
        let mut cross = CrossSpill::create(dir.path()).unwrap();
        let mut spill = DetailSpill::create(dir.path()).unwrap();
        let mut finding = view("与“2021年报告”重复：3场");
        finding.severity = Severity::Error;
        finding.severity_name = model::severity_zh(Severity::Error);
        finding.section = Some("二、存在问题".into());
        let details = [
            digest::DocDetail {
                activities: vec![
                    ("training".into(), "培训".into(), 3, 0),
                    ("科普".into(), "科普宣传".into(), 0, 2),
                ],
                figures: vec![
                    figure(1, Approx::MoreThan, Some(model::KeyClass::People)),
                    figure(2, Approx::LessThan, None),
                    figure(3, Approx::About, Some(model::KeyClass::Money)),
                    figure(4, Approx::Exact, None),
                ],
                timeline: vec![model::TimelineEvent {
                    date: "2022-09-17".into(),
                    date_zh: "2022年9月17日".into(),
                    doc_id: "a".into(),
                    unit: Some("白沙乡科协".into()),
                    types: vec!["培训".into()],
                    figures: vec!["3000余人次".into()],
                    places: vec!["白沙乡".into(), "😀".into()],
                }],
                findings: vec![finding, view("")],
            },
            digest::DocDetail::default(),
        ];
        let head = |id: &str| DocHead {
            doc_id: id.into(),
            title: "标题".into(),
            unit: None,
            county: None,
            county_key: "unknown".into(),
            year: None,
            source: "x.txt".into(),
            figures: 0,
            findings: 0,
            at: 0,
            len: 0,
            cross: false,
        };
        for (id, d) in ["a", "b"].iter().zip(&details) {
            spill
                .push(head(id), &digest::encode_detail(d).unwrap())
                .unwrap();
        }
        // A cross-document finding arrives for b after its detail.
        cross.push("b".into(), view("跨文档")).unwrap();
        cross.close_run().unwrap();
        // b's cross finding counts once its head is read back.
        let groups = spill.finish(&cross).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members, [0, 1]);
        let reader = Details {
            file: &spill.file,
            cross: &cross,
            heads: &spill.heads,
        };
        let mut buf = Vec::new();
        let heads: Vec<DocHead> = (0..2)
            .map(|p| spill.heads.head(p, &mut buf).unwrap())
            .collect();
        assert_eq!(
            heads
                .iter()
                .map(|h| (h.cross, h.findings))
                .collect::<Vec<_>>(),
            [(false, 0), (true, 1)]
        );
        let back: Vec<digest::DocDetail> = heads
            .iter()
            .map(|h| reader.read(&mut buf, h).unwrap())
            .collect();
        assert_eq!(format!("{:?}", back[0]), format!("{:?}", details[0]));
        assert_eq!(back[0].figures[0].approx, "more_than");
        assert_eq!(back[0].figures[0].class_name, Some("覆盖人群"));
        assert_eq!(back[0].findings[0].rule_name, view("").rule_name);
        assert_eq!(back[1].findings.len(), 1);
        assert_eq!(back[1].findings[0].message, "跨文档");
        // Read out of order and through the block reader, too.
        let mut order = Vec::new();
        reader
            .each(&[1, 0], |h, d| {
                order.push((h.doc_id.clone(), d.figures.len()));
                Ok(())
            })
            .unwrap();
        assert_eq!(order, [("b".to_string(), 0), ("a".to_string(), 4)]);
        // A damaged detail is an error, not a panic.
        assert!(digest::decode_detail(&[0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn a_later_document_with_the_same_id_replaces_the_earlier_report() {
        let out = tempfile::tempdir().unwrap();
        let opts = RenderOptions {
            reports: true,
            digests: false,
            ..RenderOptions::default()
        };
        let renderer = Renderer::new(&opts, &crate::data::DataDir::embedded_only()).unwrap();
        let mut sink = RenderSink::new(renderer, out.path(), &opts).unwrap();
        let doc = |text: &str, path: &str| {
            let mut d = crate::pipeline::document_from_text(text.into(), path);
            d.doc_id = "0123456789abcdef0123".into();
            d
        };
        sink.document(&doc("旧的工作总结\n\n一、开展活动3场。", "a.txt"))
            .unwrap();
        let mut other = doc("另一份总结\n\n一、开展活动5场。", "b.txt");
        other.doc_id = "ffffffffffffffffffff".into();
        sink.document(&other).unwrap();
        sink.document(&doc("新的工作总结\n\n一、开展活动4场。", "c.txt"))
            .unwrap();
        sink.finish().unwrap();
        let reports = out.path().join("reports");
        let md = std::fs::read_to_string(reports.join("0123456789abcdef0123.md")).unwrap();
        assert!(md.contains("c.txt") && !md.contains("a.txt"), "{md}");
        assert!(reports.join("ffffffffffffffffffff.md").exists());
        let mut names: Vec<String> = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "0123456789abcdef0123.docx",
                "0123456789abcdef0123.md",
                "ffffffffffffffffffff.docx",
                "ffffffffffffffffffff.md"
            ]
        );
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("71039b66cd5d4c381c02"), "71039b66cd5d4c381c02");
        for bad in ["../x", "a/b", "", "é", &"a".repeat(65)] {
            let s = safe_name(bad);
            assert_eq!(s.len(), 20);
            assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}

//! The batch job behind `zongjie run`: walk the inputs, process files in
//! parallel, write records in a deterministic order.
//!
//! Files are processed in small tasks on the rayon pool, a bounded number
//! in flight at once, and their results are written in input order, so
//! output is byte-identical whatever the thread count, and memory holds a
//! few tasks' documents at a time however many files there are.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::emit::DocRecords;
use crate::ingest::{self, IngestOptions};
use crate::model::Document;
use crate::pipeline::{AnalyzeOptions, Pipeline};

/// Extensions considered at all; the bytes then decide the format.
const ACCEPTED_EXTENSIONS: &[&str] = &["txt", "docx", "doc", "text", "docm"];

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    /// Worker threads; `None` lets rayon decide (all cores, or RAYON_NUM_THREADS).
    pub jobs: Option<usize>,
    pub ingest: IngestOptions,
    pub analyze: AnalyzeOptions,
    /// Files larger than this are rejected before being read.
    pub max_file_bytes: u64,
    /// Show a progress bar (only drawn when standard error is a terminal).
    pub progress: bool,
    /// Keep this share of the inputs: (k, n) with 1 <= k <= n.
    pub shard: Option<(u64, u64)>,
    /// The SQLite store to import into (`--db`); default `OUT/zongjie.db`.
    pub db: Option<PathBuf>,
    /// Write no SQLite store.
    pub no_db: bool,
    /// Reports and digests (`--templates`, `--manifest`, `--no-reports`).
    pub render: crate::render::RenderOptions,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            inputs: Vec::new(),
            out_dir: PathBuf::from("out"),
            jobs: None,
            ingest: IngestOptions::default(),
            analyze: AnalyzeOptions::default(),
            max_file_bytes: 64 << 20,
            progress: true,
            shard: None,
            db: None,
            no_db: false,
            render: crate::render::RenderOptions::default(),
        }
    }
}

/// A file that yielded no document, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejected {
    pub path: String,
    /// Which stage refused it: `walk`, `read`, `ingest`, `internal`.
    pub stage: &'static str,
    /// Short stable code (`legacy_doc`, `bad_docx`, `undecodable`, …).
    pub code: String,
    /// What is wrong, for a person.
    pub reason: String,
}

/// One input file found by walking.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as written to records (lossy for non-UTF-8 names).
    pub display: String,
}

/// Walk inputs (files and folders, recursively), sorted; folders' symlinks
/// to directories are not followed (no loops).
pub fn walk(inputs: &[PathBuf]) -> (Vec<InputFile>, Vec<Rejected>) {
    let (files, skipped) = walk_list(inputs);
    ((0..files.len()).map(|i| files.get(i)).collect(), skipped)
}

/// [`walk`] into a [`FileList`], as a run keeps it.
pub fn walk_list(inputs: &[PathBuf]) -> (FileList, Vec<Rejected>) {
    walk_list_except(inputs, None)
}

/// [`walk_list`] that does not enter the folder `out` (the run's output
/// folder): a run whose output lies inside its input would read its own
/// reports back as documents on the next run.
pub fn walk_list_except(inputs: &[PathBuf], out: Option<&Path>) -> (FileList, Vec<Rejected>) {
    let mut files = FileList::default();
    let mut skipped = Vec::new();
    // Compared as canonical paths; an output folder that does not exist
    // yet holds nothing to skip.
    let out = out.and_then(|o| std::fs::canonicalize(o).ok());
    let walk = Walk {
        out: out.as_deref(),
    };
    for input in inputs {
        match std::fs::metadata(input) {
            Ok(m) if m.is_dir() => walk.dir(input, &mut files, &mut skipped, 0),
            Ok(m) if m.is_file() => consider_file(input, &mut files, &mut skipped),
            // A FIFO or a device named on the command line (`x.txt` linked
            // to /dev/zero) would block or never end when read.
            Ok(_) => skipped.push(rejected(
                input,
                "walk",
                "not_a_file",
                "not a regular file: skipped".into(),
            )),
            Err(e) => skipped.push(rejected(
                input,
                "walk",
                "unreadable",
                format!("cannot access: {e}"),
            )),
        }
    }
    files.sort_dedup();
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    (files, skipped)
}

/// The files a run reads, in walk order, in little memory: on Unix every
/// path's bytes in one buffer and where each ends, the path as written to
/// records made again when it is needed. A run keeps this list from the
/// walk to the end; as a [`PathBuf`] and a display [`String`] per file
/// (two allocations and 48 bytes of handles) it grew the run's memory by
/// ~170 bytes a file, as much again as its path.
#[derive(Debug, Default, Clone)]
pub struct FileList {
    /// The paths' bytes, one after another.
    #[cfg(unix)]
    bytes: Vec<u8>,
    /// Where each path ends in `bytes`.
    #[cfg(unix)]
    ends: Vec<u64>,
    /// Elsewhere a path cannot be rebuilt from its bytes without unsafe
    /// code: the paths themselves.
    #[cfg(not(unix))]
    paths: Vec<PathBuf>,
}

impl FileList {
    pub fn len(&self) -> usize {
        #[cfg(unix)]
        return self.ends.len();
        #[cfg(not(unix))]
        return self.paths.len();
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            self.bytes.extend_from_slice(path.as_os_str().as_bytes());
            self.ends.push(self.bytes.len() as u64);
        }
        #[cfg(not(unix))]
        self.paths.push(path.to_path_buf());
    }

    /// Path `i`.
    pub fn path(&self, i: usize) -> &Path {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let start = match i {
                0 => 0,
                _ => self.ends[i - 1] as usize,
            };
            Path::new(std::ffi::OsStr::from_bytes(
                &self.bytes[start..self.ends[i] as usize],
            ))
        }
        #[cfg(not(unix))]
        {
            &self.paths[i]
        }
    }

    /// Path `i` as written to records ([`display_path`]).
    pub fn display(&self, i: usize) -> String {
        display_path(self.path(i))
    }

    /// File `i` with its path and display path.
    pub fn get(&self, i: usize) -> InputFile {
        let path = self.path(i);
        InputFile {
            path: path.to_path_buf(),
            display: display_path(path),
        }
    }

    /// The files for which `keep` (given a file's display path) holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let order: Vec<usize> = (0..self.len())
            .filter(|&i| keep(&self.display(i)))
            .collect();
        *self = self.reordered(&order);
    }

    /// Sorted by the paths' bytes, each path once.
    fn sort_dedup(&mut self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| self.path(a).as_os_str().cmp(self.path(b).as_os_str()));
        order.dedup_by(|a, b| self.path(*a) == self.path(*b));
        *self = self.reordered(&order);
    }

    /// The files at `order`, in that order.
    fn reordered(&self, order: &[usize]) -> FileList {
        let mut out = FileList::default();
        #[cfg(unix)]
        {
            let bytes = order.iter().map(|&i| self.path(i).as_os_str().len()).sum();
            out.bytes.reserve_exact(bytes);
            out.ends.reserve_exact(order.len());
        }
        for &i in order {
            out.push(self.path(i));
        }
        out
    }
}

/// A path as written to records and run.json. UTF-8 paths are written as
/// they are; in a path that is not UTF-8 each byte that is not part of a
/// UTF-8 character becomes `\xNN` and a backslash becomes `\\`, so two
/// different non-UTF-8 names never print the same (a lossy conversion
/// would turn both `\xFF.txt` and `\xFE.txt` into `\u{FFFD}.txt`).
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if let Ok(s) = std::str::from_utf8(bytes) {
            return s.to_string();
        }
        let mut out = String::with_capacity(bytes.len() + 8);
        for chunk in bytes.utf8_chunks() {
            out.push_str(&chunk.valid().replace('\\', "\\\\"));
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

fn rejected(path: &Path, stage: &'static str, code: &str, reason: String) -> Rejected {
    Rejected {
        path: display_path(path),
        stage,
        code: code.to_string(),
        reason,
    }
}

fn consider_file(path: &Path, files: &mut FileList, skipped: &mut Vec<Rejected>) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext {
        Some(e) if ACCEPTED_EXTENSIONS.contains(&e.as_str()) => files.push(path),
        _ => skipped.push(rejected(
            path,
            "walk",
            "unsupported_type",
            "not a .txt or .docx file: skipped".into(),
        )),
    }
}

/// What a folder walk leaves out.
struct Walk<'a> {
    /// The run's output folder, canonical.
    out: Option<&'a Path>,
}

impl Walk<'_> {
    fn dir(&self, dir: &Path, files: &mut FileList, skipped: &mut Vec<Rejected>, depth: usize) {
        if self
            .out
            .is_some_and(|out| std::fs::canonicalize(dir).is_ok_and(|d| d == out))
        {
            skipped.push(rejected(
                dir,
                "walk",
                "output_folder",
                "the run's own output folder: not read".into(),
            ));
            return;
        }
        if depth > 64 {
            skipped.push(rejected(
                dir,
                "walk",
                "too_deep",
                "folder nesting deeper than 64: not walked".into(),
            ));
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(rejected(
                    dir,
                    "walk",
                    "unreadable",
                    format!("cannot read folder: {e}"),
                ));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => paths.push(e.path()),
                Err(e) => skipped.push(rejected(
                    dir,
                    "walk",
                    "unreadable",
                    format!("cannot list folder: {e}"),
                )),
            }
        }
        paths.sort();
        for p in paths {
            let link = std::fs::symlink_metadata(&p)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => {
                    if link {
                        skipped.push(rejected(
                            &p,
                            "walk",
                            "symlinked_folder",
                            "symbolic link to a folder: not followed".into(),
                        ));
                    } else {
                        self.dir(&p, files, skipped, depth + 1);
                    }
                }
                Ok(m) if m.is_file() => consider_file(&p, files, skipped),
                Ok(_) => skipped.push(rejected(
                    &p,
                    "walk",
                    "not_a_file",
                    "not a regular file: skipped".into(),
                )),
                Err(e) => skipped.push(rejected(
                    &p,
                    "walk",
                    "unreadable",
                    format!("cannot access: {e}"),
                )),
            }
        }
    }
}

/// What processing one file gave.
pub struct FileResult {
    pub index: usize,
    pub documents: Vec<Document>,
    pub rejected: Option<Rejected>,
    pub bytes: u64,
    /// What the sinks' plan prepared for each document on the worker
    /// thread (empty: the writer does that work instead).
    pub prepared: Vec<Prepared>,
}

/// Read and ingest one file (its documents are analyzed after, with the
/// other files of its task: see [`process_files`]). Never panics outward: a
/// panic inside a stage becomes a rejection with the panic message.
fn ingest_file(opts: &RunOptions, index: usize, file: &InputFile) -> FileResult {
    let mut result = FileResult {
        index,
        documents: Vec::new(),
        rejected: None,
        bytes: 0,
        prepared: Vec::new(),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ingest_inner(opts, file))) {
        Ok(Ok((docs, bytes))) => {
            result.documents = docs;
            result.bytes = bytes;
        }
        Ok(Err(r)) => result.rejected = Some(r),
        Err(panic) => result.rejected = Some(internal_error(&file.path, panic)),
    }
    result
}

/// The rejection for a panic caught while processing a file.
fn internal_error(path: &Path, panic: Box<dyn std::any::Any + Send>) -> Rejected {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    rejected(
        path,
        "internal",
        "internal_error",
        format!("internal error while processing (please report): {msg}"),
    )
}

/// Files per analysis task: their documents go through each stage together
/// ([`Pipeline::analyze_many`]), which keeps each stage's tables in cache
/// (analysis CPU per document falls ~1.15× in batches of 16 generated
/// documents, ~1.4× in batches of 64, against one at a time), while a
/// chunk still splits into enough tasks to keep every thread busy.
const FILES_PER_TASK: usize = 8;

/// Analysis tasks a run keeps in flight or waiting to be written, per
/// thread: enough that a thread finding its task done always finds another
/// queued while the writer catches up; each holds its documents alive.
const TASKS_IN_FLIGHT_PER_THREAD: usize = 4;

/// Input bytes that end a task early and that one permit of the window
/// covers: a task of large files takes a permit per `TASK_BYTES` (all of
/// them at most, so it then runs alone). Memory is several times a file's
/// text, and three 60 MB files in one task peaked at 2.2 GB; report-sized
/// files never come near it.
const TASK_BYTES: u64 = 4 << 20;

/// The next task of a run, out of `left` files: how many files it takes
/// (FILES_PER_TASK, or fewer once they come to TASK_BYTES; at least one)
/// and how many of the `window`'s permits it holds (one per TASK_BYTES
/// begun, between 1 and `window`). `size(i)`: the i-th file's bytes.
fn next_task(left: usize, window: usize, mut size: impl FnMut(usize) -> u64) -> (usize, usize) {
    let (mut n, mut bytes) = (0, 0u64);
    while n < left && n < FILES_PER_TASK && bytes < TASK_BYTES {
        bytes += size(n);
        n += 1;
    }
    (n, (bytes.div_ceil(TASK_BYTES) as usize).clamp(1, window))
}

/// A finished task: its number (in input order), the window's permits it
/// holds, and its files' results, or the panic that stopped it.
type TaskDone = (usize, usize, std::thread::Result<Vec<FileResult>>);

/// Read, ingest and analyze a run of files, their documents analyzed
/// together. Never panics outward: if the joint analysis panics, each
/// file's documents are analyzed again alone, so the panic rejects only the
/// file that caused it (analysis sets every field it fills, so redoing it is
/// safe). `ingested` holds the first of the files already ingested (in
/// order, by [`ingest_ahead`]).
fn process_files(
    pipeline: &Pipeline,
    opts: &RunOptions,
    first_index: usize,
    files: &[InputFile],
    mut ingested: Vec<FileResult>,
) -> Vec<FileResult> {
    let done = ingested.len();
    ingested.extend(
        files
            .iter()
            .enumerate()
            .skip(done)
            .map(|(i, f)| ingest_file(opts, first_index + i, f)),
    );
    let mut results = ingested;
    let together = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut docs: Vec<&mut Document> = results
            .iter_mut()
            .flat_map(|r| r.documents.iter_mut())
            .collect();
        pipeline.analyze_in_batches(&mut docs, &opts.analyze);
    }));
    if together.is_err() {
        for (r, f) in results.iter_mut().zip(files) {
            if r.documents.is_empty() {
                continue;
            }
            let alone = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut docs: Vec<&mut Document> = r.documents.iter_mut().collect();
                pipeline.analyze_in_batches(&mut docs, &opts.analyze);
            }));
            if let Err(panic) = alone {
                r.documents.clear();
                r.bytes = 0;
                r.rejected = Some(internal_error(&f.path, panic));
            }
        }
    }
    results
}

fn ingest_inner(opts: &RunOptions, file: &InputFile) -> Result<(Vec<Document>, u64), Rejected> {
    let meta = std::fs::metadata(&file.path).map_err(|e| {
        rejected(
            &file.path,
            "read",
            "unreadable",
            format!("cannot read file: {e}"),
        )
    })?;
    if meta.len() > opts.max_file_bytes {
        return Err(rejected(
            &file.path,
            "read",
            "too_large",
            format!(
                "file is {} bytes, over the limit of {} bytes (--max-file-size)",
                meta.len(),
                opts.max_file_bytes
            ),
        ));
    }
    let bytes = std::fs::read(&file.path).map_err(|e| {
        rejected(
            &file.path,
            "read",
            "unreadable",
            format!("cannot read file: {e}"),
        )
    })?;
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(rejected(
            &file.path,
            "read",
            "too_large",
            "file grew over the size limit while read".into(),
        ));
    }
    let docs = ingest::ingest_bytes(&file.display, &bytes, &opts.ingest)
        .map_err(|e| rejected(&file.path, "ingest", e.code(), e.to_string()))?;
    // The documents own their text now: the raw bytes (as large as the
    // file) need not live through analysis.
    Ok((docs, bytes.len() as u64))
}

/// Per-document work the sinks want done on the analysis workers instead
/// of on the writer thread, which is serial (documents go out in input
/// order): [`run_files`] asks the sinks once ([`Sink::plan`]), then each
/// worker prepares its own documents.
#[derive(Default)]
pub struct PreparePlan {
    /// JSON Lines records ([`DocRecords`]).
    pub records: bool,
    /// With each fact's typed fields ([`DocRecords::fact_fields`]).
    pub fact_fields: bool,
    /// What the cross-document index takes from a document.
    pub cross: bool,
    /// The render sink's per-document lines.
    pub render: Option<crate::render::Preparer>,
}

impl PreparePlan {
    /// Everything the plan asks for, for one document. A part that fails
    /// is left out: the sink then does it itself and reports the error.
    pub fn prepare(&self, doc: &Document) -> Prepared {
        Prepared {
            records: self
                .records
                .then(|| DocRecords::build(doc, self.fact_fields).ok().map(Arc::new))
                .flatten(),
            cross: self
                .cross
                .then(|| crate::audit::cross::Observation::of(doc)),
            render: self.render.as_ref().and_then(|r| r.prepare(doc)),
        }
    }
}

/// What was prepared for one document (see [`PreparePlan`]); each sink
/// takes its part, or does the work itself when the part is missing
/// (documents handed over one at a time, outside [`run_files`]).
#[derive(Default)]
pub struct Prepared {
    pub records: Option<Arc<DocRecords>>,
    pub cross: Option<crate::audit::cross::Observation>,
    pub render: Option<crate::render::PreparedDoc>,
}

impl Prepared {
    /// The document's records, built now (with the facts' typed fields)
    /// if they were not (once for all the sinks that write them).
    pub fn records(&mut self, doc: &Document) -> anyhow::Result<Arc<DocRecords>> {
        if let Some(r) = &self.records {
            return Ok(Arc::clone(r));
        }
        let r = Arc::new(DocRecords::build(doc, true)?);
        self.records = Some(Arc::clone(&r));
        Ok(r)
    }
}

/// Consumers of finished documents, called in input order on one thread.
pub trait Sink {
    /// A document with nothing prepared.
    fn document(&mut self, doc: &Document) -> anyhow::Result<()> {
        self.document_prepared(doc, &mut Prepared::default())
    }
    /// A document with what the workers prepared for it by this sink's
    /// [`Sink::plan`] (the sink takes its parts out).
    fn document_prepared(&mut self, doc: &Document, prepared: &mut Prepared) -> anyhow::Result<()>;
    /// Ask for per-document work to be done on the workers.
    fn plan(&self, _plan: &mut PreparePlan) {}
    /// Findings that involve several documents (found once all documents are
    /// seen), as `findings.jsonl` records; called once, before `finish`.
    fn cross_findings(
        &mut self,
        _records: &[crate::audit::cross::CrossFinding],
    ) -> anyhow::Result<()> {
        Ok(())
    }
    /// Called once after the last document.
    fn finish(&mut self) -> anyhow::Result<()>;
    /// Called once before `finish` by [`Sinks`]: a sink whose last work
    /// runs on a thread of its own starts it here and returns true, and
    /// [`Sinks`] then calls its `finish` (which waits for that work) after
    /// the other sinks' `finish`, so the two overlap.
    fn finish_start(&mut self) -> anyhow::Result<bool> {
        Ok(false)
    }
}

/// Several sinks fed the same documents in turn.
pub struct Sinks(pub Vec<Box<dyn Sink>>);

impl Sink for Sinks {
    fn document_prepared(&mut self, doc: &Document, prepared: &mut Prepared) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|s| s.document_prepared(doc, prepared))
    }
    fn plan(&self, plan: &mut PreparePlan) {
        for s in &self.0 {
            s.plan(plan);
        }
    }
    fn cross_findings(
        &mut self,
        records: &[crate::audit::cross::CrossFinding],
    ) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|s| s.cross_findings(records))
    }
    fn finish(&mut self) -> anyhow::Result<()> {
        let mut started = Vec::with_capacity(self.0.len());
        for s in self.0.iter_mut() {
            started.push(s.finish_start()?);
        }
        let mut done = self
            .0
            .iter_mut()
            .zip(&started)
            .filter(|(_, bg)| !**bg)
            .try_for_each(|(s, _)| s.finish());
        // Sinks finishing in the background are waited for even when
        // another sink failed, so their threads end cleanly.
        for (s, _) in self.0.iter_mut().zip(&started).filter(|(_, bg)| **bg) {
            let r = s.finish();
            if done.is_ok() {
                done = r;
            }
        }
        done
    }
}

/// Totals of a run, written to run.json.
#[derive(Debug, Default, Serialize)]
pub struct RunTotals {
    pub files_seen: usize,
    pub files_ok: usize,
    pub files_rejected: usize,
    pub documents: usize,
    pub facts: usize,
    pub findings: usize,
    pub input_bytes: u64,
    pub text_bytes: u64,
}

/// Process every file; hand documents to `sink` in input order.
pub fn run_files(
    pipeline: &Pipeline,
    opts: &RunOptions,
    files: &FileList,
    pre: Vec<FileResult>,
    sink: &mut dyn Sink,
) -> anyhow::Result<(RunTotals, Vec<Rejected>, Duration)> {
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::with_draw_target(
            Some(files.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let threads = rayon::current_num_threads();
    // Tasks of FILES_PER_TASK files go to the rayon pool one at a time, in
    // input order, and this thread writes their results in input order as
    // they come back. Writing is serial (records go out in input order), so
    // it runs beside the analysis rather than between rounds of it; and no
    // worker waits for another (chunks of tasks analyzed round by round left
    // a thread idle at the end of every round: 1.7–1.8 cores busy of 2).
    // At most `window` tasks are in flight or waiting to be written, so
    // memory holds that many tasks' documents however many files there are.
    let window = threads * TASKS_IN_FLIGHT_PER_THREAD;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<TaskDone>();
    // A counting semaphore: a token goes in before a task starts and comes
    // out once its results are written.
    let (permit_tx, permit_rx) = std::sync::mpsc::sync_channel::<()>(window);
    // The sinks' per-document work (records, report models, what the
    // cross-document index keeps) is done on the workers too, for the same
    // reason.
    let mut plan = PreparePlan::default();
    sink.plan(&mut plan);
    let plan = &plan;
    let mut task_panic = None;
    let mut writer = Writer {
        files,
        sink: &mut *sink,
        bar: &bar,
        seen: std::collections::HashMap::new(),
        totals: RunTotals {
            files_seen: files.len(),
            ..Default::default()
        },
        rejected: Vec::new(),
        write_time: Duration::ZERO,
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let producer = scope.spawn(move || {
            let mut pre = pre.into_iter().peekable();
            rayon::in_place_scope(|s| {
                let mut first = 0;
                for t in 0.. {
                    if first >= files.len() {
                        break;
                    }
                    // The task's files with their paths made again (the
                    // list keeps only their bytes): FILES_PER_TASK, or
                    // fewer when they come to TASK_BYTES. A size that
                    // cannot be read counts for nothing; reading will say.
                    let (task_len, permits) = next_task(files.len() - first, window, |i| {
                        std::fs::metadata(files.path(first + i)).map_or(0, |m| m.len())
                    });
                    let task: Vec<InputFile> =
                        (first..first + task_len).map(|i| files.get(i)).collect();
                    // The writer stopped (an output error): start no more.
                    if (0..permits).any(|_| permit_tx.send(()).is_err()) {
                        break;
                    }
                    // Those of the files that were ingested while the
                    // pipeline was built.
                    let mut ready = Vec::new();
                    while let Some(r) = pre.next_if(|r| r.index < first + task.len()) {
                        ready.push(r);
                    }
                    let done_tx = done_tx.clone();
                    s.spawn(move |_| {
                        // A panic is sent on as a result: the writer waits
                        // for every task in turn and would wait forever.
                        let results =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                let mut results =
                                    process_files(pipeline, opts, first, &task, ready);
                                for r in &mut results {
                                    r.prepared =
                                        r.documents.iter().map(|d| plan.prepare(d)).collect();
                                    // Read by the preparation; the sinks
                                    // need them no more.
                                    for d in &mut r.documents {
                                        d.scanned_figures = None;
                                    }
                                }
                                results
                            }));
                        // The writer stopped: nobody wants the results.
                        let _ = done_tx.send((t, permits, results));
                    });
                    first += task_len;
                }
            });
        });
        // The receivers go to the writer, so they are dropped when it
        // returns, however it returns: that unblocks the producer.
        let written = writer.write_in_order(done_rx, permit_rx, &mut task_panic);
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        written
    })?;
    if let Some(panic) = task_panic {
        std::panic::resume_unwind(panic);
    }
    let Writer {
        totals,
        rejected,
        mut write_time,
        ..
    } = writer;
    bar.finish_and_clear();
    let t = Instant::now();
    sink.finish()?;
    write_time += t.elapsed();
    Ok((totals, rejected, write_time))
}

/// The files read so far: the first 16 bytes of the SHA-256 of their bytes
/// → their index in the run's file list (20 bytes a file, not two strings;
/// two different files share 128 bits of SHA-256 with odds of ~2^-64 even
/// among 2^32 files; the render spill's `DocKey` keeps 16 bytes of a
/// SHA-256 too).
type SeenFiles = std::collections::HashMap<[u8; 16], u32>;

/// A file's [`SeenFiles`] key from the hex SHA-256 of its bytes.
fn seen_key(hex: &str) -> [u8; 16] {
    let mut key = [0u8; 16];
    key.copy_from_slice(&sha_key(hex)[..16]);
    key
}

/// The 32 bytes of a hex SHA-256 (anything else is hashed, so distinct
/// strings still give distinct keys).
fn sha_key(hex: &str) -> [u8; 32] {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut key = [0u8; 32];
    let b = hex.as_bytes();
    if b.len() == 64 {
        let mut ok = true;
        for (i, k) in key.iter_mut().enumerate() {
            match (nibble(b[2 * i]), nibble(b[2 * i + 1])) {
                (Some(h), Some(l)) => *k = h << 4 | l,
                _ => ok = false,
            }
        }
        if ok {
            return key;
        }
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(hex.as_bytes()).into()
}

/// The writing half of [`run_files`]: where it hands documents and what it
/// counts.
struct Writer<'a> {
    files: &'a FileList,
    sink: &'a mut dyn Sink,
    bar: &'a indicatif::ProgressBar,
    /// Document ids come from the file's bytes, so a second copy of a file
    /// (the same report filed in two folders) would repeat every id: it is
    /// rejected, naming the copy that was read (the first in walk order).
    seen: SeenFiles,
    totals: RunTotals,
    rejected: Vec<Rejected>,
    write_time: Duration,
}

impl Writer<'_> {
    /// Takes finished tasks and writes them in input order. The receivers
    /// are dropped when it returns, however it returns: that unblocks the
    /// producer. A task's panic is handed back in `task_panic`.
    fn write_in_order(
        &mut self,
        done: std::sync::mpsc::Receiver<TaskDone>,
        permits: std::sync::mpsc::Receiver<()>,
        task_panic: &mut Option<Box<dyn std::any::Any + Send>>,
    ) -> anyhow::Result<()> {
        // Tasks finished ahead of the next one to write, by task number.
        let mut ahead: std::collections::BTreeMap<usize, (usize, Vec<FileResult>)> =
            Default::default();
        let mut next = 0;
        for (t, permits_held, results) in done.iter() {
            match results {
                Ok(results) => ahead.insert(t, (permits_held, results)),
                Err(panic) => {
                    *task_panic = Some(panic);
                    return Ok(());
                }
            };
            while let Some((permits_held, results)) = ahead.remove(&next) {
                next += 1;
                self.write_task(results)?;
                // Its tokens went in before it started, so this never waits.
                for _ in 0..permits_held {
                    let _ = permits.recv();
                }
            }
        }
        Ok(())
    }

    /// Rejects duplicate files and hands one task's documents to the sink.
    fn write_task(&mut self, results: Vec<FileResult>) -> anyhow::Result<()> {
        let Writer {
            files,
            sink,
            bar,
            seen,
            totals,
            rejected,
            write_time,
        } = self;
        let t = Instant::now();
        for mut r in results {
            if let Some(first) = r.documents.first() {
                let key = seen_key(&first.source.sha256);
                match seen.get(&key) {
                    Some(&original) => {
                        let original = files.display(original as usize);
                        r.rejected = Some(Rejected {
                        path: files.display(r.index),
                        stage: "ingest",
                        code: "duplicate".into(),
                        reason: format!(
                            "same bytes as {original}, already read: its documents are recorded once"
                        ),
                    });
                        r.documents.clear();
                        r.prepared.clear();
                    }
                    None => {
                        // Indexes fit: a run of over 4 × 10^9 files would
                        // not fit in memory anyway.
                        seen.insert(key, r.index as u32);
                    }
                }
            }
            match r.rejected {
                Some(rej) => {
                    totals.files_rejected += 1;
                    rejected.push(rej);
                }
                None => {
                    totals.files_ok += 1;
                    totals.input_bytes += r.bytes;
                    for (i, doc) in r.documents.iter().enumerate() {
                        totals.documents += 1;
                        totals.facts += doc.facts.len();
                        totals.findings += doc.findings.len();
                        totals.text_bytes += doc.text.len() as u64;
                        match r.prepared.get_mut(i) {
                            Some(prepared) => sink.document_prepared(doc, prepared)?,
                            None => sink.document(doc)?,
                        }
                    }
                }
            }
            bar.inc(1);
        }
        *write_time += t.elapsed();
        Ok(())
    }
}

/// Writes documents.jsonl, facts.jsonl and findings.jsonl under `records/`,
/// each under a temporary name until the run completes.
pub struct JsonlSink {
    documents: crate::emit::jsonl::JsonlWriter,
    facts: crate::emit::jsonl::JsonlWriter,
    findings: crate::emit::jsonl::JsonlWriter,
}

impl JsonlSink {
    pub fn create(records_dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(records_dir)?;
        use crate::emit::jsonl::JsonlWriter;
        Ok(JsonlSink {
            documents: JsonlWriter::create(&records_dir.join("documents.jsonl"))?,
            facts: JsonlWriter::create(&records_dir.join("facts.jsonl"))?,
            findings: JsonlWriter::create(&records_dir.join("findings.jsonl"))?,
        })
    }
}

impl Sink for JsonlSink {
    fn document_prepared(&mut self, doc: &Document, prepared: &mut Prepared) -> anyhow::Result<()> {
        use anyhow::Context;
        let records = prepared.records(doc)?;
        self.documents
            .write_line(&records.document.line)
            .with_context(|| self.documents.describe("writing"))?;
        for r in &records.facts {
            self.facts
                .write_line(&r.line)
                .with_context(|| self.facts.describe("writing"))?;
        }
        for r in &records.findings {
            self.findings
                .write_line(&r.line)
                .with_context(|| self.findings.describe("writing"))?;
        }
        Ok(())
    }
    fn plan(&self, plan: &mut PreparePlan) {
        plan.records = true;
    }
    fn cross_findings(
        &mut self,
        records: &[crate::audit::cross::CrossFinding],
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        for r in records {
            self.findings
                .write(r)
                .with_context(|| self.findings.describe("writing"))?;
        }
        Ok(())
    }
    fn finish(&mut self) -> anyhow::Result<()> {
        use anyhow::Context;
        for w in [&mut self.documents, &mut self.facts, &mut self.findings] {
            w.finish_in_place()
                .with_context(|| w.describe("finishing"))?;
        }
        Ok(())
    }
}

/// The run summary written to `run.json`.
#[derive(Debug, Serialize)]
pub struct RunSummary {
    pub zongjie_version: &'static str,
    pub inputs: Vec<String>,
    pub out_dir: String,
    pub jobs: usize,
    #[serde(flatten)]
    pub totals: RunTotals,
    /// Files that yielded no document, with the reason.
    pub rejected: Vec<Rejected>,
    /// Paths met while walking that were not considered (wrong type, links).
    pub skipped: Vec<Rejected>,
    pub timings_ms: Timings,
    /// Peak resident memory of the process (Linux VmHWM), in bytes.
    pub peak_rss_bytes: Option<u64>,
    pub outputs: Vec<String>,
}

/// Peak resident set size of this process, where the OS tells it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Wall-clock milliseconds per phase.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    /// Building the pipeline's tables (dictionaries, gazetteer).
    pub startup: u128,
    /// Walking the inputs, at the same time as the start-up.
    pub walk: u128,
    pub process_and_write: u128,
    pub write: u128,
    pub total: u128,
}

/// Errors that stop a run (as opposed to bad input files, which do not).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no input files found (of {0} path(s) given); see run.json for what was skipped")]
    NoInputs(usize),
    #[error("output folder {path} is not writable: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
    #[error("loading data files: {0}")]
    Data(#[from] crate::data::DataError),
    // Transparent: the anyhow chain is printed once (`{0}` plus the
    // source chain printed it twice).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Write a file atomically: temporary name, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_via_temp(path, bytes, true)
}

/// Write `bytes` under `path` + `.tmp`, then rename it into place, so a
/// reader never sees a half-written file. `sync` adds an fsync before the
/// rename (for records a rerun relies on; reports can skip it).
pub fn write_via_temp(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    if sync {
        f.sync_all()?;
    }
    drop(f);
    std::fs::rename(&tmp, path)
}

/// The writers a run (and a merge) feeds, in order: records, the store,
/// reports and digests, wrapped in the audit's cross-document pass; and the
/// outputs they write, as run.json lists them.
pub fn open_sinks(
    opts: &RunOptions,
    data: &crate::data::DataDir,
) -> Result<(crate::audit::AuditSink<Sinks>, Vec<String>), RunError> {
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(
        JsonlSink::create(&opts.out_dir.join("records")).map_err(|e| RunError::Output {
            path: opts.out_dir.display().to_string(),
            source: e,
        })?,
    )];
    let mut outputs: Vec<String> = [
        "records/documents.jsonl",
        "records/facts.jsonl",
        "records/findings.jsonl",
        "audit/index.html",
        "audit/audit.md",
    ]
    .map(String::from)
    .to_vec();
    if let Some(store) = crate::store::open_sink(opts)? {
        sinks.push(store);
        outputs.push(match &opts.db {
            Some(p) => p.to_string_lossy().into_owned(),
            None => crate::store::DEFAULT_FILE.into(),
        });
    }
    if let Some(render) = crate::render::open_sink(&opts.out_dir, &opts.render, data)
        .map_err(|e| RunError::Other(e.into()))?
    {
        sinks.push(render);
        if opts.render.reports {
            outputs.push("reports/".into());
        }
        if opts.render.digests {
            outputs.push("digest/".into());
        }
    }
    // The audit wrapper keeps a small cross-document index as documents are
    // written, and at the end passes its findings to the sinks and writes
    // the readable report under OUT/audit.
    let sink = crate::audit::AuditSink::new(Sinks(sinks), opts.out_dir.join("audit"));
    Ok((sink, outputs))
}

/// The whole `zongjie run`: walk, process, write records and run.json.
pub fn run(opts: &RunOptions, data: &crate::data::DataDir) -> Result<RunSummary, RunError> {
    let t0 = Instant::now();
    let out_err = |e: std::io::Error| RunError::Output {
        path: opts.out_dir.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(&opts.out_dir).map_err(out_err)?;
    // The dictionaries and the gazetteer are built on threads of their own
    // (jieba's alone is 120-160 ms on one thread) while this one walks the
    // inputs (10^5 files took 170-190 ms) and then reads and ingests the
    // first files, which need no dictionary: on two threads the start-up
    // was a fifth of a records-only run of 2,000 documents with a core idle.
    let pipeline_ready = std::sync::atomic::AtomicBool::new(false);
    let (files, skipped, found, walk_time, pipeline, startup, pre) = std::thread::scope(|scope| {
        let builder = scope.spawn(|| {
            let pipeline = Pipeline::new(data);
            pipeline_ready.store(true, std::sync::atomic::Ordering::Release);
            (pipeline, t0.elapsed())
        });
        let t = Instant::now();
        let (mut files, skipped) = walk_list_except(&opts.inputs, Some(&opts.out_dir));
        let walk_time = t.elapsed();
        // A shard that draws no file is not an error (few files, many
        // shards): a scheduler would fail the whole array job for it.
        let found = files.len();
        if let Some((k, n)) = opts.shard {
            files.retain(|display| shard_of(display, n) == k - 1);
        }
        let pre = ingest_ahead(opts, &files, &pipeline_ready);
        let (pipeline, startup) = builder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (files, skipped, found, walk_time, pipeline, startup, pre)
    });
    let pipeline = pipeline?;
    let t_proc = Instant::now();
    let (mut sink, outputs) = open_sinks(opts, data)?;
    let (mut totals, rejected, write_time) = run_files(&pipeline, opts, &files, pre, &mut sink)?;
    totals.findings += sink.cross_count;
    let summary = RunSummary {
        zongjie_version: env!("CARGO_PKG_VERSION"),
        inputs: opts
            .inputs
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        out_dir: opts.out_dir.to_string_lossy().into_owned(),
        jobs: rayon::current_num_threads(),
        totals,
        rejected,
        skipped,
        timings_ms: Timings {
            startup: startup.as_millis(),
            walk: walk_time.as_millis(),
            process_and_write: t_proc.elapsed().as_millis(),
            write: write_time.as_millis(),
            total: t0.elapsed().as_millis(),
        },
        peak_rss_bytes: peak_rss_bytes(),
        outputs,
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| RunError::Other(e.into()))?;
    write_atomic(&opts.out_dir.join("run.json"), &json).map_err(|e| RunError::Output {
        path: opts.out_dir.join("run.json").display().to_string(),
        source: e,
    })?;
    if found == 0 {
        return Err(RunError::NoInputs(opts.inputs.len()));
    }
    Ok(summary)
}

/// Most text that [`ingest_ahead`] holds: a bound on its memory whatever
/// the files (at ~40 MB/s of ingest it is reached only if the pipeline
/// takes most of a second to build).
const INGEST_AHEAD_TEXT_BYTES: usize = 32 << 20;

/// The first files of the run read and ingested, in order, until `ready`
/// is set (the pipeline is built) or [`INGEST_AHEAD_TEXT_BYTES`] of text
/// are held; [`run_files`] analyzes them as it would have ingested them.
/// None when the process has one core to run on.
fn ingest_ahead(
    opts: &RunOptions,
    files: &FileList,
    ready: &std::sync::atomic::AtomicBool,
) -> Vec<FileResult> {
    let mut out = Vec::new();
    // On one core (a machine's, or a run pinned to one) reading ahead
    // only takes time from the build it waits for.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return out;
    }
    let mut held = 0;
    for i in 0..files.len() {
        if held >= INGEST_AHEAD_TEXT_BYTES || ready.load(std::sync::atomic::Ordering::Acquire) {
            break;
        }
        let r = ingest_file(opts, i, &files.get(i));
        held += r.documents.iter().map(|d| d.text.len()).sum::<usize>();
        out.push(r);
    }
    out
}

/// Which of `n` shards a path belongs to: a hash of the path, stable across
/// machines (FNV-1a, not std's randomized hasher).
pub fn shard_of(path: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in path.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h % n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_key_decodes_hex_and_keeps_other_strings_apart() {
        let hex = "00ff10ab".repeat(8);
        let k = sha_key(&hex);
        assert_eq!(&k[..4], &[0x00, 0xff, 0x10, 0xab]);
        assert_eq!(sha_key(&hex.to_uppercase()), k);
        // Not hex, or not 64 chars: hashed, and distinct from each other.
        let odd = "zz".repeat(32);
        assert_ne!(sha_key(&odd), sha_key(&"zy".repeat(32)));
        assert_ne!(sha_key("abc"), sha_key("abd"));
    }

    /// Files ingested ahead (while the pipeline is built) are analyzed as if
    /// they had been ingested in their task: the same records whether none,
    /// a prefix ending inside a task, or all of them were read ahead.
    #[test]
    fn records_are_the_same_whatever_was_ingested_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        crate::gen::write_corpus(
            &crate::gen::CorpusSpec {
                documents: 60,
                seed: 5,
                ..Default::default()
            },
            &corpus,
        )
        .unwrap();
        let (files, _) = walk_list(&[corpus]);
        assert!(files.len() > FILES_PER_TASK * 2, "several tasks");
        let pipeline = Pipeline::new(&crate::data::DataDir::embedded_only()).unwrap();
        let data = crate::data::DataDir::embedded_only();
        let mut outputs = Vec::new();
        for ahead in [0, 1, FILES_PER_TASK + 3, files.len()] {
            let opts = RunOptions {
                out_dir: dir.path().join(format!("out-{ahead}")),
                progress: false,
                no_db: true,
                render: crate::render::RenderOptions {
                    reports: false,
                    digests: false,
                    ..Default::default()
                },
                ..Default::default()
            };
            std::fs::create_dir_all(&opts.out_dir).unwrap();
            let pre: Vec<FileResult> = (0..ahead)
                .map(|i| ingest_file(&opts, i, &files.get(i)))
                .collect();
            let (mut sink, _) = open_sinks(&opts, &data).unwrap();
            let (totals, rejected, _) =
                run_files(&pipeline, &opts, &files, pre, &mut sink).unwrap();
            assert!(rejected.is_empty());
            assert_eq!(totals.files_seen, files.len());
            let read = |name: &str| std::fs::read(opts.out_dir.join("records").join(name)).unwrap();
            outputs.push((ahead, read("documents.jsonl"), read("facts.jsonl")));
        }
        let (_, docs, facts) = &outputs[0];
        assert!(docs.len() > 1000 && facts.len() > 1000);
        for (ahead, d, f) in &outputs[1..] {
            assert!(d == docs && f == facts, "{ahead} files read ahead");
        }
    }

    /// A panic while a task's documents are analyzed together rejects only
    /// the file that caused it, as `internal_error`; the other files of the
    /// task are analyzed alone and keep their documents and facts.
    #[test]
    fn large_files_make_short_tasks_holding_more_of_the_window() {
        const MB: u64 = 1 << 20;
        let task = |sizes: &[u64]| next_task(sizes.len(), 8, |i| sizes[i]);
        // Report-sized files: FILES_PER_TASK of them, one permit.
        assert_eq!(task(&[10_000; 20]), (FILES_PER_TASK, 1));
        assert_eq!(task(&[10_000; 3]), (3, 1));
        // A large file ends its task; it holds a permit per TASK_BYTES.
        assert_eq!(task(&[1000, 9 * MB, 1000]), (2, 3));
        assert_eq!(task(&[60 * MB, 1000]), (1, 8));
        assert_eq!(task(&[4 * MB, 1000]), (1, 1));
        // Unknown sizes (0) and empty inputs still make progress.
        assert_eq!(task(&[0; 9]), (FILES_PER_TASK, 1));
        assert_eq!(next_task(1, 2, |_| u64::MAX), (1, 2));
    }

    #[test]
    fn a_panic_in_joint_analysis_rejects_only_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let body = "2023年县科协举办科普讲座12场，参加群众3000余人次。\n";
        for (name, text) in [
            ("a.txt", body.to_string()),
            (
                "b.txt",
                format!("{body}{}\n", crate::pipeline::TEST_PANIC_MARK),
            ),
            ("c.txt", body.to_string()),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let (files, skipped) = walk(&[dir.path().to_path_buf()]);
        assert!(skipped.is_empty());
        assert_eq!(files.len(), 3);
        let pipeline = Pipeline::new(&crate::data::DataDir::embedded_only()).unwrap();
        let results = process_files(&pipeline, &RunOptions::default(), 0, &files, Vec::new());
        assert_eq!(results.len(), 3);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.index, i);
            if files[i].display.ends_with("b.txt") {
                let rej = r.rejected.as_ref().expect("b.txt rejected");
                assert_eq!(rej.code, "internal_error");
                assert_eq!(rej.stage, "internal");
                assert!(rej.reason.contains("analysis panicked (test)"));
                assert!(r.documents.is_empty());
            } else {
                assert!(r.rejected.is_none(), "{:?}", r.rejected);
                assert_eq!(r.documents.len(), 1);
                let d = &r.documents[0];
                assert_eq!(d.year, Some(2023));
                assert!(d.facts.len() >= 3, "{:?}", d.facts);
            }
        }
    }
}

//! The `zongjie` command line.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

// glibc's malloc keeps a 64 MiB arena per thread that has allocated and
// rarely gives freed pages back: with the store's writer thread freeing
// what the analysis threads allocated, peak memory grew with the corpus.
// The `system-alloc` feature leaves the system's malloc in place, so heap
// profilers that interpose malloc (heaptrack, valgrind massif) see the heap.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use zongjie::batch::{self, RunOptions};
use zongjie::data::DataDir;
use zongjie::emit::{CharIndex, FactRecord};
use zongjie::ingest::IngestOptions;
use zongjie::pipeline::{document_from_text, AnalyzeOptions, Pipeline};

/// zongjie (总结): turn archives of Chinese work reports into traced records.
#[derive(Parser)]
#[command(name = "zongjie", version, about, long_about = None)]
struct Cli {
    /// Folder of data files extending the embedded ones (user_dict.txt,
    /// activity_types.tsv, units.tsv, …): a file there is appended to the
    /// embedded table of the same name.
    #[arg(long, global = true, value_name = "DIR")]
    dict_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Process files and folders into records, store, audit, reports and digests under DIR (--out).
    ///
    /// Folders are walked recursively. .txt (UTF-8, UTF-16 with BOM, GB18030/GBK)
    /// and .docx are read; the format is decided from the bytes. Files that
    /// cannot be read are listed in run.json with the reason; the run goes on.
    ///
    /// Writes DIR/records/{documents,facts,findings}.jsonl, DIR/zongjie.db
    /// (SQLite; --db elsewhere, --no-db none), DIR/audit/ (index.html,
    /// audit.md), DIR/reports/<doc_id>.{md,docx} (--no-reports none),
    /// DIR/digest/<county>/<year>/ and DIR/digest/overall/ (digest .md, .html,
    /// .docx, .xlsx; --no-digests none) and DIR/run.json (inputs, counts,
    /// rejected files with their reason, timings, peak memory). Rerunning on
    /// the same DIR replaces the records; the store only adds what is new.
    Run {
        /// Files and folders to read.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "out", value_name = "DIR")]
        out: PathBuf,
        /// Worker threads, 1–1024 (default: all cores, or RAYON_NUM_THREADS).
        #[arg(long, short = 'j', value_name = "N",
              value_parser = clap::value_parser!(u16).range(1..=1024))]
        jobs: Option<u16>,
        /// Force this encoding for .txt files (UTF-8, GB18030, GBK, UTF-16LE, UTF-16BE, Big5).
        #[arg(long, value_name = "LABEL")]
        encoding: Option<String>,
        /// The year every document reports on, instead of inferring it per document (1000–2999).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1000..=2999))]
        year: Option<i32>,
        /// Reject files larger than this many MiB without reading them.
        #[arg(long, default_value_t = 64, value_name = "MIB")]
        max_file_size: u64,
        /// Process only shard K of N (e.g. 2/8): a stable share of the inputs.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<(u64, u64)>,
        /// No progress bar.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Import into this SQLite store (created if missing) instead of DIR/zongjie.db.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Write no SQLite store.
        #[arg(long, conflicts_with = "db")]
        no_db: bool,
        /// Folder of templates overriding the embedded ones (report.md.j2,
        /// report.docx.j2, digest.md.j2, digest.docx.j2, digest.html.j2).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// CSV of path,county,year,unit for documents whose text does not say.
        #[arg(long, value_name = "CSV")]
        manifest: Option<PathBuf>,
        /// Write no per-document reports (DIR/reports); digests are still written.
        #[arg(long)]
        no_reports: bool,
        /// Write no digests (DIR/digest): for a bulk import that wants only the
        /// records and the store; the digests are most of a run's output work.
        #[arg(long)]
        no_digests: bool,
    },
    /// Merge the output folders of `zongjie run --shard K/N` into one, as a single run over all the inputs writes it.
    ///
    /// Reads each shard folder's run.json and records/*.jsonl (not its store:
    /// a zongjie.db given instead is refused with an error saying to pass the
    /// folder). Documents are put in the order a single run writes them
    /// (paths sorted, then pieces); copies of one file found in different
    /// shards are kept once, as a run does. Cross-document findings (copied
    /// paragraphs, repeated figures) are recomputed over all documents; the
    /// shards' own are dropped. Writes OUT/records/*.jsonl, OUT/zongjie.db,
    /// OUT/digest, OUT/audit, OUT/run.json (totals summed, refusals joined)
    /// and regenerates OUT/reports. A shard folder that is missing, not a
    /// finished zongjie run, from another zongjie version, or given twice
    /// stops the merge with exit status 2. Pass the same --dict-dir as the
    /// shard runs (digests use the data tables).
    Merge {
        /// Output folders of the shard runs (each holding run.json and records/).
        #[arg(required = true, value_name = "SHARD_OUT")]
        shards: Vec<PathBuf>,
        /// Output folder of the merge (must not be one of the shard folders).
        #[arg(long, default_value = "out", value_name = "DIR")]
        out: PathBuf,
        /// Import into this SQLite store (created if missing) instead of DIR/zongjie.db.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Write no SQLite store.
        #[arg(long, conflicts_with = "db")]
        no_db: bool,
        /// Folder of templates overriding the embedded ones (as for run).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// CSV of path,county,year,unit (as for run; give the shards' manifest).
        #[arg(long, value_name = "CSV")]
        manifest: Option<PathBuf>,
        /// Write no per-document reports (DIR/reports); digests are still written.
        #[arg(long)]
        no_reports: bool,
        /// Write no digests (DIR/digest).
        #[arg(long)]
        no_digests: bool,
    },
    /// Print the facts of ONE plain UTF-8 text as JSON Lines (no piece splitting).
    Extract {
        /// The year the text reports on (completes dates such as 3月23日);
        /// inferred from the text when absent (1000–2999).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1000..=2999))]
        year: Option<i32>,
        /// The text file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zongjie: error: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: many errors
/// already name their cause in their own message (`writing {path}:
/// {source}`), and anyhow's `{:#}` would repeat it.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let m = cause.to_string();
        if !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
    }
    out
}

/// Opt this process out of transparent huge pages. mimalloc asks for them
/// (madvise) on its arenas, and a 2 MiB page is resident as a whole however
/// little of it is in use: on 10,000 documents peak RSS was 215 MB with them
/// and 177 MB without, for the same CPU time. Pages already mapped are
/// covered too, since the kernel checks the flag at each fault.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and
    // changes nothing but this process's THP policy; failure is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Run the calling thread (a worker of the pool) a few nice levels below the
/// run's other threads. Those (the record writer, the store writer, the
/// audit report) are serial: when they wait for a core behind the workers,
/// the store's queue fills and holds every worker up. Workers yield to them
/// instead and take up the slack; alone on the cores they run as before.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take and return integers only; on
    // Linux a thread id names one thread, whose nice value alone changes
    // (raising it needs no privilege); failure leaves it as it was.
    unsafe {
        let tid = libc::gettid();
        let now = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        libc::setpriority(
            libc::PRIO_PROCESS,
            tid as libc::id_t,
            now.saturating_add(WORKER_NICENESS).min(19),
        );
    }
}

/// How many nice levels the pool's workers run below the writer threads.
#[cfg(target_os = "linux")]
const WORKER_NICENESS: i32 = 5;

fn real_main(cli: Cli) -> Result<ExitCode> {
    let data = DataDir::with_user_dir(cli.dict_dir.as_deref());
    let unknown = data.check_user_dir()?;
    if !unknown.is_empty() {
        let known: Vec<&str> = DataDir::known_names().collect();
        eprintln!(
            "zongjie: warning: --dict-dir: not read (no data file of that name): {}; the names read there: {}",
            unknown.join(", "),
            known.join(", ")
        );
    }
    match cli.command {
        Command::Run {
            inputs,
            out,
            jobs,
            encoding,
            year,
            max_file_size,
            shard,
            quiet,
            db,
            no_db,
            templates,
            manifest,
            no_reports,
            no_digests,
        } => {
            let encoding = match encoding {
                Some(l) => Some(zongjie::ingest::txt::encoding_for_label(&l)?),
                None => None,
            };
            let jobs = jobs.map(usize::from);
            // RAYON_NUM_THREADS stands in for --jobs and is held to the same
            // range (rayon would start 100,000 threads if told to).
            if jobs.is_none() {
                if let Ok(v) = std::env::var("RAYON_NUM_THREADS") {
                    match v.trim().parse::<usize>() {
                        Ok(n) if n > 1024 => anyhow::bail!(
                            "RAYON_NUM_THREADS={n}: the number of worker threads must be 1–1024"
                        ),
                        _ => {}
                    }
                }
            }
            let mut pool =
                rayon::ThreadPoolBuilder::new().start_handler(|_| lower_thread_priority());
            if let Some(n) = jobs {
                pool = pool.num_threads(n);
            }
            pool.build_global().context("starting worker threads")?;
            let opts = RunOptions {
                inputs,
                out_dir: out,
                jobs,
                ingest: IngestOptions {
                    encoding,
                    ..Default::default()
                },
                analyze: AnalyzeOptions { year },
                max_file_bytes: max_file_size.saturating_mul(1 << 20),
                progress: !quiet,
                shard,
                db,
                no_db,
                render: zongjie::render::RenderOptions {
                    templates,
                    manifest,
                    reports: !no_reports,
                    digests: !no_digests,
                },
            };
            let summary = batch::run(&opts, &data)?;
            let t = &summary.totals;
            eprintln!(
                "zongjie: {} files: {} read, {} rejected, {} skipped; {} documents, {} facts, {} findings in {:.2} s -> {}",
                t.files_seen,
                t.files_ok,
                t.files_rejected,
                summary.skipped.len(),
                t.documents,
                t.facts,
                t.findings,
                summary.timings_ms.total as f64 / 1000.0,
                opts.out_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge {
            shards,
            out,
            db,
            no_db,
            templates,
            manifest,
            no_reports,
            no_digests,
        } => {
            let opts = zongjie::merge::MergeOptions {
                shards,
                out_dir: out,
                db,
                no_db,
                render: zongjie::render::RenderOptions {
                    templates,
                    manifest,
                    reports: !no_reports,
                    digests: !no_digests,
                },
            };
            let summary = zongjie::merge::merge(&opts, &data)?;
            let t = &summary.totals;
            eprintln!(
                "zongjie: merged {} shards: {} files: {} read, {} rejected, {} skipped; {} documents, {} facts, {} findings in {:.2} s -> {}",
                opts.shards.len(),
                t.files_seen,
                t.files_ok,
                t.files_rejected,
                summary.skipped.len(),
                t.documents,
                t.facts,
                t.findings,
                summary.timings_ms.total as f64 / 1000.0,
                opts.out_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { year, file } => {
            let text = read_input_text(file.as_ref())?;
            let pipeline = Pipeline::new(&data).context("loading data files")?;
            let mut doc = document_from_text(text, "-");
            pipeline.analyze(&mut doc, &AnalyzeOptions { year });
            let idx = CharIndex::new(&doc.text);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for f in &doc.facts {
                // The line `run` writes to facts.jsonl.
                let line = FactRecord::new(&doc.doc_id, &doc.text, &idx, f).line()?;
                out.write_all(line.line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_input_text(file: Option<&PathBuf>) -> Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")?;
        }
    }
    String::from_utf8(bytes).context("extract reads UTF-8 text only")
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 1/4")?;
    let k: u64 = k.trim().parse().map_err(|_| "K is not a number")?;
    let n: u64 = n.trim().parse().map_err(|_| "N is not a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("need 1 <= K <= N, got {k}/{n}"));
    }
    Ok((k, n))
}

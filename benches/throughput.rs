//! Throughput benchmark (not a test). In one run, on one seeded generated
//! corpus, it prints:
//! - bare jieba `cut` against segmentation + extraction, and against the
//!   per-document audit, in process on one thread (CPU time, best of 3);
//! - .docx reading against python-docx on the same files (if python-docx is
//!   importable by `python3`);
//! - `zongjie run` end to end on 1 and 2 threads, with and without the store
//!   and the reports: wall time, CPU time, MB/s, docs/s, peak RSS, start-up;
//! - the Python peer pipeline on the same corpus, if `ZONGJIE_PEER_PYTHON`
//!   names a Python with the peer's requirements (../shared/peers);
//! - peak RSS across corpus sizes, if `BENCH_SCALE` lists them.
//!
//! cargo bench --bench throughput                       (BENCH_DOCS=2000)
//! BENCH_SCALE=1000,10000,100000 cargo bench --bench throughput
//! ZONGJIE_PEER_PYTHON=/path/to/venv/bin/python cargo bench --bench throughput
//! BENCH_IN_PROCESS_ONLY=1 cargo bench --bench throughput  (first table only)

// The allocator the `zongjie` binary runs with (src/main.rs), so the
// figures are the binary's: under glibc's malloc the extractors ran slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use zongjie::data::DataDir;
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};

/// The files `zongjie run DIR` would read, sorted (the run's own walk).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    zongjie::batch::walk(&[dir.to_path_buf()])
        .0
        .into_iter()
        .map(|f| f.path)
        .collect()
}

/// CPU seconds this thread has run (Linux schedstat); wall time elsewhere.
fn thread_cpu_seconds() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .unwrap_or_else(|| start.elapsed().as_secs_f64())
}

/// CPU seconds (user + system) of all waited-for children so far
/// (/proc/self/stat cutime + cstime, in clock ticks of 1/100 s on Linux).
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    // Fields after the command name start at field 3 (state): cutime and
    // cstime are fields 16 and 17.
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i - 3).and_then(|s| s.parse::<f64>().ok());
    ticks(16).unwrap_or(0.0) / 100.0 + ticks(17).unwrap_or(0.0) / 100.0
}

fn generate(n: usize, dir: &Path) -> zongjie::gen::CorpusStats {
    zongjie::gen::write_corpus(
        &zongjie::gen::CorpusSpec {
            documents: n,
            seed: 42,
            ..Default::default()
        },
        dir,
    )
    .unwrap()
}

struct RunFigures {
    wall: f64,
    cpu: f64,
    text_mb: f64,
    docs: f64,
    rss_mb: f64,
    startup_ms: f64,
}

/// `taskset` is there to pin a run to one core (util-linux).
fn have_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `zongjie run` with `jobs` worker threads; with `one_core`, the
/// whole process (workers, record writer, store writer) is pinned to one
/// core, which is what "one thread" costs: unpinned, `--jobs 1` still has
/// its writer threads use the second core. `out` is replaced if it exists.
fn zongjie_run(
    corpus: &Path,
    out: &Path,
    jobs: usize,
    one_core: bool,
    flags: &[&str],
) -> RunFigures {
    let _ = std::fs::remove_dir_all(out);
    let cpu0 = children_cpu_seconds();
    let t = Instant::now();
    let mut cmd = if one_core {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", env!("CARGO_BIN_EXE_zongjie")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_zongjie"))
    };
    let st = cmd
        .args(["run", "-q", "--jobs", &jobs.to_string(), "--out"])
        .arg(out)
        .args(flags)
        .arg(corpus)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let cpu = children_cpu_seconds() - cpu0;
    assert!(st.success(), "zongjie run failed");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    RunFigures {
        wall,
        cpu,
        text_mb: run["text_bytes"].as_f64().unwrap_or(0.0) / 1e6,
        docs: run["documents"].as_f64().unwrap_or(0.0),
        rss_mb: run["peak_rss_bytes"].as_f64().unwrap_or(0.0) / 1e6,
        startup_ms: run["timings_ms"]["startup"].as_f64().unwrap_or(0.0),
    }
}

fn main() {
    let n: usize = std::env::var("BENCH_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let t = Instant::now();
    let stats = generate(n, &corpus);
    println!(
        "corpus: {} documents, {} files, {:.2} MB text (generated in {:.1} s, seed 42)",
        stats.documents,
        stats.files,
        stats.text_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // In process, one thread.
    let t = Instant::now();
    let pipeline = Pipeline::new(&DataDir::embedded_only()).unwrap();
    println!(
        "start-up in process (jieba dictionary, gazetteer, tables): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let files = files_under(&corpus);
    let mut docs = Vec::new();
    let mut docx_files = Vec::new();
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        if p.extension().is_some_and(|e| e == "docx") {
            docx_files.push(bytes.clone());
        }
        docs.extend(ingest_bytes(&p.to_string_lossy(), &bytes, &IngestOptions::default()).unwrap());
    }
    let text_mb: f64 = docs.iter().map(|d| d.text.len()).sum::<usize>() as f64 / 1e6;
    // CPU time of this thread (not wall time). The measures take turns,
    // round after round, and each keeps its best round: on a shared, noisy
    // machine a slow spell then slows one round of every measure rather
    // than every round of one, and the ratios of CPU times in one run hold.
    // Each analysis works on fresh copies of the ingested documents, made
    // (and the results dropped) outside the timed part.
    const ROUNDS: usize = 5;
    let timed = |f: &mut dyn FnMut()| {
        let t = thread_cpu_seconds();
        f();
        thread_cpu_seconds() - t
    };
    // As the run does: documents of a few files (here 16 documents, about
    // the run's 8 files per task) analyzed together.
    let in_groups = |copies: &mut Vec<zongjie::model::Document>,
                     f: &dyn Fn(&mut [&mut zongjie::model::Document])| {
        for group in copies.chunks_mut(16) {
            let mut refs: Vec<&mut _> = group.iter_mut().collect();
            f(&mut refs);
        }
    };
    let (mut cut_s, mut extract_s, mut segment_s, mut audit_s, mut analyze_s) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
    );
    let (mut words, mut facts, mut findings) = (0usize, 0usize, 0usize);
    for _ in 0..ROUNDS {
        cut_s = cut_s.min(timed(&mut || {
            words = docs
                .iter()
                .map(|d| pipeline.segmenter.cut_count(&d.text))
                .sum();
        }));
        // Segment + extract: the extract issue's measure.
        let mut copies = docs.clone();
        extract_s = extract_s.min(timed(&mut || {
            in_groups(&mut copies, &|refs| {
                pipeline.extract_in_batches(refs, &AnalyzeOptions::default())
            })
        }));
        facts = copies.iter().map(|d| d.facts.len()).sum();
        audit_s = audit_s.min(timed(&mut || {
            findings = copies.iter().map(|d| pipeline.auditor.audit(d).len()).sum();
        }));
        drop(copies);
        // Segmentation alone (paragraphs, sentences, words), so the
        // extractors' own share can be shown apart from it.
        segment_s = segment_s.min(timed(&mut || {
            for d in docs.iter() {
                let paragraphs = zongjie::segment::paragraphs(&d.text, &d.sections);
                let sentences = zongjie::segment::sentences(&d.text, &paragraphs);
                let mut words = Vec::with_capacity(d.text.len() / 4);
                pipeline.segmenter.words_of(&d.text, &sentences, &mut words);
                std::hint::black_box(words);
            }
        }));
        // The whole analysis as the run calls it (audit included).
        let mut copies = docs.clone();
        analyze_s = analyze_s.min(timed(&mut || {
            in_groups(&mut copies, &|refs| {
                pipeline.analyze_in_batches(refs, &AnalyzeOptions::default())
            })
        }));
        drop(copies);
    }
    let extractors_s = (extract_s - segment_s).max(1e-9);
    println!("\n| in process, 1 thread, CPU time | MB/s of text | docs/s | ratio to bare cut |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: String, s: f64| {
        println!(
            "| {name} | {:.2} | {:.0} | {:.2} |",
            text_mb / s,
            docs.len() as f64 / s,
            cut_s / s
        )
    };
    row(format!("bare jieba cut ({words} words)"), cut_s);
    row(
        format!("segment + extract ({facts} facts; the extract issue's measure)"),
        extract_s,
    );
    row(
        "of which segmentation (paragraphs, sentences, words)".into(),
        segment_s,
    );
    row("of which the extractors alone".into(), extractors_s);
    row(format!("per-document audit ({findings} findings)"), audit_s);
    row("segment + extract + audit".into(), analyze_s);
    if std::env::var_os("BENCH_IN_PROCESS_ONLY").is_some() {
        return;
    }

    // .docx reading against python-docx on the same files: the generated
    // ones and the real ones in fixtures/docx.
    println!(
        "\n| .docx reading, CPU time | files | MB | zongjie MB/s | python-docx MB/s | ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let fixtures_docx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/docx");
    let mut real = files_under(&fixtures_docx);
    real.retain(|p| p.extension().is_some_and(|e| e == "docx"));
    let real_bytes: Vec<Vec<u8>> = real.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let generated_dir = tmp.path().join("docx-generated");
    std::fs::create_dir_all(&generated_dir).unwrap();
    for (i, b) in docx_files.iter().enumerate() {
        std::fs::write(generated_dir.join(format!("{i:06}.docx")), b).unwrap();
    }
    for (name, blobs, dir) in [
        ("generated", &docx_files, generated_dir.clone()),
        ("real (fixtures/docx)", &real_bytes, fixtures_docx.clone()),
    ] {
        let mb = blobs.iter().map(|b| b.len()).sum::<usize>() as f64 / 1e6;
        // Small files read in microseconds: repeat each round until it is
        // long enough for the CPU clock to measure.
        let mut reps = 1usize;
        let ours = loop {
            let s = (0..3)
                .map(|_| {
                    timed(&mut || {
                        for _ in 0..reps {
                            for b in blobs.iter() {
                                let _ = std::hint::black_box(zongjie::ingest::docx::read_docx(
                                    b,
                                    &Default::default(),
                                ));
                            }
                        }
                    })
                })
                .fold(f64::INFINITY, f64::min);
            if s >= 0.2 || reps >= 1 << 16 {
                break s / reps as f64;
            }
            reps *= 4;
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/python_docx_read.py");
        let py = Command::new("python3").arg(&script).arg(&dir).output();
        let theirs = py
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
            .and_then(|v| v["cpu_seconds"].as_f64());
        match theirs {
            Some(p) => println!(
                "| {name} | {} | {mb:.2} | {:.1} | {:.2} | {:.1}x |",
                blobs.len(),
                mb / ours,
                mb / p,
                p / ours
            ),
            None => println!(
                "| {name} | {} | {mb:.2} | {:.1} | (python-docx not available) | |",
                blobs.len(),
                mb / ours
            ),
        }
    }

    // End to end through the binary: jobs 1 and 2, and jobs 1 pinned to
    // one core. Speed-ups are against jobs 1 (unpinned) and, in the last
    // column, against the one-core run.
    println!(
        "\n| zongjie run | jobs | wall s | CPU s | MB/s (wall) | MB/s per CPU s | ratio to bare cut (CPU) | docs/s | peak RSS MB | start-up ms | speed-up (wall) | speed-up vs one core |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let cut_mb_s = text_mb / cut_s;
    let mut cpu_no_outputs = 0.0;
    let pin = have_taskset();
    // Each run writes a new folder and all are deleted only after the
    // table: on ext4 without a journal (these machines), creating files
    // right after thousands were deleted makes the kernel skip every
    // recently freed inode (`recently_deleted`, up to 5 minutes), which
    // cost 4.0-4.8 s of system time per default run of 2,000 documents
    // against 1.1-1.6 s with no recent deletions (perf: a quarter of the
    // run's samples in `recently_deleted`), charging the run for the
    // bench's own clean-up rather than for its work.
    let e2e_dir = tmp.path().join("e2e");
    let mut run_no = 0;
    for (label, flags) in [
        ("records + store + reports (default)", &[][..]),
        ("records + store + digests", &["--no-reports"][..]),
        ("records + digests", &["--no-db", "--no-reports"][..]),
        (
            "records only",
            &["--no-db", "--no-reports", "--no-digests"][..],
        ),
    ] {
        let mut runs: Vec<(String, RunFigures)> = Vec::new();
        for (jobs, one_core) in [(1, true), (1, false), (2, false)] {
            if one_core && !pin {
                continue;
            }
            run_no += 1;
            let out = e2e_dir.join(format!("out-{run_no}"));
            let f = zongjie_run(&corpus, &out, jobs, one_core, flags);
            if jobs == 1 && !one_core && flags.len() == 3 {
                cpu_no_outputs = f.cpu;
            }
            let name = if one_core {
                "1 (one core)".to_string()
            } else {
                jobs.to_string()
            };
            runs.push((name, f));
        }
        let one_core = runs
            .iter()
            .find(|(n, _)| n.contains("core"))
            .map(|(_, f)| f.wall);
        let base = runs
            .iter()
            .find(|(n, _)| n == "1")
            .map_or(1.0, |(_, f)| f.wall);
        for (name, f) in &runs {
            let cpu_mb_s = f.text_mb / f.cpu.max(1e-9);
            let vs_core = one_core.map_or("–".to_string(), |w| format!("{:.2}x", w / f.wall));
            println!(
                "| {label} | {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.2}x | {vs_core} |",
                f.wall,
                f.cpu,
                f.text_mb / f.wall,
                cpu_mb_s,
                cpu_mb_s / cut_mb_s,
                f.docs / f.wall,
                f.rss_mb,
                f.startup_ms,
                base / f.wall
            );
        }
    }

    let _ = std::fs::remove_dir_all(&e2e_dir);

    // The Python peer on the same corpus.
    if let Ok(python) = std::env::var("ZONGJIE_PEER_PYTHON") {
        let peers = std::env::var("ZONGJIE_PEERS_DIR").unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/peers")
                .to_string_lossy()
                .into_owned()
        });
        let out = tmp.path().join("peer");
        let cpu0 = children_cpu_seconds();
        let t = Instant::now();
        let st = Command::new(&python)
            .arg(Path::new(&peers).join("py_pipeline.py"))
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .args(["--processes", "1"])
            .stdout(std::process::Stdio::null())
            .status();
        let wall = t.elapsed().as_secs_f64();
        let cpu = children_cpu_seconds() - cpu0;
        if st.is_ok_and(|s| s.success()) {
            println!("\n| Python peer (py_pipeline.py, 1 process) | wall s | CPU s | MB/s per CPU s | zongjie records-only is faster by (CPU) |");
            println!("| --- | ---: | ---: | ---: | ---: |");
            println!(
                "| {} documents | {wall:.1} | {cpu:.1} | {:.3} | {:.0}x |",
                docs.len(),
                text_mb / cpu,
                cpu / cpu_no_outputs.max(1e-9)
            );
        } else {
            println!("\nPython peer failed to run ({python}, {peers})");
        }
    }

    // Peak RSS across corpus sizes (default run, 2 threads).
    if let Ok(list) = std::env::var("BENCH_SCALE") {
        println!("\n| documents | MB of text | wall s | peak RSS MB (jobs 1) | peak RSS MB (jobs 2) | RSS ratio to the first (jobs 2) |");
        println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
        let mut first = 0.0;
        for n in list
            .split(',')
            .filter_map(|s| s.trim().parse::<usize>().ok())
        {
            let dir = tmp.path().join(format!("scale-{n}"));
            generate(n, &dir);
            let one = zongjie_run(&dir, &tmp.path().join("scale-out"), 1, false, &[]);
            let two = zongjie_run(&dir, &tmp.path().join("scale-out"), 2, false, &[]);
            if first == 0.0 {
                first = two.rss_mb;
            }
            println!(
                "| {n} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2} |",
                two.text_mb,
                two.wall,
                one.rss_mb,
                two.rss_mb,
                two.rss_mb / first
            );
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::remove_dir_all(tmp.path().join("scale-out"));
        }
    }
}

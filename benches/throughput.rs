//! Throughput benchmark (not a test): prints MB/s of text, documents/s and
//! peak RSS of `zongjie run` on 1 and 2 threads, extraction alone, and bare
//! jieba `cut` on the same text in the same run as the reference.
//!
//! cargo bench --bench throughput            (BENCH_DOCS=2000 by default)
//! BENCH_DOCS=100000 cargo bench --bench throughput

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use zongjie::data::DataDir;
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
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

fn main() {
    let n: usize = std::env::var("BENCH_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let t = Instant::now();
    let stats = zongjie::gen::write_corpus(
        &zongjie::gen::CorpusSpec {
            documents: n,
            seed: 42,
            ..Default::default()
        },
        &corpus,
    )
    .unwrap();
    println!(
        "corpus: {} documents, {} files, {:.2} MB text (generated in {:.1} s)",
        stats.documents,
        stats.files,
        stats.text_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // In-process, one thread: bare jieba cut vs the whole analysis.
    let t = Instant::now();
    let pipeline = Pipeline::new(&DataDir::embedded_only()).unwrap();
    println!(
        "start-up (dictionaries, tables): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut files = Vec::new();
    files_under(&corpus, &mut files);
    files.sort();
    let mut docs = Vec::new();
    let mut docx_bytes = 0u64;
    let mut docx_files = Vec::new();
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        if p.extension().is_some_and(|e| e == "docx") {
            docx_bytes += bytes.len() as u64;
            docx_files.push(bytes.clone());
        }
        docs.extend(ingest_bytes(&p.to_string_lossy(), &bytes, &IngestOptions::default()).unwrap());
    }
    let text_mb: f64 = docs.iter().map(|d| d.text.len()).sum::<usize>() as f64 / 1e6;
    // CPU time of this thread (not wall time), best of 3: on a shared,
    // noisy machine the ratio of two CPU times in one run is what holds.
    let best = |f: &mut dyn FnMut()| {
        (0..3)
            .map(|_| {
                let t = thread_cpu_seconds();
                f();
                thread_cpu_seconds() - t
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut words = 0usize;
    let cut_s = best(&mut || {
        words = docs
            .iter()
            .map(|d| pipeline.segmenter.cut_count(&d.text))
            .sum();
    });
    let mut facts = 0usize;
    let analyze_s = best(&mut || {
        facts = 0;
        for d in docs.iter() {
            let mut d = d.clone();
            pipeline.analyze(&mut d, &AnalyzeOptions::default());
            facts += d.facts.len();
        }
    });
    let docx_s = best(&mut || {
        for b in &docx_files {
            zongjie::ingest::docx::read_docx(b, &Default::default()).unwrap();
        }
    });
    println!("\n| measure (1 thread, in process, CPU time) | MB/s of text | docs/s | ratio to bare cut |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| bare jieba cut ({words} words) | {:.2} | {:.0} | 1.00 |",
        text_mb / cut_s,
        docs.len() as f64 / cut_s
    );
    println!(
        "| segment + extract ({facts} facts) | {:.2} | {:.0} | {:.2} |",
        text_mb / analyze_s,
        docs.len() as f64 / analyze_s,
        cut_s / analyze_s
    );
    println!(
        "| .docx reading ({} files, {:.1} MB) | {:.2} MB/s of .docx | {:.0} files/s | |",
        docx_files.len(),
        docx_bytes as f64 / 1e6,
        docx_bytes as f64 / 1e6 / docx_s,
        docx_files.len() as f64 / docx_s
    );

    // End to end through the binary on 1 and 2 threads.
    println!("\n| zongjie run | wall s | MB/s of text | docs/s | peak RSS MB | speed-up |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut base = 0.0;
    for jobs in [1, 2] {
        let out = tmp.path().join(format!("out{jobs}"));
        let t = Instant::now();
        let st = Command::new(env!("CARGO_BIN_EXE_zongjie"))
            .args(["run", "-q", "--jobs", &jobs.to_string(), "--out"])
            .arg(&out)
            .arg(&corpus)
            .status()
            .unwrap();
        let wall = t.elapsed().as_secs_f64();
        assert!(st.success());
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let rss = run["peak_rss_bytes"].as_f64().unwrap_or(0.0) / 1e6;
        let docs_n = run["documents"].as_f64().unwrap_or(0.0);
        let text = run["text_bytes"].as_f64().unwrap_or(0.0) / 1e6;
        if jobs == 1 {
            base = wall;
        }
        println!(
            "| --jobs {jobs} | {wall:.2} | {:.2} | {:.0} | {rss:.0} | {:.2}x |",
            text / wall,
            docs_n / wall,
            base / wall
        );
    }
}

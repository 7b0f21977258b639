//! CPU time of each stage of `Pipeline::analyze` over a corpus folder (for
//! finding what to speed up).
//!
//! Each stage runs over every document before the next one starts, so each
//! is timed with its own tables warm in cache, like bare `cut` is when timed
//! alone (interleaving stages per document evicts jieba's dictionary and made
//! the same `cut` look 2.6× slower). The last lines time the real
//! `Pipeline::analyze`, stages interleaved per document, against the same
//! bare `cut`.
//!
//! Times are CPU time of the thread, not wall time.
//!
//! cargo run --release --example analyze_parts -- DIR

// The allocator the `zongjie` binary runs with (src/main.rs), so the
// figures are the binary's: under glibc's malloc the extractors ran slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use zongjie::data::DataDir;
use zongjie::extract::{date, ExtractContext, Extractor};
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};
use zongjie::segment;

const ROUNDS: usize = 3;

/// CPU seconds this thread has run (Linux schedstat, nanoseconds): on a
/// shared machine, time spent waiting for a core is not counted.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: analyze_parts DIR");
    // The run's own walk: the files `zongjie run DIR` would read, sorted.
    let files: Vec<std::path::PathBuf> = zongjie::batch::walk(&[dir.clone().into()])
        .0
        .into_iter()
        .map(|f| f.path)
        .collect();
    let mut docs = Vec::new();
    for p in &files {
        if let Ok(bytes) = std::fs::read(p) {
            if let Ok(d) = ingest_bytes(&p.to_string_lossy(), &bytes, &IngestOptions::default()) {
                docs.extend(d);
            }
        }
    }
    let pl = Pipeline::new(&DataDir::embedded_only()).expect("data");
    let mb = docs.iter().map(|d| d.text.len()).sum::<usize>() as f64 / 1e6;
    let names = [
        "bare cut (whole text)",
        "paragraphs + sentences",
        "words",
        "date scan + infer_year",
        "date facts",
        "count",
        "activity",
        "entity + region",
        "sort",
        "audit",
    ];
    let mut times = [0f64; 10];
    let mut timed = |i: usize, f: &mut dyn FnMut()| {
        let t = cpu_seconds();
        f();
        times[i] += cpu_seconds() - t;
    };
    for _ in 0..ROUNDS {
        timed(0, &mut || {
            for d in &docs {
                std::hint::black_box(pl.segmenter.cut_count(&d.text));
            }
        });
        let mut split = Vec::new();
        timed(1, &mut || {
            split = docs
                .iter()
                .map(|d| {
                    let p = segment::paragraphs(&d.text, &d.sections);
                    let s = segment::sentences(&d.text, &p);
                    (p, s)
                })
                .collect();
        });
        let mut words = Vec::new();
        timed(2, &mut || {
            words = docs
                .iter()
                .zip(&split)
                .map(|(d, (_, sentences))| {
                    let mut w = Vec::with_capacity(d.text.len() / 4);
                    pl.segmenter.words_of(&d.text, sentences, &mut w);
                    w
                })
                .collect();
        });
        let mut scans = Vec::new();
        timed(3, &mut || {
            scans = docs
                .iter()
                .map(|d| {
                    let ds = date::DateScan::new(&d.text);
                    let year = date::infer_year_scanned(&ds);
                    (ds, year)
                })
                .collect();
        });
        let mut facts: Vec<Vec<_>> = docs.iter().map(|_| Vec::new()).collect();
        timed(4, &mut || {
            for ((ds, year), out) in scans.iter().zip(facts.iter_mut()) {
                pl.extractors.date.extract_scanned(ds, *year, out);
            }
        });
        let ctx = |i: usize| ExtractContext {
            text: &docs[i].text,
            paragraphs: &split[i].0,
            sentences: &split[i].1,
            sections: &docs[i].sections,
            words: &words[i],
            year: scans[i].1,
            year_inferred: true,
        };
        let extractors: [(usize, &dyn Extractor); 2] =
            [(5, &pl.extractors.count), (6, &pl.extractors.activity)];
        for (stage, e) in extractors {
            timed(stage, &mut || {
                for (i, out) in facts.iter_mut().enumerate() {
                    e.extract(&ctx(i), out);
                }
            });
        }
        let mut regions = Vec::new();
        timed(7, &mut || {
            regions = facts
                .iter_mut()
                .enumerate()
                .map(|(i, out)| {
                    pl.extractors
                        .entity
                        .extract_with_region(&ctx(i), docs[i].title.as_deref(), out)
                })
                .collect();
        });
        timed(8, &mut || {
            for out in facts.iter_mut() {
                zongjie::extract::sort_facts(out);
            }
        });
        let analyzed: Vec<_> = docs
            .iter()
            .zip(split)
            .zip(facts)
            .zip(regions)
            .zip(&scans)
            .map(|((((d, (p, s)), f), r), (_, year))| {
                let mut d = d.clone();
                d.paragraphs = p;
                d.sentences = s;
                d.facts = f;
                d.region = r;
                d.year = *year;
                d
            })
            .collect();
        timed(9, &mut || {
            for d in &analyzed {
                std::hint::black_box(pl.auditor.audit(d));
            }
        });
    }
    let cut = times[0];
    for (n, t) in names.iter().zip(times) {
        println!(
            "{n:>24}: {:7.1} MB/s  {:5.2} x bare cut",
            ROUNDS as f64 * mb / t,
            t / cut
        );
    }
    let extract: f64 = times[3..9].iter().sum();
    let segment_extract: f64 = times[1..9].iter().sum();
    println!(
        "{:>24}: {:7.1} MB/s  ratio {:.2}",
        "extractors only",
        ROUNDS as f64 * mb / extract,
        cut / extract
    );
    println!(
        "{:>24}: {:7.1} MB/s  ratio {:.2}",
        "segment + extract",
        ROUNDS as f64 * mb / segment_extract,
        cut / segment_extract
    );

    // The real thing: Pipeline::analyze_many over batches of documents (1:
    // stages interleaved per document), with the audit.
    for batch in [1, 4, 16, 64] {
        let mut analyze = 0.0;
        let mut cut_again = 0.0;
        for _ in 0..ROUNDS {
            let t = cpu_seconds();
            for d in &docs {
                std::hint::black_box(pl.segmenter.cut_count(&d.text));
            }
            cut_again += cpu_seconds() - t;
            let mut copies = docs.clone();
            let t = cpu_seconds();
            for group in copies.chunks_mut(batch) {
                let mut refs: Vec<&mut _> = group.iter_mut().collect();
                pl.analyze_many(&mut refs, &AnalyzeOptions::default());
            }
            analyze += cpu_seconds() - t;
            std::hint::black_box(copies);
        }
        println!(
            "{:>24}: {:7.1} MB/s  ratio {:.2} (batches of {batch}, with audit)",
            "Pipeline::analyze_many",
            ROUNDS as f64 * mb / analyze,
            cut_again / analyze
        );
    }
}

//! CPU time of each stage of `Pipeline::analyze` over a corpus folder, one
//! stage at a time (for finding what to speed up).
//!
//! cargo run --release --example analyze_parts -- DIR

use std::time::Instant;

use zongjie::data::DataDir;
use zongjie::extract::{date, ExtractContext, Extractor};
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::Pipeline;
use zongjie::segment::{self, WordSegmenter};

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
    let mut times = [0f64; 10];
    let names = [
        "bare cut (whole text)",
        "paragraphs + sentences",
        "cut per sentence",
        "date scan + infer_year",
        "date facts",
        "count",
        "activity",
        "entity + region",
        "sort",
        "audit",
    ];
    for _ in 0..3 {
        for d in &docs {
            let text = &d.text;
            let t = Instant::now();
            std::hint::black_box(pl.segmenter.cut_count(text));
            times[0] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let paragraphs = segment::paragraphs(text, &d.sections);
            let sentences = segment::sentences(text, &paragraphs);
            times[1] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let mut words = Vec::new();
            for s in &sentences {
                pl.segmenter
                    .segment_into(s.span.slice(text), s.span.start, &mut words);
            }
            times[2] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let ds = date::DateScan::new(text);
            let year = date::infer_year_scanned(&ds);
            times[3] += t.elapsed().as_secs_f64();
            let ctx = ExtractContext {
                text,
                paragraphs: &paragraphs,
                sentences: &sentences,
                sections: &d.sections,
                words: &words,
                year,
                year_inferred: true,
            };
            let mut out = Vec::new();
            let t = Instant::now();
            pl.extractors.date.extract_scanned(&ds, year, &mut out);
            times[4] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            pl.extractors.count.extract(&ctx, &mut out);
            times[5] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            pl.extractors.activity.extract(&ctx, &mut out);
            times[6] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let r = pl
                .extractors
                .entity
                .extract_with_region(&ctx, d.title.as_deref(), &mut out);
            times[7] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            zongjie::extract::sort_facts(&mut out);
            times[8] += t.elapsed().as_secs_f64();
            let mut audited = d.clone();
            audited.paragraphs = paragraphs;
            audited.sentences = sentences;
            audited.year = year;
            audited.region = r;
            audited.facts = out;
            let t = Instant::now();
            let findings = pl.auditor.audit(&audited);
            times[9] += t.elapsed().as_secs_f64();
            std::hint::black_box((audited, findings));
        }
    }
    let cut = times[0];
    for (n, t) in names.iter().zip(times) {
        println!(
            "{n:>24}: {:7.1} MB/s  {:5.2} x bare cut",
            3.0 * mb / t,
            t / cut
        );
    }
    let rest: f64 = times[1..].iter().sum();
    println!(
        "{:>24}: {:7.1} MB/s  ratio {:.2}",
        "analyze total",
        3.0 * mb / rest,
        cut / rest
    );
}

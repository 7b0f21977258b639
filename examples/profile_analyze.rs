//! Run segmentation + extraction over a corpus folder N times (for profilers).
//!
//! cargo run --release --example profile_analyze -- DIR [ROUNDS]

use zongjie::data::DataDir;
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)
        } else {
            out.push(p)
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: profile_analyze DIR [ROUNDS]");
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut files = Vec::new();
    walk(std::path::Path::new(&dir), &mut files);
    files.sort();
    let mut docs = Vec::new();
    for p in &files {
        if let Ok(bytes) = std::fs::read(p) {
            if let Ok(d) = ingest_bytes(&p.to_string_lossy(), &bytes, &IngestOptions::default()) {
                docs.extend(d);
            }
        }
    }
    let pipeline = Pipeline::new(&DataDir::embedded_only()).expect("data");
    let mut facts = 0;
    for _ in 0..rounds {
        for d in &docs {
            let mut d = d.clone();
            pipeline.analyze(&mut d, &AnalyzeOptions::default());
            facts += d.facts.len();
        }
    }
    println!("{} documents x {rounds}: {facts} facts", docs.len());
}

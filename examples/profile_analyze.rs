//! Run segmentation + extraction over a corpus folder N times (for profilers).
//!
//! cargo run --release --example profile_analyze -- DIR [ROUNDS] [extract]

// The allocator the `zongjie` binary runs with (src/main.rs), so the
// profile is the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use zongjie::data::DataDir;
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: profile_analyze DIR [ROUNDS]");
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    // `extract` as a third argument: segmentation and extraction only, the
    // extract issue's measure (no audit).
    let extract_only = args.next().as_deref() == Some("extract");
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
    let pipeline = Pipeline::new(&DataDir::embedded_only()).expect("data");
    let mut facts = 0;
    for _ in 0..rounds {
        for d in &docs {
            let mut d = d.clone();
            if extract_only {
                pipeline.extract_many(&mut [&mut d], &AnalyzeOptions::default());
            } else {
                pipeline.analyze(&mut d, &AnalyzeOptions::default());
            }
            facts += d.facts.len();
        }
    }
    println!("{} documents x {rounds}: {facts} facts", docs.len());
}

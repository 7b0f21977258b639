//! Golden records per fixture: documents and facts as JSON Lines, reviewed as
//! diffs. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them.

use std::path::{Path, PathBuf};

use zongjie::data::DataDir;
use zongjie::emit::{document_record, fact_record, finding_record, CharIndex};
use zongjie::ingest::{ingest_bytes, IngestOptions};
use zongjie::pipeline::{AnalyzeOptions, Pipeline};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every good input fixture: fixtures/txt/*.txt and fixtures/docx/*.docx.
fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["fixtures/txt", "fixtures/docx"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext == "txt" || ext == "docx" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn records_for(pipeline: &Pipeline, path: &Path) -> String {
    let rel = path
        .strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let bytes = std::fs::read(path).unwrap();
    let mut docs = ingest_bytes(&rel, &bytes, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut out = String::new();
    for doc in &mut docs {
        pipeline.analyze(doc, &AnalyzeOptions::default());
        let idx = CharIndex::new(&doc.text);
        out.push_str(&serde_json::to_string(&document_record(doc, &idx)).unwrap());
        out.push('\n');
        for f in &doc.facts {
            out.push_str(
                &serde_json::to_string(&fact_record(&doc.doc_id, &doc.text, &idx, f)).unwrap(),
            );
            out.push('\n');
        }
        for f in &doc.findings {
            out.push_str(&serde_json::to_string(&finding_record(doc, &idx, f)).unwrap());
            out.push('\n');
        }
    }
    out
}

#[test]
fn golden_records_per_fixture() {
    let pipeline = Pipeline::new(&DataDir::embedded_only()).unwrap();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let files = fixtures();
    assert!(files.len() >= 3, "fixtures missing: {files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let golden = root().join("tests/golden").join(format!("{name}.jsonl"));
        let got = records_for(&pipeline, &path);
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != got {
            let first_diff = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            failures.push(format!(
                "{name}: differs from {} at line {} (expected {} lines, got {})\n  want: {}\n  got:  {}",
                golden.display(),
                first_diff + 1,
                want.lines().count(),
                got.lines().count(),
                want.lines().nth(first_diff).unwrap_or("<none>").chars().take(300).collect::<String>(),
                got.lines().nth(first_diff).unwrap_or("<none>").chars().take(300).collect::<String>(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nhelp: review the change, then run `UPDATE_GOLDEN=1 cargo test --test golden` to accept it",
        failures.join("\n")
    );
}

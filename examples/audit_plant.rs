//! Write a planted-error corpus for the audit: `clean/NNN.txt`,
//! `planted/NNN.txt` and `plants.jsonl` (doc, rule, byte start/end, other
//! doc) under the given folder.
//!
//! cargo run --release --example audit_plant -- OUT_DIR [SEED] [N]
//! then: zongjie run --out OUT_DIR/run OUT_DIR/planted

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "planted-corpus".into()));
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20241129);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let corpus = zongjie::audit::plant::generate(seed, n);
    std::fs::create_dir_all(out.join("clean"))?;
    std::fs::create_dir_all(out.join("planted"))?;
    for (i, d) in corpus.docs.iter().enumerate() {
        std::fs::write(out.join("clean").join(format!("{i:03}.txt")), &d.clean)?;
        std::fs::write(out.join("planted").join(format!("{i:03}.txt")), &d.planted)?;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(out.join("plants.jsonl"))?);
    for p in &corpus.plants {
        let text = &corpus.docs[p.doc].planted[p.start..p.end];
        writeln!(
            f,
            "{}",
            serde_json::json!({"doc": p.doc, "year": corpus.docs[p.doc].year, "rule": p.rule, "start": p.start, "end": p.end, "text": text, "other": p.other})
        )?;
    }
    f.flush()?;
    eprintln!(
        "{} documents, {} planted errors -> {}",
        corpus.docs.len(),
        corpus.plants.len(),
        out.display()
    );
    Ok(())
}

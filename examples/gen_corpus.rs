//! Write a synthetic corpus of township 科协 reports, reproducibly.
//!
//! cargo run --release --example gen_corpus -- DIR [DOCUMENTS] [SEED]

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: gen_corpus DIR [DOCUMENTS=1000] [SEED=1]");
        std::process::exit(2);
    };
    let documents = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let spec = zongjie::gen::CorpusSpec {
        documents,
        seed,
        ..Default::default()
    };
    match zongjie::gen::write_corpus(&spec, std::path::Path::new(&dir)) {
        Ok(s) => println!(
            "{} documents in {} files, {:.1} MB on disk, {:.1} MB of text -> {dir}",
            s.documents,
            s.files,
            s.bytes as f64 / 1e6,
            s.text_bytes as f64 / 1e6
        ),
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            std::process::exit(1);
        }
    }
}

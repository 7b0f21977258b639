//! The whole analysis (sections, paragraphs, sentences, words, every
//! extractor, region) and the record emitter on arbitrary UTF-8: never a
//! panic, every span on char boundaries, in the text, its surface the fact's.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use zongjie::data::DataDir;
use zongjie::emit::{document_record, fact_record, CharIndex};
use zongjie::pipeline::{document_from_text, AnalyzeOptions, Pipeline};

static PIPELINE: LazyLock<Pipeline> =
    LazyLock::new(|| Pipeline::new(&DataDir::with_user_dir(None)).expect("embedded data loads"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Both year modes: inferred from the text, and given.
    let year = data.first().map(|b| b % 2 == 0).unwrap_or(false);
    let mut doc = document_from_text(text.to_string(), "fuzz.txt");
    PIPELINE.analyze(
        &mut doc,
        &AnalyzeOptions {
            year: year.then_some(2023),
        },
    );
    let t = &doc.text;
    let ok = |s: zongjie::model::Span| {
        s.start <= s.end
            && s.end <= t.len()
            && t.is_char_boundary(s.start)
            && t.is_char_boundary(s.end)
    };
    for s in &doc.sections {
        assert!(ok(s.heading) && ok(s.extent), "section span {s:?}");
    }
    for p in &doc.paragraphs {
        assert!(ok(p.span), "paragraph span {:?}", p.span);
    }
    for s in &doc.sentences {
        assert!(ok(s.span), "sentence span {:?}", s.span);
    }
    let idx = CharIndex::new(t);
    for f in &doc.facts {
        assert!(ok(f.span), "fact span {:?} in {} bytes", f.span, t.len());
        let r = fact_record(&doc.doc_id, t, &idx, f);
        assert_eq!(r["text"].as_str(), Some(f.span.slice(t)));
    }
    let _ = document_record(&doc, &idx);
});

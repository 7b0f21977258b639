//! The text decoder and piece splitter on arbitrary bytes: decoding never
//! panics, and pieces tile the decoded text on char boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zongjie::ingest::{ingest_bytes, pieces, txt, IngestOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = txt::decode(data, None) {
        let text = &decoded.text;
        let split = pieces::split(text);
        let mut at = 0;
        for p in &split {
            if let Some((a, b)) = p.header {
                assert_eq!(a, at);
                assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
                at = b;
            }
            assert_eq!(p.body.0, at);
            assert!(text.is_char_boundary(p.body.0) && text.is_char_boundary(p.body.1));
            at = p.body.1;
        }
        assert_eq!(at, text.len());
    }
    // Forced legacy encodings take another decoder path.
    let gb18030 = txt::encoding_for_label("gb18030").expect("gb18030 label");
    let _ = txt::decode(data, Some(gb18030));
    if let Ok(docs) = ingest_bytes("fuzz.txt", data, &IngestOptions::default()) {
        for d in &docs {
            for s in &d.sections {
                let _ = s.heading.slice(&d.text);
                let _ = s.extent.slice(&d.text);
            }
        }
    }
});

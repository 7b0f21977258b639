//! The .docx reader on arbitrary bytes: it must return Ok or a DocxError,
//! never panic, and stay within its limits (libFuzzer's -rss_limit_mb and
//! -timeout catch blow-ups).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zongjie::ingest::docx::{read_docx, DocxLimits};
use zongjie::ingest::{ingest_bytes, IngestOptions};

fuzz_target!(|data: &[u8]| {
    // Small limits so the fuzzer explores the limit checks too.
    let limits = DocxLimits {
        max_total_uncompressed: 8 << 20,
        max_entries: 64,
        max_ratio: 200,
        max_xml_depth: 64,
    };
    if let Ok(content) = read_docx(data, &limits) {
        for p in &content.paragraphs {
            if let Some(label) = &p.numbering_label {
                assert!(p.text.starts_with(label.as_str()));
            }
        }
    }
    // The whole ingest path (sections, title) on the same bytes.
    let opts = IngestOptions {
        docx_limits: limits,
        ..Default::default()
    };
    let _ = ingest_bytes("fuzz.docx", data, &opts);
});

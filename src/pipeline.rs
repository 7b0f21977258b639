//! The stages over one document, and the resources they share.

use crate::audit::Auditor;
use crate::data::{DataDir, DataError};
use crate::extract::{ExtractContext, Extractors};
use crate::ingest::structure;
use crate::model::{Document, Format, Source};
use crate::segment::{self, ChineseWordSegmenter};

/// Everything built once at start-up and shared (read-only) by all threads.
pub struct Pipeline {
    pub segmenter: ChineseWordSegmenter,
    pub extractors: Extractors,
    pub auditor: Auditor,
}

/// Per-run options that change what a stage does.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// The year every document reports on (`--year`), overriding inference.
    pub year: Option<i32>,
}

impl Pipeline {
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        // jieba's dictionary and the gazetteer are the two slow builds and
        // share nothing: build them side by side.
        let (segmenter, extractors) = std::thread::scope(|s| {
            let seg = s.spawn(|| ChineseWordSegmenter::new(data));
            let ex = Extractors::new(data);
            let seg = seg.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (seg, ex)
        });
        Ok(Pipeline {
            segmenter: segmenter?,
            extractors: extractors?,
            auditor: Auditor::new(),
        })
    }

    /// Segment, extract and audit: fills paragraphs, sentences, year,
    /// region, facts and findings of a document whose text and sections are set.
    pub fn analyze(&self, doc: &mut Document, opts: &AnalyzeOptions) {
        doc.paragraphs = segment::paragraphs(&doc.text, &doc.sections);
        doc.sentences = segment::sentences(&doc.text, &doc.paragraphs);
        let mut words = Vec::with_capacity(doc.text.len() / 4);
        self.segmenter
            .words_of(&doc.text, &doc.sentences, &mut words);
        let dates = crate::extract::date::DateScan::new(&doc.text);
        let (year, year_inferred) = match opts.year {
            Some(y) => (Some(y), false),
            None => (crate::extract::date::infer_year_scanned(&dates), true),
        };
        doc.year = year;
        doc.year_source = year.map(|_| if year_inferred { "text" } else { "given" });
        let ctx = ExtractContext {
            text: &doc.text,
            paragraphs: &doc.paragraphs,
            sentences: &doc.sentences,
            sections: &doc.sections,
            words: &words,
            year,
            year_inferred,
        };
        let (facts, region) =
            self.extractors
                .extract_with_region(&ctx, &dates, doc.title.as_deref());
        doc.facts = facts;
        doc.region = region;
        doc.findings = self.auditor.audit(doc);
    }
}

/// A one-piece document for `extract` (and for in-process scoring in tests):
/// the text exactly as given, its sections found, nothing else analyzed yet.
pub fn document_from_text(text: String, path: &str) -> Document {
    use sha2::{Digest, Sha256};
    let sha = format!("{:x}", Sha256::digest(text.as_bytes()));
    let sections = structure::find_sections(&text, &[]);
    let title = structure::find_title(&text, None);
    Document {
        doc_id: sha[..16].to_string(),
        source: Source {
            path: path.to_string(),
            piece: 1,
            pieces: 1,
            format: Format::Txt,
            sha256: sha,
            encoding: "UTF-8".into(),
            piece_header: None,
            offset_in_file: 0,
        },
        title,
        text,
        year: None,
        year_source: None,
        region: None,
        sections,
        paragraphs: Vec::new(),
        sentences: Vec::new(),
        facts: Vec::new(),
        findings: Vec::new(),
    }
}

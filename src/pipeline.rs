//! The stages over one document, and the resources they share.

use crate::audit::Auditor;
use crate::data::{DataDir, DataError};
use crate::extract::date::DateScan;
use crate::extract::{ExtractContext, Extractor, Extractors};
use crate::ingest::structure;
use crate::model::{Document, Fact, Format, Source};
use crate::segment::{self, ChineseWordSegmenter};

/// Everything built once at start-up and shared (read-only) by all threads.
pub struct Pipeline {
    pub segmenter: ChineseWordSegmenter,
    pub extractors: Extractors,
    pub auditor: Auditor,
}

/// Most text [`Pipeline::analyze_in_batches`] analyzes together.
pub const BATCH_TEXT_BYTES: usize = 128 * 1024;

/// A text holding this makes [`Pipeline::analyze_many`] panic, in the
/// crate's unit tests only.
#[cfg(test)]
pub const TEST_PANIC_MARK: &str = "\u{E000}panic-in-analysis\u{E000}";

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
        self.analyze_many(&mut [doc], opts);
    }

    /// [`Pipeline::analyze_many`] over consecutive batches of at most
    /// [`BATCH_TEXT_BYTES`] of text (a larger document alone): the gain is
    /// in many small documents, and a batch's working state (words alone
    /// take ~6 bytes per byte of text) must stay small when they are large.
    pub fn analyze_in_batches(&self, docs: &mut [&mut Document], opts: &AnalyzeOptions) {
        for_batches(docs, |batch| self.analyze_many(batch, opts));
    }

    /// [`Pipeline::extract_many`] over the batches [`Pipeline::analyze_in_batches`]
    /// makes: the run's segmentation and extraction without the audit.
    pub fn extract_in_batches(&self, docs: &mut [&mut Document], opts: &AnalyzeOptions) {
        for_batches(docs, |batch| self.extract_many(batch, opts));
    }

    /// [`Pipeline::analyze`] for several documents, each stage run over all
    /// of them before the next stage starts. The result for each document is
    /// exactly what `analyze` gives it alone; the order is for the caches:
    /// run per document, every stage evicts the tables of the one before
    /// (jieba's dictionary, the gazetteer, the extractors' automata), which
    /// made segmentation and extraction ~1.6× slower on 2,000 generated
    /// documents (examples/analyze_parts).
    pub fn analyze_many(&self, docs: &mut [&mut Document], opts: &AnalyzeOptions) {
        // Unit tests of the run's panic isolation need a document that
        // panics analysis; nothing outside the crate's own tests sees this.
        #[cfg(test)]
        if docs.iter().any(|d| d.text.contains(TEST_PANIC_MARK)) {
            panic!("analysis panicked (test)");
        }
        self.extract_many(docs, opts);
        for doc in docs.iter_mut() {
            let (findings, figures) = self.auditor.audit_scanned(doc);
            doc.findings = findings;
            doc.scanned_figures = Some(figures);
        }
    }

    /// The segmentation and extraction of [`Pipeline::analyze_many`], without
    /// the audit: fills paragraphs, sentences, year, region and facts (the
    /// extract issue's measure, which the throughput bench times alone).
    pub fn extract_many(&self, docs: &mut [&mut Document], opts: &AnalyzeOptions) {
        for doc in docs.iter_mut() {
            doc.paragraphs = segment::paragraphs(&doc.text, &doc.sections);
            doc.sentences = segment::sentences(&doc.text, &doc.paragraphs);
        }
        let words: Vec<Vec<segment::Word>> = docs
            .iter()
            .map(|doc| {
                let mut words = Vec::with_capacity(doc.text.len() / 4);
                self.segmenter
                    .words_of(&doc.text, &doc.sentences, &mut words);
                words
            })
            .collect();
        let results = {
            let scans: Vec<DateScan<'_>> = docs.iter().map(|d| DateScan::new(&d.text)).collect();
            let years: Vec<(Option<i32>, bool)> = scans
                .iter()
                .map(|scan| match opts.year {
                    Some(y) => (Some(y), false),
                    None => (crate::extract::date::infer_year_scanned(scan), true),
                })
                .collect();
            let ctx = |i: usize| ExtractContext {
                text: &docs[i].text,
                paragraphs: &docs[i].paragraphs,
                sentences: &docs[i].sentences,
                sections: &docs[i].sections,
                words: &words[i],
                year: years[i].0,
                year_inferred: years[i].1,
            };
            let ex = &self.extractors;
            let mut facts: Vec<Vec<Fact>> = scans
                .iter()
                .zip(&years)
                .map(|(scan, &(year, _))| {
                    let mut out = Vec::new();
                    ex.date.extract_scanned(scan, year, &mut out);
                    out
                })
                .collect();
            for stage in [&ex.count as &dyn Extractor, &ex.activity] {
                for (i, out) in facts.iter_mut().enumerate() {
                    stage.extract(&ctx(i), out);
                }
            }
            let regions: Vec<_> = facts
                .iter_mut()
                .enumerate()
                .map(|(i, out)| {
                    ex.entity
                        .extract_with_region(&ctx(i), docs[i].title.as_deref(), out)
                })
                .collect();
            for out in facts.iter_mut() {
                crate::extract::sort_facts(out);
            }
            years
                .into_iter()
                .zip(facts)
                .zip(regions)
                .collect::<Vec<_>>()
        };
        for (doc, (((year, inferred), facts), region)) in docs.iter_mut().zip(results) {
            doc.year = year;
            doc.year_source = year.map(|_| if inferred { "text" } else { "given" });
            doc.facts = facts;
            doc.region = region;
        }
    }
}

/// Calls `f` on consecutive batches of `docs` of at most
/// [`BATCH_TEXT_BYTES`] of text (a larger document alone).
fn for_batches(docs: &mut [&mut Document], mut f: impl FnMut(&mut [&mut Document])) {
    let mut rest = docs;
    while !rest.is_empty() {
        let mut n = 1;
        let mut bytes = rest[0].text.len();
        while n < rest.len() && bytes + rest[n].text.len() <= BATCH_TEXT_BYTES {
            bytes += rest[n].text.len();
            n += 1;
        }
        let (batch, tail) = rest.split_at_mut(n);
        f(batch);
        rest = tail;
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
        scanned_figures: None,
    }
}

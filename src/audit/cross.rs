//! Rule group 7, across documents: paragraphs copied between reports and
//! identical figures reported by different units or for different years.
//!
//! The index observes each document once, as it is written, and keeps no
//! text: per paragraph a bottom-k sketch of its character-shingle hashes
//! (numbers and placeholders masked, so a copy with new figures still
//! matches), a count-min sketch of how many documents hold each shingle
//! (to weigh down boilerplate every report shares), and per distinctive
//! figure a hash of what it counts and its value. Memory is a few hundred
//! bytes per paragraph whatever the documents' length.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::spill::{put_str, put_u32, put_u64, Merged, Reader, Sorter, Store};
use super::{rule_name, scan};
use crate::emit::CharIndex;
use crate::model::{Document, Severity};

/// Shingle length in masked chars. Chinese words are one to three chars,
/// so five-char shingles span about two words.
const SHINGLE: usize = 5;
/// Sketch size per paragraph.
const K: usize = 48;
/// Paragraphs shorter than this (masked chars) are not compared: headings,
/// slogans and one-line formulae recur by nature.
const MIN_CHARS: usize = 60;
/// Posting lists longer than this are boilerplate; they make no candidates.
const MAX_POSTING: usize = 64;
/// Similarity (boilerplate-weighed) from which a pair counts as copied.
const COPY_THRESHOLD: f64 = 0.5;
/// Specific (non-boilerplate) sampled shingles two paragraphs must share.
const MIN_SHARED: usize = 5;
/// Share of the whole union sample the specific shared shingles must make up.
const MIN_SHARE_OF_ALL: f64 = 0.2;
/// Excerpt kept per paragraph for the report, in chars.
const EXCERPT: usize = 60;

/// A cross-document finding as `findings.jsonl` holds it: the fields in
/// the order written, the same as a document's own findings (`related` and
/// `facts` are always empty here; `others` names the other documents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossFinding {
    pub finding_id: String,
    pub doc_id: String,
    pub rule: String,
    pub rule_name: String,
    pub severity: Severity,
    pub message: String,
    /// Char offsets in the document.
    pub start: u32,
    pub end: u32,
    pub text: String,
    pub related: Vec<u32>,
    pub facts: Vec<u32>,
    pub others: Vec<OtherPlace>,
}

impl CrossFinding {
    /// The record in the index's record sorter (the `put_` layout): the
    /// findings are written there in any order and read back sorted.
    fn encode(&self, b: &mut Vec<u8>) {
        b.clear();
        for s in [
            &self.finding_id,
            &self.doc_id,
            &self.rule,
            &self.rule_name,
            &self.message,
            &self.text,
        ] {
            put_str(b, s);
        }
        b.push(self.severity as u8);
        put_u32(b, self.start);
        put_u32(b, self.end);
        put_u32(b, self.others.len() as u32);
        for o in &self.others {
            put_str(b, &o.doc_id);
            put_u32(b, o.start);
            put_u32(b, o.end);
            match &o.text {
                Some(t) => {
                    b.push(1);
                    put_str(b, t);
                }
                None => b.push(0),
            }
        }
    }

    fn decode(b: &[u8]) -> CrossFinding {
        let mut r = Reader::new(b);
        let mut s = || r.str().to_string();
        let (finding_id, doc_id, rule, rule_name, message, text) = (s(), s(), s(), s(), s(), s());
        let severity = Severity::from_u8(r.u8());
        let (start, end) = (r.u32(), r.u32());
        let n = r.u32() as usize;
        let others = (0..n)
            .map(|_| OtherPlace {
                doc_id: r.str().to_string(),
                start: r.u32(),
                end: r.u32(),
                text: (r.u8() == 1).then(|| r.str().to_string()),
            })
            .collect();
        CrossFinding {
            finding_id,
            doc_id,
            rule,
            rule_name,
            severity,
            message,
            start,
            end,
            text,
            related: Vec::new(),
            facts: Vec::new(),
            others,
        }
    }
}

/// Where the same text or figure stands in another document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherPlace {
    pub doc_id: String,
    pub start: u32,
    pub end: u32,
    /// The other paragraph's excerpt (copied paragraphs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What the findings need of each document: in a [`Store`] while
/// documents come in (fixed size, so document `d` is at
/// `d * DocInfo::SIZE`), in memory once the findings are computed; its id
/// and title wait in another store. No text hash: a text seen before is
/// not observed at all (`seen_texts`), so two documents of the index never
/// share one.
#[derive(Debug, Clone, Copy)]
struct DocInfo {
    year: Option<i32>,
    /// Hash of the region name or title (who reports): only compared.
    unit: u64,
    /// Where the id and title start in the document store.
    info_at: u64,
}

impl DocInfo {
    /// Whether there is a year, the year, the unit and where the names are.
    const SIZE: usize = 4 + 4 + 8 + 8;

    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.year.is_some() as u32);
        put_u32(out, self.year.unwrap_or(0) as u32);
        put_u64(out, self.unit);
        put_u64(out, self.info_at);
    }

    fn decode(r: &mut Reader) -> DocInfo {
        let has_year = r.u32() != 0;
        let year = r.u32() as i32;
        DocInfo {
            year: has_year.then_some(year),
            unit: r.u64(),
            info_at: r.u64(),
        }
    }
}

/// A document's id and title, read back from the store.
struct DocNames {
    doc_id: String,
    title: String,
}

/// One block's sketch, as stored (fixed size, so block `p` is at
/// `p * ParaSig::SIZE`).
#[derive(Debug, Clone)]
struct ParaSig {
    doc: u32,
    /// First and last line (paragraph index) of the block.
    index: u32,
    last: u32,
    start: u32,
    end: u32,
    sig: Vec<u32>,
    excerpt: String,
}

impl ParaSig {
    /// Seven words, the sketch and the excerpt's bytes.
    const SIZE: usize = 7 * 4 + K * 4 + EXCERPT * 4;

    fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        for w in [
            self.doc,
            self.index,
            self.last,
            self.start,
            self.end,
            self.sig.len() as u32,
            self.excerpt.len() as u32,
        ] {
            put_u32(out, w);
        }
        for &h in &self.sig {
            put_u32(out, h);
        }
        out.extend_from_slice(self.excerpt.as_bytes());
        out.resize(Self::SIZE, 0);
    }

    fn decode(b: &[u8]) -> ParaSig {
        let mut r = Reader::new(b);
        let (doc, index, last, start, end) = (r.u32(), r.u32(), r.u32(), r.u32(), r.u32());
        let sig_len = (r.u32() as usize).min(K);
        let ex_len = (r.u32() as usize).min(EXCERPT * 4);
        let sig: Vec<u32> = (0..K).map(|_| r.u32()).take(sig_len).collect();
        let at = 7 * 4 + K * 4;
        let excerpt = b
            .get(at..at + ex_len)
            .and_then(|e| std::str::from_utf8(e).ok())
            .unwrap_or("")
            .to_string();
        ParaSig {
            doc,
            index,
            last,
            start,
            end,
            sig,
            excerpt,
        }
    }
}

/// One occurrence of a distinctive figure: the first in its document.
#[derive(Debug, Clone)]
struct FigOcc {
    doc: u32,
    para: u32,
    start: u32,
    end: u32,
    /// The figure as written.
    text: String,
}

/// A count-min sketch of document frequencies.
struct CountMin {
    rows: Vec<Vec<u16>>,
    mask: usize,
}

impl CountMin {
    fn new(bits: u32) -> Self {
        CountMin {
            rows: (0..4).map(|_| vec![0u16; 1 << bits]).collect(),
            mask: (1 << bits) - 1,
        }
    }
    fn slot(&self, h: u32, row: usize) -> usize {
        (mix64(h as u64 ^ ((row as u64 + 1) << 40)) as usize) & self.mask
    }
    fn add(&mut self, h: u32) {
        for r in 0..self.rows.len() {
            let s = self.slot(h, r);
            self.rows[r][s] = self.rows[r][s].saturating_add(1);
        }
    }
    fn get(&self, h: u32) -> u16 {
        (0..self.rows.len())
            .map(|r| self.rows[r][self.slot(h, r)])
            .min()
            .unwrap_or(0)
    }
}

fn mix64(mut x: u64) -> u64 {
    // splitmix64 finalizer: a cheap, well-spread bijection.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

fn fnv(bytes: impl IntoIterator<Item = u32>) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Masked form of a paragraph: CJK and letters kept, any numeral or
/// placeholder run becomes one `#`, everything else dropped.
pub fn mask(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len() / 3);
    for c in text.chars() {
        if is_mask_numeral(c) {
            if out.last() != Some(&'#') {
                out.push('#');
            }
        } else if is_kept(c) {
            out.push(c);
        }
    }
    out
}

/// The chars [`mask`] folds into `#`: digits, Chinese numerals and
/// placeholder marks. Tests of chars, not a search in a string of them: that
/// search (encode the char, then a substring search) ran for every char of
/// every paragraph and was half of the mask's cost.
fn is_mask_numeral(c: char) -> bool {
    scan::digit_value(c).is_some()
        || scan::is_cn_numeral(c)
        || matches!(
            c,
            '万' | '亿' | 'x' | 'X' | 'ｘ' | 'Ｘ' | '_' | '＿' | '×' | '.' | '．' | '%' | '％'
        )
}

/// The chars [`mask`] keeps: letters and digits, with the common cases
/// (ASCII, the CJK Unified Ideographs block, all alphabetic) decided
/// without the Unicode tables' slow path.
fn is_kept(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '\u{4E00}'..='\u{9FFF}' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphanumeric(),
    }
}

/// Distinct shingle hashes of a masked text.
pub fn shingles(masked: &[char]) -> Vec<u32> {
    let mut v: Vec<u32> = masked
        .windows(SHINGLE)
        .map(|w| mix64(fnv(w.iter().map(|&c| c as u32))) as u32)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Memory each of the index's sorters and stores may hold before it
/// writes to its temporary file.
const SPILL_BUDGET: usize = 2 << 20;

/// Cross-document records handed on at once by [`CrossIndex::findings_each`].
pub const CHUNK: usize = 1024;

/// The index behind the cross-document rules.
///
/// While documents come in, memory holds a text hash per document (to skip
/// repeated texts) and a fixed-size count-min sketch; each document's
/// [`DocInfo`] (24 bytes, in memory only while the findings are computed),
/// the sketches, postings and figures, which grow with the corpus, go
/// through [`spill`] buffers to temporary files in the output folder (none
/// for a small run). The findings are computed by merging sorted runs: the
/// postings by shingle give the candidate pairs of blocks, the figures by
/// key the repeated figures, and the records are sorted by document before
/// they are handed on, a chunk at a time.
pub struct CrossIndex {
    /// Each document's [`DocInfo`], fixed size, while documents come in:
    /// 24 bytes a document held all run long (with a vector's slack, up
    /// to 48) where memory peaks, while documents are processed.
    infos: Store,
    n_docs: u32,
    /// The infos read back, while the findings are computed.
    docs: Vec<DocInfo>,
    /// Each document's id and title (`DocInfo::info_at`).
    names: Store,
    /// Each block's [`ParaSig`], fixed size.
    paras: Store,
    n_paras: u32,
    df: CountMin,
    /// (shingle hash, block, document) for each hash of each sketch.
    postings: Sorter<3>,
    /// Distinctive figures by (key, document): a document holds a key once,
    /// so a key's occurrences come out in document order.
    figures: Sorter<6>,
    /// Hashes of the texts seen: an exact duplicate (the same report saved
    /// twice, in two encodings) is not a second report.
    seen_texts: HashSet<u64>,
    dir: std::path::PathBuf,
    budget: usize,
    /// The first error writing temporary files: observing goes on without
    /// them and the findings report it.
    err: Option<std::io::Error>,
    buf: Vec<u8>,
}

impl Default for CrossIndex {
    fn default() -> Self {
        Self::new()
    }
}

/// Is a figure's value distinctive enough that two reports sharing it by
/// chance is unlikely (at least 1000, with three significant digits)?
fn distinctive(v: f64) -> bool {
    if !(1000.0..1e12).contains(&v) || v.fract() != 0.0 {
        return false;
    }
    let mut n = v as u64;
    while n % 10 == 0 {
        n /= 10;
    }
    n >= 100
}

fn hash_str(s: &str) -> u64 {
    mix64(fnv(s.bytes().map(u32::from)))
}

/// What the cross-document rules take from one document, computed on its
/// own (on the analysis workers, so the run's single writer thread only
/// files it: [`CrossIndex::add`]).
pub struct Observation {
    /// Hash of the whole text: a repeated text is not a second report.
    text_hash: u64,
    /// The document's id and title, as [`DocNames`] are stored.
    names: Vec<u8>,
    year: Option<i32>,
    /// Hash of the unit that wrote it (township, county, …, or title).
    unit: u64,
    /// Distinctive figures, each key's first occurrence only.
    figures: Vec<FigureSeen>,
    /// Blocks long enough to be copied, `doc` left for [`CrossIndex::add`].
    blocks: Vec<ParaSig>,
    /// Distinct shingles of all its blocks, for the document frequencies.
    shingles: Vec<u32>,
}

/// A distinctive figure of a document (see [`Observation`]).
struct FigureSeen {
    key: u64,
    para: u32,
    /// Code point offsets.
    start: u32,
    end: u32,
    text: String,
}

impl Observation {
    pub fn of(doc: &Document) -> Observation {
        let text_hash = fnv(doc.text.bytes().map(u32::from));
        let idx = CharIndex::new(&doc.text);
        let unit = doc
            .region
            .as_ref()
            .and_then(|r| {
                r.township
                    .as_ref()
                    .or(r.county.as_ref())
                    .or(r.prefecture.as_ref())
                    .or(r.province.as_ref())
            })
            .or(doc.title.as_ref())
            .map_or("", |s| s.as_str());
        let mut names = Vec::new();
        put_str(&mut names, &doc.doc_id);
        put_str(
            &mut names,
            doc.title.as_deref().unwrap_or(doc.source.path.as_str()),
        );
        let mut figures = Vec::new();
        // Only a figure's first occurrence in a document is kept.
        let mut doc_figures: HashSet<u64> = HashSet::new();
        // The audit's scan of the figures when it ran (it always has in a
        // run); the same scan done here otherwise.
        let scanned_here: Vec<Vec<scan::Figure>>;
        let scanned = match &doc.scanned_figures {
            Some(s) if s.len() == doc.paragraphs.len() => s,
            _ => {
                scanned_here = doc
                    .paragraphs
                    .iter()
                    .map(|p| scan::figures(p.span.slice(&doc.text), p.span.start))
                    .collect();
                &scanned_here
            }
        };
        for (pi, (p, figures_of_p)) in doc.paragraphs.iter().zip(scanned).enumerate() {
            // Figures: what is counted (the clause before), value and unit.
            for f in figures_of_p {
                if !distinctive(f.value) || f.unit == "%" {
                    continue;
                }
                let lead_text = doc.text.get(p.span.start..f.span.start).unwrap_or("");
                let lead_text = lead_text.rsplit(super::is_clause_mark).next().unwrap_or("");
                let topic: Vec<char> = lead_text
                    .chars()
                    .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                    .collect();
                let topic = &topic[topic.len().saturating_sub(4)..];
                if topic.len() < 2 {
                    continue;
                }
                let key = fnv(topic
                    .iter()
                    .map(|&c| c as u32)
                    .chain(f.unit.chars().map(|c| c as u32))
                    .chain((f.value as u64).to_le_bytes().map(u32::from)));
                if !doc_figures.insert(key) {
                    continue;
                }
                let (a, c) = idx.span(f.span);
                figures.push(FigureSeen {
                    key,
                    para: pi as u32,
                    start: a as u32,
                    end: c as u32,
                    text: doc.slice(f.span).to_string(),
                });
            }
        }
        let mut blocks_seen = Vec::new();
        let mut doc_shingles: Vec<u32> = Vec::new();
        for (first, last) in blocks(doc) {
            let span = crate::model::Span::new(
                doc.paragraphs[first].span.start,
                doc.paragraphs[last].span.end,
            );
            let pt = span.slice(&doc.text);
            let masked = mask(pt);
            if masked.len() < MIN_CHARS {
                continue;
            }
            let sh = shingles(&masked);
            doc_shingles.extend_from_slice(&sh);
            let mut sig = sh;
            sig.sort_unstable();
            sig.truncate(K);
            let (a, c) = idx.span(span);
            blocks_seen.push(ParaSig {
                doc: 0,
                index: first as u32,
                last: last as u32,
                start: a as u32,
                end: c as u32,
                sig,
                excerpt: pt
                    .trim()
                    .chars()
                    .filter(|c| *c != '\n' && *c != '\r')
                    .take(EXCERPT)
                    .collect(),
            });
        }
        doc_shingles.sort_unstable();
        doc_shingles.dedup();
        Observation {
            text_hash,
            names,
            year: doc.year,
            unit: hash_str(unit),
            figures,
            blocks: blocks_seen,
            shingles: doc_shingles,
        }
    }
}

impl CrossIndex {
    /// An index whose temporary files, if it needs any, go to the system's
    /// temporary folder.
    pub fn new() -> Self {
        Self::with_spill_dir(&std::env::temp_dir())
    }

    /// An index whose temporary files go to `dir` (the run's output folder).
    pub fn with_spill_dir(dir: &std::path::Path) -> Self {
        Self::with_budget(dir, SPILL_BUDGET)
    }

    /// `budget`: memory of each sorter before it spills (tests force the
    /// disk paths with a tiny one).
    fn with_budget(dir: &std::path::Path, budget: usize) -> Self {
        CrossIndex {
            infos: Store::new(dir, ".audit-docs.tmp", budget / 8),
            n_docs: 0,
            docs: Vec::new(),
            names: Store::new(dir, ".audit-names.tmp", budget / 2),
            paras: Store::new(dir, ".audit-blocks.tmp", budget / 2),
            n_paras: 0,
            df: CountMin::new(18),
            postings: Sorter::new(dir, ".audit-postings.tmp", budget),
            figures: Sorter::new(dir, ".audit-figures.tmp", budget),
            seen_texts: HashSet::new(),
            dir: dir.to_path_buf(),
            budget,
            err: None,
            buf: Vec::new(),
        }
    }

    /// Take what the cross rules need from one document.
    pub fn observe(&mut self, doc: &Document) {
        self.add(Observation::of(doc));
    }

    /// Add a document's [`Observation`] (made on any thread); documents
    /// must come in input order, as their index is their place here.
    pub fn add(&mut self, obs: Observation) {
        if self.err.is_some() {
            return;
        }
        if let Err(e) = self.try_add(obs) {
            self.err = Some(e);
        }
    }

    fn try_add(&mut self, obs: Observation) -> std::io::Result<()> {
        if !self.seen_texts.insert(obs.text_hash) {
            return Ok(());
        }
        let di = self.n_docs;
        let info_at = self.names.push(&obs.names)?;
        let mut b = std::mem::take(&mut self.buf);
        b.clear();
        DocInfo {
            year: obs.year,
            unit: obs.unit,
            info_at,
        }
        .encode(&mut b);
        self.infos.push(&b)?;
        self.n_docs += 1;
        for f in &obs.figures {
            self.figures.push(
                [
                    (f.key >> 32) as u32,
                    f.key as u32,
                    di,
                    f.para,
                    f.start,
                    f.end,
                ],
                f.text.as_bytes(),
            )?;
        }
        for mut ps in obs.blocks {
            let pid = self.n_paras;
            self.n_paras += 1;
            for &h in &ps.sig {
                self.postings.push([h, pid, di], &[])?;
            }
            ps.doc = di;
            ps.encode(&mut b);
            self.paras.push(&b)?;
        }
        self.buf = b;
        for h in obs.shingles {
            self.df.add(h);
        }
        Ok(())
    }

    /// Similarity of two paragraphs from their sketches: the share of the
    /// union sample both hold, counting only shingles that few documents
    /// hold (boilerplate every report shares counts for nothing), and
    /// `None` when too little specific text is shared to call it a copy.
    fn similarity(&self, a: &ParaSig, b: &ParaSig, boiler_df: u16) -> Option<f64> {
        let (sa, sb) = (&a.sig, &b.sig);
        let mut union: Vec<u32> = sa.iter().chain(sb.iter()).copied().collect();
        union.sort_unstable();
        union.dedup();
        union.truncate(K);
        let (mut both, mut specific) = (0usize, 0usize);
        for h in &union {
            if self.df.get(*h) >= boiler_df {
                continue;
            }
            specific += 1;
            if sa.binary_search(h).is_ok() && sb.binary_search(h).is_ok() {
                both += 1;
            }
        }
        // The specific text both hold must also be a fair share of the
        // paragraphs themselves: two template paragraphs that differ only
        // in their figures and share one rare name are not a copy.
        let share_of_all = both as f64 / union.len().max(1) as f64;
        (both >= MIN_SHARED && share_of_all >= MIN_SHARE_OF_ALL)
            .then(|| both as f64 / specific.max(1) as f64)
    }

    /// Every document's [`DocInfo`], read back from their store.
    fn read_infos(&mut self) -> std::io::Result<Vec<DocInfo>> {
        let n = self.n_docs as usize;
        let mut docs = Vec::with_capacity(n);
        // A chunk of documents at a time: no second copy of them all.
        let mut b = vec![0u8; 4096 * DocInfo::SIZE];
        while docs.len() < n {
            let k = (n - docs.len()).min(4096);
            let chunk = &mut b[..k * DocInfo::SIZE];
            self.infos
                .read_at((docs.len() * DocInfo::SIZE) as u64, chunk)?;
            let mut r = Reader::new(chunk);
            docs.extend((0..k).map(|_| DocInfo::decode(&mut r)));
        }
        Ok(docs)
    }

    fn para(&mut self, p: u32) -> std::io::Result<ParaSig> {
        let mut b = vec![0u8; ParaSig::SIZE];
        self.paras
            .read_at(p as u64 * ParaSig::SIZE as u64, &mut b)?;
        Ok(ParaSig::decode(&b))
    }

    fn names(&mut self, d: u32) -> std::io::Result<DocNames> {
        let at = self.docs[d as usize].info_at;
        let mut len = [0u8; 4];
        self.names.read_at(at, &mut len)?;
        let n = u32::from_le_bytes(len) as usize;
        let mut id = vec![0u8; n + 4];
        self.names.read_at(at + 4, &mut id)?;
        let m = u32::from_le_bytes([id[n], id[n + 1], id[n + 2], id[n + 3]]) as usize;
        let mut title = vec![0u8; m];
        self.names.read_at(at + 8 + n as u64, &mut title)?;
        id.truncate(n);
        Ok(DocNames {
            doc_id: String::from_utf8(id).unwrap_or_default(),
            title: String::from_utf8(title).unwrap_or_default(),
        })
    }

    /// Pairs of blocks of different documents (first < second) whose
    /// sketches share at least three shingles that are not boilerplate
    /// (posting lists no longer than `MAX_POSTING`), in order. The postings
    /// come out sorted by shingle; each short list makes its pairs, which
    /// are sorted in turn and counted.
    fn candidate_pairs(&mut self, postings: Sorter<3>) -> std::io::Result<PairStream> {
        let mut pairs: Sorter<2> = Sorter::new(&self.dir, ".audit-pairs.tmp", self.budget);
        let mut merged = postings.into_merged()?;
        let mut none = Vec::new();
        let mut list: Vec<(u32, u32)> = Vec::with_capacity(MAX_POSTING + 1);
        let mut cur: Option<u32> = None;
        let mut long = false;
        loop {
            let next = merged.next_into(&mut none)?;
            if next.map(|k| k[0]) != cur {
                if !long {
                    for (i, &(p, dp)) in list.iter().enumerate() {
                        for &(q, dq) in &list[i + 1..] {
                            // Sorted by block within a shingle: p < q.
                            if dq == dp {
                                continue;
                            }
                            pairs.push([p, q], &[])?;
                        }
                    }
                }
                list.clear();
                long = false;
            }
            let Some([h, p, d]) = next else { break };
            cur = Some(h);
            if !long {
                list.push((p, d));
                if list.len() > MAX_POSTING {
                    long = true;
                    list.clear();
                }
            }
        }
        Ok(PairStream {
            merged: pairs.into_merged()?,
            last: None,
            n: 0,
            payload: Vec::new(),
        })
    }

    /// All cross-document findings as `findings.jsonl` records, one per
    /// document involved, in a deterministic order. Convenience for small
    /// indexes (tests, tools): a run hands them on by chunks with
    /// [`Self::findings_each`], and an I/O error here gives no findings.
    pub fn findings(&mut self) -> Vec<CrossFinding> {
        let mut out = Vec::new();
        let r = self.findings_each(|chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        });
        match r {
            Ok(()) => out,
            Err(_) => Vec::new(),
        }
    }

    /// All cross-document findings as `findings.jsonl` records, one per
    /// document involved, sorted by document and position, handed to `f`
    /// at most [`CHUNK`] at a time. The index is emptied.
    pub fn findings_each(
        &mut self,
        mut f: impl FnMut(&[CrossFinding]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if let Some(e) = self.err.take() {
            return Err(e.into());
        }
        let dir = self.dir.clone();
        let postings = std::mem::replace(&mut self.postings, Sorter::new(&dir, "", 0));
        let figures = std::mem::replace(&mut self.figures, Sorter::new(&dir, "", 0));
        self.seen_texts = HashSet::new();
        self.docs = self.read_infos()?;
        // Records in any order, by (document, position): stable, so a
        // paragraph's record comes before a figure's at the same place.
        let mut records: Sorter<2> = Sorter::new(&dir, ".audit-records.tmp", self.budget);
        let n_docs = self.docs.len();
        let boiler_df = (4.max(n_docs / 4)).min(u16::MAX as usize) as u16;
        // Each copied pair, both ways round, sorted by paragraph: (the
        // other paragraph, similarity). On disk past the budget, as the
        // pairs grow with the copying in the corpus (held in maps they made
        // a ~20 MB spike at 10^4 generated documents).
        let mut by_para: Sorter<1> = Sorter::new(&dir, ".audit-pairs.tmp", self.budget);
        let mut candidates = self.candidate_pairs(postings)?;
        while let Some((p, q)) = candidates.next_pair()? {
            let (a, b) = (self.para(p)?, self.para(q)?);
            if let Some(s) = self.similarity(&a, &b, boiler_df) {
                if s >= COPY_THRESHOLD {
                    for (x, y) in [(p, q), (q, p)] {
                        let mut other = [0u8; 12];
                        other[..4].copy_from_slice(&y.to_le_bytes());
                        other[4..].copy_from_slice(&s.to_le_bytes());
                        by_para.push([x], &other)?;
                    }
                }
            }
        }
        drop(candidates);

        // One record per (document, paragraph), naming every other document.
        // The lines of copied paragraphs, (document, line), sorted.
        let mut copied_paras: Vec<(u32, u32)> = Vec::new();
        let mut encoded = Vec::new();
        let mut merged = by_para.into_merged()?;
        let mut payload = Vec::new();
        let mut others: Vec<(u32, f64)> = Vec::new();
        let mut cur: Option<u32> = None;
        loop {
            let next = merged.next_into(&mut payload)?;
            let key = next.map(|k| k[0]);
            if key != cur {
                if let Some(p) = cur {
                    let ps = self.para(p)?;
                    copied_paras.extend((ps.index..=ps.last).map(|line| (ps.doc, line)));
                    self.copied_record(p, &mut others, &mut records, &mut encoded)?;
                }
                others.clear();
                cur = key;
            }
            if next.is_none() {
                break;
            }
            let (Some(q), Some(s)) = (
                payload.get(..4).and_then(|b| b.try_into().ok()),
                payload.get(4..12).and_then(|b| b.try_into().ok()),
            ) else {
                return Err(anyhow::anyhow!("audit: damaged paragraph pair record"));
            };
            others.push((u32::from_le_bytes(q), f64::from_le_bytes(s)));
        }
        drop(merged);
        copied_paras.sort_unstable();
        copied_paras.dedup();

        // Repeated distinctive figures: per value, the first 16 documents
        // that hold it.
        let mut merged = figures.into_merged()?;
        let mut group: Vec<FigOcc> = Vec::new();

        let mut cur: Option<(u32, u32)> = None;
        loop {
            let next = merged.next_into(&mut payload)?;
            let key = next.map(|k| (k[0], k[1]));
            if key != cur {
                self.repeated(&group, &copied_paras, &mut records, &mut encoded)?;
                group.clear();
                cur = key;
            }
            let Some(k) = next else { break };
            if group.len() < 16 {
                group.push(FigOcc {
                    doc: k[2],
                    para: k[3],
                    start: k[4],
                    end: k[5],
                    text: String::from_utf8_lossy(&payload).into_owned(),
                });
            }
        }
        drop(merged);

        let mut merged = records.into_merged()?;
        let mut chunk: Vec<CrossFinding> = Vec::with_capacity(CHUNK);
        while merged.next_into(&mut payload)?.is_some() {
            chunk.push(CrossFinding::decode(&payload));
            if chunk.len() >= CHUNK {
                f(&chunk)?;
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            f(&chunk)?;
        }
        self.docs = Vec::new();
        Ok(())
    }

    /// The copied-paragraph record of paragraph `p`, which is like the
    /// paragraphs `others` (other paragraph, similarity; in the order
    /// found), into `records`.
    fn copied_record(
        &mut self,
        p: u32,
        others: &mut [(u32, f64)],
        records: &mut Sorter<2>,
        encoded: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let ps = self.para(p)?;
        let d = self.names(ps.doc)?;
        others.sort_by_key(|a| a.0);
        let best = others.iter().map(|o| o.1).fold(0.0, f64::max);
        let mut names: Vec<String> = Vec::with_capacity(others.len());
        let mut refs: Vec<OtherPlace> = Vec::with_capacity(others.len());
        for (q, _) in others.iter() {
            let qs = self.para(*q)?;
            let od = self.names(qs.doc)?;
            names.push(format!("《{}》", od.title));
            refs.push(OtherPlace {
                doc_id: od.doc_id,
                start: qs.start,
                end: qs.end,
                text: Some(qs.excerpt),
            });
        }
        names.dedup();
        let message = format!(
            "本段与{}中的段落雷同（相似度{:.0}%，数字已忽略），疑为照搬其他报告",
            names.join("、"),
            best * 100.0
        );
        let rec = record(
            &d,
            "copied_paragraph",
            Severity::Warning,
            message,
            ps.start,
            ps.end,
            &ps.excerpt,
            refs,
        );
        rec.encode(encoded);
        records.push([ps.doc, ps.start], encoded)?;
        Ok(())
    }

    /// The records of one figure key's first occurrences (at most 16, in
    /// document order).
    fn repeated(
        &mut self,
        occs: &[FigOcc],
        copied_paras: &[(u32, u32)],
        records: &mut Sorter<2>,
        encoded: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let docs: HashSet<u32> = occs.iter().map(|o| o.doc).collect();
        // Two or three reports: shared by many it is a quoted statistic.
        if docs.len() < 2 || docs.len() > 3 {
            return Ok(());
        }
        if occs
            .iter()
            .all(|o| copied_paras.binary_search(&(o.doc, o.para)).is_ok())
        {
            return Ok(());
        }
        let text = occs[0].text.as_str();
        for o in occs {
            let d = self.docs[o.doc as usize];
            let others: Vec<&FigOcc> = occs
                .iter()
                .filter(|x| {
                    let od = &self.docs[x.doc as usize];
                    x.doc != o.doc && (od.year != d.year || od.unit != d.unit)
                })
                .collect();
            if others.is_empty() {
                continue;
            }
            let mut names: Vec<String> = Vec::with_capacity(others.len());
            let mut refs: Vec<OtherPlace> = Vec::with_capacity(others.len());
            for x in &others {
                let od = self.docs[x.doc as usize];
                let on = self.names(x.doc)?;
                names.push(match od.year {
                    Some(y) => format!("《{}》（{}年）", on.title, y),
                    None => format!("《{}》", on.title),
                });
                refs.push(OtherPlace {
                    doc_id: on.doc_id,
                    start: x.start,
                    end: x.end,
                    text: None,
                });
            }
            let message = format!(
                "数字“{text}”与{}中的同项数字完全相同，不同单位或年份的报告数字一致，需核实是否照抄",
                names.join("、")
            );
            let dn = self.names(o.doc)?;
            let rec = record(
                &dn,
                "repeated_figure",
                Severity::Info,
                message,
                o.start,
                o.end,
                text,
                refs,
            );
            rec.encode(encoded);
            records.push([o.doc, o.start], encoded)?;
        }
        Ok(())
    }
}

/// Logical paragraphs as (first line, last line): in hard-wrapped texts a
/// line that does not end a sentence continues on the next unindented line.
fn blocks(doc: &Document) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    for (i, p) in doc.paragraphs.iter().enumerate() {
        let t = p.span.slice(&doc.text);
        // Headings, blank lines and bracketed metadata fields of web
        // debris (`【原文出处】人民日报`) are not prose that can be copied.
        let tt = t.trim_start();
        if p.is_heading || tt.is_empty() || tt.starts_with('【') || tt.starts_with('[') {
            out.extend(cur.take());
            continue;
        }
        let indented = t.starts_with('\u{3000}') || t.starts_with("  ") || t.starts_with('\t');
        match cur {
            Some((f, l))
                if !indented && !ends_sentence(doc.paragraphs[l].span.slice(&doc.text)) =>
            {
                cur = Some((f, i));
            }
            _ => {
                out.extend(cur.take());
                cur = Some((i, i));
            }
        }
    }
    out.extend(cur);
    out
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end()
        .chars()
        .next_back()
        .is_none_or(|c| "。！？；：”」』!?;:）)".contains(c))
}

#[allow(clippy::too_many_arguments)]
fn record(
    d: &DocNames,
    rule: &str,
    severity: Severity,
    message: String,
    start: u32,
    end: u32,
    text: &str,
    others: Vec<OtherPlace>,
) -> CrossFinding {
    CrossFinding {
        finding_id: format!("{}:{}:{}-{}", d.doc_id, rule, start, end),
        doc_id: d.doc_id.clone(),
        rule: rule.to_string(),
        rule_name: rule_name(rule).to_string(),
        severity,
        message,
        start,
        end,
        text: text.to_string(),
        related: Vec::new(),
        facts: Vec::new(),
        others,
    }
}

/// The paragraph pairs that share at least three shingles, in order, read
/// from the sorted pair runs one at a time: on a large corpus of reports
/// written from templates they are millions, and a vector of them made a
/// spike of tens of MB at the end of the run.
struct PairStream {
    merged: Merged<2>,
    last: Option<[u32; 2]>,
    n: usize,
    payload: Vec<u8>,
}

impl PairStream {
    fn next_pair(&mut self) -> std::io::Result<Option<(u32, u32)>> {
        loop {
            let next = self.merged.next_into(&mut self.payload)?;
            let mut done = None;
            if next != self.last {
                if let Some([p, q]) = self.last {
                    if self.n >= 3 {
                        done = Some((p, q));
                    }
                }
                self.n = 0;
                self.last = next;
            }
            if next.is_some() {
                self.n += 1;
            }
            if done.is_some() || next.is_none() {
                return Ok(done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::doc_from_text;

    #[test]
    fn the_audits_scan_of_figures_observes_as_a_scan_of_its_own() {
        // The second line continues a number broken by a hard wrap: the
        // audit's rules leave its `０件` out, the cross index keeps it.
        let text =
            "全年共受理群众来信２３８\n０件，办结来信１２０５件。\n去年同期共办理来信2356件。";
        let mut doc = doc_from_text("a", text, Some(2024));
        let (_, scanned) = crate::audit::Auditor::new().audit_scanned(&doc);
        let ctx = crate::audit::Ctx::new(&doc);
        let first = |fs: &[scan::Figure]| fs.first().map(|f| doc.slice(f.span).to_string());
        assert_eq!(first(&ctx.scanned[1]).as_deref(), Some("０件"));
        assert_eq!(first(ctx.figures_of(1)).as_deref(), Some("１２０５件"));
        assert_eq!(first(ctx.figures_of(2)).as_deref(), Some("2356件"));
        let seen = |o: &Observation| {
            o.figures
                .iter()
                .map(|f| (f.key, f.para, f.start, f.end, f.text.clone()))
                .collect::<Vec<_>>()
        };
        let alone = seen(&Observation::of(&doc));
        doc.scanned_figures = Some(scanned);
        assert_eq!(seen(&Observation::of(&doc)), alone);
        assert!(alone.iter().any(|f| f.4 == "１２０５件"), "{alone:?}");
    }

    #[test]
    fn mask_char_classes_match_their_definitions_for_every_char() {
        const NUMERALS: &str = "零〇一二两三四五六七八九十百千万亿xXｘＸ_＿×.．%％";
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let numeral = scan::digit_value(c).is_some() || NUMERALS.contains(c);
            assert_eq!(is_mask_numeral(c), numeral, "{c:?}");
            assert_eq!(is_kept(c), c.is_alphanumeric(), "{c:?}");
        }
        assert_eq!(
            mask("共3.5万人参加，二〇二三年Ａ类X项"),
            "共#人参加#年Ａ类#项".chars().collect::<Vec<_>>()
        );
    }

    #[test]
    fn copied_paragraph_found_and_boilerplate_ignored() {
        let copied = "为推动全县科技助力乡村振兴工作，县科协工作人员多次深入到北坡村、东骆驼村等村，开展科技帮扶调研工作，实地了解产业发展现状和遇到的难题，结合每个村产业发展需求开展结对帮扶服务。";
        let boiler = "在县委、县政府的正确领导下，在省、市科协的关心指导下，团结带领全县广大科技工作者，求真务实、开拓创新，各项工作取得了一定成绩，为全县经济社会发展作出了积极贡献。";
        let mut idx = CrossIndex::new();
        for i in 0..12 {
            let mut text = format!("{boiler}\n第{i}段独有内容：本镇今年组织了第{i}次以农业技术为主题的专题活动，邀请专家讲解种植养殖知识，群众反响良好，各村踊跃参与。");
            if i == 2 {
                text.push('\n');
                text.push_str(copied);
            }
            if i == 7 {
                text.push('\n');
                text.push_str(&copied.replace("北坡村", "南岭村").replace("多次", "3次"));
            }
            let doc = doc_from_text(&format!("d{i}"), &text, Some(2020 + i));
            idx.observe(&doc);
        }
        let f = idx.findings();
        let copied: Vec<&CrossFinding> =
            f.iter().filter(|r| r.rule == "copied_paragraph").collect();
        let ids: Vec<&str> = copied.iter().map(|r| r.doc_id.as_str()).collect();
        assert_eq!(ids, vec!["d2", "d7"], "{f:#?}");
        assert_eq!(copied[0].others[0].doc_id, "d7");
    }

    #[test]
    fn a_finding_reads_back_from_the_record_sorter_as_written() {
        let other = |text: Option<&str>| OtherPlace {
            doc_id: "乙".into(),
            start: 7,
            end: 70_000,
            text: text.map(str::to_string),
        };
        let f = CrossFinding {
            finding_id: "甲:copied_paragraph:3-9".into(),
            doc_id: "甲".into(),
            rule: "copied_paragraph".into(),
            rule_name: rule_name("copied_paragraph").into(),
            severity: Severity::Warning,
            message: "本段与《乙》中的段落雷同".into(),
            start: 3,
            end: 9,
            text: "全县共举办培训班12期".into(),
            related: Vec::new(),
            facts: Vec::new(),
            others: vec![other(Some("摘录")), other(None), other(Some(""))],
        };
        let mut b = Vec::new();
        for severity in [Severity::Info, Severity::Warning, Severity::Error] {
            let g = CrossFinding {
                severity,
                ..f.clone()
            };
            g.encode(&mut b);
            assert_eq!(CrossFinding::decode(&b), g);
        }
        // And as findings.jsonl has it: the fields in the documented order.
        let line = serde_json::to_string(&f).unwrap();
        assert!(line
            .starts_with("{\"finding_id\":\"甲:copied_paragraph:3-9\",\"doc_id\":\"甲\",\"rule\""));
        assert!(line.contains("\"related\":[],\"facts\":[],\"others\":[{\"doc_id\":\"乙\",\"start\":7,\"end\":70000,\"text\":\"摘录\"},{\"doc_id\":\"乙\",\"start\":7,\"end\":70000},"));
    }

    /// The same findings when every sorter and store spills to disk after
    /// a few records as when all stays in memory.
    #[test]
    fn spilled_index_finds_the_same() {
        let copied = "为推动全县科技助力乡村振兴工作，县科协工作人员多次深入到北坡村、东骆驼村等村，开展科技帮扶调研工作，实地了解产业发展现状和遇到的难题，结合每个村产业发展需求开展结对帮扶服务。";
        let tmp = tempfile::tempdir().unwrap();
        let mut mem = CrossIndex::new();
        let mut disk = CrossIndex::with_budget(tmp.path(), 256);
        for i in 0..40 {
            let mut text = format!("第{i}段独有内容：本镇今年组织了第{i}次以农业技术为主题的专题活动，邀请专家讲解种植养殖知识，群众反响良好，各村踊跃参与。\n全年共培训农民{}人次，发放资料{}份。", 2356 + (i % 7) * 1000, 4810 + (i % 11) * 100);
            if i % 9 == 2 {
                text.push('\n');
                text.push_str(&copied.replace("北坡村", &format!("第{i}村")));
            }
            let doc = doc_from_text(&format!("d{i}"), &text, Some(2000 + i % 5));
            mem.observe(&doc);
            disk.observe(&doc);
        }
        let want = mem.findings();
        assert!(want.iter().any(|r| r.rule == "copied_paragraph"));
        assert!(want.iter().any(|r| r.rule == "repeated_figure"));
        let mut got = Vec::new();
        let mut chunks = 0;
        disk.findings_each(|c| {
            chunks += 1;
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, want);
        assert!(chunks >= 1);
    }

    #[test]
    fn repeated_figure_across_years() {
        let mut idx = CrossIndex::new();
        idx.observe(&doc_from_text("a", "全年共培训农民2356人次。", Some(2020)));
        idx.observe(&doc_from_text("b", "今年共培训农民2356人次。", Some(2021)));
        idx.observe(&doc_from_text("c", "今年共培训农民2000人次。", Some(2021)));
        let f = idx.findings();
        let ids: Vec<&str> = f.iter().map(|r| r.doc_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(f[0].rule, "repeated_figure");
    }
}

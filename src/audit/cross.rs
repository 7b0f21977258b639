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

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

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

#[derive(Debug, Clone)]
struct DocInfo {
    doc_id: Box<str>,
    title: Box<str>,
    year: Option<i32>,
    /// Region name or title (who reports), interned: only compared.
    unit: u32,
    text_hash: u64,
}

/// One block's sketch. The sketch and the excerpt live in flat arrays of
/// the index (one allocation for all blocks instead of two per block).
#[derive(Debug, Clone, Copy)]
struct ParaSig {
    doc: u32,
    /// First and last line (paragraph index) of the block.
    index: u32,
    last: u32,
    start: u32,
    end: u32,
    sig_at: usize,
    sig_len: u32,
    excerpt_at: usize,
    excerpt_len: u32,
}

/// One occurrence of a distinctive figure: the first in its document.
#[derive(Debug, Clone, Copy)]
struct FigOcc {
    key: u64,
    doc: u32,
    para: u32,
    start: u32,
    end: u32,
    /// The figure as written, in `fig_text`.
    text_at: usize,
    text_len: u32,
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
        let numeric = scan::digit_value(c).is_some()
            || "零〇一二两三四五六七八九十百千万亿xXｘＸ_＿×.．%％".contains(c);
        if numeric {
            if out.last() != Some(&'#') {
                out.push('#');
            }
        } else if c.is_alphanumeric() {
            out.push(c);
        }
    }
    out
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

/// The index behind the cross-document rules.
///
/// Everything that grows with the corpus is kept flat (no map of vectors,
/// no string per entry): a map of small vectors costs a table slot, a
/// vector header and an allocation for each of the ~500 shingles a
/// document posts, several times the 8 bytes of the posting itself.
pub struct CrossIndex {
    docs: Vec<DocInfo>,
    units: HashMap<Box<str>, u32>,
    paras: Vec<ParaSig>,
    /// Every block's sketch, back to back (`ParaSig::sig_at`).
    sigs: Vec<u32>,
    /// Every block's excerpt, back to back (`ParaSig::excerpt_at`).
    excerpts: String,
    df: CountMin,
    /// (shingle hash, block) for each hash of each sketch, in the order
    /// observed; sorted by hash when the findings are computed.
    postings: Vec<(u32, u32)>,
    /// Distinctive figures, in the order observed.
    figures: Vec<FigOcc>,
    fig_text: String,
    /// Hashes of the texts seen: an exact duplicate (the same report saved
    /// twice, in two encodings) is not a second report.
    seen_texts: HashSet<u64>,
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

impl CrossIndex {
    pub fn new() -> Self {
        CrossIndex {
            docs: Vec::new(),
            paras: Vec::new(),
            units: HashMap::new(),
            sigs: Vec::new(),
            excerpts: String::new(),
            df: CountMin::new(18),
            postings: Vec::new(),
            figures: Vec::new(),
            fig_text: String::new(),
            seen_texts: HashSet::new(),
        }
    }

    /// Take what the cross rules need from one document.
    pub fn observe(&mut self, doc: &Document) {
        let text_hash = fnv(doc.text.bytes().map(u32::from));
        if !self.seen_texts.insert(text_hash) {
            return;
        }
        let di = self.docs.len() as u32;
        let idx = CharIndex::new(&doc.text);
        let unit = doc
            .region
            .as_ref()
            .and_then(|r| {
                r.township
                    .clone()
                    .or(r.county.clone())
                    .or(r.prefecture.clone())
                    .or(r.province.clone())
            })
            .or_else(|| doc.title.clone())
            .unwrap_or_default();
        let next_unit = self.units.len() as u32;
        let unit = *self.units.entry(unit.into_boxed_str()).or_insert(next_unit);
        self.docs.push(DocInfo {
            doc_id: doc.doc_id.as_str().into(),
            title: doc
                .title
                .as_deref()
                .unwrap_or(doc.source.path.as_str())
                .into(),
            year: doc.year,
            unit,
            text_hash,
        });
        let mut doc_shingles: HashSet<u32> = HashSet::new();
        // Only a figure's first occurrence in a document is kept.
        let mut doc_figures: HashSet<u64> = HashSet::new();
        for (pi, p) in doc.paragraphs.iter().enumerate() {
            let pt = p.span.slice(&doc.text);
            // Figures: what is counted (the clause before), value and unit.
            for f in scan::figures(pt, p.span.start) {
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
                let (a, b) = idx.span(f.span);
                let text = doc.slice(f.span);
                self.figures.push(FigOcc {
                    key,
                    doc: di,
                    para: pi as u32,
                    start: a as u32,
                    end: b as u32,
                    text_at: self.fig_text.len(),
                    text_len: text.len() as u32,
                });
                self.fig_text.push_str(text);
            }
        }
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
            doc_shingles.extend(sh.iter().copied());
            let mut sig = sh;
            sig.sort_unstable();
            sig.truncate(K);
            let pid = self.paras.len() as u32;
            self.postings.extend(sig.iter().map(|&h| (h, pid)));
            let (a, b) = idx.span(span);
            let excerpt_at = self.excerpts.len();
            self.excerpts.extend(
                pt.trim()
                    .chars()
                    .filter(|c| *c != '\n' && *c != '\r')
                    .take(EXCERPT),
            );
            self.paras.push(ParaSig {
                doc: di,
                index: first as u32,
                last: last as u32,
                start: a as u32,
                end: b as u32,
                sig_at: self.sigs.len(),
                sig_len: sig.len() as u32,
                excerpt_at,
                excerpt_len: (self.excerpts.len() - excerpt_at) as u32,
            });
            self.sigs.extend_from_slice(&sig);
        }
        for h in doc_shingles {
            self.df.add(h);
        }
    }

    /// Similarity of two paragraphs from their sketches: the share of the
    /// union sample both hold, counting only shingles that few documents
    /// hold (boilerplate every report shares counts for nothing), and
    /// `None` when too little specific text is shared to call it a copy.
    fn similarity(&self, a: &ParaSig, b: &ParaSig, boiler_df: u16) -> Option<f64> {
        let (sa, sb) = (self.sig(a), self.sig(b));
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

    fn sig(&self, p: &ParaSig) -> &[u32] {
        self.sigs
            .get(p.sig_at..p.sig_at + p.sig_len as usize)
            .unwrap_or(&[])
    }

    fn excerpt(&self, p: &ParaSig) -> &str {
        self.excerpts
            .get(p.excerpt_at..p.excerpt_at + p.excerpt_len as usize)
            .unwrap_or("")
    }

    /// The blocks holding shingle `h` (postings sorted by hash).
    fn posting(&self, h: u32) -> &[(u32, u32)] {
        let a = self.postings.partition_point(|e| e.0 < h);
        let b = a + self.postings[a..].partition_point(|e| e.0 == h);
        &self.postings[a..b]
    }

    /// Pairs of blocks of different documents (first < second) whose
    /// sketches share at least three shingles that are not boilerplate
    /// (posting lists no longer than `MAX_POSTING`), in order. Counted
    /// block by block, so memory holds one block's neighbours, not every
    /// pair of the corpus.
    fn candidate_pairs(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut near: Vec<u32> = Vec::new();
        for (p, ps) in self.paras.iter().enumerate() {
            let p = p as u32;
            let dp = &self.docs[ps.doc as usize];
            near.clear();
            for &h in self.sig(ps) {
                let list = self.posting(h);
                if list.len() > MAX_POSTING {
                    continue;
                }
                for &(_, q) in list {
                    if q <= p {
                        continue;
                    }
                    let dq_i = self.paras[q as usize].doc;
                    if dq_i == ps.doc || self.docs[dq_i as usize].text_hash == dp.text_hash {
                        continue;
                    }
                    near.push(q);
                }
            }
            near.sort_unstable();
            let mut i = 0;
            while i < near.len() {
                let q = near[i];
                let n = near[i..].iter().take_while(|&&x| x == q).count();
                if n >= 3 {
                    out.push((p, q));
                }
                i += n;
            }
        }
        out
    }

    /// All cross-document findings as `findings.jsonl` records, one per
    /// document involved, in a deterministic order.
    pub fn findings(&mut self) -> Vec<Value> {
        self.postings.sort_unstable();
        // Stable: a figure's occurrences stay in document order.
        self.figures.sort_by_key(|o| o.key);
        let n_docs = self.docs.len();
        let boiler_df = (4.max(n_docs / 4)).min(u16::MAX as usize) as u16;
        let pairs: Vec<(u32, u32, f64)> = self
            .candidate_pairs()
            .into_iter()
            .filter_map(|(p, q)| {
                let s =
                    self.similarity(&self.paras[p as usize], &self.paras[q as usize], boiler_df)?;
                (s >= COPY_THRESHOLD).then_some((p, q, s))
            })
            .collect();

        // One record per (document, paragraph), naming every other document.
        let mut per_para: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
        let mut copied_paras: HashSet<(u32, u32)> = HashSet::new();
        for &(p, q, s) in &pairs {
            per_para.entry(p).or_default().push((q, s));
            per_para.entry(q).or_default().push((p, s));
            for x in [p, q] {
                let ps = &self.paras[x as usize];
                for line in ps.index..=ps.last {
                    copied_paras.insert((ps.doc, line));
                }
            }
        }
        let mut out: Vec<(u32, u32, Value)> = Vec::new();
        for (&p, others) in &per_para {
            let ps = &self.paras[p as usize];
            let d = &self.docs[ps.doc as usize];
            let mut others = others.clone();
            others.sort_by_key(|a| a.0);
            let best = others.iter().map(|o| o.1).fold(0.0, f64::max);
            let names: Vec<String> = others
                .iter()
                .map(|(q, _)| {
                    let od = &self.docs[self.paras[*q as usize].doc as usize];
                    format!("《{}》", od.title)
                })
                .collect::<Vec<_>>();
            let mut names_dedup = names.clone();
            names_dedup.dedup();
            let refs: Vec<Value> = others
                .iter()
                .map(|(q, _)| {
                    let qs = &self.paras[*q as usize];
                    json!({"doc_id": self.docs[qs.doc as usize].doc_id, "start": qs.start, "end": qs.end, "text": self.excerpt(qs)})
                })
                .collect();
            let message = format!(
                "本段与{}中的段落雷同（相似度{:.0}%，数字已忽略），疑为照搬其他报告",
                names_dedup.join("、"),
                best * 100.0
            );
            out.push((
                ps.doc,
                ps.start,
                record(
                    d,
                    "copied_paragraph",
                    Severity::Warning,
                    message,
                    ps.start,
                    ps.end,
                    self.excerpt(ps),
                    refs,
                ),
            ));
        }

        // Repeated distinctive figures: per value, the first 16 documents
        // that hold it.
        for group in self.figures.chunk_by(|a, b| a.key == b.key) {
            let occs = &group[..group.len().min(16)];
            let docs: HashSet<u32> = occs.iter().map(|o| o.doc).collect();
            // Two or three reports: shared by many it is a quoted statistic.
            if docs.len() < 2 || docs.len() > 3 {
                continue;
            }
            if occs.iter().all(|o| copied_paras.contains(&(o.doc, o.para))) {
                continue;
            }
            let first = &occs[0];
            let text = self
                .fig_text
                .get(first.text_at..first.text_at + first.text_len as usize)
                .unwrap_or("");
            for o in occs {
                let d = &self.docs[o.doc as usize];
                let others: Vec<&FigOcc> = occs
                    .iter()
                    .filter(|x| {
                        let od = &self.docs[x.doc as usize];
                        x.doc != o.doc
                            && od.text_hash != d.text_hash
                            && (od.year != d.year || od.unit != d.unit)
                    })
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let names: Vec<String> = others
                    .iter()
                    .map(|x| {
                        let od = &self.docs[x.doc as usize];
                        match od.year {
                            Some(y) => format!("《{}》（{}年）", od.title, y),
                            None => format!("《{}》", od.title),
                        }
                    })
                    .collect();
                let refs: Vec<Value> = others
                    .iter()
                    .map(|x| json!({"doc_id": self.docs[x.doc as usize].doc_id, "start": x.start, "end": x.end}))
                    .collect();
                let message = format!(
                    "数字“{text}”与{}中的同项数字完全相同，不同单位或年份的报告数字一致，需核实是否照抄",
                    names.join("、")
                );
                out.push((
                    o.doc,
                    o.start,
                    record(
                        d,
                        "repeated_figure",
                        Severity::Info,
                        message,
                        o.start,
                        o.end,
                        text,
                        refs,
                    ),
                ));
            }
        }
        out.sort_by_key(|a| (a.0, a.1));
        out.into_iter().map(|(_, _, v)| v).collect()
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
    d: &DocInfo,
    rule: &str,
    severity: Severity,
    message: String,
    start: u32,
    end: u32,
    text: &str,
    others: Vec<Value>,
) -> Value {
    json!({
        "finding_id": format!("{}:{}:{}-{}", d.doc_id, rule, start, end),
        "doc_id": d.doc_id,
        "rule": rule,
        "rule_name": rule_name(rule),
        "severity": severity,
        "message": message,
        "start": start,
        "end": end,
        "text": text,
        "related": [],
        "facts": [],
        "others": others,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::doc_from_text;

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
        let copied: Vec<&Value> = f
            .iter()
            .filter(|r| r["rule"] == "copied_paragraph")
            .collect();
        let ids: Vec<&str> = copied
            .iter()
            .map(|r| r["doc_id"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(ids, vec!["d2", "d7"], "{f:#?}");
        assert_eq!(copied[0]["others"][0]["doc_id"], "d7");
    }

    #[test]
    fn repeated_figure_across_years() {
        let mut idx = CrossIndex::new();
        idx.observe(&doc_from_text("a", "全年共培训农民2356人次。", Some(2020)));
        idx.observe(&doc_from_text("b", "今年共培训农民2356人次。", Some(2021)));
        idx.observe(&doc_from_text("c", "今年共培训农民2000人次。", Some(2021)));
        let f = idx.findings();
        let ids: Vec<&str> = f
            .iter()
            .map(|r| r["doc_id"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(f[0]["rule"], "repeated_figure");
    }
}

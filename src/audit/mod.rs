//! The audit: rules over one document's figures and dates, and a
//! cross-document index for copied paragraphs and repeated figures.
//!
//! Every rule has a stable English id, a severity and a Chinese message
//! naming the offending numbers. Rules read the text with the audit's own
//! light scanners ([`scan`]) and link the extractors' facts that overlap the
//! spans they flag, so a finding still points at facts when there are some
//! but does not depend on an extractor having caught every form.

pub mod cross;
pub mod dates;
pub mod placeholder;
pub mod plant;
pub mod report;
pub mod scan;
pub mod spill;
pub mod totals;
pub mod values;

use std::path::PathBuf;

use crate::batch::Sink;
use crate::model::{Document, Finding, Severity, Span};

/// Every rule id with its default severity and a short Chinese name (used
/// by the report and documented in one place).
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "placeholder_figure",
        Severity::Error,
        "数字未填写（占位符）",
    ),
    ("placeholder_date", Severity::Error, "日期未填写（占位符）"),
    (
        "placeholder_text",
        Severity::Warning,
        "名称未填写（占位符）",
    ),
    ("impossible_date", Severity::Error, "不存在的日期"),
    ("backwards_range", Severity::Error, "起止颠倒的日期范围"),
    ("degenerate_range", Severity::Warning, "起止相同的日期范围"),
    ("date_outside_year", Severity::Warning, "日期不在报告年度内"),
    ("sum_mismatch", Severity::Error, "合计与分项之和不符"),
    (
        "enumeration_mismatch",
        Severity::Error,
        "所称项数与列举项数不符",
    ),
    ("part_exceeds_total", Severity::Error, "“其中”部分大于总数"),
    ("percent_over_100", Severity::Error, "比例超过100%"),
    ("impossible_value", Severity::Error, "不可能的数值"),
    (
        "inconsistent_figure",
        Severity::Warning,
        "同一数字前后表述不一",
    ),
    ("copied_paragraph", Severity::Warning, "与其他报告段落雷同"),
    ("repeated_figure", Severity::Info, "与其他报告数字完全相同"),
];

/// The Chinese name of a rule.
pub fn rule_name(rule: &str) -> &'static str {
    RULES
        .iter()
        .find(|r| r.0 == rule)
        .map(|r| r.2)
        .unwrap_or("其他")
}

/// The per-document rules, built once and shared by all threads.
#[derive(Debug, Default)]
pub struct Auditor {}

impl Auditor {
    pub fn new() -> Self {
        Auditor {}
    }

    /// All findings of one analysed document (paragraphs, sentences and
    /// facts set), sorted by position.
    pub fn audit(&self, doc: &Document) -> Vec<Finding> {
        self.audit_scanned(doc).0
    }

    /// [`Auditor::audit`], and every figure of each paragraph as scanned:
    /// the cross-document index reads them later instead of scanning the
    /// text again (the scan is ~3% of a run's instructions).
    pub fn audit_scanned(&self, doc: &Document) -> (Vec<Finding>, Vec<Vec<scan::Figure>>) {
        let ctx = Ctx::new(doc);
        let mut out = Vec::new();
        placeholder::check(&ctx, &mut out);
        dates::check(&ctx, &mut out);
        totals::check(&ctx, &mut out);
        values::check(&ctx, &mut out);
        link_facts(doc, &mut out);
        out.sort_by(|a, b| {
            (a.span.start, a.span.end, a.rule).cmp(&(b.span.start, b.span.end, b.rule))
        });
        out.dedup_by(|a, b| a.rule == b.rule && a.span == b.span);
        (out, ctx.scanned)
    }
}

/// Attach to each finding the indices of the facts that overlap any of its
/// spans. One sweep over spans and facts in text order: comparing every
/// finding with every fact took minutes on a hostile text with tens of
/// thousands of each.
fn link_facts(doc: &Document, findings: &mut [Finding]) {
    use std::cmp::Reverse;
    let mut queries: Vec<(Span, usize)> = findings
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            std::iter::once(f.span)
                .chain(f.related_spans.iter().copied())
                .map(move |s| (s, i))
        })
        .collect();
    queries.sort_by_key(|(s, _)| s.start);
    let facts = &doc.facts;
    let mut by_start: Vec<usize> = (0..facts.len()).collect();
    by_start.sort_by_key(|&i| facts[i].span.start);
    // Facts that start before the current span and may still reach into
    // it, soonest end on top.
    let mut open: std::collections::BinaryHeap<Reverse<(usize, usize)>> = Default::default();
    let mut next = 0;
    for (q, fi) in queries {
        while let Some(&i) = by_start
            .get(next)
            .filter(|&&i| facts[i].span.start < q.start)
        {
            open.push(Reverse((facts[i].span.end, i)));
            next += 1;
        }
        while open.peek().is_some_and(|Reverse((end, _))| *end <= q.start) {
            open.pop();
        }
        let found = &mut findings[fi].facts;
        found.extend(
            open.iter()
                .map(|Reverse((_, i))| *i)
                .filter(|&i| facts[i].span.overlaps(&q)),
        );
        found.extend(
            by_start[next..]
                .iter()
                .take_while(|&&i| facts[i].span.start < q.end)
                .filter(|&&i| facts[i].span.overlaps(&q)),
        );
    }
    for f in findings {
        f.facts.sort_unstable();
        f.facts.dedup();
    }
}

/// Spans kept sorted by start with the running maximum of their ends, so
/// that whether a span overlaps any of them is a binary search: the rules
/// that skip what an earlier finding covers asked every finding in turn.
#[derive(Default)]
pub struct SpanIndex {
    spans: Vec<Span>,
    max_end: Vec<usize>,
}

impl SpanIndex {
    pub fn new(spans: impl IntoIterator<Item = Span>) -> Self {
        let mut spans: Vec<Span> = spans.into_iter().collect();
        spans.sort_by_key(|s| s.start);
        let mut index = SpanIndex {
            max_end: Vec::with_capacity(spans.len()),
            spans,
        };
        index.refresh_from(0);
        index
    }

    fn refresh_from(&mut self, k: usize) {
        self.max_end.truncate(k);
        let mut m = k.checked_sub(1).map_or(0, |p| self.max_end[p]);
        for s in &self.spans[k..] {
            m = m.max(s.end);
            self.max_end.push(m);
        }
    }

    /// Adds a span (cheap when spans come in text order, as they do).
    pub fn insert(&mut self, s: Span) {
        let k = self.spans.partition_point(|x| x.start <= s.start);
        self.spans.insert(k, s);
        self.refresh_from(k);
    }

    /// Whether `q` overlaps a span of the index ([`Span::overlaps`]).
    pub fn overlaps(&self, q: &Span) -> bool {
        // Among the spans starting before q ends, one overlaps q exactly
        // when the furthest end among them is past q's start.
        let n = self.spans.partition_point(|x| x.start < q.end);
        n > 0 && self.max_end[n - 1] > q.start
    }
}

/// What the rules share about one document: figures and dates per
/// paragraph, computed once.
pub struct Ctx<'a> {
    pub doc: &'a Document,
    pub text: &'a str,
    /// Every figure of each paragraph (absolute spans), as scanned; the
    /// rules read [`Ctx::figures_of`], which leaves out wrapped parts.
    pub scanned: Vec<Vec<scan::Figure>>,
    /// Per paragraph, how many of its first figures are the tail of a
    /// number broken by a hard line wrap (0 or 1 in practice).
    wrapped: Vec<usize>,
    /// Date expressions of each paragraph.
    pub dates: Vec<Vec<scan::DateTok>>,
}

impl<'a> Ctx<'a> {
    pub fn new(doc: &'a Document) -> Self {
        let text = doc.text.as_str();
        let mut scanned = Vec::with_capacity(doc.paragraphs.len());
        let mut wrapped = Vec::with_capacity(doc.paragraphs.len());
        let mut dates = Vec::with_capacity(doc.paragraphs.len());
        for p in &doc.paragraphs {
            let t = p.span.slice(text);
            let fs = scan::figures(t, p.span.start);
            // A number broken by a hard line wrap (`立案２３８\n０件`): the
            // part on this line is not a figure of its own.
            let prev_digit = text
                .get(..p.span.start)
                .map(|b| b.trim_end_matches(['\n', '\r']))
                .and_then(|b| b.chars().next_back())
                .is_some_and(|c| scan::digit_value(c).is_some() || matches!(c, '.' | '．'));
            // Figures come in text order, so those of the wrapped number
            // are the first ones.
            let lead = p.span.start + (t.len() - t.trim_start().len());
            wrapped.push(if prev_digit {
                fs.iter().take_while(|f| f.span.start <= lead).count()
            } else {
                0
            });
            scanned.push(fs);
            dates.push(scan::dates(t, p.span.start));
        }
        Ctx {
            doc,
            text,
            scanned,
            wrapped,
            dates,
        }
    }

    /// The figures of paragraph `pi` the rules consider.
    pub fn figures_of(&self, pi: usize) -> &[scan::Figure] {
        let all = &self.scanned[pi];
        &all[self.wrapped[pi].min(all.len())..]
    }

    /// [`Ctx::figures_of`] for every paragraph, in order.
    pub fn figures(&self) -> impl Iterator<Item = &[scan::Figure]> + '_ {
        (0..self.scanned.len()).map(|pi| self.figures_of(pi))
    }

    /// The clause text before a figure of this document.
    pub fn lead_of(&self, f: &scan::Figure) -> &'a str {
        self.text.get(f.lead..f.span.start).unwrap_or("")
    }

    pub fn slice(&self, s: Span) -> &'a str {
        self.text.get(s.start..s.end).unwrap_or("")
    }

    /// Start of the clause holding byte `pos` of paragraph `pi` (after the
    /// previous `，。；：` or the paragraph start).
    pub fn clause_start(&self, pi: usize, pos: usize) -> usize {
        let p = self.doc.paragraphs[pi].span;
        let before = self.text.get(p.start..pos).unwrap_or("");
        match before.rfind(is_clause_mark) {
            Some(i) => {
                let c = before[i..].chars().next().map_or(1, |c| c.len_utf8());
                p.start + i + c
            }
            None => p.start,
        }
    }

    /// End of the clause holding byte `pos`.
    pub fn clause_end(&self, pi: usize, pos: usize) -> usize {
        let p = self.doc.paragraphs[pi].span;
        let after = self.text.get(pos..p.end).unwrap_or("");
        match after.find(is_clause_mark) {
            Some(i) => pos + i,
            None => p.end,
        }
    }

    /// The sentence span holding byte `pos` (or the paragraph's).
    pub fn sentence_of(&self, pos: usize) -> Span {
        let i = self.doc.sentences.partition_point(|s| s.span.end <= pos);
        match self.doc.sentences.get(i) {
            Some(s) if s.span.start <= pos => s.span,
            _ => self
                .doc
                .paragraphs
                .iter()
                .find(|p| p.span.start <= pos && pos <= p.span.end)
                .map(|p| p.span)
                .unwrap_or_default(),
        }
    }

    /// Titles of the sections holding paragraph `pi`, innermost first.
    pub fn section_titles(&self, pi: usize) -> Vec<&'a str> {
        let p = self.doc.paragraphs[pi].span;
        self.doc
            .sections
            .iter()
            .filter(|s| s.extent.start <= p.start && p.start < s.extent.end)
            .map(|s| s.title.as_str())
            .collect()
    }
}

pub fn is_clause_mark(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '；' | ';' | '：' | ':' | '！' | '？' | '!' | '?'
    )
}

/// A finding with no facts linked yet.
pub fn finding(
    rule: &'static str,
    severity: Severity,
    message: String,
    span: Span,
    related: Vec<Span>,
) -> Finding {
    Finding {
        rule,
        severity,
        message,
        span,
        related_spans: related,
        facts: Vec::new(),
        others: Vec::new(),
    }
}

/// Format a number as written in messages (`12`, `3.5`).
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A document built from plain text with sections, paragraphs and
/// sentences set (for tests, the planted corpus and tools).
pub fn doc_from_text(doc_id: &str, text: &str, year: Option<i32>) -> Document {
    use crate::model::{Format, Source};
    let sections = crate::ingest::structure::find_sections(text, &[]);
    let paragraphs = crate::segment::paragraphs(text, &sections);
    let sentences = crate::segment::sentences(text, &paragraphs);
    Document {
        doc_id: doc_id.to_string(),
        source: Source {
            path: format!("{doc_id}.txt"),
            piece: 1,
            pieces: 1,
            format: Format::Txt,
            sha256: String::new(),
            encoding: "UTF-8".into(),
            piece_header: None,
            offset_in_file: 0,
        },
        title: crate::ingest::structure::find_title(text, None),
        text: text.to_string(),
        year,
        year_source: year.map(|_| "given"),
        region: None,
        sections,
        paragraphs,
        sentences,
        facts: Vec::new(),
        findings: Vec::new(),
        scanned_figures: None,
    }
}

/// Wraps the run's sinks: observes every document for the cross-document
/// index and the report, then at `finish` hands the cross-document findings
/// to the sinks and writes `audit/index.html` and `audit/audit.md`.
pub struct AuditSink<S: Sink> {
    pub inner: S,
    index: cross::CrossIndex,
    report: report::Report,
    dir: PathBuf,
    /// Cross-document findings written at finish (for run.json totals).
    pub cross_count: usize,
}

impl<S: Sink> AuditSink<S> {
    /// `dir` receives the report (`OUT/audit`); temporary files, when a
    /// large run needs them, go to its parent (`OUT`).
    pub fn new(inner: S, dir: PathBuf) -> Self {
        let spill = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        AuditSink {
            inner,
            index: cross::CrossIndex::with_spill_dir(&spill),
            report: report::Report::with_spill_dir(&spill),
            dir,
            cross_count: 0,
        }
    }
}

impl<S: Sink> Sink for AuditSink<S> {
    fn document_prepared(
        &mut self,
        doc: &Document,
        prepared: &mut crate::batch::Prepared,
    ) -> anyhow::Result<()> {
        match prepared.cross.take() {
            Some(obs) => self.index.add(obs),
            None => self.index.observe(doc),
        }
        self.report.observe(doc);
        self.inner.document_prepared(doc, prepared)
    }
    fn plan(&self, plan: &mut crate::batch::PreparePlan) {
        plan.cross = true;
        self.inner.plan(plan);
    }
    fn cross_findings(
        &mut self,
        records: &[crate::audit::cross::CrossFinding],
    ) -> anyhow::Result<()> {
        self.inner.cross_findings(records)
    }
    fn finish(&mut self) -> anyhow::Result<()> {
        // The records come sorted by document, a chunk at a time: neither
        // they nor the report's items are ever all in memory.
        let (inner, report) = (&mut self.inner, &mut self.report);
        let mut count = 0;
        self.index.findings_each(|chunk| {
            count += chunk.len();
            inner.cross_findings(chunk)?;
            report.add_cross(chunk);
            Ok(())
        })?;
        if count == 0 {
            self.inner.cross_findings(&[])?;
        }
        self.cross_count = count;
        // The readable report is written on a thread of its own while the
        // other sinks finish (reports, digests, the store's indexes): it is
        // serial work, and waiting for it left a core idle at the end.
        let (inner, report, dir) = (&mut self.inner, &mut self.report, &self.dir);
        std::thread::scope(|scope| {
            let written = scope.spawn(|| report.write(dir));
            let finished = inner.finish();
            let written = written
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            written?;
            finished
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Fact, FactData, OrgFact};
    use proptest::prelude::*;

    fn spans(raw: &[(usize, usize)]) -> Vec<Span> {
        raw.iter().map(|&(s, len)| Span::new(s, s + len)).collect()
    }

    proptest! {
        /// The index answers as asking every span would, whatever order the
        /// spans are inserted in.
        #[test]
        fn span_index_overlaps_as_every_span_would(
            first in prop::collection::vec((0usize..60, 0usize..12), 0..20),
            later in prop::collection::vec((0usize..60, 0usize..12), 0..20),
            queries in prop::collection::vec((0usize..70, 0usize..12), 1..20),
        ) {
            let (first, later, queries) = (spans(&first), spans(&later), spans(&queries));
            let mut index = SpanIndex::new(first.iter().copied());
            let mut all = first.clone();
            for s in later {
                index.insert(s);
                all.push(s);
                for q in &queries {
                    prop_assert_eq!(index.overlaps(q), all.iter().any(|a| a.overlaps(q)), "{:?}", q);
                }
            }
            for q in &queries {
                prop_assert_eq!(index.overlaps(q), all.iter().any(|a| a.overlaps(q)));
            }
        }

        /// The sweep links to each finding the facts that overlap any of
        /// its spans, as comparing every finding with every fact does.
        #[test]
        fn linked_facts_are_the_facts_overlapping_any_span(
            facts in prop::collection::vec((0usize..80, 0usize..30), 0..30),
            findings in prop::collection::vec(
                ((0usize..90, 0usize..6), prop::collection::vec((0usize..90, 0usize..6), 0..3)),
                0..12,
            ),
        ) {
            let mut doc = doc_from_text("d", "正文", Some(2024));
            doc.facts = spans(&facts)
                .into_iter()
                .map(|s| Fact::new(s, FactData::Org(OrgFact { name: String::new(), category: String::new() })))
                .collect();
            let mut found: Vec<Finding> = findings
                .iter()
                .map(|(main, related)| {
                    finding("sum_mismatch", Severity::Error, String::new(), spans(&[*main])[0], spans(related))
                })
                .collect();
            link_facts(&doc, &mut found);
            for f in &found {
                let want: Vec<usize> = (0..doc.facts.len())
                    .filter(|&i| {
                        std::iter::once(&f.span)
                            .chain(&f.related_spans)
                            .any(|s| s.overlaps(&doc.facts[i].span))
                    })
                    .collect();
                prop_assert_eq!(&f.facts, &want);
            }
        }
    }
}

//! Digests: documents grouped by county and year, and overall. A digest is
//! built from a small head per document kept in memory and the document's
//! detail (figures, findings, …), spilled to a file by the render sink and
//! read back one document at a time when the run ends.

use std::collections::{BTreeMap, HashMap};

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{Figure, FindingView, KeyClass, ReportModel, TimelineEvent, Total, TotalRow};
use super::svg;
use crate::model::Approx;

/// What a digest keeps in memory of one document: what grouping and the
/// document lists need. The bulky rest ([`DocDetail`]) waits on disk, so
/// memory does not grow with the figures of the corpus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocHead {
    pub doc_id: String,
    pub title: String,
    pub unit: Option<String>,
    pub county: Option<String>,
    /// Folder name of the county: six-digit code, `unknown`, or `n` + hash
    /// of a county name that does not resolve to one code.
    pub county_key: String,
    pub year: Option<i32>,
    pub source: String,
    pub figures: usize,
    /// Including cross-document findings.
    pub findings: usize,
    /// Where the detail line starts in the spill file, and its length.
    pub at: u64,
    pub len: usize,
    /// The cross-document findings of this id belong to this entry (the
    /// last one with the id).
    pub cross: bool,
}

/// The per-document data a digest reads back one document at a time.
/// Spilled with [`encode_detail`] and read back with [`decode_detail`].
#[derive(Debug, Clone, Default)]
pub struct DocDetail {
    /// (type id, name, done mentions, planned mentions).
    pub activities: Vec<(String, String, u32, u32)>,
    pub figures: Vec<Figure>,
    pub timeline: Vec<TimelineEvent>,
    pub findings: Vec<FindingView>,
}

/// Reads [`DocDetail`]s back from the spill file, adding the
/// cross-document findings that arrived after they were written.
pub struct Details<'a> {
    pub file: &'a crate::audit::spill::BufferedTempFile,
    pub cross: &'a super::CrossSpill,
    pub heads: &'a super::heads::HeadFile,
}

impl Details<'_> {
    /// The detail of the document `h` heads (with its cross-document
    /// findings); `buf` is reused between calls.
    pub fn read(&self, buf: &mut Vec<u8>, h: &DocHead) -> std::io::Result<DocDetail> {
        buf.resize(h.len, 0);
        self.file.read_at(h.at, buf)?;
        let mut d = decode_detail(buf)?;
        if h.cross {
            d.findings.extend(self.cross.get(&h.doc_id)?);
        }
        Ok(d)
    }

    /// Calls `f` with the head and detail of each document at `places`
    /// (see [`super::heads::HeadFile::head`]), in that order. Heads and
    /// details are read and parsed a block at a time on the rayon pool
    /// (parsing is most of a digest's reading, and the overall digest reads
    /// every document), so a block is all that is held at once.
    pub fn each(
        &self,
        places: &[u32],
        mut f: impl FnMut(&DocHead, DocDetail) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        use rayon::prelude::*;
        for block in places.chunks(DETAIL_BLOCK) {
            let parsed: Vec<(DocHead, DocDetail)> = block
                .par_iter()
                .map_init(Vec::new, |buf, &place| {
                    let h = self.heads.head(place, buf)?;
                    let d = self.read(buf, &h)?;
                    Ok((h, d))
                })
                .collect::<std::io::Result<_>>()?;
            for (h, d) in parsed {
                f(&h, d)?;
            }
        }
        Ok(())
    }
}

/// Details parsed at once by [`Details::each`].
const DETAIL_BLOCK: usize = 64;

// The spill file's encoding of a [`DocDetail`]: postcard (compact binary,
// fields in order, no names), which reads back several times faster than
// JSON; every digest reads each document's detail back at least twice, so
// reading was a fifth of a records-only run. The file is private to one
// run, so its layout may change freely. Labels from fixed tables (the
// `&'static str` fields of figures and findings) are not stored: they are
// derived again from what they label (an approximation's code, the class,
// the severity, the rule), exactly as `model::build_report` derives them,
// so reading needs no interning and no lock.

/// A [`Figure`] in the spill file; `S` is `&str` when written and
/// `String` when read (postcard does not tell the two apart).
#[derive(Serialize, Deserialize)]
struct SpillFigure<S> {
    n: usize,
    display: S,
    value: Option<f64>,
    /// Index into [`Approx::ALL`].
    approx: u8,
    unit: Option<S>,
    class: Option<KeyClass>,
    base_value: Option<f64>,
    base_unit: Option<S>,
    text: S,
    section: Option<S>,
    start: usize,
    end: usize,
    planned: bool,
    placeholder: bool,
    counted: bool,
}

/// A [`FindingView`] in the spill file.
#[derive(Serialize, Deserialize)]
struct SpillFinding<S> {
    /// 0 info, 1 warning, 2 error.
    severity: u8,
    rule: S,
    message: S,
    text: S,
    start: usize,
    section: Option<S>,
}

#[derive(Serialize, Deserialize)]
struct SpillDetail<S, T> {
    activities: Vec<(S, S, u32, u32)>,
    figures: Vec<SpillFigure<S>>,
    timeline: Vec<T>,
    findings: Vec<SpillFinding<S>>,
}

/// The spill encoding of `d`.
pub fn encode_detail(d: &DocDetail) -> std::io::Result<Vec<u8>> {
    use crate::model::Severity;
    let approx_code = |id: &str| {
        let a = approx_of(id);
        Approx::ALL.iter().position(|x| *x == a).unwrap_or(0) as u8
    };
    let s = SpillDetail::<&str, &TimelineEvent> {
        activities: d
            .activities
            .iter()
            .map(|(id, name, done, planned)| (id.as_str(), name.as_str(), *done, *planned))
            .collect(),
        figures: d
            .figures
            .iter()
            .map(|f| SpillFigure {
                n: f.n,
                display: f.display.as_str(),
                value: f.value,
                approx: approx_code(f.approx),
                unit: f.unit.as_deref(),
                class: f.class,
                base_value: f.base_value,
                base_unit: f.base_unit.as_deref(),
                text: f.text.as_str(),
                section: f.section.as_deref(),
                start: f.start,
                end: f.end,
                planned: f.planned,
                placeholder: f.placeholder,
                counted: f.counted,
            })
            .collect(),
        timeline: d.timeline.iter().collect(),
        findings: d
            .findings
            .iter()
            .map(|f| SpillFinding {
                severity: match f.severity {
                    Severity::Info => 0,
                    Severity::Warning => 1,
                    Severity::Error => 2,
                },
                rule: f.rule.as_str(),
                message: f.message.as_str(),
                text: f.text.as_str(),
                start: f.start,
                section: f.section.as_deref(),
            })
            .collect(),
    };
    postcard::to_allocvec(&s).map_err(std::io::Error::other)
}

/// Read back a [`DocDetail`] written by [`encode_detail`].
pub fn decode_detail(bytes: &[u8]) -> std::io::Result<DocDetail> {
    use super::model::{approx_zh, severity_zh};
    use crate::model::Severity;
    let s: SpillDetail<String, TimelineEvent> = postcard::from_bytes(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(DocDetail {
        activities: s.activities,
        figures: s
            .figures
            .into_iter()
            .map(|f| {
                let a = Approx::ALL
                    .get(f.approx as usize)
                    .copied()
                    .unwrap_or_default();
                Figure {
                    n: f.n,
                    display: f.display,
                    value: f.value,
                    approx: a.as_str(),
                    approx_zh: approx_zh(a),
                    unit: f.unit,
                    class: f.class,
                    class_name: f.class.map(KeyClass::name_zh),
                    base_value: f.base_value,
                    base_unit: f.base_unit,
                    text: f.text,
                    section: f.section,
                    start: f.start,
                    end: f.end,
                    planned: f.planned,
                    placeholder: f.placeholder,
                    counted: f.counted,
                }
            })
            .collect(),
        timeline: s.timeline,
        findings: s
            .findings
            .into_iter()
            .map(|f| {
                let severity = match f.severity {
                    2 => Severity::Error,
                    1 => Severity::Warning,
                    _ => Severity::Info,
                };
                FindingView {
                    severity,
                    severity_name: severity_zh(severity),
                    rule_name: crate::audit::rule_name(&f.rule),
                    rule: f.rule,
                    message: f.message,
                    text: f.text,
                    start: f.start,
                    section: f.section,
                }
            })
            .collect(),
    })
}

/// Split a report into its digest head (without its place in the spill
/// file) and detail.
pub fn split(r: &ReportModel, county_key: String) -> (DocHead, DocDetail) {
    let mut activities: Vec<(String, String, u32, u32)> = Vec::new();
    for (g, planned) in r
        .activities
        .iter()
        .map(|g| (g, false))
        .chain(r.plans.iter().map(|g| (g, true)))
    {
        let i = match activities.iter().position(|a| a.0 == g.type_id) {
            Some(i) => i,
            None => {
                activities.push((g.type_id.clone(), g.name.clone(), 0, 0));
                activities.len() - 1
            }
        };
        if planned {
            activities[i].3 += g.mentions as u32;
        } else {
            activities[i].2 += g.mentions as u32;
        }
    }
    let mut source = r.source_path.clone();
    if r.pieces > 1 {
        source.push_str(&format!("（第{}篇）", r.piece));
    }
    (
        DocHead {
            doc_id: r.doc_id.clone(),
            title: r.title.clone(),
            unit: r.placement.unit.clone(),
            county: r.placement.county.clone(),
            county_key,
            year: r.placement.year,
            source,
            figures: r.figures.len(),
            findings: r.findings.len(),
            at: 0,
            len: 0,
            cross: false,
        },
        DocDetail {
            activities,
            figures: r.figures.clone(),
            timeline: r.timeline.clone(),
            findings: r.findings.clone(),
        },
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct DocRow {
    pub n: usize,
    pub doc_id: String,
    pub title: String,
    pub unit: Option<String>,
    pub county: Option<String>,
    pub county_key: String,
    pub year: Option<i32>,
    pub source: String,
    pub figures: usize,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    pub type_id: String,
    pub name: String,
    pub done: u32,
    pub planned: u32,
    pub docs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub rule_name: &'static str,
    pub severity_name: &'static str,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestFinding {
    pub doc_id: String,
    pub title: String,
    #[serde(flatten)]
    pub finding: FindingView,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub county: String,
    pub county_key: String,
    pub year: Option<i32>,
    pub docs: usize,
    /// Relative to `digest/`: `522323/2022`.
    pub path: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Charts {
    pub activities: String,
    pub totals: String,
    pub timeline: String,
}

/// Everything a digest template sees.
#[derive(Debug, Clone, Serialize)]
pub struct DigestModel {
    pub title: String,
    pub scope_label: String,
    pub overall: bool,
    /// The first LIST_LIMIT documents: an archive-wide digest of 10^5
    /// documents would otherwise be a Word file of thousands of pages
    /// built in memory (the workbook lists them all).
    pub documents: Vec<DocRow>,
    pub documents_total: usize,
    pub documents_more: usize,
    pub groups: Vec<GroupRow>,
    pub activities: Vec<ActivityRow>,
    pub totals: Vec<TotalRow>,
    pub figure_count: usize,
    pub counted_count: usize,
    pub timeline: Vec<TimelineEvent>,
    pub timeline_more: usize,
    pub findings_summary: Vec<RuleRow>,
    pub findings: Vec<DigestFinding>,
    pub findings_more: usize,
    pub findings_total: usize,
    pub charts: Charts,
}

/// Lists longer than this are cut in the Markdown, HTML and Word digests
/// (the workbook has them all).
pub const LIST_LIMIT: usize = 300;

/// Add the counted figures of one document to running totals, one per
/// (class, base unit).
fn add_totals(t: &mut HashMap<(KeyClass, String), Total>, figures: &[Figure]) {
    for f in figures.iter().filter(|f| f.counted) {
        if let (Some(k), Some(v), Some(u)) = (f.class, f.base_value, &f.base_unit) {
            t.entry((k, u.clone()))
                .or_default()
                .add(v, approx_of(f.approx));
        }
    }
}

fn approx_of(id: &str) -> Approx {
    match id {
        "more_than" => Approx::MoreThan,
        "about" => Approx::About,
        "at_least" => Approx::AtLeast,
        "at_most" => Approx::AtMost,
        "less_than" => Approx::LessThan,
        _ => Approx::Exact,
    }
}

/// The digest's model, built from the documents' details one at a time in
/// input order ([`ModelBuilder::add`]); only the capped lists are kept.
pub struct ModelBuilder {
    /// The first LIST_LIMIT documents.
    documents: Vec<DocRow>,
    acts: Vec<ActivityRow>,
    totals: HashMap<(KeyClass, String), Total>,
    figure_count: usize,
    counted_count: usize,
    /// The earliest events so far with their input order, cut back to
    /// LIST_LIMIT now and then: the same as a stable sort of all, cut.
    timeline: Vec<(usize, TimelineEvent)>,
    events: usize,
    per_month: BTreeMap<String, f64>,
    rules: BTreeMap<(std::cmp::Reverse<crate::model::Severity>, String), usize>,
    findings: Vec<DigestFinding>,
    findings_total: usize,
}

fn by_date(a: &(usize, TimelineEvent), b: &(usize, TimelineEvent)) -> std::cmp::Ordering {
    a.1.date.cmp(&b.1.date).then(a.0.cmp(&b.0))
}

impl Default for ModelBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelBuilder {
    pub fn new() -> Self {
        ModelBuilder {
            documents: Vec::new(),
            acts: Vec::new(),
            totals: HashMap::new(),
            figure_count: 0,
            counted_count: 0,
            timeline: Vec::new(),
            events: 0,
            per_month: BTreeMap::new(),
            rules: BTreeMap::new(),
            findings: Vec::new(),
            findings_total: 0,
        }
    }

    /// Add the next document, in input order.
    pub fn add(&mut self, e: &DocHead, d: DocDetail) {
        if self.documents.len() < LIST_LIMIT {
            self.documents.push(DocRow {
                n: self.documents.len() + 1,
                doc_id: e.doc_id.clone(),
                title: e.title.clone(),
                unit: e.unit.clone(),
                county: e.county.clone(),
                county_key: e.county_key.clone(),
                year: e.year,
                source: e.source.clone(),
                figures: e.figures,
                findings: e.findings,
            });
        }
        let acts = &mut self.acts;
        for (id, name, done, planned) in &d.activities {
            let i = match acts.iter().position(|a| &a.type_id == id) {
                Some(i) => i,
                None => {
                    acts.push(ActivityRow {
                        type_id: id.clone(),
                        name: name.clone(),
                        done: 0,
                        planned: 0,
                        docs: 0,
                    });
                    acts.len() - 1
                }
            };
            acts[i].done += done;
            acts[i].planned += planned;
            acts[i].docs += 1;
        }
        add_totals(&mut self.totals, &d.figures);
        self.figure_count += d.figures.len();
        self.counted_count += d.figures.iter().filter(|f| f.counted).count();
        for ev in d.timeline {
            if let Some(m) = ev.date.get(..7) {
                *self.per_month.entry(m.to_string()).or_default() += 1.0;
            }
            self.timeline.push((self.events, ev));
            self.events += 1;
        }
        if self.timeline.len() >= 4 * LIST_LIMIT {
            self.timeline.sort_by(by_date);
            self.timeline.truncate(LIST_LIMIT);
        }
        for f in d.findings {
            *self
                .rules
                .entry((std::cmp::Reverse(f.severity), f.rule.clone()))
                .or_default() += 1;
            self.findings_total += 1;
            if self.findings.len() < LIST_LIMIT {
                self.findings.push(DigestFinding {
                    doc_id: e.doc_id.clone(),
                    title: e.title.clone(),
                    finding: f,
                });
            }
        }
    }

    /// The digest of the `documents_total` documents added (in input
    /// order).
    pub fn finish(
        self,
        documents_total: usize,
        title: String,
        scope_label: String,
        groups: Vec<GroupRow>,
    ) -> DigestModel {
        let ModelBuilder {
            documents,
            mut acts,
            totals: t,
            figure_count,
            counted_count,
            mut timeline,
            events,
            per_month,
            rules,
            findings,
            findings_total,
        } = self;
        acts.sort_by(|a, b| {
            (b.done + b.planned)
                .cmp(&(a.done + a.planned))
                .then(a.type_id.cmp(&b.type_id))
        });
        let totals = super::model::total_rows(&t);
        timeline.sort_by(by_date);
        timeline.truncate(LIST_LIMIT);
        let timeline: Vec<TimelineEvent> = timeline.into_iter().map(|(_, ev)| ev).collect();
        let timeline_more = events.saturating_sub(LIST_LIMIT);
        let findings_more = findings_total.saturating_sub(LIST_LIMIT);
        let findings_summary = rules
            .into_iter()
            .map(|((s, rule), count)| RuleRow {
                rule_name: crate::audit::rule_name(&rule),
                rule,
                severity_name: super::model::severity_zh(s.0),
                count,
            })
            .collect();
        let charts = Charts {
            activities: svg::hbar(
                "各类工作开展情况（处）",
                &{
                    let mut by_done: Vec<&ActivityRow> =
                        acts.iter().filter(|a| a.done > 0).collect();
                    by_done.sort_by(|a, b| b.done.cmp(&a.done).then(a.type_id.cmp(&b.type_id)));
                    by_done
                }
                .into_iter()
                .take(15)
                .map(|a| (a.name.clone(), a.done as f64, a.done.to_string()))
                .collect::<Vec<_>>(),
                svg::BLUE,
            ),
            totals: svg::hbar(
                "主要数据合计（条数）",
                &totals
                    .iter()
                    .map(|t| {
                        (
                            format!("{}（{}）", t.class_name, t.unit),
                            t.parts as f64,
                            t.display.clone(),
                        )
                    })
                    .collect::<Vec<_>>(),
                svg::ORANGE,
            ),
            timeline: svg::vbar(
                "各月有日期的工作（项）",
                &per_month.into_iter().collect::<Vec<_>>(),
                svg::GREEN,
            ),
        };
        DigestModel {
            title,
            scope_label,
            overall: !groups.is_empty(),
            documents,
            documents_total,
            documents_more: documents_total.saturating_sub(LIST_LIMIT),
            groups,
            activities: acts,
            totals,
            figure_count,
            counted_count,
            timeline,
            timeline_more,
            findings_summary,
            findings,
            findings_more,
            findings_total,
            charts,
        }
    }
}

/// Deflate level of the workbooks' zip parts. zlib-rs on the overall
/// digest of 2,000 generated documents (64 MB of sheet XML): level 6 (the
/// default) 6.11 MB in 0.69 s, 5 6.09 MB in 0.47 s, 4 6.45 MB in 0.41 s,
/// 3 7.32 MB in 0.25 s, 1 10.07 MB in 0.13 s. The overall workbook is the
/// last task of a run to end (its save is one thread's work), so its
/// deflate is on the run's critical path: at 3, a records-only run of the
/// same documents took 2.62–2.68 s on one core against 2.85–3.14 at 5, and
/// 1.55–1.65 s on two threads against 1.74–1.77, for workbooks 16% larger
/// (15.2 MB in all against 13.1) with the same cells.
const ZIP_LEVEL: u8 = 3;

/// Sheet rows are capped at Excel's limit; the rest is cut with a note.
const MAX_ROWS: u32 = 1_048_000;

const DOC_COLS: [&str; 10] = [
    "序号",
    "文档编号",
    "标题",
    "单位",
    "地区",
    "县代码",
    "年度",
    "来源",
    "数据条数",
    "审核意见条数",
];
const FACT_COLS: [&str; 15] = [
    "文档编号",
    "数据",
    "数值",
    "约数",
    "单位",
    "类别",
    "折算数值",
    "折算单位",
    "原文",
    "出处",
    "起",
    "止",
    "计划",
    "占位",
    "计入合计",
];
const TOTAL_COLS: [&str; 6] = ["类别", "单位", "合计", "约数", "显示", "条数"];
const FINDING_COLS: [&str; 8] = [
    "文档编号",
    "标题",
    "级别",
    "规则",
    "规则名称",
    "意见",
    "原文",
    "位置",
];
/// Sheet indexes.
const DOCS: usize = 0;
const FACTS: usize = 1;
const TOTALS: usize = 2;
const FINDINGS: usize = 3;

/// The digest workbook: documents, facts (every figure), totals, findings;
/// headers frozen and filtered. Sheets keep their rows on disk (constant
/// memory) and details come one document at a time ([`WorkbookBuilder::add`],
/// fed by the same reading as the digest's model), so memory does not
/// grow with the corpus. It sums its own totals.
pub struct WorkbookBuilder {
    wb: rust_xlsxwriter::Workbook,
    /// Rows of the documents, facts and findings sheets.
    docs: CappedRows,
    facts: CappedRows,
    findings: CappedRows,
    totals: HashMap<(KeyClass, String), Total>,
}

/// The rows of one sheet, cut at [`MAX_ROWS`].
#[derive(Default)]
struct CappedRows {
    written: u32,
    cut: bool,
}

impl CappedRows {
    /// The number of the next row, or `None` (and the sheet marked cut)
    /// once the cap is reached.
    fn next(&mut self) -> Option<u32> {
        if self.written >= MAX_ROWS {
            self.cut = true;
            return None;
        }
        self.written += 1;
        Some(self.written)
    }

    /// The last row the header's filter covers: one row further when
    /// rows were cut, as it always did.
    fn filter_end(&self) -> u32 {
        (self.written + self.cut as u32).max(1)
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or_default()
}

impl WorkbookBuilder {
    /// A workbook with its sheets and their headers.
    pub fn new(title: &str) -> Result<Self, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        wb.set_zip_compression_level(ZIP_LEVEL);
        // A fixed creation time: the same records give the same workbook bytes.
        let epoch = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?;
        wb.set_properties(
            &rust_xlsxwriter::DocProperties::new()
                .set_title(title)
                .set_creation_datetime(&epoch),
        );
        let bold = Format::new().set_bold().set_background_color("#EEF2F7");
        for (name, cols) in [
            ("文档", &DOC_COLS[..]),
            ("数据", &FACT_COLS[..]),
            ("合计", &TOTAL_COLS[..]),
            ("审核意见", &FINDING_COLS[..]),
        ] {
            let ws = wb.add_worksheet_with_constant_memory()?;
            ws.set_name(name)?;
            for (c, h) in cols.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)?;
                ws.set_column_width(c as u16, 14)?;
            }
            ws.set_freeze_panes(1, 0)?;
        }
        Ok(WorkbookBuilder {
            wb,
            docs: CappedRows::default(),
            facts: CappedRows::default(),
            findings: CappedRows::default(),
            totals: HashMap::new(),
        })
    }

    /// Add the next document, in input order: its row in the documents
    /// sheet, its facts and findings rows, and its counted figures to the
    /// totals.
    pub fn add(&mut self, e: &DocHead, d: &DocDetail) -> Result<(), rust_xlsxwriter::XlsxError> {
        let ws = self.wb.worksheet_from_index(DOCS)?;
        if let Some(r) = self.docs.next() {
            // The row number is the document's number in the list.
            ws.write_number(r, 0, r as f64)?;
            ws.write_string(r, 1, &e.doc_id)?;
            ws.write_string(r, 2, &e.title)?;
            ws.write_string(r, 3, opt(&e.unit))?;
            ws.write_string(r, 4, opt(&e.county))?;
            ws.write_string(r, 5, &e.county_key)?;
            if let Some(y) = e.year {
                ws.write_number(r, 6, y as f64)?;
            }
            ws.write_string(r, 7, &e.source)?;
            ws.write_number(r, 8, e.figures as f64)?;
            ws.write_number(r, 9, e.findings as f64)?;
        }
        if d.figures.is_empty() && d.findings.is_empty() {
            return Ok(());
        }
        add_totals(&mut self.totals, &d.figures);
        let ws = self.wb.worksheet_from_index(FACTS)?;
        for f in &d.figures {
            let Some(r) = self.facts.next() else { break };
            ws.write_string(r, 0, &e.doc_id)?;
            ws.write_string(r, 1, &f.display)?;
            if let Some(v) = f.value {
                ws.write_number(r, 2, v)?;
            }
            ws.write_string(r, 3, f.approx)?;
            ws.write_string(r, 4, opt(&f.unit))?;
            ws.write_string(r, 5, f.class_name.unwrap_or(""))?;
            if let Some(v) = f.base_value {
                ws.write_number(r, 6, v)?;
            }
            ws.write_string(r, 7, opt(&f.base_unit))?;
            ws.write_string(r, 8, &f.text)?;
            ws.write_string(r, 9, opt(&f.section))?;
            ws.write_number(r, 10, f.start as f64)?;
            ws.write_number(r, 11, f.end as f64)?;
            ws.write_boolean(r, 12, f.planned)?;
            ws.write_boolean(r, 13, f.placeholder)?;
            ws.write_boolean(r, 14, f.counted)?;
        }
        let ws = self.wb.worksheet_from_index(FINDINGS)?;
        for f in &d.findings {
            let Some(r) = self.findings.next() else { break };
            ws.write_string(r, 0, &e.doc_id)?;
            ws.write_string(r, 1, &e.title)?;
            ws.write_string(r, 2, f.severity_name)?;
            ws.write_string(r, 3, &f.rule)?;
            ws.write_string(r, 4, f.rule_name)?;
            ws.write_string(r, 5, &f.message)?;
            ws.write_string(r, 6, &f.text)?;
            ws.write_number(r, 7, f.start as f64)?;
        }
        Ok(())
    }

    /// Write the totals sheet and save the workbook to `path`.
    pub fn save(mut self, path: &Path) -> Result<(), rust_xlsxwriter::XlsxError> {
        for (sheet, rows, cols) in [
            (DOCS, &self.docs, DOC_COLS.len()),
            (FACTS, &self.facts, FACT_COLS.len()),
            (FINDINGS, &self.findings, FINDING_COLS.len()),
        ] {
            self.wb.worksheet_from_index(sheet)?.autofilter(
                0,
                0,
                rows.filter_end(),
                cols as u16 - 1,
            )?;
        }
        let ws = self.wb.worksheet_from_index(TOTALS)?;
        let mut r = 0u32;
        for t in &super::model::total_rows(&self.totals) {
            r += 1;
            ws.write_string(r, 0, t.class_name)?;
            ws.write_string(r, 1, &t.unit)?;
            ws.write_number(r, 2, t.value)?;
            ws.write_string(r, 3, t.approx)?;
            ws.write_string(r, 4, &t.display)?;
            ws.write_number(r, 5, t.parts as f64)?;
        }
        ws.autofilter(0, 0, r.max(1), TOTAL_COLS.len() as u16 - 1)?;
        self.wb.save(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_rows_stop_at_the_cap_and_the_filter_reaches_one_further() {
        let mut rows = CappedRows::default();
        assert_eq!(rows.filter_end(), 1);
        assert_eq!((rows.next(), rows.next()), (Some(1), Some(2)));
        assert_eq!(rows.filter_end(), 2);
        rows.written = MAX_ROWS - 1;
        assert_eq!(rows.next(), Some(MAX_ROWS));
        assert!(!rows.cut);
        assert_eq!(rows.filter_end(), MAX_ROWS);
        assert_eq!(rows.next(), None);
        assert_eq!(rows.next(), None);
        assert_eq!((rows.written, rows.cut), (MAX_ROWS, true));
        assert_eq!(rows.filter_end(), MAX_ROWS + 1);
    }
}

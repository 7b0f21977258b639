//! Digests: documents grouped by county and year, and overall. A digest is
//! built from compact per-document entries (never texts), kept by the
//! render sink until the run ends.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::model::{
    fmt_amount, Figure, FindingView, KeyClass, ReportModel, TimelineEvent, Total, TotalRow,
};
use super::svg;
use crate::model::Approx;

/// What a digest keeps of one document.
#[derive(Debug, Clone, Serialize)]
pub struct DocEntry {
    pub doc_id: String,
    pub title: String,
    pub unit: Option<String>,
    pub county: Option<String>,
    /// Folder name of the county: six-digit code, `unknown`, or `n` + hash
    /// of a county name that does not resolve to one code.
    pub county_key: String,
    pub year: Option<i32>,
    pub source: String,
    /// (type id, name, done mentions, planned mentions).
    pub activities: Vec<(String, String, u32, u32)>,
    pub figures: Vec<Figure>,
    pub timeline: Vec<TimelineEvent>,
    pub findings: Vec<FindingView>,
}

impl DocEntry {
    pub fn from_report(r: &ReportModel, county_key: String) -> Self {
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
        DocEntry {
            doc_id: r.doc_id.clone(),
            title: r.title.clone(),
            unit: r.placement.unit.clone(),
            county: r.placement.county.clone(),
            county_key,
            year: r.placement.year,
            source,
            activities,
            figures: r.figures.clone(),
            timeline: r.timeline.clone(),
            findings: r.findings.clone(),
        }
    }
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
    pub documents: Vec<DocRow>,
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

/// Totals of a set of documents, one row per (class, base unit).
pub fn totals_of<'a>(entries: impl Iterator<Item = &'a DocEntry>) -> Vec<TotalRow> {
    let mut t: HashMap<(KeyClass, String), Total> = HashMap::new();
    for e in entries {
        for f in e.figures.iter().filter(|f| f.counted) {
            if let (Some(k), Some(v), Some(u)) = (f.class, f.base_value, &f.base_unit) {
                t.entry((k, u.clone()))
                    .or_default()
                    .add(v, approx_of(f.approx));
            }
        }
    }
    super::model::total_rows(&t)
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

/// Build the digest of `entries` (already in input order).
pub fn build(
    entries: &[&DocEntry],
    title: String,
    scope_label: String,
    groups: Vec<GroupRow>,
) -> DigestModel {
    let documents: Vec<DocRow> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| DocRow {
            n: i + 1,
            doc_id: e.doc_id.clone(),
            title: e.title.clone(),
            unit: e.unit.clone(),
            county: e.county.clone(),
            county_key: e.county_key.clone(),
            year: e.year,
            source: e.source.clone(),
            figures: e.figures.len(),
            findings: e.findings.len(),
        })
        .collect();
    let mut acts: Vec<ActivityRow> = Vec::new();
    for e in entries {
        for (id, name, done, planned) in &e.activities {
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
    }
    acts.sort_by(|a, b| {
        (b.done + b.planned)
            .cmp(&(a.done + a.planned))
            .then(a.type_id.cmp(&b.type_id))
    });
    let totals = totals_of(entries.iter().copied());
    let figure_count = entries.iter().map(|e| e.figures.len()).sum();
    let counted_count = entries
        .iter()
        .map(|e| e.figures.iter().filter(|f| f.counted).count())
        .sum();
    let mut timeline: Vec<TimelineEvent> = entries
        .iter()
        .flat_map(|e| e.timeline.iter().cloned())
        .collect();
    // Stable: same date keeps input order.
    timeline.sort_by(|a, b| a.date.cmp(&b.date));
    let mut per_month: BTreeMap<String, f64> = BTreeMap::new();
    for ev in &timeline {
        if let Some(m) = ev.date.get(..7) {
            *per_month.entry(m.to_string()).or_default() += 1.0;
        }
    }
    let timeline_more = timeline.len().saturating_sub(LIST_LIMIT);
    timeline.truncate(LIST_LIMIT);
    let mut rules: BTreeMap<(std::cmp::Reverse<crate::model::Severity>, String), usize> =
        BTreeMap::new();
    let mut findings = Vec::new();
    for e in entries {
        for f in &e.findings {
            *rules
                .entry((std::cmp::Reverse(f.severity), f.rule.clone()))
                .or_default() += 1;
            findings.push(DigestFinding {
                doc_id: e.doc_id.clone(),
                title: e.title.clone(),
                finding: f.clone(),
            });
        }
    }
    let findings_total = findings.len();
    let findings_more = findings.len().saturating_sub(LIST_LIMIT);
    findings.truncate(LIST_LIMIT);
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
                let mut by_done: Vec<&ActivityRow> = acts.iter().filter(|a| a.done > 0).collect();
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

/// The digest workbook: documents, facts (every figure), totals, findings;
/// headers frozen and filtered.
pub fn workbook(
    entries: &[&DocEntry],
    d: &DigestModel,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    // A fixed creation time: the same records give the same workbook bytes.
    let epoch = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(d.title.as_str())
            .set_creation_datetime(&epoch),
    );
    let bold = Format::new().set_bold().set_background_color("#EEF2F7");
    // Sheet rows are capped at Excel's limit; the rest is cut with a note.
    const MAX_ROWS: u32 = 1_048_000;

    fn header(
        ws: &mut rust_xlsxwriter::Worksheet,
        cols: &[&str],
        bold: &Format,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        for (c, h) in cols.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, bold)?;
            ws.set_column_width(c as u16, 14)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(())
    }
    fn finish(
        ws: &mut rust_xlsxwriter::Worksheet,
        rows: u32,
        cols: u16,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        ws.autofilter(0, 0, rows.max(1), cols - 1)?;
        Ok(())
    }
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();

    // documents
    let ws = wb.add_worksheet();
    ws.set_name("文档")?;
    let cols = [
        "序号",
        "文档编号",
        "标题",
        "单位",
        "县（市、区）",
        "县代码",
        "年度",
        "来源",
        "数据条数",
        "审核意见条数",
    ];
    header(ws, &cols, &bold)?;
    let mut r = 0u32;
    for (i, e) in entries.iter().enumerate() {
        r += 1;
        if r > MAX_ROWS {
            break;
        }
        ws.write_number(r, 0, (i + 1) as f64)?;
        ws.write_string(r, 1, &e.doc_id)?;
        ws.write_string(r, 2, &e.title)?;
        ws.write_string(r, 3, opt(&e.unit))?;
        ws.write_string(r, 4, opt(&e.county))?;
        ws.write_string(r, 5, &e.county_key)?;
        if let Some(y) = e.year {
            ws.write_number(r, 6, y as f64)?;
        }
        ws.write_string(r, 7, &e.source)?;
        ws.write_number(r, 8, e.figures.len() as f64)?;
        ws.write_number(r, 9, e.findings.len() as f64)?;
    }
    finish(ws, r, cols.len() as u16)?;

    // facts
    let ws = wb.add_worksheet();
    ws.set_name("数据")?;
    let cols = [
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
    header(ws, &cols, &bold)?;
    let mut r = 0u32;
    'outer: for e in entries {
        for f in &e.figures {
            r += 1;
            if r > MAX_ROWS {
                break 'outer;
            }
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
    }
    finish(ws, r, cols.len() as u16)?;

    // totals
    let ws = wb.add_worksheet();
    ws.set_name("合计")?;
    let cols = ["类别", "单位", "合计", "约数", "显示", "条数"];
    header(ws, &cols, &bold)?;
    let mut r = 0u32;
    for t in &d.totals {
        r += 1;
        ws.write_string(r, 0, t.class_name)?;
        ws.write_string(r, 1, &t.unit)?;
        ws.write_number(r, 2, t.value)?;
        ws.write_string(r, 3, t.approx)?;
        ws.write_string(r, 4, fmt_amount(t.value, approx_of(t.approx), &t.unit))?;
        ws.write_number(r, 5, t.parts as f64)?;
    }
    finish(ws, r, cols.len() as u16)?;

    // findings
    let ws = wb.add_worksheet();
    ws.set_name("审核意见")?;
    let cols = [
        "文档编号",
        "标题",
        "级别",
        "规则",
        "规则名称",
        "意见",
        "原文",
        "位置",
    ];
    header(ws, &cols, &bold)?;
    let mut r = 0u32;
    'outer2: for e in entries {
        for f in &e.findings {
            r += 1;
            if r > MAX_ROWS {
                break 'outer2;
            }
            ws.write_string(r, 0, &e.doc_id)?;
            ws.write_string(r, 1, &e.title)?;
            ws.write_string(r, 2, f.severity_name)?;
            ws.write_string(r, 3, &f.rule)?;
            ws.write_string(r, 4, f.rule_name)?;
            ws.write_string(r, 5, &f.message)?;
            ws.write_string(r, 6, &f.text)?;
            ws.write_number(r, 7, f.start as f64)?;
        }
    }
    finish(ws, r, cols.len() as u16)?;
    wb.save_to_buffer()
}

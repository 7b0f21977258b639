//! What a report says, built from one analyzed document's facts and
//! findings (never from its text beyond the facts' own surfaces), and the
//! arithmetic of totals that carry approximations.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::emit::CharIndex;
use crate::model::{Approx, Document, FactData, Severity, Span, Status};

/// The kinds of figures a digest totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyClass {
    People,
    Materials,
    Events,
    Money,
}

impl KeyClass {
    pub const ALL: [KeyClass; 4] = [
        KeyClass::People,
        KeyClass::Materials,
        KeyClass::Events,
        KeyClass::Money,
    ];
    /// The heading an official would use for the class.
    pub fn name_zh(self) -> &'static str {
        match self {
            KeyClass::People => "覆盖人群",
            KeyClass::Materials => "发放资料物品",
            KeyClass::Events => "培训与活动场次",
            KeyClass::Money => "资金",
        }
    }
    fn parse(s: &str) -> Option<KeyClass> {
        Some(match s {
            "people" => KeyClass::People,
            "materials" => KeyClass::Materials,
            "events" => KeyClass::Events,
            "money" => KeyClass::Money,
            _ => return None,
        })
    }
}

/// The embedded unit → class table (`data/unit_classes.tsv`).
pub const UNIT_CLASSES_TSV: &str = include_str!("../../data/unit_classes.tsv");

/// Which units are totalled, into which class, with which factor.
#[derive(Debug, Clone)]
pub struct UnitClasses {
    map: HashMap<String, (KeyClass, f64, String)>,
}

impl UnitClasses {
    /// Parse a table; a bad line is reported with its number.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let bad = |why: &str| format!("unit_classes.tsv line {}: {why}", i + 1);
            if cols.len() < 3 {
                return Err(bad("expected UNIT<TAB>CLASS<TAB>FACTOR"));
            }
            let class = KeyClass::parse(cols[1].trim()).ok_or_else(|| bad("unknown class"))?;
            let factor: f64 = cols[2]
                .trim()
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite() && *f > 0.0)
                .ok_or_else(|| bad("factor is not a positive number"))?;
            let unit = cols[0].trim().to_string();
            let base = cols
                .get(3)
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| unit.clone());
            map.insert(unit, (class, factor, base));
        }
        Ok(UnitClasses { map })
    }

    pub fn embedded() -> Self {
        // The embedded table is checked by a unit test; an empty table is
        // the harmless fallback should it ever fail to parse.
        Self::parse(UNIT_CLASSES_TSV).unwrap_or(UnitClasses {
            map: HashMap::new(),
        })
    }

    /// Class, normalized value and base unit of a figure, if it is totalled.
    pub fn classify(&self, unit: &str, value: f64) -> Option<(KeyClass, f64, &str)> {
        self.map
            .get(unit)
            .map(|(c, f, base)| (*c, value * f, base.as_str()))
    }
}

/// A sum of figures that carries their qualifications: exact only if every
/// part is exact; lower bounds (余, 不少于) make a lower bound, upper bounds
/// an upper bound; `about`, or lower and upper bounds mixed, make `about`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Total {
    pub value: f64,
    pub parts: usize,
    more_than: bool,
    at_least: bool,
    about: bool,
    at_most: bool,
    less_than: bool,
}

impl Total {
    pub fn add(&mut self, value: f64, approx: Approx) {
        self.value += value;
        self.parts += 1;
        match approx {
            Approx::Exact => {}
            Approx::MoreThan => self.more_than = true,
            Approx::AtLeast => self.at_least = true,
            Approx::About => self.about = true,
            Approx::AtMost => self.at_most = true,
            Approx::LessThan => self.less_than = true,
        }
    }
    pub fn merge(&mut self, o: &Total) {
        self.value += o.value;
        self.parts += o.parts;
        self.more_than |= o.more_than;
        self.at_least |= o.at_least;
        self.about |= o.about;
        self.at_most |= o.at_most;
        self.less_than |= o.less_than;
    }
    pub fn approx(&self) -> Approx {
        let lower = self.more_than || self.at_least;
        let upper = self.at_most || self.less_than;
        if self.about || (lower && upper) {
            Approx::About
        } else if self.more_than {
            Approx::MoreThan
        } else if self.at_least {
            Approx::AtLeast
        } else if self.less_than {
            Approx::LessThan
        } else if self.at_most {
            Approx::AtMost
        } else {
            Approx::Exact
        }
    }
}

/// A number as an official writes it: integers without decimals, others
/// with at most two.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A figure with its qualification in Chinese: `3500余人次`, `约200份`,
/// `不少于5期`, `40%以上`.
pub fn fmt_amount(value: f64, approx: Approx, unit: &str) -> String {
    fmt_amount_text(&fmt_num(value), approx, unit)
}

/// The scales large figures are written in, largest first.
const WAN_SCALES: [(f64, &str); 3] = [(1e12, "万亿"), (1e8, "亿"), (1e4, "万")];

/// A total as a digest shows it: from a million up in 万, 亿 or 万亿 with at
/// most two decimals (`约1.66亿人`, `317.98万余套`), as official documents write
/// large figures; smaller ones as [`fmt_amount`] does. Rounding never
/// overstates a lower bound or understates an upper one (余 and 不少于 round
/// down, 不超过 and 不到 up), and an exact total that rounding changes is
/// shown as 约. Percentages are never scaled. The workbook shows the same
/// text beside the exact sum, in a number column.
pub fn fmt_total(value: f64, approx: Approx, unit: &str) -> String {
    let scaled = !is_ratio_unit(unit) && value.is_finite() && value.abs() >= 1e6;
    let Some(&(scale, word)) = WAN_SCALES.iter().find(|(s, _)| scaled && value.abs() >= *s) else {
        return fmt_amount(value, approx, unit);
    };
    let q = value / scale * 100.0;
    let cents = match approx {
        Approx::MoreThan | Approx::AtLeast => q.floor(),
        Approx::AtMost | Approx::LessThan => q.ceil(),
        Approx::Exact | Approx::About => q.round(),
    };
    let approx = if approx == Approx::Exact && (cents - q).abs() > 1e-6 {
        Approx::About
    } else {
        approx
    };
    let n = format!("{}{word}", fmt_num(cents / 100.0));
    fmt_amount_text(&n, approx, unit)
}

/// One figure as a report lists it: as [`fmt_amount`], but from a million
/// up in 万, 亿 or 万亿 when that is exact in at most four decimals
/// (`3万亿元`, `1.1万亿余元`, `123.4567万人`), as the report itself would
/// have written it; a figure not exact so stays in digits, never rounded.
pub fn fmt_figure(value: f64, approx: Approx, unit: &str) -> String {
    let scaled = !is_ratio_unit(unit) && value.is_finite() && (1e6..1e20).contains(&value.abs());
    let Some(&(scale, word)) = WAN_SCALES.iter().find(|(s, _)| scaled && value.abs() >= *s) else {
        return fmt_amount(value, approx, unit);
    };
    // The figure in ten-thousandths of the scale, if that is exact.
    let q = (value / scale * 1e4).round();
    if (q / 1e4 * scale - value).abs() > value.abs() * 1e-12 {
        return fmt_amount(value, approx, unit);
    }
    let n = format!("{:.4}", q / 1e4);
    let n = n.trim_end_matches('0').trim_end_matches('.');
    fmt_amount_text(&format!("{n}{word}"), approx, unit)
}

/// A unit of a ratio: its qualifier follows it (`40%以上`), and its totals
/// are never written in 万 or 亿.
fn is_ratio_unit(unit: &str) -> bool {
    matches!(unit, "%" | "‰" | "百分点")
}

/// [`fmt_amount`] of a number already written out (with its 万 or 亿).
fn fmt_amount_text(n: &str, approx: Approx, unit: &str) -> String {
    let suffix_units = is_ratio_unit(unit);
    match approx {
        Approx::Exact => format!("{n}{unit}"),
        Approx::MoreThan if suffix_units || unit.is_empty() => format!("{n}{unit}以上"),
        Approx::MoreThan => format!("{n}余{unit}"),
        Approx::About => format!("约{n}{unit}"),
        Approx::AtLeast => format!("不少于{n}{unit}"),
        Approx::AtMost => format!("不超过{n}{unit}"),
        Approx::LessThan => format!("不到{n}{unit}"),
    }
}

/// Chinese words for an approximation, for tables.
pub fn approx_zh(a: Approx) -> &'static str {
    match a {
        Approx::Exact => "确数",
        Approx::MoreThan => "余（以上）",
        Approx::About => "约",
        Approx::AtLeast => "不少于",
        Approx::AtMost => "不超过",
        Approx::LessThan => "不到",
    }
}

pub fn severity_zh(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

/// An EDTF value in Chinese: `2022-09-17` → `2022年9月17日`,
/// `XXXX-03-15/XXXX-12-15` → `XX年3月15日至XX年12月15日`.
pub fn edtf_zh(v: &str) -> String {
    if let Some((a, b)) = v.split_once('/') {
        return format!("{}至{}", edtf_zh(a), edtf_zh(b));
    }
    let parts: Vec<&str> = v.split('-').collect();
    let num = |s: &str| -> String {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.trim_start_matches('0').to_string()
        } else {
            s.to_string()
        }
    };
    let year = |y: &str| {
        if y == "XXXX" {
            "XX".to_string()
        } else {
            y.to_string()
        }
    };
    match parts.as_slice() {
        [y] if !y.is_empty() => format!("{}年", year(y)),
        [y, m] => match *m {
            "21" => format!("{}年春季", year(y)),
            "22" => format!("{}年夏季", year(y)),
            "23" => format!("{}年秋季", year(y)),
            "24" => format!("{}年冬季", year(y)),
            _ => format!("{}年{}月", year(y), num(m)),
        },
        [y, m, d] => format!("{}年{}月{}日", year(y), num(m), num(d)),
        _ => v.to_string(),
    }
}

/// True when an EDTF value is a calendar date with at least a month and
/// known year digits (fit for a timeline).
pub fn edtf_has_month(v: &str) -> bool {
    let first = v.split('/').next().unwrap_or("");
    let b = first.as_bytes();
    b.len() >= 7 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Everything a digest needs about where a document belongs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Placement {
    /// The writing unit (`白沙乡科协`).
    pub unit: Option<String>,
    pub county: Option<String>,
    /// Six-digit GB/T 2260 county code where known.
    pub county_code: Option<String>,
    pub year: Option<i32>,
    /// Where each field came from: `text` or `manifest`.
    pub unit_from: Option<&'static str>,
    pub county_from: Option<&'static str>,
    pub year_from: Option<&'static str>,
}

/// A label from a fixed table. An alias, so that serde's derive does not
/// take the `'static` reference as one to borrow from the input.
pub type Label = &'static str;

/// A `&'static str` read back from the digest spill file. The values are
/// labels from fixed tables (a few dozen distinct ones), so each distinct
/// one is leaked once and reused: memory stays bounded.
fn de_static<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    Ok(intern(s))
}

fn de_opt_static<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(intern))
}

fn intern(s: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&k) = seen.get(s.as_str()) {
        return k;
    }
    let k: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(k);
    k
}

/// [`Severity`] as serialized (snake case); it has no `Deserialize` of
/// its own.
fn de_severity<'de, D: Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    let s = String::deserialize(d)?;
    Ok(match s.as_str() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    })
}

/// One figure (a count fact) as a report shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub n: usize,
    /// `3000余册`, or the surface for placeholders (`XX人`).
    pub display: String,
    pub value: Option<f64>,
    #[serde(deserialize_with = "de_static")]
    pub approx: Label,
    #[serde(deserialize_with = "de_static")]
    pub approx_zh: Label,
    pub unit: Option<String>,
    pub class: Option<KeyClass>,
    #[serde(deserialize_with = "de_opt_static")]
    pub class_name: Option<Label>,
    /// The value in the class's base unit (money in 元), when totalled.
    pub base_value: Option<f64>,
    pub base_unit: Option<String>,
    /// The figure as written.
    pub text: String,
    /// Title of the innermost section holding it.
    pub section: Option<String>,
    /// Char offsets into the document text, as in facts.jsonl.
    pub start: usize,
    pub end: usize,
    /// Said inside a planned activity (a target, not a result).
    pub planned: bool,
    pub placeholder: bool,
    /// Goes into the totals (a classified, non-placeholder, non-planned figure).
    pub counted: bool,
}

/// One mention of an activity with what was said with it.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityItem {
    pub start: usize,
    pub section: Option<String>,
    /// At most [`ITEM_LIST_MAX`] each; the figures past that are counted
    /// in `more_figures`.
    pub dates: Vec<String>,
    pub places: Vec<String>,
    pub figures: Vec<String>,
    pub more_figures: usize,
}

/// Most dates, places or figures listed with one activity mention (or one
/// dated event): a sentence with more is a table or a dump flattened into
/// one line, and listing each would make a report line (and the report's
/// memory) as large as the document.
pub const ITEM_LIST_MAX: usize = 50;

/// Most detailed mentions listed under one activity type of a report; the
/// rest are counted in `ActivityGroup::more_items`.
pub const GROUP_ITEMS_MAX: usize = 200;

/// Most rows of a report's figure table and most findings a report lists
/// (template globals `figure_rows_max`, `findings_listed_max`): a reader
/// gets the first ones and a count of the rest, which stay in the records
/// (`facts.jsonl`, `findings.jsonl`) and the audit report.
pub const FIGURE_ROWS_MAX: usize = 1000;
pub const FINDINGS_LISTED_MAX: usize = 500;

/// The activities of one type in a document.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityGroup {
    pub type_id: String,
    pub name: String,
    /// How many stretches of text report it.
    pub mentions: usize,
    /// The mentions that carry dates, places or figures (the first
    /// [`GROUP_ITEMS_MAX`]).
    pub items: Vec<ActivityItem>,
    /// Such mentions past the first [`GROUP_ITEMS_MAX`].
    pub more_items: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingView {
    #[serde(deserialize_with = "de_severity")]
    pub severity: Severity,
    #[serde(deserialize_with = "de_static")]
    pub severity_name: Label,
    pub rule: String,
    /// The rule's Chinese name (`数字未填写（占位符）`).
    #[serde(deserialize_with = "de_static")]
    pub rule_name: Label,
    pub message: String,
    pub text: String,
    pub start: usize,
    pub section: Option<String>,
}

/// A total of one unit within one class.
#[derive(Debug, Clone, Serialize)]
pub struct TotalRow {
    pub class: KeyClass,
    pub class_name: &'static str,
    pub unit: String,
    pub value: f64,
    pub approx: &'static str,
    pub display: String,
    pub parts: usize,
}

/// A dated event for a timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// EDTF, sortable.
    pub date: String,
    pub date_zh: String,
    pub doc_id: String,
    pub unit: Option<String>,
    pub types: Vec<String>,
    pub figures: Vec<String>,
    pub places: Vec<String>,
}

/// The whole per-document report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportModel {
    pub doc_id: String,
    pub title: String,
    pub has_title: bool,
    pub placement: Placement,
    /// `贵州省黔西南布依族苗族自治州普安县`.
    pub region: Option<String>,
    pub source_path: String,
    pub piece: usize,
    pub pieces: usize,
    pub format: &'static str,
    pub chars: usize,
    pub activities: Vec<ActivityGroup>,
    pub plans: Vec<ActivityGroup>,
    /// Every figure (digests total them); the report templates list the
    /// first [`FIGURE_ROWS_MAX`] (`figure_rows_max`).
    pub figures: Vec<Figure>,
    pub totals: Vec<TotalRow>,
    /// Every finding, cross-document ones added when the run ends; the
    /// report templates list the first [`FINDINGS_LISTED_MAX`]
    /// (`findings_listed_max`).
    pub findings: Vec<FindingView>,
    pub timeline: Vec<TimelineEvent>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
    pub fact_count: usize,
}

/// A dated fact (index) with the types, figures and places said with it.
type Dated = (usize, Vec<String>, Vec<String>, Vec<String>);

/// Shared lookups for building reports.
pub struct BuildContext<'a> {
    pub units: &'a UnitClasses,
    pub activity_names: &'a HashMap<String, String>,
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// [`push_unique`] into a list of at most [`ITEM_LIST_MAX`].
fn push_unique_capped(v: &mut Vec<String>, s: &str) {
    if v.len() < ITEM_LIST_MAX && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Sum figures into total rows, one per (class, base unit), in class order.
pub fn total_rows(totals: &HashMap<(KeyClass, String), Total>) -> Vec<TotalRow> {
    let mut keys: Vec<&(KeyClass, String)> = totals.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let t = &totals[k];
            TotalRow {
                class: k.0,
                class_name: k.0.name_zh(),
                unit: k.1.clone(),
                value: t.value,
                approx: t.approx().as_str(),
                display: fmt_total(t.value, t.approx(), &k.1),
                parts: t.parts,
            }
        })
        .collect()
}

/// The title of the innermost section holding byte `pos`.
fn section_at(doc: &Document, pos: usize) -> Option<String> {
    let i = doc.paragraphs.partition_point(|p| p.span.start <= pos);
    let p = doc.paragraphs.get(i.checked_sub(1)?)?;
    let s = doc.sections.get(p.section?)?;
    Some(s.title.clone())
}

/// The document's writing unit: an organization named in the title, else
/// the first 科协/学会 organization near the top of the text.
fn unit_from_text(doc: &Document) -> Option<String> {
    let orgs = doc.facts.iter().filter_map(|f| match &f.data {
        FactData::Org(o) => Some((f.span, o)),
        _ => None,
    });
    if let Some(title) = doc.title.as_deref() {
        let mut best: Option<&str> = None;
        for (_, o) in orgs.clone() {
            if title.contains(o.name.as_str())
                && o.category != "party"
                && best.is_none_or(|b| o.name.chars().count() > b.chars().count())
            {
                best = Some(&o.name);
            }
        }
        if let Some(b) = best {
            return Some(b.to_string());
        }
        if let Some(p) = title_prefix_before_year(title) {
            return Some(p);
        }
    }
    orgs.filter(|(s, o)| s.start < 300 && (o.category == "kexie" || o.category == "society"))
        .map(|(_, o)| o.name.clone())
        .next()
}

/// `县农学会2021年度工作总结` → `县农学会`: the words before a year
/// (four digits or Chinese numerals, then 年), when there are some.
fn title_prefix_before_year(title: &str) -> Option<String> {
    let is_digit = |c: char| {
        c.is_ascii_digit() || ('０'..='９').contains(&c) || "〇零一二三四五六七八九xX".contains(c)
    };
    let chars: Vec<(usize, char)> = title.char_indices().collect();
    for i in 0..chars.len() {
        if chars.len() >= i + 5
            && chars[i..i + 4].iter().all(|&(_, c)| is_digit(c))
            && chars[i + 4].1 == '年'
            && (i == 0 || !is_digit(chars[i - 1].1))
        {
            let prefix = title[..chars[i].0].trim();
            let n = prefix.chars().count();
            return (2..=20).contains(&n).then(|| prefix.to_string());
        }
    }
    None
}

/// The placement from the text alone (the manifest fills gaps later).
pub fn placement_from_text(doc: &Document) -> Placement {
    let mut p = Placement::default();
    if let Some(u) = unit_from_text(doc) {
        p.unit = Some(u);
        p.unit_from = Some("text");
    }
    if let Some(r) = &doc.region {
        if let Some(c) = &r.county {
            p.county = Some(c.clone());
            p.county_from = Some("text");
            p.county_code = code6(r);
        }
    }
    if let Some(y) = doc.year {
        p.year = Some(y);
        p.year_from = Some("text");
    }
    p
}

/// The first six digits of a region's GB/T 2260 code: the county's for a
/// township's longer code, else the prefecture's or province's own.
pub fn code6(r: &crate::model::Region) -> Option<String> {
    r.code
        .as_deref()
        .filter(|c| c.len() >= 6 && c.is_char_boundary(6))
        .map(|c| c[..6].to_string())
}

/// The span from the start of the first sentence touching `span` to the
/// end of the last one.
fn sentence_context(doc: &Document, span: Span) -> Span {
    let i = doc.sentences.partition_point(|s| s.span.end <= span.start);
    let mut out = span;
    for s in &doc.sentences[i..] {
        if s.span.start >= span.end.max(span.start + 1) {
            break;
        }
        out.start = out.start.min(s.span.start);
        out.end = out.end.max(s.span.end);
    }
    out
}

/// Build the report of one analyzed document.
pub fn build_report(doc: &Document, placement: Placement, ctx: &BuildContext) -> ReportModel {
    let idx = CharIndex::new(&doc.text);
    let surface = |s: Span| doc.text.get(s.start..s.end).unwrap_or("").to_string();
    // Facts sorted by start, to find those inside an activity quickly.
    let mut order: Vec<usize> = (0..doc.facts.len()).collect();
    order.sort_by_key(|&i| (doc.facts[i].span.start, doc.facts[i].span.end));
    let mut planned_spans: Vec<Span> = doc
        .facts
        .iter()
        .filter_map(|f| match &f.data {
            FactData::Activity(a) if a.status == Status::Planned => Some(f.span),
            _ => None,
        })
        .collect();
    // Whether a span lies inside a planned activity: by start, with the
    // furthest end of the spans starting at or before each (one search a
    // figure, not a walk over every planned span).
    planned_spans.sort_by_key(|s| s.start);
    let planned_reach: Vec<usize> = planned_spans
        .iter()
        .scan(0, |reach, s| {
            *reach = (*reach).max(s.end);
            Some(*reach)
        })
        .collect();
    let in_planned = |span: Span| {
        let k = planned_spans.partition_point(|s| s.start <= span.start);
        k > 0 && planned_reach[k - 1] >= span.end
    };

    // Figures.
    let mut figures = Vec::new();
    let mut figure_of_fact: HashMap<usize, usize> = HashMap::new();
    let mut totals: HashMap<(KeyClass, String), Total> = HashMap::new();
    for &i in &order {
        let f = &doc.facts[i];
        let FactData::Count(c) = &f.data else {
            continue;
        };
        let text = surface(f.span);
        let unit = c.unit.clone();
        let planned = in_planned(f.span);
        let class = match (c.value, unit.as_deref()) {
            (Some(v), Some(u)) if !c.placeholder => ctx.units.classify(u, v),
            _ => None,
        };
        let counted = class.is_some() && !planned;
        if let (true, Some((k, v, base))) = (counted, class) {
            totals
                .entry((k, base.to_string()))
                .or_default()
                .add(v, c.approx);
        }
        let display = match c.value {
            Some(v) if !c.placeholder => fmt_figure(v, c.approx, unit.as_deref().unwrap_or("")),
            _ => text.clone(),
        };
        let (start, end) = idx.span(f.span);
        figure_of_fact.insert(i, figures.len());
        figures.push(Figure {
            n: figures.len() + 1,
            display,
            value: c.value,
            approx: c.approx.as_str(),
            approx_zh: approx_zh(c.approx),
            unit,
            class: class.map(|x| x.0),
            class_name: class.map(|x| x.0.name_zh()),
            base_value: class.map(|x| x.1),
            base_unit: class.map(|x| x.2.to_string()),
            text,
            section: section_at(doc, f.span.start),
            start,
            end,
            planned,
            placeholder: c.placeholder,
            counted,
        });
    }

    // Activities, grouped by type in order of first mention.
    let mut done: Vec<ActivityGroup> = Vec::new();
    let mut plans: Vec<ActivityGroup> = Vec::new();
    // Dated events: date fact index -> (types, figures, places), and where
    // each date fact's event is in `dated`.
    let mut dated: Vec<Dated> = Vec::new();
    let mut dated_at: HashMap<usize, usize> = HashMap::new();
    let mut places_all = Vec::new();
    let mut orgs_all = Vec::new();
    for &i in &order {
        let f = &doc.facts[i];
        match &f.data {
            FactData::Place(p) => push_unique(&mut places_all, p.name.clone()),
            FactData::Org(o) => push_unique(&mut orgs_all, o.name.clone()),
            _ => {}
        }
        let FactData::Activity(a) = &f.data else {
            continue;
        };
        let name = ctx
            .activity_names
            .get(&a.type_id)
            .cloned()
            .unwrap_or_else(|| a.type_id.clone());
        let mut item = ActivityItem {
            start: idx.char_of(f.span.start),
            section: section_at(doc, f.span.start),
            dates: Vec::new(),
            places: Vec::new(),
            figures: Vec::new(),
            more_figures: 0,
        };
        let mut date_facts = Vec::new();
        // What is said with an activity: facts in the sentences it touches.
        let ctx_span = sentence_context(doc, f.span);
        let first = order.partition_point(|&j| doc.facts[j].span.start < ctx_span.start);
        for &j in &order[first..] {
            let g = &doc.facts[j];
            if g.span.start >= ctx_span.end {
                break;
            }
            if g.span.end > ctx_span.end {
                continue;
            }
            match &g.data {
                FactData::Date(d) if !d.relative && !d.placeholder => {
                    // A bare year equal to the document's says nothing new.
                    if edtf_has_month(&d.value)
                        || Some(d.value.as_str()) != doc.year.map(|y| y.to_string()).as_deref()
                    {
                        push_unique_capped(&mut item.dates, &edtf_zh(&d.value));
                    }
                    if edtf_has_month(&d.value) {
                        date_facts.push(j);
                    }
                }
                FactData::Place(p) => push_unique_capped(&mut item.places, &p.name),
                FactData::Count(_) => {
                    if let Some(&k) = figure_of_fact.get(&j) {
                        if item.figures.len() < ITEM_LIST_MAX {
                            item.figures.push(figures[k].display.clone());
                        } else {
                            item.more_figures += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        let groups = if a.status == Status::Planned {
            &mut plans
        } else {
            &mut done
        };
        let gi = match groups.iter().position(|g| g.type_id == a.type_id) {
            Some(gi) => gi,
            None => {
                groups.push(ActivityGroup {
                    type_id: a.type_id.clone(),
                    name: name.clone(),
                    mentions: 0,
                    items: Vec::new(),
                    more_items: 0,
                });
                groups.len() - 1
            }
        };
        groups[gi].mentions += 1;
        if a.status == Status::Done {
            for j in date_facts {
                match dated_at.get(&j) {
                    Some(&at) => {
                        let d = &mut dated[at];
                        push_unique(&mut d.1, name.clone());
                        for x in &item.figures {
                            push_unique_capped(&mut d.2, x);
                        }
                        for x in &item.places {
                            push_unique_capped(&mut d.3, x);
                        }
                    }
                    None => {
                        dated_at.insert(j, dated.len());
                        dated.push((
                            j,
                            vec![name.clone()],
                            item.figures.clone(),
                            item.places.clone(),
                        ));
                    }
                }
            }
        }
        let has_detail =
            !item.dates.is_empty() || !item.places.is_empty() || !item.figures.is_empty();
        // Nested mentions (a heading and its paragraph) repeat the same
        // details: keep an item only when it adds something.
        let dup = groups[gi].items.iter().any(|it| {
            it.dates == item.dates && it.places == item.places && it.figures == item.figures
        });
        if has_detail && !dup {
            if groups[gi].items.len() < GROUP_ITEMS_MAX {
                groups[gi].items.push(item);
            } else {
                groups[gi].more_items += 1;
            }
        }
    }

    let timeline = dated
        .into_iter()
        .filter_map(|(j, types, figures, places)| {
            let d = doc.facts[j].as_date()?;
            Some(TimelineEvent {
                date: d.value.clone(),
                date_zh: edtf_zh(&d.value),
                doc_id: doc.doc_id.clone(),
                unit: placement.unit.clone(),
                types,
                figures,
                places,
            })
        })
        .collect();

    let findings: Vec<FindingView> = doc
        .findings
        .iter()
        .map(|f| FindingView {
            severity: f.severity,
            severity_name: severity_zh(f.severity),
            rule: f.rule.to_string(),
            rule_name: crate::audit::rule_name(f.rule),
            message: f.message.clone(),
            text: surface(f.span).chars().take(60).collect(),
            start: idx.char_of(f.span.start),
            section: section_at(doc, f.span.start),
        })
        .collect();

    let region = doc.region.as_ref().map(|r| {
        [&r.province, &r.prefecture, &r.county, &r.township]
            .into_iter()
            .flatten()
            .fold(String::new(), |mut acc, s| {
                if !acc.ends_with(s.as_str()) {
                    acc.push_str(s);
                }
                acc
            })
    });
    let region = region
        .filter(|r| !r.is_empty())
        .or_else(|| placement.county.clone());
    let title = doc
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            let mut t = String::new();
            if let Some(u) = &placement.unit {
                t.push_str(u);
            }
            if let Some(y) = placement.year {
                t.push_str(&format!("{y}年"));
            }
            t.push_str("工作报告");
            t
        });
    ReportModel {
        doc_id: doc.doc_id.clone(),
        has_title: doc.title.is_some(),
        title,
        placement,
        region,
        source_path: doc.source.path.clone(),
        piece: doc.source.piece,
        pieces: doc.source.pieces,
        format: match doc.source.format {
            crate::model::Format::Txt => "txt",
            crate::model::Format::Docx => "docx",
        },
        chars: idx.char_of(doc.text.len()),
        activities: done,
        plans,
        figures,
        totals: total_rows(&totals),
        findings,
        timeline,
        places: places_all,
        orgs: orgs_all,
        fact_count: doc.facts.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_unit_table_parses() {
        let u = UnitClasses::parse(UNIT_CLASSES_TSV).unwrap();
        assert_eq!(
            u.classify("万元", 3.0),
            Some((KeyClass::Money, 30000.0, "元"))
        );
        assert_eq!(u.classify("人次", 5.0).map(|x| x.0), Some(KeyClass::People));
        assert_eq!(u.classify("亩", 5.0), None);
        assert!(UnitClasses::parse("人\tnobody\t1").is_err());
        assert!(UnitClasses::parse("人\tpeople\t-1").is_err());
    }

    #[test]
    fn totals_carry_approximations() {
        use Approx::*;
        type Case<'a> = (&'a [(f64, Approx)], f64, Approx, &'a str);
        let cases: &[Case] = &[
            (
                &[(3000.0, MoreThan), (500.0, Exact)],
                3500.0,
                MoreThan,
                "3500余人次",
            ),
            (
                &[(3000.0, Exact), (500.0, Exact)],
                3500.0,
                Exact,
                "3500人次",
            ),
            (
                &[(3000.0, About), (500.0, MoreThan)],
                3500.0,
                About,
                "约3500人次",
            ),
            (
                &[(3000.0, AtLeast), (500.0, Exact)],
                3500.0,
                AtLeast,
                "不少于3500人次",
            ),
            (
                &[(3000.0, AtLeast), (5.0, MoreThan)],
                3005.0,
                MoreThan,
                "3005余人次",
            ),
            (
                &[(3000.0, LessThan), (5.0, AtMost)],
                3005.0,
                LessThan,
                "不到3005人次",
            ),
            (&[(10.0, AtMost)], 10.0, AtMost, "不超过10人次"),
            (
                &[(3000.0, MoreThan), (5.0, LessThan)],
                3005.0,
                About,
                "约3005人次",
            ),
        ];
        for (parts, v, a, shown) in cases {
            let mut t = Total::default();
            for (x, ap) in *parts {
                t.add(*x, *ap);
            }
            assert_eq!(t.value, *v);
            assert_eq!(t.approx(), *a, "{parts:?}");
            assert_eq!(fmt_amount(t.value, t.approx(), "人次"), *shown);
        }
        let mut a = Total::default();
        a.add(1.0, MoreThan);
        let mut b = Total::default();
        b.add(2.0, Exact);
        b.merge(&a);
        assert_eq!((b.value, b.approx(), b.parts), (3.0, MoreThan, 2));
    }

    #[test]
    fn numbers_and_dates_in_chinese() {
        assert_eq!(fmt_num(3000.0), "3000");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(1.0 / 3.0), "0.33");
        assert_eq!(fmt_amount(40.0, Approx::MoreThan, "%"), "40%以上");
    }

    #[test]
    fn figures_from_a_million_in_wan_or_yi_only_when_exact() {
        for (v, a, unit, shown) in [
            (3e12, Approx::Exact, "元", "3万亿元"),
            (1.1e12, Approx::MoreThan, "元", "1.1万亿余元"),
            (1_234_567.0, Approx::Exact, "人", "123.4567万人"),
            (2.5e8, Approx::About, "元", "约2.5亿元"),
            (123_456_789.0, Approx::Exact, "元", "123456789元"),
            (999_999.0, Approx::Exact, "元", "999999元"),
            (5e6, Approx::Exact, "%", "5000000%"),
            (1_000_000.5, Approx::Exact, "元", "1000000.5元"),
        ] {
            assert_eq!(fmt_figure(v, a, unit), shown, "{v}");
        }
        // Never a value other than the figure's own.
        for v in [1e6, 1_000_001.0, 1.5e9, 7.77e13, 123_456_700.0, 9.9999e15] {
            let s = fmt_figure(v, Approx::Exact, "元");
            let n = s.trim_end_matches('元');
            let back = if let Some(x) = n.strip_suffix("万亿") {
                x.parse::<f64>().unwrap() * 1e12
            } else if let Some(x) = n.strip_suffix("亿") {
                x.parse::<f64>().unwrap() * 1e8
            } else if let Some(x) = n.strip_suffix("万") {
                x.parse::<f64>().unwrap() * 1e4
            } else {
                n.parse::<f64>().unwrap()
            };
            assert!((back - v).abs() <= v * 1e-12, "{v} shown as {s}");
        }
        let totals = [
            (999_999.0, Approx::Exact, "人", "999999人"),
            (3_000_000.0, Approx::Exact, "元", "300万元"),
            (3_179_857.0, Approx::MoreThan, "套", "317.98万余套"),
            (3_179_857.0, Approx::AtMost, "套", "不超过317.99万套"),
            (3_179_857.0, Approx::Exact, "套", "约317.99万套"),
            (166_244_349.6, Approx::About, "人", "约1.66亿人"),
            (250_000_000.0, Approx::Exact, "元", "2.5亿元"),
            (201_547_591_392_269.0, Approx::About, "元", "约201.55万亿元"),
            (12_000_000.0, Approx::AtLeast, "", "不少于1200万"),
            (2_500_000.0, Approx::MoreThan, "", "250万以上"),
            (1_500_000.0, Approx::Exact, "%", "1500000%"),
            (f64::NAN, Approx::Exact, "人", "—人"),
        ];
        for (v, a, unit, shown) in totals {
            assert_eq!(fmt_total(v, a, unit), shown, "{v} {a:?} {unit}");
        }
        assert_eq!(edtf_zh("2022-09-17"), "2022年9月17日");
        assert_eq!(edtf_zh("2022-09"), "2022年9月");
        assert_eq!(edtf_zh("2024"), "2024年");
        assert_eq!(
            edtf_zh("XXXX-03-15/XXXX-12-15"),
            "XX年3月15日至XX年12月15日"
        );
        assert_eq!(edtf_zh("20XX"), "20XX年");
        assert!(edtf_has_month("2022-09-17"));
        assert!(!edtf_has_month("XXXX-03-15"));
        assert!(!edtf_has_month("2022"));
    }
}

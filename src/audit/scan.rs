//! The audit's own light scanners for figures and dates.
//!
//! The audit reads the text itself rather than relying only on the
//! extractors' facts: it needs things the facts do not carry (the words
//! before a figure, the connector of a range, the literal digits of an
//! impossible date) and it must keep working when an extractor misses a
//! form. Facts are linked to findings afterwards by overlap.

#[cfg(test)]
use regex::Regex;
#[cfg(test)]
use std::sync::LazyLock;

use super::is_clause_mark;
use crate::model::{Approx, Span};

/// Value of one digit char (ASCII or full-width).
pub fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Parse Arabic digits (ASCII/full-width, `,` thousands, `.` decimals).
pub fn parse_arabic(s: &str) -> Option<f64> {
    // Normalize into a stack buffer: this runs for every figure and date,
    // and a heap String per call showed in profiles.
    let mut buf = [0u8; 64];
    let mut n = 0;
    let mut long: Option<String> = None;
    for c in s.chars() {
        let b = if let Some(d) = digit_value(c) {
            b'0' + d as u8
        } else if matches!(c, '.' | '．') {
            b'.'
        } else if matches!(c, ',' | '，') {
            continue;
        } else {
            return None;
        };
        match long.as_mut() {
            Some(l) => l.push(char::from(b)),
            None if n < buf.len() => {
                buf[n] = b;
                n += 1;
            }
            None => {
                let mut l = String::with_capacity(s.len());
                l.push_str(std::str::from_utf8(&buf[..n]).ok()?);
                l.push(char::from(b));
                long = Some(l);
            }
        }
    }
    match long {
        Some(l) => l.parse().ok(),
        None => std::str::from_utf8(&buf[..n]).ok()?.parse().ok(),
    }
}

fn cn_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' | 'O' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Parse a Chinese numeral (`十二`, `一百零五`, `三千`, `二〇二四` digit by digit).
pub fn parse_chinese(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    // Digit-by-digit form (years: 二〇二四).
    if chars.len() >= 2 && chars.iter().all(|&c| cn_digit(c).is_some()) {
        let mut v: u64 = 0;
        for &c in &chars {
            v = v.checked_mul(10)?.checked_add(cn_digit(c)?)?;
        }
        return Some(v as f64);
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    for &c in &chars {
        if let Some(d) = cn_digit(c) {
            digit = Some(d);
            continue;
        }
        let mult = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => 10_000,
            '亿' => 100_000_000,
            _ => return None,
        };
        if mult >= 10_000 {
            section += digit.take().unwrap_or(0);
            total = (total + section).checked_mul(mult)?;
            section = 0;
        } else {
            section += digit.take().unwrap_or(1) * mult;
        }
    }
    Some((total + section + digit.unwrap_or(0)) as f64)
}

/// Parse either numeral form.
pub fn parse_number(s: &str) -> Option<f64> {
    parse_arabic(s).or_else(|| parse_chinese(s))
}

/// Units compared by the figure rules, longest first so alternation picks
/// the longest. Time units are left out on purpose: durations (`三天`,
/// `连续6年`) are not the amounts totals sum.
/// (`unit_at` and `is_unit_start` hold it split by first char, for speed;
/// a test checks they agree with it.)
#[cfg(test)]
const UNITS: &[&str] = &[
    "个百分点",
    "人次",
    "场次",
    "万元",
    "亿元",
    "课时",
    "公里",
    "平方米",
    "个",
    "人",
    "名",
    "次",
    "场",
    "期",
    "项",
    "件",
    "份",
    "册",
    "本",
    "条",
    "块",
    "幅",
    "处",
    "所",
    "家",
    "户",
    "元",
    "篇",
    "节",
    "类",
    "种",
    "批",
    "支",
    "套",
    "台",
    "张",
    "位",
    "座",
    "株",
    "亩",
    "吨",
    "岁",
    "%",
    "％",
    "天",
    "小时",
];

/// A number with a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Whole expression, qualifiers included.
    pub span: Span,
    /// The digits alone.
    pub num: Span,
    pub value: f64,
    /// Normalized unit (`％` → `%`, `万元` → `元` with ×10000).
    pub unit: String,
    pub approx: Approx,
    pub chinese: bool,
    /// Absolute start of the clause holding the figure (after the last
    /// `，。；：…` before it in its paragraph): the rules read this lead
    /// for every figure, so it is found once, in the same pass.
    pub lead: usize,
}

/// A regex with the indices of its named groups, looked up once: a
/// by-name lookup per match (a hash of the name) cost more than the match.
#[cfg(test)]
struct Indexed {
    re: Regex,
    groups: Vec<usize>,
}

#[cfg(test)]
impl Indexed {
    fn new(pattern: &str, names: &[&str], what: &str) -> Self {
        let re = Regex::new(pattern).expect(what);
        let groups = names
            .iter()
            .map(|n| re.capture_names().position(|g| g == Some(*n)).expect(what))
            .collect();
        Indexed { re, groups }
    }
}

/// Group order of [`FIGURE_RE`].
#[cfg(test)]
const F_PRE: usize = 0;
#[cfg(test)]
const F_NUM: usize = 1;
#[cfg(test)]
const F_MAG: usize = 2;
#[cfg(test)]
const F_Q1: usize = 3;
#[cfg(test)]
const F_UNIT: usize = 4;
#[cfg(test)]
const F_Q2: usize = 5;

#[cfg(test)]
static FIGURE_RE: LazyLock<Indexed> = LazyLock::new(|| {
    let units = UNITS
        .iter()
        .map(|u| regex::escape(u))
        .collect::<Vec<_>>()
        .join("|");
    Indexed::new(
        &format!(
            r"(?P<pre>约|近|超过|逾|不少于|至少|不足|不到)?(?P<num>[0-9０-９]+(?:[,，][0-9０-９]{{3}})*(?:[.．][0-9０-９]+)?|[零〇一二两三四五六七八九十百千]+)(?P<mag>万|亿)?(?P<q1>余|多)?(?P<unit>{units})(?P<q2>以上|左右|多|余)?"
        ),
        &["pre", "num", "mag", "q1", "unit", "q2"],
        "figure regex",
    )
});

/// Every figure in `text` (offsets relative to `text`, plus `base`).
pub fn figures(text: &str, base: usize) -> Vec<Figure> {
    let mut out = Vec::new();
    // Clause start for the figures: the end of the last clause mark seen,
    // tracked as matches advance so the text is searched once.
    let mut lead = 0;
    let mut lead_seen = 0;
    // Every match of [`FIGURE_RE`] starts with a qualifier's first char, a
    // digit or a Chinese numeral, and `split_figure` is the regex's own
    // anchored parse in its priority order. So trying it at each such char,
    // left to right, and resuming at the end of a match visits the matches
    // `find_iter` would, without running the regex's DFA over every byte
    // of the text (that search was most of this scan's cost).
    let mut at = 0;
    while let Some((start, p)) = next_match(text, at, is_figure_start, figure_run, split_figure) {
        let all = Span::new(start, p.end);
        let g = |part: Option<(usize, usize)>| part.and_then(|(s, e)| text.get(s..e));
        at = all.end;
        if let Some(seg) = text.get(lead_seen..all.start) {
            if let Some((i, c)) = seg.char_indices().rev().find(|(_, c)| is_clause_mark(*c)) {
                lead = lead_seen + i + c.len_utf8();
            }
        }
        lead_seen = all.start;
        let (num_s, num_e) = p.num;
        let Some(unit) = g(Some(p.unit)) else {
            continue;
        };
        let num_str = text.get(num_s..num_e).unwrap_or("");
        let before = text[..num_s].chars().next_back();
        // Ordinals and figures glued to a preceding number or letter.
        if matches!(before, Some('第') | Some('.') | Some('．'))
            || before.is_some_and(|b| b.is_ascii_alphanumeric() || digit_value(b).is_some())
        {
            continue;
        }
        let arabic = parse_arabic(num_str);
        let chinese = arabic.is_none();
        // A lone Chinese `一` + measure word is mostly an article (一个, 一批).
        if chinese && num_str == "一" {
            continue;
        }
        let Some(mut value) = arabic.or_else(|| parse_chinese(num_str)) else {
            continue;
        };
        match g(p.mag) {
            Some("万") => value *= 10_000.0,
            Some("亿") => value *= 100_000_000.0,
            _ => {}
        }
        let unit = match unit {
            "万元" => {
                value *= 10_000.0;
                "元"
            }
            "亿元" => {
                value *= 100_000_000.0;
                "元"
            }
            "％" => "%",
            u => u,
        };
        let pre = g(p.pre.map(|l| (start, start + l)));
        let q2 = g(p.q2);
        let approx = if p.q1.is_some()
            || matches!(q2, Some("以上" | "多" | "余"))
            || matches!(pre, Some("超过" | "逾"))
        {
            Approx::MoreThan
        } else if matches!(pre, Some("约" | "近")) || q2 == Some("左右") {
            Approx::About
        } else if pre.is_some() {
            Approx::AtLeast
        } else {
            Approx::Exact
        };
        out.push(Figure {
            span: Span::new(base + all.start, base + all.end),
            num: Span::new(base + num_s, base + num_e),
            value,
            unit: unit.to_string(),
            approx,
            chinese,
            lead: base + lead,
        });
    }
    out
}

/// The first match at or after `at`: `parse` tried at every char that
/// `starts` admits, left to right (the leftmost match, as a regex search
/// reports it, when `parse` is the regex's anchored parse and every match
/// starts with such a char). `run` gives, for a start char, the end of the
/// run of chars a match starting there must take its number from (a run
/// of numerals) and whether the char there can follow such a number: when
/// it cannot, no match starts anywhere in the run (inside it, a number is
/// followed by more of the run), so the whole run is skipped.
fn next_match<P>(
    text: &str,
    mut at: usize,
    starts: fn(char) -> bool,
    run: fn(&str, usize, char) -> Option<(usize, bool)>,
    parse: fn(&str, usize) -> Option<P>,
) -> Option<(usize, P)> {
    loop {
        let rest = text.get(at..)?;
        let (i, c) = rest.char_indices().find(|(_, c)| starts(*c))?;
        let s = at + i;
        if let Some((e, false)) = run(text, s, c) {
            at = e.max(s + c.len_utf8());
            continue;
        }
        if let Some(p) = parse(text, s) {
            return Some((s, p));
        }
        at = s + c.len_utf8();
    }
}

/// The char at `at`, if any.
fn char_at(t: &str, at: usize) -> Option<char> {
    t.get(at..).and_then(|r| r.chars().next())
}

/// [`next_match`]'s run for figures: digits with their separators, or
/// Chinese numerals, then a magnitude, `余`/`多` or a unit's first char.
fn figure_run(t: &str, s: usize, c: char) -> Option<(usize, bool)> {
    let e = if digit_value(c).is_some() {
        run_end(t, s, |c| {
            digit_value(c).is_some() || matches!(c, ',' | '，' | '.' | '．')
        })
    } else if is_cn_numeral(c) {
        run_end(t, s, is_cn_numeral)
    } else {
        return None;
    };
    let ok =
        char_at(t, e).is_some_and(|n| matches!(n, '万' | '亿' | '余' | '多') || is_unit_start(n));
    Some((e, ok))
}

/// [`next_match`]'s run for dates: digits or Chinese numerals, then
/// `年`, `月`, `日`, `号` or the ISO form's `-`.
fn date_run(t: &str, s: usize, c: char) -> Option<(usize, bool)> {
    let e = if digit_value(c).is_some() {
        run_end(t, s, |c| digit_value(c).is_some())
    } else {
        run_end(t, s, is_cn_num)
    };
    let ok = char_at(t, e).is_some_and(|n| matches!(n, '年' | '月' | '日' | '号' | '-'));
    Some((e, ok))
}

/// Can a [`FIGURE_RE`] match start with `c`? (A qualifier's first char,
/// a digit or a Chinese numeral.)
fn is_figure_start(c: char) -> bool {
    digit_value(c).is_some()
        || is_cn_numeral(c)
        || matches!(c, '约' | '近' | '超' | '逾' | '不' | '至')
}

/// Can a [`DATE_RE`] match start with `c`? (Every branch opens with a
/// digit or a Chinese numeral.)
fn is_date_start(c: char) -> bool {
    digit_value(c).is_some() || is_cn_num(c)
}

/// Group boundaries of one figure match (absolute byte offsets).
struct FigureParts {
    /// Byte length of the qualifier before the number.
    pre: Option<usize>,
    num: (usize, usize),
    mag: Option<(usize, usize)>,
    q1: Option<(usize, usize)>,
    unit: (usize, usize),
    q2: Option<(usize, usize)>,
    end: usize,
}

/// 零〇 一 to 九, 两, 十 百 千: the numeral chars of a Chinese figure below 万.
pub fn is_cn_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
    )
}

/// The first of `words` that `t` starts with at `at`, as a span.
fn word_at(t: &str, at: usize, words: &[&str]) -> Option<(usize, usize)> {
    let rest = t.get(at..)?;
    words
        .iter()
        .find(|w| rest.starts_with(*w))
        .map(|w| (at, at + w.len()))
}

/// End of the run of chars satisfying `f` from `at` (`at` when none do).
fn run_end(t: &str, at: usize, f: impl Fn(char) -> bool) -> usize {
    let rest = t.get(at..).unwrap_or("");
    match rest.char_indices().find(|(_, c)| !f(*c)) {
        Some((i, _)) => at + i,
        None => at + rest.len(),
    }
}

/// End after the first `n` chars from `at` when all of them satisfy `f`.
fn nth_end(t: &str, at: usize, f: impl Fn(char) -> bool, n: usize) -> Option<usize> {
    let mut e = at;
    let mut chars = t.get(at..)?.chars();
    for _ in 0..n {
        let c = chars.next().filter(|c| f(*c))?;
        e += c.len_utf8();
    }
    Some(e)
}

/// Visit the end of every non-empty prefix of the run `at..end`, longest
/// first, until `visit` returns something. (The prefix ends used to be
/// collected in a Vec per call: several heap allocations per figure.)
fn ends_rev<R>(
    t: &str,
    at: usize,
    end: usize,
    mut visit: impl FnMut(usize) -> Option<R>,
) -> Option<R> {
    let run = t.get(at..end)?;
    run.char_indices()
        .rev()
        .find_map(|(i, c)| visit(at + i + c.len_utf8()))
}

/// Parse [`FIGURE_RE`] anchored at `s`, trying alternatives in the
/// regex's priority order (greedy parts longest first, alternations in
/// order) so that the first parse found is the one the regex reports.
fn split_figure(t: &str, s: usize) -> Option<FigureParts> {
    const PRE: &[&str] = &["约", "近", "超过", "逾", "不少于", "至少", "不足", "不到"];
    // Most starts are numerals: one char test spares the word list.
    let pre = match char_at(t, s) {
        Some('约' | '近' | '超' | '逾' | '不' | '至') => word_at(t, s, PRE),
        _ => None,
    };
    for pre in [pre, None] {
        let j = pre.map_or(s, |p| p.1);
        let found = number_ends(t, j, |num_end| split_tail(t, num_end).map(|p| (num_end, p)));
        if let Some((num_end, mut p)) = found {
            p.pre = pre.map(|p| p.1 - p.0);
            p.num = (j, num_end);
            return Some(p);
        }
        if pre.is_none() {
            break;
        }
    }
    None
}

/// Visit the candidate ends of `num` at `j` in the regex's priority order
/// until `visit` returns something.
fn number_ends<R>(t: &str, j: usize, mut visit: impl FnMut(usize) -> Option<R>) -> Option<R> {
    let digit = |c: char| digit_value(c).is_some();
    let first = t.get(j..).and_then(|r| r.chars().next());
    match first {
        Some(c) if digit(c) => {
            // [0-9０-９]+ (?:[,，]\d{3})* (?:[.．]\d+)?
            let end = run_end(t, j, digit);
            // One candidate `g` (end of the integer part): its fraction
            // ends longest first, then `g` itself.
            let mut at_group = |g: usize| -> Option<R> {
                if let Some(c) = t.get(g..).and_then(|r| r.chars().next()) {
                    if matches!(c, '.' | '．') {
                        let fs = g + c.len_utf8();
                        let fe = run_end(t, fs, digit);
                        if let Some(r) = ends_rev(t, fs, fe, &mut visit) {
                            return Some(r);
                        }
                    }
                }
                visit(g)
            };
            let run = t.get(j..end)?;
            for (i, c) in run.char_indices().rev() {
                let pos = j + i + c.len_utf8();
                if pos == end {
                    // Thousands groups only follow the whole run; rare, so
                    // the Vec stays empty (no allocation) in most calls.
                    let mut groups: Vec<usize> = Vec::new();
                    let mut g = pos;
                    while let Some(c) = t
                        .get(g..)
                        .and_then(|r| r.chars().next())
                        .filter(|c| matches!(c, ',' | '，'))
                    {
                        let Some(e) = nth_end(t, g + c.len_utf8(), digit, 3) else {
                            break;
                        };
                        g = e;
                        groups.push(g);
                    }
                    for &g in groups.iter().rev() {
                        if let Some(r) = at_group(g) {
                            return Some(r);
                        }
                    }
                }
                if let Some(r) = at_group(pos) {
                    return Some(r);
                }
            }
            None
        }
        Some(c) if is_cn_numeral(c) => {
            let end = run_end(t, j, is_cn_numeral);
            ends_rev(t, j, end, visit)
        }
        _ => None,
    }
}

/// The first of [`UNITS`] at `at`. Most chars after a number start no
/// unit, so one char test spares comparing the whole list.
fn unit_at(t: &str, at: usize) -> Option<(usize, usize)> {
    let c = t.get(at..)?.chars().next()?;
    // The units sharing a first char, in [`UNITS`]' order, so the first
    // that fits is the one the whole list gives; the rest are that char.
    let words: &[&str] = match c {
        '个' => &["个百分点", "个"],
        '人' => &["人次", "人"],
        '场' => &["场次", "场"],
        '万' => &["万元"],
        '亿' => &["亿元"],
        '课' => &["课时"],
        '公' => &["公里"],
        '平' => &["平方米"],
        '小' => &["小时"],
        c if is_unit_start(c) => return Some((at, at + c.len_utf8())),
        _ => return None,
    };
    word_at(t, at, words)
}

/// Can a unit of [`UNITS`] start with `c`?
fn is_unit_start(c: char) -> bool {
    matches!(
        c,
        '个' | '人'
            | '场'
            | '万'
            | '亿'
            | '课'
            | '公'
            | '平'
            | '名'
            | '次'
            | '期'
            | '项'
            | '件'
            | '份'
            | '册'
            | '本'
            | '条'
            | '块'
            | '幅'
            | '处'
            | '所'
            | '家'
            | '户'
            | '元'
            | '篇'
            | '节'
            | '类'
            | '种'
            | '批'
            | '支'
            | '套'
            | '台'
            | '张'
            | '位'
            | '座'
            | '株'
            | '亩'
            | '吨'
            | '岁'
            | '%'
            | '％'
            | '天'
            | '小'
    )
}

/// `(?P<mag>万|亿)?(?P<q1>余|多)?(?P<unit>…)(?P<q2>以上|左右|多|余)?` at `k`.
fn split_tail(t: &str, k: usize) -> Option<FigureParts> {
    let mag = word_at(t, k, &["万", "亿"]);
    for mag in [mag, None] {
        let k1 = mag.map_or(k, |m| m.1);
        let q1 = word_at(t, k1, &["余", "多"]);
        for q1 in [q1, None] {
            let k2 = q1.map_or(k1, |q| q.1);
            if let Some(unit) = unit_at(t, k2) {
                let q2 = word_at(t, unit.1, &["以上", "左右", "多", "余"]);
                return Some(FigureParts {
                    pre: None,
                    num: (0, 0),
                    mag,
                    q1,
                    unit,
                    q2,
                    end: q2.map_or(unit.1, |q| q.1),
                });
            }
            if q1.is_none() {
                break;
            }
        }
        if mag.is_none() {
            break;
        }
    }
    None
}

/// One calendar expression: any of year, month, day.
#[derive(Debug, Clone, PartialEq)]
pub struct DateTok {
    pub span: Span,
    pub year: Option<i64>,
    pub month: Option<i64>,
    pub day: Option<i64>,
    /// Written as an ISO-like `2024-02-30`.
    pub iso: bool,
}

#[cfg(test)]
const CN_NUM: &str = "[零〇一二两三四五六七八九十]";

#[cfg(test)]
static DATE_RE: LazyLock<Indexed> = LazyLock::new(|| {
    let y = "[0-9０-９]{4}|[零〇一二三四五六七八九]{4}";
    let m = format!("[0-9０-９]{{1,2}}|{CN_NUM}{{1,2}}");
    let d = format!("[0-9０-９]{{1,2}}|{CN_NUM}{{1,3}}");
    Indexed::new(
        &format!(
            r"(?P<iso>(?P<iy>(?:19|20)[0-9]{{2}})-(?P<im>[0-9]{{1,2}})-(?P<id>[0-9]{{1,2}}))(?:[^0-9]|$)|(?:(?P<y>{y})年)?(?:(?P<m>{m})月(?:(?P<d>{d})[日号])?)|(?P<y2>{y})年|(?P<d2>{d})[日号]"
        ),
        &["iso", "iy", "im", "id", "y", "m", "d", "y2", "d2"],
        "date regex",
    )
});

/// Group order of [`DATE_RE`].
#[cfg(test)]
const D_ISO: usize = 0;
#[cfg(test)]
const D_IY: usize = 1;
#[cfg(test)]
const D_IM: usize = 2;
#[cfg(test)]
const D_ID: usize = 3;
#[cfg(test)]
const D_Y: usize = 4;
#[cfg(test)]
const D_M: usize = 5;
#[cfg(test)]
const D_D: usize = 6;
#[cfg(test)]
const D_Y2: usize = 7;
#[cfg(test)]
const D_D2: usize = 8;

fn num_i(s: &str) -> Option<i64> {
    parse_number(s).map(|v| v as i64)
}

/// Group boundaries of one date match (absolute byte offsets).
struct DateParts {
    /// The ISO branch's date (without the char after it).
    iso: Option<(usize, usize)>,
    year: Option<(usize, usize)>,
    month: Option<(usize, usize)>,
    day: Option<(usize, usize)>,
    /// The day came from the bare `N日` branch.
    bare_day: bool,
    /// End of the whole match.
    end: usize,
}

fn is_cn_num(c: char) -> bool {
    matches!(
        c,
        '零' | '〇' | '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

fn is_cn_year_digit(c: char) -> bool {
    matches!(
        c,
        '零' | '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九'
    )
}

/// `[0-9０-９]{1,max}|CN{1,max_cn}` at `at` followed by one of `next`,
/// longest first: (number span, end after the following char).
fn num_then(
    t: &str,
    at: usize,
    max: usize,
    max_cn: usize,
    next: &[char],
) -> Option<((usize, usize), usize)> {
    let first = t.get(at..)?.chars().next()?;
    let (f, max): (fn(char) -> bool, usize) = if digit_value(first).is_some() {
        (|c| digit_value(c).is_some(), max)
    } else if is_cn_num(first) {
        (is_cn_num, max_cn)
    } else {
        return None;
    };
    // Ends of the first `max` (at most 3) chars of the run, on the stack.
    let mut ends = [0usize; 3];
    let mut n = 0;
    let mut e = at;
    for c in t.get(at..)?.chars() {
        if n >= max.min(ends.len()) || !f(c) {
            break;
        }
        e += c.len_utf8();
        ends[n] = e;
        n += 1;
    }
    for &e in ends[..n].iter().rev() {
        if let Some(c) = t.get(e..).and_then(|r| r.chars().next()) {
            if next.contains(&c) {
                return Some(((at, e), e + c.len_utf8()));
            }
        }
    }
    None
}

/// `(?:[0-9０-９]{4}|[零〇一二三四五六七八九]{4})年` at `at`: the year's span.
fn year_then_nian(t: &str, at: usize) -> Option<(usize, usize)> {
    let first = t.get(at..)?.chars().next()?;
    let e = if digit_value(first).is_some() {
        nth_end(t, at, |c| digit_value(c).is_some(), 4)?
    } else if is_cn_year_digit(first) {
        nth_end(t, at, is_cn_year_digit, 4)?
    } else {
        return None;
    };
    t.get(e..)?.starts_with('年').then_some((at, e))
}

/// The ISO branch `(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?:[^0-9]|$)` at `s`.
fn split_iso(t: &str, s: usize) -> Option<DateParts> {
    let b = t.as_bytes().get(s..)?;
    let dig = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    if !(b.starts_with(b"19") || b.starts_with(b"20"))
        || !dig(2)
        || !dig(3)
        || b.get(4) != Some(&b'-')
    {
        return None;
    }
    for ml in [2, 1] {
        if !(0..ml).all(|q| dig(5 + q)) || b.get(5 + ml) != Some(&b'-') {
            continue;
        }
        let ds = 5 + ml + 1;
        for dl in [2, 1] {
            if !(0..dl).all(|q| dig(ds + q)) {
                continue;
            }
            let de = ds + dl;
            let end = match t.get(s + de..).and_then(|r| r.chars().next()) {
                None => s + de,
                Some(c) if !c.is_ascii_digit() => s + de + c.len_utf8(),
                Some(_) => continue,
            };
            return Some(DateParts {
                iso: Some((s, s + de)),
                year: Some((s, s + 4)),
                month: Some((s + 5, s + 5 + ml)),
                day: Some((s + ds, s + de)),
                bare_day: false,
                end,
            });
        }
    }
    None
}

/// Parse [`DATE_RE`] anchored at `s`, branch by branch in the regex's
/// priority order, so the first parse found is the one the regex reports.
fn split_date(t: &str, s: usize) -> Option<DateParts> {
    if let Some(p) = split_iso(t, s) {
        return Some(p);
    }
    let with_year = year_then_nian(t, s);
    for year in [with_year, None] {
        let k = year.map_or(s, |y| y.1 + '年'.len_utf8());
        if let Some((month, after)) = num_then(t, k, 2, 2, &['月']) {
            let (day, end) = match num_then(t, after, 2, 3, &['日', '号']) {
                Some((d, e)) => (Some(d), e),
                None => (None, after),
            };
            return Some(DateParts {
                iso: None,
                year,
                month: Some(month),
                day,
                bare_day: false,
                end,
            });
        }
        if year.is_none() {
            break;
        }
    }
    if let Some(y) = with_year {
        return Some(DateParts {
            iso: None,
            year: Some(y),
            month: None,
            day: None,
            bare_day: false,
            end: y.1 + '年'.len_utf8(),
        });
    }
    let (day, end) = num_then(t, s, 2, 3, &['日', '号'])?;
    Some(DateParts {
        iso: None,
        year: None,
        month: None,
        day: Some(day),
        bare_day: true,
        end,
    })
}

/// Date expressions in `text`. Bare `N日` tokens are returned (they end
/// ranges such as `3月19日至20日`) flagged by having neither year nor month.
pub fn dates(text: &str, base: usize) -> Vec<DateTok> {
    let mut out = Vec::new();
    let num = |span: Option<(usize, usize)>| -> Option<i64> {
        span.and_then(|(s, e)| text.get(s..e)).and_then(num_i)
    };
    let mut at = 0;
    // `split_date` is the regex's anchored parse in its priority order and
    // every match opens with a digit or a Chinese numeral: trying it at each
    // such char finds the matches `find_iter` would (see `figures`).
    while let Some((start, p)) = next_match(text, at, is_date_start, date_run, split_date) {
        at = p.end;
        if let Some((iso_s, iso_e)) = p.iso {
            out.push(DateTok {
                span: Span::new(base + iso_s, base + iso_e),
                year: num(p.year),
                month: num(p.month),
                day: num(p.day),
                iso: true,
            });
            continue;
        }
        let before = text[..start].chars().next_back();
        if before.is_some_and(|b| digit_value(b).is_some() || b == '第') {
            continue;
        }
        let year = num(p.year);
        let month = num(p.month);
        let day = num(p.day);
        // `十月` parses; `一月` is fine; a bare Chinese `一日` is mostly "one day".
        if year.is_none() && month.is_none() && p.bare_day {
            if let Some(d2) = p.day.and_then(|(s, e)| text.get(s..e)) {
                if parse_arabic(d2).is_none() {
                    continue;
                }
            }
        }
        out.push(DateTok {
            span: Span::new(base + start, base + p.end),
            year,
            month,
            day,
            iso: false,
        });
    }
    out
}

pub fn days_in_month(year: Option<i64>, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) => 28,
            _ => 29,
        },
        _ => 0,
    }
}

/// Is `s` at `pos` a range connector? Returns its byte length.
pub fn range_connector(s: &str) -> Option<usize> {
    let t = s.trim_start_matches([' ', '\u{3000}']);
    let skipped = s.len() - t.len();
    for c in ["——", "—", "－", "-", "–", "~", "～", "至", "到"] {
        if let Some(rest) = t.strip_prefix(c) {
            let rest_t = rest.trim_start_matches([' ', '\u{3000}']);
            return Some(skipped + c.len() + (rest.len() - rest_t.len()));
        }
    }
    None
}

/// The byte index of the char before `pos` in `text` and that char.
pub fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos).and_then(|t| t.chars().next_back())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_chinese("十二"), Some(12.0));
        assert_eq!(parse_chinese("一百零五"), Some(105.0));
        assert_eq!(parse_chinese("两万三千"), Some(23000.0));
        assert_eq!(parse_chinese("二〇二四"), Some(2024.0));
        assert_eq!(parse_arabic("１,２００"), Some(1200.0));
        assert_eq!(parse_arabic("3.5"), Some(3.5));
    }

    #[test]
    fn figures_found() {
        let f = figures(
            "共举办培训12期，培训农民1500余人次，资金3.5万元，第二名，覆盖率98％",
            0,
        );
        let got: Vec<(f64, &str)> = f.iter().map(|f| (f.value, f.unit.as_str())).collect();
        assert_eq!(
            got,
            vec![(12.0, "期"), (1500.0, "人次"), (35000.0, "元"), (98.0, "%")]
        );
        assert_eq!(f[1].approx, Approx::MoreThan);
    }

    /// The anchored parses must give the groups the capture engine gives,
    /// on forms that exercise every branch and backtrack.
    #[test]
    fn splits_agree_with_captures() {
        let texts = [
            "约3万元，超过1,200余人次以上，不少于12.5％，近十二个百分点左右，一百零五人多",
            "123,45人，1,234,567元，3.人，２０２４年，十二月，不到两千亩，逾3亿元，至少5多人",
            "2024-02-30，2024-1-5日，1999-12-3120，二〇二三年二月三十日，3月19日至20号，十五日",
            "2024年13月，１２月３１日，112月，第3日，20243年，二〇二四年十月一日，一日，31日",
        ];
        for t in texts {
            for (re, is_fig) in [(&FIGURE_RE, true), (&DATE_RE, false)] {
                let mut locs = re.re.capture_locations();
                let mut at = 0;
                while let Some(m) = re.re.captures_read_at(&mut locs, t, at) {
                    at = m.end();
                    let g = |i: usize| locs.get(re.groups[i]);
                    if is_fig {
                        let p = split_figure(t, m.start()).expect("figure split");
                        assert_eq!(p.end, m.end(), "{t}");
                        assert_eq!(Some(p.num), g(F_NUM), "{t}");
                        assert_eq!(Some(p.unit), g(F_UNIT), "{t}");
                        assert_eq!((p.mag, p.q1, p.q2), (g(F_MAG), g(F_Q1), g(F_Q2)), "{t}");
                        assert_eq!(p.pre.map(|l| (m.start(), m.start() + l)), g(F_PRE));
                    } else {
                        let p = split_date(t, m.start()).expect("date split");
                        assert_eq!(p.end, m.end(), "{t}");
                        let iso = g(D_ISO);
                        assert_eq!(p.iso, iso, "{t}");
                        let (y, mo, d) = if iso.is_some() {
                            (g(D_IY), g(D_IM), g(D_ID))
                        } else {
                            (g(D_Y).or(g(D_Y2)), g(D_M), g(D_D).or(g(D_D2)))
                        };
                        assert_eq!((p.year, p.month, p.day), (y, mo, d), "{t}");
                        assert_eq!(p.bare_day, g(D_D2).is_some(), "{t}");
                    }
                }
            }
        }
    }

    /// The char-by-char candidate scan finds exactly the matches the
    /// regexes' own search finds.
    #[test]
    fn candidate_scan_agrees_with_search() {
        let texts = [
            "约3万元，超过1,200余人次以上，不少于12.5％，近十二个百分点左右，一百零五人多",
            "123,45人，1,234,567元，3.人，２０２４年，十二月，不到两千亩，逾3亿元，至少5多人",
            "2024-02-30，2024-1-5日，1999-12-3120，二〇二三年二月三十日，3月19日至20号，十五日",
            "2024年13月，１２月３１日，112月，第3日，20243年，二〇二四年十月一日，一日，31日",
            "不断加强，至今已有二十三个，超过了，不足，近年来共举办3期培训，统一思想，进一步，十分",
            "2024-12-31，20-1-1，2019-3-4x，二〇二四，三十一日至三十二日，xx12人x",
        ];
        for t in texts {
            for (re, start, is_fig) in [
                (&FIGURE_RE, is_figure_start as fn(char) -> bool, true),
                (&DATE_RE, is_date_start as fn(char) -> bool, false),
            ] {
                let want: Vec<(usize, usize)> =
                    re.re.find_iter(t).map(|m| (m.start(), m.end())).collect();
                let mut got = Vec::new();
                let mut at = 0;
                loop {
                    let found = if is_fig {
                        next_match(t, at, start, figure_run, split_figure).map(|(s, p)| (s, p.end))
                    } else {
                        next_match(t, at, start, date_run, split_date).map(|(s, p)| (s, p.end))
                    };
                    let Some(m) = found else { break };
                    got.push(m);
                    at = m.1;
                }
                assert_eq!(got, want, "{t}");
            }
        }
    }

    /// The first-char dispatch gives the unit the whole list gives.
    #[test]
    fn unit_at_agrees_with_list() {
        let mut starts: Vec<char> = UNITS.iter().filter_map(|u| u.chars().next()).collect();
        starts.extend(['百', '分', '次', '方', '时', '里', '元', '年', 'x']);
        for c in starts {
            for tail in ["", "次", "百分点", "元", "时", "里", "方米", "方"] {
                let t = format!("{c}{tail}");
                assert_eq!(unit_at(&t, 0), word_at(&t, 0, UNITS), "{t}");
            }
        }
    }

    #[test]
    fn dates_found() {
        let d = dates(
            "2024年2月30日举行，3月19日至20日，二〇二四年十三月，2024-02-30",
            0,
        );
        assert_eq!(d[0].year, Some(2024));
        assert_eq!(d[0].month, Some(2));
        assert_eq!(d[0].day, Some(30));
        assert_eq!((d[1].month, d[1].day), (Some(3), Some(19)));
        assert_eq!((d[2].month, d[2].day), (None, Some(20)));
        assert_eq!((d[3].year, d[3].month), (Some(2024), Some(13)));
        assert!(d[4].iso);
    }
}

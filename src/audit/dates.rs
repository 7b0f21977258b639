//! Rule groups 2 and 3: impossible dates, backwards or degenerate ranges,
//! and dates outside the year the document reports on.

use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::LazyLock;

use super::{finding, scan, Ctx};
use crate::model::{Finding, Severity, Span};

/// `2024-2024年`, `2024年至2023年`: a year range whose first end has no 年
/// of its own is not a date token, so it is matched here.
static YEAR_RANGE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<a>[0-9０-９]{4})年?\s*(?:——|—|－|-|–|~|～|至|到)\s*(?P<b>[0-9０-９]{4})年")
        .expect("year range regex")
});

/// Words after a range connector that make a backwards month order right
/// (`11月至次年3月`).
const NEXT_YEAR: &[&str] = &[
    "次年",
    "翌年",
    "来年",
    "第二年",
    "下一年",
    "下年",
    "明年",
    "年底",
    "年末",
];

/// Cues in a sentence that make another year's date expected: history,
/// comparison, plans, founding dates.
const OTHER_YEAR_CUES: &[&str] = &[
    "以来", "自", "从", "截至", "截止", "至今", "比", "较", "同比", "去年", "上年", "前年", "计划",
    "拟", "预计", "力争", "争取", "目标", "打算", "规划", "开始", "成立", "曾", "以前", "之前",
    "以后", "之后", "期间", "届", "任期", "历年", "发布", "印发", "出台", "颁布", "批准", "命名",
    "授予", "获评", "评为", "实施", "起至",
];

static OTHER_YEAR_CUES_AC: LazyLock<AhoCorasick> =
    LazyLock::new(|| super::totals::words_ac(OTHER_YEAR_CUES));

/// Section titles of plan parts, where coming years are expected.
const PLAN_TITLES: &[&str] = &[
    "计划",
    "打算",
    "思路",
    "安排",
    "要点",
    "设想",
    "目标",
    "展望",
    "下一步",
    "规划",
];

fn fmt_tok(t: &scan::DateTok) -> String {
    let mut s = String::new();
    if let Some(y) = t.year {
        s.push_str(&format!("{y}年"));
    }
    if let Some(m) = t.month {
        s.push_str(&format!("{m}月"));
    }
    if let Some(d) = t.day {
        s.push_str(&format!("{d}日"));
    }
    s
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (pi, toks) in ctx.dates.iter().enumerate() {
        for (ti, t) in toks.iter().enumerate() {
            impossible(ctx, t, out);
            if let Some(next) = toks.get(ti + 1) {
                range(ctx, t, next, out);
            }
        }
        year_ranges(ctx, pi, out);
    }
    outside_year(ctx, out);
    // Impossible dates the extractor emitted as written (`2024-02-30`) in a
    // form the scan did not catch.
    let mut covered = super::SpanIndex::new(out.iter().map(|o| o.span));
    for f in &ctx.doc.facts {
        let Some(d) = f.as_date() else { continue };
        if d.placeholder || covered.overlaps(&f.span) {
            continue;
        }
        for part in d.value.split('/') {
            let nums: Vec<Option<i64>> = part.split('-').map(|x| x.parse().ok()).collect();
            let (y, m, dd) = (
                nums.first().copied().flatten(),
                nums.get(1).copied().flatten(),
                nums.get(2).copied().flatten(),
            );
            let bad = match (m, dd) {
                (Some(m), _) if !(1..=12).contains(&m) => true,
                (Some(m), Some(d)) => d < 1 || d > scan::days_in_month(y, m),
                _ => false,
            };
            if bad {
                covered.insert(f.span);
                out.push(finding(
                    "impossible_date",
                    Severity::Error,
                    format!("日期“{}”不存在", ctx.slice(f.span)),
                    f.span,
                    vec![],
                ));
                break;
            }
        }
    }
}

fn impossible(ctx: &Ctx, t: &scan::DateTok, out: &mut Vec<Finding>) {
    let Some(m) = t.month else { return };
    // A bare `13月` might be a count of months; with a year or a day it is a date.
    let dated = t.year.is_some() || t.day.is_some();
    let msg = if !(1..=12).contains(&m) {
        if !dated {
            return;
        }
        format!(
            "日期“{}”不存在：一年只有12个月，没有{m}月",
            ctx.slice(t.span)
        )
    } else if let Some(d) = t.day {
        let max = scan::days_in_month(t.year, m);
        if d >= 1 && d <= max {
            return;
        }
        format!("日期“{}”不存在：{m}月只有{max}天", ctx.slice(t.span))
    } else {
        return;
    };
    out.push(finding(
        "impossible_date",
        Severity::Error,
        msg,
        t.span,
        vec![],
    ));
}

/// (year, month, day) of a range's end, completed from its start.
fn complete(a: &scan::DateTok, b: &scan::DateTok) -> (Option<i64>, Option<i64>, Option<i64>) {
    let year = b.year.or(a.year);
    let month = if b.year.is_none() {
        b.month.or(a.month)
    } else {
        b.month
    };
    (year, month, b.day)
}

fn range(ctx: &Ctx, a: &scan::DateTok, b: &scan::DateTok, out: &mut Vec<Finding>) {
    let between = ctx.text.get(a.span.end..b.span.start).unwrap_or("");
    let Some(n) = scan::range_connector(between) else {
        return;
    };
    if n != between.len() {
        return;
    }
    let after = ctx.text.get(b.span.start..b.span.end).unwrap_or("");
    if NEXT_YEAR.iter().any(|w| after.starts_with(w)) {
        return;
    }
    // Both ends must be valid for an order to be meaningful.
    let valid = |y: Option<i64>, m: Option<i64>, d: Option<i64>| {
        m.is_none_or(|m| (1..=12).contains(&m))
            && d.is_none_or(|d| d >= 1 && m.is_none_or(|m| d <= scan::days_in_month(y, m)))
    };
    let (by, bm, bd) = complete(a, b);
    if !valid(a.year, a.month, a.day) || !valid(by, bm, bd) {
        return;
    }
    // Compare on the precision both ends have.
    let mut ka = Vec::new();
    let mut kb = Vec::new();
    for (x, y) in [(a.year, by), (a.month, bm), (a.day, bd)] {
        match (x, y) {
            (Some(x), Some(y)) => {
                ka.push(x);
                kb.push(y);
            }
            (None, None) => {}
            _ => break,
        }
    }
    if ka.is_empty() {
        return;
    }
    let span = Span::new(a.span.start, b.span.end);
    let whole = ctx.slice(span);
    if kb < ka {
        // Months alone (`11月至3月`) may be a winter season written loosely.
        let sev = if a.year.is_some() || a.day.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(finding(
            "backwards_range",
            sev,
            format!(
                "日期范围“{whole}”起止颠倒：结束日期{}早于开始日期{}",
                fmt_tok(&scan::DateTok {
                    span,
                    year: by,
                    month: bm,
                    day: bd,
                    iso: false
                }),
                fmt_tok(a)
            ),
            span,
            vec![a.span, b.span],
        ));
    } else if kb == ka && ka.len() == [a.year, a.month, a.day].iter().flatten().count() {
        out.push(finding(
            "degenerate_range",
            Severity::Warning,
            format!("日期范围“{whole}”起止相同，范围没有意义"),
            span,
            vec![a.span, b.span],
        ));
    }
}

fn year_ranges(ctx: &Ctx, pi: usize, out: &mut Vec<Finding>) {
    let p = ctx.doc.paragraphs[pi].span;
    let pt = p.slice(ctx.text);
    // A year range needs `年` and a connector: most paragraphs have no
    // connector, and this check is cheaper than the regex's scan.
    if !pt.contains('年') || !pt.contains(['—', '－', '-', '–', '~', '～', '至', '到']) {
        return;
    }
    for c in YEAR_RANGE_RE.captures_iter(pt) {
        let (Some(all), Some(a), Some(b)) = (c.get(0), c.name("a"), c.name("b")) else {
            continue;
        };
        if scan::char_before(pt, all.start()).is_some_and(|ch| scan::digit_value(ch).is_some()) {
            continue;
        }
        let (Some(ya), Some(yb)) = (
            scan::parse_arabic(a.as_str()),
            scan::parse_arabic(b.as_str()),
        ) else {
            continue;
        };
        let span = Span::new(p.start + all.start(), p.start + all.end());
        let whole = ctx.slice(span);
        if yb < ya {
            out.push(finding(
                "backwards_range",
                Severity::Error,
                format!("年份范围“{whole}”起止颠倒：{}年早于{}年", yb, ya),
                span,
                vec![],
            ));
        } else if yb == ya {
            out.push(finding(
                "degenerate_range",
                Severity::Warning,
                format!("年份范围“{whole}”起止为同一年，应写作“{}年”", ya),
                span,
                vec![],
            ));
        }
    }
}

fn outside_year(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(year) = ctx.doc.year else { return };
    let year = year as i64;
    let title = ctx.doc.title.as_deref().unwrap_or("");
    // Plans and multi-year reports legitimately date other years.
    if PLAN_TITLES.iter().any(|w| title.contains(w)) || title.contains("年来") {
        return;
    }
    // Multi-year reviews (`十四五`时期, `五年来`) date earlier years on purpose.
    // Searching the whole text for these words is costly and most documents
    // date nothing outside their year: look only when a date needs it.
    let multi_year = std::cell::OnceCell::new();
    let multi_year = || {
        *multi_year.get_or_init(|| {
            [
                "五年",
                "十三五",
                "十四五",
                "十五五",
                "年来",
                "时期",
                "历年",
                "届内",
            ]
            .iter()
            .any(|w| ctx.text.contains(w))
        })
    };
    let nonempty: Vec<usize> = ctx
        .doc
        .paragraphs
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.span.slice(ctx.text).trim().is_empty())
        .map(|(i, _)| i)
        .collect();
    // Title block and signature lines carry the writing date, not the work's.
    let body: Vec<usize> = if nonempty.len() > 6 {
        nonempty[3..nonempty.len() - 3].to_vec()
    } else {
        return;
    };
    for pi in body {
        let para = &ctx.doc.paragraphs[pi];
        // Most paragraphs date nothing in another year: skip the tests
        // below (section titles, datelines) that could only excuse one.
        let other_year =
            |t: &scan::DateTok| t.month.is_some() && t.year.is_some_and(|y| y != year) && !t.iso;
        if !ctx.dates[pi].iter().any(other_year) {
            continue;
        }
        let pt = para.span.slice(ctx.text);
        if para.is_heading || pt.trim_start().starts_with('【') {
            continue;
        }
        if ctx
            .section_titles(pi)
            .iter()
            .any(|t| PLAN_TITLES.iter().any(|w| t.contains(w)))
        {
            continue;
        }
        // A dateline (`时间：2026-02-02 09:20`, a date alone on its line)
        // is when the text was written or posted, not when work was done.
        let pt_trim = pt.trim();
        if ["时间", "日期", "来源", "发布"]
            .iter()
            .any(|w| pt_trim.starts_with(w))
        {
            continue;
        }
        let toks = &ctx.dates[pi];
        for (ti, t) in toks.iter().enumerate() {
            let (Some(y), Some(m)) = (t.year, t.month) else {
                continue;
            };
            if y == year || !(1900..=2100).contains(&y) || t.iso {
                continue;
            }
            if (y < year && multi_year()) || (y == year + 1 && m <= 3) {
                continue;
            }
            let rest_of_line = pt_trim.replace(ctx.slice(t.span), "");
            if !rest_of_line
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            {
                continue;
            }
            // Part of a range: a span of years is deliberate.
            let joined = |x: &scan::DateTok, z: &scan::DateTok| {
                ctx.text
                    .get(x.span.end..z.span.start)
                    .and_then(scan::range_connector)
                    .is_some()
            };
            if toks.get(ti + 1).is_some_and(|n| joined(t, n))
                || ti > 0 && toks.get(ti - 1).is_some_and(|p| joined(p, t))
            {
                continue;
            }
            // Inside brackets: a dateline or an aside.
            let before = ctx.text.get(para.span.start..t.span.start).unwrap_or("");
            if before.matches(['（', '(']).count() > before.matches(['）', ')']).count() {
                continue;
            }
            let sent = ctx.sentence_of(t.span.start);
            let st = ctx.slice(sent);
            if OTHER_YEAR_CUES_AC.is_match(st) {
                continue;
            }
            out.push(finding(
                "date_outside_year",
                Severity::Warning,
                format!(
                    "日期“{}”在{}年，而本文报告的是{}年的工作",
                    ctx.slice(t.span),
                    y,
                    year
                ),
                t.span,
                vec![sent],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{doc_from_text, Auditor};

    fn rules(text: &str, year: Option<i32>) -> Vec<(&'static str, String)> {
        let doc = doc_from_text("t", text, year);
        Auditor::new()
            .audit(&doc)
            .into_iter()
            .map(|f| (f.rule, doc.slice(f.span).to_string()))
            .collect()
    }

    #[test]
    fn impossible_and_ranges() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("2月30日举办培训。", &[("impossible_date", "2月30日")]),
            (
                "2023年2月29日举办。",
                &[("impossible_date", "2023年2月29日")],
            ),
            ("2024年2月29日举办。", &[]),
            (
                "二〇二三年二月三十日举办。",
                &[("impossible_date", "二〇二三年二月三十日")],
            ),
            (
                "２０２４年４月３１日召开。",
                &[("impossible_date", "２０２４年４月３１日")],
            ),
            ("2024年13月召开。", &[("impossible_date", "2024年13月")]),
            ("4月31日召开。", &[("impossible_date", "4月31日")]),
            ("于3月32日召开。", &[("impossible_date", "3月32日")]),
            ("历时32日，", &[]),
            (
                "11月5日至3月2日开展活动",
                &[("backwards_range", "11月5日至3月2日")],
            ),
            ("11月至次年3月开展活动", &[]),
            ("2024-2024年规划", &[("degenerate_range", "2024-2024年")]),
            ("2025-2023年规划", &[("backwards_range", "2025-2023年")]),
            ("2024-2025年规划", &[]),
            ("3月19日至20日召开", &[]),
            (
                "3月19日至3月19日召开",
                &[("degenerate_range", "3月19日至3月19日")],
            ),
            ("3月15日-12月15日授课", &[]),
            ("2024年1月至12月", &[]),
        ];
        for (text, want) in cases {
            let got = rules(text, Some(2024));
            let want: Vec<(&str, String)> = want.iter().map(|(r, s)| (*r, s.to_string())).collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn outside_year() {
        let body = "一、工作回顾\n县科协全年工作扎实。\n一是抓学习。\n2023年5月12日，县科协举办科普讲座。\n二是抓宣传。\n2024年6月1日，县科协开展科普宣传。\n自2019年3月成立以来，协会发展迅速。\n三是抓队伍。\n四是抓作风。\n以上是总结。";
        let got = rules(body, Some(2024));
        assert_eq!(
            got,
            vec![("date_outside_year", "2023年5月12日".to_string())]
        );
        assert!(rules(body, None).is_empty());
        // The message names the date's year and the report's.
        let doc = doc_from_text("t", body, Some(2024));
        let messages: Vec<String> = Auditor::new()
            .audit(&doc)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(
            messages,
            ["日期“2023年5月12日”在2023年，而本文报告的是2024年的工作"]
        );
    }
}

//! Rule group 1: placeholders left in a template that was never filled in
//! (`XX人`, `20xx年`, `__年`, `18xxxx`, `某某`, `×××同志`).

use regex::Regex;
use std::sync::LazyLock;

use super::{finding, scan, Ctx};
use crate::model::{Finding, Severity, Span};

/// A run of placeholder marks, possibly mixed with digits (`20xx`, `18xxxx`,
/// `__`, `××`). Letters are checked for ASCII neighbours afterwards so
/// words like `Excel` or `Xbox` do not count.
static MARKS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[0-9０-９]*(?:[xXｘＸ]{2,}|[xXｘＸ]+[0-9０-９]*[xXｘＸ]*|[_＿]{2,}|×{2,}|[○□]{2,}|某某)[0-9０-９]*",
    )
    .expect("placeholder regex")
});

/// The non-ASCII placeholder marks, each as a searcher built once:
/// `str::contains(char)` looks for the char's last byte, a continuation
/// byte most CJK chars share, and was slow on every paragraph.
static MARK_CHARS: LazyLock<Vec<memchr::memmem::Finder<'static>>> = LazyLock::new(|| {
    ["ｘ", "Ｘ", "＿", "×", "○", "□", "某"]
        .iter()
        .map(|c| memchr::memmem::Finder::new(c.as_bytes()))
        .collect()
});

/// Measure words and units after a hidden figure (`XX人`, `xx场次`).
const FIGURE_UNITS: &[&str] = &[
    "人次",
    "场次",
    "万元",
    "亿元",
    "余",
    "多",
    "万",
    "亿",
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
    "公里",
    "米",
    "平方米",
    "课时",
    "届",
    "年度",
];

fn is_ascii_letter(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphabetic())
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let text = ctx.text;
    // Every placeholder match holds one of these marks; a document (or a
    // paragraph) without any needs no regex scan.
    let has_marks = |t: &str| {
        memchr::memchr3(b'x', b'X', b'_', t.as_bytes()).is_some()
            || MARK_CHARS.iter().any(|f| f.find(t.as_bytes()).is_some())
    };
    let doc_marks = has_marks(text);
    for p in ctx.doc.paragraphs.iter().filter(|_| doc_marks) {
        let pt = p.span.slice(text);
        if !has_marks(pt) {
            continue;
        }
        for m in MARKS_RE.find_iter(pt) {
            let s = m.as_str();
            let before = pt[..m.start()].chars().next_back();
            let after_text = &pt[m.end()..];
            let after = after_text.chars().next();
            let has_letters = s.chars().any(|c| c.is_ascii_alphabetic());
            if has_letters && (is_ascii_letter(before) || is_ascii_letter(after)) {
                continue;
            }
            // A single `x` between digits is a multiplication sign (`3x4`).
            let marks = s
                .chars()
                .filter(|c| !c.is_ascii_digit() && scan::digit_value(*c).is_none())
                .count();
            let digits = s.chars().count() - marks;
            if marks < 2
                && !(digits > 0 && marks >= 1 && !s.ends_with(|c: char| c.is_ascii_digit()))
            {
                continue;
            }
            if marks == 1 && s.chars().next().is_some_and(|c| !c.is_ascii_digit()) {
                continue;
            }
            let span = Span::new(p.span.start + m.start(), p.span.start + m.end());
            let after1 = after_text.trim_start_matches([' ', '\u{3000}']);
            if after1.starts_with('年') || after1.starts_with('月') || after1.starts_with('日') {
                let unit_len = after1.chars().next().map_or(0, |c| c.len_utf8());
                let skip = after_text.len() - after1.len();
                let full = Span::new(span.start, span.end + skip + unit_len);
                out.push(finding(
                    "placeholder_date",
                    Severity::Error,
                    format!("日期“{}”未填写，文稿中留有占位符", ctx.slice(full)),
                    full,
                    vec![],
                ));
                continue;
            }
            if s == "某某" || s.starts_with('某') {
                out.push(finding(
                    "placeholder_text",
                    Severity::Warning,
                    format!("“{}”是未填写的名称占位符", ctx.slice(span)),
                    span,
                    vec![],
                ));
                continue;
            }
            let unit = FIGURE_UNITS.iter().find(|u| after1.starts_with(*u));
            // Digits mixed with marks (`18xxxx`) hide a figure whatever
            // follows; so do marks with a unit, or marks standing alone
            // after a measure (`高xxxx，`).
            let alone =
                after.is_none_or(|c| super::is_clause_mark(c) || matches!(c, '、' | '）' | ')'));
            if unit.is_some()
                || digits > 0
                || (alone && before.is_some_and(|b| !b.is_ascii()) && marks >= 3)
            {
                let end =
                    span.end + unit.map_or(0, |u| (after_text.len() - after1.len()) + u.len());
                let full = Span::new(span.start, end);
                out.push(finding(
                    "placeholder_figure",
                    Severity::Error,
                    format!("数字“{}”未填写，文稿中留有占位符", ctx.slice(full)),
                    full,
                    vec![],
                ));
            } else {
                out.push(finding(
                    "placeholder_text",
                    Severity::Warning,
                    format!("“{}”是未填写的名称或内容占位符", ctx.slice(span)),
                    span,
                    vec![],
                ));
            }
        }
    }
    // Placeholder facts from the extractors in forms the scan above missed.
    let mut covered = super::SpanIndex::new(out.iter().map(|o| o.span));
    for f in &ctx.doc.facts {
        let (rule, what) = match (f.as_date(), f.as_count()) {
            (Some(d), _) if d.placeholder => ("placeholder_date", "日期"),
            (_, Some(c)) if c.placeholder => ("placeholder_figure", "数字"),
            _ => continue,
        };
        if covered.overlaps(&f.span) {
            continue;
        }
        covered.insert(f.span);
        out.push(finding(
            rule,
            Severity::Error,
            format!("{what}“{}”未填写，文稿中留有占位符", ctx.slice(f.span)),
            f.span,
            vec![],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{doc_from_text, Auditor};

    fn rules(text: &str) -> Vec<(&'static str, String)> {
        let doc = doc_from_text("t", text, Some(2024));
        Auditor::new()
            .audit(&doc)
            .into_iter()
            .filter(|f| f.rule.starts_with("placeholder"))
            .map(|f| (f.rule, doc.slice(f.span).to_string()))
            .collect()
    }

    #[test]
    fn placeholder_cases() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("参训人员达XX人(次)。", &[("placeholder_figure", "XX人")]),
            ("一、20xx年重点工作", &[("placeholder_date", "20xx年")]),
            ("现拟__年老科协工作计划", &[("placeholder_date", "__年")]),
            ("新增补18xxxx会员", &[("placeholder_figure", "18xxxx")]),
            (
                "画廊长10xxxx，高xxxx，",
                &[
                    ("placeholder_figure", "10xxxx"),
                    ("placeholder_figure", "xxxx"),
                ],
            ),
            (
                "以xx在纪念大会上的讲话为指导",
                &[("placeholder_text", "xx")],
            ),
            ("某某村召开大会", &[("placeholder_text", "某某")]),
            ("202X年3月", &[("placeholder_date", "202X年")]),
            ("使用Excel和Xbox，3x4", &[]),
            ("参加群众ＸＸ人次，", &[("placeholder_figure", "ＸＸ人次")]),
            ("由×××同志主持。", &[("placeholder_text", "×××")]),
            ("发放资料___份。", &[("placeholder_figure", "___份")]),
            ("2024年举办培训12期", &[]),
            (
                "时间为xx月xx日",
                &[("placeholder_date", "xx月"), ("placeholder_date", "xx日")],
            ),
        ];
        for (text, want) in cases {
            let got = rules(text);
            let want: Vec<(&str, String)> = want.iter().map(|(r, s)| (*r, s.to_string())).collect();
            assert_eq!(got, want, "{text}");
        }
    }
}

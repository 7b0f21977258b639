//! Rule groups 5 and 6: impossible values (shares over 100%, declines over
//! 100%, more hours than a day has) and the same figure stated differently
//! within a document.

use aho_corasick::AhoCorasick;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::scan::{self, Figure};
use super::{finding, num, Ctx};
use crate::model::{Approx, Finding, Severity, Span};

/// Words that make a percentage a share of a whole (cannot pass 100%).
const SHARE: &[&str] = &[
    "占",
    "比例",
    "比重",
    "覆盖率",
    "普及率",
    "入学率",
    "合格率",
    "达标率",
    "满意度",
    "满意率",
    "知晓率",
    "参与率",
    "通过率",
    "及格率",
    "出勤率",
    "参保率",
    "到位率",
    "覆盖面",
    "受益面",
    "知晓度",
    "参与度",
    "入会率",
    "建会率",
    "优良率",
    "就业率",
    "使用率",
    "上网率",
    "普及面",
];

/// Words that make a percentage a change or a ratio to a target (may pass 100%).
const CHANGE: &[&str] = &[
    "增",
    "长",
    "提高",
    "提升",
    "上升",
    "超",
    "翻",
    "完成",
    "高于",
    "比",
    "较",
    "同比",
    "环比",
    "去年",
    "上年",
    "同期",
    "倍",
    "达到了原",
];

/// Words of a fall: a fall over 100% is impossible.
const FALL: &[&str] = &["下降", "降低", "减少", "缩减", "回落"];

/// A per-period amount larger than the period (`每天26小时`, `每周8天`).
static PER_PERIOD_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<per>每天|每日|日均|一天|全天|每周|每星期|每月|每年|全年)[^，。；,;\n]{0,8}?(?P<num>[0-9０-９]+(?:[.．][0-9０-９]+)?|[零一二两三四五六七八九十百]+)(?P<unit>个小时|小时|天|日|个月)")
        .expect("per-period regex")
});

/// Needles one of which every `per` word of [`PER_PERIOD_RE`] holds.
static PERIOD_NEEDLES: LazyLock<Vec<memchr::memmem::Finder<'static>>> = LazyLock::new(|| {
    ["每", "日均", "一天", "全天", "全年"]
        .iter()
        .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
        .collect()
});

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    percents(ctx, out);
    per_period(ctx, out);
    inconsistent(ctx, out);
}

fn percents(ctx: &Ctx, out: &mut Vec<Finding>) {
    for figs in ctx.figures() {
        for f in figs {
            if f.unit != "岁" && f.unit != "%" {
                continue;
            }
            let lead = ctx.lead_of(f);
            let after = ctx.text.get(f.span.end..).unwrap_or("");
            if f.unit == "岁" && f.value > 120.0 && !lead.contains('树') && !lead.contains('古')
            {
                out.push(finding(
                    "impossible_value",
                    Severity::Error,
                    format!("年龄“{}”不合常理：超过120岁", ctx.slice(f.span)),
                    f.span,
                    vec![],
                ));
                continue;
            }
            if f.unit != "%" || f.value <= 100.0 {
                continue;
            }
            if FALL
                .iter()
                .any(|w| lead.ends_with(w) || lead.contains(w) && !lead.contains("增"))
            {
                out.push(finding(
                    "impossible_value",
                    Severity::Error,
                    format!("降幅“{}”不可能：减少不会超过100%", ctx.slice(f.span)),
                    f.span,
                    vec![],
                ));
                continue;
            }
            if CHANGE.iter().any(|w| lead.contains(w)) {
                continue;
            }
            let share = SHARE.iter().any(|w| lead.contains(w))
                || (lead.ends_with('率') || lead.ends_with("率达") || lead.ends_with("率为"))
                || after.starts_with("的") && !lead.contains("为");
            if !share {
                continue;
            }
            out.push(finding(
                "percent_over_100",
                Severity::Error,
                format!(
                    "比例“{}”超过100%：所占比例或比率不可能大于100%",
                    ctx.slice(f.span)
                ),
                f.span,
                vec![],
            ));
        }
    }
}

fn per_period(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.doc.paragraphs {
        let pt = p.span.slice(ctx.text);
        // Every period word holds one of these: a paragraph without any
        // has no match, and these searches cost less than the regex's.
        if !PERIOD_NEEDLES
            .iter()
            .any(|f| f.find(pt.as_bytes()).is_some())
        {
            continue;
        }
        for c in PER_PERIOD_RE.captures_iter(pt) {
            let (Some(all), Some(per), Some(n), Some(unit)) =
                (c.get(0), c.name("per"), c.name("num"), c.name("unit"))
            else {
                continue;
            };
            let Some(v) = scan::parse_number(n.as_str()) else {
                continue;
            };
            let unit = unit.as_str().trim_start_matches('个');
            let max = match (per.as_str(), unit) {
                ("每天" | "每日" | "日均" | "一天" | "全天", "小时") => 24.0,
                ("每周" | "每星期", "天" | "日") => 7.0,
                ("每周" | "每星期", "小时") => 168.0,
                ("每月", "天" | "日") => 31.0,
                ("每年" | "全年", "个月" | "月") => 12.0,
                ("每年" | "全年", "天" | "日") => 366.0,
                _ => continue,
            };
            if v <= max {
                continue;
            }
            let span = Span::new(p.span.start + all.start(), p.span.start + all.end());
            out.push(finding(
                "impossible_value",
                Severity::Error,
                format!(
                    "“{}”不可能：{}最多只有{}{}",
                    ctx.slice(span),
                    per.as_str().trim_start_matches('每'),
                    num(max),
                    unit
                ),
                span,
                vec![],
            ));
        }
    }
}

/// Scope words that make a figure an aggregate of the whole report.
const SCOPE: &[&str] = &[
    "全年", "全县", "全镇", "全乡", "全区", "全市", "全街", "全体", "累计", "共", "总计", "合计",
    "总数", "现有", "目前", "已有",
];

/// Filler removed from a figure's lead to get what it counts.
const FILLER: &[&str] = &[
    "共有",
    "现有",
    "已有",
    "目前",
    "共计",
    "总计",
    "合计",
    "累计",
    "一共",
    "总共",
    "总数",
    "达到",
    "先后",
    "共",
    "达",
    "为",
    "了",
    "约",
    "近",
    "计",
    "有",
    "已",
    "现",
    "超过",
    "并",
    "还",
    "同时",
    "此外",
    "另外",
    "其中",
    "全年",
    "今年",
    "本年度",
];

/// Words that make two different values expected (comparisons, rates).
const NOT_SAME: &[&str] = &[
    "比", "较", "增", "减", "同比", "上年", "去年", "每", "人均", "平均", "占", "分别",
];

static SCOPE_AC: LazyLock<AhoCorasick> = LazyLock::new(|| super::totals::words_ac(SCOPE));
static NOT_SAME_AC: LazyLock<AhoCorasick> = LazyLock::new(|| super::totals::words_ac(NOT_SAME));

/// A bit for each char that starts a [`FILLER`] word (0 for other chars).
fn filler_first_bit(c: char) -> u32 {
    let i = match c {
        '共' => 0,
        '现' => 1,
        '已' => 2,
        '目' => 3,
        '总' => 4,
        '合' => 5,
        '累' => 6,
        '一' => 7,
        '达' => 8,
        '先' => 9,
        '为' => 10,
        '了' => 11,
        '约' => 12,
        '近' => 13,
        '计' => 14,
        '有' => 15,
        '超' => 16,
        '并' => 17,
        '还' => 18,
        '同' => 19,
        '此' => 20,
        '另' => 21,
        '其' => 22,
        '全' => 23,
        '今' => 24,
        '本' => 25,
        _ => return 0,
    };
    1 << i
}

fn key_of(lead: &str, f: &Figure) -> Option<String> {
    if !SCOPE_AC.is_match(lead) || NOT_SAME_AC.is_match(lead) {
        return None;
    }
    let mut k: String = lead
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"'))
        .collect();
    // Skip the (allocating) replace when the word's first char is absent.
    // Which first chars occur is found in one pass over the key rather
    // than one search per word: replacing only removes chars, so a char
    // absent at the start stays absent, and a replace of a word whose
    // first char a previous replace removed finds nothing and changes
    // nothing.
    let present = k.chars().fold(0u32, |m, c| m | filler_first_bit(c));
    for w in FILLER {
        if w.chars()
            .next()
            .is_some_and(|c| present & filler_first_bit(c) != 0)
        {
            k = k.replace(w, "");
        }
    }
    if k.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
        < 2
    {
        return None;
    }
    Some(format!("{k}|{}", f.unit))
}

fn inconsistent(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut seen: HashMap<String, &Figure> = HashMap::new();
    for (pi, figs) in ctx.figures().enumerate() {
        if ctx.doc.paragraphs[pi].is_heading {
            continue;
        }
        for f in figs {
            let lead = ctx.lead_of(f);
            let Some(key) = key_of(lead, f) else { continue };
            match seen.get(&key) {
                None => {
                    seen.insert(key, f);
                }
                Some(first) => {
                    let close = match (first.approx, f.approx) {
                        (Approx::Exact, Approx::Exact) => first.value == f.value,
                        // `1200余人` and `1250人` may both be right.
                        _ => {
                            let (a, b) = (first.value.min(f.value), first.value.max(f.value));
                            b <= a * 1.25
                        }
                    };
                    if close {
                        continue;
                    }
                    let what = key.split('|').next().unwrap_or("");
                    out.push(finding(
                        "inconsistent_figure",
                        Severity::Warning,
                        format!(
                            "同一数字前后不一：“{what}”前文为“{}”，此处为“{}”",
                            ctx.slice(first.span),
                            ctx.slice(f.span)
                        ),
                        f.span,
                        vec![first.span],
                    ));
                }
            }
        }
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
            .map(|f| (f.rule, doc.slice(f.span).to_string()))
            .collect()
    }

    #[test]
    fn every_filler_word_has_a_bit() {
        for w in super::FILLER {
            let c = w.chars().next().unwrap();
            assert_ne!(super::filler_first_bit(c), 0, "{w}");
        }
    }

    #[test]
    fn values_cases() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("全镇科普覆盖率达到120%。", &[("percent_over_100", "120%")]),
            ("女会员占会员总数的130%。", &[("percent_over_100", "130%")]),
            ("参训人数同比增长150%。", &[]),
            ("超额完成任务，完成率达到120%。", &[]),
            ("群众满意度达98%。", &[]),
            ("发生率下降120%。", &[("impossible_value", "120%")]),
            (
                "服务站每天开放26小时。",
                &[("impossible_value", "每天开放26小时")],
            ),
            ("服务站每周开放5天。", &[]),
            ("每周开放9天。", &[("impossible_value", "每周开放9天")]),
            ("有150岁老人。", &[("impossible_value", "150岁")]),
            (
                "全镇共有会员350人。\n二、工作\n目前全镇现有会员380人。",
                &[("inconsistent_figure", "380人")],
            ),
            ("全镇共有会员350人。\n二、工作\n全镇现有会员350人。", &[]),
            ("2023年全镇共有会员350人。\n2024年全镇共有会员380人。", &[]),
            (
                "全镇共有会员350人，比上年增加30人。全镇共有会员380人，",
                &[("inconsistent_figure", "380人")],
            ),
        ];
        for (text, want) in cases {
            let got = rules(text);
            let want: Vec<(&str, String)> = want.iter().map(|(r, s)| (*r, s.to_string())).collect();
            assert_eq!(got, want, "{text}");
        }
    }
}

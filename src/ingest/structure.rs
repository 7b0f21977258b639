//! Sections and titles from the heading forms these reports use.
//!
//! Levels: 1 = `一、` / `第一部分` / `第一章`; 2 = `（一）` `(一)` `㈠`;
//! 3 = `1.` `1、` `１．`; 4 = `（1）` `(1)` `①`. Leading `>`, spaces and
//! full-width spaces (web debris) are tolerated. A .docx heading style gives
//! its own level, which wins over the text form.

use crate::model::{Section, Span};

/// Characters that may precede a heading marker on a line.
fn is_debris(c: char) -> bool {
    matches!(
        c,
        '>' | '＞' | ' ' | '\u{3000}' | '\t' | '\u{a0}' | '\u{feff}' | '•' | '·'
    )
}

fn is_cn_digit(c: char) -> bool {
    matches!(
        c,
        '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '〇' | '零' | '百'
    )
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// The heading level a line's text form gives, and the byte length of the
/// marker (after debris), if the line starts like a heading.
pub fn heading_level(line: &str) -> Option<(u8, usize)> {
    let body = line.trim_start_matches(is_debris);
    let lead = line.len() - body.len();
    let chars: Vec<(usize, char)> = body.char_indices().take(12).collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let end_of = |i: usize| {
        chars
            .get(i)
            .map(|&(b, c)| b + c.len_utf8())
            .unwrap_or(body.len())
    };
    let first = at(0)?;
    // 第一部分 / 第一章 / 第一篇
    if first == '第' {
        let mut i = 1;
        while at(i).is_some_and(|c| is_cn_digit(c) || is_digit(c)) {
            i += 1;
        }
        if i > 1 {
            for suffix in ["部分", "章", "篇"] {
                if body[end_of(i - 1)..].starts_with(suffix) {
                    return Some((1, lead + end_of(i - 1) + suffix.len()));
                }
            }
        }
        return None;
    }
    // 一、 (also 一. and 一． which some sites produce)
    if is_cn_digit(first) {
        let mut i = 1;
        while at(i).is_some_and(is_cn_digit) {
            i += 1;
        }
        if i <= 3 && matches!(at(i), Some('、' | '．' | '.' | '，')) && at(i) != Some('，') {
            return Some((1, lead + end_of(i)));
        }
        return None;
    }
    // ㈠..㈩ parenthesized ideographs
    if ('\u{3220}'..='\u{3229}').contains(&first) {
        return Some((2, lead + end_of(0)));
    }
    // ①..⑳
    if ('\u{2460}'..='\u{2473}').contains(&first) {
        return Some((4, lead + end_of(0)));
    }
    // （一） (一) （1） (1)
    if matches!(first, '（' | '(') {
        let mut i = 1;
        let cn = at(1).is_some_and(is_cn_digit);
        let dg = at(1).is_some_and(is_digit);
        if !cn && !dg {
            return None;
        }
        while at(i).is_some_and(|c| if cn { is_cn_digit(c) } else { is_digit(c) }) {
            i += 1;
        }
        if i <= 4 && matches!(at(i), Some('）' | ')')) {
            return Some((if cn { 2 } else { 4 }, lead + end_of(i)));
        }
        return None;
    }
    // 1. 1、 １．  — but not a decimal figure (1.2万) or a date (2024.3)
    if is_digit(first) {
        let mut i = 1;
        while at(i).is_some_and(is_digit) {
            i += 1;
        }
        if i <= 2 {
            match at(i) {
                Some('、') => return Some((3, lead + end_of(i))),
                Some('.' | '．') if !at(i + 1).is_some_and(is_digit) => {
                    return Some((3, lead + end_of(i)))
                }
                _ => {}
            }
        }
    }
    None
}

/// A heading's title: the line without debris, cut at the first full stop
/// when the heading runs on into a paragraph (`1、开展培训。全年共…`).
fn heading_title(line: &str) -> String {
    let body = line.trim_matches(|c: char| is_debris(c) || c == '\r');
    let cut = body.find('。').map(|i| &body[..i]).unwrap_or(body);
    // A Word list label ends in a tab ("1.\t概览"): a title reads better with a space.
    cut.trim_end_matches(is_debris).replace('\t', " ")
}

/// Find every heading line. `hints` are (line start byte, level) pairs from
/// the source format (a .docx heading style); they win over the text form.
pub fn find_sections(text: &str, hints: &[(usize, u8)]) -> Vec<Section> {
    let mut heads: Vec<(u8, Span)> = Vec::new();
    // Sorted (stably, so the first hint for a line still wins) and walked
    // with a cursor: a document of a million heading paragraphs must not
    // cost a million scans of a million hints.
    let mut hints = hints.to_vec();
    hints.sort_by_key(|&(s, _)| s);
    let mut next_hint = 0;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let span = Span::new(start, start + content.len());
        while next_hint < hints.len() && hints[next_hint].0 < start {
            next_hint += 1;
        }
        let hinted = hints
            .get(next_hint)
            .filter(|(s, _)| *s == start)
            .map(|&(_, l)| l);
        let level = hinted.or_else(|| heading_level(content).map(|(l, _)| l));
        if let Some(level) = level {
            if !content.trim().is_empty() {
                heads.push((level, span));
            }
        }
        start = end;
    }
    let mut out = Vec::with_capacity(heads.len());
    for (i, &(level, span)) in heads.iter().enumerate() {
        let extent_end = heads[i + 1..]
            .iter()
            .find(|(l, _)| *l <= level)
            .map(|(_, s)| s.start)
            .unwrap_or(text.len());
        out.push(Section {
            level,
            title: heading_title(span.slice(text)),
            heading: span,
            extent: Span::new(span.start, extent_end),
        });
    }
    out
}

/// A document's title: the piece header's name when there is one; else a
/// bibliographic title field (`【 标  题 】…`, `标题：…`) near the top; else
/// the first short line naming a kind of report (总结, 报告, 计划, …)
/// before the body starts; else the first short line when the text opens
/// with one. Lines of web-page chrome (`下载`, `打印`, `【字号：`, `来源：…`,
/// `您的位置:`, a bare date) and other `【…】` fields are passed over: pages
/// scraped from portals open with a dozen of them.
pub fn find_title(text: &str, piece_header: Option<&str>) -> Option<String> {
    if let Some(h) = piece_header {
        let name = h
            .trim()
            .trim_start_matches('【')
            .split_once('】')
            .map(|(_, rest)| rest.trim())
            .unwrap_or(h.trim());
        if !name.is_empty() {
            return Some(name.to_string());
        }
    }
    let mut first_short: Option<&str> = None;
    // Whether a line of the document's own (not chrome, not a field) came
    // before: only the line the text opens with may stand as a bare title.
    let mut opened = false;
    let lines = text
        .lines()
        .map(|l| l.trim_matches(|c: char| is_debris(c) || c == '\r'))
        .filter(|l| !l.is_empty())
        .take(TITLE_SCAN_LINES);
    for line in lines {
        if let Some(value) = title_field(line) {
            return Some(value.to_string());
        }
        if is_page_chrome(line) || is_field_line(line) {
            continue;
        }
        let first_own = !opened;
        opened = true;
        let n = line.chars().count();
        let sentence_like =
            line.ends_with(['。', '，', '；', '：', ':', '！']) || line.contains(['，', '。']);
        // The body has begun: no title comes after it.
        if sentence_like || n > 60 || heading_level(line).is_some() {
            break;
        }
        // A subtitle (`——2024年1月在…会议上`) is no title.
        if n > TITLE_MAX_CHARS || line.starts_with(['—', '-', '─']) {
            continue;
        }
        if TITLE_WORDS.iter().any(|w| line.contains(w)) {
            return Some(line.to_string());
        }
        if first_own {
            first_short = Some(line);
        }
    }
    first_short.map(str::to_string)
}

/// Lines looked at for a title: portal pages put up to ~25 lines of chrome
/// and fields before it.
const TITLE_SCAN_LINES: usize = 40;

/// The longest title taken.
const TITLE_MAX_CHARS: usize = 40;

/// Words that name a kind of document: a short line holding one near the
/// top is the title.
const TITLE_WORDS: &[&str] = &[
    "总结", "报告", "计划", "规划", "要点", "打算", "汇报", "方案", "意见", "纪要", "讲话", "通知",
];

/// The value of a title field: `【 标  题 】…`, `【标题】…`, `标题：…`.
fn title_field(line: &str) -> Option<&str> {
    let rest = if let Some(r) = line.strip_prefix('【') {
        let (name, value) = r.split_once('】')?;
        (name
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            == "标题")
            .then_some(value)?
    } else {
        let r = line
            .strip_prefix("标题")
            .or_else(|| line.strip_prefix("题目"))?;
        r.trim_start().strip_prefix(['：', ':'])?
    };
    let value = rest.trim_matches(|c: char| is_debris(c) || c.is_whitespace());
    (!value.is_empty()).then_some(value)
}

/// A bibliographic field line of an archive export (`【原文出处】人民日报`,
/// `【 作  者 】…`): a short bracketed name, then its value.
fn is_field_line(line: &str) -> bool {
    line.strip_prefix('【')
        .and_then(|r| r.split_once('】'))
        .is_some_and(|(name, _)| name.chars().count() <= 8)
}

/// A line of a web page's chrome rather than the document: navigation and
/// tool words, source/date/author lines, a bare date or time, stray marks.
fn is_page_chrome(line: &str) -> bool {
    const WORDS: &[&str] = &[
        "下载",
        "打印",
        "全屏",
        "收藏",
        "首页",
        "返回",
        "关闭",
        "加大",
        "还原",
        "减小",
        "大",
        "中",
        "小",
        "默认",
        "】",
        "【",
        "|",
        "｜",
        "<",
        ">",
        "＞",
        "扫一扫",
        "二维码",
        "打印本页",
        "关闭窗口",
    ];
    const LEADS: &[&str] = &[
        "来源",
        "时间",
        "日期",
        "发布",
        "作者",
        "编辑",
        "责任编辑",
        "浏览",
        "点击",
        "阅读",
        "字号",
        "字体",
        "【字号",
        "【字体",
        "您的位置",
        "您当前的位置",
        "当前位置",
        "所在位置",
        "分享",
        "索引号",
        "文号",
        "信息来源",
        "访问量",
    ];
    let line = line.trim();
    // (A lead alone, `分享` or `字号`, is chrome too: see LEADS below.)
    if WORDS.contains(&line) {
        return true;
    }
    if LEADS.iter().any(|w| {
        line.strip_prefix(w)
            .is_some_and(|r| r.trim_start().starts_with(['：', ':']) || r.trim().is_empty())
    }) {
        return true;
    }
    // A bare date or time stamp (`2026-02-03 09:02:33`, `2026年2月3日`).
    line.chars().all(|c| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(c, '-' | '/' | ':' | '.' | ' ' | '年' | '月' | '日' | '：')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_forms_and_levels() {
        let cases = [
            ("一、20xx年重点工作", Some(1)),
            (">　　一、20xx年重点工作 ", Some(1)),
            ("十二、其他", Some(1)),
            ("第一部分 总体情况", Some(1)),
            ("第三章", Some(1)),
            ("（一）创全优环境", Some(2)),
            ("(二)抓科普宣传", Some(2)),
            ("㈠组织建设", Some(2)),
            ("1.加强学习", Some(3)),
            ("1、加强学习", Some(3)),
            ("１．加强学习", Some(3)),
            ("12、其他", Some(3)),
            ("（1）举办讲座", Some(4)),
            ("(3)举办讲座", Some(4)),
            ("①举办讲座", Some(4)),
            ("1.2万人参加", None),
            ("2024年工作", None),
            ("一年来，我们", None),
            ("一是加强学习", None),
            ("第二届运动会", None),
            ("（注：略）", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(heading_level(line).map(|(l, _)| l), want, "{line:?}");
        }
    }

    #[test]
    fn sections_extend_to_next_peer() {
        let text = "前言\n一、甲\n（一）乙\n内容\n（二）丙\n二、丁\n尾";
        let s = find_sections(text, &[]);
        let got: Vec<(u8, &str, &str)> = s
            .iter()
            .map(|s| (s.level, s.title.as_str(), s.extent.slice(text)))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "一、甲", "一、甲\n（一）乙\n内容\n（二）丙\n"),
                (2, "（一）乙", "（一）乙\n内容\n"),
                (2, "（二）丙", "（二）丙\n"),
                (1, "二、丁", "二、丁\n尾"),
            ]
        );
    }

    #[test]
    fn title_from_header_or_first_line() {
        assert_eq!(
            find_title("正文。", Some("【篇2】乡镇科协工作总结")).as_deref(),
            Some("乡镇科协工作总结")
        );
        assert_eq!(
            find_title("\n　　县科协2024年工作总结\n　　正文。", None).as_deref(),
            Some("县科协2024年工作总结")
        );
        assert_eq!(
            find_title("　　县科协在县委的领导下，做了工作。", None),
            None
        );
    }

    #[test]
    fn title_past_page_chrome_and_archive_fields() {
        let cases: &[(&str, Option<&str>)] = &[
            // A portal page: tool words, font-size widget, then the title.
            (
                "下载\n打印\n全屏\n收藏\n【字号：\n加大\n还原\n减小\n】\n某某区2025年政府工作报告\n——2025年1月9日在区人民代表大会上\n来源：某某日报\n时间：2025-01-12\n各位代表：\n现在，我代表区人民政府作报告。",
                Some("某某区2025年政府工作报告"),
            ),
            // Breadcrumbs and a channel name before the title.
            (
                "您的位置:\n首页\n>\n乡镇动态\n乡镇动态\n青山镇科协2024年工作总结\n2025-01-03 10:12:40\n一年来，镇科协做了以下工作。",
                Some("青山镇科协2024年工作总结"),
            ),
            // An archive export's fields, the title among them.
            (
                "【 文献号 】2-118\n【原文出处】某某报\n【 作  者 】县科协\n【 标  题 】抓好科普 服务农民──县科协工作回顾\n【 正  文 】\n    一年来，县科协……",
                Some("抓好科普 服务农民──县科协工作回顾"),
            ),
            ("标题：白河乡2023年科普工作计划\n正文。", Some("白河乡2023年科普工作计划")),
            // A unit's name, then the kind of report on the next line.
            ("红星街道办事处\n2024年上半年工作汇报\n今年以来，街道……", Some("2024年上半年工作汇报")),
            // Chrome only, then the body: no title.
            ("分享:\n首页\n各位代表：\n现在，我代表县人民政府作报告。", None),
            // A short first line without a report word is still taken.
            ("青石镇科协\n一、主要工作\n正文。", Some("青石镇科协")),
            // A line after the body has begun is never the title.
            ("县科协在县委的领导下，做了工作。\n工作计划\n", None),
        ];
        for &(text, want) in cases {
            assert_eq!(find_title(text, None).as_deref(), want, "{text:?}");
        }
    }
}

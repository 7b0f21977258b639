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

/// A document's title: the piece header's name when there is one, else a
/// short first line that is not a heading and does not read as a sentence.
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
    let first = text
        .lines()
        .map(|l| l.trim_matches(|c: char| is_debris(c) || c == '\r'))
        .find(|l| !l.is_empty())?;
    let n = first.chars().count();
    let sentence_like =
        first.ends_with(['。', '，', '；', '：', ':', '！']) || first.contains('，');
    if n <= 40 && !sentence_like && heading_level(first).is_none() {
        Some(first.to_string())
    } else {
        None
    }
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
}

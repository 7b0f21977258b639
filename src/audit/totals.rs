//! Rule group 4: totals against their parts.
//!
//! - `sum_mismatch`: a total (`共`, `合计`, `总计`, `累计`, `共计`) against
//!   the same-unit figures on the same topic in its paragraph or section.
//! - `enumeration_mismatch`: a stated number of items (`共四个阶段`,
//!   `从三个方面`) against the items enumerated (`一是…`, `（1）…`,
//!   `A、B、C`).
//! - `part_exceeds_total`: a `其中` part larger than the total it belongs to.

use aho_corasick::AhoCorasick;
#[cfg(test)]
use regex::Regex;
use std::cell::OnceCell;
use std::sync::LazyLock;

use super::scan::{self, Figure};
use super::{finding, num, Ctx};
use crate::model::{Approx, Finding, Severity, Span};

/// Words that mark a figure as a total.
const TOTAL_CUES: &[&str] = &["合计", "总计", "累计", "共计", "总共", "一共", "总数", "共"];

/// Chars after `共` that make it part of a word (`共同`, `共建`), not "in all".
const GONG_WORDS: &str = "同建享产青识赢治商育性用担筑谋创进荣鸣情振勉事处存生体富济和";

/// Words before a figure that make it a comparison or a rate, not an amount
/// that a total sums.
const NOT_PART: &[&str] = &[
    "比", "较", "同比", "增加", "增长", "减少", "下降", "提高", "上升", "超出", "每", "平均",
    "人均", "户均", "占", "约占",
];

fn is_total_unit(u: &str) -> bool {
    !matches!(u, "%" | "个百分点" | "岁" | "天" | "小时")
}

/// The clause text before a figure.
fn lead<'a>(ctx: &'a Ctx, pi: usize, f: &Figure) -> &'a str {
    let s = ctx.clause_start(pi, f.span.start);
    ctx.text.get(s..f.span.start).unwrap_or("")
}

/// Does the lead mark a total? Returns the cue's byte offset in the lead.
pub fn total_cue(lead: &str) -> Option<usize> {
    // The cue must govern this figure: a short distance before it, with no
    // other number in between (`共组织8个团组出访15个国家`). So only cues
    // starting in the last 14 chars after the last digit can count; find
    // that window once instead of testing every occurrence against it.
    // This runs for every figure, so it works on bytes: the window's chars
    // are walked back by their lead bytes, and the cue chars are found by
    // their (distinct) UTF-8 forms rather than by decoding each char.
    let b = lead.as_bytes();
    let mut w = b.len();
    for _ in 0..14 {
        let Some(s) = (0..w).rev().find(|&i| b[i] & 0xC0 != 0x80) else {
            break;
        };
        let c = &b[s..w];
        // ASCII or full-width (`０`..`９` = EF BC 90..99) digit.
        if c.len() == 1 && c[0].is_ascii_digit()
            || c.len() == 3 && c[0] == 0xEF && c[1] == 0xBC && (0x90..=0x99).contains(&c[2])
        {
            break;
        }
        w = s;
    }
    let window = lead.get(w..).unwrap_or("");
    // Every cue holds `共` (E5 85 B1), `计` (E8 AE A1) or `总` (E6 80 BB).
    let wb = window.as_bytes();
    let has_cue_char = memchr::memchr3_iter(0xB1, 0xA1, 0xBB, wb).any(|i| {
        i >= 2
            && matches!(
                &wb[i - 2..=i],
                [0xE5, 0x85, 0xB1] | [0xE8, 0xAE, 0xA1] | [0xE6, 0x80, 0xBB]
            )
    });
    if !has_cue_char {
        return None;
    }
    // Where a cue can start: the window's chars that begin one (at most
    // its 14 chars, usually one or two), found in one pass rather than
    // once per cue.
    let mut starts = [0usize; 14];
    let mut n = 0;
    for (j, c) in window.char_indices() {
        if n < starts.len() && matches!(c, '合' | '总' | '累' | '共' | '一') {
            starts[n] = j;
            n += 1;
        }
    }
    for cue in TOTAL_CUES {
        // No cue overlaps itself, so every position where it starts is an
        // occurrence `match_indices` on the whole lead would give.
        // The window is a few chars: compare in place rather than set up
        // a substring searcher per cue.
        for &j in starts[..n]
            .iter()
            .filter(|&&j| window.as_bytes()[j..].starts_with(cue.as_bytes()))
        {
            let i = w + j;
            if *cue == "共" {
                let next = lead[i + cue.len()..].chars().next();
                let prev = lead[..i].chars().next_back();
                if next.is_some_and(|c| GONG_WORDS.contains(c))
                    || prev.is_some_and(|c| matches!(c, '中' | '公' | '总' | '一'))
                {
                    continue;
                }
            }
            return Some(i);
        }
    }
    None
}

/// Any of `words` in `s`, for word lists tested against every figure's
/// lead (one automaton pass instead of a substring search per word).
pub(crate) fn any_word(ac: &AhoCorasick, s: &str) -> bool {
    ac.is_match(s)
}

pub(crate) fn words_ac(words: &[&str]) -> AhoCorasick {
    AhoCorasick::new(words).expect("word list automaton")
}

static NOT_PART_AC: LazyLock<AhoCorasick> = LazyLock::new(|| words_ac(NOT_PART));

/// `其中`, searched in every paragraph twice: a vectorized searcher built
/// once costs far less than `str::find`'s setup and scan each time.
static QIZHONG: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("其中"));

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Measure words whose counted noun follows them (`8个团组`, `134个示范社区`).
const NOUN_AFTER: &[&str] = &[
    "个", "家", "项", "所", "座", "批", "类", "种", "支", "套", "台", "张", "处", "块",
];

/// Words dropped from the end of a lead before taking what is counted.
const LEAD_FILLER: &[&str] = &[
    "共计", "合计", "总计", "累计", "总共", "一共", "共有", "达到", "共", "达", "为", "了", "计",
    "约", "近", "有", "超过", "逾",
];

/// Chars that end a noun phrase after a measure word (`105个机构和…`).
const NOUN_STOP: &str = "的是在和与及等均已将为从对被把向由、";

/// What a figure counts, as its head noun (the last two chars of the noun
/// phrase, where Chinese puts the head): the phrase after a measure word
/// (`363个民族团结进步示范社区` → `社区`), or else the words before the
/// number (`举办电商培训3期` → `培训`). Empty when nothing says.
pub fn obj(ctx: &Ctx, pi: usize, f: &Figure) -> Vec<String> {
    obj_with_lead(ctx, pi, f, lead(ctx, pi, f))
}

/// [`obj`] with the figure's lead already known.
fn obj_with_lead(ctx: &Ctx, pi: usize, f: &Figure, lead: &str) -> Vec<String> {
    let pend = ctx.doc.paragraphs[pi].span.end;
    let after = ctx.text.get(f.span.end..pend).unwrap_or("");
    // Only the last two chars are kept, so track those instead of
    // collecting every char.
    let mut last = LastTwo::default();
    if NOUN_AFTER.contains(&f.unit.as_str()) {
        after
            .chars()
            .take_while(|c| is_cjk(*c) && !NOUN_STOP.contains(*c))
            .take(10)
            .for_each(|c| last.push(c));
    }
    if last.n < 2 {
        last = LastTwo::default();
        let mut l = lead;
        // (The char test is a cheap memchr; most leads have no `其`.)
        if let Some(i) = l.contains('其').then(|| l.rfind("其中")).flatten() {
            l = &l[i + "其中".len()..];
        }
        loop {
            let before = l;
            for w in LEAD_FILLER {
                l = l.strip_suffix(w).unwrap_or(l);
            }
            if l == before {
                break;
            }
        }
        l.chars().filter(|c| is_cjk(*c)).for_each(|c| last.push(c));
    }
    if last.n < 2 {
        return Vec::new();
    }
    vec![last.chars.iter().collect()]
}

#[derive(Default)]
struct LastTwo {
    chars: [char; 2],
    n: usize,
}

impl LastTwo {
    fn push(&mut self, c: char) {
        self.chars = [self.chars[1], c];
        self.n += 1;
    }
}

/// Head nouns of a total that sums whatever is listed (`合计开展活动9次`).
const GENERIC_HEADS: &[&str] = &["活动", "工作", "事项", "项目"];

fn shares(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    sums(ctx, out);
    parts(ctx, out);
    enumerations(ctx, out);
}

struct Fig<'a> {
    pi: usize,
    f: &'a Figure,
    /// The clause text before the figure.
    lead: &'a str,
    total: bool,
    /// Neither after `其中` nor a total itself.
    plain: bool,
    /// Whether the figure may be a part of a total, and what it counts:
    /// found only for the figures a total is compared with (most
    /// paragraphs hold no total, and these cost more than the rest).
    part_ok: OnceCell<bool>,
    topic: OnceCell<Vec<String>>,
}

impl Fig<'_> {
    fn part_ok(&self) -> bool {
        *self
            .part_ok
            .get_or_init(|| self.plain && !any_word(&NOT_PART_AC, self.lead))
    }

    fn topic(&self, ctx: &Ctx) -> &[String] {
        self.topic
            .get_or_init(|| obj_with_lead(ctx, self.pi, self.f, self.lead))
    }
}

/// Paragraphs a section may span for its figures to count as the parts of
/// a total in it: beyond this a section is a chapter, not a list.
const MAX_SECTION_PARAS: usize = 8;

fn sums(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut figs: Vec<Fig> = Vec::new();
    for (pi, fs) in ctx.figures().enumerate() {
        if ctx.doc.paragraphs[pi].is_heading {
            continue;
        }
        let para = ctx.doc.paragraphs[pi].span;
        // A figure is after `其中` when the first `其中` of its paragraph
        // ends before it.
        let qizhong_end = QIZHONG
            .find(para.slice(ctx.text).as_bytes())
            .map(|q| para.start + q + "其中".len());
        for f in fs {
            let l = ctx.lead_of(f);
            let in_qizhong = qizhong_end.is_some_and(|e| e <= f.span.start);
            let cue = total_cue(l).is_some();
            figs.push(Fig {
                pi,
                f,
                lead: l,
                total: cue && !in_qizhong,
                plain: !in_qizhong && !cue,
                part_ok: OnceCell::new(),
                topic: OnceCell::new(),
            });
        }
    }
    for t in figs.iter().filter(|t| t.total) {
        if t.f.approx != Approx::Exact || !is_total_unit(&t.f.unit) {
            continue;
        }
        if t.topic(ctx).is_empty() {
            // A total whose noun is left out (`讲座5场、培训4场，共计9场`)
            // sums the figures of its unit listed before it in its sentence.
            let sentence = ctx.sentence_of(t.f.span.start);
            let parts: Vec<&Fig> = figs
                .iter()
                .filter(|p| {
                    p.pi == t.pi
                        && p.f.span.start >= sentence.start
                        && p.f.span.end <= t.f.span.start
                        && p.f.unit == t.f.unit
                        && p.part_ok()
                })
                .collect();
            check_sum(ctx, t, &parts, out);
            continue;
        }
        let t_topic = t.topic(ctx);
        let generic = t_topic.iter().any(|h| GENERIC_HEADS.contains(&h.as_str()));
        // Parts come before their total, or after it behind a colon or
        // `包括`/`分别`; figures after a total without these are siblings
        // (`累计培育创新型企业1714家、专精特新企业814家`).
        // (Cheap tests first: the lazy ones are computed only when needed.)
        let same = |p: &&Fig| {
            !std::ptr::eq(p.f, t.f)
                && p.f.unit == t.f.unit
                && p.part_ok()
                && (generic || shares(p.topic(ctx), t_topic))
                && (p.f.span.end <= t.f.span.start || {
                    let between = ctx.text.get(t.f.span.end..p.f.span.start).unwrap_or("");
                    ["：", ":", "包括", "分别"]
                        .iter()
                        .any(|w| between.contains(w))
                })
        };
        let mut parts: Vec<&Fig> = figs.iter().filter(|p| p.pi == t.pi).filter(same).collect();
        if parts.len() < 2 {
            // The section the total's paragraph sits in, when it is short.
            let Some(si) = ctx.doc.paragraphs[t.pi].section else {
                continue;
            };
            let ext = ctx.doc.sections[si].extent;
            let n_paras = ctx
                .doc
                .paragraphs
                .iter()
                .filter(|p| ext.contains(&p.span) && !p.span.is_empty())
                .count();
            if n_paras > MAX_SECTION_PARAS {
                continue;
            }
            parts = figs
                .iter()
                .filter(|p| ext.contains(&p.f.span))
                .filter(same)
                .collect();
        }
        check_sum(ctx, t, &parts, out);
    }
}

/// `sum_mismatch` when at least two exact `parts` do not add up to the
/// total `t`.
fn check_sum(ctx: &Ctx, t: &Fig, parts: &[&Fig], out: &mut Vec<Finding>) {
    if parts.len() < 2 || parts.iter().any(|p| p.f.approx != Approx::Exact) {
        return;
    }
    let sum: f64 = parts.iter().map(|p| p.f.value).sum();
    if (sum - t.f.value).abs() < 1e-6 {
        return;
    }
    let listed = parts
        .iter()
        .map(|p| ctx.slice(p.f.span))
        .collect::<Vec<_>>()
        .join("、");
    let sev = if sum > t.f.value {
        Severity::Error
    } else {
        Severity::Warning
    };
    out.push(finding(
        "sum_mismatch",
        sev,
        format!(
            "合计“{}”与分项之和不符：分项{}相加为{}{}，而合计为{}{}",
            ctx.slice(t.f.span),
            listed,
            num(sum),
            t.f.unit,
            num(t.f.value),
            t.f.unit
        ),
        t.f.span,
        parts.iter().map(|p| p.f.span).collect(),
    ));
}

fn parts(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (pi, p) in ctx.doc.paragraphs.iter().enumerate() {
        let pt = p.span.slice(ctx.text);
        // (`其中` cannot overlap itself: these are `match_indices`' hits.)
        for i in QIZHONG.find_iter(pt.as_bytes()) {
            let at = p.span.start + i;
            let sent = ctx.sentence_of(at);
            // `其中` opening a sentence refers to the sentence before.
            let mut from = sent.start;
            if ctx
                .text
                .get(sent.start..at)
                .is_some_and(|s| s.trim().is_empty())
            {
                if let Some(prev) = ctx
                    .doc
                    .sentences
                    .iter()
                    .rev()
                    .find(|s| s.span.end <= sent.start)
                {
                    if prev.span.start >= p.span.start {
                        from = prev.span.start;
                    }
                }
            }
            let figs = ctx.figures_of(pi);
            let totals: Vec<&Figure> = figs
                .iter()
                .filter(|f| f.span.start >= from && f.span.end <= at)
                .collect();
            // The parts run to the end of the clause (`其中高铁370公里，新增
            // 高速公路2600公里` lists a sibling after the comma), or to the
            // end of the sentence after `其中：`.
            let rest = &pt[i + "其中".len()..];
            let breakdown = rest.starts_with(['：', ':']);
            // (total, sum of its exact parts, their spans, whether every
            // part named the total's own thing: `讲座12场次，其中农业技术讲座5场次、
            // 卫生健康讲座4场次` are kinds of it).
            let mut sums: Vec<(&Figure, f64, Vec<Span>, bool)> = Vec::new();
            let end = if breakdown {
                sent.end
            } else {
                let stop = rest
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| matches!(c, '，' | ',' | '；' | ';' | '。'))
                    .map_or(rest.len(), |(j, _)| j);
                (at + "其中".len() + stop).min(sent.end)
            };
            for part in figs
                .iter()
                .filter(|f| f.span.start > at && f.span.end <= end)
            {
                if !is_total_unit(&part.unit) {
                    continue;
                }
                let l = lead(ctx, pi, part);
                if any_word(&NOT_PART_AC, l) {
                    continue;
                }
                // The total counting the same thing; failing that, the only
                // figure of that unit before `其中`.
                let po = obj(ctx, pi, part);
                let same_unit: Vec<&&Figure> =
                    totals.iter().filter(|t| t.unit == part.unit).collect();
                let by_topic = same_unit
                    .iter()
                    .rev()
                    .find(|t| shares(&obj(ctx, pi, t), &po));
                let Some(total) =
                    by_topic.or(if same_unit.len() == 1 && (po.is_empty() || breakdown) {
                        same_unit.first()
                    } else {
                        None
                    })
                else {
                    continue;
                };
                if part.approx == Approx::Exact {
                    match sums
                        .iter_mut()
                        .find(|(t, _, _, _)| std::ptr::eq(*t, **total))
                    {
                        Some(e) => {
                            e.1 += part.value;
                            e.2.push(part.span);
                            e.3 &= by_topic.is_some();
                        }
                        None => sums.push((total, part.value, vec![part.span], by_topic.is_some())),
                    }
                }
                let limit = match total.approx {
                    Approx::Exact | Approx::AtMost | Approx::LessThan => total.value,
                    _ => total.value * 1.5,
                };
                if part.value > limit
                    && !(part.approx == Approx::MoreThan && part.value <= total.value)
                {
                    out.push(finding(
                        "part_exceeds_total",
                        Severity::Error,
                        format!(
                            "“其中”部分“{}”（{}{}）大于总数“{}”（{}{}）",
                            ctx.slice(part.span),
                            num(part.value),
                            part.unit,
                            ctx.slice(total.span),
                            num(total.value),
                            total.unit
                        ),
                        part.span,
                        vec![total.span],
                    ));
                }
            }
            // `其中：` lists a breakdown: its parts together may not pass the
            // total. So may kinds of the total's own thing listed without
            // the colon, unless they overlap (`其中女会员500人、少数民族会员
            // 300人` may): a warning, not an error.
            for (total, sum, spans, kinds) in sums {
                if !(breakdown || kinds) {
                    continue;
                }
                if spans.len() < 2 || total.approx != Approx::Exact || sum <= total.value {
                    continue;
                }
                if out
                    .iter()
                    .any(|f| f.rule == "part_exceeds_total" && spans.contains(&f.span))
                {
                    continue;
                }
                let (severity, unless) = if breakdown {
                    (Severity::Error, "")
                } else {
                    (Severity::Warning, "（各部分如不重叠，则数字有误）")
                };
                out.push(finding(
                    "part_exceeds_total",
                    severity,
                    format!(
                        "“其中”所列各部分之和{}{}大于总数“{}”（{}{}）{unless}",
                        num(sum),
                        total.unit,
                        ctx.slice(total.span),
                        num(total.value),
                        total.unit
                    ),
                    Span::new(spans[0].start, spans[spans.len() - 1].end),
                    std::iter::once(total.span).chain(spans).collect(),
                ));
            }
        }
    }
}

/// `共四个阶段`, `分为三个方面`, `五项措施`: a stated number of items.
#[cfg(test)]
static STATED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<n>[两二三四五六七八九十]|[2-9２-９]|1[0-9])(?:个|项|大|条|点|类|种|步|批|方面)?(?P<noun>阶段|方面|部分|环节|步骤|措施|任务|举措|板块|重点工作|工作|活动|内容|类别|原则|步|项目|专题|课程|单元)",
    )
    .expect("stated regex")
});

/// Measure words of [`STATED_RE`], in its order.
const STATED_MEASURES: &[&str] = &["个", "项", "大", "条", "点", "类", "种", "步", "批", "方面"];

/// Nouns of [`STATED_RE`], in its order.
const STATED_NOUNS: &[&str] = &[
    "阶段",
    "方面",
    "部分",
    "环节",
    "步骤",
    "措施",
    "任务",
    "举措",
    "板块",
    "重点工作",
    "工作",
    "活动",
    "内容",
    "类别",
    "原则",
    "步",
    "项目",
    "专题",
    "课程",
    "单元",
];

/// [`STATED_RE`] anchored at `s`, in its priority order: (end of the
/// number, end of the match). The number's alternatives start with
/// different chars and the measure words too, so at most one of each
/// applies; the optional measure is tried first, then none.
fn stated_at(t: &str, s: usize) -> Option<(usize, usize)> {
    let rest = t.get(s..)?;
    let c = rest.chars().next()?;
    let n_end = if matches!(
        c,
        '两' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    ) || ('2'..='9').contains(&c)
        || ('２'..='９').contains(&c)
    {
        s + c.len_utf8()
    } else if c == '1' && rest.as_bytes().get(1).is_some_and(u8::is_ascii_digit) {
        s + 2
    } else {
        return None;
    };
    let after = t.get(n_end..)?;
    // One char test before the word lists: most numerals start neither a
    // measure word nor a noun of the lists.
    if !after.chars().next().is_some_and(|c| {
        matches!(
            c,
            '个' | '项'
                | '大'
                | '条'
                | '点'
                | '类'
                | '种'
                | '步'
                | '批'
                | '方'
                | '阶'
                | '部'
                | '环'
                | '措'
                | '任'
                | '举'
                | '板'
                | '重'
                | '工'
                | '活'
                | '内'
                | '原'
                | '专'
                | '课'
                | '单'
        )
    }) {
        return None;
    }
    let measure = STATED_MEASURES.iter().find(|m| after.starts_with(*m));
    for k in [measure.map(|m| n_end + m.len()), Some(n_end)]
        .into_iter()
        .flatten()
    {
        let r = t.get(k..)?;
        if let Some(noun) = STATED_NOUNS.iter().find(|w| r.starts_with(*w)) {
            return Some((n_end, k + noun.len()));
        }
    }
    None
}

/// Every [`STATED_RE`] match in `pt` as (match, number) spans relative to
/// `pt`: the anchored parse tried at each char that can start the number,
/// resuming after each match, as the regex's own search would find them
/// (without running its automaton over every byte of every paragraph).
fn stated_matches(pt: &str) -> Vec<((usize, usize), (usize, usize))> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(rest) = pt.get(at..) {
        let found = rest.char_indices().find_map(|(i, c)| {
            let start = matches!(
                c,
                '两' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
            ) || ('1'..='9').contains(&c)
                || ('２'..='９').contains(&c);
            if !start {
                return None;
            }
            stated_at(pt, at + i).map(|(n_end, end)| (at + i, n_end, end))
        });
        let Some((s, n_end, end)) = found else { break };
        out.push(((s, end), (s, n_end)));
        at = end;
    }
    out
}

/// An enumeration marker at the start of `s`: (kind, index).
fn marker(s: &str) -> Option<(u8, i64)> {
    let s = s.trim_start_matches([' ', '\u{3000}', '>', '\t']);
    let cn = |t: &str| -> Option<(i64, usize)> {
        let n: String = t
            .chars()
            .take_while(|c| "一二三四五六七八九十".contains(*c))
            .collect();
        scan::parse_chinese(&n).map(|v| (v as i64, n.len()))
    };
    let ar = |t: &str| -> Option<(i64, usize)> {
        let n: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        n.parse().ok().map(|v| (v, n.len()))
    };
    if let Some((v, l)) = cn(s) {
        let rest = &s[l..];
        if rest.starts_with("是") {
            return Some((1, v));
        }
        if rest.starts_with('、') {
            return Some((2, v));
        }
    }
    if let Some(rest) = s.strip_prefix('第') {
        if let Some((v, l)) = cn(rest) {
            if rest[l..].starts_with(['，', '、', '：', ',']) {
                return Some((3, v));
            }
        }
    }
    for (open, close, kind) in [("（", "）", 4u8), ("(", ")", 4u8)] {
        if let Some(rest) = s.strip_prefix(open) {
            if let Some((v, l)) = cn(rest) {
                if rest[l..].starts_with(close) {
                    return Some((kind, v));
                }
            }
            if let Some((v, l)) = ar(rest) {
                if rest[l..].starts_with(close) {
                    return Some((5, v));
                }
            }
        }
    }
    if let Some((v, l)) = ar(s) {
        if s[l..].starts_with(['、', '.', '．']) && !s[l..].starts_with("..") {
            let next = s[l..].chars().nth(1);
            if !next.is_some_and(|c| c.is_ascii_digit()) {
                return Some((6, v));
            }
        }
    }
    let c = s.chars().next()?;
    if ('①'..='⑳').contains(&c) {
        return Some((7, c as i64 - '①' as i64 + 1));
    }
    None
}

/// Markers anywhere in a stretch (`一是…；二是…`), counted as the longest
/// run 1, 2, 3… of one kind.
fn inline_items(s: &str) -> Option<usize> {
    let mut best = 0;
    for kind in [1u8, 3, 4, 5, 7] {
        let mut next = 1;
        for (i, _) in s.char_indices() {
            if let Some((k, v)) = marker(&s[i..]) {
                if k == kind && v == next {
                    // A marker must start a clause, not sit inside a word.
                    let prev = s[..i].chars().next_back();
                    if prev.is_none_or(|p| {
                        super::is_clause_mark(p)
                            || matches!(p, '、' | ' ' | '\u{3000}' | '）' | ')')
                    }) {
                        next += 1;
                    }
                }
            }
        }
        best = best.max(next - 1);
    }
    (best >= 2).then_some(best as usize)
}

fn parse_is_cn(s: &str) -> bool {
    scan::parse_arabic(s).is_none()
}

/// Items of a `、`-list (`A、B、C和D`) as (fewest, most): a final
/// `和`/`及`/`与` may join two items or sit inside the last one
/// (`维护世界和平与促进共同发展`), so both readings are kept.
fn list_items(s: &str) -> Option<(usize, usize)> {
    if !s.contains('、') {
        return None;
    }
    let n = s.split('、').count();
    let last = s.rsplit('、').next().unwrap_or("");
    let extra = usize::from(["和", "及", "与", "以及"].iter().any(|w| last.contains(w)));
    (n >= 2).then_some((n, n + extra))
}

/// Subsections directly under the section whose heading is paragraph `pi`.
fn child_sections(ctx: &Ctx, pi: usize) -> Option<usize> {
    let p = ctx.doc.paragraphs[pi].span;
    let s = ctx
        .doc
        .sections
        .iter()
        .find(|s| s.heading.start == p.start)?;
    let inner: Vec<_> = ctx
        .doc
        .sections
        .iter()
        .filter(|c| c.level > s.level && s.extent.contains(&c.heading) && c.heading != s.heading)
        .collect();
    let level = inner.iter().map(|c| c.level).min()?;
    let n = inner.iter().filter(|c| c.level == level).count();
    (n >= 2).then_some(n)
}

fn enumerations(ctx: &Ctx, out: &mut Vec<Finding>) {
    let paras = &ctx.doc.paragraphs;
    for (pi, p) in paras.iter().enumerate() {
        let pt = p.span.slice(ctx.text);
        for ((all_s, all_e), (n_s, n_e)) in stated_matches(pt) {
            let n = &pt[n_s..n_e];
            let Some(stated) = scan::parse_number(n).map(|v| v as usize) else {
                continue;
            };
            // Slogans in quotes (`“三个方面”`) and ordinals are not counts.
            let prev = pt[..all_s].chars().next_back();
            if matches!(prev, Some('第' | '“' | '"' | '「')) {
                continue;
            }
            let abs = Span::new(p.span.start + all_s, p.span.start + all_e);
            let rest = &pt[all_e..];
            // Items after: `…四个阶段：A、B…` or `…如下：` then marked items.
            let colon = rest
                .char_indices()
                .take(8)
                .find(|(_, c)| matches!(c, '：' | ':'))
                .map(|(i, c)| i + c.len_utf8())
                .or_else(|| rest.strip_prefix("，即").map(|_| "，即".len()))
                .or_else(|| rest.strip_prefix("，分别是").map(|_| "，分别是".len()))
                .or_else(|| rest.strip_prefix("即").map(|_| "即".len()));
            let is_cn = parse_is_cn(n);
            // (fewest, most) items found, and whether the list is open (`等`).
            let found: Option<((usize, usize), bool)> = if ctx.doc.paragraphs[pi].is_heading {
                child_sections(ctx, pi).map(|n| ((n, n), false))
            } else if let Some(ci) = colon {
                let after = &rest[ci..];
                if after.trim().is_empty() {
                    following_items(ctx, pi).map(|n| ((n, n), false))
                } else {
                    let upto = after.find('。').map_or(after, |e| &after[..e]);
                    inline_items(after).map(|n| ((n, n), false)).or_else(|| {
                        let first = upto.split(['；', ';']).next().unwrap_or(upto);
                        let open = first.trim_end().ends_with('等');
                        list_items(first).map(|r| (r, open))
                    })
                }
            } else if is_cn {
                // Items before: `准备、实施、检查和总结四个阶段`.
                let cs = ctx.clause_start(pi, abs.start);
                let before = ctx.text.get(cs..abs.start).unwrap_or("");
                let open = before.ends_with('等');
                let before = before.trim_end_matches(['共', '这', '等']);
                if before.chars().count() > 60
                    || before.chars().any(|c| scan::digit_value(c).is_some())
                {
                    None
                } else {
                    list_items(before).map(|r| (r, open))
                }
            } else {
                None
            };
            let Some(((lo, hi), open)) = found else {
                continue;
            };
            // An open list (`…等14个方面`) may name fewer than it counts.
            if (lo..=hi).contains(&stated) || (open && hi < stated) {
                continue;
            }
            let found = if stated < lo { lo } else { hi };

            out.push(finding(
                "enumeration_mismatch",
                Severity::Error,
                format!(
                    "文中称“{}”（{}项），实际列举了{}项",
                    ctx.slice(abs),
                    stated,
                    found
                ),
                abs,
                vec![],
            ));
        }
    }
}

/// Marked items in the paragraphs after `pi` (the stated count ended its
/// paragraph with a colon): a run of one marker kind numbered from 1.
fn following_items(ctx: &Ctx, pi: usize) -> Option<usize> {
    let mut kind = None;
    let mut next = 1;
    for p in ctx.doc.paragraphs.iter().skip(pi + 1).take(60) {
        let t = p.span.slice(ctx.text);
        if t.trim().is_empty() {
            continue;
        }
        match (marker(t), kind) {
            (Some((k, 1)), None) => {
                kind = Some(k);
                next = 2;
            }
            (None, None) => return inline_items(t),
            (Some((k, v)), Some(kk)) if k == kk => {
                if v == next {
                    next += 1;
                } else {
                    break;
                }
            }
            // A marker of a coarser kind ends the list (`二、` after `（三）`).
            (Some((k, _)), Some(kk)) if k < kk || (kk == 1 && k != 1) => break,
            _ => {}
        }
    }
    (next > 2).then_some((next - 1) as usize)
}

#[cfg(test)]
mod tests {
    use super::super::{doc_from_text, Auditor};
    use super::marker;

    fn rules(text: &str) -> Vec<(&'static str, String)> {
        let doc = doc_from_text("t", text, Some(2024));
        Auditor::new()
            .audit(&doc)
            .into_iter()
            .map(|f| (f.rule, doc.slice(f.span).to_string()))
            .collect()
    }

    /// The hand parse finds what the regex finds, groups included.
    #[test]
    fn stated_matches_agree_with_regex() {
        let texts = [
            "共四个阶段，分为三个方面，五项措施，三方面工作，三步骤，三步走，12项工作，112项工作",
            "十大任务，两批项目，２个单元，1个方面，10项，19项重点工作，20个部分，三点内容三类别",
            "第二阶段，“三个方面”，九种课程专题，八条原则，七步，六大板块，五个环节和四项举措",
        ];
        for t in texts {
            let want: Vec<((usize, usize), (usize, usize))> = super::STATED_RE
                .captures_iter(t)
                .map(|c| {
                    let (a, n) = (c.get(0).unwrap(), c.name("n").unwrap());
                    ((a.start(), a.end()), (n.start(), n.end()))
                })
                .collect();
            assert_eq!(super::stated_matches(t), want, "{t}");
            assert!(!want.is_empty());
        }
    }

    #[test]
    fn markers() {
        assert_eq!(marker("一是加强学习"), Some((1, 1)));
        assert_eq!(marker("（三）抓宣传"), Some((4, 3)));
        assert_eq!(marker("2、培训"), Some((6, 2)));
        assert_eq!(marker("(2)培训"), Some((5, 2)));
        assert_eq!(marker("2.5万人"), None);
        assert_eq!(marker("一批"), None);
    }

    #[test]
    fn totals_cases() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "3月举办农业技术培训3期，5月举办养殖培训4期，9月举办电商培训3期，全年共举办培训12期。",
                &[("sum_mismatch", "12期")],
            ),
            (
                "3月举办农业技术培训3期，5月举办养殖培训4期，9月举办电商培训3期，全年共举办培训10期。",
                &[],
            ),
            (
                "共发放资料3000份，其中发放明白纸800份，印发宣传册500份。",
                &[],
            ),
            ("全镇共有会员350人，其中女会员420人。", &[("part_exceeds_total", "420人")]),
            ("全镇共有会员350人，其中女会员120人。", &[]),
            (
                "本年度共接待来访群众86人次。其中：1月接待20人次，2月接待30人次，3月接待40人次。",
                &[("part_exceeds_total", "20人次，2月接待30人次，3月接待40人次")],
            ),
            (
                "本年度共接待来访群众90人次。其中：1月接待20人次，2月接待30人次，3月接待40人次。",
                &[],
            ),
            ("新增铁路里程639公里、其中高铁370公里，新增高速公路2600公里。", &[]),
            (
                "本会共组织8个团组出访15个国家，邀请6个外国团组来华访问，接待61个团组。",
                &[],
            ),
            (
                "累计培育创新型企业1714家、专精特新企业814家、“小巨人”企业45家。",
                &[],
            ),
            ("开展“科技之春”宣传活动3次、科普讲座5次，合计开展活动9次。", &[("sum_mismatch", "9次")]),
            ("共培训1200人次，其中农民800人。", &[]),
            // Kinds of the total's own thing, listed without a colon.
            (
                "全年共开展科普讲座12场次，其中农业技术讲座5场次、卫生健康讲座4场次、防灾减灾讲座4场次。",
                &[("part_exceeds_total", "5场次、卫生健康讲座4场次、防灾减灾讲座4场次")],
            ),
            (
                "全年共开展科普讲座12场次，其中农业技术讲座5场次、卫生健康讲座4场次、防灾减灾讲座3场次。",
                &[],
            ),
            // Parts of other things may overlap: not summed.
            ("共有会员1200人，其中女会员500人、少数民族职工800人。", &[]),
            // A total with its noun left out sums what its sentence listed.
            (
                "举办农业技术讲座5场、卫生健康讲座4场、防灾减灾讲座2场，共计12场。",
                &[("sum_mismatch", "12场")],
            ),
            ("发放宣传册300份、挂图100份，共计400份。", &[]),
            ("上半年开展活动5次，下半年开展活动4次，全年共计9次。", &[]),
            ("培训农民200人、党员50人，共计260人，发放资料300份。", &[("sum_mismatch", "260人")]),
            (
                "活动共分四个阶段：宣传发动、组织实施、检查验收、总结提高、表彰奖励。",
                &[("enumeration_mismatch", "四个阶段")],
            ),
            ("活动共分四个阶段：宣传发动、组织实施、检查验收和总结提高。", &[]),
            (
                "重点抓好三个方面：一是抓学习；二是抓宣传；三是抓队伍；四是抓作风。",
                &[("enumeration_mismatch", "三个方面")],
            ),
            ("开展科普、培训、宣传等三项活动。", &[]),
            ("开展科普、培训、宣传、咨询等三项活动。", &[("enumeration_mismatch", "三项活动")]),
            ("包括保护水资源、防治荒漠化等14个方面。", &[]),
            ("推进现代化建设、完成祖国统一、维护世界和平与促进共同发展三大任务。", &[]),
            ("小区11、12号楼6个单元66户", &[]),
            (
                "三、抓好三项重点工作\n（一）学习\n正文。\n（二）宣传\n正文。\n（三）队伍\n正文。\n（四）作风\n正文。",
                &[("enumeration_mismatch", "三项重点工作")],
            ),
            ("坚持“三个代表”，", &[]),
            (
                "主要做好以下四项工作：\n一是抓学习。\n二是抓宣传。\n三是抓队伍。\n四是抓作风。\n（二）其他",
                &[],
            ),
            (
                "今年主要抓好五项措施：\n1、抓学习。\n2、抓宣传。\n3、抓队伍。\n4、抓作风。\n二、下一步",
                &[("enumeration_mismatch", "五项措施")],
            ),
        ];
        for (text, want) in cases {
            let got = rules(text);
            let want: Vec<(&str, String)> = want.iter().map(|(r, s)| (*r, s.to_string())).collect();
            assert_eq!(got, want, "{text}");
        }
    }
}

//! Word's automatic list numbering: the definitions read from
//! `word/numbering.xml`, the counters kept while the body is read, and the
//! number formats that turn a counter into the label Word shows ("1.",
//! "一、", "（一）", "①", "•").
//!
//! The XML is parsed in `docx.rs` (which owns the bounded pull parser); this
//! module holds the model and the arithmetic, and has no I/O.

use std::collections::HashMap;

/// Word numbers levels 0-8.
pub(crate) const LEVELS: usize = 9;

/// How far `numStyleLink` → numbering style → `w:num` chains are followed.
const MAX_LINK_DEPTH: usize = 4;

/// What follows the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Suffix {
    #[default]
    Tab,
    Space,
    Nothing,
}

impl Suffix {
    pub(crate) fn parse(v: &str) -> Suffix {
        match v {
            "space" => Suffix::Space,
            "nothing" => Suffix::Nothing,
            _ => Suffix::Tab,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Suffix::Tab => "\t",
            Suffix::Space => " ",
            Suffix::Nothing => "",
        }
    }
}

/// One `w:lvl`.  Every field is optional so that an override level can be
/// merged over the abstract one.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Level {
    pub start: Option<u32>,
    pub num_fmt: Option<String>,
    pub lvl_text: Option<String>,
    /// `w:lvlRestart`: 0 = never restart; N = restart when a level with
    /// 1-based index ≤ N is used.  Absent = restart after any higher level.
    pub restart: Option<u32>,
    pub is_lgl: bool,
    pub suffix: Option<Suffix>,
    /// `w:pStyle`: the paragraph style linked to this level.
    pub p_style: Option<String>,
}

/// One `w:abstractNum`.
#[derive(Debug, Clone, Default)]
pub(crate) struct AbstractNum {
    pub levels: [Option<Level>; LEVELS],
    /// `w:numStyleLink`: the definition lives in this numbering style.
    pub num_style_link: Option<String>,
}

/// One `w:num`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Num {
    pub abstract_id: Option<u32>,
    /// `w:lvlOverride/w:startOverride` per level.
    pub start_override: [Option<u32>; LEVELS],
    /// `w:lvlOverride/w:lvl`: a replacement level definition.
    pub level_override: [Option<Level>; LEVELS],
}

/// The numbering part.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberingDefs {
    pub abstracts: HashMap<u32, AbstractNum>,
    pub nums: HashMap<u32, Num>,
}

/// Which counters a list uses: Word shares them between every `w:num`
/// pointing at the same abstract definition, unless the `w:num` restarts
/// the list with a `w:startOverride` (or redefines a level), which makes
/// it a list of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Instance {
    Abstract(u32),
    Num(u32),
}

/// Counters while the body is read, in document order.
#[derive(Debug, Default)]
pub(crate) struct Numberer {
    defs: NumberingDefs,
    counters: HashMap<Instance, [Option<u32>; LEVELS]>,
}

impl Numberer {
    pub(crate) fn new(defs: NumberingDefs) -> Self {
        Numberer {
            defs,
            counters: HashMap::new(),
        }
    }

    /// Follows `numStyleLink` to the abstract definition that holds levels.
    /// `style_num` maps a numbering style id to the numId in its `numPr`.
    fn resolve_abstract(
        &self,
        abstract_id: u32,
        style_num: &dyn Fn(&str) -> Option<u32>,
    ) -> Option<(u32, &AbstractNum)> {
        let mut id = abstract_id;
        for _ in 0..MAX_LINK_DEPTH {
            let abs = self.defs.abstracts.get(&id)?;
            let Some(link) = abs.num_style_link.as_deref() else {
                return Some((id, abs));
            };
            let next = style_num(link)
                .and_then(|n| self.defs.nums.get(&n))
                .and_then(|n| n.abstract_id)?;
            if next == id {
                return Some((id, abs));
            }
            id = next;
        }
        None
    }

    /// The effective definition of a level of a num: the override level
    /// merged over the abstract one.
    fn level(num: &Num, abs: &AbstractNum, ilvl: usize) -> Level {
        let base = abs.levels[ilvl].clone().unwrap_or_default();
        match &num.level_override[ilvl] {
            None => base,
            Some(o) => Level {
                start: o.start.or(base.start),
                num_fmt: o.num_fmt.clone().or(base.num_fmt),
                lvl_text: o.lvl_text.clone().or(base.lvl_text),
                restart: o.restart.or(base.restart),
                is_lgl: o.is_lgl || base.is_lgl,
                suffix: o.suffix.or(base.suffix),
                p_style: o.p_style.clone().or(base.p_style),
            },
        }
    }

    /// The level whose `w:pStyle` names this paragraph style, for style
    /// numbering that gives no `w:ilvl`.
    pub(crate) fn level_for_style(
        &self,
        num_id: u32,
        style_id: &str,
        style_num: &dyn Fn(&str) -> Option<u32>,
    ) -> Option<usize> {
        let num = self.defs.nums.get(&num_id)?;
        let (_, abs) = self.resolve_abstract(num.abstract_id?, style_num)?;
        (0..LEVELS).find(|&i| {
            num.level_override[i]
                .as_ref()
                .and_then(|l| l.p_style.as_deref())
                .or(abs.levels[i].as_ref().and_then(|l| l.p_style.as_deref()))
                == Some(style_id)
        })
    }

    /// Advances the counter of one numbered paragraph and returns its label
    /// with the suffix, or `None` when the list or level is not defined or
    /// the label is empty.
    pub(crate) fn next_label(
        &mut self,
        num_id: u32,
        ilvl: usize,
        style_num: &dyn Fn(&str) -> Option<u32>,
    ) -> Option<String> {
        if num_id == 0 || ilvl >= LEVELS {
            return None;
        }
        let num = self.defs.nums.get(&num_id)?;
        let (abs_id, abs) = self.resolve_abstract(num.abstract_id?, style_num)?;
        abs.levels[ilvl]
            .as_ref()
            .or(num.level_override[ilvl].as_ref())?;
        let levels: Vec<Level> = (0..LEVELS).map(|i| Self::level(num, abs, i)).collect();
        let overrides = num.start_override;
        let own_counters =
            overrides.iter().any(Option::is_some) || num.level_override.iter().any(Option::is_some);
        let instance = if own_counters {
            Instance::Num(num_id)
        } else {
            Instance::Abstract(abs_id)
        };
        let start_of = |i: usize| overrides[i].or(levels[i].start).unwrap_or(0);

        let counters = self.counters.entry(instance).or_insert([None; LEVELS]);
        counters[ilvl] = Some(match counters[ilvl] {
            Some(n) => n.saturating_add(1),
            None => start_of(ilvl),
        });
        for (deeper, counter) in counters.iter_mut().enumerate().skip(ilvl + 1) {
            let restart_after = levels[deeper].restart.unwrap_or(deeper as u32);
            if (ilvl as u32) < restart_after {
                *counter = None;
            }
        }
        let values: [u32; LEVELS] =
            std::array::from_fn(|i| counters[i].unwrap_or_else(|| start_of(i)));

        let level = &levels[ilvl];
        let text = level.lvl_text.as_deref().unwrap_or("");
        let mut label = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%' {
                if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    chars.next();
                    if (1..=LEVELS as u32).contains(&d) {
                        let i = d as usize - 1;
                        let fmt = if level.is_lgl {
                            "decimal"
                        } else {
                            levels[i].num_fmt.as_deref().unwrap_or("decimal")
                        };
                        label.push_str(&format_number(values[i], fmt));
                    }
                    continue;
                }
            }
            label.push(c);
        }
        if level.num_fmt.as_deref() == Some("bullet") {
            label = label.chars().map(map_symbol_bullet).collect();
        }
        if label.is_empty() {
            return None;
        }
        label.push_str(level.suffix.unwrap_or_default().as_str());
        Some(label)
    }
}

/// Bullets from Symbol/Wingdings fonts are written as private-use
/// characters (U+F0B7 is Symbol's bullet); shown as "•".
fn map_symbol_bullet(c: char) -> char {
    if ('\u{E000}'..='\u{F8FF}').contains(&c) {
        '•'
    } else {
        c
    }
}

const CN_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const CN_LEGAL: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// A counter in one of Word's number formats (`w:numFmt`).  Unknown formats
/// and numbers a format cannot show fall back to decimal.
pub(crate) fn format_number(n: u32, fmt: &str) -> String {
    match fmt {
        "none" => String::new(),
        "bullet" => String::new(),
        "decimalZero" if n < 10 => format!("0{n}"),
        "upperRoman" if (1..4000).contains(&n) => roman(n),
        "lowerRoman" if (1..4000).contains(&n) => roman(n).to_lowercase(),
        "upperLetter" if n >= 1 => letters(n, b'A'),
        "lowerLetter" if n >= 1 => letters(n, b'a'),
        "chineseCounting" if n < 100 => cn_grouped(n, &CN_DIGITS, ['十', '百', '千'], true),
        "chineseCounting" | "ideographDigital" | "japaneseDigitalTenThousand" => n
            .to_string()
            .chars()
            .map(|d| CN_DIGITS[d as usize - '0' as usize])
            .collect(),
        "chineseCountingThousand" | "taiwaneseCounting" if n < 10_000 => {
            cn_grouped(n, &CN_DIGITS, ['十', '百', '千'], true)
        }
        "japaneseCounting" if n < 10_000 => cn_grouped(n, &CN_DIGITS, ['十', '百', '千'], false),
        "chineseLegalSimplified" if n < 10_000 => {
            let mut s = cn_grouped(n, &CN_LEGAL, ['拾', '佰', '仟'], true);
            // Legal numbers always write the leading one: 壹拾壹.
            if (10..20).contains(&n) {
                s.insert(0, '壹');
            }
            s
        }
        "ideographTraditional" if n >= 1 => {
            const STEMS: [char; 10] = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
            STEMS[(n as usize - 1) % 10].to_string()
        }
        "ideographZodiac" if n >= 1 => {
            const BRANCHES: [char; 12] = [
                '子', '丑', '寅', '卯', '辰', '巳', '午', '未', '申', '酉', '戌', '亥',
            ];
            BRANCHES[(n as usize - 1) % 12].to_string()
        }
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            offset_char(0x2460, n)
        }
        "decimalEnclosedParen" if (1..=20).contains(&n) => offset_char(0x2474, n),
        "decimalEnclosedFullstop" if (1..=20).contains(&n) => offset_char(0x2488, n),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .map(|d| char::from_u32(0xFF10 + (d as u32 - '0' as u32)).unwrap_or(d))
            .collect(),
        _ => n.to_string(),
    }
}

fn offset_char(base: u32, n: u32) -> String {
    char::from_u32(base + n - 1)
        .map(String::from)
        .unwrap_or_else(|| n.to_string())
}

fn roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            s.push_str(digits);
            n -= value;
        }
    }
    s
}

/// Word's letter numbering: A..Z, then AA, BB, .. ZZ, then AAA.
fn letters(n: u32, base: u8) -> String {
    let letter = (base + ((n - 1) % 26) as u8) as char;
    let count = ((n - 1) / 26 + 1) as usize;
    std::iter::repeat_n(letter, count).collect()
}

/// 0-9999 in Chinese/Japanese counting: 十一, 二十, 一百零一, 一千零十.
/// `leading_one`: write 一百/一千 (Chinese) rather than 百/千 (Japanese);
/// 十 alone is never written 一十 at the start.
fn cn_grouped(n: u32, digits: &[char; 10], units: [char; 3], leading_one: bool) -> String {
    if n == 0 {
        return digits[0].to_string();
    }
    let parts = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let unit_of = [Some(units[2]), Some(units[1]), Some(units[0]), None];
    let mut s = String::new();
    let mut pending_zero = false;
    for (i, (&d, unit)) in parts.iter().zip(unit_of).enumerate() {
        if d == 0 {
            if !s.is_empty() {
                pending_zero = true;
            }
            continue;
        }
        if pending_zero {
            // Japanese counting writes no zeros; Chinese writes one 零 for
            // any run of zeros inside the number.
            if leading_one {
                s.push(if digits[0] == '〇' { '零' } else { digits[0] });
            }
            pending_zero = false;
        }
        let omit_one = d == 1 && unit.is_some() && (!leading_one || (s.is_empty() && i == 2));
        if !omit_one {
            s.push(digits[d as usize]);
        }
        if let Some(u) = unit {
            s.push(u);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        let cases = [
            (3, "decimal", "3"),
            (3, "decimalZero", "03"),
            (12, "decimalZero", "12"),
            (14, "upperRoman", "XIV"),
            (9, "lowerRoman", "ix"),
            (28, "upperLetter", "BB"),
            (2, "lowerLetter", "b"),
            (1, "chineseCounting", "一"),
            (10, "chineseCounting", "十"),
            (11, "chineseCounting", "十一"),
            (20, "chineseCounting", "二十"),
            (99, "chineseCounting", "九十九"),
            (105, "chineseCounting", "一〇五"),
            (105, "chineseCountingThousand", "一百零五"),
            (110, "chineseCountingThousand", "一百一十"),
            (2003, "chineseCountingThousand", "二千零三"),
            (12, "taiwaneseCounting", "十二"),
            (110, "japaneseCounting", "百十"),
            (3, "chineseLegalSimplified", "叁"),
            (11, "chineseLegalSimplified", "壹拾壹"),
            (20, "chineseLegalSimplified", "贰拾"),
            (3, "ideographTraditional", "丙"),
            (11, "ideographTraditional", "甲"),
            (2, "ideographZodiac", "丑"),
            (10, "ideographDigital", "一〇"),
            (1, "decimalEnclosedCircle", "①"),
            (20, "decimalEnclosedCircle", "⑳"),
            (21, "decimalEnclosedCircle", "21"),
            (2, "decimalEnclosedParen", "⑵"),
            (3, "decimalEnclosedFullstop", "⒊"),
            (12, "decimalFullWidth", "１２"),
            (4, "ordinalText", "4"),
            (4, "none", ""),
        ];
        for (n, fmt, want) in cases {
            assert_eq!(format_number(n, fmt), want, "{n} {fmt}");
        }
    }
}

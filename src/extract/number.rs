//! Chinese and Arabic numerals: one scanner for every way a report writes a
//! number (`3000`, `１２３`, `３．５`, `1,200`, `1.2万`, `3千`, `三千二百零五`,
//! `两`, `十余`, `万余`, `1500多`, `二〇二四`, `壹贰叁`, `数十`, `十几万`).
//!
//! [`scan_number`] reads the longest numeral starting at a byte offset and
//! reports how it was qualified from inside (`余`/`多`/`几` → more than,
//! `来` → about, `数十`/`上百`/`几十` → vague, `三四个` → a range); the count
//! extractor adds units and the qualifiers around it.

/// How a numeral was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumeralKind {
    /// Arabic digits (ASCII or full-width), possibly with 万/亿/千/百 after.
    Arabic,
    /// Chinese numerals with place units (`三千二百零五`, `十五`, `两`).
    Chinese,
    /// Chinese digits read one by one (`二〇二四`): a year or a code.
    DigitByDigit,
}

/// A numeral found by [`scan_number`].
#[derive(Debug, Clone, PartialEq)]
pub struct NumberMatch {
    /// Byte offset where the numeral starts.
    pub start: usize,
    /// Byte offset just past the numeral, its multipliers and any internal
    /// `余`/`多`/`来`/`几` suffix.
    pub end: usize,
    /// `None` for a vague figure (`数十`, `上百`, `几十`).
    pub value: Option<f64>,
    /// `余`, `多`, or a trailing `几` (`十几`) was seen.
    pub more_than: bool,
    /// `来` (`十来`) or a vague figure.
    pub about: bool,
    /// `数十`, `上百`, `几十`: the value is unknown.
    pub vague: bool,
    /// Two neighbouring digits (`三四个`, `二三十`): `value` is the lower bound.
    pub range_low: bool,
    pub kind: NumeralKind,
    /// The magnitude applied after the digits (`万` → 10000), 1 when none;
    /// lets a range `5—10万` scale its lower bound.
    pub multiplier: f64,
    /// The numeral is a bare magnitude (`万余`, `千余`) with no digit before it.
    pub bare_magnitude: bool,
}

/// `v` times a magnitude, snapped to the whole number it is meant to be:
/// `12.96万` is 129600, where the product of the binary fractions is
/// 129600.00000000001 (which would be written to the records as such).
/// Only an error of binary rounding is snapped (`1.23456万` stays 12345.6).
fn scale(v: f64, magnitude: f64) -> f64 {
    let x = v * magnitude;
    let whole = x.round();
    if (x - whole).abs() <= 1e-9 * x.abs().max(1.0) {
        whole
    } else {
        x
    }
}

/// Value of a Chinese digit character (common and financial forms).
pub fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' | '○' => 0,
        '一' | '壹' | '弌' => 1,
        '二' | '贰' | '貳' | '两' | '兩' | '俩' | '倆' => 2,
        '三' | '叁' | '參' | '叄' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Value of a Chinese place unit below 万 (`十`, `百`, `千` and their
/// financial forms).
fn small_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// Value of a magnitude (`万`, `亿`).
fn big_unit(c: char) -> Option<f64> {
    Some(match c {
        '万' | '萬' => 1e4,
        '亿' | '億' => 1e8,
        _ => return None,
    })
}

/// True for characters that can be part of a Chinese numeral.
pub fn is_chinese_numeral_char(c: char) -> bool {
    chinese_digit(c).is_some() || small_unit(c).is_some() || big_unit(c).is_some()
}

/// Value of an Arabic digit, ASCII or full-width.
pub fn arabic_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// True for any character a numeral can be made of (used by callers to
/// avoid starting a number in the middle of another).
pub fn is_numeral_char(c: char) -> bool {
    arabic_digit(c).is_some() || is_chinese_numeral_char(c)
}

/// Parse a whole numeral string (`三千二百零五`, `1.2万`, `１２`, `两`,
/// `十余` → 10). `None` when the string is not exactly one numeral or the
/// numeral is vague (`数十`).
pub fn parse_number(s: &str) -> Option<f64> {
    let m = scan_number(s, 0)?;
    if m.end == s.len() {
        m.value
    } else {
        None
    }
}

/// Whether a magnitude character at `rest` (which starts with it) is really
/// the start of a unit such as 千米/千克/千瓦/百分点 rather than a multiplier.
fn magnitude_starts_unit(rest: &str) -> bool {
    let mut it = rest.chars();
    let first = it.next();
    let second = it.next();
    match (first, second) {
        (Some('千' | '仟'), Some(n)) => {
            matches!(
                n,
                '米' | '克' | '瓦' | '伏' | '卡' | '帕' | '焦' | '赫' | '公' | '字' | '兆'
            )
        }
        (Some('百' | '佰'), Some(n)) => matches!(n, '分' | '米' | '公' | '强'),
        _ => false,
    }
}

/// Scan the numeral that starts exactly at byte `at` of `text`.
///
/// Returns `None` when no numeral starts there (or `at` is not a char
/// boundary). The scan is greedy but stops where a numeral cannot go on
/// (`十四五` reads `十四`), so callers can test what follows.
pub fn scan_number(text: &str, at: usize) -> Option<NumberMatch> {
    // Most numerals of a report are ASCII figures: no char to decode.
    let b = text.as_bytes();
    if b.get(at).is_some_and(u8::is_ascii_digit) {
        // A run of at most 15 ASCII digits that ends in none of what
        // `scan_arabic` reads on (`,` `.` a line end, or a full-width digit
        // or dot, all EF …): its value is the run as an integer, exact
        // below 2^53, as `scan_arabic` finds it.
        let mut i = at;
        let mut mantissa = 0u64;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - at == 15 {
                break;
            }
            mantissa = mantissa * 10 + u64::from(d - b'0');
            i += 1;
        }
        if !matches!(
            b.get(i),
            Some(b'0'..=b'9' | b',' | b'.' | b'\n' | b'\r' | 0xEF)
        ) {
            let mut m = new_match(NumeralKind::Arabic);
            m.start = at;
            m.value = Some(mantissa as f64);
            m.end = read_tail(text, i, &mut m, true);
            return Some(m);
        }
        let mut m = scan_arabic(text.get(at..)?)?;
        m.start += at;
        m.end += at;
        return Some(m);
    }
    if at > text.len() || !text.is_char_boundary(at) {
        return None;
    }
    let s = &text[at..];
    let c = s.chars().next()?;
    let mut m = if arabic_digit(c).is_some() {
        scan_arabic(s)?
    } else if is_chinese_numeral_char(c) || c == '几' {
        scan_chinese(s)?
    } else if c == '数' || c == '上' || c == '成' {
        scan_vague_prefix(s)?
    } else {
        return None;
    };
    m.start += at;
    m.end += at;
    Some(m)
}

/// Read a bare magnitude at byte `at` of `text` as a figure of its own:
/// `百` = 100, `千` = 1000, `万`, `亿`, and the larger ones they start
/// (`百亿` = 10^10, `千万` = 10^7, `万亿` = 10^12).
///
/// [`scan_number`] does not read these: a bare magnitude is mostly a word
/// (`百强`, `千家万户`, `万亩果园`). The count extractor calls this only
/// after a qualifier that makes it a figure (`超千亿元`, `近百场`).
pub fn scan_bare_magnitude(text: &str, at: usize) -> Option<NumberMatch> {
    let s = text.get(at..)?;
    let mut chars = s.chars();
    let c = chars.next()?;
    let mag = big_unit(c).or_else(|| small_unit(c).filter(|&u| u >= 100).map(|u| u as f64))?;
    // 千米, 百分点: a unit; 亿万: no magnitude (read_tail would take 万
    // after 亿 as a larger one).
    if magnitude_starts_unit(s) || (mag == 1e8 && chars.next().and_then(big_unit).is_some()) {
        return None;
    }
    let mut m = new_match(NumeralKind::Chinese);
    m.value = Some(mag);
    m.multiplier = mag;
    m.bare_magnitude = true;
    m.start = at;
    m.end = at + read_tail(s, c.len_utf8(), &mut m, false);
    Some(m)
}

fn new_match(kind: NumeralKind) -> NumberMatch {
    NumberMatch {
        start: 0,
        end: 0,
        value: None,
        more_than: false,
        about: false,
        vague: false,
        range_low: false,
        kind,
        multiplier: 1.0,
        bare_magnitude: false,
    }
}

/// Read multipliers (`万`, `亿`, `千`, `百`, `万亿`) and internal suffixes
/// (`余`, `多`, `来`, `几`) after the digits of a numeral, from byte `i` of
/// `s`. Returns the new end and updates the match.
fn read_tail(s: &str, mut i: usize, m: &mut NumberMatch, allow_small: bool) -> usize {
    let mut seen_suffix = false;
    // `120 多名`, `739 亿元`, `近3 万名`: old typeset texts leave a space
    // between an Arabic figure and its magnitude or 多/余. Only these four
    // are read across it: they never start a word of their own there.
    if allow_small && s.as_bytes().get(i) == Some(&b' ') {
        if let Some('万' | '亿' | '多' | '余') = s.get(i + 1..).and_then(|r| r.chars().next()) {
            i += 1;
        }
    }
    // Multipliers only grow (百万, 千万, 万亿); 亿万 is no magnitude.
    let mut last_big = 0.0;
    loop {
        // Every char below starts with a byte in E4..=E8: most units and
        // punctuation after a figure are told apart without decoding.
        if !s
            .as_bytes()
            .get(i)
            .is_some_and(|x| (0xE4..=0xE8).contains(x))
        {
            break;
        }
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        // Nearly always the unit comes next: one test for all of them.
        if !matches!(
            c,
            '万' | '萬'
                | '亿'
                | '億'
                | '十'
                | '拾'
                | '百'
                | '佰'
                | '千'
                | '仟'
                | '余'
                | '多'
                | '来'
        ) {
            break;
        }
        if let Some(b) = big_unit(c) {
            if magnitude_starts_unit(rest) {
                break;
            }
            if b <= last_big {
                break;
            }
            last_big = b;
            m.multiplier *= b;
            m.value = m.value.map(|v| scale(v, b));
            i += c.len_utf8();
            continue;
        }
        if allow_small && !seen_suffix && m.multiplier == 1.0 {
            if let Some(u) = small_unit(c) {
                if u >= 100 && !magnitude_starts_unit(rest) {
                    m.multiplier *= u as f64;
                    m.value = m.value.map(|v| scale(v, u as f64));
                    i += c.len_utf8();
                    last_big = u as f64;
                    continue;
                }
                break;
            }
        }
        if !seen_suffix && (c == '余' || c == '多') {
            m.more_than = true;
            seen_suffix = true;
            i += c.len_utf8();
            continue;
        }
        if !seen_suffix && c == '来' {
            // `十来人`, `１０来年`: about. `以来` never follows a bare number.
            m.about = true;
            seen_suffix = true;
            i += c.len_utf8();
            continue;
        }
        break;
    }
    i
}

/// The value of the Arabic digit (ASCII or full-width) at byte `i` of `b`
/// and its byte length.
#[inline]
fn arabic_digit_at(b: &[u8], i: usize) -> Option<(u8, usize)> {
    match b.get(i)? {
        d @ b'0'..=b'9' => Some((d - b'0', 1)),
        // `０`–`９` are EF BC 90–99.
        0xEF if b.get(i + 1) == Some(&0xBC) => match b.get(i + 2)? {
            d @ 0x90..=0x99 => Some((d - 0x90, 3)),
            _ => None,
        },
        _ => None,
    }
}

fn scan_arabic(s: &str) -> Option<NumberMatch> {
    let mut digits = FastDigits::default();
    let mut i = 0;
    let mut seen_dot = false;
    let b = s.as_bytes();
    loop {
        // Bytes, not chars: a figure is mostly ASCII digits.
        if let Some((d, len)) = arabic_digit_at(b, i) {
            digits.push(d);
            i += len;
            continue;
        }
        let Some(&x) = b.get(i) else { break };
        // Thousands separator: `1,200` (exactly three digits follow).
        if x == b',' && !seen_dot && !digits.is_empty() {
            let after = &b[i + 1..];
            let n = after.iter().take_while(|x| x.is_ascii_digit()).count();
            if n == 3 {
                i += 1;
                continue;
            }
            break;
        }
        // `.` or `．` (EF BC 8E).
        let dot = if x == b'.' {
            1
        } else if b.get(i..i + 3) == Some(&[0xEF, 0xBC, 0x8E]) {
            3
        } else {
            0
        };
        if dot > 0 && !seen_dot && !digits.is_empty() {
            if arabic_digit_at(b, i + dot).is_some() {
                seen_dot = true;
                digits.dot();
                i += dot;
                continue;
            }
            break;
        }
        // A figure broken by a line wrap: `6\n.7％`.
        if x == b'\n' || x == b'\r' {
            let mut j = i;
            while j < s.len() && (b[j] == b'\n' || b[j] == b'\r') && j - i < 2 {
                j += 1;
            }
            if !seen_dot {
                let dot = if b.get(j) == Some(&b'.') {
                    1
                } else if b.get(j..j + 3) == Some(&[0xEF, 0xBC, 0x8E]) {
                    3
                } else {
                    0
                };
                if dot > 0 && arabic_digit_at(b, j + dot).is_some() {
                    i = j;
                    continue;
                }
            }
            break;
        }
        break;
    }
    if digits.is_empty() {
        return None;
    }
    let value = match digits.value() {
        Some(v) => v,
        None => slow_value(&s[..i])?,
    };
    let mut m = new_match(NumeralKind::Arabic);
    m.value = Some(value);
    m.end = read_tail(s, i, &mut m, true);
    Some(m)
}

/// Exact powers of ten up to 1e22 (each is an f64 without rounding).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The digits of an Arabic numeral summed as they are read: no buffer,
/// and no float parser for the short figures a report holds.
#[derive(Default)]
struct FastDigits {
    /// The digits read as one integer (the dot ignored); exact while
    /// `count <= 15`.
    mantissa: u64,
    /// Digits read.
    count: usize,
    /// Digits read after the dot.
    frac: usize,
    seen_dot: bool,
}

impl FastDigits {
    #[inline(always)]
    fn push(&mut self, d: u8) {
        if self.count < 15 {
            self.mantissa = self.mantissa * 10 + u64::from(d);
        }
        self.count += 1;
        self.frac += usize::from(self.seen_dot);
    }

    fn dot(&mut self) {
        self.seen_dot = true;
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The value `str::parse::<f64>` gives the digits, when it can be had
    /// exactly without it: an integer of at most 15 digits is below 2^53
    /// (exact), and such a mantissa over an exact power of ten is one
    /// correctly rounded division, as the parser's result is correctly
    /// rounded too.
    fn value(&self) -> Option<f64> {
        if self.count > 15 {
            return None;
        }
        let m = self.mantissa as f64;
        if self.frac == 0 {
            Some(m)
        } else {
            POW10.get(self.frac).map(|p| m / p)
        }
    }
}

/// The value of the numeral `consumed` (digits, `,`, `.`/`．` and line
/// ends as `scan_arabic` read them), through the float parser: for the
/// rare figure too long for [`FastDigits::value`].
fn slow_value(consumed: &str) -> Option<f64> {
    let mut digits = Digits::default();
    for c in consumed.chars() {
        if let Some(d) = arabic_digit(c) {
            digits.push(b'0' + d as u8);
        } else if matches!(c, '.' | '．') {
            digits.push(b'.');
        }
    }
    digits.value()
}

/// The ASCII digits (and dot) of an Arabic numeral: on the stack while
/// short, which is nearly always, spilling to the heap beyond that.
#[derive(Default)]
struct Digits {
    buf: [u8; 32],
    len: usize,
    spill: String,
}

impl Digits {
    #[inline(always)]
    fn push(&mut self, c: u8) {
        if self.spill.is_empty() && self.len < self.buf.len() {
            // Only ASCII digits and '.' are pushed.
            self.buf[self.len] = c;
            self.len += 1;
        } else {
            if self.spill.is_empty() {
                self.spill = self.stack_str().to_string();
            }
            self.spill.push(char::from(c));
        }
    }

    fn stack_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    fn as_str(&self) -> &str {
        if self.spill.is_empty() {
            self.stack_str()
        } else {
            &self.spill
        }
    }

    /// The value, as `str::parse::<f64>` reads the digits. An integer of
    /// at most 15 digits is below 2^53, so summing it in a u64 gives the
    /// same f64 without the general parser.
    fn value(&self) -> Option<f64> {
        if self.spill.is_empty() && self.len <= 15 {
            let ds = &self.buf[..self.len];
            if ds.iter().all(u8::is_ascii_digit) {
                let v = ds.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
                return Some(v as f64);
            }
        }
        self.as_str().parse().ok()
    }
}

/// State of a Chinese numeral being read.
struct ChineseAcc {
    /// Sum of the parts at or above 亿.
    total: f64,
    /// Sum of the 万 part (below 亿).
    wan: f64,
    /// The section below 万.
    sec: u64,
    /// A digit waiting for its unit.
    digit: Option<u32>,
    /// The smallest unit used in the current section (for order checks).
    last_small: u64,
    /// The last unit seen (for `一万五` = 15000).
    last_unit: f64,
    zero_pending: bool,
    any_unit: bool,
}

fn scan_chinese(s: &str) -> Option<NumberMatch> {
    // This runs for every numeral-like char of a text (一 is everywhere):
    // the chars are read as far as needed, no further.
    let mut it = s.char_indices();
    let (_, first) = it.next()?;
    let second = it.next();

    // Bare magnitude with a suffix: `万余`, `千余`, `百余`, `十余` is regular.
    if first != '十' && first != '拾' && chinese_digit(first).is_none() && first != '几' {
        let mag = big_unit(first).or_else(|| small_unit(first).map(|u| u as f64))?;
        if let Some((j, q @ ('余' | '多'))) = second {
            let mut m = new_match(NumeralKind::Chinese);
            m.value = Some(mag);
            m.multiplier = mag;
            m.more_than = true;
            m.bare_magnitude = true;
            let i = j + q.len_utf8();
            // `千余万` is unusual; `万余` is the common form: stop here.
            m.end = read_tail(s, i, &mut m, false);
            return Some(m);
        }
        return None;
    }

    // Digit by digit: a run of two or more digits without place units
    // (`二〇二四`), unless it is a neighbouring pair (`三四个` = 3 to 4).
    // The run is read over the first 12 chars at most.
    let mut digit_run = 0;
    let mut run_end = 0;
    let mut run_value: f64 = 0.0;
    for (i, c) in s.char_indices().take(12) {
        if !(chinese_digit(c).is_some() || c == 'Ｏ' || c == 'O') {
            break;
        }
        digit_run += 1;
        run_end = i + c.len_utf8();
        run_value = run_value * 10.0 + chinese_digit(c).unwrap_or(0) as f64;
    }
    if digit_run >= 2 {
        let c1 = second.map_or('\0', |x| x.1);
        let d0 = chinese_digit(first);
        let d1 = chinese_digit(c1);
        let pair = digit_run == 2
            && matches!((d0, d1), (Some(a), Some(b)) if b == a + 1 && a >= 1)
            && !(first == '一' && c1 == '二')
            || (digit_run == 2 && first == '一' && matches!(c1, '两' | '兩'));
        if pair {
            // Parse the lower digit followed by whatever comes after the pair.
            let low = d0.unwrap_or(1);
            let mut m = read_chinese(s, run_end, Some(low))?;
            m.range_low = true;
            return Some(m);
        }
        let mut m = new_match(NumeralKind::DigitByDigit);
        m.value = Some(run_value);
        m.end = run_end;
        return Some(m);
    }
    read_chinese(s, 0, None)
}

/// Read a Chinese numeral with place units from byte `i` of `s`;
/// `pending` is a digit already read (for neighbouring pairs).
fn read_chinese(s: &str, mut i: usize, pending: Option<u32>) -> Option<NumberMatch> {
    let mut a = ChineseAcc {
        total: 0.0,
        wan: 0.0,
        sec: 0,
        digit: pending,
        last_small: u64::MAX,
        last_unit: 0.0,
        zero_pending: false,
        any_unit: false,
    };
    let mut m = new_match(NumeralKind::Chinese);
    let mut consumed_any = pending.is_some();
    let mut ji_before_unit = false; // 几十: vague
    let mut ji_last = false; // 十几: more than
    let mut last_was_digit = pending.is_some();
    loop {
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        if let Some(d) = chinese_digit(c) {
            if last_was_digit {
                break; // two digits in a row after units: `十四五` stops at `十四`
            }
            if d == 0 {
                if !a.any_unit {
                    // A lone 零 is zero.
                    if consumed_any {
                        break;
                    }
                    a.digit = Some(0);
                    consumed_any = true;
                    last_was_digit = true;
                    i += c.len_utf8();
                    continue;
                }
                a.zero_pending = true;
                i += c.len_utf8();
                continue;
            }
            a.digit = Some(d);
            consumed_any = true;
            last_was_digit = true;
            i += c.len_utf8();
            continue;
        }
        if c == '几' {
            if last_was_digit {
                break;
            }
            // 几 before a unit is vague (几十); after one it is "and some" (十几).
            let next = rest[c.len_utf8()..].chars().next();
            let before_unit =
                next.is_some_and(|n| small_unit(n).is_some() || big_unit(n).is_some());
            if before_unit && !a.any_unit {
                ji_before_unit = true;
                a.digit = Some(1);
            } else if a.any_unit {
                ji_last = true;
                a.digit = None;
            } else {
                return None; // bare 几 is no number
            }
            consumed_any = true;
            last_was_digit = true;
            i += c.len_utf8();
            continue;
        }
        if let Some(u) = small_unit(c) {
            if magnitude_starts_unit(rest) && consumed_any {
                break;
            }
            if u >= a.last_small {
                break; // 十百: not a numeral order
            }
            let d = a.digit.take().unwrap_or(1) as u64;
            if d == 0 {
                break;
            }
            a.sec += d * u;
            a.last_small = u;
            a.last_unit = u as f64;
            a.any_unit = true;
            a.zero_pending = false;
            consumed_any = true;
            last_was_digit = false;
            i += c.len_utf8();
            continue;
        }
        if let Some(b) = big_unit(c) {
            if !consumed_any || magnitude_starts_unit(rest) {
                break;
            }
            let part = a.sec as f64 + a.digit.take().unwrap_or(0) as f64;
            if b == 1e4 {
                if part == 0.0 && a.wan == 0.0 && a.total == 0.0 {
                    break;
                }
                if part == 0.0 && a.total > 0.0 && a.wan == 0.0 {
                    // 亿万 is not a number
                    break;
                }
                a.wan = (a.wan + part) * 1e4;
                if a.wan == 0.0 {
                    // 万亿: the 万 multiplies what came before.
                    a.total *= 1e4;
                }
            } else {
                let base = a.total + a.wan + part;
                if base == 0.0 {
                    break;
                }
                a.total = base * 1e8;
                a.wan = 0.0;
            }
            a.sec = 0;
            a.last_small = u64::MAX;
            a.last_unit = b;
            a.any_unit = true;
            a.zero_pending = false;
            last_was_digit = false;
            i += c.len_utf8();
            continue;
        }
        if (c == '余' || c == '多') && a.any_unit && !m.more_than {
            // 十余, 三十多, 一百多万: "and more", then maybe a magnitude.
            m.more_than = true;
            i += c.len_utf8();
            last_was_digit = true; // no digit may follow
            continue;
        }
        if c == '来' && a.any_unit && !m.about && !m.more_than {
            m.about = true;
            i += c.len_utf8();
            last_was_digit = true;
            continue;
        }
        if c == '点' && last_was_digit && a.digit.is_some() {
            // 三点五: a decimal fraction written in Chinese.
            let frac_src: String = rest[c.len_utf8()..]
                .chars()
                .take_while(|c| chinese_digit(*c).is_some())
                .collect();
            let frac: String = frac_src
                .chars()
                .filter_map(chinese_digit)
                .map(|d| char::from(b'0' + d as u8))
                .collect();
            if frac.is_empty() || m.more_than {
                break;
            }
            let int = a.total + a.wan + a.sec as f64 + a.digit.take().unwrap_or(0) as f64;
            let v: f64 = format!("{}.{}", int as u64, frac).parse().ok()?;
            i += c.len_utf8() + frac_src.len();
            let mut m2 = new_match(NumeralKind::Chinese);
            m2.value = Some(v);
            m2.end = read_tail(s, i, &mut m2, false);
            return Some(m2);
        }
        break;
    }
    if !consumed_any {
        return None;
    }
    let mut v = a.total + a.wan + a.sec as f64;
    if let Some(d) = a.digit {
        // 一万五 = 15000, 三千五 = 3500: a trailing digit right after a big
        // unit takes the next lower place.
        if a.last_unit >= 100.0 && !a.zero_pending && !ji_before_unit {
            v += d as f64 * a.last_unit / 10.0;
        } else {
            v += d as f64;
        }
    }
    m.end = i;
    if ji_before_unit {
        m.value = None;
        m.vague = true;
        m.about = true;
    } else {
        m.value = Some(v);
    }
    if ji_last {
        m.more_than = true;
    }
    m.end = read_tail(s, m.end, &mut m, false);
    Some(m)
}

/// `数十`, `数百万`, `上百`, `上千`, `上万`, `成百`: a vague figure.
fn scan_vague_prefix(s: &str) -> Option<NumberMatch> {
    let mut it = s.char_indices();
    let (_, p) = it.next()?;
    let (j, c) = it.next()?;
    if small_unit(c).is_none() && big_unit(c).is_none() {
        return None;
    }
    // 成百上千, 成千上万 are idioms, and 成 is most often the verb ending
    // before a figure (建成百米长廊): never a vague figure on its own.
    if p == '成' {
        return None;
    }
    let mut i = j + c.len_utf8();
    // 数十万, 上百万: a further magnitude.
    while let Some(c2) = s[i..].chars().next() {
        if big_unit(c2).is_some() && !magnitude_starts_unit(&s[i..]) {
            i += c2.len_utf8();
        } else {
            break;
        }
    }
    let mut m = new_match(NumeralKind::Chinese);
    m.vague = true;
    m.about = true;
    m.end = i;
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, Option<f64>)] = &[
            ("0", Some(0.0)),
            ("3000", Some(3000.0)),
            ("１２３", Some(123.0)),
            ("３．５", Some(3.5)),
            ("1,200", Some(1200.0)),
            ("12,345,678", Some(12345678.0)),
            ("1.2万", Some(12000.0)),
            ("3.78万", Some(37800.0)),
            ("2.67万亿", Some(2.67e12)),
            ("3千", Some(3000.0)),
            ("5百万", Some(5e6)),
            ("12亿", Some(1.2e9)),
            ("1500多", Some(1500.0)),
            ("3000余", Some(3000.0)),
            ("3000余万", Some(3e7)),
            ("三千二百零五", Some(3205.0)),
            ("两", Some(2.0)),
            ("俩", Some(2.0)),
            ("〇", Some(0.0)),
            ("零", Some(0.0)),
            ("十", Some(10.0)),
            ("十五", Some(15.0)),
            ("二十", Some(20.0)),
            ("一百零八", Some(108.0)),
            ("十余", Some(10.0)),
            ("十多", Some(10.0)),
            ("万余", Some(10000.0)),
            ("千余", Some(1000.0)),
            ("二〇二四", Some(2024.0)),
            ("一九九六", Some(1996.0)),
            ("壹贰叁", Some(123.0)),
            ("壹佰贰拾叁", Some(123.0)),
            ("三亿", Some(3e8)),
            ("三万亿", Some(3e12)),
            ("一亿二千万", Some(1.2e8)),
            ("十万", Some(1e5)),
            ("一百二十万", Some(1.2e6)),
            ("一万五", Some(15000.0)),
            ("三千五", Some(3500.0)),
            ("十几万", Some(1e5)),
            ("三点五", Some(3.5)),
            ("三点五万", Some(35000.0)),
            ("12.96万", Some(129600.0)),
            ("4.35亿", Some(435000000.0)),
            ("1.1万亿", Some(1.1e12)),
            ("0.07万", Some(700.0)),
            ("数十", None),
            ("上百", None),
            ("几十", None),
            ("几", None),
            ("万", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_number(s), *want, "{s}");
        }
        // Every two-decimal figure in 万 is a whole number, exactly.
        for hundredths in 0..20_000u32 {
            let s = format!("{}.{:02}万", hundredths / 100, hundredths % 100);
            assert_eq!(parse_number(&s), Some(f64::from(hundredths) * 100.0), "{s}");
        }
        // A fraction left after the magnitude stays.
        let v = parse_number("1.00005万").unwrap();
        assert!((v - 10000.5).abs() < 1e-9, "{v}");
    }

    #[test]
    fn flags_and_ends() {
        let m = scan_number("十余人", 0).unwrap();
        assert_eq!(
            (m.value, m.more_than, m.end),
            (Some(10.0), true, "十余".len())
        );
        let m = scan_number("万余元", 0).unwrap();
        assert!(m.bare_magnitude && m.more_than);
        assert_eq!(m.end, "万余".len());
        let m = scan_number("数十人", 0).unwrap();
        assert!(m.vague && m.about && m.value.is_none());
        let m = scan_number("十四五规划", 0).unwrap();
        assert_eq!(m.end, "十四".len());
        let m = scan_number("三四个", 0).unwrap();
        assert_eq!((m.value, m.range_low), (Some(3.0), true));
        let m = scan_number("二三十人", 0).unwrap();
        assert_eq!((m.value, m.range_low), (Some(20.0), true));
        let m = scan_number("１０来年", 0).unwrap();
        assert!(m.about);
        assert_eq!(m.value, Some(10.0));
        let m = scan_number("1.7亿千瓦", 0).unwrap();
        assert_eq!(m.value, Some(1.7e8));
        assert_eq!(m.end, "1.7亿".len());
        let m = scan_number("3千米", 0).unwrap();
        assert_eq!(m.end, 1);
        let m = scan_number("6\n.7％", 0).unwrap();
        assert_eq!(m.value, Some(6.7));
        // A space between a figure and its magnitude or 多 (old typesetting).
        let m = scan_number("近5 万户", "近".len()).unwrap();
        assert_eq!((m.value, m.end), (Some(50000.0), "近5 万".len()));
        let m = scan_number("860 多家", 0).unwrap();
        assert_eq!(
            (m.value, m.more_than, m.end),
            (Some(860.0), true, "860 多".len())
        );
        let m = scan_number("27 亿\n元", 0).unwrap();
        assert_eq!(m.value, Some(2.7e9));
        // Other words after a space stay out of the figure.
        let m = scan_number("12 名", 0).unwrap();
        assert_eq!(m.end, 2);
        let m = scan_number("十分", 0).unwrap();
        assert_eq!(m.end, "十".len());
        assert!(scan_number("万家", 0).is_none());
        assert!(scan_number("百米", 0).is_none());
        let m = scan_number("x一百", 1).unwrap();
        assert_eq!(m.value, Some(100.0));
        assert!(scan_number("x一百", 2).is_none());
    }

    #[test]
    fn bare_magnitudes() {
        let at = "超".len();
        let read =
            |s: &str| scan_bare_magnitude(s, at).map(|m| (m.value, s[at..m.end].to_string()));
        assert_eq!(read("超千亿元"), Some((Some(1e11), "千亿".to_string())));
        assert_eq!(read("近百名"), Some((Some(100.0), "百".to_string())));
        assert_eq!(read("逾万人"), Some((Some(1e4), "万".to_string())));
        assert_eq!(read("超万亿元"), Some((Some(1e12), "万亿".to_string())));
        assert_eq!(read("近千万吨"), Some((Some(1e7), "千万".to_string())));
        assert_eq!(read("超亿元"), Some((Some(1e8), "亿".to_string())));
        // Units and non-magnitudes.
        assert_eq!(read("近千米"), None);
        assert_eq!(read("近百分点"), None);
        assert_eq!(read("超亿万"), None);
        assert_eq!(read("超十人"), None);
        assert_eq!(read("超三人"), None);
        // Never a panic off a char boundary or past the end.
        assert_eq!(scan_bare_magnitude("超", 1), None);
        assert_eq!(scan_bare_magnitude("超", 9), None);
    }

    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

    /// A section below 万 in standard form; `lead` when it opens the numeral
    /// (十五, not 一十五).
    fn section(n: u64, lead: bool, out: &mut String) {
        let units = [(1000, '千'), (100, '百'), (10, '十'), (1, ' ')];
        let mut zero = false;
        let mut started = false;
        for (u, ch) in units {
            let d = (n / u) % 10;
            if d == 0 {
                if started {
                    zero = true;
                }
                continue;
            }
            if zero {
                out.push('零');
                zero = false;
            }
            if !(u == 10 && d == 1 && lead && !started) {
                out.push(DIGITS[d as usize]);
            }
            if u > 1 {
                out.push(ch);
            }
            started = true;
        }
    }

    /// Standard Chinese for 0 ≤ n < 10^12.
    fn to_chinese(n: u64) -> String {
        if n == 0 {
            return "零".into();
        }
        let parts = [
            (n / 100_000_000, '亿'),
            ((n / 10_000) % 10_000, '万'),
            (n % 10_000, ' '),
        ];
        let mut out = String::new();
        let mut need_zero = false;
        for (p, ch) in parts {
            if p == 0 {
                if !out.is_empty() {
                    need_zero = true;
                }
                continue;
            }
            if !out.is_empty() && (need_zero || p < 1000) {
                out.push('零');
            }
            need_zero = false;
            section(p, out.is_empty(), &mut out);
            if ch != ' ' {
                out.push(ch);
            }
        }
        out
    }

    #[test]
    fn generator_sanity() {
        assert_eq!(to_chinese(10), "十");
        assert_eq!(to_chinese(15), "十五");
        assert_eq!(to_chinese(115), "一百一十五");
        assert_eq!(to_chinese(100_010), "十万零一十");
        assert_eq!(to_chinese(3205), "三千二百零五");
        assert_eq!(to_chinese(100_000_000), "一亿");
        assert_eq!(to_chinese(200_003_000), "二亿零三千");
    }

    fn full_width(n: u64) -> String {
        n.to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
            .collect()
    }

    proptest! {
        #[test]
        fn chinese_integers_parse_back(n in 0u64..1_000_000_000) {
            let s = to_chinese(n);
            prop_assert_eq!(parse_number(&s), Some(n as f64), "{}", s);
        }

        #[test]
        fn small_chinese_integers_parse_back(n in 0u64..100_000) {
            let s = to_chinese(n);
            prop_assert_eq!(parse_number(&s), Some(n as f64), "{}", s);
        }

        #[test]
        fn full_width_arabic_parses_back(n in 0u64..1_000_000_000_000) {
            prop_assert_eq!(parse_number(&full_width(n)), Some(n as f64));
            prop_assert_eq!(parse_number(&n.to_string()), Some(n as f64));
        }

        /// The summed digits give what the float parser gives, short or
        /// long, with or without a fraction.
        #[test]
        fn decimals_match_the_parser(int in "[0-9]{1,18}", frac in "[0-9]{0,12}") {
            let s = if frac.is_empty() { int.clone() } else { format!("{int}.{frac}") };
            let want: f64 = s.parse().unwrap();
            prop_assert_eq!(parse_number(&s), Some(want), "{}", s);
        }

        #[test]
        fn scan_never_panics(s in "\\PC{0,20}", at in 0usize..40) {
            if let Some(m) = scan_number(&s, at) {
                prop_assert!(s.is_char_boundary(m.end) && m.end > m.start);
            }
        }
    }
}

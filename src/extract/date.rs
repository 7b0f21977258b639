//! Dates as EDTF.
//!
//! One left-to-right scan over the text: at the start of every run of
//! digits (Arabic, full-width, Chinese, or placeholders such as `x` and `_`)
//! a small hand-written parser tries to read a date expression
//! (`2024年3月15日`, `3月19日至20日`, `1—6月份`, `2024-03-15`, `５０年代`).
//! A failed attempt skips the whole run, so the scan stays linear. Positions
//! are byte offsets, chars decoded where the parser looks (no per-char
//! table), and the scan passes over chars that can start nothing with a
//! byte test and a bitmap look-up.
//!
//! The scan yields raw expressions whose missing years are filled in a
//! second pass: the fill needs the document's year and, for `去年6月`, the
//! year the text was written in, which a dateline found by the same scan
//! may give.

use super::{CharBits, ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::{DateFact, Fact, FactData, Span};
use std::fmt::Write;

/// Finds explicit calendar expressions (and the simple relative year words).
pub struct DateExtractor {}

impl DateExtractor {
    pub fn new(_data: &DataDir) -> Result<Self, DataError> {
        Ok(DateExtractor {})
    }
}

impl Extractor for DateExtractor {
    fn name(&self) -> &'static str {
        "date"
    }

    fn extract(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>) {
        self.extract_scanned(&DateScan::new(ctx.text), ctx.year, out);
    }
}

/// One scan of a text for date expressions, shared by year inference and
/// extraction (the pipeline needs both).
pub struct DateScan<'a> {
    text: &'a str,
    chars: Chars<'a>,
    /// The raw expressions, in text order.
    raws: Vec<Raw>,
}

impl<'a> DateScan<'a> {
    pub fn new(text: &'a str) -> Self {
        let chars = Chars::new(text);
        let raws = scan(&chars);
        DateScan { text, chars, raws }
    }
}

impl DateExtractor {
    /// [`Extractor::extract`] over a scan already made of `ctx.text`.
    pub fn extract_scanned(&self, ds: &DateScan<'_>, year: Option<i32>, out: &mut Vec<Fact>) {
        let now = now_year(ds, year);
        out.reserve(ds.raws.len());
        for raw in &ds.raws {
            if let Some(f) = finalize(&ds.chars, raw, year, now) {
                out.push(f);
            }
        }
    }
}

/// Extract the dates of a text on their own (tests, tools).
pub fn extract_dates(text: &str, year: Option<i32>) -> Vec<Fact> {
    let mut out = Vec::new();
    DateExtractor {}.extract_scanned(&DateScan::new(text), year, &mut out);
    out
}

// ---------------------------------------------------------------------------
// Candidates

/// Chars a number run is made of: what [`read_num`] reads.
/// (`is_arabic_like(c) || is_cn_numeral(c)`, by one table look-up: it is
/// asked for every char of every run, and the chained tests were
/// mispredicted about twice per call.)
#[inline]
fn is_numeral(c: char) -> bool {
    NUMERAL.contains(c)
}

/// What may follow a date's first number (after at most two blanks).
fn is_date_follower(c: char) -> bool {
    matches!(
        c,
        '年' | '月'
            | '日'
            | '号'
            | '至'
            | '到'
            | '~'
            | '～'
            | '〜'
            | '-'
            | '—'
            | '–'
            | '－'
            | '―'
            | '─'
            | '.'
            | '/'
            | '．'
            | '／'
            | ' '
            | '\u{3000}'
            | '\u{a0}'
            | '\n'
            | '\r'
    )
}

// ---------------------------------------------------------------------------
// Characters

/// The text read by byte offset, a char decoded where the parser looks, so
/// it can look ahead and behind by chars without ever cutting a char and
/// without a table of every char. Positions are char boundaries (or past
/// the end, where nothing is read); [`Chars::next`] and [`Chars::back`]
/// step by one char.
struct Chars<'a> {
    text: &'a str,
}

impl<'a> Chars<'a> {
    fn new(text: &'a str) -> Self {
        Chars { text }
    }
    fn len(&self) -> usize {
        self.text.len()
    }
    fn ch(&self, i: usize) -> Option<char> {
        // ASCII (digits, blanks, separators) is what the parser reads most.
        match self.text.as_bytes().get(i) {
            Some(&b) if b.is_ascii() => Some(b as char),
            _ => self.text.get(i..).and_then(|r| r.chars().next()),
        }
    }
    fn is(&self, i: usize, c: char) -> bool {
        self.ch(i) == Some(c)
    }
    /// The position one char after `i` (one byte past the end at the end).
    fn next(&self, i: usize) -> usize {
        i + self.ch(i).map_or(1, char::len_utf8)
    }
    /// The position one char before `i` (None at the start).
    fn back(&self, i: usize) -> Option<usize> {
        self.prev(i).map(|p| i - p.len_utf8())
    }
    /// Byte offset of position `i` (the text's end past the last char).
    fn byte(&self, i: usize) -> usize {
        i.min(self.text.len())
    }
    fn prev(&self, i: usize) -> Option<char> {
        match i.checked_sub(1).and_then(|j| self.text.as_bytes().get(j)) {
            Some(&b) if b.is_ascii() && self.text.is_char_boundary(i) => Some(b as char),
            _ => self.text.get(..i).and_then(|r| r.chars().next_back()),
        }
    }
    /// Between a number and its unit: blanks, and one line break of a
    /// hard-wrapped text (`１９７５\n年`).
    fn skip_gap(&self, i: usize) -> usize {
        let j = self.skip_blank(i);
        // `\r` and `\n` are one byte each.
        let k = if self.is(j, '\r') { j + 1 } else { j };
        if self.is(k, '\n') {
            return self.skip_blank(k + 1);
        }
        j
    }
    /// Skip at most two blanks inside a line (`2月20 日`).
    fn skip_blank(&self, mut i: usize) -> usize {
        let mut n = 0;
        while n < 2 {
            match self.ch(i) {
                Some(c @ (' ' | '\u{3000}' | '\u{a0}')) => i += c.len_utf8(),
                _ => break,
            }
            n += 1;
        }
        i
    }
}

fn arabic_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Characters that stand for a hidden digit in templates.
fn is_placeholder(c: char) -> bool {
    matches!(
        c,
        'x' | 'X' | 'ｘ' | 'Ｘ' | '×' | '_' | '＿' | '□' | '*' | '＊'
    )
}

fn is_arabic_like(c: char) -> bool {
    arabic_digit(c).is_some() || is_placeholder(c)
}

/// A Chinese digit read digit by digit (`二〇二四`).
fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' | 'Ｏ' | 'O' => 0,
        '一' => 1,
        '二' => 2,
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

fn is_cn_numeral(c: char) -> bool {
    c != 'O' && (cn_digit(c).is_some() || c == '十')
}

/// `十二`, `二十七`, `三十一`, `九`: positional Chinese numbers below 100.
fn cn_positional(s: &[char]) -> Option<u32> {
    let d = |c: &char| cn_digit(*c).filter(|&v| v > 0);
    match s {
        ['十'] => Some(10),
        [a] => d(a),
        ['十', b] => Some(10 + d(b)?),
        [a, '十'] => Some(d(a)? * 10),
        [a, '十', b] => Some(d(a)? * 10 + d(b)?),
        _ => None,
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '\n' | '\r')
}

// ---------------------------------------------------------------------------
// Numbers

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Arabic,
    Chinese,
}

/// A run of digit characters.
#[derive(Debug)]
struct Num<'a> {
    start: usize,
    end: usize,
    /// Length in chars.
    chars: usize,
    class: Class,
    /// The run as written (its digit strings are made from it only when a
    /// date needs them: most runs read are not part of one).
    run: &'a str,
    /// Arabic value, or Chinese positional value; None for placeholders.
    value: Option<u32>,
    has_placeholder: bool,
    all_placeholder: bool,
}

impl Num<'_> {
    fn len(&self) -> usize {
        self.chars
    }

    /// For Arabic runs of four chars: the digits with `X` for
    /// placeholders (None for another length).
    fn digits4(&self) -> Option<Year> {
        let mut y = [0u8; 4];
        let mut chars = self.run.chars();
        for slot in &mut y {
            *slot = arabic_digit(chars.next()?).map_or(b'X', ascii_digit);
        }
        chars.next().is_none().then_some(y)
    }

    /// For Chinese runs of four digits: the run read digit by digit
    /// (`二〇二四` → `2024`); None for another length or a char that is
    /// not a digit (`十`).
    fn digitwise4(&self) -> Option<Year> {
        let mut y = [0u8; 4];
        let mut chars = self.run.chars();
        for slot in &mut y {
            *slot = ascii_digit(cn_digit(chars.next()?)?);
        }
        chars.next().is_none().then_some(y)
    }
}

/// The maximal run of one digit class starting at `i`.
fn read_num<'a>(c: &Chars<'a>, i: usize) -> Option<Num<'a>> {
    let first = c.ch(i)?;
    if is_arabic_like(first) {
        let mut j = i;
        let mut n = 0;
        let mut value: Option<u32> = Some(0);
        let mut ph = 0;
        while let Some(ch) = c.ch(j) {
            if let Some(d) = arabic_digit(ch) {
                value = value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(d));
            } else if is_placeholder(ch) {
                ph += 1;
            } else {
                break;
            }
            j += ch.len_utf8();
            n += 1;
        }
        Some(Num {
            start: i,
            end: j,
            chars: n,
            class: Class::Arabic,
            run: c.text.get(i..j).unwrap_or_default(),
            value: if ph > 0 { None } else { value },
            has_placeholder: ph > 0,
            all_placeholder: ph == n,
        })
    } else if is_cn_numeral(first) {
        let mut j = i;
        // `cn_positional` reads at most three chars: keep those.
        let mut head = ['\0'; 3];
        let mut n = 0;
        while let Some(ch) = c.ch(j).filter(|&ch| is_cn_numeral(ch)) {
            if let Some(slot) = head.get_mut(n) {
                *slot = ch;
            }
            n += 1;
            j += ch.len_utf8();
        }
        Some(Num {
            start: i,
            end: j,
            chars: n,
            class: Class::Chinese,
            run: c.text.get(i..j).unwrap_or_default(),
            value: head.get(..n).and_then(cn_positional),
            has_placeholder: false,
            all_placeholder: false,
        })
    } else {
        None
    }
}

/// Where the run [`read_num`] would read from `i` ends, without building
/// its digits (most runs the scan meets are not dates).
fn num_end(c: &Chars, i: usize) -> usize {
    let Some(first) = c.ch(i) else { return i };
    let same: fn(char) -> bool = if is_arabic_like(first) {
        is_arabic_like
    } else if is_cn_numeral(first) {
        is_cn_numeral
    } else {
        return i;
    };
    let mut j = i;
    while let Some(ch) = c.ch(j).filter(|&ch| same(ch)) {
        j += ch.len_utf8();
    }
    j
}

/// May a number start at `i` (not inside a longer run, not inside a word
/// such as `box`)?
fn num_starts_at(c: &Chars, i: usize) -> bool {
    let Some(ch) = c.ch(i) else { return false };
    let prev = c.prev(i);
    if is_arabic_like(ch) {
        // A letter placeholder (`xx`) must not be part of a Latin word.
        let letter = ch.is_ascii_alphabetic();
        let inside_run =
            prev.is_some_and(|p| is_arabic_like(p) || (letter && p.is_ascii_alphabetic()));
        let word_follows = letter
            && c.ch(c.next(i))
                .is_some_and(|n| n.is_ascii_alphabetic() && !is_placeholder(n));
        !(inside_run || word_follows)
    } else if is_cn_numeral(ch) {
        !prev.is_some_and(is_cn_numeral)
    } else {
        false
    }
}

// ---------------------------------------------------------------------------
// Components

/// The EDTF year of a number written before 年, if it is one.
fn year_of(n: &Num, c: &Chars) -> Option<(Year, bool)> {
    match n.class {
        Class::Arabic if !n.has_placeholder => {
            let v = n.value?;
            if n.len() == 4 && (1800..=2199).contains(&v) {
                n.digits4().map(|y| (y, false))
            } else {
                None
            }
        }
        Class::Arabic if n.all_placeholder => {
            // `__年`, `XX年`: a hidden year, unless a counting word shows it
            // is a hidden duration (`近XX年`, `连续__年`).
            if n.len() < 2 && n.len() > 0 && !c.ch(n.start).is_some_and(|x| x == '_' || x == '＿')
            {
                return None;
            }
            if n.len() < 2 {
                return None;
            }
            let counting = c.prev(n.start).is_some_and(|p| {
                matches!(
                    p,
                    '近' | '续' | '第' | '满' | '达' | '约' | '每' | '了' | '期' | '时'
                )
            });
            (!counting).then_some((*b"XXXX", true))
        }
        Class::Arabic if n.len() == 4 => n.digits4().map(|y| (y, true)),
        Class::Arabic => None,
        Class::Chinese => {
            let d = n.digitwise4()?;
            matches!(d, [b'1', b'8' | b'9', ..] | [b'2', b'0', ..]).then_some((d, false))
        }
    }
}

/// A year component: `2024年`, `二〇二四年`, `20xx年`, `__年`; or a decade
/// `５０年代`. Returns (EDTF, placeholder, decade, end after 年/年代).
fn year_at(c: &Chars, i: usize) -> Option<(Year, bool, bool, usize)> {
    let n = read_num(c, i)?;
    let j = c.skip_gap(n.end);
    if !c.is(j, '年') {
        return None;
    }
    let after = c.next(j);
    if c.is(after, '代') {
        return decade_of(&n).map(|d| (d, false, true, c.next(after)));
    }
    if c.is(after, '级') {
        return None;
    }
    let (y, ph) = year_of(&n, c)?;
    // `2000多年`, `近2000年` are durations.
    if matches!(c.ch(after), Some('多' | '余'))
        || c.prev(i).is_some_and(|p| matches!(p, '近' | '约' | '逾'))
    {
        return None;
    }
    if n.all_placeholder
        && matches!(
            c.ch(after),
            Some('来' | '多' | '余' | '内' | '间' | '前' | '后' | '左')
        )
    {
        return None;
    }
    Some((y, ph, false, after))
}

/// `５０年代` → `195X`, `九十年代` → `199X`, `1990年代` → `199X`.
fn decade_of(n: &Num) -> Option<Year> {
    let v = n.value?;
    match (n.class, n.len()) {
        (Class::Arabic, 4) if v % 10 == 0 && (1800..=2190).contains(&v) => {
            // `v / 10` has three digits.
            let d = v / 10;
            Some([
                ascii_digit(d / 100),
                ascii_digit(d / 10 % 10),
                ascii_digit(d % 10),
                b'X',
            ])
        }
        (Class::Arabic, 2) if v % 10 == 0 && v < 100 => Some(decade_two(v)),
        (Class::Chinese, _) if v % 10 == 0 && v < 100 => Some(decade_two(v)),
        _ => None,
    }
}

/// The decade of a two-digit `v` below 100.
fn decade_two(v: u32) -> Year {
    // Two-digit decades are of the last century except the recent ones.
    let century = if v <= 10 { *b"20" } else { *b"19" };
    [century[0], century[1], ascii_digit(v / 10 % 10), b'X']
}

/// Which calendar field a component fills.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Year,
    Month,
    Day,
}

/// A month or day number: EDTF text and placeholder flag.
fn md_value(n: &Num, level: Level) -> Option<(Md, bool)> {
    match n.class {
        Class::Arabic if n.has_placeholder => {
            // One or two hidden digits (`x月`, `XX月`, `__日`).
            let underscores = n.len() <= 4;
            (n.len() <= 2 || underscores).then_some((*b"XX", true))
        }
        Class::Arabic => {
            let v = n.value?;
            // Two digits at most: below 100.
            (n.len() <= 2 && v >= 1).then(|| (two_digits(v), false))
        }
        Class::Chinese => {
            let v = n.value?;
            let max = if level == Level::Month { 12 } else { 31 };
            (v >= 1 && v <= max).then(|| (two_digits(v), false))
        }
    }
}

/// `format!("{v:02}")` for a month or day (every caller passes a value
/// below 100: at most two Arabic digits, or at most 31).
fn two_digits(v: u32) -> Md {
    [ascii_digit(v / 10 % 10), ascii_digit(v % 10)]
}

/// The ASCII digit of `d` (below 10).
fn ascii_digit(d: u32) -> u8 {
    b'0' + (d % 10) as u8
}

/// The value of an all-digit field (None when it holds an `X`).
fn field_value(f: &[u8]) -> Option<u32> {
    f.iter().try_fold(0u32, |v, &b| {
        b.is_ascii_digit().then(|| v * 10 + u32::from(b - b'0'))
    })
}

/// `N月` / `N月份` → (value, placeholder, number, end).
fn month_at<'a>(c: &Chars<'a>, i: usize) -> Option<(Md, bool, Num<'a>, usize)> {
    let n = read_num(c, i)?;
    let j = c.skip_gap(n.end);
    if !c.is(j, '月') {
        return None;
    }
    let (v, ph) = md_value(&n, Level::Month)?;
    let after = c.next(j);
    let end = if c.is(after, '份') {
        c.next(after)
    } else {
        after
    };
    Some((v, ph, n, end))
}

/// `N日` / `N号` → (value, placeholder, end).
fn day_at(c: &Chars, i: usize) -> Option<(Md, bool, usize)> {
    let n = read_num(c, i)?;
    let j = c.skip_gap(n.end);
    if !(c.is(j, '日') || c.is(j, '号')) {
        return None;
    }
    let (v, ph) = md_value(&n, Level::Day)?;
    Some((v, ph, c.next(j)))
}

/// A range separator at `i` (with blanks around): returns the index after it.
fn sep_at(c: &Chars, i: usize) -> Option<usize> {
    let mut j = c.skip_blank(i);
    match c.ch(j)? {
        d @ ('至' | '到' | '~' | '～' | '〜') => j += d.len_utf8(),
        d @ ('-' | '—' | '–' | '－' | '―' | '─') => {
            j += d.len_utf8();
            if c.is(j, d) {
                j += d.len_utf8();
            }
        }
        _ => return None,
    }
    Some(c.skip_blank(j))
}

// ---------------------------------------------------------------------------
// Expressions

/// An EDTF year: four ASCII digits or `X` (`2024`, `20XX`, `195X`).
type Year = [u8; 4];
/// An EDTF month or day: two ASCII digits, or `XX`.
type Md = [u8; 2];

/// Year, month, day, each as EDTF text, with placeholder flags. Fixed-size
/// ASCII fields: a point is built for every attempt, and its text is
/// written out only for the facts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Point {
    y: Option<Year>,
    m: Option<Md>,
    d: Option<Md>,
    ph: bool,
}

impl Point {
    fn finest(&self) -> Option<Level> {
        if self.d.is_some() {
            Some(Level::Day)
        } else if self.m.is_some() {
            Some(Level::Month)
        } else if self.y.is_some() {
            Some(Level::Year)
        } else {
            None
        }
    }
}

/// A date expression as written, before missing years are filled.
#[derive(Clone, Debug)]
struct Expr {
    start: usize,
    end: usize,
    left: Point,
    right: Option<Point>,
}

#[derive(Clone, Debug)]
enum Raw {
    Date(Expr),
    /// `今年` (0), `去年` (-1), `明年` (+1)…: char span and offset.
    Relative {
        start: usize,
        end: usize,
        offset: i32,
    },
}

/// Every date expression and relative year word, in text order, without
/// overlaps.
fn scan(c: &Chars) -> Vec<Raw> {
    let bytes = c.text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        // Pass over chars that start neither a number nor a relative year
        // word (nearly all): nothing below would act on them. First, in a
        // tight loop, the three-byte chars (Chinese and its punctuation)
        // that are most of the text.
        while let Some(&[b0, b1, b2]) = bytes.get(i..i + 3) {
            if b0 & 0xF0 != 0xE0 || bmp_bit(b0, b1, b2) {
                break;
            }
            i += 3;
        }
        let (width, may_start) = may_start_at(bytes, i);
        if !may_start {
            i += width;
            continue;
        }
        if num_starts_at(c, i) {
            let next = c.next(i);
            // Most runs are ASCII digits: read them by bytes. When the char
            // after them is no numeral, both the numeral run that
            // `could_be_date` reads and the run `num_end` skips end there.
            let (maybe, run_end) = match ascii_digits_end(bytes, i) {
                Some(j) => match c.ch(j) {
                    Some(ch) if is_numeral(ch) => (could_be_date(c, i), None),
                    // No blank to skip: the char itself must follow.
                    Some(ch) if !matches!(ch, ' ' | '\u{3000}' | '\u{a0}') => {
                        (is_date_follower(ch), Some(j))
                    }
                    _ => (c.ch(c.skip_blank(j)).is_some_and(is_date_follower), Some(j)),
                },
                _ => (could_be_date(c, i), None),
            };
            if let Some(e) = maybe.then(|| expr_at(c, i)).flatten() {
                i = e.end.max(next);
                out.push(Raw::Date(e));
                continue;
            }
            if let Some(e) = run_end.and_then(|j| labelled_compact_date(c, i, j)) {
                i = e.end;
                out.push(Raw::Date(e));
                continue;
            }
            // Skip the whole run: no date starts inside it.
            i = run_end.unwrap_or_else(|| num_end(c, i)).max(next);
            continue;
        }
        // A relative year word is a char and `年`: most chars that may
        // start one are not followed by it.
        if bytes.get(i + width..i + width + 3) != Some("年".as_bytes()) {
            i += width;
            continue;
        }
        if let Some(offset) = relative_at(c, i) {
            let end = c.next(c.next(i));
            out.push(Raw::Relative {
                start: i,
                end,
                offset,
            });
            i = end;
            continue;
        }
        i = c.next(i);
    }
    out
}

/// The byte width of the char at `i` and whether it may start a number or
/// a relative year word, from its bytes: a table for ASCII, a bitmap of
/// the Basic Multilingual Plane for three-byte chars (Chinese numerals,
/// the first chars of relative year words, full-width digits, `〇` …),
/// and `×` the one two-byte char that may. Chinese punctuation, nearly as
/// common as Chinese, is passed over as Chinese is.
#[inline]
fn may_start_at(bytes: &[u8], i: usize) -> (usize, bool) {
    let Some(&b) = bytes.get(i) else {
        return (1, false);
    };
    match b {
        0x00..=0x7F => (1, ASCII_START[b as usize]),
        0x80..=0xBF => (1, false),
        // `×` (U+00D7) is the one 2-byte char that may.
        0xC0..=0xDF => (2, b == 0xC3 && bytes.get(i + 1) == Some(&0x97)),
        0xE0..=0xEF => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&b1), Some(&b2)) => (3, bmp_bit(b, b1, b2)),
            // Truncated: the parser decodes properly.
            _ => (3, true),
        },
        _ => (4, false),
    }
}

/// ASCII chars that may start a number: digits and the placeholders.
static ASCII_START: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = true;
        b += 1;
    }
    t[b'x' as usize] = true;
    t[b'X' as usize] = true;
    t[b'_' as usize] = true;
    t[b'*' as usize] = true;
    t
};

/// The chars of a number run (what [`is_numeral`] accepts): digits,
/// full-width digits, placeholders and Chinese numerals.
const NUMERAL_CHARS: [char; 36] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'x', 'X', '_', '*', '×', '０', '１', '２',
    '３', '４', '５', '６', '７', '８', '９', '＊', 'Ｏ', 'Ｘ', '＿', 'ｘ', '□', '○', '〇', '零',
    '十', '一',
];
/// The rest of the Chinese digits, which are numerals too.
const CN_DIGITS_2_9: [char; 8] = ['二', '三', '四', '五', '六', '七', '八', '九'];
/// The first chars of relative year words (`今年`, `去年` …).
const RELATIVE_FIRST: [char; 6] = ['今', '本', '去', '上', '明', '前'];

/// The chars [`is_numeral`] accepts (all in the BMP).
static NUMERAL: CharBits = CharBits::of(&[&NUMERAL_CHARS, &CN_DIGITS_2_9]);

/// The three-byte chars that may start a number or a relative year word
/// (the table holds a few one- and two-byte ones too, which
/// [`may_start_at`] tests by itself).
static BMP_START: CharBits = CharBits::of(&[&NUMERAL_CHARS, &CN_DIGITS_2_9, &RELATIVE_FIRST]);

/// The [`BMP_START`] bit of the three-byte char encoded `b0 b1 b2` (`b0`
/// in 0xE0..=0xEF). It runs for nearly every char of the text.
#[inline(always)]
fn bmp_bit(b0: u8, b1: u8, b2: u8) -> bool {
    BMP_START.has_three_byte(b0, b1, b2)
}

/// The end of the run of ASCII digits at `i`, if one starts there.
#[inline]
fn ascii_digits_end(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i)?.is_ascii_digit() {
        return None;
    }
    let mut j = i + 1;
    while bytes.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    Some(j)
}

/// Cheap pre-check: a date's first number is followed by a calendar unit
/// or a separator (most runs, `一些`, `3000余册`, are not).
fn could_be_date(c: &Chars, i: usize) -> bool {
    let mut j = i;
    while let Some(ch) = c.ch(j).filter(|&ch| is_numeral(ch)) {
        j += ch.len_utf8();
    }
    let j = c.skip_blank(j);
    c.ch(j).is_some_and(is_date_follower)
}

/// The simple relative year words; not `一年来`, `近年来`, `上年纪`.
fn relative_at(c: &Chars, i: usize) -> Option<i32> {
    let year_at = c.next(i);
    if !c.is(year_at, '年') {
        return None;
    }
    let after = c.next(year_at);
    let offset = match c.ch(i)? {
        '今' | '本' => 0,
        '去' | '上' => -1,
        '明' => 1,
        '前' => -2,
        _ => return None,
    };
    if matches!(
        c.ch(after),
        Some('龄' | '纪' | '轻' | '级' | '代' | '限' | '头' | '华' | '月' | '日')
    ) {
        // `上年纪`, `本年级`… are not years; `上年月日` is not seen.
        if !(c.is(after, '月') && offset == 0) {
            return None;
        }
    }
    let prev = c.prev(i);
    let bad_prev = match c.ch(i)? {
        '上' => matches!(
            prev,
            Some('以' | '向' | '往' | '马' | '北' | '赶' | '加' | '之' | '迎' | '顶')
        ),
        '本' => matches!(
            prev,
            Some(
                '基' | '日'
                    | '资'
                    | '样'
                    | '成'
                    | '课'
                    | '读'
                    | '脚'
                    | '剧'
                    | '文'
                    | '版'
                    | '范'
                    | '账'
                    | '根'
                    | '书'
                    | '副'
                    | '标'
                    | '原'
                    | '蓝'
                    | '母'
                    | '善'
                    | '人'
            )
        ),
        '明' => matches!(
            prev,
            Some(
                '文' | '光'
                    | '黎'
                    | '说'
                    | '证'
                    | '表'
                    | '透'
                    | '聪'
                    | '发'
                    | '鲜'
                    | '清'
                    | '严'
                    | '分'
                    | '英'
                    | '开'
                    | '阐'
                    | '简'
                    | '高'
                    | '贤'
                    | '澄'
                    | '公'
                    | '申'
                    | '声'
                    | '查'
                    | '标'
                    | '注'
                    | '载'
                    | '指'
                    | '言'
            )
        ),
        '前' => matches!(
            prev,
            Some(
                '年' | '日'
                    | '月'
                    | '天'
                    | '周'
                    | '之'
                    | '以'
                    | '提'
                    | '当'
                    | '目'
                    | '空'
                    | '向'
                    | '超'
                    | '眼'
                    | '面'
                    | '门'
                    | '跟'
                    | '从'
                    | '生'
            )
        ),
        '去' => matches!(
            prev,
            Some(
                '过' | '出'
                    | '进'
                    | '回'
                    | '上'
                    | '下'
                    | '离'
                    | '失'
                    | '除'
                    | '来'
                    | '死'
                    | '抹'
                    | '删'
                    | '减'
            )
        ),
        _ => false,
    };
    (!bad_prev).then_some(offset)
}

/// Try to read a date expression whose first digit is at `i`.
fn expr_at(c: &Chars, i: usize) -> Option<Expr> {
    if let Some(e) = iso_at(c, i) {
        return Some(e);
    }
    let mut p = Point::default();
    let mut k = i;
    if let Some((y, ph, decade, end)) = year_at(c, i) {
        if decade {
            return Some(Expr {
                start: i,
                end,
                left: Point {
                    y: Some(y),
                    ..Point::default()
                },
                right: None,
            });
        }
        p.y = Some(y);
        p.ph |= ph;
        k = end;
    } else if let Some(e) = bare_left_range(c, i) {
        return Some(e);
    }

    // Month, or a month range inside one year (`2024年1-6月`).
    let km = if p.y.is_some() { c.skip_blank(k) } else { k };
    if let Some((m, ph, n, end)) = month_at(c, km) {
        if p.y.is_none() && !bare_month_ok(c, &n, end) {
            return None;
        }
        p.m = Some(m);
        p.ph |= ph;
        k = end;
        // Day, or a day range inside one month (`3月19-20日`).
        if let Some((d, ph, end)) = day_at(c, c.skip_blank(k)) {
            p.d = Some(d);
            p.ph |= ph;
            k = end;
        } else if let Some((d1, ph1, d2, ph2, end)) = slot_range(c, k, Level::Day) {
            let mut l = p;
            l.d = Some(d1);
            l.ph |= ph1;
            let mut r = p;
            r.d = Some(d2);
            r.ph |= ph2;
            return Some(Expr {
                start: i,
                end,
                left: l,
                right: Some(r),
            });
        }
    } else if p.y.is_some() {
        if let Some((m1, ph1, m2, ph2, end)) = slot_range(c, km, Level::Month) {
            let mut l = p;
            l.m = Some(m1);
            l.ph |= ph1;
            let mut r = p;
            r.m = Some(m2);
            r.ph |= ph2;
            return Some(Expr {
                start: i,
                end,
                left: l,
                right: Some(r),
            });
        }
    }
    p.finest()?;

    // A range of two points (`3月15日-12月15日`, `2023年12月至2024年2月`).
    if let Some(j) = sep_at(c, k) {
        if let Some((r, end)) = continuation(c, j, &p) {
            return Some(Expr {
                start: i,
                end,
                left: p,
                right: Some(r),
            });
        }
    }
    Some(Expr {
        start: i,
        end: k,
        left: p,
        right: None,
    })
}

/// A month without year or day must look like one: a value 1–12 (or a
/// placeholder), and for a Chinese numeral not `一月一次` (once a month).
fn bare_month_ok(c: &Chars, n: &Num, end: usize) -> bool {
    if c.is(end, '日') || c.is(end, '号') {
        return true;
    }
    let next_is_day = read_num(c, end).is_some_and(|d| {
        let j = c.skip_blank(d.end);
        c.is(j, '日') || c.is(j, '号')
    });
    if next_is_day {
        return true;
    }
    match n.class {
        Class::Arabic => n.has_placeholder || n.value.is_some_and(|v| (1..=12).contains(&v)),
        Class::Chinese => {
            !c.ch(end).is_some_and(is_cn_numeral)
                && !c
                    .prev(n.start)
                    .is_some_and(|p| matches!(p, '每' | '第' | '春'))
        }
    }
}

/// `N-M月` / `N至M日`: a range inside one slot. Returns both values, their
/// placeholder flags and the end.
fn slot_range(c: &Chars, i: usize, level: Level) -> Option<(Md, bool, Md, bool, usize)> {
    let n1 = read_num(c, i)?;
    let (v1, ph1) = md_value(&n1, level)?;
    let j = sep_at(c, n1.end)?;
    match level {
        Level::Month => {
            let (v2, ph2, _, end) = month_at(c, j)?;
            Some((v1, ph1, v2, ph2, end))
        }
        _ => {
            let (v2, ph2, end) = day_at(c, j)?;
            Some((v1, ph1, v2, ph2, end))
        }
    }
}

/// A range whose left end is a bare number: `2024-2025年`, `1—6月份`,
/// `8至10月`.
fn bare_left_range(c: &Chars, i: usize) -> Option<Expr> {
    let n1 = read_num(c, i)?;
    let j = sep_at(c, n1.end)?;
    if let Some((y2, ph2, decade, end)) = year_at(c, j) {
        if decade {
            return None;
        }
        let (y1, ph1) = year_of(&n1, c)?;
        return Some(Expr {
            start: i,
            end,
            left: Point {
                y: Some(y1),
                ph: ph1,
                ..Point::default()
            },
            right: Some(Point {
                y: Some(y2),
                ph: ph2,
                ..Point::default()
            }),
        });
    }
    let (m2, ph2, n2, end) = month_at(c, j)?;
    let (m1, ph1) = md_value(&n1, Level::Month)?;
    let small = |n: &Num| n.has_placeholder || n.value.is_some_and(|v| (1..=12).contains(&v));
    if !small(&n1) || !small(&n2) {
        return None;
    }
    Some(Expr {
        start: i,
        end,
        left: Point {
            m: Some(m1),
            ph: ph1,
            ..Point::default()
        },
        right: Some(Point {
            m: Some(m2),
            ph: ph2,
            ..Point::default()
        }),
    })
}

/// The right end of a range after a separator: as fine as the left end,
/// with the fields it leaves out taken from the left end.
fn continuation(c: &Chars, j: usize, left: &Point) -> Option<(Point, usize)> {
    let finest = left.finest()?;
    let mut r = Point::default();
    let mut k;
    if let Some((y, ph, decade, end)) = year_at(c, j) {
        if decade {
            return None;
        }
        r.y = Some(y);
        r.ph |= ph;
        k = end;
        if let Some((m, ph, _, end)) = month_at(c, c.skip_blank(k)) {
            r.m = Some(m);
            r.ph |= ph;
            k = end;
            if let Some((d, ph, end)) = day_at(c, k) {
                r.d = Some(d);
                r.ph |= ph;
                k = end;
            }
        }
    } else if let Some((m, ph, _, end)) = month_at(c, j) {
        left.m?;
        r.m = Some(m);
        r.ph |= ph;
        k = end;
        if let Some((d, ph, end)) = day_at(c, k) {
            r.d = Some(d);
            r.ph |= ph;
            k = end;
        }
    } else if finest == Level::Day {
        let (d, ph, end) = day_at(c, j)?;
        r.d = Some(d);
        r.ph |= ph;
        k = end;
    } else {
        return None;
    }
    if r.finest() != Some(finest) {
        return None;
    }
    if r.y.is_none() {
        r.y = left.y;
        r.ph |= left.ph && left.y.is_some_and(|y| y.contains(&b'X'));
    }
    if r.m.is_none() {
        r.m = left.m;
    }
    Some((r, k))
}

/// `2024-03-15`, `2024.3.15`, `2024/3/15` (and a range of two of them).
fn iso_at(c: &Chars, i: usize) -> Option<Expr> {
    let (p, end) = iso_point(c, i)?;
    if let Some(j) = sep_at(c, end) {
        if let Some((r, end2)) = iso_point(c, j) {
            return Some(Expr {
                start: i,
                end: end2,
                left: p,
                right: Some(r),
            });
        }
    }
    Some(Expr {
        start: i,
        end,
        left: p,
        right: None,
    })
}

/// `【 日  期 】19960711`: eight ASCII digits from byte `i` to `end`
/// without separators are a date only after a 日期 label (the header of a
/// newspaper archive); elsewhere such a run is an issue number or a code
/// (`【原刊期号】19970314`, `20240315001`).
fn labelled_compact_date(c: &Chars, i: usize, end: usize) -> Option<Expr> {
    let run = c.text.get(i..end)?;
    if run.len() != 8 {
        return None;
    }
    let field = |r: std::ops::Range<usize>| run.get(r)?.parse::<u32>().ok();
    let (y, m, d) = (field(0..4)?, field(4..6)?, field(6..8)?);
    if !(1900..=2199).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // The label, blanks skipped (`日  期 】`), read backwards.
    let mut label = c
        .text
        .get(..i)?
        .chars()
        .rev()
        .take(12)
        .filter(|ch| !ch.is_whitespace());
    let closing = label.next()?;
    if !(matches!(closing, '】' | '：' | ':') && label.next()? == '期' && label.next()? == '日')
    {
        return None;
    }
    // The fields parsed, so the run is ASCII digits: the EDTF is its bytes.
    let digits = run.as_bytes();
    let point = Point {
        y: Some(digits.get(0..4)?.try_into().ok()?),
        m: Some(digits.get(4..6)?.try_into().ok()?),
        d: Some(digits.get(6..8)?.try_into().ok()?),
        ph: false,
    };
    Some(Expr {
        start: i,
        end,
        left: point,
        right: None,
    })
}

fn iso_point(c: &Chars, i: usize) -> Option<(Point, usize)> {
    let y = read_num(c, i)?;
    if y.class != Class::Arabic || y.has_placeholder || y.len() != 4 {
        return None;
    }
    let yv = y.value?;
    if !(1900..=2199).contains(&yv) {
        return None;
    }
    let sep = c.ch(y.end)?;
    if !matches!(sep, '-' | '.' | '/' | '－' | '．' | '／') {
        return None;
    }
    let m = read_num(c, y.end + sep.len_utf8())?;
    if m.class != Class::Arabic || m.len() > 2 || !m.value.is_some_and(|v| (1..=12).contains(&v)) {
        return None;
    }
    if !c.is(m.end, sep) {
        return None;
    }
    let d = read_num(c, m.end + sep.len_utf8())?;
    if d.class != Class::Arabic || d.len() > 2 || !d.value.is_some_and(|v| (1..=31).contains(&v)) {
        return None;
    }
    // `2024.3.15.2` is a section number, not a date.
    if c.ch(d.end)
        .is_some_and(|n| n == sep && c.ch(d.end + sep.len_utf8()).is_some_and(is_arabic_like))
    {
        return None;
    }
    let p = Point {
        y: Some(y.digits4()?),
        m: Some(two_digits(m.value.unwrap_or(0))),
        d: Some(two_digits(d.value.unwrap_or(0))),
        ph: false,
    };
    Some((p, d.end))
}

// ---------------------------------------------------------------------------
// Filling years and writing facts

/// Year to use for `今年`: the document's year, or the year of its dateline
/// when the text was written the year after the one it reports on (a
/// report given in January on the past year says `去年` of that year).
fn now_year(ds: &DateScan<'_>, year: Option<i32>) -> Option<i32> {
    let year = year?;
    match dateline(ds) {
        Some((y, _)) if y == year + 1 => Some(y),
        _ => Some(year),
    }
}

/// The first dateline: a full explicit date alone on its line (a signature
/// date) or opening a speech line (`——2026年1月28日在…会议上`).
fn dateline(ds: &DateScan<'_>) -> Option<(i32, u32)> {
    let c = &ds.chars;
    for r in &ds.raws {
        let Raw::Date(e) = r else { continue };
        if e.right.is_some() || e.left.ph {
            continue;
        }
        let (Some(y), Some(m)) = (&e.left.y, &e.left.m) else {
            continue;
        };
        let (Some(y), Some(m)) = (field_value(y), field_value(m)) else {
            continue;
        };
        let Ok(y) = i32::try_from(y) else { continue };
        // Only blanks, brackets and dashes before it on its line.
        let mut b = e.start;
        let mut clean_before = true;
        while let Some(p) = c.prev(b) {
            if p == '\n' {
                break;
            }
            if !(p.is_whitespace()
                || matches!(p, '（' | '(' | '—' | '―' | '-' | '－' | '─' | '【' | '['))
            {
                clean_before = false;
                break;
            }
            b -= p.len_utf8();
        }
        if !clean_before {
            continue;
        }
        let mut a = e.end;
        while let Some(ch @ (' ' | '\u{3000}' | '\u{a0}' | '\t' | '）' | ')' | '】' | ']')) =
            c.ch(a)
        {
            a += ch.len_utf8();
        }
        let alone = matches!(c.ch(a), None | Some('\n' | '\r'));
        let speech = e.left.d.is_some() && c.is(a, '在');
        if alone || speech {
            return Some((y, m));
        }
    }
    None
}

/// Turn a raw expression into a fact, filling missing years.
fn finalize(c: &Chars<'_>, raw: &Raw, year: Option<i32>, now: Option<i32>) -> Option<Fact> {
    let (start, end) = match raw {
        Raw::Date(e) => (e.start, e.end),
        Raw::Relative { start, end, .. } => (*start, *end),
    };
    let span = Span::new(c.byte(start), c.byte(end));
    let data = match raw {
        Raw::Relative { offset, .. } => DateFact {
            value: now.map_or_else(|| "XXXX".to_string(), |y| (y + offset).to_string()),
            year_inferred: true,
            relative: true,
            placeholder: false,
        },
        Raw::Date(e) => {
            // A year-less date right after `去年` belongs to that year.
            let rel = relative_before(c, e.start);
            let fill = match (rel, now) {
                (Some(off), Some(n)) => Some(n + off),
                _ => year,
            };
            let mut inferred = false;
            // Written straight into one string (a value is at most two
            // points of `YYYY-MM-DD`).
            let mut edtf = |p: &Point, s: &mut String| {
                match &p.y {
                    Some(y) => s.extend(y.iter().map(|&b| char::from(b))),
                    None => {
                        inferred |= fill.is_some();
                        match fill {
                            Some(y) => {
                                let _ = write!(s, "{y:04}");
                            }
                            None => s.push_str("XXXX"),
                        }
                    }
                }
                for part in [&p.m, &p.d].into_iter().flatten() {
                    s.push('-');
                    s.extend(part.iter().map(|&b| char::from(b)));
                }
            };
            let mut value = String::with_capacity(24);
            edtf(&e.left, &mut value);
            if let Some(r) = &e.right {
                value.push('/');
                edtf(r, &mut value);
            }
            DateFact {
                value,
                year_inferred: inferred,
                relative: false,
                placeholder: e.left.ph || e.right.as_ref().is_some_and(|r| r.ph),
            }
        }
    };
    Some(Fact::new(span, FactData::Date(data)))
}

/// The offset of a relative year word (`今年`, `去年`) directly before `i`.
fn relative_before(c: &Chars, i: usize) -> Option<i32> {
    // Hard-wrapped texts break `今年\n2月`: skip a few blanks.
    let mut i = i;
    for _ in 0..3 {
        if let Some(p) = c.prev(i).filter(|p| p.is_whitespace()) {
            i -= p.len_utf8();
        }
    }
    let j = c.back(c.back(i)?)?;
    relative_at(c, j)
}

// ---------------------------------------------------------------------------
// The document's year

/// The year the document reports on, as a reader would decide it from the
/// explicit years with 年: a plan's year from its title, a report's past
/// year when it is dated early the next year, the year the title or a
/// `2024年是…`/`2024年工作总结` phrase names, else the most frequent year
/// (ties → the latest). None when no explicit year is written.
pub fn infer_year(text: &str) -> Option<i32> {
    infer_year_scanned(&DateScan::new(text))
}

/// [`infer_year`] over a scan already made.
pub fn infer_year_scanned(ds: &DateScan<'_>) -> Option<i32> {
    // End (byte offset) of the third non-blank line: the title zone.
    // Line by line (found with memchr): a line is non-blank at its first
    // non-blank char, so its other chars are never decoded.
    let head_end = {
        let mut lines = 0;
        let mut end = ds.text.len();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', ds.text.as_bytes()) {
            // `\n` is one byte: both ends are char boundaries.
            let line = ds.text.get(start..nl).unwrap_or_default();
            if line.chars().any(|ch| !ch.is_whitespace()) {
                lines += 1;
                if lines == 3 {
                    end = nl;
                    break;
                }
            }
            start = nl + 1;
        }
        end
    };
    let mut scores: Vec<(i32, f64)> = Vec::new();
    let mut mentioned: Vec<i32> = Vec::new();
    let mut plan_year: Option<i32> = None;
    let mut add = |y: i32, w: f64| match scores.iter_mut().find(|s| s.0 == y) {
        Some(s) => s.1 += w,
        None => scores.push((y, w)),
    };
    let c = &ds.chars;
    for r in &ds.raws {
        let Raw::Date(e) = r else { continue };
        // The explicit years of its (at most two) points.
        let mut buf = [0i32; 2];
        let mut n = 0;
        for y in std::iter::once(&e.left)
            .chain(e.right.iter())
            .filter_map(|p| p.y.as_ref())
            .filter_map(|y| field_value(y))
            .filter_map(|y| i32::try_from(y).ok())
        {
            if let Some(slot) = buf.get_mut(n) {
                *slot = y;
                n += 1;
            }
        }
        let years = buf.get(..n).unwrap_or_default();
        // Only explicit years are scored: most dates (`3月15日`) have none.
        if years.is_empty() {
            continue;
        }
        let base = if years.len() > 1 { 0.5 } else { 1.0 };
        let tail = following(c, e.end, 14);
        let in_head = c.byte(e.start) < head_end;
        // The title words count only in the head or for a year without a
        // month: elsewhere they are not looked for.
        let want_words = in_head || e.left.m.is_none();
        let is_plan = want_words
            && ["计划", "要点", "打算", "安排", "思路"]
                .iter()
                .any(|w| holds(tail, w));
        let is_title =
            want_words && (is_plan || ["总结", "报告", "回顾"].iter().any(|w| holds(tail, w)));
        let is_topic =
            tail.starts_with('是') || tail.starts_with('度') || preceded_by(c, e.start, "过去的");
        // A deadline or starting point (`到2035年`, `2000年以前`,
        // `1985年以来`) is not the year reported on.
        let is_bound = (c.prev(e.start) == Some('到')
            || (c.prev(e.start) == Some('至') && !preceded_by(c, e.start, "截至")))
            || ["前", "以前", "以来", "起", "开始"]
                .iter()
                .any(|w| tail.starts_with(w));
        for &y in years {
            mentioned.push(y);
            let mut w = if is_bound { base * 0.25 } else { base };
            if in_head {
                w += 3.0;
                if is_plan && years.len() == 1 && plan_year.is_none() {
                    plan_year = Some(y);
                }
            }
            if is_title && e.left.m.is_none() {
                w += 1.5;
            }
            if is_topic {
                w += 2.0;
            }
            add(y, w);
        }
    }
    if let Some(y) = plan_year {
        return Some(y);
    }
    if let Some((y, m)) = dateline(ds) {
        if m <= 6 && mentioned.contains(&(y - 1)) {
            return Some(y - 1);
        }
        if mentioned.contains(&y) {
            return Some(y);
        }
    }
    let best = scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    // Weak evidence in the text: an archive header's publication date
    // (`【原刊期号】199412`) tells the reader more.
    // (The header is read only when the text's evidence is weak.)
    match best {
        Some((y, w)) if w >= 2.0 => Some(y),
        _ => publication_year(ds.text).or(best.map(|b| b.0)),
    }
}

/// The year of an archive header line such as `【原刊期号】199412` or
/// `【 日  期 】19960711`.
fn publication_year(text: &str) -> Option<i32> {
    let head_bytes = text.len().min(2000);
    let head = text.get(..head_bytes).or_else(|| {
        let cut = (0..=head_bytes).rev().find(|&b| text.is_char_boundary(b))?;
        text.get(..cut)
    })?;
    for line in head.lines() {
        let Some(rest) = line.trim_start().strip_prefix('【') else {
            continue;
        };
        let Some((label, value)) = rest.split_once('】') else {
            continue;
        };
        let label: String = label.chars().filter(|ch| !ch.is_whitespace()).collect();
        if label != "原刊期号" && label != "日期" {
            continue;
        }
        let value = value.trim();
        if (6..=8).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
            let y: i32 = value.get(..4)?.parse().ok()?;
            if (1900..=2199).contains(&y) {
                return Some(y);
            }
        }
    }
    None
}

/// Up to `n` chars after `i`, stopping at a sentence end or a comma.
fn following<'a>(c: &Chars<'a>, i: usize, n: usize) -> &'a str {
    let mut j = i;
    for _ in 0..n {
        match c.ch(j) {
            Some(ch) if !is_sentence_end(ch) && ch != '，' && ch != '、' => j += ch.len_utf8(),
            _ => break,
        }
    }
    c.text.get(i..j).unwrap_or_default()
}

/// `tail.contains(w)` for the short words tested after a year, without
/// building a substring searcher for each (a byte match of one valid UTF-8
/// string in another always falls on char boundaries).
fn holds(tail: &str, w: &str) -> bool {
    tail.as_bytes().windows(w.len()).any(|x| x == w.as_bytes())
}

fn preceded_by(c: &Chars, i: usize, s: &str) -> bool {
    let mut j = i;
    for ch in s.chars().rev() {
        match c.prev(j) {
            Some(p) if p == ch => j -= p.len_utf8(),
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (surface, value) of the non-relative dates of `text`.
    fn dates(text: &str, year: Option<i32>) -> Vec<(String, String)> {
        extract_dates(text, year)
            .into_iter()
            .filter_map(|f| {
                let d = f.as_date()?;
                (!d.relative).then(|| (f.span.slice(text).to_string(), d.value.clone()))
            })
            .collect()
    }

    fn check(cases: &[(&str, &[(&str, &str)])]) {
        for (text, want) in cases {
            let got = dates(text, Some(2024));
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "text: {text}");
        }
    }

    /// The numeral table agrees with the tests it stands for, for every
    /// char.
    #[test]
    fn numeral_table_matches_the_tests() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                is_numeral(c),
                is_arabic_like(c) || is_cn_numeral(c),
                "{c:?}"
            );
        }
    }

    /// The scan's byte pre-test passes over a char only when the parser
    /// would do nothing there: checked for every char.
    #[test]
    fn pre_test_keeps_every_char_that_may_start() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let (width, may) = may_start_at(bytes, 0);
            assert_eq!(width, c.len_utf8(), "{c:?}");
            let starts = is_arabic_like(c)
                || is_cn_numeral(c)
                || matches!(c, '今' | '本' | '去' | '上' | '明' | '前');
            assert!(may || !starts, "{c:?}");
            assert_eq!(may, starts, "{c:?}");
        }
        // `O` is a digit only inside a Chinese run, never a start.
        assert!(!may_start_at(b"O", 0).1);
    }

    #[test]
    fn full_and_partial_dates() {
        check(&[
            (
                "2024年1月10日，县科协组织召开",
                &[("2024年1月10日", "2024-01-10")],
            ),
            ("2024年3月底", &[("2024年3月", "2024-03")]),
            ("2024年，县科协以", &[("2024年", "2024")]),
            ("3月23日，在全县召开", &[("3月23日", "2024-03-23")]),
            ("9月召开会议", &[("9月", "2024-09")]),
            ("今年八月份，以和平区", &[("八月份", "2024-08")]),
            ("二〇二四年三月", &[("二〇二四年三月", "2024-03")]),
            ("二○二四年", &[("二○二四年", "2024")]),
            ("十二月三十一日", &[("十二月三十一日", "2024-12-31")]),
            (
                "一九九五年一月十六日",
                &[("一九九五年一月十六日", "1995-01-16")],
            ),
            (
                "——二〇二六年一月二十七日在",
                &[("二〇二六年一月二十七日", "2026-01-27")],
            ),
            ("２０２４年３月", &[("２０２４年３月", "2024-03")]),
            (
                "（１９９７年２月２７日在",
                &[("１９９７年２月２７日", "1997-02-27")],
            ),
            ("2024.3.15", &[("2024.3.15", "2024-03-15")]),
            ("2024-03-15 会议", &[("2024-03-15", "2024-03-15")]),
            ("2024/3/15", &[("2024/3/15", "2024-03-15")]),
            ("时间：2026-02-02", &[("2026-02-02", "2026-02-02")]),
            // A compact date only after a 日期 label; an issue number or a
            // code is none, nor is an impossible month.
            ("【 日  期 】20230415\n", &[("20230415", "2023-04-15")]),
            ("出版日期：20011130", &[("20011130", "2001-11-30")]),
            ("【原刊期号】20230415\n", &[]),
            ("编号20230415", &[]),
            ("【 日  期 】20231315\n", &[]),
            ("【 日  期 】202304151\n", &[]),
            ("2026-02-03 09:02:33", &[("2026-02-03", "2026-02-03")]),
            ("3月5号上午", &[("3月5号", "2024-03-05")]),
            ("截至今年2月20 日已经办理", &[("2月20 日", "2024-02-20")]),
            (
                "收稿日期：1999年5月26日",
                &[("1999年5月26日", "1999-05-26")],
            ),
            ("2024年度工作", &[("2024年", "2024")]),
            ("1.3月20日在桐峪镇", &[("3月20日", "2024-03-20")]),
            (
                "2024 年 3 月 15 日",
                &[("2024 年 3 月 15 日", "2024-03-15")],
            ),
            ("____年__月__日", &[("____年__月__日", "XXXX-XX-XX")]),
            (
                "趋于频繁。１９７５\n年，数百年来",
                &[("１９７５\n年", "1975")],
            ),
        ]);
    }

    #[test]
    fn impossible_dates_kept_as_written() {
        check(&[
            ("2024年13月", &[("2024年13月", "2024-13")]),
            ("2月30日", &[("2月30日", "2024-02-30")]),
        ]);
    }

    #[test]
    fn placeholders() {
        check(&[
            ("一、20xx年重点工作", &[("20xx年", "20XX")]),
            ("20XX年", &[("20XX年", "20XX")]),
            ("现拟__年老科协", &[("__年", "XXXX")]),
            ("××年", &[("××年", "XXXX")]),
            ("XX年工作", &[("XX年", "XXXX")]),
            ("202X年", &[("202X年", "202X")]),
            ("x月x日", &[("x月x日", "2024-XX-XX")]),
            (
                "时间为__年3月15日-12月15日，并",
                &[("__年3月15日-12月15日", "XXXX-03-15/XXXX-12-15")],
            ),
        ]);
        let f = extract_dates("20xx年", Some(2024));
        assert!(f[0].as_date().is_some_and(|d| d.placeholder));
        let f = extract_dates("3月5日", Some(2024));
        assert!(f[0]
            .as_date()
            .is_some_and(|d| !d.placeholder && d.year_inferred));
    }

    #[test]
    fn ranges() {
        check(&[
            (
                "3月15日-12月15日",
                &[("3月15日-12月15日", "2024-03-15/2024-12-15")],
            ),
            ("（2024-2025年）", &[("2024-2025年", "2024/2025")]),
            ("（2024-2024年）》", &[("2024-2024年", "2024/2024")]),
            ("1—6月份同比增长", &[("1—6月份", "2024-01/2024-06")]),
            (
                "3月19日至20日，",
                &[("3月19日至20日", "2024-03-19/2024-03-20")],
            ),
            (
                "2023年12月至2024年2月",
                &[("2023年12月至2024年2月", "2023-12/2024-02")],
            ),
            ("从1990年到1994年分别为", &[("1990年到1994年", "1990/1994")]),
            ("工业1至11月增长9%", &[("1至11月", "2024-01/2024-11")]),
            ("2024年1-6月", &[("2024年1-6月", "2024-01/2024-06")]),
            ("3月19-20日", &[("3月19-20日", "2024-03-19/2024-03-20")]),
            ("2024年3月～5月", &[("2024年3月～5月", "2024-03/2024-05")]),
            (
                "１９９８年—２０００年",
                &[("１９９８年—２０００年", "1998/2000")],
            ),
            ("2024年——2025年", &[("2024年——2025年", "2024/2025")]),
            (
                "2022年7月、2023年8月",
                &[("2022年7月", "2022-07"), ("2023年8月", "2023-08")],
            ),
        ]);
    }

    #[test]
    fn decades() {
        check(&[
            ("从５０年代末起", &[("５０年代", "195X")]),
            ("90年代以来", &[("90年代", "199X")]),
            ("九十年代教育", &[("九十年代", "199X")]),
            ("1990年代", &[("1990年代", "199X")]),
        ]);
    }

    #[test]
    fn not_dates() {
        check(&[
            ("一年来，县科协", &[]),
            ("新的一年", &[]),
            ("近年来", &[]),
            ("“十四五”时期", &[]),
            ("第十七届", &[]),
            ("2024级新生", &[]),
            ("建党100周年", &[]),
            ("50周年大会", &[]),
            ("连续3年", &[]),
            ("三年来", &[]),
            ("为期一年", &[]),
            ("十年", &[]),
            ("全国科普日", &[]),
            ("〔2024〕2号", &[]),
            ("[2024]", &[]),
            ("中共中央［１９９５］１３号《通知》", &[]),
            ("8·22", &[]),
            ("一季度", &[]),
            ("21世纪", &[]),
            ("１９９１—１９９４", &[]),
            ("地铁4号线", &[]),
            ("3个月", &[]),
            ("10000年", &[]),
            ("1500年历史", &[]),
            ("近XX年来", &[]),
            ("19970314", &[]),
            ("版本2.0.1", &[]),
            ("一月一次", &[]),
            ("box年", &[]),
            ("15月", &[]),
            ("2000多年的历史", &[]),
            ("近2000年", &[]),
            ("阳春三月", &[]),
        ]);
    }

    #[test]
    fn relative_words() {
        let text = "今年以来，去年同期，明年，比上年增长，上年纪，以上年度，一年来";
        let got: Vec<(String, String)> = extract_dates(text, Some(2024))
            .into_iter()
            .filter(|f| f.as_date().is_some_and(|d| d.relative))
            .map(|f| {
                (
                    f.span.slice(text).to_string(),
                    f.as_date().map(|d| d.value.clone()).unwrap_or_default(),
                )
            })
            .collect();
        let want = [
            ("今年", "2024"),
            ("去年", "2023"),
            ("明年", "2025"),
            ("上年", "2023"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn relative_months_and_datelines() {
        // A month after 去年 takes the previous year.
        assert_eq!(
            dates("去年6月上旬", Some(2024)),
            vec![("6月".into(), "2023-06".into())]
        );
        assert_eq!(
            dates("截至去年\n2月", Some(2024)),
            vec![("2月".into(), "2023-02".into())]
        );
        assert_eq!(
            dates("于去年8至10月", Some(2024)),
            vec![("8至10月".into(), "2023-08/2023-10".into())]
        );
        // Spoken in early 2026 about 2025: 今年 is 2026, 去年 is 2025.
        let text = "报告\n——2026年1月28日在省人民代表大会上\n去年6月，今年2月，3月19日至20日";
        let got = dates(text, Some(2025));
        assert_eq!(got[1], ("6月".into(), "2025-06".into()));
        assert_eq!(got[2], ("2月".into(), "2026-02".into()));
        assert_eq!(
            got[3],
            ("3月19日至20日".into(), "2025-03-19/2025-03-20".into())
        );
    }

    #[test]
    fn no_year_means_unknown_digits() {
        assert_eq!(
            dates("3月23日", None),
            vec![("3月23日".into(), "XXXX-03-23".into())]
        );
    }

    #[test]
    fn infer_year_cases() {
        assert_eq!(
            infer_year("2024年工作总结\n2024年，我们……2023年的基础上"),
            Some(2024)
        );
        assert_eq!(
            infer_year("2025年工作计划\n2024年，我们完成了……2024年底……2024年"),
            Some(2025)
        );
        assert_eq!(infer_year("一、20xx年重点工作\n3月23日"), None);
        assert_eq!(infer_year("现拟__年老科协具体工作计划"), None);
        assert_eq!(infer_year("没有年份的文本"), None);
        assert_eq!(infer_year("（2024-2024年）科普部工作"), Some(2024));
        // Dated early in 2026 and looking back on 2025.
        assert_eq!(
            infer_year("2026年政府工作报告\n——2026年1月28日在省人民代表大会上\n过去的2025年，……2026年重点工作……2026年"),
            Some(2025)
        );
        // Most frequent, ties to the latest; document numbers do not count.
        assert_eq!(
            infer_year("正文\n\n\n\n1998年……1998年……1999年〔2003〕1号"),
            Some(1998)
        );
        assert_eq!(infer_year("正文\n\n\n\n1998年……1999年"), Some(1999));
        assert_eq!(infer_year("1998年是很不平凡的一年"), Some(1998));
    }

    fn cn_digitwise(n: u32) -> String {
        let d = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        n.to_string()
            .chars()
            .map(|c| d[c.to_digit(10).unwrap_or(0) as usize])
            .collect()
    }

    fn cn_positional_str(n: u32) -> String {
        let d = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        match n {
            1..=9 => d[n as usize].to_string(),
            10 => "十".into(),
            11..=19 => format!("十{}", d[(n - 10) as usize]),
            _ if n % 10 == 0 => format!("{}十", d[(n / 10) as usize]),
            _ => format!("{}十{}", d[(n / 10) as usize], d[(n % 10) as usize]),
        }
    }

    fn fullwidth(s: &str) -> String {
        s.chars()
            .map(|c| {
                c.to_digit(10)
                    .and_then(|d| char::from_u32('０' as u32 + d))
                    .unwrap_or(c)
            })
            .collect()
    }

    proptest! {
        #[test]
        fn full_dates_in_any_script(y in 1950u32..2100, m in 1u32..=12, d in 1u32..=28, script in 0..3usize, pre in "[，。a-w的在 ]{0,3}") {
            let written = match script {
                0 => format!("{y}年{m}月{d}日"),
                1 => fullwidth(&format!("{y}年{m}月{d}日")),
                _ => format!("{}年{}月{}日", cn_digitwise(y), cn_positional_str(m), cn_positional_str(d)),
            };
            let text = format!("{pre}{written}，召开会议");
            let got = dates(&text, Some(2024));
            prop_assert_eq!(got, vec![(written.clone(), format!("{y:04}-{m:02}-{d:02}"))]);
        }

        #[test]
        fn never_panics_and_spans_are_sound(s in "\\PC{0,40}", t in "[0-9０-９〇一二三十xX_年月日号代至到—\\-~ ]{0,30}") {
            for text in [s.as_str(), t.as_str(), &format!("{s}{t}{s}")] {
                let facts = extract_dates(text, Some(2024));
                let mut last_end = 0;
                for f in &facts {
                    prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
                    prop_assert!(f.span.start < f.span.end);
                    prop_assert!(f.span.start >= last_end);
                    last_end = f.span.end;
                }
                let _ = infer_year(text);
            }
        }
    }
}

//! Counts: a number with a unit or measure word (`3000余册`, `1500多人(次)`,
//! `约3000人次`, `40%以上`, `万余元`, `为期一年`, `46万群众`).
//!
//! One left-to-right scan: at each place a numeral can start, read it with
//! [`scan_number`], look up the unit after it (data: `units.tsv`), attach
//! the qualifiers around it, and veto what is no amount (data:
//! `count_exclusions.txt`, plus the rules below that need more than a
//! phrase: dates, year-like numbers, short quotes, `一` as an article).

use std::cell::Cell;
use std::collections::HashMap;

use super::number::{
    is_chinese_numeral_char, is_numeral_char, scan_bare_magnitude, scan_number, NumberMatch,
    NumeralKind,
};
use super::{char_at, char_count, utf8_len, CharBits, ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::{Approx, CountFact, Fact, FactData, Span};

/// A unit as listed in `units.tsv`.
#[derive(Debug, Clone)]
struct UnitEntry {
    unit: String,
    class: String,
    /// `class == "time"` and `class == "noun"`, decided once: they are
    /// asked for nearly every candidate.
    time: bool,
    noun: bool,
    /// Flag `figure` of `units.tsv`: a unit only after a magnitude
    /// (`10亿方`, `2万方`); elsewhere the surface starts a word (三方会谈,
    /// 3.0方案).
    figure_only: bool,
    /// `unit.is_ascii()`.
    ascii: bool,
    /// The normalized units the rules ask about, decided once (a string
    /// comparison per rule and candidate adds up).
    tag: UnitTag,
}

/// A normalized unit some rule of the extractor names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitTag {
    Other,
    /// 人
    Ren,
    /// 级
    Ji,
    /// 年
    Nian,
    /// 年度
    NianDu,
    /// %
    Percent,
    /// 届
    Jie,
    /// 个
    Ge,
    /// 期
    Qi,
}

impl UnitTag {
    fn of(unit: &str) -> Self {
        match unit {
            "人" => UnitTag::Ren,
            "级" => UnitTag::Ji,
            "年" => UnitTag::Nian,
            "年度" => UnitTag::NianDu,
            "%" => UnitTag::Percent,
            "届" => UnitTag::Jie,
            "个" => UnitTag::Ge,
            "期" => UnitTag::Qi,
            _ => UnitTag::Other,
        }
    }
}

impl UnitEntry {
    fn new(unit: String, class: String) -> Self {
        UnitEntry {
            time: class == "time",
            noun: class == "noun",
            figure_only: false,
            ascii: unit.is_ascii(),
            tag: UnitTag::of(&unit),
            unit,
            class,
        }
    }
    fn is_time(&self) -> bool {
        self.time
    }
    fn is_noun(&self) -> bool {
        self.noun
    }
}

/// A unit found after a number.
#[derive(Debug, Clone)]
struct UnitHit<'a> {
    entry: &'a UnitEntry,
    /// Byte offset where the unit starts.
    start: usize,
    /// Byte offset just past it (and its parenthesized alternative).
    end: usize,
    /// `个多月`: the unit itself carried "more than".
    more_than: bool,
    /// `个半月`, `一年半`: add one half.
    half: bool,
}

/// A set of strings as a char trie: a lookup walks the text once, one char
/// per level, instead of comparing every string that shares a first char.
/// The first level, the wide one, is a small hash table.
struct CharTrie {
    /// Per node: the range of its edges in `edges`, and its value
    /// (`NONE` when no string ends there).
    nodes: Vec<(u32, u32, u32)>,
    /// (char, child node), sorted by char within each node's range.
    edges: Vec<(char, u32)>,
    /// The root's children by char: (char as u32 or `EMPTY`, node), open
    /// addressing with linear probing.
    root: Box<[(u32, u32)]>,
    root_bits: u32,
}

impl CharTrie {
    const ROOT: u32 = 0;
    const NONE: u32 = u32::MAX;
    const EMPTY: u32 = u32::MAX;

    /// `keys`: (string, value).
    fn new<'k>(keys: impl IntoIterator<Item = (&'k str, u32)>) -> Self {
        let mut kids: Vec<Vec<(char, u32)>> = vec![Vec::new()];
        let mut value: Vec<u32> = vec![Self::NONE];
        for (k, v) in keys {
            let mut node = 0usize;
            for c in k.chars() {
                node = match kids[node].iter().find(|e| e.0 == c) {
                    Some(&(_, n)) => n as usize,
                    None => {
                        let n = kids.len();
                        kids.push(Vec::new());
                        value.push(Self::NONE);
                        kids[node].push((c, n as u32));
                        n
                    }
                };
            }
            value[node] = v;
        }
        let first: Vec<(char, u32)> = kids[0].clone();
        let mut nodes = Vec::with_capacity(kids.len());
        let mut edges = Vec::new();
        for (mut k, v) in kids.into_iter().zip(value) {
            k.sort_unstable();
            let lo = edges.len() as u32;
            edges.extend(k);
            nodes.push((lo, edges.len() as u32, v));
        }
        // At most a quarter full, so a probe rarely goes past one slot.
        let mut root_bits = 4;
        while (1usize << root_bits) < first.len() * 4 {
            root_bits += 1;
        }
        let mut root = vec![(Self::EMPTY, 0u32); 1 << root_bits].into_boxed_slice();
        let mask = root.len() - 1;
        for (c, n) in first {
            let mut h = Self::hash(c as u32, root_bits);
            while root[h].0 != Self::EMPTY {
                h = (h + 1) & mask;
            }
            root[h] = (c as u32, n);
        }
        CharTrie {
            nodes,
            edges,
            root,
            root_bits,
        }
    }

    fn hash(c: u32, bits: u32) -> usize {
        (c.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
    }

    fn child(&self, node: u32, c: char) -> Option<u32> {
        if node == Self::ROOT {
            let mask = self.root.len() - 1;
            let mut h = Self::hash(c as u32, self.root_bits);
            loop {
                let &(k, n) = self.root.get(h)?;
                if k == c as u32 {
                    return Some(n);
                }
                if k == Self::EMPTY {
                    return None;
                }
                h = (h + 1) & mask;
            }
        }
        let &(lo, hi, _) = self.nodes.get(node as usize)?;
        let edges = self.edges.get(lo as usize..hi as usize)?;
        // Below the root most nodes have a handful of edges: a linear look
        // (a few have many, 一 of the phrases has sixty).
        if edges.len() <= 8 {
            edges.iter().find(|e| e.0 == c).map(|e| e.1)
        } else {
            edges
                .binary_search_by(|e| e.0.cmp(&c))
                .ok()
                .and_then(|i| edges.get(i))
                .map(|e| e.1)
        }
    }

    /// Whether a string ends at `node`.
    fn has_value(&self, node: u32) -> bool {
        self.nodes
            .get(node as usize)
            .is_some_and(|n| n.2 != Self::NONE)
    }

    /// The longest string that goes on from `node` along a prefix of `s`
    /// (each char of `s` mapped by `map` first): its value and the byte
    /// length of that prefix of `s`.
    fn longest_from(
        &self,
        mut node: u32,
        s: &str,
        map: impl Fn(char) -> char,
    ) -> Option<(u32, usize)> {
        let mut best = None;
        let mut i = 0;
        // `next_char` puts the common chars together from their bytes.
        while let Some(c) = next_char(s, i) {
            let Some(n) = self.child(node, map(c)) else {
                break;
            };
            node = n;
            i += c.len_utf8();
            let Some(&(lo, hi, v)) = self.nodes.get(n as usize) else {
                break;
            };
            if v != Self::NONE {
                best = Some((v, i));
            }
            // A leaf (most units are one char): no next char to read.
            if lo == hi {
                break;
            }
        }
        best
    }
}

/// The unit surfaces (folded) and their entries, by first char. Nearly
/// every surface has one or two chars, and a lookup runs after every
/// numeral: one hash probe for the first char, then a comparison of the
/// second char against the few longer surfaces that start with it, no
/// walk of a trie char by char.
struct UnitIndex {
    /// First char (as u32, or `EMPTY`) → its slot; open addressing with
    /// linear probing, at most a quarter full.
    table: Box<[(u32, u32)]>,
    table_bits: u32,
    /// Per first char: the entry of the one-char surface (`NONE` when it
    /// is not one), and the range in `tails` of the longer surfaces.
    slots: Vec<(u32, u32, u32)>,
    /// The surfaces of two chars or more: their second char, their chars
    /// after the first, and their entry; per slot the ones with more
    /// chars first, so the first that matches is the longest.
    tails: Vec<(char, Box<str>, u32)>,
    entries: Vec<UnitEntry>,
}

impl UnitIndex {
    const NONE: u32 = u32::MAX;
    const EMPTY: u32 = u32::MAX;

    fn new(units: &HashMap<String, UnitEntry>) -> Self {
        let mut keys: Vec<&String> = units.keys().collect();
        keys.sort();
        let entries: Vec<UnitEntry> = keys.iter().filter_map(|k| units.get(*k).cloned()).collect();
        // A longer surface: (its chars, second char, chars after the first,
        // entry).
        type Longer<'k> = (usize, char, &'k str, u32);
        // First char → (one-char entry, longer surfaces).
        let mut firsts: Vec<(char, u32, Vec<Longer>)> = Vec::new();
        for (e, k) in keys.iter().enumerate() {
            let mut cs = k.chars();
            let Some(c) = cs.next() else { continue };
            let i = match firsts.iter().position(|f| f.0 == c) {
                Some(i) => i,
                None => {
                    firsts.push((c, Self::NONE, Vec::new()));
                    firsts.len() - 1
                }
            };
            let tail = cs.as_str();
            match tail.chars().next() {
                None => firsts[i].1 = e as u32,
                Some(second) => firsts[i]
                    .2
                    .push((tail.chars().count(), second, tail, e as u32)),
            }
        }
        let mut slots = Vec::with_capacity(firsts.len());
        let mut tails = Vec::new();
        for (_, single, mut longer) in firsts.iter().cloned() {
            longer.sort_by_key(|t| std::cmp::Reverse(t.0));
            let lo = tails.len() as u32;
            tails.extend(longer.into_iter().map(|(_, c, t, e)| (c, Box::from(t), e)));
            slots.push((single, lo, tails.len() as u32));
        }
        let mut table_bits = 4;
        while (1usize << table_bits) < firsts.len() * 4 {
            table_bits += 1;
        }
        let mut table = vec![(Self::EMPTY, 0u32); 1 << table_bits].into_boxed_slice();
        let mask = table.len() - 1;
        for (n, f) in firsts.iter().enumerate() {
            let mut h = CharTrie::hash(f.0 as u32, table_bits);
            while table[h].0 != Self::EMPTY {
                h = (h + 1) & mask;
            }
            table[h] = (f.0 as u32, n as u32);
        }
        UnitIndex {
            table,
            table_bits,
            slots,
            tails,
            entries,
        }
    }

    /// The slot of the (folded) first char `c`.
    #[inline]
    fn slot(&self, c: char) -> Option<(u32, u32, u32)> {
        let mask = self.table.len() - 1;
        let mut h = CharTrie::hash(c as u32, self.table_bits);
        loop {
            let &(k, n) = self.table.get(h)?;
            if k == c as u32 {
                return self.slots.get(n as usize).copied();
            }
            if k == Self::EMPTY {
                return None;
            }
            h = (h + 1) & mask;
        }
    }

    /// The longest surface of two chars or more of `slot`, its chars after
    /// the first read along a folded prefix of `s`: its entry and the byte
    /// length of that prefix of `s`.
    #[inline]
    fn longest_tail(&self, slot: (u32, u32, u32), s: &str) -> Option<(&UnitEntry, usize)> {
        let tails = self.tails.get(slot.1 as usize..slot.2 as usize)?;
        if tails.is_empty() {
            return None;
        }
        let second = fold(next_char(s, 0)?);
        for (c, tail, e) in tails {
            if *c != second {
                continue;
            }
            if let Some(len) = folded_prefix_len(s, tail) {
                return self.entries.get(*e as usize).map(|x| (x, len));
            }
        }
        None
    }

    /// The longest surface at the start of folded `s`: its entry and the
    /// byte length of that prefix of `s`.
    #[inline]
    fn longest(&self, s: &str) -> Option<(&UnitEntry, usize)> {
        let c = next_char(s, 0)?;
        let slot = self.slot(fold(c))?;
        let n = c.len_utf8();
        // Most first chars start no longer surface.
        if slot.1 < slot.2 {
            if let Some((e, len)) = self.longest_tail(slot, s.get(n..)?) {
                return Some((e, n + len));
            }
        }
        // `NONE` is no index.
        self.entries.get(slot.0 as usize).map(|e| (e, n))
    }

    /// The longest surface of two chars or more that starts with `first`,
    /// its chars after the first read along `s` (`个多月`: 月 after 个多).
    fn longest_after(&self, first: char, s: &str) -> Option<(&UnitEntry, usize)> {
        self.longest_tail(self.slot(first)?, s)
    }

    /// The entry of exactly the folded surface `s`.
    fn get(&self, s: &str) -> Option<&UnitEntry> {
        self.longest(s)
            .filter(|(_, len)| *len == s.len())
            .map(|(e, _)| e)
    }
}

/// The byte length of the prefix of `s` that reads `folded` once folded
/// (see [`fold`]), if `s` starts so.
#[inline]
fn folded_prefix_len(s: &str, folded: &str) -> Option<usize> {
    let mut i = 0;
    for f in folded.chars() {
        let c = next_char(s, i)?;
        if fold(c) != f {
            return None;
        }
        i += c.len_utf8();
    }
    Some(i)
}

pub struct CountExtractor {
    units: UnitIndex,
    /// One bit per BMP char: may a numeral start here, or is it a line
    /// end. The scan jumps from one such char to the next.
    start_bits: Box<[u64; 1024]>,
    /// Literal phrases that veto an overlapping count.
    phrases: CharTrie,
    /// One bit per BMP char: the first chars of the phrases.
    phrase_bits: Box<[u64; 1024]>,
    /// One bit per BMP char: is it in `start_bits` or `phrase_bits`, or a
    /// quotation mark (`is_quote_mark`). The survey of a text looks closer
    /// only at these.
    survey_bits: Box<[u64; 1024]>,
    /// Bit `d`: some phrase starts with the ASCII digit `d`.
    digit_phrase: u16,
    /// A phrase may start with two ASCII digits (or `phrase_pairs` is
    /// `None`): else a digit followed by a digit starts no phrase.
    digit_digit_phrase: bool,
    /// One bit per BMP char: `is_quote_mark` (all in the BMP).
    quote_bits: Box<[u64; 1024]>,
    /// One bit per BMP char: a char after which no numeral starts (the
    /// test on the char before a start).
    blocks_start: Box<[u64; 1024]>,
    /// Some phrase starts beyond the BMP (the survey then tries the phrase
    /// trie at every such char).
    astral_phrase: bool,
    /// The first two chars of the phrases, hashed into 4096 bits: most
    /// phrase-first chars (一 above all) start no phrase, and this tells
    /// so without walking the trie. `None` when a phrase has one char.
    phrase_pairs: Option<Box<[u64; 64]>>,
    /// With `phrase_pairs`: the first two chars of the two-char phrases,
    /// and the first three of the longer ones, hashed the same way. A
    /// common pair may begin only long phrases (科普 of 科普进万家): the
    /// third char then rules most of its places out.
    phrase_pair_ends: Box<[u64; 64]>,
    phrase_triples: Box<[u64; 64]>,
    /// (before, after) contexts that veto the numeral between them,
    /// indexed by the last char of `before` (or, when it is empty, by the
    /// first char of `after`) so a numeral is checked against a few only;
    /// sorted by that char for a binary search.
    contexts_by_pre: Vec<(char, Vec<Context>)>,
    contexts_by_post: Vec<(char, Vec<Context>)>,
    /// Line prefixes that mark debris lines.
    line_prefixes: Vec<String>,
    /// The bytes a debris line can start with: the first bytes of the
    /// prefixes and of the blanks `debris_line` skips.
    debris_first: [bool; 256],
    /// The first chars of `line_prefixes`, as a filter (`may_contain`: a
    /// shift and a load) for the many lines that start with no debris
    /// prefix.
    line_prefix_first: Box<CharBits>,
    /// Filters on the chars `contexts_by_pre` and `contexts_by_post` are
    /// indexed by, for the many numerals with no context of the exclusion
    /// list.
    context_pre_chars: Box<CharBits>,
    context_post_chars: Box<CharBits>,
}

/// A (before, after) context of the exclusion list (`PRE{N}POST`), with
/// the chars nearest to the one its list is indexed by: a numeral's
/// neighbours rule out most contexts of a list without comparing strings.
struct Context {
    pre: String,
    post: String,
    /// In `contexts_by_pre`: the char of `pre` before its last one, if any.
    pre_near: Option<char>,
    /// The first char of `post` (in `contexts_by_pre`) or its second one
    /// (in `contexts_by_post`), if any.
    post_near: Option<char>,
}

/// A char at which a numeral may start.
fn is_start_char(c: char) -> bool {
    is_numeral_char(c)
        || is_placeholder_char(c)
        || matches!(c, '数' | '上' | '成' | '几' | '_' | '＿')
}

/// A hash of two chars into 12 bits (for `phrase_pairs`).
fn pair_hash(a: char, b: char) -> usize {
    pair_hash_u(a as u32, b as u32)
}

fn pair_hash_u(a: u32, b: u32) -> usize {
    (a.wrapping_mul(0x9E37_79B1) ^ b.wrapping_mul(0x85EB_CA6B)) as usize >> 20 & 4095
}

/// A hash of three chars into 12 bits (for `phrase_triples`).
fn triple_hash(a: u32, b: u32, c: u32) -> usize {
    (a.wrapping_mul(0x9E37_79B1) ^ b.wrapping_mul(0x85EB_CA6B) ^ c.wrapping_mul(0xC2B2_AE35))
        as usize
        >> 20
        & 4095
}

/// A char after which no numeral starts: a numeral goes on there, or it
/// is part of a code or a word (`5G`, `No.3`, `A-3`, `〔2024〕`).
fn blocks_start_after(p: char) -> bool {
    is_numeral_char(p)
        || p.is_ascii_alphanumeric()
        || is_placeholder_char(p)
        || matches!(
            p,
            '.' | '．' | '_' | '＿' | '/' | '-' | '+' | '#' | '@' | '〔' | '['
        )
}

/// A financial numeral (`伍`, `陆`, `拾`) right before an Arabic digit or a
/// vague prefix ends a word (`队伍100支`, `登陆3次`, `队伍上万支`): the two
/// never make one numeral, so the count may start there.
fn ends_word_not_numeral(p: char) -> bool {
    matches!(
        p,
        '壹' | '贰'
            | '貳'
            | '叁'
            | '叄'
            | '參'
            | '肆'
            | '伍'
            | '陆'
            | '陸'
            | '柒'
            | '捌'
            | '玖'
            | '拾'
            | '佰'
            | '仟'
    )
}

/// Fold full-width parentheses so `人（次）` and `人(次)` look up alike.
fn fold(c: char) -> char {
    match c {
        '（' => '(',
        '）' => ')',
        _ => c,
    }
}

impl CountExtractor {
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        let mut units = HashMap::new();
        let file = data.file("units.tsv")?;
        for (f, n, line) in file.lines() {
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cols.len() < 2 || cols[0].is_empty() || cols[1].is_empty() {
                return Err(DataError::new(
                    f,
                    n,
                    "expected SURFACE<TAB>UNIT[<TAB>CLASS[<TAB>figure]]",
                ));
            }
            let figure_only = match cols.get(3).copied() {
                None | Some("") => false,
                Some("figure") => true,
                Some(_) => return Err(DataError::new(f, n, "the only flag is `figure`")),
            };
            let surface: String = cols[0].chars().map(fold).collect();
            let unit = if cols[1] == "=" {
                cols[0].to_string()
            } else {
                cols[1].to_string()
            };
            let class = cols.get(2).copied().unwrap_or("other").to_string();
            // Later lines (the user's) override earlier ones.
            let mut entry = UnitEntry::new(unit, class);
            entry.figure_only = figure_only;
            units.insert(surface, entry);
        }

        let mut phrases = Vec::new();
        let mut contexts = Vec::new();
        let mut line_prefixes = Vec::new();
        let file = data.file("count_exclusions.txt")?;
        for (f, n, line) in file.lines() {
            let t = line.trim();
            if let Some(p) = t.strip_prefix('^') {
                if p.is_empty() {
                    return Err(DataError::new(f, n, "empty line prefix"));
                }
                line_prefixes.push(p.to_string());
            } else if let Some((pre, post)) = t.split_once("{N}") {
                if post.contains("{N}") {
                    return Err(DataError::new(f, n, "at most one {N} per pattern"));
                }
                contexts.push((pre.to_string(), post.to_string()));
            } else {
                phrases.push(t.to_string());
            }
        }
        phrases.sort();
        phrases.dedup();
        let phrase_trie = CharTrie::new(phrases.iter().map(|p| (p.as_str(), 0)));
        let mut contexts_by_pre: Vec<(char, Vec<Context>)> = Vec::new();
        let mut contexts_by_post: Vec<(char, Vec<Context>)> = Vec::new();
        for (pre, post) in contexts {
            if let Some(c) = pre.chars().next_back() {
                let x = Context {
                    pre_near: pre.chars().rev().nth(1),
                    post_near: post.chars().next(),
                    pre,
                    post,
                };
                match contexts_by_pre.iter_mut().find(|e| e.0 == c) {
                    Some(e) => e.1.push(x),
                    None => contexts_by_pre.push((c, vec![x])),
                }
            } else if let Some(c) = post.chars().next() {
                let x = Context {
                    pre_near: None,
                    post_near: post.chars().nth(1),
                    pre,
                    post,
                };
                match contexts_by_post.iter_mut().find(|e| e.0 == c) {
                    Some(e) => e.1.push(x),
                    None => contexts_by_post.push((c, vec![x])),
                }
            }
        }
        contexts_by_pre.sort_by_key(|e| e.0);
        contexts_by_post.sort_by_key(|e| e.0);
        let mut start_bits = Box::new([0u64; 1024]);
        for u in 0..0x10000u32 {
            if let Some(c) = char::from_u32(u) {
                if c == '\n' || is_start_char(c) {
                    start_bits[(u >> 6) as usize] |= 1 << (u & 63);
                }
            }
        }
        let mut phrase_bits = Box::new([0u64; 1024]);
        let mut astral_phrase = false;
        for c in phrases.iter().filter_map(|p| p.chars().next()) {
            let u = c as u32;
            match phrase_bits.get_mut((u >> 6) as usize) {
                Some(w) => *w |= 1 << (u & 63),
                None => astral_phrase = true,
            }
        }
        let mut blocks_start = Box::new([0u64; 1024]);
        for u in 0..0x10000u32 {
            if char::from_u32(u).is_some_and(blocks_start_after) {
                blocks_start[(u >> 6) as usize] |= 1 << (u & 63);
            }
        }
        let mut phrase_pairs = Some(Box::new([0u64; 64]));
        let mut phrase_pair_ends = Box::new([0u64; 64]);
        let mut phrase_triples = Box::new([0u64; 64]);
        for p in &phrases {
            let mut cs = p.chars();
            match (cs.next(), cs.next()) {
                (Some(a), Some(b)) => {
                    if let Some(bits) = phrase_pairs.as_mut() {
                        let h = pair_hash(a, b);
                        bits[h >> 6] |= 1 << (h & 63);
                    }
                    match cs.next() {
                        Some(c) => {
                            let h = triple_hash(a as u32, b as u32, c as u32);
                            phrase_triples[h >> 6] |= 1 << (h & 63);
                        }
                        None => {
                            let h = pair_hash(a, b);
                            phrase_pair_ends[h >> 6] |= 1 << (h & 63);
                        }
                    }
                }
                _ => phrase_pairs = None,
            }
        }
        let mut digit_phrase = 0u16;
        for (k, d) in ('0'..='9').enumerate() {
            let u = d as u32;
            if (phrase_bits[(u >> 6) as usize] >> (u & 63)) & 1 != 0 {
                digit_phrase |= 1 << k;
            }
        }
        let digit_digit_phrase = phrase_pairs.is_none()
            || phrases.iter().any(|p| {
                let mut cs = p.chars();
                cs.next().is_some_and(|c| c.is_ascii_digit())
                    && cs.next().is_some_and(|c| c.is_ascii_digit())
            });
        let mut survey_bits = start_bits.clone();
        for (i, w) in survey_bits.iter_mut().enumerate() {
            *w |= phrase_bits[i];
        }
        let mut quote_bits = Box::new([0u64; 1024]);
        for u in 0..0x10000u32 {
            if char::from_u32(u).is_some_and(is_quote_mark) {
                survey_bits[(u >> 6) as usize] |= 1 << (u & 63);
                quote_bits[(u >> 6) as usize] |= 1 << (u & 63);
            }
        }
        let mut debris_first = [false; 256];
        for p in line_prefixes
            .iter()
            .map(String::as_str)
            .chain([" ", "\t", "　", ">", "\u{feff}"])
        {
            if let Some(&b) = p.as_bytes().first() {
                debris_first[b as usize] = true;
            }
        }
        let mut line_prefix_first = Box::new(CharBits::of(&[]));
        for c in line_prefixes.iter().filter_map(|p| p.chars().next()) {
            line_prefix_first.insert(c);
        }
        let mut context_pre_chars = Box::new(CharBits::of(&[]));
        for (c, _) in &contexts_by_pre {
            context_pre_chars.insert(*c);
        }
        let mut context_post_chars = Box::new(CharBits::of(&[]));
        for (c, _) in &contexts_by_post {
            context_post_chars.insert(*c);
        }
        Ok(CountExtractor {
            debris_first,
            line_prefix_first,
            context_pre_chars,
            context_post_chars,
            units: UnitIndex::new(&units),
            start_bits,
            phrases: phrase_trie,
            phrase_bits,
            survey_bits,
            digit_phrase,
            digit_digit_phrase,
            quote_bits,
            blocks_start,
            phrase_pairs,
            phrase_pair_ends,
            phrase_triples,
            astral_phrase,
            contexts_by_pre,
            contexts_by_post,
            line_prefixes,
        })
    }

    /// The longest listed unit at the start of `s`: its entry and byte length.
    fn longest(&self, s: &str) -> Option<(&UnitEntry, usize)> {
        self.units.longest(s)
    }

    /// The longest unit starting at byte `at`.
    fn unit_at(&self, text: &str, at: usize) -> Option<UnitHit<'_>> {
        let rest = text.get(at..)?;
        let (entry, mut end) = self.longest(rest)?;
        // An ASCII unit must not run on into a word (`5G` is no `5 G…`).
        if entry.ascii && rest[end..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let mut hit = UnitHit {
            entry,
            start: at,
            end: at + end,
            more_than: false,
            half: false,
        };
        // `个多月`, `个半小时`: the qualifier sits inside the unit.
        if rest.starts_with('个') && end == '个'.len_utf8() {
            let after = &rest[end..];
            if let Some(q) = after
                .chars()
                .next()
                .filter(|c| matches!(c, '多' | '余' | '半'))
            {
                let tail = &after[q.len_utf8()..];
                // The surfaces that go on from `个`, read along the tail.
                let inner = self.units.longest_after('个', tail);
                if let Some((inner, tlen)) = inner {
                    hit.entry = inner;
                    hit.end = at + end + q.len_utf8() + tlen;
                    hit.more_than = q != '半';
                    hit.half = q == '半';
                    return Some(hit);
                }
            }
        }
        // `份(册)`, `盒（件）`: an alternative unit in parentheses.
        // `(` or `（` (EF BC 88), told by the bytes.
        let open = match text.as_bytes().get(hit.end..) {
            Some([b'(', ..]) => 1,
            Some([0xEF, 0xBC, 0x88, ..]) => 3,
            _ => 0,
        };
        if open > 0 {
            let inner_at = hit.end + open;
            if let Some(inner) = self.unit_at(text, inner_at) {
                if let Some(close) = next_char(text, inner.end).filter(|c| matches!(c, ')' | '）'))
                {
                    end = inner.end + close.len_utf8() - at;
                    hit.end = at + end;
                }
            }
        }
        Some(hit)
    }

    /// True when some (before, after) context of the exclusion list holds
    /// around the numeral `[start, end)`.
    fn context_excluded(&self, text: &str, start: usize, end: usize) -> bool {
        let by_pre = prev_char(text, start)
            .filter(|&c| self.context_pre_chars.may_contain(c))
            .and_then(|c| {
                let i = self
                    .contexts_by_pre
                    .binary_search_by_key(&c, |e| e.0)
                    .ok()?;
                self.contexts_by_pre.get(i).map(|e| (c, &e.1))
            });
        let by_post = next_char(text, end)
            .filter(|&c| self.context_post_chars.may_contain(c))
            .and_then(|c| {
                let i = self
                    .contexts_by_post
                    .binary_search_by_key(&c, |e| e.0)
                    .ok()?;
                self.contexts_by_post.get(i).map(|e| (c, &e.1))
            });
        // Nearly every numeral has neither: the text around it is sliced
        // only for the few that do.
        if by_pre.is_none() && by_post.is_none() {
            return false;
        }
        let before = &text[..start];
        let after = &text[end..];
        // The chars next to the one a list was found by rule out most of
        // its contexts before any string comparison (`2024年` against
        // `{N}年级`, `{N}年规划`, …).
        if let Some((c, v)) = by_pre {
            let before_c = prev_char(text, start - c.len_utf8());
            let after_n = next_char(text, end);
            if v.iter().any(|x| {
                x.pre_near.is_none_or(|k| before_c == Some(k))
                    && x.post_near.is_none_or(|k| after_n == Some(k))
                    && before.ends_with(x.pre.as_str())
                    && after.starts_with(x.post.as_str())
            }) {
                return true;
            }
        }
        by_post.is_some_and(|(c, v)| {
            let second = next_char(text, end + c.len_utf8());
            v.iter().any(|x| {
                x.post_near.is_none_or(|k| second == Some(k)) && after.starts_with(x.post.as_str())
            })
        })
    }

    /// Whether the line starting at the start of `rest` is debris. Only the
    /// line's start is looked at, so `rest` may run on past the line end
    /// (no prefix holds a line end): the caller finds the end only for the
    /// few debris lines.
    fn debris_line(&self, rest: &str) -> bool {
        if !rest
            .as_bytes()
            .first()
            .is_some_and(|&b| self.debris_first[b as usize])
        {
            return false;
        }
        let t = trim_blanks(rest);
        // Most lines start with a char no prefix starts with: skip the
        // per-prefix comparisons for them (this runs once per line, and
        // the indented lines pass the byte test above).
        if !next_char(t, 0).is_some_and(|c| self.line_prefix_first.may_contain(c)) {
            return false;
        }
        let first = t.as_bytes().first().copied().unwrap_or(0);
        self.line_prefixes
            .iter()
            .any(|p| p.as_bytes().first() == Some(&first) && t.starts_with(p.as_str()))
    }
}

/// `s.trim_start_matches([' ', '\t', '　', '>', '\u{feff}'])`, on the
/// bytes (this runs at every indented line).
fn trim_blanks(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        match b.get(i..) {
            Some([b' ' | b'\t' | b'>', ..]) => i += 1,
            // `　` is E3 80 80, U+FEFF is EF BB BF.
            Some([0xE3, 0x80, 0x80, ..] | [0xEF, 0xBB, 0xBF, ..]) => i += 3,
            _ => break,
        }
    }
    s.get(i..).unwrap_or("")
}

/// Qualifiers written before a number, longest first.
const PRE_QUALIFIERS: &[(&str, Approx)] = &[
    ("不少于", Approx::AtLeast),
    ("不低于", Approx::AtLeast),
    ("不超过", Approx::AtMost),
    ("不多于", Approx::AtMost),
    ("不高于", Approx::AtMost),
    ("不大于", Approx::AtMost),
    ("至少", Approx::AtLeast),
    ("最少", Approx::AtLeast),
    ("至多", Approx::AtMost),
    ("最多", Approx::AtMost),
    ("不到", Approx::LessThan),
    ("不足", Approx::LessThan),
    ("少于", Approx::LessThan),
    ("超过", Approx::MoreThan),
    ("超出", Approx::MoreThan),
    ("突破", Approx::MoreThan),
    ("多于", Approx::MoreThan),
    ("大于", Approx::MoreThan),
    ("接近", Approx::About),
    ("将近", Approx::About),
    ("大约", Approx::About),
    ("大概", Approx::About),
    ("约", Approx::About),
    ("近", Approx::About),
    ("逾", Approx::MoreThan),
    ("超", Approx::MoreThan),
];

/// The last chars of [`PRE_QUALIFIERS`].
fn ends_pre_qualifier(c: char) -> bool {
    matches!(
        c,
        '于' | '过' | '少' | '多' | '到' | '足' | '出' | '破' | '近' | '约' | '概' | '逾' | '超'
    )
}

/// Qualifiers written after the unit.
const POST_QUALIFIERS: &[(&str, Approx)] = &[
    ("或以上", Approx::MoreThan),
    ("及以上", Approx::MoreThan),
    ("以上", Approx::MoreThan),
    ("有余", Approx::MoreThan),
    ("以下", Approx::AtMost),
    ("以内", Approx::AtMost),
    ("之内", Approx::AtMost),
    ("左右", Approx::About),
    ("上下", Approx::About),
];

/// The first chars of [`POST_QUALIFIERS`].
fn starts_post_qualifier(c: char) -> bool {
    matches!(c, '或' | '及' | '以' | '有' | '之' | '左' | '上')
}

/// Whether the run of digits and placeholder chars at the start of `rest`
/// holds a placeholder char, as `try_placeholder` needs: the first char
/// after its leading digits must be one. Most figures are plain digits and
/// skip the placeholder reading this way.
fn run_has_placeholder(rest: &str) -> bool {
    let b = rest.as_bytes();
    let mut i = 0;
    loop {
        match b.get(i) {
            Some(b'0'..=b'9') => i += 1,
            // `０`–`９` are EF BC 90–99.
            Some(0xEF)
                if b.get(i + 1) == Some(&0xBC) && matches!(b.get(i + 2), Some(0x90..=0x99)) =>
            {
                i += 3
            }
            _ => break,
        }
    }
    // `is_placeholder_char` on the bytes: `x`, `X`, `ｘ` (EF BD 98),
    // `Ｘ` (EF BC B8), `×` (C3 97).
    matches!(
        b.get(i..),
        Some(
            [b'x' | b'X', ..] | [0xEF, 0xBD, 0x98, ..] | [0xEF, 0xBC, 0xB8, ..] | [0xC3, 0x97, ..]
        )
    )
}

/// Characters that join two numbers of one range (`2—3名`).
fn is_range_joiner(c: char) -> bool {
    matches!(c, '-' | '—' | '–' | '－' | '~' | '～' | '〜' | '至' | '到')
}

/// Characters that join two numbers sharing the unit of the last one.
fn is_list_joiner(c: char) -> bool {
    matches!(c, '和' | '与' | '及' | '、' | '或')
}

/// End of a clause: after `一`+measure word here it states an amount
/// (`科普长廊一处，`).
fn is_clause_end(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '；'
            | '！'
            | '？'
            | '、'
            | '：'
            | ','
            | ';'
            | '.'
            | '!'
            | '?'
            | ':'
            | '）'
            | ')'
            | '\n'
            | '\r'
            | '”'
            | '"'
            | '」'
            | '》'
    )
}

fn is_cjk_ideograph(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

fn is_placeholder_char(c: char) -> bool {
    matches!(c, 'x' | 'X' | 'ｘ' | 'Ｘ' | '×')
}

/// Characters that may precede a Chinese numeral inside one jieba word
/// (`为期一年`, `共四个`, `近两年`) without making it part of another word.
fn is_word_prefix_ok(c: char) -> bool {
    "约近共达每这超逾计仅只各有和及与再又逐累合总连续为期过去来了等余将达到其中分别增加减少新建完成举办开展培训发放组织近年"
        .contains(c)
}

/// Whether the text before byte `at` ends with a numeral char, or with one
/// and its 余/多 (`90余` before `万亩`).
fn ends_in_numeral(text: &str, at: usize) -> bool {
    match prev_char(text, at) {
        Some('余' | '多') => prev_char(text, at - '余'.len_utf8()).is_some_and(is_numeral_char),
        Some(p) => is_numeral_char(p),
        None => false,
    }
}

/// Qualifiers after which a bare magnitude is a figure (`超千亿元`,
/// `近百场`, `突破万亿元`); without one, `百场` or `千亿` is a word or a
/// size class. `约` is left out: it ends words (节约, 条约) too often.
const MAGNITUDE_LEAD_INS: &[&str] = &["超过", "突破", "接近", "将近", "超", "近", "逾"];

/// Whether the text before byte `at` ends with one of
/// [`MAGNITUDE_LEAD_INS`] used as a qualifier (not 最近, 附近, 赶超).
fn magnitude_lead_in(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at) else {
        return false;
    };
    MAGNITUDE_LEAD_INS
        .iter()
        .any(|q| before.ends_with(q) && !ends_word_with_qualifier(text, at - q.len(), q))
}

/// Whether the qualifier `q` at byte `qs` is the end of another word
/// (附近, 最近, 赶超, 高超) rather than "nearly" or "over".
fn ends_word_with_qualifier(text: &str, qs: usize, q: &str) -> bool {
    let p = prev_char(text, qs);
    match q {
        "近" => {
            p.is_some_and(|p| matches!(p, '附' | '最' | '邻' | '临' | '就' | '靠' | '亲' | '贴'))
        }
        "超" => p.is_some_and(|p| matches!(p, '赶' | '高')),
        _ => false,
    }
}

/// Whether a veto phrase at byte `at` that starts with `c` is the end of a
/// figure led by a vague prefix or a qualifier (`数万亩`, `上百万`,
/// `近百万`): the phrase (万亩, 百万) then vetoes nothing.
fn magnitude_after_lead_in(text: &str, at: usize, c: char) -> bool {
    matches!(c, '百' | '千' | '万' | '亿')
        && (prev_char(text, at).is_some_and(|p| matches!(p, '数' | '上'))
            || magnitude_lead_in(text, at))
}

/// The char ending at byte `at` (a char boundary). Nearly every char
/// asked for is ASCII or a three-byte CJK one: put together from its bytes.
#[inline]
fn prev_char(text: &str, at: usize) -> Option<char> {
    let b = text.as_bytes();
    if at <= b.len() {
        if let Some(&x) = at.checked_sub(1).and_then(|i| b.get(i)) {
            if x < 0x80 {
                return Some(char::from(x));
            }
        }
        // A lead byte three bytes back: with `at` a boundary,
        // its char ends exactly at `at`.
        if let Some(&[x, b1, b2]) = at.checked_sub(3).and_then(|i| b.get(i..at)) {
            if x & 0xF0 == 0xE0 {
                return char::from_u32(
                    ((x as u32 & 0x0F) << 12) | ((b1 as u32 & 0x3F) << 6) | (b2 as u32 & 0x3F),
                );
            }
        }
    }
    text[..at].chars().next_back()
}

/// The char starting at byte `at`, decoded as [`prev_char`] does.
#[inline]
fn next_char(text: &str, at: usize) -> Option<char> {
    let b = text.as_bytes();
    let x = *b.get(at)?;
    if x < 0x80 {
        return Some(char::from(x));
    }
    if x & 0xF0 == 0xE0 {
        if let Some(&[b1, b2]) = b.get(at + 1..at + 3) {
            return char::from_u32(
                ((x as u32 & 0x0F) << 12) | ((b1 as u32 & 0x3F) << 6) | (b2 as u32 & 0x3F),
            );
        }
    }
    text.get(at..)?.chars().next()
}

/// A count candidate before the vetoes.
struct Candidate<'a> {
    num: NumberMatch,
    unit: Option<UnitHit<'a>>,
    /// Span of the whole count (qualifiers included).
    start: usize,
    end: usize,
    value: Option<f64>,
    approx: Approx,
    placeholder: bool,
}

impl CountExtractor {
    /// Everything the scan needs about one document; `literal` are the
    /// veto phrases of the survey.
    fn vetoes(&self, out: &[Fact], literal: Vec<Span>, quotes: Vec<(usize, char)>) -> Vetoes {
        let mut dates: Vec<Span> = out
            .iter()
            // A relative date (五年来, 今年) may hold a duration count.
            .filter(|f| f.as_date().is_some_and(|d| !d.relative))
            .map(|f| f.span)
            .collect();
        dates.sort();
        let mut max_end = 0;
        let date_max_end = dates
            .iter()
            .map(|d| {
                max_end = max_end.max(d.end);
                max_end
            })
            .collect();
        Vetoes {
            literal,
            dates,
            date_max_end,
            quotes,
            hints: Default::default(),
        }
    }

    fn scan(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>) {
        let text = ctx.text;
        let Survey {
            starts,
            literal,
            quotes,
        } = self.survey(text);
        let vetoes = self.vetoes(out, literal, quotes);
        let mut pos = 0;
        let mut line_start = true;
        let mut next = starts.iter();
        while pos < text.len() {
            if line_start {
                line_start = false;
                if self.debris_line(&text[pos..]) {
                    pos = memchr::memchr(b'\n', &text.as_bytes()[pos..])
                        .map_or(text.len(), |i| pos + i);
                    continue;
                }
            }
            // Jump to the next char where a numeral may start or a line
            // ends; nothing else can begin a count.
            let Some(&at) = next.find(|&&s| s >= pos) else {
                break;
            };
            // The lead byte tells a line end and the char's length: no
            // need to decode the char (`try_at` does).
            let Some(&lead) = text.as_bytes().get(at) else {
                break;
            };
            pos = at;
            if lead == b'\n' {
                line_start = true;
                pos += 1;
                continue;
            }
            // The survey kept only the chars where a numeral may start.
            {
                if let Some(cand) = self.try_at(ctx, pos) {
                    let end = pos.max(cand.end);
                    if self.keep(ctx, &cand, &vetoes) {
                        out.push(Fact::new(
                            Span::new(cand.start, cand.end),
                            FactData::Count(CountFact {
                                value: cand.value,
                                approx: cand.approx,
                                unit: if cand.placeholder && cand.unit.is_none() {
                                    None
                                } else {
                                    cand.unit.as_ref().map(|u| u.entry.unit.clone())
                                },
                                placeholder: cand.placeholder,
                            }),
                        ));
                    }
                    if end > pos {
                        // Never re-enter a figure that was read (its tail
                        // digits would start bogus numbers).
                        pos = end;
                        continue;
                    }
                }
            }
            pos += utf8_len(lead);
        }
    }

    /// One pass over the chars of `text`, for what the scan needs of them
    /// (see [`Survey`]). This visits every char of every text, so it is a
    /// byte loop: a CJK char is looked up in a bit table straight from its
    /// three UTF-8 bytes, an ASCII one in a byte table, and only the chars
    /// they mark (a numeral, a line end, a phrase's first char, a quotation
    /// mark) are decoded and looked at closer.
    fn survey(&self, text: &str) -> Survey {
        let b = text.as_bytes();
        let n = b.len();
        let bit =
            |bits: &[u64; 1024], u: u32| (bits[(u >> 6) as usize & 1023] >> (u & 63)) & 1 != 0;
        let mut sv = Survey {
            starts: Vec::with_capacity(n / 16),
            literal: Vec::new(),
            quotes: Vec::new(),
        };
        // Where the phrase search resumes.
        let mut phrase_from = 0;
        let mut i = 0;
        while i < n {
            // Most chars are CJK ones no count looks at: skip them in a
            // tight loop (one bounds test, one table load per char).
            // Two chars a step while both are three-byte ones.
            while let Some(&[x, b1, b2, y, c1, c2]) = b.get(i..i + 6) {
                // Both lead bytes in E0..=EF (three-byte chars), one test.
                if (x ^ 0xE0) | (y ^ 0xE0) >= 0x10 {
                    break;
                }
                let w = self.survey_bits[(((x & 0x0F) as usize) << 6) | (b1 & 0x3F) as usize];
                if (w >> (b2 & 0x3F)) & 1 != 0 {
                    break;
                }
                let w = self.survey_bits[(((y & 0x0F) as usize) << 6) | (c1 & 0x3F) as usize];
                if (w >> (c2 & 0x3F)) & 1 != 0 {
                    i += 3;
                    break;
                }
                i += 6;
            }
            while let Some(&[x, b1, b2]) = b.get(i..i + 3) {
                if x & 0xF0 != 0xE0 {
                    break;
                }
                let w = self.survey_bits[(((x & 0x0F) as usize) << 6) | (b1 & 0x3F) as usize];
                if (w >> (b2 & 0x3F)) & 1 != 0 {
                    break;
                }
                i += 3;
            }
            let Some(&x) = b.get(i) else { break };
            // A run of ASCII digits: only its first may start a numeral
            // (each digit blocks the one after it), and of the rest only
            // the few digits a phrase starts with are looked at.
            if x.is_ascii_digit() {
                if !prev_char(text, i)
                    .is_some_and(|p| self.blocks_start_at(p) && !ends_word_not_numeral(p))
                {
                    sv.starts.push(i);
                }
                let mut d = x;
                loop {
                    if (self.digit_phrase >> (d - b'0')) & 1 != 0
                        && i >= phrase_from
                        && (self.digit_digit_phrase
                            || !b.get(i + 1).is_some_and(u8::is_ascii_digit))
                        && self.pair_may_start(b, i + 1, u32::from(d))
                    {
                        self.phrase_at(text, i, char::from(d), &mut sv.literal, &mut phrase_from);
                    }
                    i += 1;
                    match b.get(i) {
                        Some(&y) if y.is_ascii_digit() => d = y,
                        _ => break,
                    }
                }
                continue;
            }
            let (u, len) = if x < 0x80 {
                if !bit(&self.survey_bits, x as u32) {
                    i += 1;
                    continue;
                }
                (x as u32, 1)
            } else if (0xE0..0xF0).contains(&x) && i + 2 < n {
                let (b1, b2) = (b[i + 1], b[i + 2]);
                let w = self.survey_bits[(((x & 0x0F) as usize) << 6) | (b1 & 0x3F) as usize];
                if (w >> (b2 & 0x3F)) & 1 == 0 {
                    i += 3;
                    continue;
                }
                (
                    ((x as u32 & 0x0F) << 12) | ((b1 as u32 & 0x3F) << 6) | (b2 as u32 & 0x3F),
                    3,
                )
            } else {
                // Two- and four-byte chars: rare in these texts.
                let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
                    break;
                };
                let u = c as u32;
                if u >= 0x10000 {
                    // Never a start, rarely a phrase.
                    if self.astral_phrase && i >= phrase_from {
                        self.phrase_at(text, i, c, &mut sv.literal, &mut phrase_from);
                    }
                    i += c.len_utf8();
                    continue;
                }
                if !bit(&self.survey_bits, u) {
                    i += c.len_utf8();
                    continue;
                }
                (u, c.len_utf8())
            };
            let Some(c) = char::from_u32(u) else { break };
            if bit(&self.start_bits, u)
                && (c == '\n'
                    || !prev_char(text, i).is_some_and(|p| {
                        // A financial numeral blocks only a numeral char.
                        self.blocks_start_at(p)
                            && (!ends_word_not_numeral(p) || is_chinese_numeral_char(c))
                    }))
            {
                sv.starts.push(i);
            }
            if i >= phrase_from && bit(&self.phrase_bits, u) && self.pair_may_start(b, i + len, u) {
                self.phrase_at(text, i, c, &mut sv.literal, &mut phrase_from);
            }
            if bit(&self.quote_bits, u) {
                sv.quotes.push((i, c));
            }
            i += len;
        }
        sv
    }

    /// `blocks_start_after(p)`, from the table for BMP chars.
    #[inline(always)]
    fn blocks_start_at(&self, p: char) -> bool {
        let u = p as usize;
        match self.blocks_start.get(u >> 6) {
            Some(w) => (w >> (u & 63)) & 1 != 0,
            None => blocks_start_after(p),
        }
    }

    /// Whether `phrase_pairs` (and `phrase_pair_ends`, `phrase_triples`)
    /// let a phrase start with the char `u` and the chars from byte `next`
    /// of `b` (a char boundary). The next chars are put together from
    /// their bytes here: this runs at every phrase-first char.
    #[inline(always)]
    fn pair_may_start(&self, b: &[u8], next: usize, u: u32) -> bool {
        let Some(bits) = &self.phrase_pairs else {
            return true;
        };
        let Some((u2, len2)) = char_at(b, next) else {
            return false;
        };
        let h = pair_hash_u(u, u2);
        if (bits[h >> 6] >> (h & 63)) & 1 == 0 {
            return false;
        }
        // A two-char phrase may end here; else a longer one needs its
        // third char.
        if (self.phrase_pair_ends[h >> 6] >> (h & 63)) & 1 != 0 {
            return true;
        }
        let Some((u3, _)) = char_at(b, next + len2) else {
            return false;
        };
        let h = triple_hash(u, u2, u3);
        (self.phrase_triples[h >> 6] >> (h & 63)) & 1 != 0
    }

    /// The longest veto phrase at byte `at`, where the text has `c`, if
    /// any: noted in `literal` (unless it follows a numeral char), and the
    /// search resumes after it.
    fn phrase_at(
        &self,
        text: &str,
        at: usize,
        c: char,
        literal: &mut Vec<Span>,
        phrase_from: &mut usize,
    ) {
        let after = at + c.len_utf8();
        let Some(first) = self.phrases.child(CharTrie::ROOT, c) else {
            return;
        };
        let Some(rest) = text.get(after..) else {
            return;
        };
        let len = match self.phrases.longest_from(first, rest, |c| c) {
            Some((_, len)) => after - at + len,
            None if self.phrases.has_value(first) => after - at,
            None => return,
        };
        // A phrase right after a numeral is part of a larger number
        // (十分 in 三十分钟, 万亩 in 90余万亩) and vetoes nothing.
        if !ends_in_numeral(text, at) && !magnitude_after_lead_in(text, at, c) {
            literal.push(Span::new(at, at + len));
        }
        *phrase_from = at + len;
    }

    /// Read the candidate count that starts at `pos`.
    fn try_at<'s>(&'s self, ctx: &ExtractContext<'_>, pos: usize) -> Option<Candidate<'s>> {
        let text = ctx.text;
        let c = next_char(text, pos)?;
        if (is_placeholder_char(c) || c.is_ascii_digit() || ('０'..='９').contains(&c))
            && run_has_placeholder(&text[pos..])
        {
            if let Some(p) = self.try_placeholder(text, pos) {
                return Some(p);
            }
        }
        if c == '百' && text[pos..].starts_with("百分之") {
            return self.try_percent_words(text, pos);
        }
        if c == '_' || c == '＿' {
            return self.try_blank(text, pos);
        }
        let num = match scan_number(text, pos) {
            Some(num) => num,
            // `超千亿元`, `近百场`: a bare magnitude after a qualifier.
            None if magnitude_lead_in(text, pos) => scan_bare_magnitude(text, pos)?,
            None => return None,
        };
        if num.kind == NumeralKind::DigitByDigit {
            // A year (二〇二四年) or a code: never a count, and its digits
            // must not start one either.
            return Some(Candidate::skip(num));
        }
        if c == '上'
            && prev_char(text, pos).is_some_and(|p| {
                matches!(
                    p,
                    '以' | '之'
                        | '会'
                        | '线'
                        | '网'
                        | '台'
                        | '街'
                        | '镇'
                        | '村'
                        | '路'
                        | '身'
                        | '马'
                        | '向'
                        | '往'
                        | '北'
                        | '早'
                        | '晚'
                        | '加'
                )
            })
        {
            return None;
        }
        let mut unit = self.unit_after(text, &num);
        let mut approx_inner = Approx::Exact;
        let mut value = num.value;
        let num_start = num.start;

        if unit.is_none() {
            // A range (`2—3名`, `5—10万元`) or a list sharing a unit
            // (`13.92和18.16个百分点`).
            let j = next_char(text, num.end)?;
            if is_range_joiner(j) || is_list_joiner(j) {
                let n2_at = num.end + j.len_utf8();
                let n2 = scan_number(text, n2_at)?;
                let same_kind =
                    (n2.kind == NumeralKind::Arabic) == (num.kind == NumeralKind::Arabic);
                if !same_kind || n2.kind == NumeralKind::DigitByDigit {
                    return Some(Candidate::skip(num));
                }
                if is_range_joiner(j) {
                    let u2 = self.unit_after(text, &n2)?;
                    if self.date_like(text, &n2, &u2) || self.date_like(text, &num, &u2) {
                        return Some(Candidate::skip_to(num, u2.end));
                    }
                    if num.multiplier == 1.0 && n2.multiplier > 1.0 {
                        value = value.map(|v| v * n2.multiplier);
                    }
                    let mut cand =
                        self.finish(text, num, Some(u2), value, Approx::AtLeast, num_start);
                    cand.approx = Approx::AtLeast;
                    return Some(cand);
                }
                // A list: find the unit after the last number of the chain.
                let u = self.shared_unit(text, &n2, 0)?;
                if u.entry.is_noun() || self.date_like(text, &num, &u) {
                    return None;
                }
                if num.multiplier == 1.0 && n2.multiplier > 1.0 && n2.kind == NumeralKind::Arabic {
                    value = value.map(|v| v * n2.multiplier);
                }
                let mut cand = self.finish(text, num, None, value, Approx::Exact, num_start);
                // The unit is borrowed: the span stays on the number.
                cand.unit = Some(UnitHit {
                    start: cand.end,
                    end: cand.end,
                    ..u
                });
                return Some(cand);
            }
            return None;
        }
        if let Some(u) = &unit {
            if u.more_than {
                approx_inner = Approx::MoreThan;
            }
            if u.half {
                value = value.map(|v| v + 0.5);
            }
            // 一年多, 一年半: the qualifier after a time unit.
            if u.entry.is_time() {
                match next_char(text, u.end) {
                    Some('多' | '余') => {
                        approx_inner = Approx::MoreThan;
                        let e = u.end + '多'.len_utf8();
                        unit = unit.map(|u| UnitHit { end: e, ..u });
                    }
                    Some('半') if !text[u.end..].starts_with("半年") => {
                        value = value.map(|v| v + 0.5);
                        let e = u.end + '半'.len_utf8();
                        unit = unit.map(|u| UnitHit { end: e, ..u });
                    }
                    _ => {}
                }
            }
        }
        let u = unit?;
        if self.date_like(text, &num, &u) {
            return Some(Candidate::skip_to(num, u.end));
        }
        // `760多亿人\n民币`: 人 opening 人民币 (a wrap may split it) is money.
        let u = if u.entry.tag == UnitTag::Ren
            && text[u.end..]
                .trim_start_matches(['\n', '\r'])
                .starts_with("民币")
        {
            match self.units.get("元") {
                Some(yuan) => {
                    let rest = &text[u.end..];
                    let skip = rest.len() - rest.trim_start_matches(['\n', '\r']).len();
                    UnitHit {
                        entry: yuan,
                        end: u.end + skip + "民币".len(),
                        ..u
                    }
                }
                None => u,
            }
        } else {
            u
        };
        if u.entry.is_noun() && !(num.kind == NumeralKind::Arabic || num.multiplier > 1.0) {
            return None;
        }
        if u.entry.figure_only && num.multiplier == 1.0 {
            return None;
        }
        let mut cand = self.finish(text, num, Some(u), value, approx_inner, num_start);
        if let Some(end) = self.range_repeating_unit(text, &cand) {
            cand.end = end;
            cand.approx = Approx::AtLeast;
        }
        Some(cand)
    }

    /// `5.5%—6%`, `3天~5天`: a range that writes the unit after both bounds
    /// is one count, its lower bound. Returns where the upper bound's unit
    /// ends. Only dashes and tildes join here: `由4.5%到12.3%` is a change.
    fn range_repeating_unit(&self, text: &str, cand: &Candidate<'_>) -> Option<usize> {
        let u = cand.unit.as_ref()?;
        if cand.end != u.end {
            return None; // a qualifier after the unit (`5%左右—6%`)
        }
        let j = next_char(text, cand.end)?;
        if !matches!(j, '-' | '—' | '–' | '－' | '~' | '～' | '〜') {
            return None;
        }
        let n2 = scan_number(text, cand.end + j.len_utf8())?;
        if (n2.kind == NumeralKind::Arabic) != (cand.num.kind == NumeralKind::Arabic) {
            return None;
        }
        let u2 = self.unit_after(text, &n2)?;
        (u2.entry.unit == u.entry.unit && !self.date_like(text, &n2, &u2)).then_some(u2.end)
    }

    /// The unit right after a numeral.
    fn unit_after(&self, text: &str, num: &NumberMatch) -> Option<UnitHit<'_>> {
        self.unit_at(text, num.end).or_else(|| {
            // `视察团6 个`: a stray space between an Arabic figure and a
            // Chinese unit.
            if num.kind == NumeralKind::Arabic && text[num.end..].starts_with(' ') {
                self.unit_at(text, num.end + 1)
                    .filter(|u| !u.entry.ascii && !u.entry.is_noun())
            } else {
                None
            }
        })
    }

    /// The unit after a chain of numbers joined by list joiners.
    fn shared_unit<'s>(&'s self, text: &str, n: &NumberMatch, depth: usize) -> Option<UnitHit<'s>> {
        if let Some(u) = self.unit_after(text, n) {
            return Some(u);
        }
        if depth > 6 {
            return None;
        }
        let j = next_char(text, n.end)?;
        if !is_list_joiner(j) {
            return None;
        }
        let n2 = scan_number(text, n.end + j.len_utf8())?;
        if (n2.kind == NumeralKind::Arabic) != (n.kind == NumeralKind::Arabic) {
            return None;
        }
        self.shared_unit(text, &n2, depth + 1)
    }

    /// A year before 年 (`2024年`, `二〇二四年`) or a decade (`５０年代`).
    fn date_like(&self, text: &str, num: &NumberMatch, u: &UnitHit<'_>) -> bool {
        if u.entry.tag == UnitTag::Ji {
            // 2024级: a cohort year.
            return num.kind == NumeralKind::Arabic
                && num
                    .value
                    .is_some_and(|v| v.fract() == 0.0 && (1900.0..=2200.0).contains(&v));
        }
        if !matches!(u.entry.tag, UnitTag::Nian | UnitTag::NianDu) {
            return false;
        }
        if num.kind == NumeralKind::DigitByDigit {
            return true;
        }
        if matches!(next_char(text, u.end), Some('代' | '级')) {
            return true;
        }
        let yearish = num.kind == NumeralKind::Arabic
            && num.multiplier == 1.0
            && num
                .value
                .is_some_and(|v| v.fract() == 0.0 && (1000.0..=2200.0).contains(&v));
        yearish || u.entry.tag == UnitTag::NianDu
    }

    /// Attach qualifiers and build the candidate.
    fn finish<'s>(
        &self,
        text: &str,
        num: NumberMatch,
        unit: Option<UnitHit<'s>>,
        value: Option<f64>,
        inner: Approx,
        start: usize,
    ) -> Candidate<'s> {
        let mut start = start;
        let mut end = unit.as_ref().map_or(num.end, |u| u.end);
        let mut pre = Approx::Exact;
        // `由负3.2%`, `为负0.4%`: 负 is a minus sign where it opens a word,
        // not the end of one (减负237亿元, 胜负).
        let mut value = value;
        if prev_char(text, start) == Some('负') {
            let sign = start - '负'.len_utf8();
            if prev_char(text, sign)
                .is_none_or(|p| !is_cjk_ideograph(p) || "由为到至从是长达和及与或".contains(p))
            {
                value = value.map(|v| -v);
                start = sign;
            }
        }
        // Most figures have no qualifier before them: look at the list only
        // when the char before ends one.
        let quals = if prev_char(text, start).is_some_and(ends_pre_qualifier) {
            PRE_QUALIFIERS
        } else {
            &[]
        };
        // The last byte of the text before `start`: most qualifiers end
        // with another one and are passed over without a comparison.
        let last = start.checked_sub(1).and_then(|i| text.as_bytes().get(i));
        for (q, a) in quals {
            if q.as_bytes().last() != last {
                continue;
            }
            if text[..start].ends_with(q) {
                let qs = start - q.len();
                if ends_word_with_qualifier(text, qs, q) {
                    break;
                }
                pre = *a;
                start = qs;
                break;
            }
        }
        let mut post = Approx::Exact;
        if unit.is_some() && next_char(text, end).is_some_and(starts_post_qualifier) {
            // The third byte tells most of them apart (all start with a
            // three-byte char).
            let third = text.as_bytes().get(end + 2);
            for (q, a) in POST_QUALIFIERS {
                if q.as_bytes().get(2) != third {
                    continue;
                }
                if text[end..].starts_with(q) {
                    post = *a;
                    end += q.len();
                    break;
                }
            }
        }
        let infix = if num.range_low {
            Approx::AtLeast
        } else if num.more_than {
            Approx::MoreThan
        } else if num.about || num.vague {
            Approx::About
        } else {
            Approx::Exact
        };
        let approx = [pre, infix, inner, post]
            .into_iter()
            .find(|a| *a != Approx::Exact)
            .unwrap_or(Approx::Exact);
        Candidate {
            value: if num.vague { None } else { value },
            num,
            unit,
            start,
            end,
            approx,
            placeholder: false,
        }
    }

    /// `XX人(次)`, `18xxxx`, `高xxxx`: a figure with hidden digits.
    fn try_placeholder<'s>(&'s self, text: &str, pos: usize) -> Option<Candidate<'s>> {
        let rest = &text[pos..];
        let mut end = pos;
        let mut xs = 0;
        let mut digits = 0;
        for c in rest.chars().take(24) {
            if is_placeholder_char(c) {
                xs += 1;
            } else if c.is_ascii_digit() || ('０'..='９').contains(&c) {
                digits += 1;
            } else {
                break;
            }
            end += c.len_utf8();
        }
        if xs == 0 || next_char(text, end).is_some_and(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        // `xx万元`, `XX亿元`: hidden digits before a magnitude.
        if let Some(m @ ('万' | '亿' | '千')) = next_char(text, end) {
            if self.unit_at(text, end + m.len_utf8()).is_some() {
                end += m.len_utf8();
            }
        }
        // A lone `X` is a figure only right before a measure word (`X块`,
        // `x期`); elsewhere it is a letter (`X光`, `X射线`).
        if xs + digits < 2 && self.unit_at(text, end).is_none() {
            return None;
        }
        // `第xx期`: an ordinal with hidden digits, not an amount.
        if prev_char(text, pos) == Some('第') {
            return Some(Candidate::skip(NumberMatch {
                end,
                ..dummy_match(pos)
            }));
        }
        if rest.starts_with('×') && digits == 0 {
            return None;
        }
        // 20xx年, xx月xx日: dates, not counts.
        if matches!(
            next_char(text, end),
            Some('年' | '月' | '日' | '号' | '届' | '级' | '.' | '．')
        ) {
            return Some(Candidate::skip(NumberMatch {
                end,
                ..dummy_match(pos)
            }));
        }
        let unit = self.unit_at(text, end).filter(|u| !u.entry.is_noun());
        // `XX乡`, `XX村`, `XX县`: a hidden place name, not a figure.
        if digits == 0
            && matches!(
                next_char(text, end),
                Some('乡' | '镇' | '村' | '县' | '市' | '区' | '省' | '街' | '社' | '组')
            )
        {
            return Some(Candidate::skip(NumberMatch {
                end,
                ..dummy_match(pos)
            }));
        }
        if unit.is_none() && digits == 0 {
            // A bare `xxxx` is a figure only where a measurement is expected.
            let ok =
                prev_char(text, pos).is_some_and(|p| "高长宽深厚重达约共计为增近超".contains(p));
            if !ok {
                return None;
            }
        }
        let num = NumberMatch {
            end,
            ..dummy_match(pos)
        };
        let mut cand = self.finish(text, num, unit, None, Approx::Exact, pos);
        cand.placeholder = true;
        cand.value = None;
        Some(cand)
    }

    /// A figure left blank in a template: `__份`, `＿＿人次` (a placeholder
    /// count, value null, like `XX人`). Blanks before 年/月/日 are dates,
    /// before 届/大 congresses and sessions (`党的__大`), after 第 ordinals,
    /// and a blank without a measure word after it is a hidden name or a
    /// form field.
    fn try_blank<'s>(&'s self, text: &str, pos: usize) -> Option<Candidate<'s>> {
        let run = text[pos..]
            .chars()
            .take_while(|&c| c == '_' || c == '＿')
            .take(32)
            .map(char::len_utf8)
            .sum::<usize>();
        let end = pos + run;
        let skip = || {
            Some(Candidate::skip(NumberMatch {
                end,
                ..dummy_match(pos)
            }))
        };
        if matches!(
            next_char(text, end),
            Some('年' | '月' | '日' | '号' | '届' | '大' | '级' | '.' | '．')
        ) || prev_char(text, pos) == Some('第')
        {
            return skip();
        }
        let Some(unit) = self.unit_at(text, end).filter(|u| !u.entry.is_noun()) else {
            return skip();
        };
        let num = NumberMatch {
            end,
            ..dummy_match(pos)
        };
        let mut cand = self.finish(text, num, Some(unit), None, Approx::Exact, pos);
        cand.placeholder = true;
        cand.value = None;
        Some(cand)
    }

    /// `百分之三十`, `百分之百`.
    fn try_percent_words<'s>(&'s self, text: &str, pos: usize) -> Option<Candidate<'s>> {
        let at = pos + "百分之".len();
        let (value, nend, num) = if text[at..].starts_with('百') && !text[at..].starts_with("百分")
        {
            (Some(100.0), at + '百'.len_utf8(), None)
        } else {
            let n = scan_number(text, at)?;
            (n.value, n.end, Some(n))
        };
        let entry = self.units.get("%")?;
        let mut m = num.unwrap_or_else(|| dummy_match(at));
        m.start = pos;
        m.end = nend;
        let u = UnitHit {
            entry,
            start: nend,
            end: nend,
            more_than: false,
            half: false,
        };
        Some(self.finish(text, m, Some(u), value, Approx::Exact, pos))
    }

    /// The vetoes that need the whole candidate.
    fn keep(&self, ctx: &ExtractContext<'_>, cand: &Candidate<'_>, v: &Vetoes) -> bool {
        let text = ctx.text;
        if cand.num.end <= cand.num.start || cand.start == cand.end {
            return false;
        }
        let span = Span::new(cand.start, cand.end);
        if v.date_overlaps(&span) {
            return false;
        }
        let Some(unit) = &cand.unit else {
            return cand.placeholder;
        };
        if v.literal_overlaps(&span) {
            return false;
        }
        if self.context_excluded(text, cand.num.start, cand.num.end) {
            return false;
        }
        if in_short_quote(text, v, cand.start, cand.end) {
            return false;
        }
        // Ratios (`2.9∶1`) and fractions written with a slash.
        if unit.start == unit.end
            && matches!(next_char(text, cand.num.end), Some('∶' | ':' | '：' | '/'))
        {
            return false;
        }
        // A ratio of percentages (`2％∶78％∶20％`): its parts are shares, not counts.
        if unit.entry.tag == UnitTag::Percent
            && (next_char(text, unit.end) == Some('∶') || prev_char(text, cand.start) == Some('∶'))
        {
            return false;
        }
        // `30万吨级泊位`, `25兆瓦级风电`: a size class, not an amount
        // (`3个级别` still counts levels).
        if unit.entry.tag != UnitTag::Ji
            && text[unit.end..].starts_with('级')
            && !text[unit.end..].starts_with("级别")
        {
            return false;
        }
        let chinese = cand.num.kind == NumeralKind::Chinese;
        // 八届四次会议, 十四届三中全会: a session number.
        if unit.entry.tag == UnitTag::Jie && next_char(text, unit.end).is_some_and(is_numeral_char)
        {
            return false;
        }
        // 五十亩村, 八里庄: a measure in a place name.
        if chinese
            && matches!(
                unit.entry.class.as_str(),
                "area" | "length" | "weight" | "volume" | "time"
            )
            && next_char(text, unit.end).is_some_and(|c| "村庄屯寨铺镇乡沟桥湾坪岭堡".contains(c))
        {
            return false;
        }
        // 三道沟村, 十里河镇: numeral + measure + one name character + a
        // place suffix. `个` and people classifiers are left out: in
        // `三个贫困村`, `两户村民` the figure is an amount.
        if chinese
            && unit.entry.tag != UnitTag::Ge
            && !matches!(unit.entry.class.as_str(), "people" | "noun")
        {
            let mut after = text[unit.end..].chars();
            if let (Some(a), Some(b)) = (after.next(), after.next()) {
                if is_cjk_ideograph(a)
                    && "村庄屯寨铺镇乡".contains(b)
                    && !"贫困行政全各该农山新本的之".contains(a)
                {
                    return false;
                }
            }
        }
        if chinese && !cand.placeholder && !word_start_ok(ctx, &v.hints[4], cand.num.start) {
            return false;
        }
        // `一`+measure word: an amount only as a duration, in a rate
        // (每周监测一次) or after its noun (科普长廊一处，); an article otherwise.
        let numeral = &text[cand.num.start..cand.num.end];
        // 机场三期、华能四期等: a project phase, not a number of sessions.
        if chinese
            && unit.entry.tag == UnitTag::Qi
            && ["工程", "项目", "扩建", "改扩建", "建设", "、", "等"]
                .iter()
                .any(|p| text[unit.end..].starts_with(p))
        {
            return false;
        }
        // 20.2026年: a list number run into a year.
        if unit.entry.tag == UnitTag::Nian {
            let surface = &text[cand.num.start..cand.num.end];
            if let Some((_, frac)) = surface.split_once(['.', '．']) {
                if frac.chars().count() == 4 {
                    return false;
                }
            }
        }
        // A lone 零 is a word (零部件, 零容忍, 零距离), not a count of none.
        if chinese && matches!(numeral, "零" | "〇" | "○") {
            return false;
        }
        // A count says 两 (两期, 两轮); a lone 二 before a measure word is an
        // ordinal (二期工程, 二轮延包, 二道河).
        if chinese && matches!(numeral, "二" | "贰") {
            return false;
        }
        if chinese && matches!(numeral, "一" | "壹") {
            let before = &text[..cand.start];
            // 这一学期, 每一位, 同一天: a determiner, not an amount.
            if before.ends_with([
                '这', '那', '哪', '同', '每', '任', '唯', '另', '统', '单', '其', '某',
            ]) {
                return false;
            }
            // 一年 is mostly "a/the year" (重要一年, 新的一年); it is a
            // duration only with a duration cue (为期一年, 一年内).
            if unit.entry.tag == UnitTag::Nian && cand.start == cand.num.start {
                let cue_before = [
                    "为期", "历时", "用了", "花了", "经过", "连续", "整整", "满", "仅", "长达",
                    "期限", "周期", "坚持", "持续", "用", "达",
                ]
                .iter()
                .any(|c| before.ends_with(c));
                let after = &text[cand.end..];
                let cue_after = [
                    "内", "后", "之内", "以内", "时间", "多", "半", "左右", "以上",
                ]
                .iter()
                .any(|c| after.starts_with(c));
                if !(cue_before || cue_after || cand.approx != Approx::Exact) {
                    return false;
                }
            }
            if !unit.entry.is_time() {
                let after_ok = next_char(text, cand.end).is_none_or(is_clause_end);
                let rate = before
                    .chars()
                    .rev()
                    .take_while(|c| !is_clause_end(*c))
                    .take(16)
                    .any(|c| c == '每');
                let sum = before.ends_with(['共', '仅', '只', '各', '计']);
                if !(after_ok || rate || sum) {
                    return false;
                }
            }
        }
        true
    }
}

/// Spans found once per document.
/// What the survey of a text finds.
struct Survey {
    /// The byte offsets of the line ends and of the chars where a numeral
    /// may start (not after a char that `blocks_start_after`), in order.
    starts: Vec<usize>,
    /// The veto phrases, found as a leftmost-longest search for them
    /// would (each search resumes after the phrase it found), less those
    /// right after a numeral char.
    literal: Vec<Span>,
    /// The quotation marks and the other chars `in_short_quote` stops at
    /// (`is_quote_mark`), in order.
    quotes: Vec<(usize, char)>,
}

struct Vetoes {
    /// In text order, not overlapping (so their ends ascend too).
    literal: Vec<Span>,
    /// Sorted by start.
    dates: Vec<Span>,
    /// The largest end among `dates[..=i]`.
    date_max_end: Vec<usize>,
    /// From the survey.
    quotes: Vec<(usize, char)>,
    /// Where the last searches in `dates`, `literal`, `quotes` (before a
    /// span, after it) and the words ended (see [`seek`]).
    hints: [Cell<usize>; 5],
}

/// `v.partition_point(pred)`, starting from where the last search of the
/// same list ended (`hint`): the candidates come in text order, so the
/// answer is mostly at or a step after it. Falls back to a binary search.
fn seek<T>(v: &[T], hint: &Cell<usize>, pred: impl Fn(&T) -> bool) -> usize {
    let h = hint.get().min(v.len());
    let k = if h == 0 || v.get(h - 1).is_some_and(&pred) {
        // Everything before `h` holds: look on from there.
        let mut k = h;
        let mut steps = 0;
        while k < v.len() && steps < 8 && pred(&v[k]) {
            k += 1;
            steps += 1;
        }
        if k < v.len() && steps == 8 && pred(&v[k]) {
            k + v[k..].partition_point(&pred)
        } else {
            k
        }
    } else {
        v[..h].partition_point(&pred)
    };
    hint.set(k);
    k
}

impl Vetoes {
    /// Whether a date overlaps `span` (no scan of them all: a document may
    /// hold hundreds of dates and counts).
    fn date_overlaps(&self, span: &Span) -> bool {
        let k = seek(&self.dates, &self.hints[0], |d| d.start < span.end);
        k > 0 && self.date_max_end[k - 1] > span.start
    }

    /// Whether a veto phrase overlaps `span`.
    fn literal_overlaps(&self, span: &Span) -> bool {
        let k = seek(&self.literal, &self.hints[1], |l| l.end <= span.start);
        self.literal.get(k).is_some_and(|l| l.start < span.end)
    }
}

impl Candidate<'_> {
    /// Consume a numeral without producing a count.
    fn skip(num: NumberMatch) -> Self {
        let end = num.end;
        Candidate {
            start: num.start,
            end,
            num: NumberMatch {
                end: num.start,
                ..num
            },
            unit: None,
            value: None,
            approx: Approx::Exact,
            placeholder: false,
        }
    }
    fn skip_to(num: NumberMatch, end: usize) -> Self {
        let mut c = Candidate::skip(num);
        c.end = end;
        c
    }
}

fn dummy_match(pos: usize) -> NumberMatch {
    NumberMatch {
        start: pos,
        end: pos,
        value: None,
        more_than: false,
        about: false,
        vague: false,
        range_low: false,
        kind: NumeralKind::Arabic,
        multiplier: 1.0,
        bare_magnitude: false,
    }
}

/// The chars [`in_short_quote`] looks for.
fn is_quote_mark(c: char) -> bool {
    matches!(
        c,
        '“' | '「' | '《' | '"' | '‘' | '”' | '」' | '》' | '’' | '\n' | '。'
    )
}

/// True when `[start, end)` sits inside a short quotation or title
/// (`“两个10亿元”`, `“七个一”`): a slogan or a name, not an amount.
/// `v.quotes`: the quotation marks and stops of the text (`is_quote_mark`),
/// in order, so only the nearest are looked at, not every char around.
fn in_short_quote(text: &str, v: &Vetoes, start: usize, end: usize) -> bool {
    const MAX: usize = 12;
    let quotes = &v.quotes[..];
    // The nearest mark among the MAX chars before `start`.
    let k = seek(quotes, &v.hints[2], |q| q.0 < start);
    let Some(&(at, open)) = k.checked_sub(1).and_then(|k| quotes.get(k)) else {
        return false;
    };
    // A char is at most 4 bytes: farther than that is more than MAX chars
    // (and not counted).
    if start - at > 4 * MAX || text.get(at..start).is_none_or(|s| char_count(s) > MAX) {
        return false;
    }
    let close = match open {
        '“' => '”',
        '「' => '」',
        '《' => '》',
        '‘' => '’',
        '"' => '"',
        _ => return false,
    };
    // The marks among the MAX chars from `end`.
    let from = seek(quotes, &v.hints[3], |q| q.0 < end);
    for &(at, c) in quotes.get(from..).unwrap_or(&[]) {
        if at - end >= 4 * MAX || text.get(end..at).is_none_or(|s| char_count(s) >= MAX) {
            return false;
        }
        if c == close {
            return true;
        }
        if matches!(c, '“' | '「' | '《' | '\n' | '。') {
            return false;
        }
    }
    false
}

/// A Chinese numeral must begin a word (or follow only a qualifier inside
/// one): `统一`, `三番五次` and other words that merely contain a numeral are
/// not figures.
fn word_start_ok(ctx: &ExtractContext<'_>, hint: &Cell<usize>, pos: usize) -> bool {
    let words = ctx.words;
    if words.is_empty() {
        return true;
    }
    let i = seek(words, hint, |w| w.start <= pos);
    if i == 0 {
        return true;
    }
    let w = words[i - 1];
    if w.start == pos || w.end <= pos {
        return true;
    }
    ctx.text
        .get(w.start..pos)
        .is_some_and(|p| p.chars().all(is_word_prefix_ok))
}

/// The display width of a line without its trailing `\r`s, as the GBK
/// files wrapped it: ASCII 1, any other char 2 (see `Dewrap::new`).
fn display_width(l: &[u8]) -> usize {
    const HI: u64 = 0x8080_8080_8080_8080;
    const LOW16: u64 = 0x0000_FFFF_0000_FFFF;
    let (mut cont, mut lead) = (0usize, 0usize);
    // Per-byte tallies, added up every 64 words (before a byte of
    // them could pass 255).
    let sum = |t: u64| {
        let t = (t & 0x00FF_00FF_00FF_00FF) + ((t >> 8) & 0x00FF_00FF_00FF_00FF);
        let t = (t & LOW16) + ((t >> 16) & LOW16);
        ((t & 0xFFFF_FFFF) + (t >> 32)) as usize
    };
    let mut chunks = l.chunks_exact(8);
    loop {
        let (mut tc, mut tl) = (0u64, 0u64);
        let mut n = 0;
        for ch in chunks.by_ref().take(64) {
            let mut a = [0u8; 8];
            a.copy_from_slice(ch);
            let w = u64::from_le_bytes(a);
            // Bit 7 of each byte is its top bit; `w << 1` brings
            // bit 6 there. Each tally byte gets 0 or 1.
            tc += (w & !(w << 1) & HI) >> 7;
            tl += (w & (w << 1) & HI) >> 7;
            n += 1;
        }
        cont += sum(tc);
        lead += sum(tl);
        if n < 64 {
            break;
        }
    }
    for &x in chunks.remainder() {
        cont += usize::from(x & 0xC0 == 0x80);
        lead += usize::from(x >= 0xC0);
    }
    let cr = l.iter().rev().take_while(|&&x| x == b'\r').count();
    l.len() - cont + lead - cr
}

/// A hard-wrapped text with its wrap line ends removed.
struct Dewrap {
    text: String,
    /// (byte offset in the original, byte length) of each removed line end.
    removed: Vec<(usize, usize)>,
    /// Bytes removed before each entry of `removed`.
    cum: Vec<usize>,
}

impl Dewrap {
    /// `None` unless the text looks hard-wrapped: many lines filled to the
    /// same display width (CJK counts 2, as in the GBK files they came from).
    fn new(text: &str) -> Option<Dewrap> {
        // The widths from the bytes, without decoding: an ASCII byte is 1
        // wide, a char of n bytes 2, so a line is its byte length, less its
        // continuation bytes (10xxxxxx), plus its lead bytes (11xxxxxx).
        // Every document passes here and few are hard-wrapped: eight bytes
        // at a time, and the test gives up at the first line too wide to
        // be a wrapped one.
        let width = display_width;
        let bytes = text.as_bytes();
        let mut widths: Vec<usize> = Vec::new();
        let mut max = 0;
        let mut n_long = 0;
        let mut from = 0;
        loop {
            let end = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i);
            let w = width(&bytes[from..end]);
            if w > 200 {
                return None;
            }
            if w >= 40 {
                n_long += 1;
                max = max.max(w);
            }
            widths.push(w);
            if end == bytes.len() {
                break;
            }
            from = end + 1;
        }
        if n_long == 0 {
            return None;
        }
        let full = widths
            .iter()
            .filter(|w| **w >= 40 && **w + 4 >= max)
            .count();
        if full < 5 || full * 10 < n_long * 3 {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut removed = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0;
        let mut pos = 0;
        for (line, w) in text.split('\n').zip(widths.iter()) {
            out.push_str(line);
            let end = pos + line.len();
            if end < text.len() {
                if *w + 4 >= max {
                    // The line is full: its end is a wrap, not a paragraph end.
                    let cr = line.len() - line.trim_end_matches('\r').len();
                    out.truncate(out.len() - cr);
                    removed.push((end - cr, cr + 1));
                    cum.push(total);
                    total += cr + 1;
                } else {
                    out.push('\n');
                }
            }
            pos = end + 1;
        }
        Some(Dewrap {
            text: out,
            removed,
            cum,
        })
    }

    /// Original offset → offset in the dewrapped text.
    fn to_work(&self, o: usize) -> usize {
        let k = self.removed.partition_point(|(p, _)| *p < o);
        if k == 0 {
            return o;
        }
        let (p, l) = self.removed[k - 1];
        let before = self.cum[k - 1];
        if o < p + l {
            p - before
        } else {
            o - before - l
        }
    }

    /// How many removed line ends have a dewrapped position satisfying
    /// `pred` (a prefix, as positions grow).
    fn count_before(&self, pred: impl Fn(usize) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.removed.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(self.work_pos(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn work_pos(&self, i: usize) -> usize {
        self.removed[i].0 - self.cum[i]
    }

    fn shift(&self, k: usize) -> usize {
        if k == 0 {
            0
        } else {
            self.cum[k - 1] + self.removed[k - 1].1
        }
    }

    /// Dewrapped offset of a span start → original (after a removed line end).
    fn to_orig_start(&self, d: usize) -> usize {
        d + self.shift(self.count_before(|w| w <= d))
    }

    /// Dewrapped offset of a span end → original (before a removed line end).
    fn to_orig_end(&self, d: usize) -> usize {
        d + self.shift(self.count_before(|w| w < d))
    }
}

impl Extractor for CountExtractor {
    fn name(&self) -> &'static str {
        "count"
    }
    fn extract(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>) {
        let Some(dw) = Dewrap::new(ctx.text) else {
            self.scan(ctx, out);
            return;
        };
        // A hard-wrapped text: read it with the wrap line ends taken out, so
        // `２３８\n０件` and `６０周\n年` read as one figure, then map the
        // spans back (a span may then contain the line end).
        let words: Vec<Span> = ctx
            .words
            .iter()
            .map(|w| Span::new(dw.to_work(w.start), dw.to_work(w.end)))
            .filter(|w| !w.is_empty())
            .collect();
        let mut work_out: Vec<Fact> = out
            .iter()
            .filter(|f| matches!(f.data, FactData::Date(_)))
            .map(|f| {
                Fact::new(
                    Span::new(dw.to_work(f.span.start), dw.to_work(f.span.end)),
                    f.data.clone(),
                )
            })
            .collect();
        let n_before = work_out.len();
        let wctx = ExtractContext {
            text: &dw.text,
            paragraphs: ctx.paragraphs,
            sentences: ctx.sentences,
            sections: ctx.sections,
            words: &words,
            year: ctx.year,
            year_inferred: ctx.year_inferred,
        };
        self.scan(&wctx, &mut work_out);
        for f in work_out.drain(n_before..) {
            let span = Span::new(dw.to_orig_start(f.span.start), dw.to_orig_end(f.span.end));
            if span.start < span.end
                && ctx.text.is_char_boundary(span.start)
                && ctx.text.is_char_boundary(span.end)
            {
                out.push(Fact::new(span, f.data));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{ChineseWordSegmenter, WordSegmenter};
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static EX: LazyLock<CountExtractor> =
        LazyLock::new(|| CountExtractor::new(&DataDir::embedded_only()).expect("data"));
    static SEG: LazyLock<ChineseWordSegmenter> =
        LazyLock::new(|| ChineseWordSegmenter::new(&DataDir::embedded_only()).expect("jieba"));

    fn run_with(text: &str, pre: Vec<Fact>, segment: bool) -> Vec<Fact> {
        let mut words = Vec::new();
        if segment {
            SEG.segment_into(text, 0, &mut words);
        }
        let ctx = ExtractContext {
            text,
            paragraphs: &[],
            sentences: &[],
            sections: &[],
            words: &words,
            year: Some(2024),
            year_inferred: false,
        };
        let mut out = pre;
        EX.extract(&ctx, &mut out);
        out.retain(|f| f.as_count().is_some());
        out
    }

    type Row = (&'static str, Option<f64>, Option<&'static str>, Approx);

    fn counts(text: &str) -> Vec<(String, Option<f64>, Option<String>, Approx)> {
        run_with(text, Vec::new(), true)
            .into_iter()
            .map(|f| {
                let c = f.as_count().unwrap().clone();
                (f.span.slice(text).to_string(), c.value, c.unit, c.approx)
            })
            .collect()
    }

    fn check(text: &str, want: &[Row]) {
        let got = counts(text);
        let want: Vec<_> = want
            .iter()
            .map(|(s, v, u, a)| (s.to_string(), *v, u.map(str::to_string), *a))
            .collect();
        assert_eq!(got, want, "in {text:?}");
    }

    use Approx::*;

    #[test]
    fn basic_counts_and_qualifiers() {
        let cases: &[(&str, &[Row])] = &[
            (
                "发放资料3000余册，",
                &[("3000余册", Some(3000.0), Some("册"), MoreThan)],
            ),
            (
                "受训人数达1500多人(次)。",
                &[("1500多人(次)", Some(1500.0), Some("人次"), MoreThan)],
            ),
            (
                "群众约3000人次;",
                &[("约3000人次", Some(3000.0), Some("人次"), About)],
            ),
            (
                "周转率在40%以上，",
                &[("40%以上", Some(40.0), Some("%"), MoreThan)],
            ),
            (
                "增长１２．８％。",
                &[("１２．８％", Some(12.8), Some("%"), Exact)],
            ),
            (
                "价值万余元的",
                &[("万余元", Some(10000.0), Some("元"), MoreThan)],
            ),
            (
                "平均年龄70岁以上的",
                &[("70岁以上", Some(70.0), Some("岁"), MoreThan)],
            ),
            (
                "开放时间不少于32小时。",
                &[("不少于32小时", Some(32.0), Some("小时"), AtLeast)],
            ),
            ("涉及38个部门，", &[("38个", Some(38.0), Some("个"), Exact)]),
            ("有两幅作品", &[("两幅", Some(2.0), Some("幅"), Exact)]),
            (
                "投资近1000亿元",
                &[("近1000亿元", Some(1e11), Some("元"), About)],
            ),
            (
                "保供煤炭超35亿吨",
                &[("超35亿吨", Some(3.5e9), Some("吨"), MoreThan)],
            ),
            (
                "经营主体突破300万户",
                &[("突破300万户", Some(3e6), Some("户"), MoreThan)],
            ),
            ("不超过5人", &[("不超过5人", Some(5.0), Some("人"), AtMost)]),
            (
                "不到10家",
                &[("不到10家", Some(10.0), Some("家"), LessThan)],
            ),
            ("不足一半的", &[]),
            ("至少3次", &[("至少3次", Some(3.0), Some("次"), AtLeast)]),
            ("控制在5%以内", &[("5%以内", Some(5.0), Some("%"), AtMost)]),
            (
                "100人左右",
                &[("100人左右", Some(100.0), Some("人"), About)],
            ),
            ("１０来年", &[("１０来年", Some(10.0), Some("年"), About)]),
            (
                "30岁以下的",
                &[("30岁以下", Some(30.0), Some("岁"), AtMost)],
            ),
            ("有数十人参加", &[("数十人", None, Some("人"), About)]),
            ("上百场活动", &[("上百场", None, Some("场"), About)]),
            // A financial numeral ending a word (`队伍`) is no part of the
            // figure after it.
            (
                "组建队伍100支",
                &[("100支", Some(100.0), Some("支"), Exact)],
            ),
            ("参赛队伍上万支", &[("上万支", None, Some("支"), About)]),
            ("十几万人", &[("十几万人", Some(1e5), Some("人"), MoreThan)]),
            (
                "举办十余场",
                &[("十余场", Some(10.0), Some("场"), MoreThan)],
            ),
            (
                "46万群众受益",
                &[("46万群众", Some(460000.0), Some("人"), Exact)],
            ),
            (
                "3.78万农牧民",
                &[("3.78万农牧民", Some(37800.0), Some("人"), Exact)],
            ),
            (
                "1,200名学生",
                &[("1,200名", Some(1200.0), Some("名"), Exact)],
            ),
            (
                "百分之三十的",
                &[("百分之三十", Some(30.0), Some("%"), Exact)],
            ),
            ("6\n.7％", &[("6\n.7％", Some(6.7), Some("%"), Exact)]),
            ("发生6.2级地震", &[("6.2级", Some(6.2), Some("级"), Exact)]),
            ("市、县两级", &[("两级", Some(2.0), Some("级"), Exact)]),
            (
                "3县5乡",
                &[
                    ("3县", Some(3.0), Some("县"), Exact),
                    ("5乡", Some(5.0), Some("乡"), Exact),
                ],
            ),
            ("十大类", &[("十大类", Some(10.0), Some("类"), Exact)]),
            ("承办3届博览会", &[("3届", Some(3.0), Some("届"), Exact)]),
            (
                "惠及300多万各族群众",
                &[("300多万各族群众", Some(3e6), Some("人"), MoreThan)],
            ),
            (
                "算力达到5000P",
                &[("5000P", Some(5000.0), Some("P"), Exact)],
            ),
            (
                "1.7亿千瓦",
                &[("1.7亿千瓦", Some(1.7e8), Some("千瓦"), Exact)],
            ),
        ];
        for (text, want) in cases {
            check(text, want);
        }
    }

    #[test]
    fn pre_qualifier_ends_are_listed() {
        for (q, _) in PRE_QUALIFIERS {
            let last = q.chars().next_back().unwrap();
            assert!(ends_pre_qualifier(last), "{q}");
        }
    }

    #[test]
    fn post_qualifier_starts_are_listed() {
        for (q, _) in POST_QUALIFIERS {
            assert!(starts_post_qualifier(q.chars().next().unwrap()), "{q}");
        }
    }

    #[test]
    fn placeholder_runs() {
        for (s, want) in [
            ("18xxxx", true),
            ("xx名", true),
            ("１８ｘ", true),
            ("×3", true),
            ("３０００人", false),
            ("3000", false),
            ("", false),
        ] {
            assert_eq!(run_has_placeholder(s), want, "{s}");
        }
    }

    #[test]
    fn unit_normalization() {
        let cases: &[(&str, &[Row])] = &[
            ("人（次）", &[]),
            (
                "260余人（次）",
                &[("260余人（次）", Some(260.0), Some("人次"), MoreThan)],
            ),
            (
                "5000份(册)",
                &[("5000份(册)", Some(5000.0), Some("份"), Exact)],
            ),
            (
                "400余盒(件)",
                &[("400余盒(件)", Some(400.0), Some("盒"), MoreThan)],
            ),
            (
                "14000余册(份)",
                &[("14000余册(份)", Some(14000.0), Some("册"), MoreThan)],
            ),
            ("三个月", &[("三个月", Some(3.0), Some("月"), Exact)]),
            ("一个多月", &[("一个多月", Some(1.0), Some("月"), MoreThan)]),
            ("两个季度", &[("两个季度", Some(2.0), Some("季度"), Exact)]),
            (
                "提高2个百分点",
                &[("2个百分点", Some(2.0), Some("百分点"), Exact)],
            ),
            ("10个贫困村", &[("10个", Some(10.0), Some("个"), Exact)]),
            ("6场次", &[("6场次", Some(6.0), Some("场次"), Exact)]),
            ("XX人(次)", &[("XX人(次)", None, Some("人次"), Exact)]),
        ];
        for (text, want) in cases {
            check(text, want);
        }
    }

    #[test]
    fn compound_shared_and_ranges() {
        let cases: &[(&str, &[Row])] = &[
            (
                "资料36类5000份(册)，",
                &[
                    ("36类", Some(36.0), Some("类"), Exact),
                    ("5000份(册)", Some(5000.0), Some("份"), Exact),
                ],
            ),
            (
                "分别高13.92和18.16个百分点",
                &[
                    ("13.92", Some(13.92), Some("百分点"), Exact),
                    ("18.16个百分点", Some(18.16), Some("百分点"), Exact),
                ],
            ),
            ("每组2—3名", &[("2—3名", Some(2.0), Some("名"), AtLeast)]),
            (
                "投资5-10万元",
                &[("5-10万元", Some(50000.0), Some("元"), AtLeast)],
            ),
            ("三四个", &[("三四个", Some(3.0), Some("个"), AtLeast)]),
            ("2019-2020年", &[]),
            (
                "11、12号楼6个单元66户",
                &[
                    ("6个", Some(6.0), Some("个"), Exact),
                    ("66户", Some(66.0), Some("户"), Exact),
                ],
            ),
        ];
        for (text, want) in cases {
            check(text, want);
        }
    }

    #[test]
    fn durations() {
        let cases: &[(&str, &[Row])] = &[
            (
                "每周两期，为期一年，",
                &[
                    ("两期", Some(2.0), Some("期"), Exact),
                    ("一年", Some(1.0), Some("年"), Exact),
                ],
            ),
            (
                "经过了三天的宣传",
                &[("三天", Some(3.0), Some("天"), Exact)],
            ),
            ("为期一周的纳新", &[("一周", Some(1.0), Some("周"), Exact)]),
            (
                "在接下来的一星期里",
                &[("一星期", Some(1.0), Some("星期"), Exact)],
            ),
            (
                "曾连续六年被评为",
                &[("六年", Some(6.0), Some("年"), Exact)],
            ),
            ("五年来，", &[("五年", Some(5.0), Some("年"), Exact)]),
            ("这五年综合实力", &[("五年", Some(5.0), Some("年"), Exact)]),
            ("过去五年，", &[("五年", Some(5.0), Some("年"), Exact)]),
            ("一年来，", &[]),
            ("过去一年，", &[]),
            ("三年规划", &[]),
            ("2024年", &[]),
            ("二〇二四年三月", &[]),
            ("５０年代", &[]),
            ("一年多", &[("一年多", Some(1.0), Some("年"), MoreThan)]),
            ("重要一年的开局", &[]),
            ("五年内完成", &[("五年", Some(5.0), Some("年"), Exact)]),
            ("第十五个五年规划", &[]),
            ("一年内完成", &[("一年", Some(1.0), Some("年"), Exact)]),
        ];
        for (text, want) in cases {
            check(text, want);
        }
    }

    #[test]
    fn one_as_amount_or_article() {
        let cases: &[(&str, &[Row])] = &[
            (
                "科普长廊一处，受到",
                &[("一处", Some(1.0), Some("处"), Exact)],
            ),
            ("每周监测一次", &[("一次", Some(1.0), Some("次"), Exact)]),
            ("每月一份", &[("一份", Some(1.0), Some("份"), Exact)]),
            ("是一个大家庭", &[]),
            ("培养了一批骨干", &[]),
            ("要有一名好校长", &[]),
            ("成为一道风景线", &[]),
            ("形成一条街", &[]),
            ("取得了一定成绩", &[]),
            ("开展一系列工作", &[]),
            ("进一步提升", &[]),
            ("统一部署", &[]),
            ("让每一位成员", &[]),
            ("在今年的这一学期当中", &[]),
            ("不落一人，", &[]),
            ("提高到一个新的水平。", &[]),
            ("各一名", &[("一名", Some(1.0), Some("名"), Exact)]),
        ];
        for (text, want) in cases {
            check(text, want);
        }
    }

    #[test]
    fn exclusions() {
        let none = [
            "第二届",
            "取得了全市第二的好成绩",
            "获得三等奖",
            "第一书记",
            "居全国第3位",
            "排名提升4位",
            "进入全国前8位",
            "三个代表",
            "落实两个责任",
            "一岗双责",
            "纠正四风",
            "八项规定",
            "科技三下乡",
            "五老",
            "七个一",
            "四个一",
            "三零",
            "一会三事",
            "“3+1”建设",
            "三大板块",
            "十大产业",
            "党的十九大",
            "十九届四中全会",
            "八届四次会议",
            "五十亩村",
            "百米科普画廊",
            "万亩经济带",
            "十分钟服务圈",
            "科普进万家",
            "三句半",
            "二次开发",
            "三位一体",
            "11、12号楼",
            "50周年",
            "三分之一",
            "半数",
            "2.9∶1",
            "两位数增长",
            "万亿级",
            "亿元以上项目",
            "10亿元以上项目",
            "千家万户",
            "翻一番",
            "一期工程",
            "〔2024〕2号",
            "“两个10亿元”",
            "万人助万企",
            "1小时经济圈",
            "十四五期间",
            "十分重视",
            "有几个",
            "二〇二四",
            "5G基站",
            "三番五次",
            "高度重视",
            "政协第八届全国委员会",
            "八届四次会议",
            "排名由369位上升到235位",
            "达到二级航道标准",
            "灌溉二期、高铁",
            "第一、二轮督察",
            "治理一期、水库",
            "攻坚三年行动",
            "市十六届人大三次会议",
            "长江十年禁渔",
            "推动机场三期、高铁",
            "华能四期等",
            "碳化硅三期改扩建",
            "一天接着一天拼",
            "三级公立医院",
            "在十字路口",
            "二十字方针",
            "针对2024级新生",
        ];
        for t in none {
            check(t, &[]);
        }
        check(
            "\n20.2026年10件民生实事",
            &[("10件", Some(10.0), Some("件"), Exact)],
        );
        check("三十分钟", &[("三十分钟", Some(30.0), Some("分钟"), Exact)]);
    }

    #[test]
    fn space_before_magnitude_or_more_than() {
        // Old typeset texts put a space between a figure and 万/亿/多.
        check(
            "全县培训了360 多名农技员，覆盖近4 万户农户。",
            &[
                ("360 多名", Some(360.0), Some("名"), MoreThan),
                ("近4 万户", Some(40000.0), Some("户"), About),
            ],
        );
        check(
            "全年贷款余额82 亿元。",
            &[("82 亿元", Some(8.2e9), Some("元"), Exact)],
        );
    }

    #[test]
    fn phrase_after_more_than_belongs_to_the_figure() {
        // 万亩 vetoes a descriptive 万亩 (万亩果园), not the 万 of `60余万亩`.
        check(
            "新建高标准农田60余万亩，建成万亩果园一处。",
            &[
                ("60余万亩", Some(600000.0), Some("亩"), MoreThan),
                ("一处", Some(1.0), Some("处"), Exact),
            ],
        );
        check(
            "治理水土流失30多万亩。",
            &[("30多万亩", Some(300000.0), Some("亩"), MoreThan)],
        );
    }

    #[test]
    fn units_only_after_a_magnitude() {
        // 方 (cubic metres) after 万/亿; elsewhere it starts a word.
        check(
            "年输气能力25亿方，清淤8万方以上。",
            &[
                ("25亿方", Some(2.5e9), Some("方"), Exact),
                ("8万方以上", Some(80000.0), Some("方"), MoreThan),
            ],
        );
        check("召开三方联席会议，推出2.0方案和四方协议。", &[]);
        check(
            "集装箱吞吐量超500万标准箱，存储容量达到12吉字节。",
            &[
                ("超500万标准箱", Some(5e6), Some("标准箱"), MoreThan),
                ("12吉字节", Some(12.0), Some("吉字节"), Exact),
            ],
        );
    }

    #[test]
    fn a_particle_is_no_place_name_char() {
        // `一年的乡…` is no place name like 十里河镇: 的 names nothing.
        check(
            "举办为期一年的乡镇干部轮训，历时三天的村级培训",
            &[
                ("一年", Some(1.0), Some("年"), Exact),
                ("三天", Some(3.0), Some("天"), Exact),
            ],
        );
    }

    #[test]
    fn bare_magnitudes_after_a_qualifier_are_figures() {
        check(
            "全年接待观众超万人次，组织近百场讲座，旅游收入突破千亿元，出口逾百万吨。",
            &[
                ("超万人次", Some(1e4), Some("人次"), MoreThan),
                ("近百场", Some(100.0), Some("场"), About),
                ("突破千亿元", Some(1e11), Some("元"), MoreThan),
                ("逾百万吨", Some(1e6), Some("吨"), MoreThan),
            ],
        );
        // Without a qualifier a bare magnitude is a word (百场讲座 names a
        // programme, 千亿 a size class), and 最近/附近 are no qualifiers.
        check("开展百场讲座进社区，培育千亿产业。", &[]);
        check("最近千万注意安全，附近百米内禁烟。", &[]);
    }

    #[test]
    fn vague_prefix_before_a_vetoed_magnitude_phrase() {
        // 万亩 and 百万 veto descriptive uses (万亩果园), not the end of a
        // vague figure.
        check(
            "山区数万亩坡地退耕，投入上百万元，建成万亩果园一处。",
            &[
                ("数万亩", None, Some("亩"), About),
                ("上百万元", None, Some("元"), About),
                ("一处", Some(1.0), Some("处"), Exact),
            ],
        );
    }

    #[test]
    fn provinces_and_cities_counted_together() {
        // 省市 and 省区市 name one set of places: the unit is the whole word.
        check(
            "首批六省市试点，覆盖20省区市，其中3省为新增。",
            &[
                ("六省市", Some(6.0), Some("省市"), Exact),
                ("20省区市", Some(20.0), Some("省区市"), Exact),
                ("3省", Some(3.0), Some("省"), Exact),
            ],
        );
    }

    #[test]
    fn a_range_repeating_its_unit_is_one_count() {
        check(
            "目标增长6.5%—7%，培训3天~5天，利润由2.5%到3%。",
            &[
                ("6.5%—7%", Some(6.5), Some("%"), AtLeast),
                ("3天~5天", Some(3.0), Some("天"), AtLeast),
                ("2.5%", Some(2.5), Some("%"), Exact),
                ("3%", Some(3.0), Some("%"), Exact),
            ],
        );
        // Different units after the two numbers: two counts.
        check(
            "建成12个—15家",
            &[
                ("12个", Some(12.0), Some("个"), Exact),
                ("15家", Some(15.0), Some("家"), Exact),
            ],
        );
    }

    #[test]
    fn fu_before_a_figure_is_a_minus_sign() {
        check(
            "出口增速由负1.5%回升到2%，利润为负12.3%。",
            &[
                ("负1.5%", Some(-1.5), Some("%"), Exact),
                ("2%", Some(2.0), Some("%"), Exact),
                ("负12.3%", Some(-12.3), Some("%"), Exact),
            ],
        );
        // 负 ending a word (减负, 胜负) is no sign.
        check(
            "为企业减负18亿元，三局两胜负2场。",
            &[
                ("18亿元", Some(1.8e9), Some("元"), Exact),
                ("2场", Some(2.0), Some("场"), Exact),
            ],
        );
    }

    #[test]
    fn size_classes_before_ji_are_not_counts() {
        check(
            "建成5万吨级泊位2个，推进百万千瓦级电站和800米级深井，考核分为4个级别",
            &[
                ("2个", Some(2.0), Some("个"), Exact),
                ("4个", Some(4.0), Some("个"), Exact),
            ],
        );
    }

    #[test]
    fn grades_sessions_and_names_are_not_counts() {
        let none = [
            "全市干线公路达到二级及以上标准，县县通三级以上公路",
            "整治四级航道，",
            "县人民医院创成三级综合医院",
            "引进央企三级子公司",
            "治理二三级支流",
            "贯彻市委九届五次、六次全会精神",
            "按照县委十次全会部署",
            "贯彻区委七届历次全会精神",
            "承办第二届全省运动会和十三届全运会",
            "新建机场二期、电厂三期和水电站四期",
            "三次产业比例持续优化",
            "打造超5亿元重大项目",
            "落户三门峡，传承二十四节气，组织三人篮球赛，整治三四轮车",
            "形成三分天下的格局",
            "坚持干一件成一件，说一件、干一件、成一件",
        ];
        for t in none {
            check(t, &[]);
        }
        check(
            "形成县乡村三级服务网络，整治三级以上公路5条",
            &[
                ("三级", Some(3.0), Some("级"), Exact),
                ("5条", Some(5.0), Some("条"), Exact),
            ],
        );
    }

    #[test]
    fn numerals_in_place_names_are_not_counts() {
        assert_eq!(
            counts("在八里庄村、三道沟村建成农家书屋2个"),
            vec![("2个".to_string(), Some(2.0), Some("个".to_string()), Exact)]
        );
        assert_eq!(
            counts("走访三户贫困户"),
            vec![("三户".to_string(), Some(3.0), Some("户".to_string()), Exact)]
        );
        assert_eq!(counts("在滨河社区建成百米科普长廊"), vec![]);
    }

    #[test]
    fn placeholders() {
        let cases: &[(&str, &[Row])] = &[
            ("新增补18xxxx会员，", &[("18xxxx", None, None, Exact)]),
            (
                "科普画廊长10xxxx，高xxxx，",
                &[("10xxxx", None, None, Exact), ("xxxx", None, None, Exact)],
            ),
            ("培训xx名", &[("xx名", None, Some("名"), Exact)]),
            ("xx在纪念", &[]),
            ("20xx年", &[]),
            (
                "举办培训班x期，展出展板X块",
                &[
                    ("x期", None, Some("期"), Exact),
                    ("X块", None, Some("块"), Exact),
                ],
            ),
            ("XX乡XX村共有", &[]),
            ("第xx期简报", &[]),
            ("争取经费xx万元", &[("xx万元", None, Some("元"), Exact)]),
            ("拍X光片", &[]),
            (
                "发放资料__份，培训＿＿＿人次",
                &[
                    ("__份", None, Some("份"), Exact),
                    ("＿＿＿人次", None, Some("人次"), Exact),
                ],
            ),
            ("贯彻党的__大、__届X中全会精神，__年3月，第__次会议", &[]),
            ("举办讲座__次", &[("__次", None, Some("次"), Exact)]),
            ("负责人：____，电话：____", &[]),
        ];
        for (text, want) in cases {
            let got = counts(text);
            let want: Vec<_> = want
                .iter()
                .map(|(s, v, u, a)| (s.to_string(), *v, u.map(str::to_string), *a))
                .collect();
            assert_eq!(got, want, "in {text:?}");
            for f in run_with(text, vec![], true) {
                assert!(f.as_count().unwrap().placeholder);
            }
        }
    }

    #[test]
    fn debris_and_dates() {
        check(
            "【 文献号 】1-5586\n【原刊期号】19970314\n共12人",
            &[("12人", Some(12.0), Some("人"), Exact)],
        );
        check("邮编：100000", &[]);
        // A number inside a date fact found before is skipped.
        let text = "2024年3天";
        let date = Fact::new(
            Span::new(0, text.len()),
            FactData::Date(crate::model::DateFact {
                value: "2024".into(),
                year_inferred: false,
                relative: false,
                placeholder: false,
            }),
        );
        assert!(run_with(text, vec![date], true).is_empty());
    }

    #[test]
    fn hard_wrapped_figures_join() {
        let line = "各专门委员会根据自身特点精心选择课题有组织有计划地深入实际调查研究";
        let n = line.chars().count();
        let mut text = String::new();
        for _ in 0..6 {
            text.push_str(line);
            text.push('\n');
        }
        // A wrapped figure: `２３８` ends a full line, `０件` opens the next.
        let head: String = line.chars().take(n - 3).collect();
        text.push_str(&head);
        text.push_str("２３８\n０件，共计");
        text.push_str(&"字".repeat(n - 5));
        text.push('\n');
        let got = counts(&text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "２３８\n０件");
        assert_eq!(got[0].1, Some(2380.0));
    }

    proptest! {
        #[test]
        fn hard_wrapped_spans_are_sound(lines in proptest::collection::vec("[一二三十两余多个人年%（）0-9xX—、和第，。\\n]{40}", 6..9)) {
            let s = lines.join("\n");
            for seg in [false, true] {
                for f in run_with(&s, Vec::new(), seg) {
                    prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
                    prop_assert!(f.span.start < f.span.end && f.span.end <= s.len());
                }
            }
        }

        #[test]
        fn display_width_counts_chars(s in "(\\PC|\r){0,700}") {
            let want: usize = s
                .trim_end_matches('\r')
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum();
            prop_assert_eq!(display_width(s.as_bytes()), want);
        }

        #[test]
        fn never_panics_and_spans_are_sound(s in "(\\PC|[0-9一二三十百千万亿两余多个人次年%（）()xX—、和约近第]){0,40}") {
            for seg in [false, true] {
                for f in run_with(&s, Vec::new(), seg) {
                    prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
                    prop_assert!(f.span.start < f.span.end && f.span.end <= s.len());
                }
            }
        }
    }
}

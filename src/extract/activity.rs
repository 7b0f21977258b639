//! Activity types per paragraph, with done/planned status.
//!
//! Every line of a document is classified by the taxonomy in
//! `data/activity_types.tsv` (cue phrases per type, user-extendable) and
//! given a status from the plan cues in `data/plan_cues.txt`.
//!
//! How a line gets its types:
//! - Hard-wrapped lines are first joined into logical paragraphs; every
//!   physical line then carries its paragraph's types (the gold rule).
//! - One trie scan over the paragraph finds every cue, negative phrase and
//!   rule-lexicon word (overlapping matches included).
//! - Cues in a purpose/outcome clause (`为…`, `促进…`), in an ideology clause
//!   (`以…为指导`, `在县委领导下`), inside `以…为抓手` frames or inside a
//!   quoted slogan (`围绕“…”主题`) add nothing: they name goals, not work.
//! - A weak cue (`企业`, `社区`, `学会`) needs support: an action verb right
//!   before it, a second distinct cue of its type, or a heading line.
//! - A heading whose title is a plan heading (`二、20xx年工作打算`) names no
//!   type of its own.
//!
//! Status is `planned` when the paragraph sits in a plan section (its title
//! or an ancestor's), after a plan-intro line, in a document that is wholly
//! a plan, or when its own sentences say what will be done (将/要/拟/计划/
//! 力争/预计 as words of their own, checked on the jieba words).

use std::collections::HashMap;

use super::entity::FxSet;
use super::{char_at, char_count, utf8_len, CharBits, ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::{ActivityFact, Fact, FactData, Span, Status};

/// A multi-pattern matcher that reports every pattern starting at every
/// position (overlaps included), by start, then end, then id.
///
/// A char trie walked from the positions whose first two chars start some
/// pattern: a root table gives each char's child (and one-char patterns),
/// an 8 KiB hashed bitmap of two-char prefixes rejects nearly every other
/// position with one bit test, and the few walks that start end after a
/// char or two. An Aho-Corasick DFA
/// over the same patterns is a 1.5 MB table indexed by every byte of the
/// text, which costs more per byte and misses the cache.
struct Trie {
    /// Distinct patterns: a text given under several ids is one pattern.
    patterns: Vec<String>,
    /// Caller ids of each pattern in `patterns`, in insertion order.
    ids: Vec<Vec<u32>>,
    index: HashMap<String, usize>,
    /// The root's child for each char below U+10000 (0: none; the root is
    /// never a child), with `ROOT_ENDS` set when a pattern ends there (a
    /// one-char pattern): one load instead of a search among hundreds.
    root: Vec<u32>,
    /// Hashed bits of every two-char prefix of a pattern (`bigram_bit`):
    /// a third of the chars start some pattern, but almost no char pair
    /// starts one, so one bit test drops nearly every walk before it
    /// decodes a char or probes `edges`.
    bigrams: Vec<u64>,
    /// Node 0 is the root.
    nodes: Vec<TrieNode>,
    /// `(char, child node)`, sorted by char within each node's range.
    kids: Vec<(u32, u32)>,
    /// Chars on edges below the root, one bit each (all chars past U+FFFF
    /// count as set): a walk stops on a char outside it without hashing.
    inner: Vec<u64>,
    /// Every edge below the root, `(node << 32 | char, child)`, open
    /// addressing with linear probing (`EMPTY` keys free): most walks stop
    /// at their second char, so this look-up is the walk's cost.
    edges: Vec<(u64, u32)>,
    /// The ids of the pattern ending at each node, flattened.
    flat: Vec<u32>,
}

#[derive(Debug, Clone, Copy, Default)]
struct TrieNode {
    kids_from: u32,
    kids_to: u32,
    ids_from: u32,
    ids_to: u32,
}

const EDGE_EMPTY: u64 = u64::MAX;

/// Flag on a `Trie::root` entry: a pattern ends at that child.
const ROOT_ENDS: u32 = 1 << 31;

/// Bits in `Trie::bigrams`, a power of two: 64 Ki bits (8 KiB) keep the
/// false positives near one percent for a thousand prefixes and stay in L1.
const BIGRAM_BITS: u32 = 16;

/// The bit of `Trie::bigrams` for the char pair `(a, b)`.
#[inline(always)]
fn bigram_bit(a: u32, b: u32) -> usize {
    let h = (a.wrapping_mul(0x9E37_79B1) ^ b).wrapping_mul(0x85EB_CA6B);
    (h >> (32 - BIGRAM_BITS)) as usize
}

fn edge_key(node: u32, c: u32) -> u64 {
    (u64::from(node) << 32) | u64::from(c)
}

#[inline(always)]
fn edge_hash(key: u64) -> usize {
    // Fibonacci hashing: the high bits of the product mix node and char.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize
}

impl Trie {
    fn new() -> Self {
        Trie {
            patterns: Vec::new(),
            ids: Vec::new(),
            index: HashMap::new(),
            root: Vec::new(),
            bigrams: Vec::new(),
            inner: Vec::new(),
            nodes: Vec::new(),
            kids: Vec::new(),
            edges: Vec::new(),
            flat: Vec::new(),
        }
    }

    /// Add a pattern; an empty one is ignored. Takes effect at `build`.
    fn insert(&mut self, pattern: &str, id: u32) {
        if pattern.is_empty() {
            return;
        }
        let k = *self.index.entry(pattern.to_string()).or_insert_with(|| {
            self.patterns.push(pattern.to_string());
            self.ids.push(Vec::new());
            self.patterns.len() - 1
        });
        if let Some(ids) = self.ids.get_mut(k) {
            ids.push(id);
        }
    }

    /// Compile the patterns (once, after the last `insert`).
    fn build(&mut self) {
        // A pointer trie first, flattened below.
        let mut children: Vec<std::collections::BTreeMap<u32, usize>> = vec![Default::default()];
        let mut term: Vec<Option<usize>> = vec![None];
        for (p, pat) in self.patterns.iter().enumerate() {
            let mut node = 0;
            for c in pat.chars() {
                let next = children.len();
                let n = *children[node].entry(c as u32).or_insert(next);
                if n == next {
                    children.push(Default::default());
                    term.push(None);
                }
                node = n;
            }
            term[node] = Some(p);
        }
        self.root = vec![0; 0x10000];
        self.bigrams = vec![0; (1usize << BIGRAM_BITS) / 64];
        for (&c, &n) in &children[0] {
            if c < 0x10000 {
                let ends = if term[n].is_some() { ROOT_ENDS } else { 0 };
                self.root[c as usize] = n as u32 | ends;
            }
            for &c2 in children[n].keys() {
                let bit = bigram_bit(c, c2);
                self.bigrams[bit / 64] |= 1 << (bit % 64);
            }
        }
        let n_edges: usize = children.iter().skip(1).map(|k| k.len()).sum();
        self.edges = vec![(EDGE_EMPTY, 0); (n_edges * 2).next_power_of_two().max(16)];
        let mask = self.edges.len() - 1;
        self.inner = vec![0; 0x10000 / 64];
        for (node, kids) in children.iter().enumerate().skip(1) {
            for (&c, &child) in kids {
                if c < 0x10000 {
                    self.inner[c as usize / 64] |= 1 << (c % 64);
                }
                let key = edge_key(node as u32, c);
                let mut h = edge_hash(key) & mask;
                while self.edges[h].0 != EDGE_EMPTY {
                    h = (h + 1) & mask;
                }
                self.edges[h] = (key, child as u32);
            }
        }
        self.nodes.clear();
        self.kids.clear();
        self.flat.clear();
        for (kids, t) in children.iter().zip(&term) {
            let kids_from = self.kids.len() as u32;
            self.kids.extend(kids.iter().map(|(&c, &n)| (c, n as u32)));
            let ids_from = self.flat.len() as u32;
            if let Some(ids) = t.and_then(|p| self.ids.get(p)) {
                let mut ids = ids.clone();
                ids.sort_unstable();
                self.flat.extend(ids);
            }
            self.nodes.push(TrieNode {
                kids_from,
                kids_to: self.kids.len() as u32,
                ids_from,
                ids_to: self.flat.len() as u32,
            });
        }
    }

    /// The child of `node` for char `c`.
    #[inline(always)]
    fn child(&self, node: u32, c: u32) -> Option<u32> {
        if node == 0 {
            if c < 0x10000 {
                return self
                    .root
                    .get(c as usize)
                    .map(|&n| n & !ROOT_ENDS)
                    .filter(|&n| n != 0);
            }
            let n = self.nodes.first()?;
            let kids = self.kids.get(n.kids_from as usize..n.kids_to as usize)?;
            return kids
                .binary_search_by_key(&c, |k| k.0)
                .ok()
                .and_then(|i| kids.get(i))
                .map(|k| k.1);
        }
        if !bit_set_cp(&self.inner, c) {
            return None;
        }
        let key = edge_key(node, c);
        let mask = self.edges.len().wrapping_sub(1);
        let mut h = edge_hash(key) & mask;
        loop {
            let &(k, child) = self.edges.get(h)?;
            if k == key {
                return Some(child);
            }
            if k == EDGE_EMPTY {
                return None;
            }
            h = (h + 1) & mask;
        }
    }

    /// The root entry of any char, as `root` holds it for chars below
    /// U+10000: the child (0: none), with `ROOT_ENDS` when a pattern ends
    /// there.
    fn root_entry(&self, c: u32) -> u32 {
        if c < 0x10000 {
            return self.root.get(c as usize).copied().unwrap_or(0);
        }
        match self.child(0, c) {
            Some(n) => {
                let ends = self
                    .nodes
                    .get(n as usize)
                    .is_some_and(|t| t.ids_from != t.ids_to);
                n | if ends { ROOT_ENDS } else { 0 }
            }
            None => 0,
        }
    }

    /// Append `(start, end, id)` for every match in `text`, spans offset by
    /// `base`, sorted by start, then end, then id.
    #[cfg(test)]
    fn scan_into(&self, text: &str, base: usize, out: &mut Vec<(usize, usize, u32)>) {
        self.scan_with(text, base, |s, e, id| out.push((s, e, id)));
    }

    /// [`Self::scan_into`], handing each match to `emit`.
    ///
    /// One pass decodes each char once (three-byte and ASCII chars inline)
    /// and looks it up in the root table. A walk from the previous char
    /// starts only when that char starts a pattern and the pair passes the
    /// bigram bitmap; a one-char pattern is reported from the root entry's
    /// flag. The walk from a start runs when its second char is decoded,
    /// after that start's one-char matches and before the next start's, so
    /// matches still come by start, then end, then id.
    #[inline(never)]
    fn scan_with(&self, text: &str, base: usize, mut emit: impl FnMut(usize, usize, u32)) {
        let Ok(root) = <&[u32; 0x10000]>::try_from(self.root.as_slice()) else {
            return;
        };
        let Ok(bigrams) = <&[u64; (1 << BIGRAM_BITS) / 64]>::try_from(self.bigrams.as_slice())
        else {
            return;
        };
        let b = text.as_bytes();
        let mut i = 0;
        // Nothing happens at a char that starts no pattern (root entry 0)
        // after a char that starts none either, and most chars are such:
        // `next_root` skips them with a loop that only decodes and looks
        // up. The inner loop then steps char by char while the previous
        // char starts some pattern.
        'text: while let Some((mut start, end, mut c, mut r)) = self.next_root(root, b, i) {
            i = end;
            loop {
                // The char `c` at `start..i` has root entry `r` (not 0, so
                // its node is not 0 either: the root is nobody's child).
                let node = r & !ROOT_ENDS;
                if r & ROOT_ENDS != 0 {
                    if let Some(t) = self.nodes.get(node as usize) {
                        for &id in self
                            .flat
                            .get(t.ids_from as usize..t.ids_to as usize)
                            .unwrap_or_default()
                        {
                            emit(base + start, base + i, id);
                        }
                    }
                }
                let (prev_c, prev_start) = (c, start);
                start = i;
                let Some((next, n)) = char_at(b, i) else {
                    break 'text;
                };
                c = next;
                i += n;
                // A walk from the previous char, when the pair passes the
                // bigram bitmap and is an edge of the trie.
                let bit = bigram_bit(prev_c, c);
                if bigrams[(bit / 64) % bigrams.len()] & (1 << (bit % 64)) != 0 {
                    if let Some(n2) = self.child(node, c) {
                        self.walk(b, prev_start, i, n2, base, &mut emit);
                    }
                }
                r = if c < 0x10000 {
                    root[c as usize & 0xFFFF]
                } else {
                    self.root_entry(c)
                };
                if r == 0 {
                    continue 'text;
                }
            }
        }
    }

    /// From byte `j`, the first char that starts some pattern: where it
    /// starts and ends, the char and its root entry (not 0). `None` at the
    /// end of the text. Three-byte (CJK) and ASCII chars, nearly all of the
    /// text, are decoded inline with one bounds check.
    #[inline(always)]
    fn next_root(
        &self,
        root: &[u32; 0x10000],
        b: &[u8],
        j: usize,
    ) -> Option<(usize, usize, u32, u32)> {
        // The rest of the text as a shrinking slice: a slice pattern takes
        // a char's bytes with no bounds check.
        let mut rest = b.get(j..)?;
        loop {
            match *rest {
                [x, y, z, ..] if x & 0xF0 == 0xE0 => {
                    let c = (u32::from(x & 0x0F) << 12)
                        | (u32::from(y & 0x3F) << 6)
                        | u32::from(z & 0x3F);
                    let r = root[c as usize & 0xFFFF];
                    rest = rest.get(3..).unwrap_or_default();
                    if r != 0 {
                        let end = b.len() - rest.len();
                        return Some((end - 3, end, c, r));
                    }
                }
                [x, ..] if x < 0x80 => {
                    let r = root[usize::from(x)];
                    rest = rest.get(1..).unwrap_or_default();
                    if r != 0 {
                        let end = b.len() - rest.len();
                        return Some((end - 1, end, u32::from(x), r));
                    }
                }
                [] => return None,
                _ => {
                    let at = b.len() - rest.len();
                    let (c, n) = char_at(b, at)?;
                    let r = self.root_entry(c);
                    rest = rest.get(n..)?;
                    if r != 0 {
                        return Some((at, at + n, c, r));
                    }
                }
            }
        }
    }

    /// Report every pattern starting at byte `start`, whose first char ends
    /// at byte `j` and leads from the root to `first`.
    #[inline(always)]
    fn walk(
        &self,
        b: &[u8],
        start: usize,
        mut j: usize,
        first: u32,
        base: usize,
        emit: &mut impl FnMut(usize, usize, u32),
    ) {
        let mut node = Some(first);
        // Walking down from the root finds the patterns starting at
        // `start` shortest first: in order of end, ids sorted within.
        while let Some(k) = node {
            if let Some(t) = self.nodes.get(k as usize) {
                if t.ids_from != t.ids_to {
                    for &id in self
                        .flat
                        .get(t.ids_from as usize..t.ids_to as usize)
                        .unwrap_or_default()
                    {
                        emit(base + start, base + j, id);
                    }
                }
            }
            node = char_at(b, j).and_then(|(c2, n2)| {
                j += n2;
                self.child(k, c2)
            });
        }
    }
}

/// Does `s` hold at most `n` chars (`s.chars().nth(n).is_none()`)? A
/// byte count settles most strings without counting chars.
fn at_most_chars(s: &str, n: usize) -> bool {
    if s.len() <= n {
        return true;
    }
    if s.len() > n * 4 {
        return false;
    }
    char_count(s) <= n
}

/// Which of the substring cue lists (plan title cues, review cues, …) a
/// text holds a cue of, as a bit mask, from one pass of a [`Trie`] over
/// the cues instead of a `contains` per cue. The trie is the same matcher
/// the paragraphs are scanned with: on short titles its setup is a few
/// loads, where an Aho-Corasick search paid hundreds of instructions per
/// call before and around its byte loop.
struct ListMatcher {
    /// Bits of the lists each distinct cue belongs to, by trie id.
    bits: Vec<u8>,
    trie: Trie,
}

const L_TITLE: u8 = 1;
const L_TITLE_WEAK: u8 = 2;
const L_TITLE_BLOCK: u8 = 4;
const L_REVIEW: u8 = 8;
const L_DOC: u8 = 16;
const L_SECTION_NONE: u8 = 32;
const L_TITLE_YEAR: u8 = 64;

impl ListMatcher {
    fn new(lists: &[(&[String], u8)]) -> Self {
        let mut trie = Trie::new();
        let mut bits: Vec<u8> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for &(list, bit) in lists {
            for cue in list.iter().filter(|c| !c.is_empty()) {
                let k = *index.entry(cue.as_str()).or_insert_with(|| {
                    trie.insert(cue, bits.len() as u32);
                    bits.push(0);
                    bits.len() - 1
                });
                if let Some(b) = bits.get_mut(k) {
                    *b |= bit;
                }
            }
        }
        trie.build();
        ListMatcher { bits, trie }
    }

    /// The lists that have a cue occurring in `s`.
    fn mask(&self, s: &str) -> u8 {
        let mut m = 0;
        self.trie.scan_with(s, 0, |_, _, id| {
            m |= self.bits.get(id as usize).copied().unwrap_or(0);
        });
        m
    }
}

/// One cue phrase of one type.
#[derive(Debug, Clone)]
struct Cue {
    ty: usize,
    weak: bool,
    /// Must start and end on jieba word bounds.
    word: bool,
    /// For `head…tail` cues: the tail to find after the head in the clause.
    tail: Option<String>,
}

/// What a trie pattern stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat {
    Cue(usize),
    /// Cancels overlapping cues of this type.
    Neg(usize),
    Action,
    Purpose,
    /// `为X` of a `以…为X` frame.
    Frame,
    Ideology,
    SloganAfter,
    SloganBefore,
    /// A tail of a `head…tail` cue or span.
    Tail,
    /// The head of a `head…tail` discount span; index into `span_tails`.
    SpanHead(usize),
    /// A thank-you phrase: its sentence lists addressees, not work.
    Thanks,
    /// A handed-out material noun (`资料`): cues right before it in its
    /// clause name the material's topic.
    Material,
    /// A noun of a person (`专家`, `大户`): cues right before it in its
    /// clause name the person's field, not work.
    Participant,
    /// The head of a `head…tail` place (`在…内`); index into `span_tails`.
    PlaceHead(usize),
    /// A problem statement's opener (`我们也清醒认识到`): in a paragraph's
    /// first sentence, the paragraph lists shortcomings, not work.
    Problem,
    /// A phrase of the general requirement (`总体要求是：`, `做好政府工作，
    /// 要以…`): its sentence is the guideline of a plan, not work.
    Guideline,
}

impl Pat {
    /// One bit per kind of pattern: a paragraph's matches OR'ed together
    /// tell which of the rule passes below have anything to look at.
    fn bit(self) -> u16 {
        match self {
            Pat::Cue(_) => 1,
            Pat::Neg(_) => 1 << 1,
            Pat::Action => 1 << 2,
            Pat::Purpose => 1 << 3,
            Pat::Frame => 1 << 4,
            Pat::Ideology => 1 << 5,
            Pat::SloganAfter => 1 << 6,
            Pat::SloganBefore => 1 << 7,
            Pat::Tail => 1 << 8,
            Pat::SpanHead(_) => 1 << 9,
            Pat::Thanks => 1 << 10,
            Pat::Material => 1 << 11,
            Pat::Participant => 1 << 12,
            Pat::PlaceHead(_) => 1 << 13,
            Pat::Problem => 1 << 14,
            Pat::Guideline => 1 << 15,
        }
    }
}

#[derive(Debug, Clone)]
struct TypeDef {
    id: String,
}

/// Plan cues by scope (see data/plan_cues.txt).
#[derive(Debug, Default)]
struct PlanCues {
    title: Vec<String>,
    title_weak: Vec<String>,
    title_year: Vec<String>,
    title_block: Vec<String>,
    review: Vec<String>,
    doc: Vec<String>,
    word: FxSet<String>,
    jiang_next: FxSet<String>,
    lead: Vec<String>,
    done: FxSet<String>,
    /// First words of a run-in title that names a task (`加强…。`).
    title_verb: Vec<String>,
    /// Phrases that, opening a document's first line, make it a review
    /// (`今年以来，…`).
    review_open: Vec<String>,
    /// First characters of the `word` and `done` cues (chars below U+10000,
    /// one bit each): most words start with none of them and skip both
    /// hashed look-ups.
    first: Vec<u64>,
    /// `first` plus the first chars of 将, 计划 and 要: words starting with
    /// none of them cannot change a sentence's status.
    status_first: CharBits,
    /// First characters of the `lead` cues, likewise: a sentence head is
    /// searched for lead cues only at the chars that may start one.
    lead_first: CharBits,
}

/// Is `c` marked in a first-character bitmap? Chars past U+FFFF always are.
fn bit_set(bits: &[u64], c: char) -> bool {
    bit_set_cp(bits, c as u32)
}

/// [`bit_set`] for a code point.
#[inline(always)]
fn bit_set_cp(bits: &[u64], cp: u32) -> bool {
    let cp = cp as usize;
    cp >= 0x10000 || bits.get(cp / 64).is_some_and(|b| b & (1 << (cp % 64)) != 0)
}

impl PlanCues {
    fn may_start(&self, w: &str) -> bool {
        w.chars().next().is_some_and(|c| bit_set(&self.first, c))
    }

    /// Does `head` hold a lead cue anywhere (same as `contains` per cue)?
    fn has_lead(&self, head: &str) -> bool {
        // Stepped with the inline decoder: `char_indices` decodes every
        // width through the general path.
        let b = head.as_bytes();
        let mut i = 0;
        while let Some(&x) = b.get(i) {
            // A three-byte char is tested by its bytes, others decoded.
            let (may, n) = match b.get(i..i + 3) {
                Some(&[x, y, z]) if x & 0xF0 == 0xE0 => {
                    (self.lead_first.has_three_byte(x, y, z), 3)
                }
                _ => match char_at(b, i) {
                    Some((c, n)) => (bit_set_cp(&self.lead_first.0, c), n),
                    None => (false, utf8_len(x)),
                },
            };
            if may
                && self
                    .lead
                    .iter()
                    .any(|l| b.get(i..).is_some_and(|t| t.starts_with(l.as_bytes())))
            {
                return true;
            }
            i += n;
        }
        false
    }
}

pub struct ActivityExtractor {
    types: Vec<TypeDef>,
    cues: Vec<Cue>,
    pats: Vec<Pat>,
    trie: Trie,
    plan: PlanCues,
    span_tails: Vec<String>,
    lists: ListMatcher,
}

/// A heading's first sentence longer than this (in chars) is a paragraph
/// of work: only its first clause is a title.
const HEADING_TITLE_MAX_CHARS: usize = 24;

const TYPES_FILE: &str = "activity_types.tsv";
const PLAN_FILE: &str = "plan_cues.txt";

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|x| !x.is_empty() && *x != "-")
}

impl ActivityExtractor {
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        let mut types: Vec<TypeDef> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut cues: Vec<Cue> = Vec::new();
        let mut pats: Vec<Pat> = Vec::new();
        let mut trie = Trie::new();
        let mut span_tails: Vec<String> = Vec::new();
        let mut section_none: Vec<String> = Vec::new();
        let add = |trie: &mut Trie, pats: &mut Vec<Pat>, text: &str, p: Pat| {
            trie.insert(text, pats.len() as u32);
            pats.push(p);
        };
        let file = data.file(TYPES_FILE)?;
        for (f, n, line) in file.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                return Err(DataError::new(
                    f,
                    n,
                    "expected id<TAB>名称<TAB>description<TAB>cues[<TAB>negatives]",
                ));
            }
            let id = cols[0].trim();
            if id.is_empty() {
                return Err(DataError::new(f, n, "empty type id"));
            }
            if let Some(lex) = id.strip_prefix('@') {
                if lex == "section_none" {
                    section_none.extend(split_list(cols[3]).map(str::to_string));
                    continue;
                }
                if lex == "span" || lex == "place" {
                    for w in split_list(cols[3]) {
                        let Some((h, t)) = w
                            .split_once('…')
                            .filter(|(h, t)| !h.is_empty() && !t.is_empty())
                        else {
                            return Err(DataError::new(
                                f,
                                n,
                                format!("span {w:?} needs head…tail"),
                            ));
                        };
                        let head = if lex == "span" {
                            Pat::SpanHead(span_tails.len())
                        } else {
                            Pat::PlaceHead(span_tails.len())
                        };
                        add(&mut trie, &mut pats, h, head);
                        add(&mut trie, &mut pats, t, Pat::Tail);
                        span_tails.push(t.to_string());
                    }
                    continue;
                }
                let p = match lex {
                    "action" => Pat::Action,
                    "purpose" => Pat::Purpose,
                    "frame" => Pat::Frame,
                    "ideology" => Pat::Ideology,
                    "slogan_after" => Pat::SloganAfter,
                    "slogan_before" => Pat::SloganBefore,
                    "thanks" => Pat::Thanks,
                    "material" => Pat::Material,
                    "participant" => Pat::Participant,
                    "problem" => Pat::Problem,
                    "guideline" => Pat::Guideline,
                    _ => return Err(DataError::new(f, n, format!("unknown rule lexicon {id:?}"))),
                };
                for w in split_list(cols[3]) {
                    if p == Pat::Frame {
                        add(&mut trie, &mut pats, &format!("为{w}"), p);
                    } else {
                        add(&mut trie, &mut pats, w, p);
                    }
                }
                continue;
            }
            if !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(DataError::new(f, n, format!("bad type id {id:?}")));
            }
            let ty = match by_id.get(id) {
                Some(&t) => t,
                None => {
                    types.push(TypeDef { id: id.to_string() });
                    by_id.insert(id.to_string(), types.len() - 1);
                    types.len() - 1
                }
            };
            for raw in split_list(cols[3]) {
                let mut s = raw;
                let (mut weak, mut word) = (false, false);
                loop {
                    if let Some(r) = s.strip_prefix('~') {
                        weak = true;
                        s = r;
                    } else if let Some(r) = s.strip_prefix('=') {
                        word = true;
                        s = r;
                    } else {
                        break;
                    }
                }
                let (head, tail) = match s.split_once('…') {
                    Some((h, t)) => (h.trim(), Some(t.trim())),
                    None => (s, None),
                };
                if head.is_empty() || tail.is_some_and(str::is_empty) {
                    return Err(DataError::new(f, n, format!("empty cue in {raw:?}")));
                }
                if let Some(t) = tail {
                    add(&mut trie, &mut pats, t, Pat::Tail);
                }
                add(&mut trie, &mut pats, head, Pat::Cue(cues.len()));
                cues.push(Cue {
                    ty,
                    weak,
                    word,
                    tail: tail.map(str::to_string),
                });
            }
            if let Some(negs) = cols.get(4) {
                for w in split_list(negs) {
                    add(&mut trie, &mut pats, w, Pat::Neg(ty));
                }
            }
        }
        if types.is_empty() {
            return Err(DataError::new(TYPES_FILE, 0, "no activity types"));
        }
        trie.build();

        let mut plan = PlanCues::default();
        let file = data.file(PLAN_FILE)?;
        for (f, n, line) in file.lines() {
            let (scope, cue) = line
                .split_once('\t')
                .map(|(a, b)| (a.trim(), b.trim()))
                .ok_or_else(|| DataError::new(f, n, "expected scope<TAB>cue"))?;
            if cue.is_empty() {
                return Err(DataError::new(f, n, "empty cue"));
            }
            let c = cue.to_string();
            match scope {
                "title" => plan.title.push(c),
                "title_weak" => plan.title_weak.push(c),
                "title_year" => plan.title_year.push(c),
                "title_block" => plan.title_block.push(c),
                "review" => plan.review.push(c),
                "doc" => plan.doc.push(c),
                "word" => {
                    plan.word.insert(c);
                }
                "jiang_next" => {
                    plan.jiang_next.insert(c);
                }
                "lead" => plan.lead.push(c),
                "done" => {
                    plan.done.insert(c);
                }
                "title_verb" => plan.title_verb.push(c),
                "review_open" => plan.review_open.push(c),
                _ => return Err(DataError::new(f, n, format!("unknown scope {scope:?}"))),
            }
        }
        plan.first = vec![0; 0x10000 / 64];
        for w in plan.word.iter().chain(plan.done.iter()) {
            if let Some(c) = w.chars().next().filter(|&c| (c as u32) < 0x10000) {
                plan.first[c as usize / 64] |= 1 << (c as u32 % 64);
            }
        }
        for w in plan.word.iter().chain(plan.done.iter()) {
            if let Some(c) = w.chars().next() {
                plan.status_first.insert(c);
            }
        }
        for c in ['将', '计', '要'] {
            plan.status_first.insert(c);
        }
        for w in &plan.lead {
            if let Some(c) = w.chars().next() {
                plan.lead_first.insert(c);
            }
        }
        let lists = ListMatcher::new(&[
            (&plan.title, L_TITLE),
            (&plan.title_weak, L_TITLE_WEAK),
            (&plan.title_year, L_TITLE_YEAR),
            (&plan.title_block, L_TITLE_BLOCK),
            (&plan.review, L_REVIEW),
            (&plan.doc, L_DOC),
            (&section_none, L_SECTION_NONE),
        ]);
        Ok(ActivityExtractor {
            types,
            cues,
            pats,
            trie,
            plan,
            span_tails,
            lists,
        })
    }

    /// The type ids, in file order (embedded first, then the user's).
    pub fn type_ids(&self) -> impl Iterator<Item = &str> {
        self.types.iter().map(|t| t.id.as_str())
    }

    /// Is a section title a plan heading? `review_before`: an earlier
    /// top-level heading was a review, which makes `2026年重点工作` a plan.
    #[inline(never)]
    /// `mask`: the title's cue lists (`ListMatcher::mask`).
    fn plan_title(
        &self,
        title: &str,
        mask: u8,
        level: u8,
        review_before: bool,
        year: Option<i32>,
    ) -> bool {
        if mask & (L_TITLE_BLOCK | L_REVIEW) != 0 {
            return false;
        }
        if mask & L_TITLE != 0 {
            return true;
        }
        // The mask first: it is a bit test, the char search is not.
        if level == 1 && mask & (L_TITLE_WEAK | L_TITLE_YEAR) != 0 && title.contains('年') {
            if review_before {
                return true;
            }
            if let (Some(y), Some(t)) = (year, first_year(title)) {
                // `2026年重点工作` in a report on 2026 is that year's tasks
                // (a government report delivered as the year opens); a
                // year's `主要工作` is as often what was done.
                return t > y || (t == y && mask & L_TITLE_YEAR != 0);
            }
        }
        false
    }
}

/// Whether the slogan word at `start..end` is `主题` (`为主题`, `的主题`)
/// of a campaign named right after it (`“远离毒品”主题宣传活动`,
/// `以“珍爱生命”为主题开展宣传`): the quotation then names the campaign's
/// topic, and its cues count.
fn names_campaign(text: &str, start: usize, end: usize) -> bool {
    if !text.get(start..end).is_some_and(|w| w.ends_with("主题")) {
        return false;
    }
    let rest = text.get(end..).unwrap_or_default();
    let mut near = String::new();
    for c in rest.chars().take(CAMPAIGN_AFTER_THEME_CHARS) {
        if is_clause_end(c) || c == '“' {
            break;
        }
        near.push(c);
    }
    ["宣传", "活动", "教育", "讲座", "宣讲", "培训"]
        .iter()
        .any(|w| near.contains(w))
}

/// How far after `主题` a campaign noun may stand (`主题宣传教育活动`).
const CAMPAIGN_AFTER_THEME_CHARS: usize = 8;

/// Where the run-in title of a paragraph ends, as a byte offset into `p`:
/// a first sentence of a few characters with no clause break
/// (`提升服务水平。增强服务意识…`) titles the work after it as a heading
/// would. A short sentence alone on its line (`灌溉面积扩大。`) is none.
fn run_in_title_end(p: &str) -> Option<usize> {
    let lead = p.len() - p.trim_start_matches(is_space).len();
    let t = &p[lead..];
    // The 。 ending a title stands within its first MAX + 1 chars: look no
    // further (this runs for every paragraph, most of them long).
    let i = t
        .char_indices()
        .take(RUN_IN_TITLE_MAX_CHARS + 1)
        .find(|&(_, c)| c == '。')?
        .0;
    let title = &t[..i];
    let n = title.chars().count();
    // A title is a phrase naming work, not a report of it (`了`, figures),
    // and work follows it in the same paragraph.
    let end = i + '。'.len_utf8();
    if !(RUN_IN_TITLE_MIN_CHARS..=RUN_IN_TITLE_MAX_CHARS).contains(&n)
        || title
            .chars()
            .any(|c| is_clause_end(c) || is_space(c) || c == '了' || c.is_numeric())
        || t[end..].trim_matches(is_space).is_empty()
    {
        return None;
    }
    Some(lead + end)
}

/// The length bounds of a run-in title in characters.
const RUN_IN_TITLE_MIN_CHARS: usize = 4;
const RUN_IN_TITLE_MAX_CHARS: usize = 14;

/// First 4-digit year (ASCII or full-width digits) in a string.
fn first_year(s: &str) -> Option<i32> {
    let mut digits = String::new();
    for c in s.chars() {
        let d = if c.is_ascii_digit() {
            Some(c)
        } else if ('０'..='９').contains(&c) {
            char::from_u32(c as u32 - '０' as u32 + '0' as u32)
        } else {
            None
        };
        match d {
            Some(d) => digits.push(d),
            None => {
                if digits.len() == 4 {
                    return digits.parse().ok();
                }
                digits.clear();
            }
        }
    }
    if digits.len() == 4 {
        digits.parse().ok()
    } else {
        None
    }
}

fn is_space(c: char) -> bool {
    // No char above U+3000 is white space but U+FEFF (listed): the CJK
    // text, nearly all of it, is settled by one compare instead of a
    // Unicode table search.
    if c > '\u{3000}' {
        return c == '\u{feff}';
    }
    c.is_whitespace() || matches!(c, '\u{3000}' | '\u{a0}')
}

fn is_clause_end(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '；' | ';' | '！' | '？' | '!' | '?' | '：' | ':'
    )
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '；' | ';' | '！' | '？' | '!' | '?')
}

fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '；' | '：' | '!' | '?' | ';' | ':' | '…'
    )
}

/// A span trimmed of surrounding whitespace and `>` debris.
fn trim_span(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let t = s.trim_start_matches(|c: char| is_space(c) || c == '>' || c == '＞');
    let start = span.start + (s.len() - t.len());
    let t2 = t.trim_end_matches(is_space);
    Span::new(start, start + t2.len())
}

/// Does the line end with terminal punctuation (closing quotes skipped)?
fn ends_terminal(s: &str) -> bool {
    let mut it = s
        .trim_end_matches(is_space)
        .chars()
        .rev()
        .skip_while(|c| matches!(c, '”' | '’' | '」' | '』' | '）' | ')' | '"'));
    it.next().is_some_and(is_terminal)
}

/// Call `f(i, c)` for every char of `s` that may be a mark the scans below
/// look for: every char except the CJK ideographs of U+4000..=U+9FFF (UTF-8
/// lead bytes E4..E9) and the ASCII chars other than `,;:!?`. The scans
/// care only about those ASCII marks and full-width punctuation, quotes and
/// brackets; ideographs are most of the text and ASCII digits, letters and
/// spaces most of the rest: skipping both by their first byte saves
/// decoding them and a call per char.
#[inline(always)]
fn for_each_mark(s: &str, mut f: impl FnMut(usize, char)) {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&x) = b.get(i) {
        if (0xE4..=0xE9).contains(&x) {
            i += 3;
            continue;
        }
        if x < 0x80 && !matches!(x, b',' | b';' | b':' | b'!' | b'?') {
            i += 1;
            continue;
        }
        // One call site for `f`, so that it is inlined into the loop.
        let c = if x < 0x80 {
            char::from(x)
        } else {
            let Some(c) = s.get(i..).and_then(|t| t.chars().next()) else {
                break;
            };
            c
        };
        f(i, c);
        i += c.len_utf8();
    }
}

/// The piece (of pieces that tile a span in order) holding `pos`.
fn piece_at(pieces: &[Span], pos: usize) -> Option<Span> {
    let k = pieces.partition_point(|c| c.end <= pos);
    pieces.get(k).copied().filter(|c| c.start <= pos)
}

/// Words of the document that lie inside a span, for disjoint spans
/// visited in increasing order: a cursor that only moves forward replaces two
/// binary searches per span.
struct WordCursor {
    at: usize,
}

impl WordCursor {
    fn words<'a>(&mut self, words: &'a [Span], span: Span) -> &'a [Span] {
        // Words are sorted by start: skip those before the span, then take
        // those starting inside it.
        let mut a = self.at;
        while words.get(a).is_some_and(|w| w.start < span.start) {
            a += 1;
        }
        let mut b = a;
        while words.get(b).is_some_and(|w| w.start < span.end) {
            b += 1;
        }
        // The next span starts at or after this one's end, so the words
        // starting before that end are behind it too: the next call need
        // not step over them again.
        self.at = b;
        let slice = words.get(a..b).unwrap_or_default();
        // A word may run past the span end only when segmentation was odd;
        // drop it rather than read outside.
        match slice.last() {
            Some(w) if w.end > span.end => &slice[..slice.len() - 1],
            _ => slice,
        }
    }
}

/// Words of `words` (a paragraph's, sorted by start) that lie inside `span`,
/// as [`WordCursor::words`] would find them among all the document's words.
fn words_within(words: &[Span], span: Span) -> &[Span] {
    let a = words.partition_point(|w| w.start < span.start);
    let b = words.partition_point(|w| w.start < span.end).max(a);
    let slice = words.get(a..b).unwrap_or_default();
    match slice.last() {
        Some(w) if w.end > span.end => &slice[..slice.len() - 1],
        _ => slice,
    }
}

fn is_word_start(ctx: &ExtractContext<'_>, pos: usize) -> bool {
    ctx.words.binary_search_by_key(&pos, |w| w.start).is_ok()
}

fn is_word_end(ctx: &ExtractContext<'_>, pos: usize) -> bool {
    ctx.words.binary_search_by_key(&pos, |w| w.end).is_ok()
}

/// The matches of a paragraph (which come by start) that start in
/// `from..to`: the rules that look for a match near a cue read these
/// instead of every match of the paragraph.
fn starting_in(matches: &[(usize, usize, Pat)], from: usize, to: usize) -> &[(usize, usize, Pat)] {
    let a = matches.partition_point(|m| m.0 < from);
    let b = matches.partition_point(|m| m.0 < to);
    &matches[a..b.max(a)]
}

/// Does `start..end` end a word that begins two or more characters before
/// it (`局` of `环保局`, not `办` of `举办`)?
fn ends_long_word(ctx: &ExtractContext<'_>, start: usize, end: usize) -> bool {
    if !is_word_end(ctx, end) {
        return false;
    }
    let k = ctx.words.partition_point(|w| w.end <= start);
    ctx.words.get(k).is_some_and(|w| {
        w.start < start
            && ctx
                .text
                .get(w.start..start)
                .is_some_and(|head| !at_most_chars(head, 1))
    })
}

/// True for a token with no letters (punctuation, digits, numbering).
fn is_marker_token(s: &str) -> bool {
    s.chars().all(|c| {
        is_space(c)
            || c.is_ascii_punctuation()
            || c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(
                c,
                '一' | '二'
                    | '三'
                    | '四'
                    | '五'
                    | '六'
                    | '七'
                    | '八'
                    | '九'
                    | '十'
                    | '（'
                    | '）'
                    | '、'
                    | '．'
                    | '“'
                    | '”'
                    | '《'
                    | '》'
                    | '＞'
            )
            || ('\u{3220}'..='\u{3229}').contains(&c)
            || ('\u{2460}'..='\u{2473}').contains(&c)
    })
}

/// One logical paragraph: physical lines `first..=last`.
struct Logical {
    first: usize,
    last: usize,
    span: Span,
}

/// Join hard-wrapped physical lines into logical paragraphs. A line runs on
/// into the next when it does not end a sentence and either is long (a
/// wrapped line) with an unindented follower, or ends on `、`/`，`. In a
/// hard-wrapped text (many lines of exactly the wrap width) a full-width
/// line runs on even when it happens to end on `。`, and a numbered heading
/// that fills the line (`（六）企业改革取得新进展。1998年，…`) runs on into
/// its body.
///
/// `lines` gets the trimmed span and char count of every physical line,
/// for the caller to reuse.
#[inline(never)]
fn logical_paragraphs(ctx: &ExtractContext<'_>, lines: &mut Vec<(Span, usize)>) -> Vec<Logical> {
    // Trimmed span and char count of every line, computed once.
    lines.clear();
    lines.extend(ctx.paragraphs.iter().map(|p| {
        let t = trim_span(ctx.text, p.span);
        (t, char_count(t.slice(ctx.text)))
    }));
    let lines: &[(Span, usize)] = lines;
    // The wrap width: a hard-wrapped text has many lines of (nearly) the
    // same, longest length; take the 90th percentile of line lengths.
    let mut lens: Vec<usize> = Vec::with_capacity(lines.len());
    lens.extend(lines.iter().map(|l| l.1).filter(|&n| n > 0));
    lens.sort_unstable();
    let width = lens.get(lens.len() * 9 / 10).copied().unwrap_or(0);
    let wrapped_min = (width * 85 / 100).max(20);
    // Hard-wrapped: at least a third of the lines (and 4) sit within two
    // characters of the width; free-flowing paragraphs vary far more.
    let near = lens
        .iter()
        .filter(|&&n| n + 2 >= width && n <= width + 2)
        .count();
    let hard_wrapped = width >= 20 && near >= 4 && near * 3 >= lens.len();
    let full_min = width.saturating_sub(2).max(20);
    let mut out: Vec<Logical> = Vec::with_capacity(ctx.paragraphs.len());
    let mut prev_open = false;
    let mut prev_full = false;
    for (pi, p) in ctx.paragraphs.iter().enumerate() {
        let raw = p.span.slice(ctx.text);
        let (t, n) = lines[pi];
        if t.is_empty() {
            prev_open = false;
            prev_full = false;
            continue;
        }
        let indented = raw.starts_with(is_space);
        // A logical paragraph never grows past the paragraph bound: work per
        // logical paragraph is not linear, and an over-long line was cut
        // into bounded pieces by segmentation precisely to bound it.
        let fits = out
            .last()
            .is_none_or(|l| t.end - l.span.start <= crate::segment::MAX_PARAGRAPH_BYTES);
        let joins = fits
            && ((!p.is_heading && !indented && prev_full && !t.slice(ctx.text).starts_with('【'))
                || prev_open && !p.is_heading && {
                    let last = out.last().map(|l| l.last).unwrap_or(pi);
                    let (pt, pn) = lines.get(last).copied().unwrap_or((t, n));
                    let prev = pt.slice(ctx.text);
                    let open_end = prev.ends_with(['、', '，', ',', '（', '(', '“']);
                    open_end || (!indented && pn >= wrapped_min)
                });
        match out.last_mut() {
            Some(l) if joins => {
                l.last = pi;
                l.span.end = t.end;
            }
            _ => out.push(Logical {
                first: pi,
                last: pi,
                span: t,
            }),
        }
        let tt = t.slice(ctx.text);
        prev_open = !p.is_heading && !ends_terminal(tt);
        prev_full = hard_wrapped && n >= full_min && !tt.starts_with('【');
    }
    out
}

/// `text` with its line breaks (`\n`, `\r`) taken out into `joined`;
/// `cuts` gets, for every break, its offset in `joined` and the bytes taken
/// out up to and including it.
fn join_lines(text: &str, joined: &mut String, cuts: &mut Vec<(usize, usize)>) {
    joined.clear();
    cuts.clear();
    let mut removed = 0;
    for piece in text.split_inclusive('\n') {
        let line = piece.trim_end_matches(['\n', '\r']);
        joined.push_str(line);
        let gone = piece.len() - line.len();
        if gone > 0 {
            removed += gone;
            cuts.push((joined.len(), removed));
        }
    }
}

/// One sentence of a logical paragraph with its status.
#[derive(Clone, Copy)]
struct SentStatus {
    span: Span,
    plan: bool,
    done: bool,
}

/// A cue found in a paragraph, after filtering.
#[derive(Clone, Copy)]
struct Hit {
    cue: usize,
    span: Span,
}

/// The hits (sorted by start) that lie inside no longer hit, in order,
/// into `live` (cleared first). A hit is inside a longer one when an
/// earlier-starting hit reaches its end, or one starting with it ends after
/// it: one pass, where comparing every pair took seconds on a hostile
/// paragraph of 100,000 sentences.
fn outermost_hits(hits: &[Hit], live: &mut Vec<Hit>) {
    debug_assert!(hits.windows(2).all(|w| w[0].span.start <= w[1].span.start));
    live.clear();
    // The furthest end of the hits starting earlier.
    let mut reach_before: Option<usize> = None;
    let mut k = 0;
    while k < hits.len() {
        let start = hits[k].span.start;
        let group = hits[k..]
            .iter()
            .take_while(|h| h.span.start == start)
            .count();
        let same_start = &hits[k..k + group];
        let reach = same_start.iter().map(|h| h.span.end).max().unwrap_or(start);
        live.extend(
            same_start
                .iter()
                .copied()
                .filter(|h| reach_before.is_none_or(|r| r < h.span.end) && reach <= h.span.end),
        );
        reach_before = Some(reach_before.map_or(reach, |r| r.max(reach)));
        k += group;
    }
}

/// Buffers reused from paragraph to paragraph of one document: a fresh
/// set of small vectors per paragraph cost more than the work done in them.
#[derive(Default)]
struct Scratch {
    matches: Vec<(usize, usize, Pat)>,
    clauses: Vec<Span>,
    discount: Vec<Span>,
    marked: Vec<usize>,
    negs: Vec<(Span, usize)>,
    hits: Vec<Hit>,
    discounted: Vec<Hit>,
    live: Vec<Hit>,
    quotes: Vec<Span>,
    types: Vec<usize>,
    /// The paragraph's sentences: spans from `classify` (only for a
    /// paragraph with a cue), status flags filled in only when it has types.
    sents: Vec<SentStatus>,
    /// A hard-wrapped paragraph with its line breaks taken out, and where
    /// they were: `(offset in the joined text, bytes taken out up to there)`.
    joined: String,
    cuts: Vec<(usize, usize)>,
    /// The types named by the headings over the paragraph (its section's
    /// and the sections' above it): they support its weak cues.
    heading_types: Vec<usize>,
}

impl ActivityExtractor {
    /// Status of one sentence: (has a plan cue, has a done marker).
    fn sentence_status(
        &self,
        ctx: &ExtractContext<'_>,
        sent: Span,
        words: &[Span],
    ) -> (bool, bool) {
        let text = ctx.text;
        let bytes = text.as_bytes();
        let mut plan = false;
        let mut done = false;
        let s = sent.slice(text).trim_start_matches(is_space);
        // The first eight chars, stepped by lead byte (no decoding).
        let sb = s.as_bytes();
        let mut end = 0;
        for _ in 0..8 {
            let Some(&x) = sb.get(end) else { break };
            end += utf8_len(x);
        }
        let head = s.get(..end).unwrap_or(s);
        if self.plan.has_lead(head) {
            plan = true;
        }
        let first = &self.plan.status_first;
        for (k, w) in words.iter().enumerate() {
            // Most words start with no char of any status word: one bit
            // test on the first char skips them (a CJK char decoded inline).
            let candidate = match bytes.get(w.start..w.start + 3) {
                Some(&[x, y, z]) if x & 0xF0 == 0xE0 => first.has_three_byte(x, y, z),
                _ => char_at(bytes, w.start).is_some_and(|(c, _)| bit_set_cp(&first.0, c)),
            };
            if !candidate {
                continue;
            }
            // Both flags only ever turn on: once both are on, nothing left
            // can change the answer (the words skipped above change nothing).
            if plan && done {
                break;
            }
            let ws = w.slice(text);
            let cue_like = self.plan.may_start(ws);
            if cue_like && self.plan.done.contains(ws) {
                done = true;
            }
            // Only these words can make the sentence planned; the other
            // checks below are skipped for every other word.
            let special = matches!(ws, "将" | "计划" | "要" | "争取");
            if plan || !(special || (cue_like && self.plan.word.contains(ws))) {
                continue;
            }
            // A word right after a hard line wrap may be a word's tail
            // (`重\n要作用`): jieba saw the halves apart. A line break before
            // the sentence began is no wrap: the word opens its paragraph
            // (`要培育壮大新兴产业。`).
            let mut after_wrap = false;
            let before = text.get(sent.start..w.start).unwrap_or_default();
            for c in before.chars().rev() {
                if c == '\n' {
                    after_wrap = true;
                }
                if c == '\n' || !is_space(c) {
                    break;
                }
            }
            if after_wrap {
                continue;
            }
            let next = words.get(k + 1).map(|n| n.slice(text)).unwrap_or_default();
            let prev = if k == 0 { "" } else { words[k - 1].slice(text) };
            if ws == "将" {
                if self.plan.jiang_next.contains(next) {
                    plan = true;
                }
            } else if ws == "计划" {
                // A verb at the head of its clause (`计划在2000年以前…`), not
                // the noun of `教学计划`.
                let clause_start = prev.chars().all(|c| is_clause_end(c) || is_space(c));
                if clause_start || self.plan.jiang_next.contains(next) {
                    plan = true;
                }
            } else if ws == "要" {
                if !next.is_empty() && !next.chars().all(is_clause_end) {
                    plan = true;
                }
            } else if ws == "争取" {
                // `争取中央资金超900亿元`, `争取…建设任务162项`: funds and
                // tasks secured, a result; `争取更好结果`, `争取再纳规3个…`,
                // `争取进入国家规划` aim.
                let rest = text.get(w.end..sent.end).unwrap_or_default();
                let clause = rest.split(is_clause_end).next().unwrap_or_default();
                let figure = clause
                    .chars()
                    .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '亿');
                if !figure || clause.contains(['更', '再']) {
                    plan = true;
                }
            } else {
                // Not special, so a plan word (checked above).
                plan = true;
            }
        }
        (plan, done)
    }

    /// Types of one logical paragraph, left in `sc.types`. When there are
    /// some, `sc.sents` holds the paragraph's sentence spans (status flags
    /// not yet filled in).
    #[inline(never)]
    fn classify(
        &self,
        ctx: &ExtractContext<'_>,
        lp: &Logical,
        heading_plan: bool,
        words: &[Span],
        sc: &mut Scratch,
    ) {
        let text = ctx.text;
        let span = lp.span;
        let ptext = span.slice(text);
        sc.types.clear();
        // Web header fields (`【 标  题 】…`) are metadata, not activities.
        if ptext.starts_with('【') {
            return;
        }
        // A line announcing a list (`…具体工作计划如下：`) reports nothing itself.
        // (A paragraph's span is trimmed already: `trim_end` is needed only
        // when it ends on white space, which `is_space` tells cheaply.)
        let trimmed = if ptext.ends_with(is_space) {
            ptext.trim_end()
        } else {
            ptext
        };
        if trimmed.ends_with("如下：") || trimmed.ends_with("如下:") {
            return;
        }
        let is_heading = ctx.paragraphs.get(lp.first).is_some_and(|p| p.is_heading);

        let Scratch {
            matches,
            clauses,
            discount,
            marked,
            negs,
            hits,
            discounted,
            live,
            quotes,
            types,
            sents,
            joined,
            cuts,
            heading_types,
        } = sc;
        matches.clear();
        // The kinds of pattern found (`Pat::bit`).
        let mut kinds = 0u16;
        if lp.first == lp.last {
            self.trie.scan_with(ptext, span.start, |s, e, id| {
                if let Some(&p) = self.pats.get(id as usize) {
                    kinds |= p.bit();
                    matches.push((s, e, p));
                }
            });
        } else {
            // Lines joined by a hard wrap: a cue broken by the wrap
            // (`技术资\n料`) is still one cue, so the lines are scanned
            // joined and the matches mapped back to the text.
            join_lines(ptext, joined, cuts);
            let cuts: &[(usize, usize)] = cuts;
            // Bytes taken out before joined offset `at` (`end`: a match
            // ending where a break was taken out ends before the break).
            let shift = |at: usize, end: bool| {
                let k = cuts.partition_point(|&(c, _)| if end { c < at } else { c <= at });
                k.checked_sub(1).map_or(0, |k| cuts[k].1)
            };
            self.trie.scan_with(joined, 0, |s, e, id| {
                if let Some(&p) = self.pats.get(id as usize) {
                    kinds |= p.bit();
                    matches.push((
                        span.start + s + shift(s, false),
                        span.start + e + shift(e, true),
                        p,
                    ));
                }
            });
        }
        // Types come from cues alone: a paragraph without one (a good share
        // of them) needs no clauses, sentences or discounts.
        if kinds & Pat::Cue(0).bit() == 0 {
            return;
        }
        // Where a heading's title ends: looked for only now that a cue needs it.
        let heading_end = if is_heading {
            ptext.find('。').map(|i| span.start + i).unwrap_or(span.end)
        } else {
            span.start
        };
        // Where a heading's title supports its weak cues: a numbered item
        // whose first sentence runs long (`1、在…社区内全面开展…，并吸纳…`)
        // is a paragraph of work, so only its first clause is a title.
        // A run-in title of a one-line paragraph (`提升服务水平。…`).
        let run_in_end = if is_heading || lp.first != lp.last {
            None
        } else {
            run_in_title_end(ptext).map(|i| span.start + i)
        };
        let title_end = if let Some(e) = run_in_end {
            e
        } else if is_heading
            && !at_most_chars(&text[span.start..heading_end], HEADING_TITLE_MAX_CHARS)
        {
            ptext[..heading_end - span.start]
                .find(is_clause_end)
                .map_or(heading_end, |i| span.start + i)
        } else {
            heading_end
        };
        let matches: &[(usize, usize, Pat)] = matches;
        clauses.clear();
        sents.clear();
        // Stretches whose cues add nothing.
        discount.clear();
        // Book and document titles (`《花椒的种植…》`) name texts, not work:
        // found in the same pass as the clause and sentence ends.
        let mut book_open: Option<usize> = None;
        for_each_mark(ptext, |i, c| {
            let end = span.start + i + c.len_utf8();
            match c {
                '《' => book_open = Some(i),
                '》' => {
                    if let Some(o) = book_open.take() {
                        discount.push(Span::new(span.start + o, end));
                    }
                }
                _ => {}
            }
            if is_clause_end(c) {
                let from = clauses.last().map_or(span.start, |x| x.end);
                clauses.push(Span::new(from, end));
            }
            if is_sentence_end(c) {
                let from = sents.last().map_or(span.start, |x| x.span.end);
                sents.push(SentStatus {
                    span: Span::new(from, end),
                    plan: false,
                    done: false,
                });
            }
        });
        // Both tile the paragraph: the rest after the last cut is a piece.
        if clauses.last().map_or(span.start, |x| x.end) < span.end {
            let from = clauses.last().map_or(span.start, |x| x.end);
            clauses.push(Span::new(from, span.end));
        }
        if sents.last().map_or(span.start, |x| x.span.end) < span.end {
            let from = sents.last().map_or(span.start, |x| x.span.end);
            sents.push(SentStatus {
                span: Span::new(from, span.end),
                plan: false,
                done: false,
            });
        }
        let sents: &[SentStatus] = sents;

        let clauses: &[Span] = clauses;
        let clause_of = |pos: usize| piece_at(clauses, pos).unwrap_or(span);
        // Sentences and clauses both tile the paragraph in order, so the
        // piece holding a position is found by bisection.
        let sentence_of = |pos: usize| {
            let k = sents.partition_point(|x| x.span.end <= pos);
            sents.get(k).map(|x| x.span).filter(|x| x.start <= pos)
        };

        // A clause is discounted when it holds an ideology phrase, or a
        // purpose word that is its first real word. Only clauses that hold a
        // purpose or ideology match at all need their words looked at; a
        // match lies in the one clause holding its start (clauses tile the
        // paragraph and matches are never empty).
        // Each pass over the matches below runs only when a match of its
        // kind was found (`kinds`): most paragraphs have few kinds.
        let has = |kind: u16| kinds & kind != 0;
        // The matches when one of `kind` is among them, else none.
        let of_kind = |kind: u16| -> &[(usize, usize, Pat)] {
            if has(kind) {
                matches
            } else {
                &[]
            }
        };
        marked.clear();
        let purpose_or_ideology = Pat::Purpose.bit() | Pat::Ideology.bit();
        for &(s, e, p) in of_kind(purpose_or_ideology) {
            if p != Pat::Purpose && p != Pat::Ideology {
                continue;
            }
            let k = clauses.partition_point(|c| c.end <= s);
            if clauses.get(k).is_some_and(|c| c.contains(&Span::new(s, e))) && !marked.contains(&k)
            {
                marked.push(k);
            }
        }
        marked.sort_unstable();
        for &k in marked.iter() {
            let c = clauses[k];
            let ideology = matches
                .iter()
                .any(|&(s, e, p)| p == Pat::Ideology && c.contains(&Span::new(s, e)));
            let purpose = !ideology && {
                let first = words_within(words, c)
                    .iter()
                    .map(|w| w.slice(text))
                    .find(|w| !is_marker_token(w));
                first.is_some_and(|fw| {
                    matches.iter().any(|&(s, e, p)| {
                        p == Pat::Purpose
                            && c.contains(&Span::new(s, e))
                            && Span::new(s, e).slice(text) == fw
                    })
                })
            };
            if purpose || ideology {
                discount.push(c);
            }
        }
        for &(s, e, p) in of_kind(Pat::Frame.bit()) {
            if p != Pat::Frame || !is_word_start(ctx, s) {
                continue;
            }
            // The nearest `以` before `为X` in the same sentence opens the frame.
            let sent = sentence_of(s).unwrap_or(span);
            if let Some(yi) = words
                .iter()
                .rev()
                .find(|w| w.start >= sent.start && w.end <= s && w.slice(text) == "以")
            {
                discount.push(Span::new(yi.start, e));
            }
        }
        // A slogan needs a slogan word next to its quotes.
        if has(Pat::SloganAfter.bit() | Pat::SloganBefore.bit()) {
            self.slogans(text, span, matches, discount, quotes);
        }
        let thanks_or_material = Pat::Thanks.bit()
            | Pat::Material.bit()
            | Pat::Participant.bit()
            | Pat::Problem.bit()
            | Pat::Guideline.bit();
        for &(s, e, p) in of_kind(thanks_or_material) {
            match p {
                // `向…公安干警和消防救援队伍…表示崇高敬意`: a list of addressees;
                // `政府工作的总体要求是：以…为指导，…`: the plan's guideline.
                Pat::Thanks | Pat::Guideline => {
                    if let Some(x) = sentence_of(s) {
                        discount.push(x);
                    }
                }
                // `同时，我们也清醒认识到，…还存在不少问题和不足`: opened so,
                // the paragraph lists shortcomings, not work.
                Pat::Problem
                    if sents
                        .first()
                        .is_some_and(|x| x.span.contains(&Span::new(s, e))) =>
                {
                    discount.push(span);
                }
                // `编印种养殖加工等技术资料`: the topic of the material, up to
                // twelve characters back in the same clause.
                Pat::Material => {
                    let c = clause_of(s);
                    let back = text[c.start..s]
                        .char_indices()
                        .rev()
                        .nth(11)
                        .map_or(c.start, |(i, _)| c.start + i);
                    discount.push(Span::new(back, s));
                }
                // `聘请畜牧养殖、水产养殖专家`, `环保、卫生等机关`: a cue right
                // before the noun, or ending a list that the noun closes
                // (up to ten characters back in the same clause), names the
                // field of a person or a body. A cue followed by other words
                // governs the noun instead (`培训基层干部`). The noun starts a
                // word, or ends one of three or more characters (`环保局`):
                // `办` of `举办` is no office.
                Pat::Participant if is_word_start(ctx, s) || ends_long_word(ctx, s, e) => {
                    // Cues chain back from the noun: `畜牧养殖、水产养殖专家`
                    // links 养殖 to 专家, 水产 to 养殖, and so on.
                    let c = clause_of(s);
                    let mut reach = s;
                    loop {
                        let mut next = reach;
                        for &(cs, ce, cp) in starting_in(matches, c.start, reach) {
                            if !matches!(cp, Pat::Cue(_))
                                || cs < c.start
                                || cs >= reach
                                || ce > reach
                                || s - ce > 10 * 3
                            {
                                continue;
                            }
                            let gap = &text[ce..reach];
                            if gap.is_empty() || gap.starts_with(['、', '等', '和', '及']) {
                                discount.push(Span::new(cs, s));
                                next = next.min(cs);
                            }
                        }
                        if next == reach {
                            break;
                        }
                        reach = next;
                    }
                }
                _ => {}
            }
        }
        // `在心悦社区内`: a place where work is done, not the work. The head
        // is a word of its own, the tail closes it within twelve characters
        // of its clause, with no action verb in between (`在社区开展…中`
        // holds work).
        for &(s, e, p) in of_kind(Pat::PlaceHead(0).bit()) {
            let Pat::PlaceHead(k) = p else { continue };
            let Some(tail) = self.span_tails.get(k) else {
                continue;
            };
            if !(is_word_start(ctx, s) && is_word_end(ctx, e)) {
                continue;
            }
            let limit = (e + 12 * 3).min(clause_of(s).end);
            let close = starting_in(matches, e, limit)
                .iter()
                .find(|&&(ts, te, tp)| {
                    tp == Pat::Tail
                        && ts >= e
                        && te <= limit
                        && Span::new(ts, te).slice(text) == tail
                });
            if let Some(&(ts, te, _)) = close {
                // An action verb before `的` only describes the setting
                // (`在…举办的科普活动中获奖`): the work reported comes after.
                let acted = starting_in(matches, e, ts).iter().any(|&(a, b, ap)| {
                    ap == Pat::Action && a >= e && b <= ts && !text[b..].starts_with('的')
                });
                if !acted {
                    discount.push(Span::new(s, te));
                }
            }
        }
        // `发挥…作用`, `学习…经验`: a vehicle or a lesson, within one sentence.
        for &(s, e, p) in of_kind(Pat::SpanHead(0).bit()) {
            let Pat::SpanHead(k) = p else { continue };
            let Some(tail) = self.span_tails.get(k) else {
                continue;
            };
            let sent_end = sentence_of(s).map_or(span.end, |x| x.end);
            if let Some(&(_, te, _)) = matches.iter().find(|&&(ts, te, tp)| {
                tp == Pat::Tail
                    && ts >= e
                    && te <= sent_end
                    && te - s <= 60 * 3
                    && Span::new(ts, te).slice(text) == tail
            }) {
                discount.push(Span::new(s, te));
            }
        }

        negs.clear();
        let neg_kind = Pat::Neg(0).bit();
        negs.extend(of_kind(neg_kind).iter().filter_map(|&(s, e, p)| match p {
            Pat::Neg(t) => Some((Span::new(s, e), t)),
            _ => None,
        }));
        hits.clear();
        discounted.clear();
        for &(s, e, p) in matches {
            let Pat::Cue(ci) = p else { continue };
            let Some(cue) = self.cues.get(ci) else {
                continue;
            };
            let sp = Span::new(s, e);
            if negs.iter().any(|(n, t)| *t == cue.ty && n.overlaps(&sp)) {
                continue;
            }
            let in_discount = discount.iter().any(|d| d.contains(&sp));
            if cue.word && !(is_word_start(ctx, s) && is_word_end(ctx, e)) {
                continue;
            }
            if is_heading && heading_plan && s < heading_end {
                continue;
            }
            if let Some(tail) = &cue.tail {
                // The tail follows within ten characters of the clause, with
                // no other action in between (`深入开展…企业` is an adverb).
                let clause = clause_of(s);
                let limit = (e + 10 * 3).min(clause.end);
                let found = matches.iter().any(|&(ts, te, tp)| {
                    tp == Pat::Tail
                        && ts >= e
                        && te <= limit
                        && Span::new(ts, te).slice(text) == tail
                        && !matches
                            .iter()
                            .any(|&(a, b, ap)| ap == Pat::Action && a >= e && b <= ts)
                });
                if !found {
                    continue;
                }
            }
            if in_discount {
                discounted.push(Hit { cue: ci, span: sp });
            } else {
                hits.push(Hit { cue: ci, span: sp });
            }
        }
        // A run-in title names its topic even as a purpose
        // (`提升全民健康保障水平。`), as a heading does.
        if run_in_end.is_some() {
            hits.extend(discounted.iter().filter(|h| h.span.end <= title_end));
        }
        let titled = is_heading || run_in_end.is_some();
        self.decide(
            ctx,
            matches,
            hits,
            clauses,
            titled,
            title_end,
            heading_types,
            live,
            types,
        );
        // A heading that names only a purpose (`5、…促进了社区精神文明建设`)
        // still names its topic.
        if types.is_empty() && is_heading {
            discounted.retain(|h| h.span.start < heading_end);
            hits.extend_from_slice(discounted);
            self.decide(
                ctx,
                matches,
                hits,
                clauses,
                is_heading,
                title_end,
                heading_types,
                live,
                types,
            );
        }
    }

    /// Which types the hits make: longest match wins, a weak cue needs
    /// support (a heading's title, up to `title_end`, supports its own; the
    /// headings above the paragraph support the types they name:
    /// `heading_types`).
    /// The types go to `types` (cleared first); `live` is a buffer.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        ctx: &ExtractContext<'_>,
        matches: &[(usize, usize, Pat)],
        hits: &[Hit],
        clauses: &[Span],
        is_heading: bool,
        title_end: usize,
        heading_types: &[usize],
        live: &mut Vec<Hit>,
        types: &mut Vec<usize>,
    ) {
        // A cue inside a longer cue (`科普` in `科普大学`) is that cue's part.
        outermost_hits(hits, live);
        let live: &[Hit] = live;
        types.clear();
        // For weak cues, per type: the earliest end and the latest start of
        // its strong cues (a strong cue that does not overlap a weak one
        // ends before it or starts after it), found when first needed.
        let mut strong: Option<Vec<(usize, usize)>> = None;
        for h in live {
            let cue = &self.cues[h.cue];
            if types.contains(&cue.ty) {
                continue;
            }
            let clause = piece_at(clauses, h.span.start).unwrap_or(h.span);
            let ok = !cue.weak
                || (is_heading && h.span.start < title_end)
                || heading_types.contains(&cue.ty)
                || {
                    let strong = strong.get_or_insert_with(|| {
                        let mut per_type = Vec::new();
                        for o in live {
                            let oc = &self.cues[o.cue];
                            if oc.weak {
                                continue;
                            }
                            if per_type.len() <= oc.ty {
                                per_type.resize(oc.ty + 1, (usize::MAX, 0));
                            }
                            let t: &mut (usize, usize) = &mut per_type[oc.ty];
                            t.0 = t.0.min(o.span.end);
                            t.1 = t.1.max(o.span.start);
                        }
                        per_type
                    });
                    strong.get(cue.ty).is_some_and(|&(first_end, last_start)| {
                        first_end <= h.span.start
                            || (last_start >= h.span.end && first_end != usize::MAX)
                    })
                }
                || self.action_before(ctx, matches, h.span, clause);
            if ok {
                types.push(cue.ty);
            }
        }
    }

    /// An action verb (a word of its own) ends at most two characters
    /// before `at`, in the same clause: `深入企业`, `开展社区…`.
    fn action_before(
        &self,
        ctx: &ExtractContext<'_>,
        matches: &[(usize, usize, Pat)],
        at: Span,
        clause: Span,
    ) -> bool {
        starting_in(matches, clause.start, at.start)
            .iter()
            .any(|&(s, e, p)| {
                p == Pat::Action
                    && s >= clause.start
                    && e <= at.start
                    && at.start - e <= 6
                    && is_word_start(ctx, s)
                    && !ctx
                        .text
                        .get(e..at.start)
                        .unwrap_or("、")
                        .contains(['、', '，'])
            })
    }

    /// Quotations that are slogans or themes: chains of `“…”` joined by
    /// `、`/`和`/`等`, followed by a slogan word (`主题`, `理念`) or preceded
    /// by one (`围绕`, `秉承`).
    #[inline(never)]
    fn slogans(
        &self,
        text: &str,
        span: Span,
        matches: &[(usize, usize, Pat)],
        discount: &mut Vec<Span>,
        quotes: &mut Vec<Span>,
    ) {
        let s = span.slice(text);
        quotes.clear();
        let mut open: Option<usize> = None;
        for_each_mark(s, |i, c| match c {
            '“' | '「' => open = Some(i),
            '”' | '」' => {
                if let Some(o) = open.take() {
                    quotes.push(Span::new(span.start + o, span.start + i + c.len_utf8()));
                }
            }
            _ => {}
        });
        let mut k = 0;
        while k < quotes.len() {
            let mut j = k;
            while j + 1 < quotes.len() {
                let gap = text.get(quotes[j].end..quotes[j + 1].start).unwrap_or("x");
                if gap.chars().count() <= 1
                    && gap
                        .chars()
                        .all(|c| matches!(c, '、' | '和' | '及' | '与' | ',' | '，'))
                {
                    j += 1;
                } else {
                    break;
                }
            }
            let mut after = quotes[j].end;
            if text.get(after..).is_some_and(|t| t.starts_with('等')) {
                after += '等'.len_utf8();
            }
            let slogan = matches.iter().any(|&(ms, me, p)| {
                (p == Pat::SloganAfter && ms == after && !names_campaign(text, ms, me))
                    || (p == Pat::SloganBefore && me == quotes[k].start)
            });
            if slogan {
                discount.extend_from_slice(&quotes[k..=j]);
            }
            k = j + 1;
        }
    }

    /// Whether the whole document is a plan: its first line sounds like a
    /// plan (a plan word or a plan sentence) and almost nothing is reported
    /// in the past tense.
    #[inline(never)]
    /// The sentences of every paragraph it looked at (a prefix of `lps`)
    /// go to `cache`, `ranges[k]` those of paragraph `k`, for the caller
    /// to reuse.
    fn document_is_plan(
        &self,
        ctx: &ExtractContext<'_>,
        quiet: bool,
        lps: &[Logical],
        cache: &mut Vec<SentStatus>,
        ranges: &mut Vec<(usize, usize)>,
    ) -> bool {
        cache.clear();
        ranges.clear();
        let Some(first) = lps
            .iter()
            .find(|l| !l.span.slice(ctx.text).starts_with('【'))
        else {
            return false;
        };
        let ftext = first.span.slice(ctx.text);
        let fmask = self.lists.mask(ftext);
        // Sentence status is costly and most documents fail the first test,
        // so sentences are looked at only here, not for every paragraph.
        let plan_first = fmask & L_DOC != 0 || {
            let words = WordCursor { at: 0 }.words(ctx.words, first.span);
            self.sentences_into(ctx, first.span, words, cache);
            let plan = cache.iter().any(|s| s.plan);
            cache.clear();
            plan
        };
        // A text opening on a heading of work (`三、全力抓好七项重点工作`,
        // no review or results in it) is a plan when most of its
        // paragraphs plan (`一要…二要…`) and hardly any reports: a plan
        // part read without the heading above it.
        let work_heading = !plan_first
            && ctx
                .paragraphs
                .get(first.first)
                .is_some_and(|p| p.is_heading)
            && at_most_chars(ftext, 30)
            && fmask & (L_TITLE_WEAK | L_TITLE_YEAR) != 0
            && fmask & (L_REVIEW | L_TITLE_BLOCK) == 0;
        // A text that names no review and has no plan heading, of several
        // paragraphs with few figures (under 1.2 a hundred chars: a review
        // reports results in figures, 2 to 4 a hundred chars in government
        // reports, a plan names tasks) and hardly any reported in the past
        // tense, is a plan part read without its heading
        // (`（六）聚焦…民生力度。…` from the middle of `三、2026年工作安排`).
        let light = !plan_first && !work_heading && quiet && lps.len() >= 4 && {
            let mut chars = 0usize;
            let mut figures = 0usize;
            let mut in_figure = false;
            for c in ctx.text.chars() {
                chars += 1;
                let d = c.is_ascii_digit() || ('０'..='９').contains(&c);
                if d && !in_figure {
                    figures += 1;
                }
                in_figure = d || (in_figure && matches!(c, '.' | '．'));
            }
            chars >= 300 && figures * 1000 < chars * 12
        };
        if !plan_first && !work_heading && !light {
            return false;
        }
        let limit = (lps.len() / 10).max(1);
        let mut done = 0;
        let mut planned = 0;
        let mut cursor = WordCursor { at: 0 };
        for lp in lps {
            let words = cursor.words(ctx.words, lp.span);
            let from = cache.len();
            self.sentences_into(ctx, lp.span, words, cache);
            ranges.push((from, cache.len()));
            let sents = cache.get(from..).unwrap_or_default();
            if sents.iter().any(|s| s.done && !s.plan) {
                done += 1;
                if done > limit {
                    return false;
                }
            }
            if sents.iter().any(|s| s.plan && !s.done) {
                planned += 1;
            }
        }
        plan_first || light || planned * 2 >= lps.len()
    }

    /// Append the sentences of the paragraph at `span` with their status to
    /// `out`; `words` are the paragraph's.
    fn sentences_into(
        &self,
        ctx: &ExtractContext<'_>,
        span: Span,
        words: &[Span],
        out: &mut Vec<SentStatus>,
    ) {
        let from = out.len();
        let mut start = span.start;
        for_each_mark(span.slice(ctx.text), |i, c| {
            if is_sentence_end(c) {
                let end = span.start + i + c.len_utf8();
                out.push(SentStatus {
                    span: Span::new(start, end),
                    plan: false,
                    done: false,
                });
                start = end;
            }
        });
        if start < span.end {
            out.push(SentStatus {
                span: Span::new(start, span.end),
                plan: false,
                done: false,
            });
        }
        if let Some(new) = out.get_mut(from..) {
            self.fill_status(ctx, words, new);
        }
    }

    /// Fill in the status flags of a paragraph's sentences; `words` are the
    /// paragraph's.
    fn fill_status(&self, ctx: &ExtractContext<'_>, words: &[Span], sents: &mut [SentStatus]) {
        for st in sents {
            // The words inside the sentence, as a cursor over all the
            // document's words would find them: a paragraph's words are
            // those of its sentences, in order.
            let w = words_within(words, st.span);
            (st.plan, st.done) = self.sentence_status(ctx, st.span, w);
        }
    }
}

impl Extractor for ActivityExtractor {
    fn name(&self) -> &'static str {
        "activity"
    }

    fn extract(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>) {
        let text = ctx.text;
        // Which sections are plan sections (own title or an ancestor's).
        let mut sec_plan = vec![false; ctx.sections.len()];
        let mut sec_none = vec![false; ctx.sections.len()];
        // Each section's parent, and the types its heading line names.
        let mut parent: Vec<Option<usize>> = vec![None; ctx.sections.len()];
        let mut sec_types: Vec<Vec<usize>> = vec![Vec::new(); ctx.sections.len()];
        let mut own_plan = vec![false; ctx.sections.len()];
        let mut stack: Vec<usize> = Vec::new();
        let mut review_before = false;
        // Whether the last top-level section was a plan section.
        let mut top_plan = false;
        // A document that reviews work (its first line or a heading names
        // a review: `…工作总结`, `一年来工作回顾`; or its first line opens
        // on the year gone by: `今年以来，…`) reports its task-titled
        // paragraphs (`加强组织建设。举办培训班3期…`) as done work.
        let first_line = ctx
            .text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let opening = first_line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        let mut review_doc = at_most_chars(first_line, 40)
            && self.lists.mask(first_line) & L_REVIEW != 0
            || self
                .plan
                .review_open
                .iter()
                .any(|w| opening.starts_with(w.as_str()));
        for (i, s) in ctx.sections.iter().enumerate() {
            while stack
                .last()
                .is_some_and(|&t| ctx.sections[t].level >= s.level)
            {
                stack.pop();
            }
            let mask = self.lists.mask(&s.title);
            review_doc |= mask & L_REVIEW != 0;
            own_plan[i] = self.plan_title(&s.title, mask, s.level, review_before, ctx.year);
            // A top-level section after a plan section goes on with the plan
            // (`三、2026年重点工作` then `四、全面加强政府自身建设`), unless its
            // title turns back to a review or to a block of results. Its
            // title is no plan title: it still names its types.
            let goes_on = s.level == 1 && top_plan && mask & (L_REVIEW | L_TITLE_BLOCK) == 0;
            if s.level == 1 {
                top_plan = own_plan[i] || goes_on;
            }
            sec_plan[i] = own_plan[i] || goes_on || stack.last().is_some_and(|&t| sec_plan[t]);
            // `一、指导思想`: goals and guidelines, no work of their own.
            let own_none = at_most_chars(&s.title, 20) && mask & L_SECTION_NONE != 0;
            sec_none[i] = own_none || stack.last().is_some_and(|&t| sec_none[t]);
            // A review heading, or a plan heading, at the top level: the
            // report has turned to its plans after it, so a later
            // `2026年主要工作` is a plan too (a report never goes back).
            if s.level == 1 && (mask & L_REVIEW != 0 || own_plan[i]) {
                review_before = true;
            }
            parent[i] = stack.last().copied();
            stack.push(i);
        }

        let mut lines: Vec<(Span, usize)> = Vec::new();
        let lps = logical_paragraphs(ctx, &mut lines);
        let mut sc = Scratch::default();
        // A plan-sounding document has the status of its sentences worked
        // out for the plan test: they are kept for the paragraphs below.
        let mut cache: Vec<SentStatus> = Vec::new();
        let mut cached: Vec<(usize, usize)> = Vec::new();
        // Neither a review nor a plan heading or first line: the text's own
        // wording must tell.
        let quiet = !review_doc && !own_plan.iter().any(|&p| p);
        let doc_plan = self.document_is_plan(ctx, quiet, &lps, &mut cache, &mut cached);
        let mut intro_plan = false;
        // The open plan part began above every top-level heading (an
        // unnumbered `“十五五”时期主要目标和2026年重点工作` before `一、…`):
        // it runs on through the numbered sections below it.
        let mut intro_above = false;
        let mut seen_top = false;
        let mut cursor = WordCursor { at: 0 };
        for (k, lp) in lps.iter().enumerate() {
            let Some(p) = ctx.paragraphs.get(lp.first) else {
                continue;
            };
            let ltext = lp.span.slice(text);
            let heading_sec = if p.is_heading { p.section } else { None };
            if let Some(si) = heading_sec {
                // A top-level heading ends a plan part opened by an intro line
                // unless it is itself a plan heading.
                // A plan part opened above every top-level heading goes on
                // through them, up to a review or block heading.
                if let Some(s) = ctx.sections.get(si).filter(|s| s.level == 1) {
                    let runs_on = intro_plan
                        && intro_above
                        && self.lists.mask(&s.title) & (L_TITLE_BLOCK | L_REVIEW) == 0;
                    if !runs_on {
                        intro_plan = own_plan.get(si).copied().unwrap_or(false);
                        intro_above = false;
                    }
                    seen_top = true;
                }
            } else if at_most_chars(ltext, 30) && {
                let m = self.lists.mask(ltext);
                m & L_TITLE != 0 && m & (L_TITLE_BLOCK | L_REVIEW) == 0
            } {
                if !intro_plan {
                    intro_above = !seen_top;
                }
                intro_plan = true;
            }
            let heading_plan =
                heading_sec.is_some_and(|si| own_plan.get(si).copied().unwrap_or(false));
            let section_plan = p
                .section
                .is_some_and(|si| sec_plan.get(si).copied().unwrap_or(false));
            if p.section
                .is_some_and(|si| sec_none.get(si).copied().unwrap_or(false))
            {
                continue;
            }
            let words = cursor.words(ctx.words, lp.span);
            // The headings above the paragraph (a heading's own title
            // supports itself already). A line with no clause or sentence
            // mark (`表1 主要科普工作指标`, `咨询电话：…`) is a caption or a
            // label, not work: it gets no support.
            sc.heading_types.clear();
            let mut up = match heading_sec {
                Some(si) => parent.get(si).copied().flatten(),
                None => p.section,
            }
            .filter(|_| ltext.contains(['，', '。', '；', ',', ';']));
            while let Some(si) = up {
                if let Some(t) = sec_types.get(si) {
                    sc.heading_types.extend_from_slice(t);
                }
                up = parent.get(si).copied().flatten();
            }
            self.classify(ctx, lp, heading_plan, words, &mut sc);
            if let Some(t) = heading_sec.and_then(|si| sec_types.get_mut(si)) {
                t.clone_from(&sc.types);
            }
            let types: &[usize] = &sc.types;
            if types.is_empty() {
                continue;
            }
            // A paragraph planned by its document, section or an intro line
            // is planned whatever its sentences say (the line rule below only
            // turns done lines planned): it needs no sentence status.
            let context_plan = doc_plan || section_plan || intro_plan;
            // Only a paragraph with types needs its sentences' status.
            let ss: &[SentStatus] = if context_plan {
                &[]
            } else {
                match cached.get(k).and_then(|r| cache.get(r.0..r.1)) {
                    // The same spans as `classify` cut, with their status.
                    Some(c) => {
                        sc.sents.clear();
                        sc.sents.extend_from_slice(c);
                    }
                    None => self.fill_status(ctx, words, &mut sc.sents),
                }
                &sc.sents
            };
            // The paragraph's own status from its sentences.
            let mut own = false;
            let mut score = 0i32;
            for (k, st) in ss.iter().enumerate() {
                let (p, d) = (st.plan, st.done);
                if k == 0 && p && !d {
                    own = true;
                }
                score += i32::from(p && !d) - i32::from(d && !p);
            }
            // A run-in title naming a task (`加强廉政建设。落实…`) over
            // nothing reported in the past tense: a task list of a plan.
            let own = own
                || score > 0
                || (!context_plan
                    && !review_doc
                    && !p.is_heading
                    && lp.first == lp.last
                    && !ss.iter().any(|s| s.done)
                    && run_in_title_end(ltext).is_some_and(|e| {
                        let title = ltext[..e].trim_start_matches(is_space);
                        self.plan
                            .title_verb
                            .iter()
                            .any(|v| title.starts_with(v.as_str()))
                            && !self.plan.done.iter().any(|d| title.contains(d.as_str()))
                    }));
            let status = if context_plan || own {
                Status::Planned
            } else {
                Status::Done
            };
            for pi in lp.first..=lp.last {
                // The line's span trimmed, as `logical_paragraphs` found it.
                let Some(&(sp, _)) = lines.get(pi) else {
                    continue;
                };
                if sp.is_empty() {
                    continue;
                }
                // In a done paragraph, a line that lies wholly in planned
                // sentences (`…中专学历。 计划在\n2000年以前…轮训一遍`) is planned.
                let status = if status == Status::Done
                    && ss.iter().any(|s| s.plan && !s.done && s.span.overlaps(&sp))
                    && ss.iter().filter(|s| s.span.overlaps(&sp)).all(|s| {
                        (s.plan && !s.done) || s.span.slice(text).trim_matches(is_space).is_empty()
                    }) {
                    Status::Planned
                } else {
                    status
                };
                for &t in types {
                    out.push(Fact::new(
                        sp,
                        FactData::Activity(ActivityFact {
                            type_id: self.types[t].id.clone(),
                            status,
                        }),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::structure::find_sections;
    use crate::segment::{self, ChineseWordSegmenter, WordSegmenter};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    proptest! {
        /// One pass finds the hits inside no longer hit, as comparing every
        /// pair does.
        #[test]
        fn outermost_hits_are_those_inside_no_longer_hit(
            raw in prop::collection::vec((0usize..40, 1usize..8, 0usize..5), 0..40)
        ) {
            let mut hits: Vec<Hit> = raw
                .iter()
                .map(|&(s, len, cue)| Hit { cue, span: Span::new(s, s + len) })
                .collect();
            hits.sort_by_key(|h| (h.span.start, h.span.end, h.cue));
            let mut live = Vec::new();
            outermost_hits(&hits, &mut live);
            let key = |h: &Hit| (h.cue, h.span.start, h.span.end);
            let want: Vec<_> = hits
                .iter()
                .filter(|h| {
                    !hits
                        .iter()
                        .any(|o| o.span.contains(&h.span) && o.span.len() > h.span.len())
                })
                .map(key)
                .collect();
            prop_assert_eq!(live.iter().map(key).collect::<Vec<_>>(), want);
        }
    }

    fn segmenter() -> &'static ChineseWordSegmenter {
        static SEG: OnceLock<ChineseWordSegmenter> = OnceLock::new();
        SEG.get_or_init(|| ChineseWordSegmenter::new(&DataDir::embedded_only()).unwrap())
    }

    fn extractor() -> &'static ActivityExtractor {
        static EX: OnceLock<ActivityExtractor> = OnceLock::new();
        EX.get_or_init(|| ActivityExtractor::new(&DataDir::embedded_only()).unwrap())
    }

    fn facts_with(ex: &ActivityExtractor, text: &str) -> Vec<Fact> {
        let sections = find_sections(text, &[]);
        let paragraphs = segment::paragraphs(text, &sections);
        let sentences = segment::sentences(text, &paragraphs);
        let mut words = Vec::new();
        for s in &sentences {
            segmenter().segment_into(s.span.slice(text), s.span.start, &mut words);
        }
        let ctx = ExtractContext {
            text,
            paragraphs: &paragraphs,
            sentences: &sentences,
            sections: &sections,
            words: &words,
            year: Some(2024),
            year_inferred: false,
        };
        let mut out = Vec::new();
        ex.extract(&ctx, &mut out);
        out
    }

    /// Per non-empty line: (sorted type ids, status of the line's first fact).
    fn lines_with(ex: &ActivityExtractor, text: &str) -> Vec<(Vec<String>, Option<Status>)> {
        let facts = facts_with(ex, text);
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split('\n') {
            let span = Span::new(start, start + line.len());
            start += line.len() + 1;
            if line.trim().is_empty() {
                continue;
            }
            let mut types = Vec::new();
            let mut status = None;
            for f in facts.iter().filter(|f| f.span.overlaps(&span)) {
                if let FactData::Activity(a) = &f.data {
                    types.push(a.type_id.clone());
                    status.get_or_insert(a.status);
                }
            }
            types.sort();
            types.dedup();
            out.push((types, status));
        }
        out
    }

    fn lines(text: &str) -> Vec<(Vec<String>, Option<Status>)> {
        lines_with(extractor(), text)
    }

    use Status::{Done as D, Planned as P};

    fn check(text: &str, want: &[(&[&str], Option<Status>)]) {
        let got = lines(text);
        let want: Vec<(Vec<String>, Option<Status>)> = want
            .iter()
            .map(|(t, s)| {
                let mut t: Vec<String> = t.iter().map(|x| x.to_string()).collect();
                t.sort();
                (t, *s)
            })
            .collect();
        assert_eq!(got, want, "{text}");
    }

    #[test]
    fn single_lines() {
        let cases: &[(&str, &[&str], Option<Status>)] = &[
            // Headings get the types they name; generic headings none.
            ("（五）抓禁毒工作，增强群众抵毒能力", &["anti_drug"], Some(D)),
            ("一、20xx年重点工作", &[], None),
            ("三、结语", &[], None),
            // A weak cue in a heading is enough.
            ("（六）抓学会建设，增强科技服务能力", &["organization_building"], Some(D)),
            // Sentence plan cues, and 将 as an object marker.
            ("县科协将继续开展科普日活动。", &["science_popularization"], Some(P)),
            ("县科协拟举办培训班两期。", &["training"], Some(P)),
            ("预计全年开展禁毒宣传十场。", &["anti_drug"], Some(P)),
            ("我们将科幻绘画作品报送省里参加评选，获得三等奖。", &["competition_award", "youth_science"], Some(D)),
            ("县科协要求各单位组织禁毒宣传。", &["anti_drug"], Some(D)),
            ("这是一项重要的禁毒工作，主要开展了尿检。", &["anti_drug"], Some(D)),
            // Ideology and preamble lines carry nothing.
            ("县科协在县委、县政府的领导下，以习近平新时代中国特色社会主义思想为指导，团结带领广大科技工作者，取得了一定成绩。", &[], None),
            // Purposes and outcomes add no type.
            ("为促进乡村振兴，县科协举办了农民培训班。", &["training"], Some(D)),
            ("县科协举办了培训班，助力脱贫攻坚。", &["training"], Some(D)),
            // Weak cues need support.
            ("全县企业经济效益良好。", &[], None),
            ("县科协走访企业，了解需求。", &["enterprise_innovation"], Some(D)),
            ("在县城、乡镇、村、企业设置咨询台。", &[], None),
            // Slogans and themes in quotes.
            ("围绕“助力精准扶贫、服务乡村振兴”等主题，开展科普宣传活动。", &["science_popularization"], Some(D)),
            // A lesson learned elsewhere is not work done.
            ("班子成员赴外县学习在科技扶贫、科普e站建设等方面的先进经验。", &[], None),
            // Book titles name texts.
            ("发放《花椒的种植技术》等宣传资料。", &["science_popularization"], Some(D)),
            // `以…为抓手` frames a vehicle.
            ("我们将继续以“创全优环境”为抓手，求真务实。", &[], None),
            // Activities listed in passing count as done.
            ("开展了科普惠农、青少年科普、送科技下乡等一系列工作。", &["rural_outreach", "science_popularization", "youth_science"], Some(D)),
            // Longest match: 科普 inside 科普大学 is training only.
            ("2、让更多的人走进社区科普大学。", &["community_service", "training"], Some(D)),
            // Thank-you lists name addressees, not work.
            ("向解放军驻地部队、公安干警和消防救援队伍指战员，表示崇高敬意和衷心感谢！", &[], None),
            // A paragraph opened as a problem statement lists shortcomings.
            ("同时，我们也清醒认识到，科普经费投入不足，基层科协组织建设还有短板。", &[], None),
            ("在肯定成绩的同时，我们也看到，一些企业创新能力不强，禁毒宣传覆盖面不广。", &[], None),
            ("县科协举办了禁毒宣传活动。工作中存在的问题不容忽视。", &["anti_drug"], Some(D)),
            // `培训后的` is the state after a training, not the training.
            ("我们将培训后的后备干部派往基层任职。", &[], None),
            // Industry chains and clusters are industry development;
            // afforestation is environment, not an industry.
            ("实施重点产业链高质量发展行动，推动产业集群发展。", &["industry_development"], Some(D)),
            ("完成营造林六百万亩。", &["environment"], Some(D)),
            // Wordings of the same kinds: 防止返贫, 培育/壮大…产业, 惠民演出.
            ("健全防止返贫致贫帮扶政策体系。", &["poverty_alleviation"], Some(D)),
            ("培育壮大海洋产业。", &["industry_development"], Some(D)),
            ("开展文化进基层惠民演出。", &["community_service"], Some(D)),
            // A school's principal is no pupil.
            ("举办中学校长岗位培训班。", &["training"], Some(D)),
            // The topic of handed-out materials is no type of its own.
            ("编印下发种养殖加工等技术资料五千份。", &["science_popularization"], Some(D)),
            // 理论学习 alone is study of any theory; with an action or a
            // party word it is political study.
            ("经过一年的理论学习，校长们提高了管理水平。", &[], None),
            ("机关定期开展理论学习。", &["party_conduct"], Some(D)),
            ("加强党的创新理论学习和宣传教育。", &["party_conduct"], Some(D)),
            // Wordings of government task lists.
            ("（五）加快乡村全面振兴，促进城乡融合发展", &["poverty_alleviation"], Some(D)),
            ("持续优化营商环境，清理拖欠企业账款。", &["enterprise_innovation"], Some(D)),
            ("开展农村人居环境整治。", &["environment"], Some(D)),
            ("科学开展大规模国土绿化。", &["environment"], Some(D)),
            ("（六）切实增进百姓福祉，保持社会大局稳定", &["safety_stability"], Some(D)),
            // Political study, government self-building, public health,
            // school education, disaster prevention and culture and sports
            // in the wordings of government reports.
            ("组织机关干部集中学习邓小平理论。", &["party_conduct"], Some(D)),
            ("严肃整治群众身边不正之风和腐败问题。", &["party_conduct"], Some(D)),
            ("全面推进依法行政，优化政务服务流程。", &["institutional_efficiency"], Some(D)),
            ("加强机关制度建设，修订工作规则三项。", &["institutional_efficiency"], Some(D)),
            ("加强公共卫生体系建设，推进县域医共体改革。", &["health"], Some(D)),
            ("推动义务教育优质均衡发展，扩大学前教育资源。", &["youth_science"], Some(D)),
            ("健全地质灾害监测预警体系，加固防洪堤坝。", &["safety_stability"], Some(D)),
            ("举办全县全民健身运动会。", &["community_service", "competition_award"], Some(D)),
            ("新建高标准农田两万亩，稳定粮食生产。", &["industry_development"], Some(D)),
            ("深入打好污染防治攻坚战，稳妥推进碳达峰。", &["environment"], Some(D)),
            ("开办机关干部大讲堂四期。", &["training"], Some(D)),
            // Campus safety is safety; `讲学习` is no lecture.
            ("开展校园安全隐患排查整治。", &["safety_stability"], Some(D)),
            ("开展“讲学习、讲政治、讲正气”党性党风教育。", &["party_conduct"], Some(D)),
            // Defusing risks, as in a guideline, is safety work only with
            // support (a title, another safety cue); staff are no work.
            ("今年工作的总体要求是：更好统筹发展和安全，防范化解各类风险。", &[], None),
            ("防范化解金融风险。稳妥处置不良资产。", &["safety_stability"], Some(P)),
            ("组织机关工作人员开展义务植树。", &["environment"], Some(D)),
            // Medicine as an industry is no health work.
            ("壮大中医药产业集群。", &["industry_development"], Some(D)),
            // 统筹发展和安全 names safety work in a heading only.
            ("（八）更好统筹发展和安全", &["safety_stability"], Some(D)),
            ("我们要更好统筹发展和安全。", &[], None),
            // 课堂 alone (`思政小课堂`) is no course without support.
            ("把思政小课堂同社会大课堂结合起来。", &[], None),
            // A run-in title (a short first sentence) titles its paragraph:
            // its weak cues count, even as a purpose; a long first sentence
            // is no title.
            ("提升群众健康水平。新建了村级活动室五处。", &["health"], Some(D)),
            ("群众更健康了。新建村级活动室五处。", &[], None),
            ("全县群众的健康意识明显提高，各村普遍建起了活动室。", &[], None),
            // A slogan that names the theme of a campaign right after it is
            // the campaign's topic; a theme framing other work is not.
            ("开展“珍爱生命、远离毒品”主题宣传活动。", &["anti_drug"], Some(D)),
            ("紧扣“远离毒品”主题，做好各项工作。", &[], None),
            // So is the topic of a course.
            ("举办蔬菜种植、生猪养殖等技术培训班三期。", &["training"], Some(D)),
            // The field of an expert or a household names people, not work;
            // the same cue as work done counts.
            ("聘请果树种植、生猪养殖专家为农民授课三次。", &["training"], Some(D)),
            ("3、聘请畜牧养殖、水产养殖专家等进行授课，每月一次，全年不少于十二次。", &["training"], Some(D)),
            ("邀请养殖大户上台讲课。", &["training"], Some(D)),
            ("帮助农户发展生猪养殖。", &["industry_development"], Some(D)),
            // Likewise the field of a body (`…等部门`, `…局`), but `办` inside
            // `举办` is no office.
            ("组织农业、环保等部门干部开展科普宣传。", &["science_popularization"], Some(D)),
            ("县环保局工作人员到场讲解。", &[], None),
            ("科普讲座在县城举办三场。", &["training"], Some(D)),
            // `居民代表`: representatives of residents are people taking part.
            ("组织居民代表参观水厂两次。", &[], None),
            // A cue that governs the person is work done.
            ("县科协培训基层干部五百人次。", &["training"], Some(D)),
            // A school's safety work is safety.
            ("检查校舍隐患，抓好学校安全工作。", &["safety_stability"], Some(D)),
            // A place where work is done (`在…内`) is no work of its own;
            // going there is.
            ("我们在幸福社区内全面举办了科普讲座。", &["training"], Some(D)),
            ("我们在幸福社区里举办了科普讲座。", &["training"], Some(D)),
            ("我们走进幸福社区，全面举办了科普讲座。", &["community_service", "training"], Some(D)),
            // A place holding an action is work: `在…开展…中`.
            ("在社区开展志愿服务中涌现出一批先进个人。", &["community_service", "competition_award"], Some(D)),
            // An action that only describes the setting (`…举办的…中`) is not.
            ("在县里举办的科普活动中获得表彰。", &["competition_award"], Some(D)),
            // A numbered item whose first sentence runs long is a paragraph:
            // only its first clause is a title that supports weak cues.
            ("3、举办科普讲座五讲，时间为三月至十二月，并邀请一些退休老党员参加听讲，使讲座常办常新。", &["training"], Some(D)),
            ("3、联系老党员，举办座谈会。", &["party_conduct"], Some(D)),
            // Robots as an industry are no youth science; a robot contest is.
            ("全市工业机器人、人形机器人产量分别增长20%和35%。", &[], None),
            ("县科协举办机器人竞赛。", &["competition_award", "youth_science"], Some(D)),
            // School words alone (a principal's management) are no youth science.
            ("常乐寺中学一名老校长面对打架成风的局面，边干边学习。", &[], None),
            // Web header fields.
            ("【 标  题 】开展科普宣传活动", &[], None),
            ("", &[], None),
        ];
        for (text, types, status) in cases {
            if text.is_empty() {
                assert!(lines(text).is_empty());
                continue;
            }
            check(text, &[(types, *status)]);
        }
    }

    #[test]
    fn plan_sections_and_intro_lines() {
        check(
            "一、2024年工作总结\n县科协开展了禁毒宣传活动。\n二、2025年工作打算\n1.开展科普日活动。\n2.组织培训班。",
            &[
                (&[], None),
                (&["anti_drug"], Some(D)),
                (&[], None),
                (&["science_popularization"], Some(P)),
                (&["training"], Some(P)),
            ],
        );
        // A plan heading names no type even with a cue in it.
        check(
            "二、2025年科普宣传工作计划\n开展禁毒宣传。",
            &[(&[], None), (&["anti_drug"], Some(P))],
        );
        // An intro line that is no formal heading opens a plan part.
        check(
            "县科协开展了禁毒宣传活动。\n下一步工作打算：\n加强青少年科技教育。",
            &[
                (&["anti_drug"], Some(D)),
                (&[], None),
                (&["youth_science"], Some(P)),
            ],
        );
        // A top-level section after a plan section goes on with the plan;
        // a review heading after it does not.
        check(
            "一、2025年工作回顾\n举办了培训班。\n二、2026年重点工作\n开展禁毒宣传。\n三、加强机关自身建设\n坚持依法行政。",
            &[
                (&[], None),
                (&["training"], Some(D)),
                (&[], None),
                (&["anti_drug"], Some(P)),
                (&["institutional_efficiency"], Some(P)),
                (&["institutional_efficiency"], Some(P)),
            ],
        );
        check(
            "一、2026年工作计划\n开展禁毒宣传。\n二、2025年工作回顾\n举办了培训班。",
            &[
                (&[], None),
                (&["anti_drug"], Some(P)),
                (&[], None),
                (&["training"], Some(D)),
            ],
        );
        // A run-in title naming a task over nothing reported in the past
        // tense is a plan's task; with work reported (in the title too), or
        // a title naming a result, the paragraph is done.
        check(
            "加强廉政建设。落实主体责任，整治不正之风。",
            &[(&["party_conduct"], Some(P))],
        );
        check(
            "加强廉政建设。全年整治了不正之风。",
            &[(&["party_conduct"], Some(D))],
        );
        check(
            "全面完成廉政建设任务。整治不正之风。",
            &[(&["party_conduct"], Some(D))],
        );
        check(
            "廉政建设持续加强。整治不正之风。",
            &[(&["party_conduct"], Some(D))],
        );
        // In a document that reviews work, a task-titled paragraph reports
        // what was done, whatever its tense.
        check(
            "青山镇科协2024年工作总结\n加强廉政建设。落实主体责任，整治不正之风。",
            &[(&[], None), (&["party_conduct"], Some(D))],
        );
        check(
            "一、主要工作回顾\n加强廉政建设。落实主体责任，整治不正之风。",
            &[(&[], None), (&["party_conduct"], Some(D))],
        );
        // After a review, `2026年重点工作` is a plan heading.
        check(
            "一、2025年工作回顾\n举办了培训班。\n二、2026年重点工作\n开展禁毒宣传。",
            &[
                (&[], None),
                (&["training"], Some(D)),
                (&[], None),
                (&["anti_drug"], Some(P)),
            ],
        );
        // `重点工作` of the report's own year (2024 here) is that year's
        // tasks even with no review before; its `主要工作` may be what was
        // done, and a report on how the key work went is a review.
        check(
            "三、2024年重点工作\n开展禁毒宣传。",
            &[(&[], None), (&["anti_drug"], Some(P))],
        );
        check(
            "三、2024年主要工作\n开展禁毒宣传。",
            &[(&[], None), (&["anti_drug"], Some(D))],
        );
        check(
            "一、2024年重点工作完成情况\n开展禁毒宣传。",
            &[(&[], None), (&["anti_drug"], Some(D))],
        );
        check(
            "一、2023年重点工作\n开展禁毒宣传。",
            &[(&[], None), (&["anti_drug"], Some(D))],
        );
        // After a top-level plan heading, a weak `2026年主要工作` is a plan
        // heading too (a report never turns back to its review).
        check(
            "一、“十五五”时期主要目标任务\n开展科普日活动。\n二、2026年主要工作\n开展禁毒宣传。",
            &[
                (&[], None),
                (&["science_popularization"], Some(P)),
                (&[], None),
                (&["anti_drug"], Some(P)),
            ],
        );
        // An intro line above every numbered heading opens a plan part
        // that runs on through them, up to a review heading.
        check(
            "县科协开展了禁毒宣传活动。\n今后工作打算\n一、加强青少年科技教育\n开展科普日活动。\n二、组织培训\n举办培训班。\n三、2023年工作回顾\n举办了培训班。",
            &[
                (&["anti_drug"], Some(D)),
                (&[], None),
                (&["youth_science"], Some(P)),
                (&["science_popularization"], Some(P)),
                (&["training"], Some(P)),
                (&["training"], Some(P)),
                (&[], None),
                (&["training"], Some(D)),
            ],
        );
        // An intro line inside a numbered section ends at the next one.
        check(
            "一、工作开展情况\n开展了禁毒宣传。\n下一步打算：\n加强科普宣传。\n二、队伍建设\n举办了培训班。",
            &[
                (&[], None),
                (&["anti_drug"], Some(D)),
                (&[], None),
                (&["science_popularization"], Some(P)),
                (&[], None),
                (&["training"], Some(D)),
            ],
        );
        // Goals and guidelines sections get no type.
        check(
            "一、指导思想\n在全街广泛开展科普活动。",
            &[(&[], None), (&[], None)],
        );
    }

    #[test]
    fn wholly_plan_document() {
        check(
            "社区老科协2025年工作计划\n1、开展科普讲座。\n2、组织禁毒宣传。",
            &[
                (&[], None),
                (&["training"], Some(P)),
                (&["anti_drug"], Some(P)),
            ],
        );
        // A report with past-tense lines is not a plan even if it opens with 要.
        check(
            "今年要抓好各项工作。\n举办了培训班。\n开展了禁毒宣传。\n召开了换届大会。",
            &[
                (&[], None),
                (&["training"], Some(D)),
                (&["anti_drug"], Some(D)),
                (&["organization_building"], Some(D)),
            ],
        );
    }

    #[test]
    fn headings_support_the_weak_cues_below_them() {
        // `蔬菜` alone is weak; under a heading on industry it is that work.
        check("全镇蔬菜面积扩大到3000亩，带动农户增收。", &[(&[], None)]);
        check(
            "（一）特色产业发展\n全镇蔬菜面积扩大到3000亩，带动农户增收。\n表1 蔬菜面积统计",
            &[
                (&["industry_development"], Some(D)),
                (&["industry_development"], Some(D)),
                (&[], None),
            ],
        );
    }

    #[test]
    fn guideline_sentence_adds_no_type() {
        // The general requirement of a plan lists its guideline, not work;
        // the next sentence is work again.
        check(
            "政府工作的总体要求是：以习近平新时代中国特色社会主义思想为指导，加快建设绿色低碳先行区，着力稳企业。\n做好政府工作，要坚持以习近平新时代中国特色社会主义思想为指导，深入开展禁毒宣传。开展科普讲座。",
            &[(&[], None), (&["training"], Some(P))],
        );
        // `以…为指导` without a plan's requirement leaves the work in it.
        check(
            "2024年，县科协以习近平新时代中国特色社会主义思想为指导，狠抓本单位的党风廉政建设。",
            &[(&["party_conduct"], Some(D))],
        );
    }

    #[test]
    fn plan_words_opening_a_paragraph() {
        // `要` opening a paragraph after another line plans its sentence
        // (the line break is no hard wrap inside a word).
        check(
            "县科协开展了禁毒宣传活动。\n要大力开展科普讲座。",
            &[(&["anti_drug"], Some(D)), (&["training"], Some(P))],
        );
        // `争取` with a figure in its clause reports what was secured.
        check(
            "县科协开展了禁毒宣传活动。\n争取上级资金50万元，举办科普讲座5场。\n争取举办科普讲座。",
            &[
                (&["anti_drug"], Some(D)),
                (&["training"], Some(D)),
                (&["training"], Some(P)),
            ],
        );
        // `一要…二要…` enumerate the tasks of a plan.
        check(
            "（一）抓好各项工作。\n一要开展禁毒宣传。\n二要举办科普讲座。",
            &[
                (&[], None),
                (&["anti_drug"], Some(P)),
                (&["training"], Some(P)),
            ],
        );
        // A text opening on a heading of work with paragraphs that plan and
        // none that report is a plan, its headings too.
        check(
            "三、全力抓好重点工作\n（一）加强禁毒宣传。\n一要开展禁毒宣传。\n二要举办科普讲座。",
            &[
                (&[], None),
                (&["anti_drug"], Some(P)),
                (&["anti_drug"], Some(P)),
                (&["training"], Some(P)),
            ],
        );
        // A plan part read from its middle: tasks with few figures and
        // nothing reported, no review or plan heading.
        let text = "推动投资稳定增长。发挥重大项目战略牵引作用，加强要素保障，优化投资结构，提升投资效益。\n深化污染防治攻坚。统筹推进蓝天、碧水、净土保卫战，加强生态保护和修复，推进固体废物综合治理。\n健全社会保障体系。推动社会保险扩面提质，完善养老服务体系，健全分层分类社会救助体系。\n繁荣发展社会事业。加强中小学科学教育，办好全民健身运动会，完善公共文化服务体系。\n提升科技创新效能。开展有组织的科研，强化企业创新主体地位，完善科技成果转化机制，促进产学研深度融合。\n推进城市更新行动。改造城镇老旧小区，完善城市基础设施，加强地下管网建设，提升城市治理水平。\n稳步扩大对外开放。深度融入共建一带一路，优化外贸结构，稳住外资基本盘，提升开放平台能级，打造内陆开放高地。\n加强食品药品安全监管。完善全链条监管机制，强化风险监测预警，严厉打击违法违规行为，守护群众舌尖上的安全。";
        assert!(text.chars().count() >= 300);
        let got = lines(text);
        assert!(got.iter().any(|(_, s)| *s == Some(P)), "{got:?}");
        assert!(got.iter().all(|(_, s)| *s != Some(D)), "{got:?}");
        // The same figures-light tasks with work reported in the past tense
        // stay a report.
        let reported = text.replace("。\n", "，取得了明显成效。\n");
        let got = lines(&reported);
        assert!(got.iter().all(|(_, s)| *s != Some(P)), "{got:?}");
        // The same heading over reported work stays a report.
        check(
            "一、主要工作\n（一）加强禁毒宣传。\n开展禁毒宣传活动3次。\n举办科普讲座5场。",
            &[
                (&[], None),
                (&["anti_drug"], Some(D)),
                (&["anti_drug", "science_popularization"], Some(D)),
                (&["training"], Some(D)),
            ],
        );
        // A township summary keeps its sections done.
        check(
            "青石镇科协2024年工作总结\n一、主要工作\n加强组织建设。建立健全各项制度，举办培训班3期。\n二、下一步工作打算\n要继续开展科普讲座。",
            &[
                (&[], None),
                (&[], None),
                (&["organization_building", "training"], Some(D)),
                (&[], None),
                (&["training"], Some(P)),
            ],
        );
        // A summary with no title or heading that opens on the year gone
        // by (`今年以来，…`) reports its task-titled paragraphs as done.
        let opening = "今年以来，镇科协在镇党委、政府的领导下，围绕全镇中心工作，积极开展科普宣传，为乡村振兴提供科技支撑。\n";
        let tasks = "加强科普阵地建设。依托村级综合服务中心建设科普活动室，完善科普宣传栏。\n加强科协自身建设。坚持学习制度，提高科协干部业务能力。";
        let got = lines(&format!("{opening}{tasks}"));
        assert!(got.iter().all(|(_, s)| *s != Some(P)), "{got:?}");
        // Without that opening the same tasks read as a plan's.
        let got = lines(&format!(
            "镇科协围绕全镇中心工作，积极开展科普宣传，为乡村振兴提供科技支撑。\n{tasks}"
        ));
        assert!(got.iter().any(|(_, s)| *s == Some(P)), "{got:?}");
    }

    #[test]
    fn hard_wrapped_lines_carry_their_paragraph() {
        let a = "县科协组织各成员单位深入农村开展“科技下乡”活动，向农民赠送科技图书一万多册，编印下发技术";
        let b = "资料近万份，举办实用技术培训班十期，培训农民三千人次，受到群众欢迎。";
        let c = "县科协召开了禁毒工作动员会，传达学习有关会议精神，安排部署下一步的各项工作任务。";
        let text = format!("    {a}\n{b}\n    {c}\n{a}\n{b}");
        let got = lines(&text);
        assert_eq!(got.len(), 5);
        assert_eq!(
            got[0], got[1],
            "a wrapped line carries its paragraph's types"
        );
        assert!(got[0].0.contains(&"rural_outreach".to_string()));
        assert!(got[1].0.contains(&"training".to_string()));
        assert_eq!(got[2].0, vec!["anti_drug".to_string()]);
        assert_eq!(got[2].1, Some(D), "下一步 mid-sentence is no plan");
    }

    #[test]
    fn words_broken_by_a_hard_wrap_are_whole() {
        // `技术资⏎料` is the material whose topic 种植/养殖 names, and
        // `禁⏎毒` is the cue 禁毒: the joined lines are scanned as one.
        let a = "县农技协组织专家深入各村开展技术服务，编印下发蔬菜种植、畜禽养殖等技术资";
        let b = "料五千余份，受到农民群众的普遍欢迎。";
        let c = "街道组织辖区青年志愿者和居民群众参加了以珍爱生命远离伤害为主题的禁";
        let d = "毒知识竞赛，发放宣传材料两千余份。";
        let text = format!("    {a}\n{b}\n    {c}\n{d}");
        let got = lines(&text);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], got[1], "{got:?}");
        assert!(
            got[0].0.contains(&"science_popularization".to_string()),
            "{got:?}"
        );
        assert!(
            !got[0].0.contains(&"industry_development".to_string()),
            "{got:?}"
        );
        assert_eq!(got[2], got[3], "{got:?}");
        assert!(got[2].0.contains(&"anti_drug".to_string()), "{got:?}");
    }

    #[test]
    fn join_lines_maps_back_to_the_text() {
        let text = "技术资\n料五千\r\n份";
        let (mut joined, mut cuts) = (String::new(), Vec::new());
        join_lines(text, &mut joined, &mut cuts);
        assert_eq!(joined, "技术资料五千份");
        assert_eq!(cuts, vec![(9, 1), (18, 3)]);
    }

    #[test]
    fn hard_wrap_width_lines_run_on_past_a_full_stop() {
        // Lines of the wrap width run on even when one ends on `。`, a
        // numbered heading that fills the line runs on into its body, and
        // the lines after `计划在` in a done paragraph are planned.
        let text = "    （六）企业改革取得新进展。1998年，各地积极推进乡镇企业改革，探索\n\
业经营方式和组织形式，寻求新的公有制实现形式，采取股份制、股份合作制。\n\
全国农村股份合作制企业超过320万家，其中乡村集体企业实行股份合作制的\n\
有19万家。\n\
    四是举办干训班，全市已有3000名村干部取得了中专以上的学历。 计划在\n\
2000年以前，把全市的村干部普遍轮训一遍，使他们都具有中专以上的学\n\
历水平。";
        let got = lines(text);
        assert_eq!(got.len(), 7, "{got:?}");
        for l in &got[..4] {
            assert_eq!(l.0, vec!["enterprise_innovation".to_string()], "{got:?}");
        }
        assert_eq!(got[4], (vec!["training".to_string()], Some(D)));
        assert_eq!(got[5], (vec!["training".to_string()], Some(P)));
        assert_eq!(got[6], (vec!["training".to_string()], Some(P)));
    }

    #[test]
    fn user_file_adds_types_and_cues() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("activity_types.tsv"),
            "# user additions\nwater_conservancy\t水利建设\tirrigation and dams\t水利工程,~灌溉\nanti_drug\t-\t-\t缉毒\n",
        )
        .unwrap();
        let ex = ActivityExtractor::new(&DataDir::with_user_dir(Some(dir.path()))).unwrap();
        assert!(ex.type_ids().any(|t| t == "water_conservancy"));
        assert_eq!(
            lines_with(
                &ex,
                "全年开展水利工程建设。\n配合公安开展缉毒行动。\n灌溉面积扩大。"
            ),
            vec![
                (vec!["water_conservancy".to_string()], Some(D)),
                (vec!["anti_drug".to_string()], Some(D)),
                (vec![], None),
            ]
        );
    }

    #[test]
    fn malformed_data_lines_are_reported() {
        for (file, body) in [
            ("activity_types.tsv", "only\ttwo\n"),
            ("activity_types.tsv", "bad id!\tx\ty\tz\n"),
            ("activity_types.tsv", "@nonsense\t-\t-\tx\n"),
            ("activity_types.tsv", "@span\t-\t-\t发挥\n"),
            ("plan_cues.txt", "nowhere\t将\n"),
            ("plan_cues.txt", "no tab here\n"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(file), body).unwrap();
            let err = ActivityExtractor::new(&DataDir::with_user_dir(Some(dir.path())))
                .err()
                .unwrap_or_else(|| panic!("{file}: {body:?} accepted"));
            assert_eq!(err.line, 1, "{err}");
        }
    }

    /// The fast path for chars above U+3000 answers as the plain rule.
    #[test]
    fn is_space_is_white_space_or_a_listed_char() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let want = c.is_whitespace() || matches!(c, '\u{3000}' | '\u{a0}' | '\u{feff}');
            assert_eq!(is_space(c), want, "{c:?}");
        }
    }

    #[test]
    fn trie_reports_overlapping_matches() {
        let mut t = Trie::new();
        t.insert("科普", 0);
        t.insert("科普大学", 1);
        t.insert("大学", 2);
        // The same text under a second id reports both, in id order.
        t.insert("大学", 3);
        t.build();
        let mut got = Vec::new();
        t.scan_into("社区科普大学", 10, &mut got);
        assert_eq!(
            got,
            vec![(16, 22, 0), (16, 28, 1), (22, 28, 2), (22, 28, 3)]
        );
    }

    /// Every match by brute force, in the trie's order.
    fn naive_matches(pats: &[&str], text: &str, base: usize) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        for (s, _) in text.char_indices() {
            for (id, p) in pats.iter().enumerate() {
                if !p.is_empty() && text[s..].starts_with(p) {
                    out.push((base + s, base + s + p.len(), id as u32));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn trie_finds_one_char_and_astral_patterns() {
        let pats = ["为", "为民", "𠀀", "𠀀a", "a𠀀", "抓", "抓好", "好"];
        let mut t = Trie::new();
        for (id, p) in pats.iter().enumerate() {
            t.insert(p, id as u32);
        }
        t.build();
        let text = "为民抓好𠀀a𠀀为抓";
        let mut got = Vec::new();
        t.scan_into(text, 3, &mut got);
        assert_eq!(got, naive_matches(&pats, text, 3));
        assert!(got.contains(&(3, 6, 0)) && got.contains(&(3, 9, 1)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn trie_matches_brute_force(
            pats in proptest::collection::vec("[科普大学为民抓好a𠀀]{1,4}", 1..12),
            text in "[科普大学为民抓好a𠀀b]{0,40}",
        ) {
            let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
            let mut t = Trie::new();
            for (id, p) in pats.iter().enumerate() {
                t.insert(p, id as u32);
            }
            t.build();
            let mut got = Vec::new();
            t.scan_into(&text, 7, &mut got);
            prop_assert_eq!(got, naive_matches(&pats, &text, 7));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_and_spans_are_lines(
            text in "[科普培训禁毒将要计划企业社区下一步工作打算为以指导主题“”《》（）、，。；：\n 　a1２一二三>]{0,300}",
            extra in any::<String>(),
        ) {
            for t in [text.as_str(), extra.as_str()] {
                for f in facts_with(extractor(), t) {
                    prop_assert!(t.is_char_boundary(f.span.start) && t.is_char_boundary(f.span.end));
                    prop_assert!(f.span.start < f.span.end && f.span.end <= t.len());
                    prop_assert!(!f.span.slice(t).contains('\n'));
                }
            }
        }
    }
}

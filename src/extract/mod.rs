//! Fact extraction: dates, counts, activities, places and organizations.
//!
//! Extractors are small trait objects run in a fixed order over one
//! [`ExtractContext`] (dates, counts, activities, then places and
//! organizations with the region: `Pipeline::analyze_many`, the one place
//! that runs them); each sees the facts found before it (counts skip what
//! the date extractor took, for instance).

pub mod activity;
pub mod count;
pub mod date;
pub mod entity;
pub mod number;

use crate::data::{DataDir, DataError};
use crate::model::{Fact, FactData, Paragraph, Section, Sentence};
use crate::segment::Word;

/// Everything an extractor may look at for one document.
pub struct ExtractContext<'a> {
    pub text: &'a str,
    pub paragraphs: &'a [Paragraph],
    pub sentences: &'a [Sentence],
    pub sections: &'a [Section],
    /// Words of the whole text, in order, as byte spans.
    pub words: &'a [Word],
    /// The year the document reports on (given or inferred), used to
    /// complete month-day dates.
    pub year: Option<i32>,
    /// True when `year` was inferred from the text rather than given.
    pub year_inferred: bool,
}

/// One kind of fact finder.
pub trait Extractor: Send + Sync {
    /// A stable name (referable from configuration and logs).
    fn name(&self) -> &'static str;
    /// Append facts found in `ctx` to `out`; `out` already holds the facts of
    /// the extractors that ran before this one.
    fn extract(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>);
}

/// The extractors, built once from the data files and shared by all threads.
pub struct Extractors {
    pub date: date::DateExtractor,
    pub count: count::CountExtractor,
    pub activity: activity::ActivityExtractor,
    pub entity: entity::EntityExtractor,
}

impl Extractors {
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        Ok(Extractors {
            date: date::DateExtractor::new(data)?,
            count: count::CountExtractor::new(data)?,
            activity: activity::ActivityExtractor::new(data)?,
            entity: entity::EntityExtractor::new(data)?,
        })
    }
}

/// Sort facts by position then kind (the kind's name, alphabetically), as
/// a stable sort by `(start, end, kind())` would.
///
/// Each extractor emits its facts mostly in text order, so the list is a
/// few ascending runs: small keys are merged run by run (a list in order
/// costs one pass), and the large facts are then put in place by swaps
/// along the permutation's cycles, with no second list of facts.
pub fn sort_facts(out: &mut [Fact]) {
    // The rank of each kind's name in alphabetical order.
    fn rank(d: &FactData) -> u128 {
        match d {
            FactData::Activity(_) => 0,
            FactData::Count(_) => 1,
            FactData::Date(_) => 2,
            FactData::Org(_) => 3,
            FactData::Place(_) => 4,
        }
    }
    let n = out.len();
    // (key, index) of each fact, and room for a second half the merges
    // write to.
    let mut buf: Vec<(u128, usize)> = Vec::with_capacity(2 * n);
    // Where each ascending run starts, then the end.
    let mut runs = vec![0];
    for (i, f) in out.iter().enumerate() {
        // (start, end, rank) as one integer: start in the high 64 bits,
        // then end and the rank in 3 bits. Exact while end < 2^61, that is
        // for any text that fits in memory.
        debug_assert!((f.span.end as u128) < 1 << 61);
        let key = (f.span.start as u128) << 64 | (f.span.end as u128) << 3 | rank(&f.data);
        if buf.last().is_some_and(|&(prev, _)| key < prev) {
            runs.push(i);
        }
        buf.push((key, i));
    }
    if runs.len() == 1 {
        return;
    }
    runs.push(n);
    buf.extend_from_within(..);
    let (mut from, mut to) = buf.split_at_mut(n);
    while runs.len() > 2 {
        // Merge runs pairwise (an odd last run is copied), keeping the
        // merged runs' starts at the front of `runs`.
        let (mut k, mut kept) = (0, 0);
        while k + 1 < runs.len() {
            let (a, m) = (runs[k], runs[k + 1]);
            let b = runs.get(k + 2).copied().unwrap_or(m);
            merge_runs(&from[a..m], &from[m..b], &mut to[a..b]);
            runs[kept] = a;
            kept += 1;
            k += 2;
        }
        runs[kept] = n;
        runs.truncate(kept + 1);
        std::mem::swap(&mut from, &mut to);
    }
    // Position i takes the fact first at from[i].1. Each swap puts one
    // fact in its final place; a fact whose index is below i was swapped
    // away to where from[that index] says, which the inner loop follows.
    let order = from;
    for i in 0..n {
        let mut at = order[i].1;
        while at < i {
            at = order[at].1;
        }
        order[i].1 = at;
        out.swap(i, at);
    }
}

/// Merges two runs ascending by key into `to` (`a.len() + b.len()` long),
/// taking from `a` on equal keys (which keeps the merge stable).
fn merge_runs(mut a: &[(u128, usize)], mut b: &[(u128, usize)], to: &mut [(u128, usize)]) {
    let mut slots = to.iter_mut();
    while let (Some(x), Some(y)) = (a.first(), b.first()) {
        let Some(slot) = slots.next() else { return };
        if y.0 < x.0 {
            *slot = *y;
            b = &b[1..];
        } else {
            *slot = *x;
            a = &a[1..];
        }
    }
    for (slot, x) in slots.zip(a.iter().chain(b)) {
        *slot = *x;
    }
}

// Char helpers for the extractors' byte-level scans.

/// The length of the UTF-8 char whose lead byte is `x`.
#[inline(always)]
pub(crate) fn utf8_len(x: u8) -> usize {
    match x {
        0..0x80 => 1,
        0x80..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    }
}

/// A set of chars of the Basic Multilingual Plane, one bit each (8 KB):
/// row `c >> 6`, bit `c & 63`. For a three-byte char `b0 b1 b2` the row is
/// the low bits of `b0` and `b1` and the bit the low 6 of `b2`, so a byte
/// scan tests it with no code point put together
/// ([`CharBits::has_three_byte`]), and the row index has 10 bits, so no
/// look-up needs a bounds check.
pub(crate) struct CharBits([u64; 0x400]);

impl Default for CharBits {
    fn default() -> Self {
        CharBits::of(&[])
    }
}

impl std::fmt::Debug for CharBits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: u32 = self.0.iter().map(|w| w.count_ones()).sum();
        write!(f, "CharBits({n} chars)")
    }
}

impl CharBits {
    /// The BMP chars of `lists` (chars beyond it are left out).
    pub(crate) const fn of(lists: &[&[char]]) -> CharBits {
        let mut t = [0u64; 0x400];
        let mut l = 0;
        while l < lists.len() {
            let mut k = 0;
            while k < lists[l].len() {
                let cp = lists[l][k] as u32;
                if cp < 0x1_0000 {
                    t[(cp >> 6) as usize] |= 1 << (cp & 63);
                }
                k += 1;
            }
            l += 1;
        }
        CharBits(t)
    }

    /// Adds `c` if it is in the BMP.
    pub(crate) fn insert(&mut self, c: char) {
        let u = c as usize;
        if let Some(w) = self.0.get_mut(u >> 6) {
            *w |= 1 << (u & 63);
        }
    }

    /// Whether `c` is in the set (never for a char beyond the BMP).
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let u = c as usize;
        self.0.get(u >> 6).is_some_and(|w| (w >> (u & 63)) & 1 != 0)
    }

    /// Whether `c` may be in the set: exact in the BMP, always beyond it
    /// (for a filter in front of an exact test).
    #[inline]
    pub(crate) fn may_contain(&self, c: char) -> bool {
        let u = c as usize;
        self.0.get(u >> 6).is_none_or(|w| (w >> (u & 63)) & 1 != 0)
    }

    /// [`CharBits::contains`] for the three-byte char encoded `b0 b1 b2`
    /// (`b0` in 0xE0..=0xEF).
    #[inline(always)]
    pub(crate) fn has_three_byte(&self, b0: u8, b1: u8, b2: u8) -> bool {
        let row = self.0[(usize::from(b0 & 0x0F) << 6) | usize::from(b1 & 0x3F)];
        (row >> (b2 & 0x3F)) & 1 != 0
    }
}

/// The number of chars in `s`: its bytes less the continuation bytes
/// (`10xxxxxx`), counted eight at a time. A line is mostly three-byte
/// chars, where `chars().count()` took several instructions a byte.
pub(crate) fn char_count(s: &str) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let b = s.as_bytes();
    let mut chunks = b.chunks_exact(8);
    let mut cont = 0u64;
    for chunk in &mut chunks {
        let w = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        // Bit 7 of each byte set where bit 7 is set and bit 6 is clear,
        // moved to bit 0 and summed over the bytes by one multiply.
        let marks = (w & !(w << 1) & HIGH) >> 7;
        cont += marks.wrapping_mul(0x0101_0101_0101_0101) >> 56;
    }
    let rest = chunks
        .remainder()
        .iter()
        .filter(|&&x| x & 0xC0 == 0x80)
        .count();
    b.len() - cont as usize - rest
}

/// The code point starting at byte `i` of valid UTF-8, and its length.
/// Three-byte chars (all CJK) take the first branch with no bounds check
/// beyond `i + 2 < len`; std's decoder handles every width on every char.
#[inline(always)]
pub(crate) fn char_at(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let x = *b.get(i)?;
    if (0xE0..0xF0).contains(&x) && i + 2 < b.len() {
        let c = (u32::from(x & 0x0F) << 12)
            | (u32::from(b[i + 1] & 0x3F) << 6)
            | u32::from(b[i + 2] & 0x3F);
        return Some((c, 3));
    }
    if x < 0x80 {
        return Some((u32::from(x), 1));
    }
    // Two- and four-byte chars, rare here: std decodes them.
    let n = if x >= 0xF0 { 4 } else { 2 };
    let c = std::str::from_utf8(b.get(i..i + n)?)
        .ok()
        .and_then(|s| s.chars().next())?;
    Some((c as u32, c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DateFact, OrgFact, Span};

    fn date(s: usize, e: usize, v: &str) -> Fact {
        Fact::new(
            Span::new(s, e),
            FactData::Date(DateFact {
                value: v.into(),
                year_inferred: false,
                relative: false,
                placeholder: false,
            }),
        )
    }

    fn org(s: usize, e: usize) -> Fact {
        Fact::new(
            Span::new(s, e),
            FactData::Org(OrgFact {
                name: "x".into(),
                category: "y".into(),
            }),
        )
    }

    /// Every char's bit: inserted, given to `of`, and read back by char and
    /// by its bytes; chars beyond the BMP are never in the set and always
    /// may be.
    #[test]
    fn char_bits_hold_what_was_put_in() {
        let picked = ['一', 'a', '。', '\u{FFFF}', 'é', '𠀀'];
        let of = CharBits::of(&[&picked[..3], &picked[3..]]);
        let mut inserted = CharBits::of(&[]);
        picked.iter().for_each(|&c| inserted.insert(c));
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let want = picked.contains(&c) && (c as u32) < 0x1_0000;
            for set in [&of, &inserted] {
                assert_eq!(set.contains(c), want, "{c:?}");
                assert_eq!(set.may_contain(c), want || c as u32 >= 0x1_0000, "{c:?}");
                if let [b0, b1, b2] = c.encode_utf8(&mut buf).as_bytes() {
                    assert_eq!(set.has_three_byte(*b0, *b1, *b2), want, "{c:?}");
                }
            }
        }
    }

    #[test]
    fn utf8_len_is_the_char_length() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = c.encode_utf8(&mut buf);
            assert_eq!(utf8_len(s.as_bytes()[0]), c.len_utf8(), "{c:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn char_count_counts_chars(s in proptest::prelude::any::<String>()) {
            proptest::prop_assert_eq!(char_count(&s), s.chars().count());
        }

        #[test]
        fn char_at_decodes_every_char(s in proptest::prelude::any::<String>()) {
            let b = s.as_bytes();
            for (i, c) in s.char_indices() {
                proptest::prop_assert_eq!(char_at(b, i), Some((c as u32, c.len_utf8())));
            }
            proptest::prop_assert_eq!(char_at(b, b.len()), None);
        }
    }

    proptest::proptest! {
        /// Random lists (sorted runs, repeats, every kind) come out in the
        /// stable sort's order.
        #[test]
        fn sort_facts_matches_stable_sort(
            items in proptest::collection::vec((0usize..30, 0usize..4, 0usize..5), 0..200),
        ) {
            let facts: Vec<Fact> = items
                .iter()
                .enumerate()
                .map(|(i, &(s, len, kind))| {
                    let (s, e) = (s, s + len);
                    match kind {
                        0 => date(s, e, &i.to_string()),
                        1 => org(s, e),
                        2 => Fact::new(Span::new(s, e), FactData::Count(crate::model::CountFact {
                            value: Some(i as f64),
                            approx: crate::model::Approx::Exact,
                            unit: None,
                            placeholder: false,
                        })),
                        3 => Fact::new(Span::new(s, e), FactData::Activity(crate::model::ActivityFact {
                            type_id: i.to_string(),
                            status: crate::model::Status::Done,
                        })),
                        _ => Fact::new(Span::new(s, e), FactData::Place(crate::model::PlaceFact {
                            name: i.to_string(),
                            level: crate::model::PlaceLevel::County,
                            code: None,
                        })),
                    }
                })
                .collect();
            let mut want = facts.clone();
            want.sort_by(|a, b| {
                (a.span.start, a.span.end, a.kind()).cmp(&(b.span.start, b.span.end, b.kind()))
            });
            let mut got = facts;
            sort_facts(&mut got);
            proptest::prop_assert_eq!(got, want);
        }
    }

    /// The same order as the stable sort by `(start, end, kind())`.
    #[test]
    fn sort_facts_matches_stable_sort_by_kind_name() {
        let facts = vec![
            org(5, 9),
            date(5, 9, "a"),
            date(0, 3, "b"),
            date(5, 9, "c"),
            org(0, 3),
            date(0, 2, "d"),
        ];
        let mut want = facts.clone();
        want.sort_by(|a, b| {
            (a.span.start, a.span.end, a.kind()).cmp(&(b.span.start, b.span.end, b.kind()))
        });
        let mut got = facts;
        sort_facts(&mut got);
        assert_eq!(got, want);
        let before = got.clone();
        sort_facts(&mut got);
        assert_eq!(got, before);
    }
}

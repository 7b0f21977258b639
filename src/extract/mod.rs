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
/// a stable sort by `(start, end, kind())` would, without moving the large
/// facts around while sorting: small keys are sorted and the facts placed
/// once. Extractors mostly emit in order, so an ordered list is left as is.
pub fn sort_facts(out: &mut Vec<Fact>) {
    // The rank of each kind's name in alphabetical order.
    fn rank(d: &FactData) -> u8 {
        match d {
            FactData::Activity(_) => 0,
            FactData::Count(_) => 1,
            FactData::Date(_) => 2,
            FactData::Org(_) => 3,
            FactData::Place(_) => 4,
        }
    }
    // The index breaks ties, which keeps the order stable.
    let keys: Vec<(usize, usize, u8, usize)> = out
        .iter()
        .enumerate()
        .map(|(i, f)| (f.span.start, f.span.end, rank(&f.data), i))
        .collect();
    if keys.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    let mut keys = keys;
    keys.sort_unstable();
    let mut slots: Vec<Option<Fact>> = out.drain(..).map(Some).collect();
    out.extend(
        keys.iter()
            .filter_map(|k| slots.get_mut(k.3).and_then(Option::take)),
    );
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

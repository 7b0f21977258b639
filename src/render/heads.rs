//! The digest heads of a run's documents, kept on disk until the digests
//! are written, and read back one at a time by the digests that list them.
//!
//! Read back all at once when the run ended, the heads of 10^5 documents
//! took ~40 MB (a struct of six strings each), the largest single rise of
//! a run's memory. Memory now holds 4 bytes per document while documents
//! come in (the length of its head) and 16 once they are all in (where
//! its head is, and the cross-document findings it gets), and for each
//! (county, year) digest the place of each of its documents (4 bytes).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;

use super::digest::DocHead;
use crate::audit::spill::BufferedTempFile;

/// Bytes of heads read at once by the pass that groups them.
const READ_CHUNK: usize = 1024 * 1024;

/// Where one head is, and what the end of the run adds to it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at: u64,
    /// The head's length, and [`DETAIL`] when it has figures or findings
    /// (the digests' workbooks list its detail).
    len: u32,
    /// Cross-document findings that belong to this document (only the
    /// last document with an id gets them).
    extra: u32,
}

/// The flag bit of a head's length: it has a detail worth listing.
const DETAIL: u32 = 1 << 31;

impl Slot {
    fn bytes(&self) -> usize {
        (self.len & !DETAIL) as usize
    }
    fn end(&self) -> u64 {
        self.at + self.bytes() as u64
    }
}

/// The documents of one (county, year) digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub county_key: String,
    pub year: Option<i32>,
    /// The county name of the group's first document that has one.
    pub county: Option<String>,
    /// Places of its documents (as in [`HeadFile::head`]), in input order.
    pub members: Vec<u32>,
}

/// The heads of a run's documents, in the order they were pushed.
pub struct HeadFile {
    file: BufferedTempFile,
    /// One head's JSON, reused.
    line: Vec<u8>,
    /// While documents come in, only each head's length (with the
    /// [`DETAIL`] bit): 4 bytes a document, where they are follows.
    lens: Vec<u32>,
    /// Made from `lens` by [`Self::finish`].
    slots: Vec<Slot>,
}

impl HeadFile {
    pub fn create(dir: &Path) -> io::Result<Self> {
        Ok(HeadFile {
            file: BufferedTempFile::create(dir, ".heads.jsonl.tmp")?,
            line: Vec::new(),
            lens: Vec::new(),
            slots: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.lens.len().max(self.slots.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, head: &DocHead) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, head)?;
        let len = u32::try_from(self.line.len())
            .ok()
            .filter(|&l| l < DETAIL)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "digest head too long"))?;
        let detail = if head.figures > 0 || head.findings > 0 {
            DETAIL
        } else {
            0
        };
        self.file.append(&self.line)?;
        self.lens.push(len | detail);
        Ok(())
    }

    /// After the last push: one pass over the heads in order gives the
    /// (county, year) groups, sorted by county key then year, and gives
    /// each id's cross-document findings (`cross_count`) to the last
    /// document with that id.
    pub fn finish(&mut self, cross_count: impl Fn(&str) -> usize) -> io::Result<Vec<Group>> {
        self.file.flush()?;
        let mut at = 0u64;
        self.slots = std::mem::take(&mut self.lens)
            .into_iter()
            .map(|len| {
                let s = Slot { at, len, extra: 0 };
                at += (len & !DETAIL) as u64;
                s
            })
            .collect();
        let mut groups: BTreeMap<(String, Option<i32>), Group> = BTreeMap::new();
        // Id → the last place with it, for ids that have cross findings.
        let mut last: HashMap<[u8; 16], (u32, u32)> = HashMap::new();
        let mut chunk = Vec::new();
        let mut i = 0;
        while i < self.slots.len() {
            // Heads are contiguous in the file: read as many as fit a chunk.
            let from = self.slots[i].at;
            let mut j = i + 1;
            while j < self.slots.len() && self.slots[j].end() - from <= READ_CHUNK as u64 {
                j += 1;
            }
            let to = self.slots[j - 1].end();
            chunk.resize((to - from) as usize, 0);
            self.file.read_at(from, &mut chunk)?;
            for k in i..j {
                let s = self.slots[k];
                let at = (s.at - from) as usize;
                let line = chunk.get(at..at + s.bytes()).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "digest heads cut short")
                })?;
                let h: DocHead = serde_json::from_slice(line)?;
                let place = k as u32;
                let g = groups
                    .entry((h.county_key.clone(), h.year))
                    .or_insert_with(|| Group {
                        county_key: h.county_key.clone(),
                        year: h.year,
                        county: None,
                        members: Vec::new(),
                    });
                if g.county.is_none() {
                    g.county = h.county.clone();
                }
                g.members.push(place);
                let extra = cross_count(&h.doc_id);
                if extra > 0 {
                    let extra = u32::try_from(extra).unwrap_or(u32::MAX);
                    last.insert(super::doc_key(&h.doc_id), (place, extra));
                }
            }
            i = j;
        }
        for (place, extra) in last.into_values() {
            let s = &mut self.slots[place as usize];
            s.extra = extra;
            s.len |= DETAIL;
        }
        Ok(groups.into_values().collect())
    }

    /// Does the document at `place` have figures or findings?
    pub fn has_detail(&self, place: u32) -> bool {
        self.slots
            .get(place as usize)
            .is_some_and(|s| s.len & DETAIL != 0)
    }

    /// The head at `place`, with its cross-document findings counted
    /// (after [`Self::finish`]). `buf` is reused between calls; any number
    /// of threads may read at once.
    pub fn head(&self, place: u32, buf: &mut Vec<u8>) -> io::Result<DocHead> {
        let s = self
            .slots
            .get(place as usize)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such digest head"))?;
        buf.resize(s.bytes(), 0);
        self.file.read_at(s.at, buf)?;
        let mut h: DocHead = serde_json::from_slice(buf)?;
        if s.extra > 0 {
            h.cross = true;
            h.findings += s.extra as usize;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(doc_id: &str, county_key: &str, county: Option<&str>, year: Option<i32>) -> DocHead {
        DocHead {
            doc_id: doc_id.into(),
            title: format!("{doc_id}的工作总结"),
            unit: Some("县科协".into()),
            county: county.map(Into::into),
            county_key: county_key.into(),
            year,
            source: format!("档案/{doc_id}.txt"),
            figures: 0,
            findings: 0,
            at: 7,
            len: 9,
            cross: false,
        }
    }

    #[test]
    fn groups_heads_and_gives_cross_findings_to_the_last_of_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = HeadFile::create(dir.path()).unwrap();
        let mut with_figures = head("b", "110108", Some("海淀区"), Some(2023));
        with_figures.figures = 4;
        let heads = [
            head("a", "110108", None, Some(2023)),
            with_figures,
            head("c", "unknown", None, None),
            head("a", "110108", Some("海淀区"), Some(2023)),
            head("d", "110108", None, Some(2022)),
        ];
        for h in &heads {
            file.push(h).unwrap();
        }
        assert_eq!(file.len(), 5);
        let groups = file
            .finish(|id| match id {
                "a" => 2,
                "c" => 1,
                _ => 0,
            })
            .unwrap();
        // (county key, year, county, members) of each group.
        type Shape<'a> = (&'a str, Option<i32>, Option<&'a str>, &'a [u32]);
        let shape: Vec<Shape> = groups
            .iter()
            .map(|g| {
                (
                    g.county_key.as_str(),
                    g.year,
                    g.county.as_deref(),
                    &g.members[..],
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("110108", Some(2022), None, &[4][..]),
                ("110108", Some(2023), Some("海淀区"), &[0, 1, 3][..]),
                ("unknown", None, None, &[2][..]),
            ]
        );
        let mut buf = Vec::new();
        // The first "a" gets nothing; the last gets both findings.
        let first = file.head(0, &mut buf).unwrap();
        assert_eq!((first.cross, first.findings), (false, 0));
        let again = file.head(3, &mut buf).unwrap();
        assert_eq!((again.cross, again.findings), (true, 2));
        assert_eq!(again.county.as_deref(), Some("海淀区"));
        assert_eq!((again.at, again.len), (7, 9));
        assert_eq!(file.head(1, &mut buf).unwrap().title, "b的工作总结");
        assert_eq!(
            (0..5).map(|p| file.has_detail(p)).collect::<Vec<_>>(),
            [false, true, true, true, false]
        );
        assert!(file.head(5, &mut buf).is_err());
    }

    #[test]
    fn heads_past_one_write_chunk_and_one_read_chunk_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = HeadFile::create(dir.path()).unwrap();
        let n = 6000u32;
        for i in 0..n {
            let mut h = head(&format!("{i:020}"), "110108", None, Some(2020));
            h.title = "长".repeat(i as usize % 200);
            file.push(&h).unwrap();
        }
        let groups = file.finish(|_| 0).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members, (0..n).collect::<Vec<_>>());
        let mut buf = Vec::new();
        for i in [0, 1, 2999, n - 1] {
            let h = file.head(i, &mut buf).unwrap();
            assert_eq!(h.doc_id, format!("{i:020}"));
            assert_eq!(h.title.chars().count(), i as usize % 200);
        }
    }
}

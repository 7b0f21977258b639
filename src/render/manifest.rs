//! `--manifest CSV`: path → county, year, unit, for documents whose text
//! does not say. Columns `path,county,year,unit` (a header row naming
//! `path` first is skipped); fields may be quoted; empty fields say nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestEntry {
    pub county: Option<String>,
    pub year: Option<i32>,
    pub unit: Option<String>,
}

#[derive(Debug, Default)]
pub struct Manifest {
    by_path: HashMap<String, ManifestEntry>,
    by_canonical: HashMap<PathBuf, ManifestEntry>,
}

#[derive(Debug, thiserror::Error)]
#[error("manifest {file}{}: {reason}", if *line > 0 { format!(" line {line}") } else { String::new() })]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// Split one CSV line (RFC 4180 quoting within a line).
fn split_csv(line: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.trim().is_empty() && !was_quoted {
            cur.clear();
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return Err("unterminated quote");
    }
    out.push(cur);
    Ok(out.into_iter().map(|s| s.trim().to_string()).collect())
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ManifestError {
            file: file.clone(),
            line: 0,
            reason: format!("cannot read: {e}"),
        })?;
        // Excel on a Chinese Windows saves CSV in GBK.
        let text = crate::ingest::txt::decode_user_text(bytes).map_err(|reason| ManifestError {
            file: file.clone(),
            line: 0,
            reason: reason.into(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, &file, &base)
    }

    /// Parse manifest text; relative paths are tried against the current
    /// folder and against `base` (the manifest's folder).
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Self, ManifestError> {
        let mut m = Manifest::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            let err = |reason: String| ManifestError {
                file: file.to_string(),
                line: i + 1,
                reason,
            };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols = split_csv(line).map_err(|e| err(e.into()))?;
            if i == 0 && cols[0].eq_ignore_ascii_case("path") {
                continue;
            }
            if cols[0].is_empty() {
                return Err(err("empty path".into()));
            }
            let some = |k: usize| cols.get(k).filter(|s| !s.is_empty()).cloned();
            let year = match some(2) {
                Some(y) => Some(
                    y.trim_end_matches('年')
                        .parse::<i32>()
                        .ok()
                        .filter(|y| (1949..=2100).contains(y))
                        .ok_or_else(|| err(format!("year {y:?} is not a year")))?,
                ),
                None => None,
            };
            let entry = ManifestEntry {
                county: some(1),
                year,
                unit: some(3),
            };
            let p = PathBuf::from(&cols[0]);
            for cand in [p.clone(), base.join(&p)] {
                if let Ok(c) = cand.canonicalize() {
                    m.by_canonical.insert(c, entry.clone());
                }
            }
            m.by_path.insert(cols[0].clone(), entry);
        }
        Ok(m)
    }

    /// The entry for a document's source path (as given on the command line).
    pub fn get(&self, path: &str) -> Option<&ManifestEntry> {
        if let Some(e) = self.by_path.get(path) {
            return Some(e);
        }
        if self.by_canonical.is_empty() {
            return None;
        }
        Path::new(path)
            .canonicalize()
            .ok()
            .and_then(|c| self.by_canonical.get(&c))
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest saved by Excel on a Chinese Windows (GBK) reads as the
    /// same UTF-8 one does; bytes that are neither are refused.
    #[test]
    fn gbk_manifest_reads_like_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let utf8 = "path,county,year,unit\na.txt,普安县,2022,白沙乡科协\n";
        let (gbk, _, bad) = encoding_rs::GBK.encode(utf8);
        assert!(!bad);
        std::fs::write(dir.path().join("u.csv"), utf8).unwrap();
        std::fs::write(dir.path().join("g.csv"), &gbk).unwrap();
        let u = Manifest::load(&dir.path().join("u.csv")).unwrap();
        let g = Manifest::load(&dir.path().join("g.csv")).unwrap();
        let (eu, eg) = (u.get("a.txt").unwrap(), g.get("a.txt").unwrap());
        assert_eq!(eg.county.as_deref(), Some("普安县"));
        assert_eq!(eg.unit.as_deref(), Some("白沙乡科协"));
        assert_eq!(
            (eu.county.clone(), eu.year, eu.unit.clone()),
            (eg.county.clone(), eg.year, eg.unit.clone())
        );
        std::fs::write(dir.path().join("b.csv"), [0x81u8, 0x20, 0xff, 0xfe, 0x00]).unwrap();
        let err = Manifest::load(&dir.path().join("b.csv")).unwrap_err();
        assert!(
            err.to_string().contains("neither UTF-8 nor GB18030"),
            "{err}"
        );
    }

    #[test]
    fn parses_quotes_header_and_bad_years() {
        let m = Manifest::parse(
            "path,county,year,unit\na.txt,普安县,2022,白沙乡科协\n\"b,c.txt\",,,\"县\"\"科协\"\"\"\n",
            "m.csv",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            m.get("a.txt"),
            Some(&ManifestEntry {
                county: Some("普安县".into()),
                year: Some(2022),
                unit: Some("白沙乡科协".into())
            })
        );
        assert_eq!(
            m.get("b,c.txt").unwrap().unit.as_deref(),
            Some("县\"科协\"")
        );
        assert_eq!(m.get("b,c.txt").unwrap().county, None);
        let e = Manifest::parse("x.txt,县,20x3,\n", "m.csv", Path::new(".")).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().starts_with("manifest m.csv line 1:"));
        assert!(Manifest::parse("\"x.txt,县\n", "m.csv", Path::new(".")).is_err());
    }
}

//! Data files (dictionaries, unit lists, taxonomy, gazetteer) embedded in the
//! binary and extendable by the user.
//!
//! Every table the pipeline uses lives in `data/` and is embedded with
//! `include_str!`. A user can pass `--dict-dir DIR`: a file of the same name
//! in DIR is *appended* to the embedded table (its lines extend or, where a
//! table says so, override the embedded entries).

use std::path::{Path, PathBuf};

/// A malformed line in a data file.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {reason}", if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct DataError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl DataError {
    pub fn new(file: &str, line: usize, reason: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line,
            reason: reason.into(),
        }
    }
}

/// One logical data file: the embedded text plus an optional user extension.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub name: &'static str,
    pub embedded: &'static str,
    pub user: Option<(PathBuf, String)>,
}

impl DataFile {
    /// Non-empty, non-comment lines with their file name and 1-based line
    /// number (for error messages), embedded lines first.
    pub fn lines(&self) -> impl Iterator<Item = (&str, usize, &str)> + '_ {
        let emb = self
            .embedded
            .lines()
            .enumerate()
            .map(move |(i, l)| (self.name, i + 1, l));
        let user = self.user.iter().flat_map(|(p, t)| {
            let name = p.to_str().unwrap_or(self.name);
            t.lines().enumerate().map(move |(i, l)| (name, i + 1, l))
        });
        emb.chain(user).filter_map(|(f, n, l)| {
            let l = l.trim_end_matches('\r');
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                None
            } else {
                Some((f, n, l))
            }
        })
    }
}

/// The data files the pipeline knows, by name.
pub struct DataDir {
    user_dir: Option<PathBuf>,
}

macro_rules! embedded_files {
    ($($name:literal),* $(,)?) => {
        /// Names and contents of every embedded data file.
        pub const EMBEDDED: &[(&str, &str)] = &[$(($name, include_str!(concat!("../data/", $name)))),*];
    };
}

embedded_files!(
    "user_dict.txt",
    "activity_types.tsv",
    "units.tsv",
    "count_exclusions.txt",
    "plan_cues.txt",
    "counties.tsv",
    "prefectures.tsv",
    "townships.tsv",
    "org_suffixes.txt",
);

impl DataDir {
    pub fn embedded_only() -> Self {
        DataDir { user_dir: None }
    }

    pub fn with_user_dir(dir: Option<&Path>) -> Self {
        DataDir {
            user_dir: dir.map(Path::to_path_buf),
        }
    }

    /// Check the user's folder before anything is loaded from it: it must
    /// be a folder; returns the names of the files in it that extend no
    /// data file (a misspelt `user_dicts.txt` would otherwise be ignored
    /// without a word).
    pub fn check_user_dir(&self) -> Result<Vec<String>, DataError> {
        let Some(dir) = &self.user_dir else {
            return Ok(Vec::new());
        };
        let shown = dir.display().to_string();
        if !dir.is_dir() {
            return Err(DataError::new(&shown, 0, "--dict-dir is not a folder"));
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| DataError::new(&shown, 0, format!("cannot read the folder: {e}")))?;
        let mut unknown: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !EMBEDDED.iter().any(|(known, _)| known == n))
            .collect();
        unknown.sort();
        Ok(unknown)
    }

    /// The names of the data files a user folder may extend.
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(n, _)| *n)
    }

    /// Fetch a data file; an unreadable user file is an error, a missing one is not.
    pub fn file(&self, name: &'static str) -> Result<DataFile, DataError> {
        let embedded = EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| DataError::new(name, 0, "no such embedded data file"))?;
        let user = match &self.user_dir {
            Some(dir) => {
                let p = dir.join(name);
                if p.exists() {
                    let shown = p.display().to_string();
                    let bytes = std::fs::read(&p)
                        .map_err(|e| DataError::new(&shown, 0, format!("cannot read: {e}")))?;
                    Some((
                        p,
                        crate::ingest::txt::decode_user_text(bytes)
                            .map_err(|r| DataError::new(&shown, 0, r))?,
                    ))
                } else {
                    None
                }
            }
            None => None,
        };
        Ok(DataFile {
            name,
            embedded,
            user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user's data file saved in GBK (Notepad, Excel on a Chinese
    /// Windows) or with a BOM reads as the UTF-8 one; other bytes are
    /// refused with the file named.
    #[test]
    fn user_files_in_gbk_or_with_a_bom_read_as_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let text = "科普e站 5 n\n青石镇科协\n";
        let (gbk, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        let lines = |bytes: &[u8]| {
            std::fs::write(dir.path().join("user_dict.txt"), bytes).unwrap();
            let data = DataDir::with_user_dir(Some(dir.path()));
            data.file("user_dict.txt").map(|f| {
                f.lines()
                    .filter(|(name, _, _)| name.ends_with("user_dict.txt") && name.contains('/'))
                    .map(|(_, _, l)| l.to_string())
                    .collect::<Vec<_>>()
            })
        };
        let want = vec!["科普e站 5 n".to_string(), "青石镇科协".to_string()];
        assert_eq!(lines(text.as_bytes()).unwrap(), want);
        assert_eq!(lines(&gbk).unwrap(), want);
        let bom: Vec<u8> = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
        assert_eq!(lines(&bom).unwrap(), want);
        let err = lines(&[0x81, 0x20, 0xff, 0xfe]).unwrap_err();
        assert!(
            err.to_string().contains("neither UTF-8 nor GB18030"),
            "{err}"
        );
    }
}

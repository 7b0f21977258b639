//! Disk-backed state for the audit's corpus-wide passes: an external sort
//! ([`Sorter`]) and an append-only byte store read back at random
//! ([`Store`]).
//!
//! The cross-document index and the report grow with every document of a
//! run; held in memory they made peak memory grow with the corpus (about
//! 5 KB per document, so 0.5 GB at 10^5 documents). Both keep a bounded
//! buffer in memory and move the rest to temporary files in the output
//! folder. A small run never touches the disk: a file is made only when a
//! buffer fills.
//!
//! Temporary files have fixed names and, on Unix, are unlinked as soon as
//! they are open, so a run killed at any point leaves none behind (and a
//! rerun reuses the names elsewhere).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Bytes written to a temporary file at once.
const IO_CHUNK: usize = 64 * 1024;

/// The merge's read buffers together, at most (while runs have 4 KB each
/// within it; see `Sorter::into_merged`). Small runs never merge from disk,
/// so whatever this holds is memory only large runs have: at 4 MB it was
/// the peak of a 10^5-document run, writing the audit report.
const MERGE_BUDGET: usize = 1024 * 1024;

/// The smallest read from one run during a merge.
const MIN_CHUNK: usize = 4 * 1024;

/// A temporary file, unlinked where the OS allows it.
pub struct TempFile {
    file: File,
    /// The name, for messages.
    shown: PathBuf,
    /// Still to remove on drop (where an open file cannot be unlinked).
    #[cfg_attr(unix, allow(dead_code))]
    remove: Option<PathBuf>,
    len: u64,
    /// Reads seek the shared cursor where there is no positional read:
    /// held while one does, so threads may read at once everywhere.
    #[cfg(not(unix))]
    reading: std::sync::Mutex<()>,
}

fn named(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

impl TempFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<Self> {
        let path = dir.join(name);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| named(e, "creating", &path))?;
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(&path);
            Ok(TempFile {
                file,
                shown: path,
                remove: None,
                len: 0,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(TempFile {
                file,
                shown: path.clone(),
                remove: Some(path),
                len: 0,
                reading: std::sync::Mutex::new(()),
            })
        }
    }

    /// Append `bytes`; returns where they start.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.len;
        (&self.file)
            .write_all(bytes)
            .map_err(|e| named(e, "writing", &self.shown))?;
        self.len += bytes.len() as u64;
        Ok(at)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fill `buf` from byte `at` (from any number of threads at once).
    pub fn read_at(&self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file
                .read_exact_at(buf, at)
                .map_err(|e| named(e, "reading", &self.shown))
        }
        #[cfg(not(unix))]
        {
            use std::io::{Read, Seek, SeekFrom};
            let _one_reader = self.reading.lock().unwrap_or_else(|e| e.into_inner());
            // Appends continue at the end: put the cursor back there.
            let mut f = &self.file;
            let r = f
                .seek(SeekFrom::Start(at))
                .and_then(|_| f.read_exact(buf))
                .and_then(|_| f.seek(SeekFrom::End(0)).map(|_| ()));
            r.map_err(|e| named(e, "reading", &self.shown))
        }
    }
}

/// A [`TempFile`] written through a buffer: appends gather in memory and
/// go to the file [`IO_CHUNK`] at a time. What was appended can be read
/// back once [`BufferedTempFile::flush`] has run (reads see only the file).
pub struct BufferedTempFile {
    file: TempFile,
    pending: Vec<u8>,
}

impl BufferedTempFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<Self> {
        Ok(BufferedTempFile {
            file: TempFile::create(dir, name)?,
            pending: Vec::new(),
        })
    }

    /// Append `bytes`; returns where they start.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.len();
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= IO_CHUNK {
            self.flush()?;
        }
        Ok(at)
    }

    /// Bytes appended so far, written or not.
    pub fn len(&self) -> u64 {
        self.file.len() + self.pending.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.append(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Fill `buf` from byte `at` of what was flushed (from any number of
    /// threads at once).
    pub fn read_at(&self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        if at + buf.len() as u64 > self.file.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "reading {} before it was flushed",
                    self.file.shown.display()
                ),
            ));
        }
        self.file.read_at(at, buf)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = &self.remove {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// An append-only run of bytes read back at random: in memory up to
/// `budget` bytes, then in a temporary file.
pub struct Store {
    dir: PathBuf,
    name: &'static str,
    budget: usize,
    /// All bytes while no file is open; after that, bytes not yet written.
    mem: Vec<u8>,
    file: Option<TempFile>,
}

impl Store {
    pub fn new(dir: &Path, name: &'static str, budget: usize) -> Self {
        Store {
            dir: dir.to_path_buf(),
            name,
            budget,
            mem: Vec::new(),
            file: None,
        }
    }

    /// Bytes stored so far.
    pub fn len(&self) -> u64 {
        self.file.as_ref().map_or(0, TempFile::len) + self.mem.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Append `bytes`; returns where they start.
    pub fn push(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.len();
        self.mem.extend_from_slice(bytes);
        match &mut self.file {
            Some(f) if self.mem.len() >= IO_CHUNK => {
                f.append(&self.mem)?;
                self.mem.clear();
            }
            None if self.mem.len() > self.budget => {
                let mut f = TempFile::create(&self.dir, self.name)?;
                f.append(&self.mem)?;
                self.mem = Vec::with_capacity(IO_CHUNK);
                self.file = Some(f);
            }
            _ => {}
        }
        Ok(at)
    }

    /// Fill `buf` from byte `at` (bytes that were pushed).
    pub fn read_at(&mut self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        let Some(f) = &mut self.file else {
            let src = usize::try_from(at)
                .ok()
                .and_then(|a| self.mem.get(a..a.checked_add(buf.len())?));
            return match src {
                Some(s) => {
                    buf.copy_from_slice(s);
                    Ok(())
                }
                None => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "audit store: read past the end",
                )),
            };
        };
        if !self.mem.is_empty() {
            f.append(&self.mem)?;
            self.mem.clear();
        }
        f.read_at(at, buf)
    }
}

/// An external stable sort of records: a key of `W` words and a payload
/// of bytes. Records are buffered up to `budget` bytes, then written out as
/// a sorted run; reading merges the runs. Records with equal keys come out
/// in the order they were pushed.
pub struct Sorter<const W: usize> {
    dir: PathBuf,
    name: &'static str,
    budget: usize,
    keys: Vec<([u32; W], u32, u32)>,
    arena: Vec<u8>,
    file: Option<TempFile>,
    runs: Vec<(u64, u64)>,
    count: u64,
}

impl<const W: usize> Sorter<W> {
    pub fn new(dir: &Path, name: &'static str, budget: usize) -> Self {
        Sorter {
            dir: dir.to_path_buf(),
            name,
            budget,
            keys: Vec::new(),
            arena: Vec::new(),
            file: None,
            runs: Vec::new(),
            count: 0,
        }
    }

    /// Records pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn push(&mut self, key: [u32; W], payload: &[u8]) -> io::Result<()> {
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "audit record too long"))?;
        if self.arena.len() + payload.len() > u32::MAX as usize {
            self.spill()?;
        }
        self.keys.push((key, self.arena.len() as u32, len));
        self.arena.extend_from_slice(payload);
        self.count += 1;
        if self.keys.len() * std::mem::size_of::<([u32; W], u32, u32)>() + self.arena.len()
            >= self.budget
        {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.keys.is_empty() {
            return Ok(());
        }
        // Stable: equal keys keep their order within a run, and runs are
        // merged oldest first.
        self.keys.sort_by_key(|a| a.0);
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(TempFile::create(&self.dir, self.name)?),
        };
        let start = file.len();
        let mut buf = Vec::with_capacity(IO_CHUNK * 2);
        for (k, at, len) in &self.keys {
            for w in k {
                buf.extend_from_slice(&w.to_le_bytes());
            }
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(&self.arena[*at as usize..(*at + *len) as usize]);
            if buf.len() >= IO_CHUNK {
                file.append(&buf)?;
                buf.clear();
            }
        }
        file.append(&buf)?;
        self.runs.push((start, file.len()));
        self.keys.clear();
        self.arena.clear();
        Ok(())
    }

    /// All records in key order.
    pub fn into_merged(mut self) -> io::Result<Merged<W>> {
        if self.runs.is_empty() {
            self.keys.sort_by_key(|a| a.0);
            return Ok(Merged {
                src: Src::Mem {
                    keys: std::mem::take(&mut self.keys).into_iter(),
                    arena: std::mem::take(&mut self.arena),
                },
            });
        }
        self.spill()?;
        self.keys = Vec::new();
        self.arena = Vec::new();
        let Some(file) = self.file.take() else {
            return Err(io::Error::other("audit sorter: runs without a file"));
        };
        // One read buffer per run: their total stays under MERGE_BUDGET, or
        // the merge's memory would grow with the corpus (~900 runs of 64 KB
        // on 10^5 documents made a 56 MB spike at the end of the run).
        let chunk = (MERGE_BUDGET / self.runs.len()).clamp(MIN_CHUNK, IO_CHUNK);
        let mut cursors: Vec<Cursor<W>> = self
            .runs
            .iter()
            .map(|&(pos, end)| Cursor {
                pos,
                end,
                chunk,
                buf: Vec::new(),
                at: 0,
                key: [0; W],
                payload: Vec::new(),
            })
            .collect();
        let mut heap = BinaryHeap::with_capacity(cursors.len());
        for (i, c) in cursors.iter_mut().enumerate() {
            if c.advance(&file)? {
                heap.push(Reverse((c.key, i)));
            }
        }
        Ok(Merged {
            src: Src::Disk {
                file,
                cursors,
                heap,
            },
        })
    }
}

/// The records of a [`Sorter`], in key order.
pub struct Merged<const W: usize> {
    src: Src<W>,
}

enum Src<const W: usize> {
    Mem {
        keys: std::vec::IntoIter<([u32; W], u32, u32)>,
        arena: Vec<u8>,
    },
    Disk {
        file: TempFile,
        cursors: Vec<Cursor<W>>,
        heap: BinaryHeap<Reverse<([u32; W], usize)>>,
    },
}

/// Where the merge is in one sorted run.
struct Cursor<const W: usize> {
    pos: u64,
    end: u64,
    /// Bytes read from the run at a time.
    chunk: usize,
    buf: Vec<u8>,
    at: usize,
    key: [u32; W],
    payload: Vec<u8>,
}

impl<const W: usize> Cursor<W> {
    /// Make `n` bytes available at `self.at`.
    fn need(&mut self, file: &TempFile, n: usize) -> io::Result<()> {
        if self.buf.len() - self.at >= n {
            return Ok(());
        }
        self.buf.drain(..self.at);
        self.at = 0;
        let want = (n - self.buf.len()).max(self.chunk) as u64;
        let take = want.min(self.end - self.pos) as usize;
        if self.buf.len() + take < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "audit sorter: truncated run",
            ));
        }
        let old = self.buf.len();
        self.buf.resize(old + take, 0);
        file.read_at(self.pos, &mut self.buf[old..])?;
        self.pos += take as u64;
        Ok(())
    }

    /// Read the next record into `key` and `payload`; false at the end.
    fn advance(&mut self, file: &TempFile) -> io::Result<bool> {
        if self.at == self.buf.len() && self.pos == self.end {
            return Ok(false);
        }
        self.need(file, W * 4 + 4)?;
        let word = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        for w in 0..W {
            self.key[w] = word(&self.buf, self.at + w * 4);
        }
        let len = word(&self.buf, self.at + W * 4) as usize;
        self.at += W * 4 + 4;
        self.need(file, len)?;
        self.payload.clear();
        self.payload
            .extend_from_slice(&self.buf[self.at..self.at + len]);
        self.at += len;
        Ok(true)
    }
}

impl<const W: usize> Merged<W> {
    /// The next record: its key, with the payload copied into `payload`.
    pub fn next_into(&mut self, payload: &mut Vec<u8>) -> io::Result<Option<[u32; W]>> {
        match &mut self.src {
            Src::Mem { keys, arena } => Ok(keys.next().map(|(k, at, len)| {
                payload.clear();
                payload.extend_from_slice(&arena[at as usize..(at + len) as usize]);
                k
            })),
            Src::Disk {
                file,
                cursors,
                heap,
            } => {
                let Some(Reverse((key, i))) = heap.pop() else {
                    return Ok(None);
                };
                let c = &mut cursors[i];
                payload.clear();
                payload.extend_from_slice(&c.payload);
                if c.advance(file)? {
                    heap.push(Reverse((c.key, i)));
                }
                Ok(Some(key))
            }
        }
    }
}

/// Little helpers to lay out payloads.
pub fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

pub fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

pub fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, s.len() as u32);
    b.extend_from_slice(s.as_bytes());
}

/// Reads a payload laid out with the `put_` helpers; a short or malformed
/// payload reads as zeros and empty strings (it was written by this
/// process, so that only happens on a bug, never on input).
pub struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b }
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.b.len());
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        a
    }
    pub fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    pub fn u32(&mut self) -> u32 {
        let mut a = [0u8; 4];
        let t = self.take(4);
        a[..t.len()].copy_from_slice(t);
        u32::from_le_bytes(a)
    }
    pub fn u64(&mut self) -> u64 {
        let mut a = [0u8; 8];
        let t = self.take(8);
        a[..t.len()].copy_from_slice(t);
        u64::from_le_bytes(a)
    }
    pub fn str(&mut self) -> &'a str {
        std::str::from_utf8(self.bytes()).unwrap_or("")
    }
    /// What [`put_str`] wrote, not checked to be UTF-8.
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_temp_file_reads_back_what_was_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = BufferedTempFile::create(dir.path(), ".buffered.tmp").unwrap();
        let mut at = Vec::new();
        for i in 0..10000u32 {
            let rec = format!("记录{i};");
            at.push((f.append(rec.as_bytes()).unwrap(), rec));
        }
        // Past one chunk, so part is on disk and part still pending.
        assert!(f.len() > IO_CHUNK as u64);
        let (last_at, last) = at.last().unwrap().clone();
        let mut buf = vec![0; last.len()];
        assert!(f.read_at(last_at, &mut buf).is_err(), "read before flush");
        f.flush().unwrap();
        for (pos, rec) in [&at[0], &at[5000], &at[9999]] {
            let mut buf = vec![0; rec.len()];
            f.read_at(*pos, &mut buf).unwrap();
            assert_eq!(buf, rec.as_bytes());
        }
        #[cfg(unix)]
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn sorter_merges_spilled_runs_stably() {
        let dir = tempfile::tempdir().unwrap();
        // A tiny budget: a run every few records.
        let mut s: Sorter<1> = Sorter::new(dir.path(), ".t-sort.tmp", 64);
        let mut want = Vec::new();
        for i in 0..500u32 {
            let k = (i * 7919) % 37;
            let p = format!("{i}");
            s.push([k], p.as_bytes()).unwrap();
            want.push((k, p));
        }
        want.sort_by_key(|a| a.0);
        let mut m = s.into_merged().unwrap();
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while let Some(k) = m.next_into(&mut buf).unwrap() {
            got.push((k[0], String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(got, want);
        // Nothing left in the folder (unlinked at once on Unix).
        #[cfg(unix)]
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn store_reads_back_from_memory_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = Store::new(dir.path(), ".t-store.tmp", 100);
        let mut at = Vec::new();
        for i in 0..1000u32 {
            at.push(st.push(format!("<{i}>").as_bytes()).unwrap());
        }
        for (i, &a) in at.iter().enumerate().rev() {
            let want = format!("<{i}>");
            let mut b = vec![0u8; want.len()];
            st.read_at(a, &mut b).unwrap();
            assert_eq!(b, want.as_bytes());
        }
    }
}

//! JSON Lines files written under a temporary name and renamed when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A `.jsonl` file that only appears under its final name once finished.
pub struct JsonlWriter {
    tmp: PathBuf,
    path: PathBuf,
    out: Option<BufWriter<FaultyFile>>,
    pub lines: u64,
}

/// A file whose writes can be made to fail after a byte budget, to test
/// what a full disk does to a run where no small filesystem can be mounted:
/// `ZONGJIE_FAIL_WRITE_AFTER=N` makes every JSON Lines file fail with
/// "No space left on device" once N bytes are written to it. Without the
/// variable this is a plain file.
struct FaultyFile {
    file: File,
    budget: Option<u64>,
}

impl Write for FaultyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(left) = self.budget {
            if left == 0 {
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = self.file.write(&buf[..buf.len().min(left as usize)])?;
            self.budget = Some(left - n as u64);
            return Ok(n);
        }
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl JsonlWriter {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let tmp = path.with_extension("jsonl.tmp");
        let budget = std::env::var("ZONGJIE_FAIL_WRITE_AFTER")
            .ok()
            .and_then(|v| v.trim().parse().ok());
        let file = FaultyFile {
            file: File::create(&tmp)?,
            budget,
        };
        let out = BufWriter::with_capacity(1 << 16, file);
        Ok(JsonlWriter {
            tmp,
            path: path.to_path_buf(),
            out: Some(out),
            lines: 0,
        })
    }

    pub fn write<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> std::io::Result<()> {
        let out = self.out.as_mut().ok_or_else(closed)?;
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    /// Write one record already serialized (one line, no newline).
    pub fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let out = self.out.as_mut().ok_or_else(closed)?;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    /// Flush, fsync and rename into place; later writes fail.
    pub fn finish_in_place(&mut self) -> std::io::Result<u64> {
        let out = self.out.take().ok_or_else(closed)?;
        let file = out.into_inner().map_err(|e| e.into_error())?.file;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.lines)
    }

    /// "writing out/records/facts.jsonl", for error messages.
    pub fn describe(&self, doing: &str) -> String {
        format!("{doing} {}", self.path.display())
    }

    /// Flush, fsync and rename into place.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.finish_in_place()
    }
}

fn closed() -> std::io::Error {
    std::io::Error::other("JSON Lines file already closed")
}

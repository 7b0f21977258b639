//! JSON Lines files written under a temporary name and renamed when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A `.jsonl` file that only appears under its final name once finished.
pub struct JsonlWriter {
    tmp: PathBuf,
    path: PathBuf,
    out: Option<BufWriter<File>>,
    pub lines: u64,
}

impl JsonlWriter {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let tmp = path.with_extension("jsonl.tmp");
        let out = BufWriter::with_capacity(1 << 16, File::create(&tmp)?);
        Ok(JsonlWriter {
            tmp,
            path: path.to_path_buf(),
            out: Some(out),
            lines: 0,
        })
    }

    pub fn write(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        let out = self.out.as_mut().ok_or_else(closed)?;
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    /// Flush, fsync and rename into place; later writes fail.
    pub fn finish_in_place(&mut self) -> std::io::Result<u64> {
        let out = self.out.take().ok_or_else(closed)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.lines)
    }

    /// Flush, fsync and rename into place.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.finish_in_place()
    }
}

fn closed() -> std::io::Error {
    std::io::Error::other("JSON Lines file already closed")
}

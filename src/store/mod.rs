//! The embedded SQLite store. (Stub until the store lands.)

use crate::batch::{RunError, RunOptions, Sink};

/// The store sink for a run, or `None` when the run writes no store.
pub fn open_sink(_opts: &RunOptions) -> Result<Option<Box<dyn Sink>>, RunError> {
    Ok(None)
}

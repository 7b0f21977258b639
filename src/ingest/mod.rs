//! Ingest: bytes → decoded text → pieces → documents with sections.

pub mod structure;

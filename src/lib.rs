//! zongjie (总结): a batch pipeline for archives of Chinese work reports.
//!
//! Stages: [`ingest`] (decode, unzip, split pieces, find sections) →
//! [`segment`] (paragraphs, sentences, words) → [`extract`] (dates, counts,
//! activities, places) → audit → [`emit`] (records) → reports.
//! One [`model::Document`] flows through all of them.

pub mod audit;
pub mod batch;
pub mod data;
pub mod emit;
pub mod extract;
pub mod gen;
pub mod ingest;
pub mod merge;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod segment;
pub mod store;

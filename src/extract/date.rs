//! Dates as EDTF. (Stub: to be implemented.)

use super::{ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::Fact;

pub struct DateExtractor {}

impl DateExtractor {
    pub fn new(_data: &DataDir) -> Result<Self, DataError> {
        Ok(DateExtractor {})
    }
}

impl Extractor for DateExtractor {
    fn name(&self) -> &'static str {
        "date"
    }
    fn extract(&self, _ctx: &ExtractContext<'_>, _out: &mut Vec<Fact>) {}
}

/// The year a document reports on, decided from its text.
pub fn infer_year(_text: &str) -> Option<i32> {
    None
}

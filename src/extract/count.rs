//! Counts: a number with a unit or measure word. (Stub: to be implemented.)

use super::{ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::Fact;

pub struct CountExtractor {}

impl CountExtractor {
    pub fn new(_data: &DataDir) -> Result<Self, DataError> {
        Ok(CountExtractor {})
    }
}

impl Extractor for CountExtractor {
    fn name(&self) -> &'static str {
        "count"
    }
    fn extract(&self, _ctx: &ExtractContext<'_>, _out: &mut Vec<Fact>) {}
}

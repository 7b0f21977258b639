//! Activity types per paragraph, with done/planned status. (Stub.)

use super::{ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::Fact;

pub struct ActivityExtractor {}

impl ActivityExtractor {
    pub fn new(_data: &DataDir) -> Result<Self, DataError> {
        Ok(ActivityExtractor {})
    }
}

impl Extractor for ActivityExtractor {
    fn name(&self) -> &'static str {
        "activity"
    }
    fn extract(&self, _ctx: &ExtractContext<'_>, _out: &mut Vec<Fact>) {}
}

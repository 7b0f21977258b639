//! Places, organizations and the document's region. (Stub.)

use super::{ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::{Fact, Region};

pub struct EntityExtractor {}

impl EntityExtractor {
    pub fn new(_data: &DataDir) -> Result<Self, DataError> {
        Ok(EntityExtractor {})
    }

    /// The region the document belongs to.
    pub fn region(&self, _ctx: &ExtractContext<'_>, _title: Option<&str>) -> Option<Region> {
        None
    }
}

impl Extractor for EntityExtractor {
    fn name(&self) -> &'static str {
        "entity"
    }
    fn extract(&self, _ctx: &ExtractContext<'_>, _out: &mut Vec<Fact>) {}
}

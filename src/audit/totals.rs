//! todo
use super::Ctx;
use crate::model::Finding;
pub fn check(_ctx: &Ctx, _out: &mut Vec<Finding>) {}

//! Chinese and Arabic numerals. (Stub: to be implemented.)

/// Parse a whole numeral string (`三千二百零五`, `1.2万`, `１２`, `两`).
pub fn parse_number(_s: &str) -> Option<f64> {
    None
}

//! Placeholder until the streaming .docx reader lands (branch `docx`).

#[derive(Debug, Clone, Copy)]
pub struct DocxLimits {
    pub max_total_uncompressed: u64,
    pub max_entries: usize,
    pub max_ratio: u64,
    pub max_xml_depth: usize,
}
impl Default for DocxLimits {
    fn default() -> Self {
        DocxLimits {
            max_total_uncompressed: 256 << 20,
            max_entries: 10_000,
            max_ratio: 200,
            max_xml_depth: 512,
        }
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct DocxParagraph {
    pub text: String,
    pub heading_level: Option<u8>,
    pub style: Option<String>,
}
#[derive(Debug, Clone)]
pub struct DocxContent {
    pub paragraphs: Vec<DocxParagraph>,
    pub main_part: String,
    pub strict: bool,
    pub title: Option<String>,
}
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("docx reading not implemented yet")]
    Unimplemented,
}
pub fn read_docx(_bytes: &[u8], _limits: &DocxLimits) -> Result<DocxContent, DocxError> {
    Err(DocxError::Unimplemented)
}

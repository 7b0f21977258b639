//! Ingest: bytes → decoded text → pieces → documents with sections.
//!
//! The format is decided from the bytes (a zip is read as .docx, an OLE2
//! compound file is rejected with what it is), never from the extension
//! alone.

pub mod docx;
mod docx_numbering;
pub mod pieces;
pub mod sniff;
pub mod structure;
pub mod txt;

use crate::model::{Document, Format, Source};
use sha2::{Digest, Sha256};

/// Options of the ingest stage.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Force this encoding for plain text (`--encoding`).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub docx_limits: docx::DocxLimits,
}

/// Why a file yields no document.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("empty file")]
    Empty,
    #[error("cannot decode text: {0}")]
    Decode(#[from] txt::DecodeError),
    #[error("{0}")]
    Docx(#[from] docx::DocxError),
    #[error("legacy binary Word 97-2003 document (.doc, OLE2): not supported, save it as .docx")]
    LegacyDoc,
    #[error("encrypted (password-protected) Office document: cannot be read")]
    EncryptedOoxml,
    #[error("OLE2 compound file that is not a Word document")]
    OtherOle2,
    #[error("the file holds no text")]
    NoText,
    #[error("not a Word file: the bytes are neither a zip package (.docx) nor an OLE2 file (.doc), nor decodable text")]
    UnknownBinary,
}

impl IngestError {
    /// A short stable code for the reason, for run.json and tests.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Empty => "empty",
            IngestError::Decode(txt::DecodeError::Binary { .. }) => "binary",
            IngestError::Decode(txt::DecodeError::Mixed { .. }) => "mixed_encoding",
            IngestError::Decode(_) => "undecodable",
            IngestError::Docx(e) => match e {
                docx::DocxError::Empty => "empty",
                docx::DocxError::LegacyDoc => "legacy_doc",
                docx::DocxError::Encrypted => "encrypted",
                docx::DocxError::OtherOle2 => "ole2_not_word",
                docx::DocxError::NotZip { .. } | docx::DocxError::CorruptZip { .. } => {
                    "corrupt_zip"
                }
                docx::DocxError::NoMainDocument => "not_docx",
                docx::DocxError::NotWordprocessing { .. } => "not_docx",
                docx::DocxError::WrongContentType { .. } => "not_docx",
                docx::DocxError::OverlappingEntries { .. } => "zip_overlap",
                docx::DocxError::TooManyEntries { .. } => "too_many_entries",
                docx::DocxError::TooLarge { .. } => "too_large_uncompressed",
                docx::DocxError::SuspiciousRatio { .. } => "zip_bomb",
                docx::DocxError::TooDeep { .. } => "xml_too_deep",
                docx::DocxError::MalformedXml { .. } => "malformed_xml",
                docx::DocxError::Dtd { .. } => "xml_dtd",
                docx::DocxError::BadEncoding { .. } => "xml_encoding",
            },
            IngestError::LegacyDoc => "legacy_doc",
            IngestError::EncryptedOoxml => "encrypted",
            IngestError::OtherOle2 => "ole2_not_word",
            IngestError::NoText => "no_text",
            IngestError::UnknownBinary => "unknown_binary",
        }
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A document id from the file's content and the piece index: the same bytes
/// give the same ids wherever the file lives and whatever it is called.
pub fn doc_id(file_sha256: &str, piece: usize) -> String {
    sha256_hex(format!("zongjie-doc:{file_sha256}:{piece}").as_bytes())[..20].to_string()
}

/// Read one file's bytes into its documents (text, title, sections; later
/// stages fill the rest).
pub fn ingest_bytes(
    path: &str,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<Vec<Document>, IngestError> {
    let sha = sha256_hex(bytes);
    match sniff::sniff(bytes) {
        sniff::SniffedFormat::Empty => Err(IngestError::Empty),
        sniff::SniffedFormat::Ole2 => Err(match sniff::ole2_kind(bytes) {
            sniff::Ole2Kind::EncryptedOoxml => IngestError::EncryptedOoxml,
            sniff::Ole2Kind::LegacyWord => IngestError::LegacyDoc,
            sniff::Ole2Kind::Other => IngestError::OtherOle2,
        }),
        sniff::SniffedFormat::Zip => {
            let content = docx::read_docx(bytes, &opts.docx_limits)?;
            Ok(vec![docx_document(path, sha, content)])
        }
        sniff::SniffedFormat::Text => {
            let decoded = txt::decode(bytes, opts.encoding).map_err(|e| {
                let ext = std::path::Path::new(path)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(|e| e.to_ascii_lowercase());
                match ext.as_deref() {
                    Some("docx" | "doc" | "docm") => IngestError::UnknownBinary,
                    _ => IngestError::Decode(e),
                }
            })?;
            if decoded.text.trim().is_empty() {
                return Err(IngestError::NoText);
            }
            Ok(text_documents(path, &sha, &decoded))
        }
    }
}

fn new_document(
    source: Source,
    title: Option<String>,
    text: String,
    hints: &[(usize, u8)],
) -> Document {
    let sections = structure::find_sections(&text, hints);
    let title = title.or_else(|| structure::find_title(&text, source.piece_header.as_deref()));
    Document {
        doc_id: doc_id(&source.sha256, source.piece),
        source,
        title,
        text,
        year: None,
        year_source: None,
        region: None,
        sections,
        paragraphs: Vec::new(),
        sentences: Vec::new(),
        facts: Vec::new(),
        findings: Vec::new(),
        scanned_figures: None,
    }
}

/// Largest document a text file piece becomes. Real reports are well under
/// 1 MiB; analysis holds several arrays per character and word of a
/// document, so a larger piece (a 60 MB single line) is cut into documents
/// of at most this size, at line ends where there are some, else after a
/// sentence mark, else at a char boundary, to keep memory bounded.
pub const MAX_DOCUMENT_BYTES: usize = 4 << 20;

/// `body` as ranges of at most [`MAX_DOCUMENT_BYTES`] that tile it.
fn cut_large(text: &str, body: (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = body.0;
    while body.1 - at > MAX_DOCUMENT_BYTES {
        let mut limit = at + MAX_DOCUMENT_BYTES;
        while !text.is_char_boundary(limit) {
            limit -= 1;
        }
        let window = &text[at..limit];
        let mut half = window.len() / 2;
        while !window.is_char_boundary(half) {
            half -= 1;
        }
        let cut = window[half..]
            .rfind('\n')
            .map(|i| at + half + i + 1)
            .or_else(|| {
                window[half..]
                    .rfind(['。', '！', '？', '；'])
                    .map(|i| at + half + i + '。'.len_utf8())
            })
            .unwrap_or(limit);
        out.push((at, cut));
        at = cut;
    }
    out.push((at, body.1));
    out
}

/// Every piece of a decoded text file as its own document.
pub fn text_documents(path: &str, sha: &str, decoded: &txt::Decoded) -> Vec<Document> {
    let text = &decoded.text;
    let pieces: Vec<pieces::Piece> = pieces::documents(text)
        .into_iter()
        .flat_map(|p| {
            cut_large(text, p.body)
                .into_iter()
                .enumerate()
                .map(move |(k, body)| pieces::Piece {
                    header: if k == 0 { p.header } else { None },
                    body,
                })
        })
        .collect();
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let header = p
                .header
                .map(|(a, b)| text[a..b].trim_end_matches(['\n', '\r']).to_string());
            let source = Source {
                path: path.to_string(),
                piece: i + 1,
                pieces: n,
                format: Format::Txt,
                sha256: sha.to_string(),
                encoding: decoded.encoding.to_string(),
                piece_header: header,
                offset_in_file: p.body.0,
            };
            new_document(source, None, text[p.body.0..p.body.1].to_string(), &[])
        })
        .collect()
}

/// A .docx is one document: paragraphs joined by `\n`, heading styles kept as
/// section hints.
fn docx_document(path: &str, sha: String, content: docx::DocxContent) -> Document {
    let mut text = String::new();
    let mut hints = Vec::new();
    for (i, p) in content.paragraphs.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        if let Some(level) = p.heading_level {
            hints.push((text.len(), level.clamp(1, 9)));
        }
        text.push_str(&p.text);
    }
    let title = content.title.clone().filter(|t| !t.trim().is_empty());
    let source = Source {
        path: path.to_string(),
        piece: 1,
        pieces: 1,
        format: Format::Docx,
        sha256: sha,
        encoding: "UTF-8".into(),
        piece_header: None,
        offset_in_file: 0,
    };
    new_document(source, title, text, &hints)
}

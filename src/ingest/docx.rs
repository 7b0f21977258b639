//! Reader for Word `.docx` files (WordprocessingML, transitional and Strict).
//!
//! The reader turns the main document part into a flat list of paragraphs the
//! way a person reading the document in Word would see them: tracked
//! deletions and field instructions are dropped, tables become one line per
//! row, text boxes are read once at the point where they are anchored.
//!
//! Inputs are untrusted (reports collected from many offices), so every
//! resource is bounded: the number of zip entries, the bytes actually
//! decompressed (declared sizes in a zip are not trusted), the compression
//! ratio and the XML nesting depth.  The XML is read with quick-xml's pull
//! parser and an explicit state machine, never a DOM and never recursion, so
//! a hostile document cannot exhaust the stack or the heap.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use zip::ZipArchive;

use super::docx_numbering::{AbstractNum, Level, Num, Numberer, NumberingDefs, Suffix, LEVELS};
use super::sniff::{ole2_kind, sniff, Ole2Kind, SniffedFormat};

/// Resource limits applied while reading one `.docx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocxLimits {
    /// Upper bound on uncompressed bytes: both the sum of the sizes declared
    /// by all zip entries and the bytes actually decompressed from the parts
    /// that are read.  Default 256 MiB.
    pub max_total_uncompressed: u64,
    /// Upper bound on the number of zip entries.  Default 10 000.
    pub max_entries: usize,
    /// Upper bound on uncompressed/compressed size for entries larger than
    /// 1 MiB.  Real XML compresses about 10-30:1; zip bombs reach 1000:1.
    /// Default 200.
    pub max_ratio: u64,
    /// Upper bound on XML element nesting in any part read.  Word itself
    /// produces depths below 100.  Default 512.
    pub max_xml_depth: usize,
}

impl Default for DocxLimits {
    fn default() -> Self {
        DocxLimits {
            max_total_uncompressed: 256 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 200,
            max_xml_depth: 512,
        }
    }
}

/// One paragraph as Word shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocxParagraph {
    /// The visible text.  Line breaks inside the paragraph are `\n`, tabs `\t`;
    /// a table row is one paragraph with cells separated by `\t`.
    pub text: String,
    /// 1-based heading level from the paragraph style (`heading N`,
    /// `标题 N`) or an outline level (`w:outlineLvl K` gives `K + 1`).
    pub heading_level: Option<u8>,
    /// The paragraph style's name from styles.xml (e.g. `heading 1`,
    /// `Title`), or the raw style id when styles.xml does not define it.
    pub style: Option<String>,
    /// The automatic numbering label Word shows before the paragraph
    /// ("1.\t", "一、", "（一）", "•\t"), including its suffix (tab, space
    /// or nothing).  `text` starts with it.  `None` for paragraphs that are
    /// not numbered, whose level shows no label, or that are empty.
    pub numbering_label: Option<String>,
}

/// The text content of a `.docx`.
#[derive(Debug, Clone)]
pub struct DocxContent {
    /// Body paragraphs in document order (headers, footers, notes and
    /// comments are not included).
    pub paragraphs: Vec<DocxParagraph>,
    /// Zip path of the main document part, e.g. `word/document.xml`.
    pub main_part: String,
    /// Whether the main part uses the Strict OOXML namespace.
    pub strict: bool,
    /// `dc:title` from docProps/core.xml if non-empty, else the text of the
    /// first non-empty paragraph styled `Title`.
    pub title: Option<String>,
}

/// Why a file could not be read as a `.docx`.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("legacy binary Word 97-2003 .doc (OLE2), not supported: save it as .docx")]
    LegacyDoc,
    #[error("encrypted (password-protected) OOXML package: remove the password and save again")]
    Encrypted,
    #[error("OLE2 compound file that is not a Word document")]
    OtherOle2,
    #[error("not a zip archive (first bytes {magic:02X?}), so not a .docx")]
    NotZip { magic: Vec<u8> },
    #[error("truncated or corrupt zip: {reason}")]
    CorruptZip { reason: String },
    #[error("zip archive without a Word main document part")]
    NoMainDocument,
    #[error("main part {part} is not a WordprocessingML document (root element <{root}>)")]
    NotWordprocessing { part: String, root: String },
    #[error("[Content_Types].xml declares the main part {part} as {content_type:?}, not a Word document")]
    WrongContentType { part: String, content_type: String },
    #[error(
        "overlapping zip entries ({first} and {second} share bytes): a crafted archive (zip bomb?)"
    )]
    OverlappingEntries { first: String, second: String },
    #[error("too many zip entries ({count} > limit {limit})")]
    TooManyEntries { count: usize, limit: usize },
    #[error("uncompressed size exceeds limit ({size} bytes > {limit} bytes, {what})")]
    TooLarge {
        size: u64,
        limit: u64,
        what: &'static str,
    },
    #[error(
        "suspicious compression ratio (zip bomb?): {entry} expands {size} bytes from {compressed} (ratio limit {limit})"
    )]
    SuspiciousRatio {
        entry: String,
        size: u64,
        compressed: u64,
        limit: u64,
    },
    #[error("XML nesting deeper than {limit} in {part}")]
    TooDeep { part: String, limit: usize },
    #[error("malformed XML in {part} at byte {position}: {message}")]
    MalformedXml {
        part: String,
        position: u64,
        message: String,
    },
    #[error("DTD/entity declarations are not allowed (found <!DOCTYPE> in {part})")]
    Dtd { part: String },
    #[error("{part} is not valid text in its declared encoding")]
    BadEncoding { part: String },
}

/// WordprocessingML namespaces: transitional (ECMA-376 1st edition and Word's
/// default) and Strict (ISO/IEC 29500 Strict, used by "Strict Open XML").
const W_TRANSITIONAL: &[u8] = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const W_STRICT: &[u8] = b"http://purl.oclc.org/ooxml/wordprocessingml/main";
const MC: &[u8] = b"http://schemas.openxmlformats.org/markup-compatibility/2006";
const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";

/// Entries smaller than this are exempt from the ratio check: small XML
/// parts full of repeated markup legitimately compress very well, and a
/// small entry cannot be a bomb whatever its ratio.
const RATIO_EXEMPT_SIZE: u64 = 1024 * 1024;

/// Reads the visible text of a `.docx` held in memory.
pub fn read_docx(bytes: &[u8], limits: &DocxLimits) -> Result<DocxContent, DocxError> {
    match sniff(bytes) {
        SniffedFormat::Empty => return Err(DocxError::Empty),
        SniffedFormat::Ole2 => {
            return Err(match ole2_kind(bytes) {
                Ole2Kind::EncryptedOoxml => DocxError::Encrypted,
                Ole2Kind::LegacyWord => DocxError::LegacyDoc,
                Ole2Kind::Other => DocxError::OtherOle2,
            })
        }
        SniffedFormat::Text => {
            return Err(DocxError::NotZip {
                magic: bytes.iter().take(4).copied().collect(),
            })
        }
        SniffedFormat::Zip => {}
    }

    let mut pkg = Package::open(bytes, limits)?;

    // The package relationships say where the main part is; "word/document.xml"
    // is only a convention (some generators use other names).
    let root_rels = match pkg.read_part("_rels/.rels")? {
        Some(data) => parse_relationships(&data, "_rels/.rels", "", limits)?,
        None => Vec::new(),
    };
    let main_part = root_rels
        .iter()
        .find(|r| r.rel_type.ends_with("/officeDocument"))
        .map(|r| r.target.clone())
        .filter(|t| pkg.contains(t))
        .or_else(|| {
            pkg.contains("word/document.xml")
                .then(|| "word/document.xml".to_string())
        })
        .ok_or(DocxError::NoMainDocument)?;
    // A package that declares its main part as something else (a workbook,
    // a presentation) is not a Word document even if the XML looks like one.
    // A missing [Content_Types].xml, or one silent about the main part, is
    // tolerated: the text is still there and some generators omit it.
    if let Some(data) = pkg.read_part("[Content_Types].xml")? {
        let declared = parse_content_type_of(&data, "[Content_Types].xml", &main_part, limits)?;
        if let Some(ct) = declared.filter(|ct| !is_word_main_content_type(ct)) {
            return Err(DocxError::WrongContentType {
                part: main_part,
                content_type: ct,
            });
        }
    }
    let core_part = root_rels
        .iter()
        .find(|r| r.rel_type.ends_with("/core-properties"))
        .map(|r| r.target.clone())
        .unwrap_or_else(|| "docProps/core.xml".to_string());

    // Styles are found through the main part's own relationships.
    let (main_dir, main_file) = split_part_name(&main_part);
    let main_rels_name = format!("{main_dir}_rels/{main_file}.rels");
    let main_rels = match pkg.read_part(&main_rels_name)? {
        Some(data) => parse_relationships(&data, &main_rels_name, main_dir, limits)?,
        None => Vec::new(),
    };
    let styles_part = main_rels
        .iter()
        .find(|r| r.rel_type.ends_with("/styles"))
        .map(|r| r.target.clone())
        .unwrap_or_else(|| format!("{main_dir}styles.xml"));
    let styles = match pkg.read_part(&styles_part)? {
        Some(data) => parse_styles(&data, &styles_part, limits)?,
        None => Styles::default(),
    };

    // Numbering definitions exist only if the main part relates to them;
    // a document without lists has none.
    let numbering = match main_rels
        .iter()
        .find(|r| r.rel_type.ends_with("/numbering"))
    {
        Some(rel) => match pkg.read_part(&rel.target)? {
            Some(data) => parse_numbering(&data, &rel.target, limits)?,
            None => NumberingDefs::default(),
        },
        None => NumberingDefs::default(),
    };

    let doc_xml = pkg
        .read_part(&main_part)?
        .ok_or(DocxError::NoMainDocument)?;
    let body = parse_document(&doc_xml, &main_part, &styles, numbering, limits)?;

    let core_title = match pkg.read_part(&core_part)? {
        Some(data) => parse_core_title(&data, &core_part, limits)?,
        None => None,
    };
    let title = core_title.or_else(|| {
        body.paragraphs
            .iter()
            .find(|p| {
                p.style.as_deref().is_some_and(is_title_style_name) && !p.text.trim().is_empty()
            })
            .map(|p| p.text.trim().to_string())
    });

    Ok(DocxContent {
        paragraphs: body.paragraphs,
        main_part,
        strict: body.strict,
        title,
    })
}

// ---------------------------------------------------------------------------
// Zip access with limits
// ---------------------------------------------------------------------------

/// The zip archive plus the running count of decompressed bytes.
struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a DocxLimits,
    bytes_read: u64,
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8], limits: &'a DocxLimits) -> Result<Self, DocxError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt_zip)?;
        if archive.len() > limits.max_entries {
            return Err(DocxError::TooManyEntries {
                count: archive.len(),
                limit: limits.max_entries,
            });
        }
        // Declared sizes are checked up front so an honest bomb is rejected
        // before any decompression.  They can lie, which is why read_part
        // counts real bytes as well.
        let mut declared_total: u64 = 0;
        // Byte ranges (local header to end of data) of every entry: entries
        // sharing bytes are how "overlapping" bombs multiply one compressed
        // kernel, and no honest zip writer produces them.
        let mut ranges: Vec<(u64, u64, usize)> = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(corrupt_zip)?;
            let size = entry.size();
            let compressed = entry.compressed_size();
            ranges.push((
                entry.header_start(),
                entry.data_start().saturating_add(compressed),
                i,
            ));
            declared_total = declared_total.saturating_add(size);
            if size > RATIO_EXEMPT_SIZE && size / compressed.max(1) > limits.max_ratio {
                return Err(DocxError::SuspiciousRatio {
                    entry: entry.name().to_string(),
                    size,
                    compressed,
                    limit: limits.max_ratio,
                });
            }
        }
        ranges.sort_unstable();
        if let Some(w) = ranges.windows(2).find(|w| w[1].0 < w[0].1) {
            let name = |i: usize| archive.name_for_index(i).unwrap_or("?").to_string();
            return Err(DocxError::OverlappingEntries {
                first: name(w[0].2),
                second: name(w[1].2),
            });
        }
        if declared_total > limits.max_total_uncompressed {
            return Err(DocxError::TooLarge {
                size: declared_total,
                limit: limits.max_total_uncompressed,
                what: "declared total of all zip entries",
            });
        }
        Ok(Package {
            archive,
            limits,
            bytes_read: 0,
        })
    }

    /// Zip index of a part name.  OPC part names are case-insensitive, and
    /// some producers write names with a different case than their
    /// relationships use, so an exact match is tried first, then a
    /// case-insensitive one.
    fn index_of(&self, name: &str) -> Option<usize> {
        self.archive.index_for_name(name).or_else(|| {
            let found = self
                .archive
                .file_names()
                .find(|n| n.eq_ignore_ascii_case(name))?;
            self.archive.index_for_name(found)
        })
    }

    fn contains(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Decompresses one part, or `None` when it does not exist.  The amount
    /// read is capped by both the remaining total budget and the ratio limit,
    /// counting actual bytes rather than trusting the declared size.
    fn read_part(&mut self, name: &str) -> Result<Option<Vec<u8>>, DocxError> {
        let Some(index) = self.index_of(name) else {
            return Ok(None);
        };
        let limits = self.limits;
        let budget = limits
            .max_total_uncompressed
            .saturating_sub(self.bytes_read);
        let mut entry = self.archive.by_index(index).map_err(corrupt_zip)?;
        let compressed = entry.compressed_size();
        let ratio_cap = compressed
            .saturating_mul(limits.max_ratio)
            .max(RATIO_EXEMPT_SIZE);
        let cap = budget.min(ratio_cap);
        let entry_name = entry.name().to_string();
        // Pre-allocate from the declared size only up to a small bound: the
        // declared size is attacker-controlled.
        let hint = entry.size().min(cap).min(16 * 1024 * 1024);
        let mut data = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        (&mut entry)
            .take(cap.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| DocxError::CorruptZip {
                reason: format!("cannot decompress {entry_name}: {e}"),
            })?;
        let got = data.len() as u64;
        if got > cap {
            return Err(if cap == budget {
                DocxError::TooLarge {
                    size: self.bytes_read.saturating_add(got),
                    limit: limits.max_total_uncompressed,
                    what: "bytes actually decompressed",
                }
            } else {
                DocxError::SuspiciousRatio {
                    entry: entry_name,
                    size: got,
                    compressed,
                    limit: limits.max_ratio,
                }
            });
        }
        self.bytes_read = self.bytes_read.saturating_add(got);
        Ok(Some(data))
    }
}

fn corrupt_zip(e: zip::result::ZipError) -> DocxError {
    DocxError::CorruptZip {
        reason: e.to_string(),
    }
}

/// Splits "word/document.xml" into ("word/", "document.xml").
fn split_part_name(part: &str) -> (&str, &str) {
    match part.rfind('/') {
        Some(i) => (&part[..=i], &part[i + 1..]),
        None => ("", part),
    }
}

/// Resolves a relationship target against the directory of its source part,
/// giving a zip entry name (no leading slash, `.` and `..` removed).
fn resolve_target(base_dir: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("{base_dir}{target}"),
    };
    let mut segments: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

// ---------------------------------------------------------------------------
// XML plumbing shared by all parts
// ---------------------------------------------------------------------------

/// Converts a part to UTF-8 text.  XML parts in OOXML may be UTF-8 (with or
/// without a BOM) or UTF-16; quick-xml is built without encoding support, so
/// UTF-16 is transcoded here.
fn part_text<'d>(data: &'d [u8], part: &str) -> Result<Cow<'d, [u8]>, DocxError> {
    if let Some(rest) = data.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(Cow::Borrowed(rest));
    }
    let (encoding, bom_len) = match data {
        [0xFF, 0xFE, ..] => (encoding_rs::UTF_16LE, 2),
        [0xFE, 0xFF, ..] => (encoding_rs::UTF_16BE, 2),
        _ => return Ok(Cow::Borrowed(data)),
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(&data[bom_len..]);
    if had_errors {
        return Err(DocxError::BadEncoding {
            part: part.to_string(),
        });
    }
    // The declaration still says encoding="UTF-16"; quick-xml without the
    // encoding feature ignores it and reads UTF-8, which is what we give it.
    Ok(Cow::Owned(text.into_owned().into_bytes()))
}

/// A pull parser over one part that enforces the depth limit and rejects
/// DTDs, and yields events with their element namespace resolved.
struct XmlStream<'d> {
    reader: NsReader<&'d [u8]>,
    part: String,
    depth: usize,
    max_depth: usize,
}

/// The few things the state machines need from an event.
enum Ev<'d> {
    Start(Elem<'d>),
    Empty(Elem<'d>),
    /// End of an element, with its namespace class and local name.
    End(Ns, Vec<u8>),
    Text(String),
    Eof,
}

/// Which namespace an element belongs to, reduced to what matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    WordTransitional,
    WordStrict,
    MarkupCompat,
    DublinCore,
    Other,
}

impl Ns {
    fn is_word(self) -> bool {
        matches!(self, Ns::WordTransitional | Ns::WordStrict)
    }
}

struct Elem<'d> {
    ns: Ns,
    start: BytesStart<'d>,
}

impl Elem<'_> {
    fn local(&self) -> &[u8] {
        self.start.local_name().into_inner()
    }

    fn is_w(&self, local: &[u8]) -> bool {
        self.ns.is_word() && self.local() == local
    }

    /// Value of the attribute with this local name, whatever its prefix:
    /// WordprocessingML attributes are `w:`-qualified in both flavours, but
    /// relationship and core-property attributes are unqualified.
    fn attr(&self, local: &[u8]) -> Option<String> {
        self.start
            .attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.local_name().into_inner() == local)
            .and_then(|a| a.unescape_value().ok().map(Cow::into_owned))
    }
}

fn classify(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Bound(n) => match n.into_inner() {
            W_TRANSITIONAL => Ns::WordTransitional,
            W_STRICT => Ns::WordStrict,
            MC => Ns::MarkupCompat,
            DC => Ns::DublinCore,
            _ => Ns::Other,
        },
        _ => Ns::Other,
    }
}

impl<'d> XmlStream<'d> {
    fn new(text: &'d [u8], part: &str, limits: &DocxLimits) -> Self {
        let mut reader = NsReader::from_reader(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        XmlStream {
            reader,
            part: part.to_string(),
            depth: 0,
            max_depth: limits.max_xml_depth,
        }
    }

    fn malformed(&self, message: impl Into<String>) -> DocxError {
        DocxError::MalformedXml {
            part: self.part.clone(),
            position: self.reader.buffer_position(),
            message: message.into(),
        }
    }

    fn next(&mut self) -> Result<Ev<'d>, DocxError> {
        loop {
            let event = self
                .reader
                .read_event()
                .map_err(|e| self.malformed(e.to_string()))?;
            return Ok(match event {
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > self.max_depth {
                        return Err(DocxError::TooDeep {
                            part: self.part.clone(),
                            limit: self.max_depth,
                        });
                    }
                    let (ns, _) = self.reader.resolve_element(start.name());
                    Ev::Start(Elem {
                        ns: classify(&ns),
                        start,
                    })
                }
                Event::Empty(start) => {
                    let (ns, _) = self.reader.resolve_element(start.name());
                    Ev::Empty(Elem {
                        ns: classify(&ns),
                        start,
                    })
                }
                Event::End(end) => {
                    self.depth = self.depth.saturating_sub(1);
                    let (ns, local) = self.reader.resolve_element(end.name());
                    Ev::End(classify(&ns), local.into_inner().to_vec())
                }
                Event::Text(t) => {
                    let s = t
                        .xml10_content()
                        .map_err(|e| self.malformed(format!("invalid text: {e}")))?;
                    Ev::Text(s.into_owned())
                }
                Event::CData(c) => {
                    let s = c
                        .xml10_content()
                        .map_err(|e| self.malformed(format!("invalid CDATA: {e}")))?;
                    Ev::Text(s.into_owned())
                }
                Event::GeneralRef(r) => {
                    // quick-xml reports `&amp;` and `&#x4E00;` as separate
                    // events.  Only the five predefined entities and
                    // character references exist without a DTD; anything
                    // else is kept literally rather than failing the file.
                    if let Some(c) = r
                        .resolve_char_ref()
                        .map_err(|e| self.malformed(e.to_string()))?
                    {
                        Ev::Text(c.to_string())
                    } else {
                        let name = r
                            .decode()
                            .map_err(|e| self.malformed(format!("invalid entity name: {e}")))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => Ev::Text(s.to_string()),
                            None => Ev::Text(format!("&{name};")),
                        }
                    }
                }
                Event::DocType(_) => {
                    return Err(DocxError::Dtd {
                        part: self.part.clone(),
                    })
                }
                Event::Eof => {
                    if self.depth != 0 {
                        return Err(self.malformed("unexpected end of document"));
                    }
                    Ev::Eof
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    /// Skips the rest of the element whose Start was just returned,
    /// without recursion: only depth is tracked.
    fn skip_element(&mut self) -> Result<(), DocxError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if let Ev::Eof = self.next()? {
                return Err(self.malformed("unexpected end of document"));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Relationships, core properties, styles
// ---------------------------------------------------------------------------

struct Relationship {
    rel_type: String,
    /// Resolved zip entry name.
    target: String,
}

fn parse_relationships(
    data: &[u8],
    part: &str,
    base_dir: &str,
    limits: &DocxLimits,
) -> Result<Vec<Relationship>, DocxError> {
    let text = part_text(data, part)?;
    let mut xml = XmlStream::new(&text, part, limits);
    let mut rels = Vec::new();
    loop {
        match xml.next()? {
            Ev::Start(e) | Ev::Empty(e) if e.local() == b"Relationship" => {
                let external = e
                    .attr(b"TargetMode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("External"));
                if let (Some(rel_type), Some(target), false) =
                    (e.attr(b"Type"), e.attr(b"Target"), external)
                {
                    rels.push(Relationship {
                        rel_type,
                        target: resolve_target(base_dir, &target),
                    });
                }
            }
            Ev::Eof => return Ok(rels),
            _ => {}
        }
    }
}

/// The content type `[Content_Types].xml` declares for `part` through an
/// `Override`, if any (part names compare case-insensitively, as in OPC).
fn parse_content_type_of(
    data: &[u8],
    part_file: &str,
    part: &str,
    limits: &DocxLimits,
) -> Result<Option<String>, DocxError> {
    let text = part_text(data, part_file)?;
    let mut xml = XmlStream::new(&text, part_file, limits);
    loop {
        match xml.next()? {
            Ev::Start(e) | Ev::Empty(e) if e.local() == b"Override" => {
                let name = e.attr(b"PartName").unwrap_or_default();
                if name.trim_start_matches('/').eq_ignore_ascii_case(part) {
                    return Ok(e.attr(b"ContentType"));
                }
            }
            Ev::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// Main-part content types of Word documents and templates, macro-enabled
/// or not (Strict OOXML uses the same ones).
fn is_word_main_content_type(ct: &str) -> bool {
    let ct = ct.trim().to_ascii_lowercase();
    ct.ends_with(".main+xml")
        && (ct.contains("wordprocessingml.") || ct.contains("application/vnd.ms-word."))
}

fn parse_core_title(
    data: &[u8],
    part: &str,
    limits: &DocxLimits,
) -> Result<Option<String>, DocxError> {
    let text = part_text(data, part)?;
    let mut xml = XmlStream::new(&text, part, limits);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match xml.next()? {
            Ev::Start(e) if e.ns == Ns::DublinCore && e.local() == b"title" => in_title = true,
            Ev::End(Ns::DublinCore, local) if local == b"title" => {
                let t = title.trim();
                return Ok((!t.is_empty()).then(|| t.to_string()));
            }
            Ev::Text(t) if in_title => title.push_str(&t),
            Ev::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// What heading detection and numbering need from one paragraph (or
/// numbering) style.
#[derive(Debug, Default, Clone)]
struct StyleInfo {
    name: Option<String>,
    based_on: Option<String>,
    outline_lvl: Option<u8>,
    /// `w:pPr/w:numPr/w:numId` (0 = explicitly not numbered).
    num_id: Option<u32>,
    /// `w:pPr/w:numPr/w:ilvl`.
    ilvl: Option<u8>,
}

#[derive(Debug, Default)]
struct Styles {
    by_id: HashMap<String, StyleInfo>,
}

/// How far `basedOn` chains are followed; real documents need 2-3, and the
/// bound also defuses cycles.
const MAX_BASED_ON_DEPTH: usize = 10;

impl Styles {
    /// Display name of a style id, falling back to the id itself.
    fn display_name(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// Heading level implied by a style and the styles it is based on.
    /// `Some(None)` means "explicitly body text" (outline level 9).
    fn outline(&self, id: &str) -> Option<Option<u8>> {
        let mut current = id;
        for _ in 0..MAX_BASED_ON_DEPTH {
            let style = self.by_id.get(current)?;
            if let Some(level) = style.name.as_deref().and_then(heading_level_from_name) {
                return Some(Some(level));
            }
            if let Some(lvl) = style.outline_lvl {
                return Some(outline_to_level(lvl));
            }
            current = style.based_on.as_deref()?;
        }
        None
    }

    /// The numbering a style gives its paragraphs: numId and ilvl, each
    /// taken from the nearest style in the `basedOn` chain that sets it.
    fn numbering(&self, id: &str) -> (Option<u32>, Option<u8>) {
        let (mut num_id, mut ilvl) = (None, None);
        let mut current = id;
        for _ in 0..MAX_BASED_ON_DEPTH {
            let Some(style) = self.by_id.get(current) else {
                break;
            };
            num_id = num_id.or(style.num_id);
            ilvl = ilvl.or(style.ilvl);
            match style.based_on.as_deref() {
                Some(next) if num_id.is_none() || ilvl.is_none() => current = next,
                _ => break,
            }
        }
        (num_id, ilvl)
    }

    /// The numId of a numbering style, for `w:numStyleLink`.
    fn style_num_id(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).and_then(|s| s.num_id)
    }
}

/// `w:outlineLvl` 0-8 are heading levels 1-9; 9 means body text.
fn outline_to_level(lvl: u8) -> Option<u8> {
    (lvl < 9).then_some(lvl + 1)
}

/// "heading 2", "Heading 2", "标题 2" or "标题2" → 2.
fn heading_level_from_name(name: &str) -> Option<u8> {
    let name = name.trim();
    let rest =
        if name.len() >= 7 && name.is_char_boundary(7) && name[..7].eq_ignore_ascii_case("heading")
        {
            &name[7..]
        } else {
            name.strip_prefix("标题")?
        };
    let level: u8 = rest.trim().parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

fn is_title_style_name(name: &str) -> bool {
    let name = name.trim();
    name.eq_ignore_ascii_case("title") || name == "标题"
}

fn parse_styles(data: &[u8], part: &str, limits: &DocxLimits) -> Result<Styles, DocxError> {
    let text = part_text(data, part)?;
    let mut xml = XmlStream::new(&text, part, limits);
    let mut styles = Styles::default();
    // (style id, info, depth of the w:style element)
    let mut current: Option<(String, StyleInfo, usize)> = None;
    loop {
        match xml.next()? {
            Ev::Start(e) if e.is_w(b"style") => {
                // Numbering styles are kept for w:numStyleLink.
                let wanted = e
                    .attr(b"type")
                    .is_none_or(|t| t == "paragraph" || t == "numbering");
                match e.attr(b"styleId") {
                    Some(id) if wanted => current = Some((id, StyleInfo::default(), xml.depth)),
                    _ => xml.skip_element()?,
                }
            }
            ev @ (Ev::Start(_) | Ev::Empty(_)) if current.is_some() => {
                let (is_start, e) = match ev {
                    Ev::Start(e) => (true, e),
                    Ev::Empty(e) => (false, e),
                    _ => continue,
                };
                if !e.ns.is_word() {
                    continue;
                }
                let depth = xml.depth;
                if let Some((_, info, style_depth)) = current.as_mut() {
                    match e.local() {
                        b"name" => info.name = e.attr(b"val"),
                        b"basedOn" => info.based_on = e.attr(b"val"),
                        b"outlineLvl" => {
                            info.outline_lvl = e.attr(b"val").and_then(|v| v.trim().parse().ok())
                        }
                        b"numId" => {
                            info.num_id = e.attr(b"val").and_then(|v| v.trim().parse().ok())
                        }
                        b"ilvl" => info.ilvl = e.attr(b"val").and_then(|v| v.trim().parse().ok()),
                        // Revision history holds the old properties; they
                        // must not override the current ones.
                        b"pPrChange" | b"rPrChange" if is_start && depth > *style_depth => {
                            xml.skip_element()?;
                        }
                        _ => {}
                    }
                }
            }
            Ev::End(ns, local) if ns.is_word() && local == b"style" => {
                if let Some((id, info, _)) = current.take() {
                    styles.by_id.entry(id).or_insert(info);
                }
            }
            Ev::Eof => return Ok(styles),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// Numbering definitions
// ---------------------------------------------------------------------------

/// A `w:val` as a number.
fn val_u32(e: &Elem<'_>) -> Option<u32> {
    e.attr(b"val").and_then(|v| v.trim().parse().ok())
}

/// An on/off property: present without `w:val`, or with a true value.
fn val_on(e: &Elem<'_>) -> bool {
    e.attr(b"val")
        .is_none_or(|v| matches!(v.trim(), "1" | "true" | "on"))
}

/// Reads numbering.xml: `w:abstractNum` (levels) and `w:num` (instances
/// with their overrides).  Unknown elements are ignored; numbers that do
/// not parse leave the property unset.
fn parse_numbering(
    data: &[u8],
    part: &str,
    limits: &DocxLimits,
) -> Result<NumberingDefs, DocxError> {
    let text = part_text(data, part)?;
    let mut xml = XmlStream::new(&text, part, limits);
    let mut defs = NumberingDefs::default();
    let mut abs: Option<(u32, AbstractNum)> = None;
    let mut num: Option<(u32, Num)> = None;
    // ilvl of the open w:lvlOverride, and of the open w:lvl with its data.
    let mut override_ilvl: Option<usize> = None;
    let mut level: Option<(usize, Level)> = None;
    let ilvl_of = |e: &Elem<'_>| {
        e.attr(b"ilvl")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&i| i < LEVELS)
    };
    loop {
        let ev = xml.next()?;
        let is_start = matches!(ev, Ev::Start(_));
        let e = match ev {
            Ev::Start(e) | Ev::Empty(e) if e.ns.is_word() => e,
            Ev::End(ns, local) if ns.is_word() => {
                match local.as_slice() {
                    b"lvl" => {
                        if let Some((i, lvl)) = level.take() {
                            if let Some((_, n)) = num.as_mut() {
                                if let Some(o) = override_ilvl {
                                    n.level_override[o] = Some(lvl);
                                }
                            } else if let Some((_, a)) = abs.as_mut() {
                                a.levels[i].get_or_insert(lvl);
                            }
                        }
                    }
                    b"lvlOverride" => override_ilvl = None,
                    b"abstractNum" => {
                        if let Some((id, a)) = abs.take() {
                            defs.abstracts.entry(id).or_insert(a);
                        }
                    }
                    b"num" => {
                        if let Some((id, n)) = num.take() {
                            defs.nums.entry(id).or_insert(n);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Ev::Eof => return Ok(defs),
            _ => continue,
        };
        match e.local() {
            b"abstractNum" if is_start => {
                abs = e
                    .attr(b"abstractNumId")
                    .and_then(|v| v.trim().parse().ok())
                    .map(|id| (id, AbstractNum::default()));
                if abs.is_none() {
                    xml.skip_element()?;
                }
            }
            b"num" if is_start => {
                num = e
                    .attr(b"numId")
                    .and_then(|v| v.trim().parse().ok())
                    .map(|id| (id, Num::default()));
                if num.is_none() {
                    xml.skip_element()?;
                }
            }
            b"abstractNumId" => {
                if let Some((_, n)) = num.as_mut() {
                    n.abstract_id = val_u32(&e);
                }
            }
            b"lvlOverride" if is_start => override_ilvl = ilvl_of(&e),
            b"startOverride" => {
                if let (Some((_, n)), Some(i)) = (num.as_mut(), override_ilvl) {
                    n.start_override[i] = val_u32(&e);
                }
            }
            b"numStyleLink" => {
                if let Some((_, a)) = abs.as_mut() {
                    a.num_style_link = e.attr(b"val");
                }
            }
            b"lvl" if is_start => {
                // In a w:lvlOverride the override's ilvl is authoritative.
                let i = if num.is_some() {
                    override_ilvl
                } else {
                    ilvl_of(&e)
                };
                match i {
                    Some(i) if abs.is_some() || num.is_some() => {
                        level = Some((i, Level::default()))
                    }
                    _ => xml.skip_element()?,
                }
            }
            // Run and paragraph properties of the label, and revisions.
            b"pPr" | b"rPr" | b"legacy" if is_start => xml.skip_element()?,
            local => {
                let Some((_, lvl)) = level.as_mut() else {
                    continue;
                };
                match local {
                    b"start" => lvl.start = val_u32(&e),
                    b"numFmt" => {
                        // Word 2010 writes numFmt="custom" in an
                        // mc:Choice and a standard format in the Fallback
                        // that follows; the standard one is used.
                        let v = e.attr(b"val");
                        if v.as_deref() != Some("custom") || lvl.num_fmt.is_none() {
                            lvl.num_fmt = v;
                        }
                    }
                    b"lvlText" => lvl.lvl_text = e.attr(b"val"),
                    b"lvlRestart" => lvl.restart = val_u32(&e),
                    b"isLgl" => lvl.is_lgl = val_on(&e),
                    b"suff" => lvl.suffix = e.attr(b"val").map(|v| Suffix::parse(v.trim())),
                    b"pStyle" => lvl.p_style = e.attr(b"val"),
                    _ => {}
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The main document
// ---------------------------------------------------------------------------

/// A paragraph being built.
#[derive(Default)]
struct ParaBuilder {
    text: String,
    style_id: Option<String>,
    outline_lvl: Option<u8>,
    /// Direct `w:numPr/w:numId` and `w:numPr/w:ilvl`.
    num_id: Option<u32>,
    ilvl: Option<u8>,
    /// Depth of the w:p element, to tell its own w:pPr from nested ones.
    depth: usize,
    /// A page or column break was seen; it becomes a line break only if
    /// more text follows, so a paragraph holding just a page break stays
    /// empty rather than becoming "\n".
    pending_break: bool,
    /// Paragraphs of text boxes anchored in this paragraph, emitted after it.
    anchored: Vec<DocxParagraph>,
}

impl ParaBuilder {
    fn push_text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.pending_break {
            self.pending_break = false;
            if !self.text.is_empty() {
                self.text.push('\n');
            }
        }
        self.text.push_str(s);
    }
}

/// Structural containers open at the current point.
enum Frame {
    Para(ParaBuilder),
    Table,
    /// Cell texts of the current row.
    Row(Vec<String>),
    /// Paragraph texts of the current cell.
    Cell(Vec<String>),
    /// Paragraphs of the current text box.
    TextBox(Vec<DocxParagraph>),
}

struct BodyResult {
    paragraphs: Vec<DocxParagraph>,
    strict: bool,
}

struct DocState<'s> {
    styles: &'s Styles,
    numberer: Numberer,
    out: Vec<DocxParagraph>,
    frames: Vec<Frame>,
    /// One entry per open complex field: `false` while in its instruction
    /// (between begin and separate), `true` in its result.
    fields: Vec<bool>,
    /// Number of entries in `fields` that are `false`; text is visible only
    /// when this is zero.  Kept separately so the check is O(1).
    fields_in_instruction: usize,
    /// One entry per open mc:AlternateContent: whether a Choice was taken.
    alternate: Vec<bool>,
    /// Text of the w:t being read, and whether it preserves whitespace.
    text_run: Option<(String, bool)>,
    /// Depth of the w:pPr of the innermost paragraph while inside it.
    ppr_depth: Option<usize>,
}

impl DocState<'_> {
    fn current_para(&mut self) -> Option<&mut ParaBuilder> {
        match self.frames.last_mut() {
            Some(Frame::Para(p)) => Some(p),
            _ => None,
        }
    }

    fn visible(&self) -> bool {
        self.fields_in_instruction == 0
    }

    fn push_text(&mut self, s: &str) {
        if self.visible() {
            if let Some(p) = self.current_para() {
                p.push_text(s);
            }
        }
    }

    /// Hands a finished paragraph to the innermost container that collects
    /// paragraphs.  Table frames are looked through: a row's paragraph
    /// belongs to whatever holds the table.
    fn deliver(&mut self, par: DocxParagraph) {
        for frame in self.frames.iter_mut().rev() {
            match frame {
                Frame::Table => continue,
                Frame::Cell(paras) => paras.push(par.text),
                Frame::Row(cells) => cells.push(par.text),
                Frame::TextBox(paras) => paras.push(par),
                Frame::Para(p) => p.anchored.push(par),
            }
            return;
        }
        self.out.push(par);
    }

    fn finish_para(&mut self, p: ParaBuilder) {
        let (heading_level, style) = self.heading_of(&p);
        let numbering_label = self.number(&p);
        let text = match &numbering_label {
            Some(label) => format!("{label}{}", p.text),
            None => p.text,
        };
        let anchored = p.anchored;
        self.deliver(DocxParagraph {
            text,
            heading_level,
            style,
            numbering_label,
        });
        for par in anchored {
            self.deliver(par);
        }
    }

    /// Advances the list counter of a numbered paragraph and returns its
    /// label.  Direct `w:numPr` properties override the style's, each on
    /// its own; numId 0 switches numbering off.  An empty paragraph counts
    /// (as in Word) but gets no label.
    fn number(&mut self, p: &ParaBuilder) -> Option<String> {
        let styles = self.styles;
        let (style_num, style_ilvl) = p
            .style_id
            .as_deref()
            .map(|id| styles.numbering(id))
            .unwrap_or((None, None));
        let num_id = p.num_id.or(style_num).filter(|&n| n != 0)?;
        let ilvl = match p.ilvl.or(style_ilvl) {
            Some(i) => usize::from(i),
            // Style numbering without w:ilvl: the level linked to the style.
            None => p
                .style_id
                .as_deref()
                .and_then(|id| {
                    self.numberer
                        .level_for_style(num_id, id, &|s| styles.style_num_id(s))
                })
                .unwrap_or(0),
        };
        let label = self
            .numberer
            .next_label(num_id, ilvl, &|s| styles.style_num_id(s))?;
        (!p.text.is_empty()).then_some(label)
    }

    fn heading_of(&self, p: &ParaBuilder) -> (Option<u8>, Option<String>) {
        let style = p.style_id.as_deref().map(|id| self.styles.display_name(id));
        // Direct formatting on the paragraph overrides its style.
        let level = if let Some(lvl) = p.outline_lvl {
            outline_to_level(lvl)
        } else {
            p.style_id
                .as_deref()
                .and_then(|id| self.styles.outline(id))
                .flatten()
        };
        (level, style)
    }

    fn pop_para(&mut self) {
        if matches!(self.frames.last(), Some(Frame::Para(_))) {
            if let Some(Frame::Para(p)) = self.frames.pop() {
                self.finish_para(p);
            }
        }
    }
}

fn parse_document(
    data: &[u8],
    part: &str,
    styles: &Styles,
    numbering: NumberingDefs,
    limits: &DocxLimits,
) -> Result<BodyResult, DocxError> {
    let text = part_text(data, part)?;
    let mut xml = XmlStream::new(&text, part, limits);
    let mut st = DocState {
        styles,
        numberer: Numberer::new(numbering),
        out: Vec::new(),
        frames: Vec::new(),
        fields: Vec::new(),
        fields_in_instruction: 0,
        alternate: Vec::new(),
        text_run: None,
        ppr_depth: None,
    };

    // The root element decides whether this is a Word document at all.
    let strict = loop {
        match xml.next()? {
            Ev::Start(e) | Ev::Empty(e) => {
                if e.is_w(b"document") {
                    break e.ns == Ns::WordStrict;
                }
                return Err(DocxError::NotWordprocessing {
                    part: part.to_string(),
                    root: String::from_utf8_lossy(e.start.name().into_inner()).into_owned(),
                });
            }
            Ev::Eof => {
                return Err(DocxError::NotWordprocessing {
                    part: part.to_string(),
                    root: String::new(),
                })
            }
            _ => {}
        }
    };

    loop {
        let ev = xml.next()?;
        // Inside the paragraph's own properties only the style and outline
        // level matter; tab stops, numbering and revision marks there are
        // not text.
        if let Some(ppr_depth) = st.ppr_depth {
            match ev {
                Ev::Start(ref e) | Ev::Empty(ref e)
                    if xml.depth == ppr_depth + usize::from(matches!(ev, Ev::Start(_))) =>
                {
                    let is_start = matches!(ev, Ev::Start(_));
                    if e.is_w(b"pStyle") {
                        let v = e.attr(b"val");
                        if let Some(p) = st.current_para() {
                            p.style_id = v;
                        }
                    } else if e.is_w(b"outlineLvl") {
                        let v = e.attr(b"val").and_then(|v| v.trim().parse().ok());
                        if let Some(p) = st.current_para() {
                            p.outline_lvl = v;
                        }
                    } else if e.is_w(b"numPr") && is_start {
                        read_num_pr(&mut st, &mut xml)?;
                        continue;
                    }
                    if is_start {
                        xml.skip_element()?;
                    }
                }
                Ev::Start(_) => xml.skip_element()?,
                Ev::End(..) if xml.depth < ppr_depth => st.ppr_depth = None,
                Ev::Eof => break,
                _ => {}
            }
            continue;
        }

        match ev {
            Ev::Start(e) => handle_start(&mut st, &mut xml, e)?,
            Ev::Empty(e) => handle_empty(&mut st, e),
            Ev::End(ns, local) => handle_end(&mut st, ns, &local),
            Ev::Text(t) => {
                if let Some((buf, _)) = st.text_run.as_mut() {
                    buf.push_str(&t);
                }
            }
            Ev::Eof => break,
        }
    }

    Ok(BodyResult {
        paragraphs: st.out,
        strict,
    })
}

/// Reads the children of a paragraph's own `w:numPr` (whose Start was just
/// returned) up to its end: `w:ilvl` and `w:numId`.  Revision marks inside
/// it (`w:ins`, `w:numberingChange`) are skipped.
fn read_num_pr(st: &mut DocState<'_>, xml: &mut XmlStream<'_>) -> Result<(), DocxError> {
    let num_pr_depth = xml.depth;
    loop {
        let ev = xml.next()?;
        match ev {
            Ev::Start(ref e) | Ev::Empty(ref e) => {
                let is_start = matches!(ev, Ev::Start(_));
                let direct = xml.depth == num_pr_depth + usize::from(is_start);
                if direct && e.is_w(b"ilvl") {
                    let v = e.attr(b"val").and_then(|v| v.trim().parse().ok());
                    if let Some(p) = st.current_para() {
                        p.ilvl = v;
                    }
                } else if direct && e.is_w(b"numId") {
                    let v = e.attr(b"val").and_then(|v| v.trim().parse().ok());
                    if let Some(p) = st.current_para() {
                        p.num_id = v;
                    }
                }
                if is_start {
                    xml.skip_element()?;
                }
            }
            Ev::End(..) if xml.depth < num_pr_depth => return Ok(()),
            Ev::Eof => return Err(xml.malformed("unexpected end of document")),
            _ => {}
        }
    }
}

/// Elements whose whole subtree is not visible text.
fn is_skipped_w(local: &[u8]) -> bool {
    matches!(
        local,
        // Tracked deletions and the source of tracked moves.
        b"del" | b"moveFrom" | b"delText" | b"delInstrText"
        // Field instructions and binary field data.
        | b"instrText" | b"fldData" | b"ffData"
        // Formatting, section and table properties, and their revisions.
        | b"rPr" | b"sectPr" | b"tblPr" | b"tblGrid" | b"trPr" | b"tcPr"
        | b"tblPrEx" | b"sdtPr" | b"sdtEndPr" | b"customXmlPr" | b"smartTagPr"
        // Note and comment markers: their text lives in other parts.
        | b"footnoteReference" | b"endnoteReference" | b"commentReference"
    )
}

fn handle_start(
    st: &mut DocState<'_>,
    xml: &mut XmlStream<'_>,
    e: Elem<'_>,
) -> Result<(), DocxError> {
    if e.ns == Ns::MarkupCompat {
        match e.local() {
            b"AlternateContent" => st.alternate.push(false),
            // The first Choice is read (Word writes the modern form there);
            // the Fallback repeats the same content for old readers, so it
            // is read only if no Choice was.
            b"Choice" => match st.alternate.last_mut() {
                Some(taken) if !*taken => *taken = true,
                _ => xml.skip_element()?,
            },
            b"Fallback" if st.alternate.last().copied().unwrap_or(true) => xml.skip_element()?,
            _ => {}
        }
        return Ok(());
    }
    if !e.ns.is_word() {
        // VML, DrawingML, wps and other wrappers are transparent: the text
        // of a text box is inside them in w:txbxContent.
        return Ok(());
    }
    let local = e.local();
    if is_skipped_w(local) {
        return xml.skip_element();
    }
    match local {
        b"p" => st.frames.push(Frame::Para(ParaBuilder {
            depth: xml.depth,
            ..ParaBuilder::default()
        })),
        b"pPr" => {
            if st.current_para().is_some_and(|p| p.depth + 1 == xml.depth) {
                st.ppr_depth = Some(xml.depth);
            } else {
                xml.skip_element()?;
            }
        }
        b"tbl" => st.frames.push(Frame::Table),
        b"tr" => st.frames.push(Frame::Row(Vec::new())),
        b"tc" => st.frames.push(Frame::Cell(Vec::new())),
        b"txbxContent" => st.frames.push(Frame::TextBox(Vec::new())),
        b"t" => {
            let preserve = e.attr(b"space").is_some_and(|v| v == "preserve");
            st.text_run = Some((String::new(), preserve));
        }
        // Elements that are normally empty but may be written with a start
        // and end tag.
        _ => handle_empty(st, e),
    }
    Ok(())
}

fn handle_empty(st: &mut DocState<'_>, e: Elem<'_>) {
    if !e.ns.is_word() {
        return;
    }
    match e.local() {
        b"p" => st.finish_para(ParaBuilder::default()),
        b"tr" => st.deliver(DocxParagraph {
            text: String::new(),
            heading_level: None,
            style: None,
            numbering_label: None,
        }),
        b"tc" => {
            if let Some(Frame::Row(cells)) = st.frames.last_mut() {
                cells.push(String::new());
            }
        }
        b"tab" | b"ptab" => st.push_text("\t"),
        b"br" => {
            let kind = e.attr(b"type");
            match kind.as_deref() {
                Some("page") | Some("column") => {
                    if st.visible() {
                        if let Some(p) = st.current_para() {
                            p.pending_break = true;
                        }
                    }
                }
                _ => st.push_text("\n"),
            }
        }
        b"cr" => st.push_text("\n"),
        b"noBreakHyphen" => st.push_text("-"),
        b"fldChar" => match e.attr(b"fldCharType").as_deref() {
            Some("begin") => {
                st.fields.push(false);
                st.fields_in_instruction += 1;
            }
            Some("separate") => {
                if let Some(in_result) = st.fields.last_mut() {
                    if !*in_result {
                        *in_result = true;
                        st.fields_in_instruction -= 1;
                    }
                }
            }
            // The pop happens in the guard; a field that was already in its
            // result (or a stray end) leaves the instruction count alone.
            Some("end") if st.fields.pop() == Some(false) => st.fields_in_instruction -= 1,
            _ => {}
        },
        _ => {}
    }
}

fn handle_end(st: &mut DocState<'_>, ns: Ns, local: &[u8]) {
    if ns == Ns::MarkupCompat && local == b"AlternateContent" {
        st.alternate.pop();
        return;
    }
    if !ns.is_word() {
        return;
    }
    match local {
        b"t" => {
            if let Some((text, preserve)) = st.text_run.take() {
                // Word drops leading and trailing whitespace of w:t unless
                // xml:space="preserve"; a literal newline in w:t is shown as
                // a space, and must not split the line.
                let text = if preserve {
                    text.as_str()
                } else {
                    text.trim_matches([' ', '\t', '\r', '\n'])
                };
                let text = text.replace(['\r', '\n'], " ");
                st.push_text(&text);
            }
        }
        b"p" => st.pop_para(),
        b"tc" => {
            if matches!(st.frames.last(), Some(Frame::Cell(_))) {
                if let Some(Frame::Cell(paras)) = st.frames.pop() {
                    let text = paras.join(" ");
                    st.deliver(DocxParagraph {
                        text,
                        heading_level: None,
                        style: None,
                        numbering_label: None,
                    });
                }
            }
        }
        b"tr" => {
            if let Some(Frame::Row(_)) = st.frames.last() {
                if let Some(Frame::Row(cells)) = st.frames.pop() {
                    st.deliver(DocxParagraph {
                        text: cells.join("\t"),
                        heading_level: None,
                        style: None,
                        numbering_label: None,
                    });
                }
            }
        }
        b"tbl" => {
            if let Some(Frame::Table) = st.frames.last() {
                st.frames.pop();
            }
        }
        b"txbxContent" => {
            if let Some(Frame::TextBox(_)) = st.frames.last() {
                if let Some(Frame::TextBox(paras)) = st.frames.pop() {
                    for par in paras {
                        st.deliver(par);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn fixture(rel: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    fn read(rel: &str) -> DocxContent {
        read_docx(&fixture(rel), &DocxLimits::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn texts(c: &DocxContent) -> Vec<&str> {
        c.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    fn all_text(c: &DocxContent) -> String {
        texts(c).join("\n")
    }

    fn read_err(rel: &str) -> DocxError {
        match read_docx(&fixture(rel), &DocxLimits::default()) {
            Ok(_) => panic!("{rel} was accepted"),
            Err(e) => e,
        }
    }

    /// Builds a package in memory from (name, content) pairs.
    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in parts {
            w.start_file(*name, opts).expect("zip start_file");
            w.write_all(data).expect("zip write");
        }
        w.finish().expect("zip finish");
        out.into_inner()
    }

    const ROOT_RELS: &[u8] = br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

    fn doc_with_body(body: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
        );
        zip_of(&[
            ("_rels/.rels", ROOT_RELS),
            ("word/document.xml", xml.as_bytes()),
        ])
    }

    fn body_texts(body: &str) -> Vec<String> {
        let c = read_docx(&doc_with_body(body), &DocxLimits::default()).expect("synthetic docx");
        c.paragraphs.into_iter().map(|p| p.text).collect()
    }

    fn expected_lines(rel: &str) -> Vec<String> {
        let text = String::from_utf8(fixture(rel)).expect("utf-8 expected file");
        text.strip_suffix('\n')
            .unwrap_or(&text)
            .split('\n')
            .map(str::to_string)
            .collect()
    }

    // --- own Chinese fixtures: whole text against the expected file ------

    #[test]
    fn kexie_python_docx_matches_expected_text() {
        let c = read("docx/zh_kexie_summary_pythondocx.docx");
        assert_eq!(
            texts(&c),
            expected_lines("docx/zh_kexie_summary_pythondocx.expected")
        );
        assert_eq!(c.title.as_deref(), Some("青石镇科协2023年度工作总结"));
        assert_eq!(c.paragraphs[0].style.as_deref(), Some("Title"));
        assert_eq!(c.paragraphs[0].heading_level, None);
        let heading = |t: &str| {
            c.paragraphs
                .iter()
                .find(|p| p.text == t)
                .and_then(|p| p.heading_level)
        };
        assert_eq!(heading("一、主要工作开展情况"), Some(1));
        assert_eq!(heading("（一）科普宣传活动"), Some(2));
        // The PAGE field lives in the footer, which is not body text.
        assert!(!all_text(&c).contains("第 1 页"));
    }

    #[test]
    fn kexie_libreoffice_matches_expected_text() {
        let c = read("docx/zh_kexie_summary_libreoffice.docx");
        assert_eq!(
            texts(&c),
            expected_lines("docx/zh_kexie_summary_libreoffice.expected")
        );
        // LibreOffice writes dc:title into core.xml.
        assert_eq!(c.title.as_deref(), Some("白沙乡科协2022年上半年工作总结"));
        assert_eq!(c.paragraphs[2].heading_level, Some(1));
        assert_eq!(c.paragraphs[3].heading_level, Some(2));
        assert!(!c.strict);
    }

    // --- one test per reading rule ----------------------------------------

    #[test]
    fn headings_from_style_names() {
        let c = read("docx/en_pandoc_numbered_headings.docx");
        assert_eq!(c.paragraphs[0].text, "1.\tA Numbered Header.");
        assert_eq!(c.paragraphs[0].numbering_label.as_deref(), Some("1.\t"));
        assert_eq!(c.paragraphs[0].heading_level, Some(1));

        let c = read("docx/zh_poitl_swagger_api_doc_headings.docx");
        let levels: Vec<(u8, &str)> = c
            .paragraphs
            .iter()
            .filter_map(|p| p.heading_level.map(|l| (l, p.text.as_str())))
            .take(4)
            .collect();
        assert_eq!(
            levels,
            vec![
                (1, "{{info.title}}"),
                (2, "1.\t概览"),
                (3, "1.1.\t描述"),
                (3, "1.2.\t版本")
            ]
        );
    }

    #[test]
    fn headings_from_outline_level_and_based_on_chain() {
        let styles = r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
            <w:style w:type="paragraph" w:styleId="a1"><w:name w:val="标题 3"/></w:style>
            <w:style w:type="paragraph" w:styleId="Base"><w:name w:val="Base"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
            <w:style w:type="paragraph" w:styleId="Derived"><w:name w:val="Derived"/><w:basedOn w:val="Base"/></w:style>
            <w:style w:type="paragraph" w:styleId="Loop"><w:name w:val="Loop"/><w:basedOn w:val="Loop"/></w:style>
        </w:styles>"#
            .as_bytes();
        let doc = r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
            <w:p><w:pPr><w:pStyle w:val="a1"/></w:pPr><w:r><w:t>（三）</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Derived"/></w:pPr><w:r><w:t>derived</w:t></w:r></w:p>
            <w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>direct</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Derived"/><w:outlineLvl w:val="9"/></w:pPr><w:r><w:t>body text</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Loop"/></w:pPr><w:r><w:t>loop</w:t></w:r></w:p>
        </w:body></w:document>"#
            .as_bytes();
        let rels = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
        let bytes = zip_of(&[
            ("_rels/.rels", ROOT_RELS),
            ("word/document.xml", doc),
            ("word/_rels/document.xml.rels", rels),
            ("word/styles.xml", styles),
        ]);
        let c = read_docx(&bytes, &DocxLimits::default()).expect("docx");
        let levels: Vec<Option<u8>> = c.paragraphs.iter().map(|p| p.heading_level).collect();
        assert_eq!(levels, vec![Some(3), Some(2), Some(1), None, None]);
        assert_eq!(c.paragraphs[0].style.as_deref(), Some("标题 3"));
    }

    #[test]
    fn tables_become_tab_separated_rows() {
        let c = read("docx/en_mammoth_tables.docx");
        assert_eq!(
            texts(&c),
            vec![
                "Above",
                "Top left\tTop right",
                "Bottom left\tBottom right",
                "Below"
            ]
        );
        let c = read("docx/zh_poitl_payment_notice_table.docx");
        assert!(texts(&c).contains(&"数量\t货物\t说明\t折扣\t应纳税\t单价\t总计"));
        assert!(texts(&c).contains(&"小计:\t{{subtotal}}"));
    }

    #[test]
    fn cell_paragraphs_joined_by_space_and_nested_tables_flattened() {
        let got = body_texts(
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc>\
             <w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>内1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>内2</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc></w:tr></w:tbl>",
        );
        assert_eq!(got, vec!["甲 乙\t内1\t内2 "]);
    }

    #[test]
    fn title_style_and_core_title() {
        let c = read("docx/zh_poitl_payment_notice_table.docx");
        assert_eq!(c.paragraphs[0].text, "付款通知书");
        assert_eq!(c.paragraphs[0].style.as_deref(), Some("Title"));
        assert_eq!(c.paragraphs[0].heading_level, None);
        assert_eq!(c.title.as_deref(), Some("付款通知书"));
    }

    #[test]
    fn numbered_list_items_are_paragraphs() {
        let c = read("docx/zh_poitl_iterable_numbering_multilevel.docx");
        let t = texts(&c);
        let start = t
            .iter()
            .position(|s| *s == "1.\t第一级第一行")
            .expect("list item");
        assert_eq!(
            &t[start..start + 3],
            &["1.\t第一级第一行", "a)\t第二级第一行", "b)\t第二级第二行"]
        );
        assert_eq!(c.paragraphs[start].style.as_deref(), Some("List Paragraph"));
        // Multi-level decimal lists (%1.%2.%3.), and a later list of its own.
        for item in [
            "1.2.\t第二级第二行",
            "1.2.2.\t第三级第二行",
            "A.\t重新开始一个列表",
        ] {
            assert!(t.contains(&item), "{item}");
        }
        let last = t
            .iter()
            .position(|s| *s == "2.\t第一级第二行")
            .expect("last list");
        assert_eq!(
            &t[last - 3..=last],
            &[
                "1.\t第一级第一行",
                "a)\t第二级第一行",
                "b)\t第二级第二行",
                "2.\t第一级第二行"
            ]
        );
    }

    #[test]
    fn text_boxes_read_once_after_anchor() {
        let c = read("docx/en_mammoth_text_box.docx");
        assert_eq!(texts(&c), vec!["", "Datum plane"]);

        let c = read("docx/zh_poitl_template_textbox.docx");
        let t = texts(&c);
        // The template's text boxes hold these tags once each: a doubled
        // mc:Fallback read would show them twice in a row.
        assert_eq!(t.iter().filter(|s| **s == "{{introduce}}").count(), 1);
        assert_eq!(t.iter().filter(|s| **s == "{{time}}").count(), 1);
    }

    #[test]
    fn tracked_changes_insertions_kept_deletions_dropped() {
        assert_eq!(
            texts(&read("docx/en_pandoc_track_changes_insertion.docx")),
            vec!["This is a text with two exciting insertions."]
        );
        assert_eq!(
            texts(&read("docx/en_pandoc_track_changes_deletion.docx")),
            vec!["This is a text with a deletion."]
        );
        let moved = all_text(&read("docx/en_pandoc_track_changes_move.docx"));
        assert_eq!(moved.matches("Here is the text to be moved.").count(), 1);
        assert!(moved.starts_with("Here is some text.\n\nHere is the text to be moved."));
    }

    #[test]
    fn complex_fields_keep_result_drop_instruction() {
        let c = read("docx/en_pandoc_instrText_hyperlink.docx");
        let t = &c.paragraphs[0].text;
        assert!(t.contains("Mitchell的Foundations of Analysis, 2nd Edition,可从19页看起"));
        assert!(!t.contains("HYPERLINK"));

        let c = read("docx/en_pandoc_nested_instrText.docx");
        let t = &c.paragraphs[0].text;
        assert!(t.contains("Foundations of Analysis, 1/16/18 8:40:00 AM, 2nd Edition"));
        assert!(!t.contains("CREATEDATE"));

        let c = read("docx/zh_poitl_914_toc_field.docx");
        assert_eq!(c.paragraphs[1].text, "一、\t风险识别\t1");
        assert!(!all_text(&c).contains("PAGEREF"));
    }

    #[test]
    fn nested_field_in_instruction_is_hidden_and_fld_simple_kept() {
        let got = body_texts(
            r#"<w:p><w:r><w:t xml:space="preserve">A </w:t></w:r>
            <w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>IF </w:instrText></w:r>
            <w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>MERGEFIELD x</w:instrText></w:r>
            <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>hidden</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>
            <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>shown</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>
            <w:fldSimple w:instr="PAGE"><w:r><w:t xml:space="preserve"> 7</w:t></w:r></w:fldSimple></w:p>"#,
        );
        assert_eq!(got, vec!["A shown 7"]);
    }

    #[test]
    fn content_controls_are_transparent() {
        let c = read("docx/zh_poitl_sdt_cell_content_controls.docx");
        let t = texts(&c);
        assert_eq!(&t[..2], &["1.\t常规：", "我是{{title}}"]);
        assert!(t.contains(&"6.\t最后目标：文本控件内的文字和表格"));
        assert!(t.contains(&"列1\t列2\t列3\t列4\t列5 "));
    }

    #[test]
    fn comments_and_notes_not_in_body() {
        let c = read("docx/en_mammoth_comments.docx");
        assert_eq!(texts(&c), vec!["Ouch."]);
        let c = read("docx/zh_poitl_template_notes_footnote_endnote.docx");
        assert_eq!(texts(&c), vec!["Hello。你好", "我的世界《中国》。哈哈"]);
    }

    #[test]
    fn strict_ooxml_is_read() {
        let c = read("docx/en_mammoth_strict_ooxml.docx");
        assert!(c.strict);
        assert_eq!(texts(&c), vec!["Test"]);
    }

    #[test]
    fn main_part_found_through_relationships() {
        let c = read("docx/en_pandoc_alternate_document_path.docx");
        assert_eq!(c.main_part, "word/document2.xml");
        assert_eq!(c.paragraphs[0].text, "Test");
        assert_eq!(c.paragraphs[0].heading_level, Some(1));
        assert!(c.paragraphs[2]
            .text
            .starts_with("This is italic, bold, underlined"));
    }

    #[test]
    fn other_prefixes_and_bom() {
        assert_eq!(
            texts(&read("docx/en_pandoc_ns0_prefix_reference.docx")),
            vec!["ref"]
        );
        assert_eq!(
            texts(&read("docx/en_mammoth_utf8_bom.docx")),
            vec!["This XML has a byte order mark."]
        );
    }

    #[test]
    fn run_level_elements() {
        let got = body_texts(
            r#"<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:cr/><w:t>d</w:t>
            <w:noBreakHyphen/><w:t>e</w:t><w:sym w:font="Wingdings" w:char="F0E0"/><w:softHyphen/>
            <w:t>  untrimmed?  </w:t><w:t xml:space="preserve">  kept  </w:t></w:r></w:p>
            <w:p/><w:p><w:r><w:br w:type="page"/></w:r></w:p>
            <w:p><w:r><w:t>x</w:t><w:br w:type="page"/><w:t>y</w:t></w:r></w:p>
            <w:p><w:r><w:t>&amp;&#x4E00;&lt;</w:t></w:r></w:p>"#,
        );
        assert_eq!(
            got,
            vec!["a\tb\nc\nd-euntrimmed?  kept  ", "", "", "x\ny", "&一<"]
        );
    }

    #[test]
    fn alternate_content_fallback_used_only_without_choice() {
        let got = body_texts(
            r#"<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:t>choice</w:t></mc:Choice>
            <mc:Fallback><w:t>fallback</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>
            <w:p><w:r><mc:AlternateContent><mc:Fallback><w:t>only fallback</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>"#,
        );
        assert_eq!(got, vec!["choice", "only fallback"]);
    }

    #[test]
    fn paragraph_property_revisions_do_not_override_style() {
        let got = read_docx(
            &doc_with_body(
                r#"<w:p><w:pPr><w:pStyle w:val="Now"/><w:pPrChange w:id="1"><w:pPr><w:pStyle w:val="Old"/></w:pPr></w:pPrChange><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>x</w:t></w:r></w:p>"#,
            ),
            &DocxLimits::default(),
        )
        .expect("docx");
        assert_eq!(got.paragraphs[0].style.as_deref(), Some("Now"));
        // Tab stops in pPr are not tab characters.
        assert_eq!(got.paragraphs[0].text, "x");
    }

    // --- automatic numbering ---------------------------------------------

    const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    /// A package with styles.xml and numbering.xml related to the main part.
    /// `styles` and `numbering` are the children of their root elements.
    fn numbered_docx(numbering: &str, styles: &str, body: &str) -> Vec<u8> {
        numbered_docx_ns(W_NS, numbering, styles, body)
    }

    fn numbered_docx_ns(ns: &str, numbering: &str, styles: &str, body: &str) -> Vec<u8> {
        let rel = if ns == W_NS {
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        } else {
            "http://purl.oclc.org/ooxml/officeDocument/relationships"
        };
        let doc = format!(r#"<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>"#);
        let styles = format!(r#"<w:styles xmlns:w="{ns}">{styles}</w:styles>"#);
        let numbering = format!(r#"<w:numbering xmlns:w="{ns}">{numbering}</w:numbering>"#);
        let rels = format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="{rel}/styles" Target="styles.xml"/><Relationship Id="r2" Type="{rel}/numbering" Target="numbering.xml"/></Relationships>"#
        );
        zip_of(&[
            ("_rels/.rels", ROOT_RELS),
            ("word/document.xml", doc.as_bytes()),
            ("word/_rels/document.xml.rels", rels.as_bytes()),
            ("word/styles.xml", styles.as_bytes()),
            ("word/numbering.xml", numbering.as_bytes()),
        ])
    }

    /// `<w:p>` with direct numbering (`None` = no numPr) and text.
    fn num_p(num: Option<(u32, u32)>, text: &str) -> String {
        let num_pr = num
            .map(|(id, ilvl)| {
                format!(
                    r#"<w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{id}"/></w:numPr></w:pPr>"#
                )
            })
            .unwrap_or_default();
        format!("<w:p>{num_pr}<w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    /// `<w:p>` with a paragraph style and text.
    fn styled_p(style: &str, text: &str) -> String {
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    }

    /// A `w:lvl`; `extra` is added inside it.
    fn lvl(ilvl: u32, fmt: &str, text: &str, extra: &str) -> String {
        format!(
            r#"<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>{extra}<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl>"#
        )
    }

    fn read_texts(bytes: &[u8]) -> Vec<String> {
        let c = read_docx(bytes, &DocxLimits::default()).expect("docx");
        c.paragraphs.into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn decimal_list_labels_count_and_share_counters() {
        let numbering = format!(
            r#"<w:abstractNum w:abstractNumId="0">{}</w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>"#,
            lvl(0, "decimal", "%1.", "")
        );
        let body = [
            num_p(Some((1, 0)), "甲"),
            // An empty item still counts, but shows no label here.
            num_p(Some((1, 0)), ""),
            num_p(None, "正文"),
            num_p(Some((1, 0)), "乙"),
            // Another num over the same abstractNum continues the count.
            num_p(Some((2, 0)), "丙"),
            // numId 0 switches numbering off; an undefined numId is ignored.
            num_p(Some((0, 0)), "无编号"),
            num_p(Some((99, 0)), "未定义"),
        ]
        .concat();
        let c = read_docx(
            &numbered_docx(&numbering, "", &body),
            &DocxLimits::default(),
        )
        .expect("docx");
        let got: Vec<&str> = texts(&c);
        assert_eq!(
            got,
            vec!["1.\t甲", "", "正文", "3.\t乙", "4.\t丙", "无编号", "未定义"]
        );
        assert_eq!(c.paragraphs[0].numbering_label.as_deref(), Some("1.\t"));
        assert_eq!(c.paragraphs[1].numbering_label, None);
        assert_eq!(c.paragraphs[2].numbering_label, None);
    }

    #[test]
    fn multi_level_lists_restart_lower_levels() {
        let numbering = format!(
            r#"<w:abstractNum w:abstractNumId="3">{}{}{}</w:abstractNum>
            <w:abstractNum w:abstractNumId="4">{}{}</w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="3"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="4"/></w:num>"#,
            lvl(0, "decimal", "%1.", ""),
            lvl(1, "lowerLetter", "%2)", r#"<w:suff w:val="space"/>"#),
            // Level 3 continues across level-2 items, restarting only
            // after level 1.
            lvl(
                2,
                "lowerRoman",
                "(%3)",
                r#"<w:lvlRestart w:val="1"/><w:suff w:val="nothing"/>"#
            ),
            lvl(0, "upperRoman", "%1.", ""),
            // isLgl: every level shown in decimal (legal numbering).
            lvl(1, "decimal", "%1.%2", r#"<w:isLgl/>"#),
        );
        let body = [
            num_p(Some((1, 0)), "一级"),
            num_p(Some((1, 1)), "二级"),
            num_p(Some((1, 2)), "三级"),
            num_p(Some((1, 1)), "二级"),
            num_p(Some((1, 2)), "三级"),
            num_p(Some((1, 0)), "一级"),
            num_p(Some((1, 1)), "二级"),
            num_p(Some((1, 2)), "三级"),
            num_p(Some((2, 0)), "章"),
            num_p(Some((2, 0)), "章"),
            num_p(Some((2, 1)), "节"),
        ]
        .concat();
        assert_eq!(
            read_texts(&numbered_docx(&numbering, "", &body)),
            vec![
                "1.\t一级",
                "a) 二级",
                "(i)三级",
                "b) 二级",
                "(ii)三级",
                "2.\t一级",
                "a) 二级",
                "(i)三级",
                "I.\t章",
                "II.\t章",
                "2.1\t节",
            ]
        );
    }

    /// Chinese report headings numbered through their styles, as Word's
    /// multilevel list linked to 标题 1-3 writes them.
    const CN_HEADING_NUMBERING: &str = r#"<w:abstractNum w:abstractNumId="0">
        <w:multiLevelType w:val="multilevel"/>
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="1"/><w:suff w:val="nothing"/><w:lvlText w:val="%1、"/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="2"/><w:suff w:val="nothing"/><w:lvlText w:val="（%2）"/></w:lvl>
        <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="3"/><w:suff w:val="nothing"/><w:lvlText w:val="%3."/></w:lvl>
        </w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>"#;

    const CN_HEADING_STYLES: &str = r#"
        <w:style w:type="paragraph" w:styleId="a"><w:name w:val="Normal"/></w:style>
        <w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
        <w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
        <w:style w:type="paragraph" w:styleId="3"><w:name w:val="heading 3"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
        <w:style w:type="paragraph" w:styleId="Sub"><w:name w:val="报告二级"/><w:basedOn w:val="2"/></w:style>"#;

    #[test]
    fn chinese_heading_numbering_through_styles() {
        let body = [
            styled_p("1", "总体情况"),
            num_p(None, "正文。"),
            styled_p("2", "科普宣传"),
            styled_p("3", "开展讲座"),
            styled_p("3", "发放资料"),
            // Numbering inherited through basedOn.
            styled_p("Sub", "技术培训"),
            styled_p("3", "水稻种植"),
            styled_p("1", "存在问题"),
            styled_p("2", "阵地薄弱"),
            // Direct numId 0 overrides the style's numbering.
            r#"<w:p><w:pPr><w:pStyle w:val="2"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>不编号</w:t></w:r></w:p>"#.to_string(),
            styled_p("1", "下一步打算"),
        ]
        .concat();
        let c = read_docx(
            &numbered_docx(CN_HEADING_NUMBERING, CN_HEADING_STYLES, &body),
            &DocxLimits::default(),
        )
        .expect("docx");
        assert_eq!(
            texts(&c),
            vec![
                "一、总体情况",
                "正文。",
                "（一）科普宣传",
                "1.开展讲座",
                "2.发放资料",
                "（二）技术培训",
                "1.水稻种植",
                "二、存在问题",
                "（一）阵地薄弱",
                "不编号",
                "三、下一步打算",
            ]
        );
        let levels: Vec<Option<u8>> = c.paragraphs.iter().map(|p| p.heading_level).collect();
        assert_eq!(levels[..4], [Some(1), None, Some(2), Some(3)]);
        assert_eq!(c.paragraphs[5].numbering_label.as_deref(), Some("（二）"));
    }

    #[test]
    fn start_override_restarts_and_level_override_replaces() {
        let numbering = format!(
            r#"<w:abstractNum w:abstractNumId="0">{}{}</w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
            <w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride></w:num>
            <w:num w:numId="4"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/><w:lvlText w:val="%1"/><w:suff w:val="nothing"/></w:lvl></w:lvlOverride></w:num>"#,
            lvl(0, "decimal", "%1.", ""),
            lvl(1, "decimal", "%1.%2.", ""),
        );
        let body = [
            num_p(Some((1, 0)), "a"),
            num_p(Some((1, 0)), "b"),
            // "Restart numbering" in Word: a new num with startOverride.
            num_p(Some((2, 0)), "c"),
            num_p(Some((2, 1)), "c1"),
            num_p(Some((2, 0)), "d"),
            num_p(Some((3, 0)), "e"),
            num_p(Some((3, 0)), "f"),
            // The plain num still shares the abstract's own counters.
            num_p(Some((1, 0)), "g"),
            num_p(Some((4, 0)), "h"),
        ]
        .concat();
        assert_eq!(
            read_texts(&numbered_docx(&numbering, "", &body)),
            vec!["1.\ta", "2.\tb", "1.\tc", "1.1.\tc1", "2.\td", "5.\te", "6.\tf", "3.\tg", "①h"]
        );
    }

    #[test]
    fn bullets_and_label_formats() {
        let numbering = format!(
            r#"<w:abstractNum w:abstractNumId="0">{}{}{}</w:abstractNum>
            <w:abstractNum w:abstractNumId="1">{}{}{}{}</w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>"#,
            lvl(
                0,
                "bullet",
                "\u{F0B7}",
                r#"<w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr>"#
            ),
            lvl(
                1,
                "bullet",
                "o",
                r#"<w:rPr><w:rFonts w:ascii="Courier New"/></w:rPr>"#
            ),
            lvl(2, "bullet", "●", r#"<w:suff w:val="space"/>"#),
            lvl(0, "none", "", ""),
            lvl(
                1,
                "chineseLegalSimplified",
                "第%2条",
                r#"<w:suff w:val="space"/>"#
            ),
            lvl(
                2,
                "ideographTraditional",
                "%3.",
                r#"<w:suff w:val="nothing"/>"#
            ),
            lvl(3, "madeUpFormat", "%4)", r#"<w:suff w:val="nothing"/>"#),
        );
        let body = [
            num_p(Some((1, 0)), "要点"),
            num_p(Some((1, 1)), "细节"),
            num_p(Some((1, 2)), "更细"),
            num_p(Some((2, 0)), "无标签"),
            num_p(Some((2, 1)), "总则"),
            num_p(Some((2, 1)), "分则"),
            num_p(Some((2, 2)), "天干"),
            num_p(Some((2, 2)), "天干"),
            num_p(Some((2, 3)), "未知格式"),
        ]
        .concat();
        assert_eq!(
            read_texts(&numbered_docx(&numbering, "", &body)),
            vec![
                "•\t要点",
                "o\t细节",
                "● 更细",
                "无标签",
                "第壹条 总则",
                "第贰条 分则",
                "甲.天干",
                "乙.天干",
                "1)未知格式",
            ]
        );
    }

    #[test]
    fn num_style_link_and_strict_namespace() {
        // abstractNum 0 defers to the numbering style "CnList", whose num
        // points at abstractNum 1 holding the levels.
        let numbering = format!(
            r#"<w:abstractNum w:abstractNumId="0"><w:numStyleLink w:val="CnList"/></w:abstractNum>
            <w:abstractNum w:abstractNumId="1"><w:styleLink w:val="CnList"/>{}</w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>"#,
            lvl(0, "chineseCounting", "%1、", r#"<w:suff w:val="nothing"/>"#)
        );
        let styles = r#"<w:style w:type="numbering" w:styleId="CnList"><w:name w:val="CnList"/><w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr></w:style>"#;
        let body = [num_p(Some((1, 0)), "甲"), num_p(Some((1, 0)), "乙")].concat();
        assert_eq!(
            read_texts(&numbered_docx(&numbering, styles, &body)),
            vec!["一、甲", "二、乙"]
        );
        let c = read_docx(
            &numbered_docx_ns(
                "http://purl.oclc.org/ooxml/wordprocessingml/main",
                &numbering,
                styles,
                &body,
            ),
            &DocxLimits::default(),
        )
        .expect("strict docx");
        assert!(c.strict);
        assert_eq!(texts(&c), vec!["一、甲", "二、乙"]);
    }

    #[test]
    fn numbering_part_absent_or_hostile() {
        let body = num_p(Some((1, 0)), "x");
        // Related but missing: no numbering, not an error.
        let doc = format!(r#"<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>"#);
        let rels = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>"#;
        let bytes = zip_of(&[
            ("_rels/.rels", ROOT_RELS),
            ("word/document.xml", doc.as_bytes()),
            ("word/_rels/document.xml.rels", rels),
        ]);
        assert_eq!(read_texts(&bytes), vec!["x"]);
        // Not related at all: ignored even if present.
        assert_eq!(body_texts(&num_p(Some((1, 0)), "y")), vec!["y".to_string()]);

        let dtd = numbered_docx("", "", &body);
        let dtd = {
            // Same package with a DTD in numbering.xml.
            let mut archive = ZipArchive::new(Cursor::new(&dtd[..])).expect("zip");
            let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
            for i in 0..archive.len() {
                let mut f = archive.by_index(i).expect("entry");
                let mut data = Vec::new();
                f.read_to_end(&mut data).expect("read");
                if f.name() == "word/numbering.xml" {
                    data = format!(
                        r#"<!DOCTYPE w:numbering [<!ENTITY x "y">]><w:numbering xmlns:w="{W_NS}"/>"#
                    )
                    .into_bytes();
                }
                parts.push((f.name().to_string(), data));
            }
            let refs: Vec<(&str, &[u8])> = parts
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_slice()))
                .collect();
            zip_of(&refs)
        };
        assert!(matches!(
            read_docx(&dtd, &DocxLimits::default()),
            Err(DocxError::Dtd { ref part }) if part == "word/numbering.xml"
        ));

        let deep = numbered_docx(
            &format!("{}{}", "<w:x>".repeat(600), "</w:x>".repeat(600)),
            "",
            &body,
        );
        assert!(matches!(
            read_docx(&deep, &DocxLimits::default()),
            Err(DocxError::TooDeep { ref part, .. }) if part == "word/numbering.xml"
        ));
    }

    #[test]
    fn numbered_headings_in_real_documents() {
        // poi-tl's TOC template: Heading 1 numbered 一、 through its style.
        let c = read("docx/zh_poitl_914_toc_field.docx");
        let h = c
            .paragraphs
            .iter()
            .find(|p| p.heading_level == Some(1))
            .expect("heading");
        assert_eq!(h.text, "一、\t风险识别");
        assert_eq!(h.numbering_label.as_deref(), Some("一、\t"));
        // Caption numbering ("Fig.1:") in poi-tl's content-control template.
        let c = read("docx/zh_poitl_sdt_cell_content_controls.docx");
        assert!(texts(&c).contains(&"Fig.1: Stock coverage dropped/transferred?"));
    }

    #[test]
    fn numbered_heading_styles_fixture_gives_sections() {
        let bytes = fixture("docx/zh_numbered_headings_pythondocx.docx");
        let c = read_docx(&bytes, &DocxLimits::default()).expect("docx");
        assert_eq!(
            texts(&c),
            expected_lines("docx/zh_numbered_headings_pythondocx.expected")
        );
        assert_eq!(c.paragraphs[2].numbering_label.as_deref(), Some("一、"));
        assert_eq!(c.paragraphs[2].style.as_deref(), Some("heading 1"));

        let docs = crate::ingest::ingest_bytes(
            "zh_numbered_headings_pythondocx.docx",
            &bytes,
            &crate::ingest::IngestOptions::default(),
        )
        .expect("ingest");
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.title.as_deref(), Some("红石乡科协2024年工作总结"));
        let sections: Vec<(u8, &str)> = doc
            .sections
            .iter()
            .map(|s| (s.level, s.title.as_str()))
            .collect();
        assert_eq!(
            sections,
            vec![
                (1, "一、主要工作"),
                (2, "（一）科普宣传"),
                (3, "1.科普日活动"),
                (3, "2.科普大篷车"),
                (2, "（二）人才培训"),
                // Not a heading style: the level comes from the label's form.
                (4, "（1）举办水稻种植培训2期；"),
                (4, "（2）举办电商直播培训1期"),
                (1, "二、存在问题"),
                (1, "三、下一步打算"),
                (2, "（一）加强科普队伍建设"),
            ]
        );
        // 一、主要工作 runs up to 二、存在问题.
        let first = &doc.sections[0];
        assert!(first
            .extent
            .slice(&doc.text)
            .ends_with("（2）举办电商直播培训1期。\n"));
    }

    // --- bad inputs --------------------------------------------------------

    #[test]
    fn legacy_doc_rejected() {
        assert!(matches!(read_err("bad/legacy.doc"), DocxError::LegacyDoc));
        assert!(matches!(
            read_err("docx/zh_poi_61490_legacy_binary.doc"),
            DocxError::LegacyDoc
        ));
        assert!(read_err("bad/legacy.doc")
            .to_string()
            .contains("save it as .docx"));
    }

    #[test]
    fn encrypted_package_rejected() {
        assert!(matches!(
            read_err("bad/encrypted.docx"),
            DocxError::Encrypted
        ));
    }

    #[test]
    fn truncated_zip_rejected() {
        assert!(matches!(
            read_err("bad/truncated.docx"),
            DocxError::CorruptZip { .. }
        ));
    }

    #[test]
    fn random_and_empty_rejected() {
        assert!(matches!(
            read_err("bad/random.docx"),
            DocxError::NotZip { .. }
        ));
        assert!(matches!(read_err("bad/empty.docx"), DocxError::Empty));
    }

    #[test]
    fn zip_without_word_part_rejected() {
        assert!(matches!(
            read_err("bad/notdocx.docx"),
            DocxError::NoMainDocument
        ));
        assert!(matches!(
            read_docx(
                b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                &DocxLimits::default()
            ),
            Err(DocxError::NoMainDocument)
        ));
    }

    #[test]
    fn zip_bomb_fixture_rejected() {
        assert!(matches!(
            read_err("bad/bomb.docx"),
            DocxError::SuspiciousRatio { .. }
        ));
        // With the ratio check relaxed, the size limits still stop it.
        let limits = DocxLimits {
            max_ratio: u64::MAX,
            ..DocxLimits::default()
        };
        assert!(matches!(
            read_docx(&fixture("bad/bomb.docx"), &limits),
            Err(DocxError::TooLarge { .. })
        ));
    }

    #[test]
    fn in_memory_bomb_stopped_while_reading() {
        // 64 MiB of zeros: declared honestly, so a low total limit rejects it
        // up front; with only the actually-read budget in play (declared
        // total allowed) the streaming cap stops decompression early.
        let zeros = vec![0u8; 64 << 20];
        let bytes = zip_of(&[("_rels/.rels", ROOT_RELS), ("word/document.xml", &zeros)]);
        assert!(bytes.len() < 1 << 20);
        let limits = DocxLimits {
            max_total_uncompressed: 8 << 20,
            ..DocxLimits::default()
        };
        assert!(matches!(
            read_docx(&bytes, &limits),
            Err(DocxError::SuspiciousRatio { .. })
        ));
        let limits = DocxLimits {
            max_total_uncompressed: 8 << 20,
            max_ratio: u64::MAX,
            ..DocxLimits::default()
        };
        assert!(matches!(
            read_docx(&bytes, &limits),
            Err(DocxError::TooLarge { .. })
        ));
    }

    #[test]
    fn deep_nesting_rejected() {
        assert!(matches!(
            read_err("bad/deep.docx"),
            DocxError::TooDeep { limit: 512, .. }
        ));
        // 10^6 levels built in memory are rejected as quickly.
        let depth = 1_000_000;
        let body = format!("{}{}", "<x>".repeat(depth), "</x>".repeat(depth));
        let limits = DocxLimits {
            max_ratio: u64::MAX,
            ..DocxLimits::default()
        };
        let started = std::time::Instant::now();
        let err = read_docx(&doc_with_body(&body), &limits).expect_err("deep");
        assert!(matches!(err, DocxError::TooDeep { .. }), "{err}");
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn too_many_entries_rejected() {
        let names: Vec<String> = (0..20).map(|i| format!("media/{i}.bin")).collect();
        let mut parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        parts.push(("word/document.xml", b"<w:document/>"));
        let limits = DocxLimits {
            max_entries: 10,
            ..DocxLimits::default()
        };
        assert!(matches!(
            read_docx(&zip_of(&parts), &limits),
            Err(DocxError::TooManyEntries {
                count: 21,
                limit: 10
            })
        ));
    }

    #[test]
    fn dtd_rejected() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body></w:document>"#;
        let bytes = zip_of(&[("_rels/.rels", ROOT_RELS), ("word/document.xml", xml)]);
        let err = read_docx(&bytes, &DocxLimits::default()).expect_err("dtd");
        assert!(matches!(err, DocxError::Dtd { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("DTD/entity declarations are not allowed"));
    }

    #[test]
    fn malformed_xml_rejected_with_position() {
        let xml = br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p></w:body></w:document>"#;
        let bytes = zip_of(&[("_rels/.rels", ROOT_RELS), ("word/document.xml", xml)]);
        let err = read_docx(&bytes, &DocxLimits::default()).expect_err("malformed");
        assert!(
            matches!(err, DocxError::MalformedXml { ref part, .. } if part == "word/document.xml"),
            "{err}"
        );
    }

    #[test]
    fn non_word_main_part_rejected() {
        let xml =
            br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>"#;
        let bytes = zip_of(&[("_rels/.rels", ROOT_RELS), ("word/document.xml", xml)]);
        assert!(matches!(
            read_docx(&bytes, &DocxLimits::default()),
            Err(DocxError::NotWordprocessing { .. })
        ));
    }

    #[test]
    fn never_panics_on_mutated_fixtures() {
        // Flip bytes all over a real package: every outcome is fine except a
        // panic.  Deterministic xorshift so failures reproduce.
        let good = fixture("docx/zh_kexie_summary_pythondocx.docx");
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200 {
            let mut bytes = good.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state % bytes.len() as u64) as usize;
                bytes[i] ^= (state >> 32) as u8 | 1;
            }
            let _ = read_docx(&bytes, &DocxLimits::default());
        }
    }
}

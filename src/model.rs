//! The one document model that flows through every stage.
//!
//! Offsets are byte offsets into [`Document::text`] inside the program; they
//! are converted to Unicode scalar offsets only when records are written
//! (see `emit::CharIndex`). Later stages add data but never rewrite offsets.

use serde::Serialize;

/// A half-open byte range into a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    /// The text this span covers. Panics only on a programming error
    /// (a span that is not on char boundaries), which tests guard against.
    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// The file format a document was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Txt,
    Docx,
}

/// Where a document came from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The path as given on the command line (or found by walking a folder).
    pub path: String,
    /// 1-based index of the piece within the file.
    pub piece: usize,
    /// How many pieces the file held.
    pub pieces: usize,
    pub format: Format,
    /// SHA-256 of the file bytes, lowercase hex.
    pub sha256: String,
    /// Character encoding the text was decoded from (`UTF-8`, `GB18030`, …);
    /// for .docx the XML is always UTF-8/16 and this records that.
    pub encoding: String,
    /// The header line that opened this piece (`【篇2】…`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub piece_header: Option<String>,
    /// Byte offset of this piece's text within the decoded file text.
    #[serde(skip)]
    pub offset_in_file: usize,
}

/// A heading and the stretch of text it governs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// 1 = top level (一、 / 第一部分), 2 = （一）, 3 = 1. , 4 = （1）.
    pub level: u8,
    /// The heading text without its leading debris (`>`, spaces).
    pub title: String,
    /// The heading line itself.
    pub heading: Span,
    /// From the heading to the next heading of the same or a higher level.
    pub extent: Span,
}

/// A line of the document (the text between two `\n`), without its line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph {
    pub span: Span,
    /// Index into `Document::sections` of the innermost section holding it.
    pub section: Option<usize>,
    /// True when the paragraph is itself a heading line.
    pub is_heading: bool,
}

/// A sentence: split on 。！？； and line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub span: Span,
    pub paragraph: usize,
}

/// Administrative region a document belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Region {
    pub province: Option<String>,
    pub prefecture: Option<String>,
    pub county: Option<String>,
    pub township: Option<String>,
    /// GB/T 2260 code of the most precise level found.
    pub code: Option<String>,
}

/// How a reported figure is qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Approx {
    #[default]
    Exact,
    MoreThan,
    About,
    AtLeast,
    AtMost,
    LessThan,
}

impl Approx {
    /// Every approximation, in declaration order (the order of their codes
    /// in the digests' spill file).
    pub const ALL: [Approx; 6] = [
        Approx::Exact,
        Approx::MoreThan,
        Approx::About,
        Approx::AtLeast,
        Approx::AtMost,
        Approx::LessThan,
    ];

    /// The name records give it (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Approx::Exact => "exact",
            Approx::MoreThan => "more_than",
            Approx::About => "about",
            Approx::AtLeast => "at_least",
            Approx::AtMost => "at_most",
            Approx::LessThan => "less_than",
        }
    }
}

/// Whether an activity was carried out or is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Planned,
}

impl Status {
    /// The name records give it (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Planned => "planned",
        }
    }
}

/// An explicit calendar expression, as EDTF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateFact {
    /// EDTF: `2024-01-10`, `2024-03`, `20XX`, `XXXX-03-15/XXXX-12-15`.
    pub value: String,
    /// The year came from the document rather than the expression.
    pub year_inferred: bool,
    /// A relative word (`今年`, `去年`): not a calendar date.
    pub relative: bool,
    /// Some digit is a placeholder (`20xx`, `__`).
    pub placeholder: bool,
}

/// A number with a unit or measure word.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountFact {
    /// `None` for a placeholder or vague figure.
    pub value: Option<f64>,
    pub approx: Approx,
    /// Normalized unit (`人次` for `人(次)`), `None` when hidden.
    pub unit: Option<String>,
    pub placeholder: bool,
}

/// A stretch of text reporting or planning an activity of one type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityFact {
    /// A type id from the activity taxonomy.
    pub type_id: String,
    pub status: Status,
}

/// Level of a named place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceLevel {
    Province,
    Prefecture,
    County,
    Township,
    Village,
}

impl PlaceLevel {
    /// The name records give it (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceLevel::Province => "province",
            PlaceLevel::Prefecture => "prefecture",
            PlaceLevel::County => "county",
            PlaceLevel::Township => "township",
            PlaceLevel::Village => "village",
        }
    }
}

/// A place named in the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceFact {
    pub name: String,
    pub level: PlaceLevel,
    /// GB/T 2260 code where the gazetteer resolves it.
    pub code: Option<String>,
}

/// An organization named in the text (科协, 县教科局, 学会, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgFact {
    pub name: String,
    /// Coarse category: `kexie`, `government`, `society`, `school`, `company`, `party`, `other`.
    pub category: String,
}

/// What a fact says.
#[derive(Debug, Clone, PartialEq)]
pub enum FactData {
    Date(DateFact),
    Count(CountFact),
    Activity(ActivityFact),
    Place(PlaceFact),
    Org(OrgFact),
}

impl FactData {
    /// The `kind` field of the record.
    pub fn kind(&self) -> &'static str {
        match self {
            FactData::Date(_) => "date",
            FactData::Count(_) => "count",
            FactData::Activity(_) => "activity",
            FactData::Place(_) => "place",
            FactData::Org(_) => "org",
        }
    }
}

/// One extracted fact with its place in the document text.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub span: Span,
    pub data: FactData,
}

impl Fact {
    pub fn new(span: Span, data: FactData) -> Self {
        Fact { span, data }
    }
    pub fn kind(&self) -> &'static str {
        self.data.kind()
    }
    pub fn as_count(&self) -> Option<&CountFact> {
        match &self.data {
            FactData::Count(c) => Some(c),
            _ => None,
        }
    }
    pub fn as_date(&self) -> Option<&DateFact> {
        match &self.data {
            FactData::Date(d) => Some(d),
            _ => None,
        }
    }
}

/// Severity of an audit finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The severity whose `as u8` is `b` (as the audit's temporary files
    /// store it); an unknown byte reads as `Info`.
    pub fn from_u8(b: u8) -> Severity {
        match b {
            2 => Severity::Error,
            1 => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

/// An audit finding on one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable English rule id (`placeholder_figure`, `sum_mismatch`, …).
    pub rule: &'static str,
    pub severity: Severity,
    /// Chinese message for the person reading the audit.
    pub message: String,
    /// Main span of the finding.
    pub span: Span,
    /// Further spans (the parts of a total, the second statement, …).
    pub related_spans: Vec<Span>,
    /// Indices into `Document::facts` of the facts involved.
    pub facts: Vec<usize>,
    /// Other documents involved (cross-document rules): their doc ids and spans in char offsets.
    pub others: Vec<OtherRef>,
}

/// A reference to a span in another document (char offsets, as written).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherRef {
    pub doc_id: String,
    pub start: usize,
    pub end: usize,
}

/// A document: one piece of one input file, with everything the stages add.
#[derive(Debug, Clone)]
pub struct Document {
    pub doc_id: String,
    pub source: Source,
    pub title: Option<String>,
    pub text: String,
    pub year: Option<i32>,
    /// How `year` was decided: `given`, `text`, or `None`.
    pub year_source: Option<&'static str>,
    pub region: Option<Region>,
    pub sections: Vec<Section>,
    pub paragraphs: Vec<Paragraph>,
    pub sentences: Vec<Sentence>,
    pub facts: Vec<Fact>,
    pub findings: Vec<Finding>,
    /// Every figure of each paragraph as the audit scanned them, kept for
    /// the cross-document index so that the text is scanned once; `None`
    /// before the audit and once the run has taken what it needs.
    pub scanned_figures: Option<Vec<Vec<crate::audit::scan::Figure>>>,
}

impl Document {
    /// Text of a span of this document.
    pub fn slice(&self, span: Span) -> &str {
        span.slice(&self.text)
    }
}

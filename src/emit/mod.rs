//! Writing records: byte offsets become Unicode scalar offsets here, at the
//! boundary, and nowhere else.

pub mod jsonl;

use crate::model::{Document, Fact, FactData, Finding, Span};
use serde_json::{json, Value};

/// Maps byte offsets of one text to Unicode scalar (code point) offsets.
pub struct CharIndex<'a> {
    text: &'a str,
    /// The chars that start before byte `64 * k`, for each block `k`: a
    /// lookup is one load and a count over less than 64 bytes, where a
    /// binary search over checkpoints cost ~270 instructions a fact.
    blocks: Vec<usize>,
}

/// Bytes per block of [`CharIndex`].
const CHAR_INDEX_BLOCK: usize = 64;

/// Chars starting in `bytes` (valid UTF-8 or a slice of it): its bytes that
/// are not continuation bytes (`0b10xx_xxxx`).
fn chars_starting_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl<'a> CharIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut blocks = Vec::with_capacity(text.len() / CHAR_INDEX_BLOCK + 1);
        let mut before = 0;
        blocks.push(0);
        for block in text.as_bytes().chunks(CHAR_INDEX_BLOCK) {
            before += chars_starting_in(block);
            blocks.push(before);
        }
        CharIndex { text, blocks }
    }

    /// Char offset of a byte offset that lies on a char boundary (the
    /// text's length and beyond: its char count).
    pub fn char_of(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        let k = byte / CHAR_INDEX_BLOCK;
        let from = k * CHAR_INDEX_BLOCK;
        self.blocks.get(k).copied().unwrap_or(0)
            + chars_starting_in(&self.text.as_bytes()[from..byte])
    }

    pub fn span(&self, span: Span) -> (usize, usize) {
        (self.char_of(span.start), self.char_of(span.end))
    }
}

/// A stable id for a fact: its document, kind, char span and (for kinds that
/// can share a span) its value.
pub fn fact_id(doc_id: &str, fact: &Fact, start: usize, end: usize) -> String {
    // Pieces pushed, not format!(): one id per fact, and the formatting
    // machinery was 4% of a records-only run's instructions.
    let kind = fact.kind();
    let type_id = match &fact.data {
        FactData::Activity(a) => Some(a.type_id.as_str()),
        _ => None,
    };
    let mut id =
        String::with_capacity(doc_id.len() + kind.len() + type_id.map_or(0, |t| t.len() + 1) + 24);
    let mut num = itoa::Buffer::new();
    id.push_str(doc_id);
    id.push(':');
    id.push_str(kind);
    id.push(':');
    id.push_str(num.format(start));
    id.push('-');
    id.push_str(num.format(end));
    if let Some(t) = type_id {
        id.push(':');
        id.push_str(t);
    }
    id
}

/// The JSON record of one fact (the `facts.jsonl` shape).
pub fn fact_record(doc_id: &str, text: &str, idx: &CharIndex, fact: &Fact) -> Value {
    // Cannot fail: every field is a string, number, bool or null.
    serde_json::to_value(FactRecord::new(doc_id, text, idx, fact)).unwrap_or(Value::Null)
}

/// One `facts.jsonl` record, typed, with its fields in the file's order; a
/// field of another kind of fact is left out (`None`), and `Some(None)` is
/// written as `null`. Serialized directly, not through a `serde_json::Value`
/// map built per fact: building a document's records that way was 9% of a
/// one-core default run.
#[derive(serde::Serialize)]
pub struct FactRecord<'a> {
    fact_id: String,
    doc_id: &'a str,
    kind: &'static str,
    text: &'a str,
    start: usize,
    end: usize,
    value: RecordValue<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    year_inferred: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relative: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approx: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
}

/// A fact record's `value`: text (a date's EDTF, a type id, a name) or a
/// count's amount, written as [`number_value`] writes it.
enum RecordValue<'a> {
    Text(&'a str),
    Number(Option<f64>),
}

impl RecordValue<'_> {
    /// The amount as [`number_value`]'s JSON number reads back.
    fn number(&self) -> Option<f64> {
        match *self {
            RecordValue::Number(Some(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                Some(x as i64 as f64)
            }
            RecordValue::Number(Some(x)) if x.is_finite() => Some(x),
            _ => None,
        }
    }
}

impl serde::Serialize for RecordValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            RecordValue::Text(t) => s.serialize_str(t),
            RecordValue::Number(v) => number_value(v).serialize(s),
        }
    }
}

impl<'a> FactRecord<'a> {
    pub fn new(doc_id: &'a str, text: &'a str, idx: &CharIndex, fact: &'a Fact) -> Self {
        let (start, end) = idx.span(fact.span);
        let mut r = FactRecord {
            fact_id: fact_id(doc_id, fact, start, end),
            doc_id,
            kind: fact.kind(),
            text: fact.span.slice(text),
            start,
            end,
            value: RecordValue::Number(None),
            year_inferred: None,
            relative: None,
            approx: None,
            unit: None,
            placeholder: None,
            status: None,
            level: None,
            code: None,
            category: None,
        };
        match &fact.data {
            FactData::Date(d) => {
                r.value = RecordValue::Text(&d.value);
                r.year_inferred = Some(d.year_inferred);
                r.relative = d.relative.then_some(true);
                r.placeholder = d.placeholder.then_some(true);
            }
            FactData::Count(c) => {
                r.value = RecordValue::Number(c.value);
                r.approx = Some(c.approx.as_str());
                r.unit = Some(c.unit.as_deref());
                r.placeholder = c.placeholder.then_some(true);
            }
            FactData::Activity(a) => {
                r.value = RecordValue::Text(&a.type_id);
                r.status = Some(a.status.as_str());
            }
            FactData::Place(p) => {
                r.value = RecordValue::Text(&p.name);
                r.level = Some(p.level.as_str());
                r.code = Some(p.code.as_deref());
            }
            FactData::Org(o) => {
                r.value = RecordValue::Text(&o.name);
                r.category = Some(&o.category);
            }
        }
        r
    }

    /// The record's line: the same bytes as `serde_json` writes the
    /// struct (a property test holds them equal), written field by field.
    /// Through serde every key and value went through its byte-at-a-time
    /// escaping loop, 9% of a records-only run; here a string without a
    /// byte to escape is copied whole, and where the text lies is known
    /// as it is written.
    pub fn line(&self) -> serde_json::Result<RecordLine> {
        let mut line = String::with_capacity(160 + self.fact_id.len() + 2 * self.text.len());
        line.push_str("{\"fact_id\":");
        push_json_str(&mut line, &self.fact_id);
        line.push_str(",\"doc_id\":");
        push_json_str(&mut line, self.doc_id);
        line.push_str(",\"kind\":");
        push_json_str(&mut line, self.kind);
        let text_start = line.len();
        line.push_str(",\"text\":");
        push_json_str(&mut line, self.text);
        let text_at = Some((text_start, line.len()));
        let mut num = itoa::Buffer::new();
        line.push_str(",\"start\":");
        line.push_str(num.format(self.start));
        line.push_str(",\"end\":");
        line.push_str(num.format(self.end));
        line.push_str(",\"value\":");
        match self.value {
            RecordValue::Text(t) => push_json_str(&mut line, t),
            RecordValue::Number(v) => push_json_number(&mut line, v)?,
        }
        let opt_bool = |line: &mut String, key: &str, v: Option<bool>| {
            if let Some(b) = v {
                line.push_str(key);
                line.push_str(if b { "true" } else { "false" });
            }
        };
        let opt_str = |line: &mut String, key: &str, v: Option<Option<&str>>| {
            if let Some(v) = v {
                line.push_str(key);
                match v {
                    Some(t) => push_json_str(line, t),
                    None => line.push_str("null"),
                }
            }
        };
        opt_bool(&mut line, ",\"year_inferred\":", self.year_inferred);
        opt_bool(&mut line, ",\"relative\":", self.relative);
        opt_str(&mut line, ",\"approx\":", self.approx.map(Some));
        opt_str(&mut line, ",\"unit\":", self.unit);
        opt_bool(&mut line, ",\"placeholder\":", self.placeholder);
        opt_str(&mut line, ",\"status\":", self.status.map(Some));
        opt_str(&mut line, ",\"level\":", self.level.map(Some));
        opt_str(&mut line, ",\"code\":", self.code);
        opt_str(&mut line, ",\"category\":", self.category.map(Some));
        line.push('}');
        Ok(RecordLine { line, text_at })
    }

    /// Its typed fields, as [`FactFields::of`] reads them from its JSON.
    pub fn fields(&self) -> FactFields {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        FactFields {
            fact_id: Some(self.fact_id.clone()),
            kind: self.kind.to_owned(),
            text: self.text.to_owned(),
            start: i64::try_from(self.start).ok(),
            end: i64::try_from(self.end).ok(),
            value_text: match self.value {
                RecordValue::Text(t) => Some(t.to_owned()),
                RecordValue::Number(_) => None,
            },
            value_num: self.value.number(),
            unit: owned(self.unit.flatten()),
            approx: owned(self.approx),
            placeholder: self.placeholder,
            status: owned(self.status),
            year_inferred: self.year_inferred,
            relative: self.relative,
            level: owned(self.level),
            code: owned(self.code.flatten()),
            category: owned(self.category),
        }
    }
}

/// `s` as a JSON string, as `serde_json` writes it: it escapes only
/// control bytes, `"` and `\\`, so a string without them (nearly every
/// one) is copied as it is, and the others are left to `serde_json`.
fn push_json_str(out: &mut String, s: &str) {
    // A fold over every byte, not a search that stops early: the compiler
    // turns it into wide compares.
    let plain = !s.bytes().fold(false, |esc, b| {
        esc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Cannot fail: a str always serializes.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// An amount as [`number_value`] writes it.
fn push_json_number(out: &mut String, v: Option<f64>) -> serde_json::Result<()> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
            out.push_str(itoa::Buffer::new().format(x as i64));
        }
        // Fractions are few: serde_json's own float formatting.
        _ => out.push_str(&serde_json::to_string(&number_value(v))?),
    }
    Ok(())
}

/// Integers print as integers (`3000`, not `3000.0`).
pub fn number_value(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => json!(x as i64),
        Some(x) => json!(x),
        None => Value::Null,
    }
}

/// The JSON record of one document (the `documents.jsonl` shape).
pub fn document_record(doc: &Document, idx: &CharIndex) -> Value {
    let sections: Vec<Value> = doc
        .sections
        .iter()
        .map(|s| {
            let (start, end) = idx.span(s.extent);
            let (_, heading_end) = idx.span(s.heading);
            json!({"level": s.level, "title": s.title, "start": start, "end": end, "heading_end": heading_end})
        })
        .collect();
    json!({
        "doc_id": doc.doc_id,
        "source": doc.source,
        "title": doc.title,
        "text": doc.text,
        "year": doc.year,
        "year_source": doc.year_source,
        "region": doc.region,
        "sections": sections,
        "chars": doc.text.chars().count(),
        "paragraphs": doc.paragraphs.len(),
    })
}

/// The JSON record of one finding (the `findings.jsonl` shape).
pub fn finding_record(doc: &Document, idx: &CharIndex, f: &Finding) -> Value {
    let (start, end) = idx.span(f.span);
    let related: Vec<Value> = f
        .related_spans
        .iter()
        .map(|s| {
            let (a, b) = idx.span(*s);
            json!({"start": a, "end": b, "text": s.slice(&doc.text)})
        })
        .collect();
    let facts: Vec<Value> = f
        .facts
        .iter()
        .filter_map(|&i| doc.facts.get(i))
        .map(|fact| {
            let (a, b) = idx.span(fact.span);
            json!(fact_id(&doc.doc_id, fact, a, b))
        })
        .collect();
    json!({
        "finding_id": format!("{}:{}:{}-{}", doc.doc_id, f.rule, start, end),
        "doc_id": doc.doc_id,
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "start": start,
        "end": end,
        "text": f.span.slice(&doc.text),
        "related": related,
        "facts": facts,
        "others": f.others,
    })
}

/// One record's JSON Lines line (without the newline), serialized once and
/// shared by every sink that writes it.
pub struct RecordLine {
    pub line: String,
    /// Byte range of `,"text":"…"` in `line`, when the record has a text:
    /// the line without that range is the record without its text, which
    /// the store keeps next to a text column of its own.
    text_at: Option<(usize, usize)>,
}

impl RecordLine {
    pub fn new(value: &Value) -> serde_json::Result<RecordLine> {
        let line = serde_json::to_string(value)?;
        let text_at = value
            .get("text")
            .and_then(Value::as_str)
            .and_then(|t| text_range(&line, t));
        Ok(RecordLine { line, text_at })
    }

    /// The line in two pieces that together are the record without its
    /// `text` (the second is empty when the record has none).
    pub fn without_text(&self) -> (&str, &str) {
        match self.text_at {
            // The range lies on ASCII bytes (`,` and the closing `"`), so
            // both slices are on char boundaries; get() keeps that unchecked
            // assumption from ever panicking.
            Some((a, b)) => match (self.line.get(..a), self.line.get(b..)) {
                (Some(x), Some(y)) => (x, y),
                _ => (&self.line, ""),
            },
            None => (&self.line, ""),
        }
    }

    /// [`RecordLine::without_text`] as one string.
    pub fn without_text_string(&self) -> String {
        let (a, b) = self.without_text();
        let mut s = String::with_capacity(a.len() + b.len());
        s.push_str(a);
        s.push_str(b);
        s
    }
}

/// Where `,"text":<text as JSON>` sits in a serialized record. Inside a
/// JSON string every `"` is escaped, so `,"text":` can only be a key; the
/// first one is the top-level key because no record nests an object with a
/// `text` before it. The value is checked, and on any surprise the record
/// is treated as having no text to split off.
fn text_range(line: &str, text: &str) -> Option<(usize, usize)> {
    const KEY: &str = ",\"text\":\"";
    // Built once: a searcher made per call cost more than the search.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(KEY));
    let a = FINDER.find(line.as_bytes())?;
    let v = a + KEY.len() - 1;
    // The string's end: the first `"` not escaped. Inside a JSON string a
    // backslash always starts a two-byte escape (`\"`, `\\`, `\u` + hex),
    // so skipping the byte after each backslash finds it.
    let b = line.as_bytes();
    let mut i = v + 1;
    let mut escapes = false;
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            break;
        }
        escapes = true;
        i += 2;
    }
    let end = i + 1;
    // The check compares the JSON string with the text as it is read, not
    // the text escaped again (re-escaping every text was 4% of a
    // records-only run, most of it for the documents' texts).
    let raw = b.get(v + 1..i)?;
    let same = if escapes {
        json_string_is(raw, text.as_bytes())
    } else {
        raw == text.as_bytes()
    };
    same.then_some((a, end))
}

/// Does the body of a JSON string (between its quotes, escapes as written)
/// read as `text`? Runs without a backslash are compared as bytes; an
/// escape is decoded and compared with the text's next char. Anything
/// unexpected (a bad escape, a surrogate pair) answers `false`, which only
/// keeps the record whole.
fn json_string_is(raw: &[u8], text: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < raw.len() {
        let k = memchr::memchr(b'\\', &raw[i..]).map_or(raw.len(), |k| i + k);
        let run = &raw[i..k];
        if text.get(j..j + run.len()) != Some(run) {
            return false;
        }
        j += run.len();
        i = k;
        if i == raw.len() {
            break;
        }
        let (c, len) = match raw.get(i + 1) {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let hex = raw
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32);
                match hex {
                    Some(c) => (c, 6),
                    None => return false,
                }
            }
            _ => return false,
        };
        let mut buf = [0u8; 4];
        let enc = c.encode_utf8(&mut buf).as_bytes();
        if text.get(j..j + enc.len()) != Some(enc) {
            return false;
        }
        j += enc.len();
        i += len;
    }
    j == text.len()
}

/// Every record of one document, built once: the `documents.jsonl`,
/// `facts.jsonl` and `findings.jsonl` lines the JSON Lines files get and the
/// store reads its columns from.
///
/// Fact records are kept as lines plus their typed fields, not as JSON
/// values: a value tree is about ten times the size of its line, and a
/// document's records wait in the store's queue while the store writer
/// catches up (hundreds of documents on a large run).
pub struct DocRecords {
    pub document: RecordLine,
    pub document_value: Value,
    pub facts: Vec<RecordLine>,
    /// Each fact's typed fields, when asked for (else empty).
    pub fact_fields: Vec<FactFields>,
    pub findings: Vec<RecordLine>,
    pub finding_values: Vec<Value>,
}

impl DocRecords {
    /// The document's records; `fact_fields` says whether to keep each
    /// fact's typed fields too (only the store reads them).
    pub fn build(doc: &Document, fact_fields: bool) -> serde_json::Result<DocRecords> {
        let idx = CharIndex::new(&doc.text);
        let document_value = document_record(doc, &idx);
        let mut facts = Vec::with_capacity(doc.facts.len());
        let mut fields = Vec::with_capacity(if fact_fields { doc.facts.len() } else { 0 });
        for f in &doc.facts {
            let r = FactRecord::new(&doc.doc_id, &doc.text, &idx, f);
            facts.push(r.line()?);
            if fact_fields {
                fields.push(r.fields());
            }
        }
        let finding_values: Vec<Value> = doc
            .findings
            .iter()
            .map(|f| finding_record(doc, &idx, f))
            .collect();
        Ok(DocRecords {
            document: RecordLine::new(&document_value)?,
            document_value,
            facts,
            fact_fields: fields,
            findings: finding_values
                .iter()
                .map(RecordLine::new)
                .collect::<Result<_, _>>()?,
            finding_values,
        })
    }
}

/// The typed fields of a `facts.jsonl` record (absent fields are `None`),
/// taken from its [`FactRecord`] so no JSON value need be kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactFields {
    pub fact_id: Option<String>,
    pub kind: String,
    pub text: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// `value` when it is a string (a date's EDTF).
    pub value_text: Option<String>,
    /// `value` when it is a number (a count's amount).
    pub value_num: Option<f64>,
    pub unit: Option<String>,
    pub approx: Option<String>,
    pub placeholder: Option<bool>,
    pub status: Option<String>,
    pub year_inferred: Option<bool>,
    pub relative: Option<bool>,
    pub level: Option<String>,
    pub code: Option<String>,
    pub category: Option<String>,
}

impl FactFields {
    /// The fields read back from a record's JSON: the reference that
    /// [`FactRecord::fields`] is tested against.
    #[cfg(test)]
    pub fn of(v: &Value) -> FactFields {
        let string = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let boolean = |k: &str| v.get(k).and_then(Value::as_bool);
        let int = |k: &str| v.get(k).and_then(Value::as_i64);
        let (value_text, value_num) = match v.get("value") {
            Some(Value::String(t)) => (Some(t.clone()), None),
            Some(Value::Number(n)) => (None, n.as_f64()),
            _ => (None, None),
        };
        FactFields {
            fact_id: string("fact_id"),
            kind: string("kind").unwrap_or_default(),
            text: string("text").unwrap_or_default(),
            start: int("start"),
            end: int("end"),
            value_text,
            value_num,
            unit: string("unit"),
            approx: string("approx"),
            placeholder: boolean("placeholder"),
            status: string("status"),
            year_inferred: boolean("year_inferred"),
            relative: boolean("relative"),
            level: string("level"),
            code: string("code"),
            category: string("category"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_matches_naive_count() {
        // Texts of every length around the block size, with 1- to 4-byte
        // chars straddling block edges.
        for text in [
            "ab县科协2024年。\u{3000}x".repeat(20),
            String::new(),
            "a".repeat(64),
            "é".repeat(40) + "𠀋" + &"县".repeat(30),
            "𠀋a".repeat(50),
        ] {
            let idx = CharIndex::new(&text);
            for (b, _) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                assert_eq!(idx.char_of(b), text[..b].chars().count(), "{b}");
            }
            assert_eq!(idx.char_of(text.len() + 5), text.chars().count());
        }
    }

    /// Facts of every kind and shape (nulls, left-out fields, non-integral
    /// and placeholder amounts): the typed fields equal those read back
    /// from the record's JSON, and the line is that JSON.
    #[test]
    fn fact_record_fields_are_those_of_its_json() {
        use crate::model::*;
        let text = "2024年3月 约1.5万人次 XX人 培训 县科协 古韩镇";
        let date = |relative, placeholder| DateFact {
            value: "2024-03".into(),
            year_inferred: true,
            relative,
            placeholder,
        };
        let count = |value, unit: Option<&str>, placeholder| CountFact {
            value,
            approx: Approx::About,
            unit: unit.map(String::from),
            placeholder,
        };
        let facts = [
            FactData::Date(date(false, false)),
            FactData::Date(date(true, true)),
            FactData::Count(count(Some(15000.0), Some("人次"), false)),
            FactData::Count(count(Some(1.5), None, false)),
            FactData::Count(count(Some(-0.0), Some("人"), false)),
            FactData::Count(count(None, Some("人"), true)),
            FactData::Activity(ActivityFact {
                type_id: "training".into(),
                status: Status::Planned,
            }),
            FactData::Place(PlaceFact {
                name: "古韩镇".into(),
                level: PlaceLevel::Township,
                code: None,
            }),
            FactData::Place(PlaceFact {
                name: "襄垣县".into(),
                level: PlaceLevel::County,
                code: Some("140423".into()),
            }),
            FactData::Org(OrgFact {
                name: "县科协".into(),
                category: "association".into(),
            }),
        ];
        let idx = CharIndex::new(text);
        for data in facts {
            let fact = Fact::new(Span::new(0, 11), data);
            let r = FactRecord::new("d1", text, &idx, &fact);
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(r.fields(), FactFields::of(&v), "{v}");
            let line = r.line().unwrap();
            assert_eq!(line.line, serde_json::to_string(&v).unwrap());
            assert_eq!(line.text_at, RecordLine::new(&v).unwrap().text_at);
        }
    }

    use proptest::strategy::Strategy as _;

    /// Text with every byte class a record can hold: control bytes,
    /// quotes, backslashes, ASCII, CJK, and a char outside the BMP.
    fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(
            "[\\x00-\\x1f\"\\\\a-z0-9,:{} 科协人次\\u{7f}\\u{2028}😀]{0,24}",
        )
        .unwrap()
    }

    proptest::proptest! {
        #[test]
        fn a_fact_line_is_the_bytes_serde_json_writes(
            fact_id in any_text(),
            body in any_text(),
            value_text in proptest::option::of(any_text()),
            number in proptest::option::of(proptest::prop_oneof![
                proptest::num::f64::ANY,
                (-1.0e16f64..1.0e16).prop_map(f64::trunc),
                proptest::num::i32::ANY.prop_map(f64::from),
            ]),
            start in 0usize..1_000_000,
            len in 0usize..1000,
            flags in proptest::array::uniform3(proptest::option::of(proptest::bool::ANY)),
            unit in proptest::option::of(proptest::option::of(any_text())),
            code in proptest::option::of(proptest::option::of(any_text())),
            category in proptest::option::of(any_text()),
            names in proptest::array::uniform3(proptest::option::of(proptest::sample::select(vec!["at_least", "done", "county", "a\"b"]))),
        ) {
            let r = FactRecord {
                fact_id,
                doc_id: "d\"1",
                kind: "count",
                text: &body,
                start,
                end: start + len,
                value: match &value_text {
                    Some(t) => RecordValue::Text(t),
                    None => RecordValue::Number(number),
                },
                year_inferred: flags[0],
                relative: flags[1],
                approx: names[0],
                unit: unit.as_ref().map(|u| u.as_deref()),
                placeholder: flags[2],
                status: names[1],
                level: names[2],
                code: code.as_ref().map(|c| c.as_deref()),
                category: category.as_deref(),
            };
            let line = r.line().unwrap();
            let want = serde_json::to_string(&r).unwrap();
            proptest::prop_assert_eq!(&line.line, &want);
            proptest::prop_assert_eq!(line.text_at, text_range(&want, &body));
        }
    }

    #[test]
    fn approx_status_and_level_names_are_their_serde_names() {
        use crate::model::*;
        let name = |v: Value| v.as_str().unwrap().to_string();
        for a in Approx::ALL {
            assert_eq!(a.as_str(), name(json!(a)));
        }
        for s in [Status::Done, Status::Planned] {
            assert_eq!(s.as_str(), name(json!(s)));
        }
        for l in [
            PlaceLevel::Province,
            PlaceLevel::Prefecture,
            PlaceLevel::County,
            PlaceLevel::Township,
            PlaceLevel::Village,
        ] {
            assert_eq!(l.as_str(), name(json!(l)));
        }
    }

    #[test]
    fn record_without_text_is_the_record_with_text_removed() {
        let cases = [
            json!({"fact_id": "a:count:1-2", "kind": "count", "text": "3000\"余\\份,\"text\":", "start": 1}),
            json!({"finding_id": "x", "message": ",\"text\":\"no\"", "text": "是", "related": [{"text": "y"}]}),
            json!({"doc_id": "d", "source": {"path": "p"}, "title": null, "text": "正文\n"}),
            json!({"doc_id": "d", "text": ""}),
        ];
        for v in cases {
            let r = RecordLine::new(&v).unwrap();
            assert_eq!(r.line, serde_json::to_string(&v).unwrap());
            let mut want = v.clone();
            want.as_object_mut().unwrap().shift_remove("text");
            assert_eq!(
                r.without_text_string(),
                serde_json::to_string(&want).unwrap()
            );
        }
        // Every char that JSON escapes, alone and among others.
        let mut all: String = (0u8..0x20).map(char::from).collect();
        all.push_str("\"\\/é县\u{7f}\u{2028}");
        for t in [all.clone(), format!("县{all}科协"), "\n".repeat(3)] {
            let v = json!({"doc_id": "d", "text": t});
            let r = RecordLine::new(&v).unwrap();
            assert_eq!(r.without_text_string(), "{\"doc_id\":\"d\"}", "{t:?}");
        }
        // The reader of an escaped string against texts it is not.
        assert!(json_string_is(br#"a\n\u0001\"b"#, "a\n\u{1}\"b".as_bytes()));
        for other in [
            "a\n\u{1}\"",
            "a\n\u{1}\"bc",
            "a \u{1}\"b",
            "a\n\u{2}\"b",
            "",
        ] {
            assert!(
                !json_string_is(br#"a\n\u0001\"b"#, other.as_bytes()),
                "{other:?}"
            );
        }
        for bad in [&br"a\"[..], br"\u00", br"\ud800", br"\q"] {
            assert!(!json_string_is(bad, b"a"), "{bad:?}");
        }
        // No text: the whole line.
        let r = RecordLine::new(&json!({"a": 1})).unwrap();
        assert_eq!(r.without_text(), ("{\"a\":1}", ""));
        // A nested `text` key first (no record has one): the value found
        // there is not the record's text, so nothing is split off.
        for nested in ["x", "x\"y", "y"] {
            let v = json!({"a": {"b": 1, "text": nested}, "text": "y\n"});
            let r = RecordLine::new(&v).unwrap();
            assert_eq!(r.without_text(), (r.line.as_str(), ""), "{nested}");
        }
    }
}

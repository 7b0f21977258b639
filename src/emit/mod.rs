//! Writing records: byte offsets become Unicode scalar offsets here, at the
//! boundary, and nowhere else.

pub mod jsonl;

use crate::model::{Document, Fact, FactData, Finding, Span};
use serde_json::{json, Map, Value};

/// Maps byte offsets of one text to Unicode scalar (code point) offsets.
pub struct CharIndex<'a> {
    text: &'a str,
    /// (byte offset, char offset) checkpoints every 64 chars, so a lookup
    /// walks at most 64 chars.
    marks: Vec<(usize, usize)>,
}

impl<'a> CharIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut marks = Vec::with_capacity(text.len() / 64 + 1);
        for (ci, (bi, _)) in text.char_indices().enumerate() {
            if ci % 64 == 0 {
                marks.push((bi, ci));
            }
        }
        CharIndex { text, marks }
    }

    /// Char offset of a byte offset that lies on a char boundary.
    pub fn char_of(&self, byte: usize) -> usize {
        let i = self.marks.partition_point(|&(b, _)| b <= byte);
        if i == 0 {
            return 0;
        }
        let (b0, c0) = self.marks[i - 1];
        c0 + self.text[b0..byte.min(self.text.len())].chars().count()
    }

    pub fn span(&self, span: Span) -> (usize, usize) {
        (self.char_of(span.start), self.char_of(span.end))
    }
}

/// A stable id for a fact: its document, kind, char span and (for kinds that
/// can share a span) its value.
pub fn fact_id(doc_id: &str, fact: &Fact, start: usize, end: usize) -> String {
    match &fact.data {
        FactData::Activity(a) => format!("{doc_id}:{}:{start}-{end}:{}", fact.kind(), a.type_id),
        _ => format!("{doc_id}:{}:{start}-{end}", fact.kind()),
    }
}

/// The JSON record of one fact (the `facts.jsonl` shape).
pub fn fact_record(doc_id: &str, text: &str, idx: &CharIndex, fact: &Fact) -> Value {
    let (start, end) = idx.span(fact.span);
    let mut m = Map::new();
    m.insert("fact_id".into(), json!(fact_id(doc_id, fact, start, end)));
    m.insert("doc_id".into(), json!(doc_id));
    m.insert("kind".into(), json!(fact.kind()));
    m.insert("text".into(), json!(fact.span.slice(text)));
    m.insert("start".into(), json!(start));
    m.insert("end".into(), json!(end));
    match &fact.data {
        FactData::Date(d) => {
            m.insert("value".into(), json!(d.value));
            m.insert("year_inferred".into(), json!(d.year_inferred));
            if d.relative {
                m.insert("relative".into(), json!(true));
            }
            if d.placeholder {
                m.insert("placeholder".into(), json!(true));
            }
        }
        FactData::Count(c) => {
            m.insert("value".into(), number_value(c.value));
            m.insert("approx".into(), json!(c.approx));
            m.insert("unit".into(), json!(c.unit));
            if c.placeholder {
                m.insert("placeholder".into(), json!(true));
            }
        }
        FactData::Activity(a) => {
            m.insert("value".into(), json!(a.type_id));
            m.insert("status".into(), json!(a.status));
        }
        FactData::Place(p) => {
            m.insert("value".into(), json!(p.name));
            m.insert("level".into(), json!(p.level));
            m.insert("code".into(), json!(p.code));
        }
        FactData::Org(o) => {
            m.insert("value".into(), json!(o.name));
            m.insert("category".into(), json!(o.category));
        }
    }
    Value::Object(m)
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
    const KEY: &str = ",\"text\":";
    let a = line.find(KEY)?;
    let escaped = serde_json::to_string(text).ok()?;
    let v = a + KEY.len();
    line.get(v..)?
        .starts_with(&escaped)
        .then(|| (a, v + escaped.len()))
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
    pub fact_fields: Vec<FactFields>,
    pub findings: Vec<RecordLine>,
    pub finding_values: Vec<Value>,
}

impl DocRecords {
    pub fn build(doc: &Document) -> serde_json::Result<DocRecords> {
        let idx = CharIndex::new(&doc.text);
        let document_value = document_record(doc, &idx);
        let mut facts = Vec::with_capacity(doc.facts.len());
        let mut fact_fields = Vec::with_capacity(doc.facts.len());
        for f in &doc.facts {
            let v = fact_record(&doc.doc_id, &doc.text, &idx, f);
            facts.push(RecordLine::new(&v)?);
            fact_fields.push(FactFields::of(&v));
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
            fact_fields,
            findings: finding_values
                .iter()
                .map(RecordLine::new)
                .collect::<Result<_, _>>()?,
            finding_values,
        })
    }
}

/// The typed fields of a `facts.jsonl` record (absent fields are `None`),
/// taken from its JSON value so the value itself need not be kept.
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
        let text = "ab县科协2024年。\u{3000}x".repeat(20);
        let idx = CharIndex::new(&text);
        for (b, _) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            assert_eq!(idx.char_of(b), text[..b].chars().count());
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
        // No text: the whole line.
        let r = RecordLine::new(&json!({"a": 1})).unwrap();
        assert_eq!(r.without_text(), ("{\"a\":1}", ""));
    }
}

//! The readable audit report: `audit/index.html` (one self-contained file,
//! no network, severity filter) and `audit/audit.md`, grouped by document
//! and by rule, each finding with its source sentence and the offending
//! text highlighted. Everything taken from documents is escaped: documents
//! are hostile input.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::cross::CrossFinding;

use super::spill::{put_str, put_u32, put_u64, Reader, Sorter};
use super::{rule_name, Ctx, RULES};
use crate::emit::CharIndex;
use crate::model::{Document, Severity};

/// Longest source excerpt shown around a finding, in chars.
const MAX_CONTEXT: usize = 160;

/// One finding as shown in the report.
#[derive(Debug, Clone)]
pub struct Item {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Char offsets of the finding in its document.
    pub start: usize,
    pub end: usize,
    /// The source sentence split around the offending text.
    pub before: String,
    pub marked: String,
    pub after: String,
    /// Other documents involved (cross-document rules): doc ids.
    pub others: Vec<String>,
}

/// A document of the report: what its heading and links show.
#[derive(Debug, Clone, Default)]
pub struct DocEntry {
    pub doc_id: String,
    pub path: String,
    pub title: String,
    pub year: Option<i32>,
}

/// Memory each of the report's sorters may hold before it writes to its
/// temporary file.
const SPILL_BUDGET: usize = 2 << 20;

/// What the report gathers during a run: every document's heading and the
/// findings of documents that have some, per file of the report (HTML,
/// Markdown) in a [`Part`], so memory holds bounded buffers and a few bytes
/// per document whatever the corpus, and the two files are written at once
/// on two threads. The counts the report opens with are kept as items
/// arrive.
pub struct Report {
    /// HTML, then Markdown (indexed by [`Format`]).
    parts: [Part; 2],
    /// Hash of a document id → its place.
    ids: HashMap<u64, u32>,
    entries: u32,
    /// Places that have at least one item (a bit each).
    with_items: Vec<u64>,
    per_rule: BTreeMap<&'static str, usize>,
    sev: [usize; 3],
    pub documents_seen: usize,
    dir: PathBuf,
    /// The first error writing temporary files, reported by `write`.
    err: Option<std::io::Error>,
    buf: Vec<u8>,
    snippet: String,
}

/// One file of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html = 0,
    Markdown = 1,
}

const FORMATS: [Format; 2] = [Format::Html, Format::Markdown];

/// What one file of the report needs, in sorters keyed by the document's
/// place (the order its id was first seen) and by rule.
struct Part {
    /// Payloads: a heading ([`TAG_DOC`]) when an id is first seen, then
    /// that document's items, rendered in this format ([`TAG_RENDERED`])
    /// or not ([`TAG_ITEM`]), cross-document ones last.
    items: Sorter<1>,
    /// The entries of the by-rule sections, keyed by the rule's place in
    /// [`RULES`]: a document's own items are pushed as it is observed, the
    /// cross-document ones when the report is written.
    by_rule: Sorter<1>,
}

impl Part {
    fn new(dir: &Path, format: Format, budget: usize) -> Self {
        let (items, by_rule) = match format {
            Format::Html => (".audit-items-html.tmp", ".audit-by-rule-html.tmp"),
            Format::Markdown => (".audit-items-md.tmp", ".audit-by-rule-md.tmp"),
        };
        Part {
            items: Sorter::new(dir, items, budget),
            by_rule: Sorter::new(dir, by_rule, budget),
        }
    }
}

/// The counts the report opens with.
struct Totals {
    documents_seen: usize,
    with_items: usize,
    per_rule: BTreeMap<&'static str, usize>,
    sev: [usize; 3],
}

const TAG_DOC: u8 = 0;
const TAG_ITEM: u8 = 1;
/// An item already rendered for the by-document section, in its part's format.
const TAG_RENDERED: u8 = 2;

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

fn take_chars(s: &str, n: usize, from_end: bool) -> String {
    let count = s.chars().count();
    if count <= n {
        return s.to_string();
    }
    if from_end {
        format!("…{}", s.chars().skip(count - n).collect::<String>())
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn sev_str(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn sev_cn(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same on every run.
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

fn encode_doc(b: &mut Vec<u8>, d: &DocEntry) {
    b.clear();
    b.push(TAG_DOC);
    put_str(b, &d.doc_id);
    put_str(b, &d.path);
    put_str(b, &d.title);
    b.push(d.year.is_some() as u8);
    put_u32(b, d.year.unwrap_or(0) as u32);
}

fn encode_item(b: &mut Vec<u8>, it: &Item) {
    b.clear();
    b.push(TAG_ITEM);
    put_str(b, &it.rule);
    b.push(it.severity as u8);
    put_str(b, &it.message);
    put_u64(b, it.start as u64);
    put_u64(b, it.end as u64);
    put_str(b, &it.before);
    put_str(b, &it.marked);
    put_str(b, &it.after);
    put_u32(b, it.others.len() as u32);
    for o in &it.others {
        put_str(b, o);
    }
}

fn encode_rendered(b: &mut Vec<u8>, text: &str) {
    b.clear();
    b.push(TAG_RENDERED);
    put_str(b, text);
}

enum Decoded {
    Doc(DocEntry),
    Item(Item),
    /// This format's text, as stored (valid UTF-8: it was a `str`).
    Rendered(Vec<u8>),
}

fn decode(b: &[u8]) -> Decoded {
    let mut r = Reader::new(b);
    let tag = r.u8();
    if tag == TAG_RENDERED {
        return Decoded::Rendered(r.bytes().to_vec());
    }
    if tag == TAG_DOC {
        let doc_id = r.str().to_string();
        let path = r.str().to_string();
        let title = r.str().to_string();
        let has_year = r.u8() == 1;
        let year = r.u32() as i32;
        return Decoded::Doc(DocEntry {
            doc_id,
            path,
            title,
            year: has_year.then_some(year),
        });
    }
    let rule = r.str().to_string();
    let severity = Severity::from_u8(r.u8());
    let message = r.str().to_string();
    let start = r.u64() as usize;
    let end = r.u64() as usize;
    let before = r.str().to_string();
    let marked = r.str().to_string();
    let after = r.str().to_string();
    let n = r.u32() as usize;
    let others = (0..n).map(|_| r.str().to_string()).collect();
    Decoded::Item(Item {
        rule,
        severity,
        message,
        start,
        end,
        before,
        marked,
        after,
        others,
    })
}

impl Report {
    /// A report whose temporary files, if it needs any, go to the system's
    /// temporary folder.
    pub fn new() -> Self {
        Self::with_spill_dir(&std::env::temp_dir())
    }

    /// A report whose temporary files go to `dir` (the run's output folder).
    pub fn with_spill_dir(dir: &Path) -> Self {
        Self::with_budget(dir, SPILL_BUDGET)
    }

    /// `budget`: memory of each sorter before it spills.
    fn with_budget(dir: &Path, budget: usize) -> Self {
        Report {
            parts: FORMATS.map(|f| Part::new(dir, f, budget)),
            ids: HashMap::new(),
            entries: 0,
            with_items: Vec::new(),
            per_rule: BTreeMap::new(),
            sev: [0; 3],
            documents_seen: 0,
            dir: dir.to_path_buf(),
            err: None,
            buf: Vec::new(),
            snippet: String::new(),
        }
    }

    fn keep(&mut self, r: std::io::Result<()>) {
        if let (Err(e), None) = (r, &self.err) {
            self.err = Some(e);
        }
    }

    /// The place of a document id, its heading stored when first seen.
    fn entry(&mut self, doc_id: &str, head: impl FnOnce() -> DocEntry) -> u32 {
        self.entry_new(doc_id, head).0
    }

    /// [`Report::entry`], and whether the id was new (so `head()` is the
    /// heading the report shows).
    fn entry_new(&mut self, doc_id: &str, head: impl FnOnce() -> DocEntry) -> (u32, bool) {
        let h = id_hash(doc_id);
        if let Some(&i) = self.ids.get(&h) {
            return (i, false);
        }
        let i = self.entries;
        self.entries += 1;
        self.ids.insert(h, i);
        let mut b = std::mem::take(&mut self.buf);
        encode_doc(&mut b, &head());
        self.push_to_both(i, &b);
        self.buf = b;
        (i, true)
    }

    /// Count an item in the totals the report opens with.
    fn count_item(&mut self, i: u32, it: &Item) {
        let key = RULES
            .iter()
            .find(|r| r.0 == it.rule)
            .map_or("other", |r| r.0);
        *self.per_rule.entry(key).or_default() += 1;
        self.sev[it.severity as usize] += 1;
        let w = i as usize / 64;
        if self.with_items.len() <= w {
            self.with_items.resize(w + 1, 0);
        }
        self.with_items[w] |= 1 << (i % 64);
    }

    /// Push one payload to both parts' items at place `i`.
    fn push_to_both(&mut self, i: u32, payload: &[u8]) {
        for f in FORMATS {
            let r = self.parts[f as usize].items.push([i], payload);
            self.keep(r);
        }
    }

    fn push_item(&mut self, i: u32, it: &Item) {
        self.count_item(i, it);
        let mut b = std::mem::take(&mut self.buf);
        encode_item(&mut b, it);
        self.push_to_both(i, &b);
        self.buf = b;
    }

    /// Push an item of the document with heading `head`, rendered now in
    /// each format as [`write_part`] would render it: the by-document
    /// entry to the part's items, the by-rule one to its sorter. Rendering is most of the
    /// report's work, and done here it runs while the run goes on, not in
    /// the serial tail after the last document.
    fn push_rendered(&mut self, i: u32, it: &Item, head: &DocEntry) {
        self.count_item(i, it);
        let mut snippet = std::mem::take(&mut self.snippet);
        let mut b = std::mem::take(&mut self.buf);
        for f in FORMATS {
            let part = &mut self.parts[f as usize];
            let r = push_by_rule(&mut part.by_rule, f, &mut snippet, it, head);
            self.keep(r);
            snippet.clear();
            render_item(f, &mut snippet, it, None);
            encode_rendered(&mut b, &snippet);
            let r = self.parts[f as usize].items.push([i], &b);
            self.keep(r);
        }
        self.buf = b;
        self.snippet = snippet;
    }

    /// Record a document's own findings with their sentences.
    pub fn observe(&mut self, doc: &Document) {
        self.documents_seen += 1;
        // Every document gets a small entry so that cross-document findings
        // found later can name its path and title.
        let head = DocEntry {
            doc_id: doc.doc_id.clone(),
            path: doc.source.path.clone(),
            title: doc.title.clone().unwrap_or_else(|| doc.source.path.clone()),
            year: doc.year,
        };
        let (i, fresh) = self.entry_new(&doc.doc_id, || head.clone());
        if doc.findings.is_empty() {
            return;
        }
        let ctx = Ctx {
            doc,
            text: &doc.text,
            scanned: Vec::new(),
            wrapped: Vec::new(),
            dates: Vec::new(),
        };
        let idx = CharIndex::new(&doc.text);
        for f in &doc.findings {
            let sent = ctx.sentence_of(f.span.start);
            let s0 = sent.start.min(f.span.start);
            let s1 = sent.end.max(f.span.end);
            let (start, end) = idx.span(f.span);
            let it = Item {
                rule: f.rule.to_string(),
                severity: f.severity,
                message: f.message.clone(),
                start,
                end,
                before: take_chars(
                    doc.text.get(s0..f.span.start).unwrap_or(""),
                    MAX_CONTEXT / 2,
                    true,
                ),
                marked: take_chars(doc.slice(f.span), MAX_CONTEXT, false),
                after: take_chars(
                    doc.text.get(f.span.end..s1).unwrap_or(""),
                    MAX_CONTEXT / 2,
                    false,
                ),
                others: Vec::new(),
            };
            // An id seen before (not in a run, whose ids are unique) keeps
            // the heading it was first given: rendered when written.
            if fresh {
                self.push_rendered(i, &it, &head);
            } else {
                self.push_item(i, &it);
            }
        }
    }

    /// Add cross-document records (their documents were observed before).
    pub fn add_cross(&mut self, records: &[CrossFinding]) {
        for r in records {
            let i = self.entry(&r.doc_id, || DocEntry {
                doc_id: r.doc_id.clone(),
                path: String::new(),
                title: r.doc_id.clone(),
                year: None,
            });
            let it = Item {
                rule: r.rule.clone(),
                severity: r.severity,
                message: r.message.clone(),
                start: r.start as usize,
                end: r.end as usize,
                before: String::new(),
                marked: r.text.clone(),
                after: String::new(),
                others: r.others.iter().map(|o| o.doc_id.clone()).collect(),
            };
            self.push_item(i, &it);
        }
    }

    /// The counts the report opens with; the parts are left to write.
    fn totals(&mut self) -> Totals {
        Totals {
            documents_seen: self.documents_seen,
            with_items: self
                .with_items
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum(),
            per_rule: std::mem::take(&mut self.per_rule),
            sev: self.sev,
        }
    }

    /// Take what the report gathered: the counts and the two parts.
    fn take(&mut self) -> std::io::Result<(Totals, [Part; 2])> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        let parts = std::mem::replace(&mut self.parts, FORMATS.map(|f| Part::new(&self.dir, f, 0)));
        Ok((self.totals(), parts))
    }

    /// The HTML and Markdown reports as strings (for tests and tools).
    /// Consumes what the report gathered.
    pub fn render(&mut self) -> std::io::Result<(String, String)> {
        let (totals, [html, markdown]) = self.take()?;
        let (mut h, mut m) = (Vec::new(), Vec::new());
        write_part(Format::Html, html, &totals, &mut h)?;
        write_part(Format::Markdown, markdown, &totals, &mut m)?;
        let text = |b: Vec<u8>| String::from_utf8(b).map_err(std::io::Error::other);
        Ok((text(h)?, text(m)?))
    }

    /// Write `dir/index.html` and `dir/audit.md`, each under its name +
    /// `.tmp` until complete, then fsync and rename (as
    /// [`crate::batch::write_atomic`], without holding the text). The two
    /// are written at once, on this thread and one more: this is serial
    /// work after the last document, and one file alone left a core idle.
    pub fn write(&mut self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let (totals, [html, markdown]) = self.take()?;
        let write_file = |format: Format, part: Part, name: &str| {
            let mut file = Streamed::create(&dir.join(name))?;
            write_part(format, part, &totals, &mut file.w)?;
            file.finish()
        };
        std::thread::scope(|scope| {
            let md = scope.spawn(|| write_file(Format::Markdown, markdown, "audit.md"));
            let html = write_file(Format::Html, html, "index.html");
            let md = md
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            html.and(md)
        })
    }
}

/// Write one file of the report from its part, in one pass over the stored
/// items: the by-document section as they come, the by-rule section from a
/// second sort of the rendered items.
fn write_part<W: std::io::Write>(
    format: Format,
    part: Part,
    totals: &Totals,
    w: &mut W,
) -> std::io::Result<()> {
    let Part { items, mut by_rule } = part;
    preamble(format, totals, w)?;
    // What ends a document's block or a rule's.
    let close = match format {
        Format::Html => "</ul></details>\n",
        Format::Markdown => "\n",
    };

    // By document, as the items come; each item not yet rendered has its
    // by-rule entry rendered too, to the by-rule sorter.
    let mut merged = items.into_merged()?;
    let mut payload = Vec::new();
    let mut cur: Option<u32> = None;
    let mut head = DocEntry::default();
    let mut list: Vec<Decoded> = Vec::new();
    let mut snippet = String::new();
    loop {
        let next = merged.next_into(&mut payload)?;
        let place = next.map(|k| k[0]);
        if place != cur {
            if !list.is_empty() {
                doc_open(format, w, &head, list.len())?;
                for listed in &list {
                    match listed {
                        Decoded::Rendered(text) => {
                            w.write_all(text)?;
                        }
                        Decoded::Item(it) => {
                            snippet.clear();
                            render_item(format, &mut snippet, it, None);
                            w.write_all(snippet.as_bytes())?;
                            push_by_rule(&mut by_rule, format, &mut snippet, it, &head)?;
                        }
                        Decoded::Doc(_) => {}
                    }
                }
                w.write_all(close.as_bytes())?;
            }
            list.clear();
            head = DocEntry::default();
            cur = place;
        }
        if next.is_none() {
            break;
        }
        match decode(&payload) {
            Decoded::Doc(d) => head = d,
            listed => list.push(listed),
        }
    }
    drop(merged);

    w.write_all(
        match format {
            Format::Html => "<h2>按规则</h2>\n",
            Format::Markdown => "## 按规则\n\n",
        }
        .as_bytes(),
    )?;
    let mut merged = by_rule.into_merged()?;
    let mut open: Option<u32> = None;
    while let Some([ri]) = merged.next_into(&mut payload)? {
        if open != Some(ri) {
            if open.is_some() {
                w.write_all(close.as_bytes())?;
            }
            let (id, _, name) = RULES[ri as usize];
            let n = totals.per_rule.get(id).copied().unwrap_or(0);
            match format {
                Format::Html => write!(
                    w,
                    "<details class=\"rule\" id=\"rule-{id}\"><summary><strong>{name}</strong> <code>{id}</code> · {n} 条</summary>\n<ul>\n"
                ),
                Format::Markdown => writeln!(w, "### {name}（`{id}`）· {n} 条\n"),
            }?;
            open = Some(ri);
        }
        // Entries were rendered as str and are copied as they were stored.
        w.write_all(&payload)?;
    }
    if open.is_some() {
        w.write_all(close.as_bytes())?;
    }
    if format == Format::Html {
        w.write_all("<script>\n".as_bytes())?;
        w.write_all(JS.as_bytes())?;
        w.write_all("</script>\n</body></html>\n".as_bytes())?;
    }
    Ok(())
}

/// The report's opening: title, counts, the rules table, and the heading
/// of the by-document section.
fn preamble<W: std::io::Write>(format: Format, t: &Totals, w: &mut W) -> std::io::Result<()> {
    let sev = t.sev;
    let total = sev.iter().sum::<usize>();
    let summary = format!(
        "共审查文档 {} 篇，其中 {} 篇有问题；发现问题 {} 条：错误 {} 条，警告 {} 条，提示 {} 条。",
        t.documents_seen, t.with_items, total, sev[2], sev[1], sev[0]
    );
    let count = |id: &str| t.per_rule.get(id).copied().unwrap_or(0);
    if format == Format::Markdown {
        w.write_all("# 数字审计报告\n\n".as_bytes())?;
        writeln!(w, "{summary}\n")?;
        w.write_all(
            "## 规则一览\n\n| 规则 | 编号 | 严重程度 | 条数 |\n| --- | --- | --- | --- |\n"
                .as_bytes(),
        )?;
        for (id, s, name) in RULES {
            writeln!(w, "| {name} | `{id}` | {} | {} |", sev_cn(*s), count(id))?;
        }
        return w.write_all("\n## 按文档\n\n".as_bytes());
    }
    w.write_all("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>数字审计报告</title>\n<style>\n".as_bytes())?;
    w.write_all(CSS.as_bytes())?;
    w.write_all("</style></head><body>\n<h1>数字审计报告</h1>\n".as_bytes())?;
    writeln!(w, "<p class=\"summary\">{summary}</p>")?;
    w.write_all("<form id=\"filter\"><strong>按严重程度筛选：</strong>\n".as_bytes())?;
    for s in [Severity::Error, Severity::Warning, Severity::Info] {
        writeln!(
            w,
            "<label><input type=\"checkbox\" value=\"{0}\" checked> <span class=\"badge {0}\">{1}</span></label>",
            sev_str(s),
            sev_cn(s)
        )?;
    }
    w.write_all("</form>\n<h2>规则一览</h2>\n<table><tr><th>规则</th><th>编号</th><th>严重程度</th><th>条数</th></tr>\n".as_bytes())?;
    for (id, s, name) in RULES {
        writeln!(
            w,
            "<tr><td><a href=\"#rule-{id}\">{name}</a></td><td><code>{id}</code></td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
            sev_str(*s),
            sev_cn(*s),
            count(id)
        )?;
    }
    w.write_all("</table>\n<h2>按文档</h2>\n".as_bytes())
}

/// The heading of a document's block in the by-document section.
fn doc_open<W: std::io::Write>(
    format: Format,
    w: &mut W,
    head: &DocEntry,
    n: usize,
) -> std::io::Result<()> {
    let year = head.year.map(|y| format!(" · {y}年")).unwrap_or_default();
    match format {
        Format::Html => write!(
            w,
            "<details open class=\"doc\" id=\"doc-{}\"><summary><strong>{}</strong> <span class=\"meta\">{}{year} · {n} 条</span></summary>\n<ul>\n",
            esc(&head.doc_id),
            esc(&head.title),
            esc(&head.path),
        ),
        Format::Markdown => writeln!(
            w,
            "### {}\n\n`{}`{year} · {n} 条\n",
            md(&head.title),
            md_code(&head.path),
        ),
    }
}

/// A file written as it is produced, under its name + `.tmp`.
struct Streamed {
    path: PathBuf,
    tmp: PathBuf,
    w: std::io::BufWriter<std::fs::File>,
}

impl Streamed {
    fn create(path: &Path) -> std::io::Result<Self> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = std::fs::File::create(&tmp)?;
        Ok(Streamed {
            path: path.to_path_buf(),
            tmp,
            w: std::io::BufWriter::with_capacity(256 * 1024, file),
        })
    }

    fn finish(self) -> std::io::Result<()> {
        let file = self.w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)
    }
}

/// An item's entry in the by-rule section of one format (naming its
/// document), pushed keyed by its rule; an item of a rule that is not
/// listed has none.
fn push_by_rule(
    by_rule: &mut Sorter<1>,
    format: Format,
    snippet: &mut String,
    it: &Item,
    head: &DocEntry,
) -> std::io::Result<()> {
    if let Some(ri) = RULES.iter().position(|r| r.0 == it.rule) {
        snippet.clear();
        render_item(format, snippet, it, Some(head));
        by_rule.push([ri as u32], snippet.as_bytes())?;
    }
    Ok(())
}

/// An item as a list entry of `format`, naming its document if given,
/// appended to `w`. Written piece by piece, text escaped straight into `w`:
/// through `write!` and an escaped copy per field this was ~8,000
/// instructions an item, and the report renders every item twice per format
/// (by document, by rule).
fn render_item(format: Format, w: &mut String, it: &Item, doc: Option<&DocEntry>) {
    match format {
        Format::Html => item_html(w, it, doc),
        Format::Markdown => item_md(w, it, doc),
    }
}

fn push_int(w: &mut String, n: usize) {
    w.push_str(itoa::Buffer::new().format(n));
}

fn item_html(h: &mut String, it: &Item, doc: Option<&DocEntry>) {
    let sev = sev_str(it.severity);
    h.push_str("<li class=\"finding ");
    h.push_str(sev);
    h.push_str("\"><span class=\"badge ");
    h.push_str(sev);
    h.push_str("\">");
    h.push_str(sev_cn(it.severity));
    h.push_str("</span> <span class=\"rule-name\">");
    esc_into(rule_name(&it.rule), h);
    h.push_str("</span> <code>");
    esc_into(&it.rule, h);
    h.push_str("</code>");
    if let Some(d) = doc {
        h.push_str(" · <a href=\"#doc-");
        esc_into(&d.doc_id, h);
        h.push_str("\">");
        esc_into(&d.title, h);
        h.push_str("</a>");
    }
    h.push_str(" <span class=\"pos\">第");
    push_int(h, it.start);
    h.push('–');
    push_int(h, it.end);
    h.push_str("字</span><div class=\"msg\">");
    esc_into(&it.message, h);
    h.push_str("</div><blockquote>");
    esc_into(&it.before, h);
    h.push_str("<mark>");
    esc_into(&it.marked, h);
    h.push_str("</mark>");
    esc_into(&it.after, h);
    h.push_str("</blockquote>");
    if !it.others.is_empty() {
        h.push_str("<div class=\"others\">涉及文档：");
        for o in &it.others {
            h.push_str("<a href=\"#doc-");
            let at = h.len();
            esc_into(o, h);
            let escaped = h[at..].to_string();
            h.push_str("\"><code>");
            h.push_str(&escaped);
            h.push_str("</code></a> ");
        }
        h.push_str("</div>");
    }
    h.push_str("</li>\n");
}

fn item_md(m: &mut String, it: &Item, doc: Option<&DocEntry>) {
    m.push_str("- **");
    m.push_str(sev_cn(it.severity));
    m.push_str("** ");
    m.push_str(rule_name(&it.rule));
    m.push_str("（`");
    md_code_into(&it.rule, m);
    m.push_str("`）");
    if let Some(d) = doc {
        m.push_str(" · ");
        md_into(&d.title, m);
    }
    m.push_str(" · 第");
    push_int(m, it.start);
    m.push('–');
    push_int(m, it.end);
    m.push_str("字：");
    md_into(&it.message, m);
    m.push_str("\n  > ");
    md_into(&it.before, m);
    m.push_str("**");
    md_into(&it.marked, m);
    m.push_str("**");
    md_into(&it.after, m);
    m.push('\n');
    if !it.others.is_empty() {
        m.push_str("  涉及文档：");
        for (i, o) in it.others.iter().enumerate() {
            if i > 0 {
                m.push('、');
            }
            m.push('`');
            md_code_into(o, m);
            m.push('`');
        }
        m.push('\n');
    }
}

/// HTML-escape text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    esc_into(s, &mut o);
    o
}

/// [`esc`] appended to `o`.
fn esc_into(s: &str, o: &mut String) {
    escape_runs(s, o, &HTML_SPECIAL, esc_char);
}

/// One char of [`esc`], escaped onto `o`.
fn esc_char(c: char, o: &mut String) {
    match c {
        '&' => o.push_str("&amp;"),
        '<' => o.push_str("&lt;"),
        '>' => o.push_str("&gt;"),
        '"' => o.push_str("&quot;"),
        '\'' => o.push_str("&#39;"),
        '\n' | '\r' => o.push(' '),
        c if c.is_control() => {}
        c => o.push(c),
    }
}

/// Bytes that start a char [`esc`] looks at (see [`escape_runs`]).
const HTML_SPECIAL: [bool; 256] = special_bytes(b"&<>\"'");

/// Bytes that start a char [`md`] looks at (see [`escape_runs`]).
const MD_SPECIAL: [bool; 256] = special_bytes(b"\\`*_{}[]()#+!|~>-<&");

/// A byte table for [`escape_runs`]: `marks`, the C0 bytes, DEL and 0xC2
/// (the lead byte of the C1 controls).
const fn special_bytes(marks: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[0x7F] = true;
    t[0xC2] = true;
    let mut k = 0;
    while k < marks.len() {
        t[marks[k] as usize] = true;
        k += 1;
    }
    t
}

/// `s` onto `o`, runs of ordinary chars copied as they are and each other
/// char handed to `special`. A char is ordinary when its first byte is not
/// marked in `bytes` (one load a byte): the C0 bytes, DEL and the C1 chars
/// (lead byte 0xC2) are always marked, so `special` decides about them; so
/// are a few other chars led by 0xC2, which it pushes as they are. Most
/// text is CJK, which this copies a run at a time instead of a char at a
/// time (the escapers were a third of the audit report's writing).
fn escape_runs(
    s: &str,
    o: &mut String,
    bytes: &[bool; 256],
    mut special: impl FnMut(char, &mut String),
) {
    let b = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if bytes[usize::from(x)] {
            o.push_str(&s[run..i]);
            let c = s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            special(c, o);
            i += c.len_utf8();
            run = i;
        } else {
            i += 1;
        }
    }
    o.push_str(&s[run..]);
}

/// Markdown-escape document text (no markup, no HTML, one line).
pub fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    md_into(s, &mut o);
    o
}

/// [`md`] appended to `o`.
fn md_into(s: &str, o: &mut String) {
    escape_runs(s, o, &MD_SPECIAL, md_char);
}

/// One char of [`md`], escaped onto `o`.
fn md_char(c: char, o: &mut String) {
    match c {
        '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
        | '~' | '>' | '-' => {
            o.push('\\');
            o.push(c);
        }
        '<' => o.push_str("&lt;"),
        '&' => o.push_str("&amp;"),
        '\n' | '\r' => o.push(' '),
        c if c.is_control() => {}
        c => o.push(c),
    }
}

/// Text inside a code span: backticks cannot be escaped there, and angle
/// brackets are swapped for full-width ones so no renderer sees a tag.
fn md_code(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    md_code_into(s, &mut o);
    o
}

/// [`md_code`] appended to `o`.
fn md_code_into(s: &str, o: &mut String) {
    o.extend(s.chars().map(|c| match c {
        '`' => '\'',
        '<' => '＜',
        '>' => '＞',
        c if c.is_control() => ' ',
        c => c,
    }));
}

const CSS: &str = r#"body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222;line-height:1.6}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:.85em;color:#fff}
.badge.error{background:#c0392b}.badge.warning{background:#d68910}.badge.info{background:#2e86c1}
li.finding{margin:.6em 0;list-style:none;border-left:3px solid #ddd;padding-left:.6em}
li.finding.error{border-color:#c0392b}li.finding.warning{border-color:#d68910}li.finding.info{border-color:#2e86c1}
blockquote{margin:.3em 0;padding:.3em .6em;background:#f7f7f7;white-space:pre-wrap}
mark{background:#ffe066;padding:0 1px}
.meta,.pos{color:#777;font-size:.9em}.msg{font-weight:500}
summary{cursor:pointer}details{margin:.4em 0}
form#filter{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #eee}
.hidden{display:none}
"#;

const JS: &str = r#"(function(){
  var form=document.getElementById('filter');
  function apply(){
    var on={};
    form.querySelectorAll('input[type=checkbox]').forEach(function(c){on[c.value]=c.checked;});
    document.querySelectorAll('li.finding').forEach(function(li){
      var show=false;
      ['error','warning','info'].forEach(function(s){ if(li.classList.contains(s)&&on[s]) show=true; });
      li.classList.toggle('hidden',!show);
    });
    document.querySelectorAll('details.doc,details.rule').forEach(function(d){
      d.classList.toggle('hidden',!d.querySelector('li.finding:not(.hidden)'));
    });
  }
  form.addEventListener('change',apply);
  apply();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The escapers a char at a time (each char through [`esc_char`] or
    /// [`md_char`]): the reference for the run-copying ones.
    fn esc_by_char(s: &str) -> String {
        let mut o = String::new();
        s.chars().for_each(|c| esc_char(c, &mut o));
        o
    }

    fn md_by_char(s: &str) -> String {
        let mut o = String::new();
        s.chars().for_each(|c| md_char(c, &mut o));
        o
    }

    /// A repeated-figure finding naming another document whose id is markup.
    fn evil_cross_finding() -> CrossFinding {
        CrossFinding {
            finding_id: "zz:repeated_figure:1-2".into(),
            doc_id: "zz".into(),
            rule: "repeated_figure".into(),
            rule_name: rule_name("repeated_figure").into(),
            severity: Severity::Info,
            message: "m".into(),
            start: 1,
            end: 2,
            text: "t".into(),
            related: Vec::new(),
            facts: Vec::new(),
            others: vec![super::super::cross::OtherPlace {
                doc_id: "evil".into(),
                start: 0,
                end: 0,
                text: None,
            }],
        }
    }

    #[test]
    fn escapers_equal_their_char_at_a_time_definitions() {
        // Every char, alone and between CJK text, then mixed texts.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("县科协{c}x{c}{c}。")] {
                assert_eq!(esc(&s), esc_by_char(&s), "{c:?}");
                assert_eq!(md(&s), md_by_char(&s), "{c:?}");
            }
        }
        for s in [
            "",
            "a&b<c>\"'\r\n\u{85}\u{a0}é",
            "**[x](y)** `z` | ~ - > 1.5万 \\",
            "\u{7f}\u{9f}\u{1}县",
        ] {
            assert_eq!(esc(s), esc_by_char(s), "{s:?}");
            assert_eq!(md(s), md_by_char(s), "{s:?}");
        }
    }
    use crate::audit::{doc_from_text, Auditor};

    /// An item's list entry in each format, byte for byte: the markup a
    /// reader's browser or Markdown viewer gets, escapes included.
    #[test]
    fn item_entries_exactly() {
        let it = Item {
            rule: "sum_mismatch".into(),
            severity: Severity::Error,
            message: "合计<3>与分项之和不符".into(),
            start: 12,
            end: 16,
            before: "共有会员".into(),
            marked: "350人".into(),
            after: "，其中*女*会员\n420人".into(),
            others: vec!["a1".into(), "b&2".into()],
        };
        let doc = DocEntry {
            doc_id: "d\"9".into(),
            title: "县科协[2024]总结".into(),
            ..Default::default()
        };
        let name = crate::audit::rule_name("sum_mismatch");
        let mut h = String::from("前");
        render_item(Format::Html, &mut h, &it, Some(&doc));
        assert_eq!(
            h,
            format!(
                "前<li class=\"finding error\"><span class=\"badge error\">错误</span> \
                 <span class=\"rule-name\">{name}</span> <code>sum_mismatch</code> · \
                 <a href=\"#doc-d&quot;9\">县科协[2024]总结</a> <span class=\"pos\">第12–16字</span>\
                 <div class=\"msg\">合计&lt;3&gt;与分项之和不符</div><blockquote>共有会员<mark>350人</mark>\
                 ，其中*女*会员 420人</blockquote><div class=\"others\">涉及文档：\
                 <a href=\"#doc-a1\"><code>a1</code></a> <a href=\"#doc-b&amp;2\"><code>b&amp;2</code></a> \
                 </div></li>\n"
            )
        );
        let mut m = String::new();
        render_item(Format::Markdown, &mut m, &it, None);
        assert_eq!(
            m,
            format!(
                "- **错误** {name}（`sum_mismatch`） · 第12–16字：合计&lt;3\\>与分项之和不符\n  \
                 > 共有会员**350人**，其中\\*女\\*会员 420人\n  涉及文档：`a1`、`b&2`\n"
            )
        );
    }

    #[test]
    fn hostile_text_is_escaped() {
        let text = "<script>alert('x')</script>\"&\n全镇共有会员350人，其中<b>女会员</b>420人。";
        let mut doc = doc_from_text("evil\"><img src=x onerror=alert(1)>", text, Some(2024));
        doc.title = Some("<img src=x onerror=alert(1)>".into());
        doc.findings = Auditor::new().audit(&doc);
        assert!(!doc.findings.is_empty());
        let mut r = Report::new();
        r.observe(&doc);
        let (h, m) = r.render().unwrap();
        assert!(!h.contains("<script>alert"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("<b>"));
        assert!(h.contains("&lt;b&gt;女会员&lt;/b&gt;"));
        assert!(h.contains("<mark>420人</mark>"));
        // Spilled to disk after every few items: the same report.
        let filled = |dir: &Path, budget: usize| {
            let mut r = Report::with_budget(dir, budget);
            r.observe(&doc);
            r.observe(&doc_from_text(
                "other",
                "全镇共有会员350人，其中女会员420人。",
                None,
            ));
            r.add_cross(&[evil_cross_finding()]);
            r
        };
        let tmp = tempfile::tempdir().unwrap();
        let rendered = filled(&std::env::temp_dir(), SPILL_BUDGET)
            .render()
            .unwrap();
        assert_eq!(filled(tmp.path(), 64).render().unwrap(), rendered);
        // Written as files (both at once, spilled or not): the same text,
        // and no temporary file left.
        for budget in [64, SPILL_BUDGET] {
            let out = tempfile::tempdir().unwrap();
            let mut r = filled(out.path(), budget);
            let dir = out.path().join("audit");
            r.write(&dir).unwrap();
            let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
            assert_eq!((read("index.html"), read("audit.md")), rendered);
            drop(r);
            let left: Vec<_> = std::fs::read_dir(out.path())
                .unwrap()
                .chain(std::fs::read_dir(&dir).unwrap())
                .map(|e| e.unwrap().file_name())
                .filter(|n| n.to_string_lossy().contains("tmp"))
                .collect();
            assert!(left.is_empty(), "{left:?}");
        }
        // The only scripts are the report's own.
        assert_eq!(h.matches("<script>").count(), 1);
        assert!(!h.contains("http://") && !h.contains("https://"));
        assert!(!m.contains("<b>") && !m.contains("<img"));
        assert!(m.contains("**420人**"));
    }
}

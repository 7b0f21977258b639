//! The readable audit report: `audit/index.html` (one self-contained file,
//! no network, severity filter) and `audit/audit.md`, grouped by document
//! and by rule, each finding with its source sentence and the offending
//! text highlighted. Everything taken from documents is escaped: documents
//! are hostile input.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

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

/// A document that has findings.
#[derive(Debug, Clone)]
pub struct DocEntry {
    pub doc_id: String,
    pub path: String,
    pub title: String,
    pub year: Option<i32>,
    pub items: Vec<Item>,
}

/// What the report holds: only documents with findings, only their
/// findings' sentences.
#[derive(Debug, Default)]
pub struct Report {
    pub docs: Vec<DocEntry>,
    index: BTreeMap<String, usize>,
    pub documents_seen: usize,
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

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    fn entry(&mut self, doc: &Document) -> &mut DocEntry {
        let i = match self.index.get(&doc.doc_id) {
            Some(&i) => i,
            None => {
                self.docs.push(DocEntry {
                    doc_id: doc.doc_id.clone(),
                    path: doc.source.path.clone(),
                    title: doc.title.clone().unwrap_or_else(|| doc.source.path.clone()),
                    year: doc.year,
                    items: Vec::new(),
                });
                self.index.insert(doc.doc_id.clone(), self.docs.len() - 1);
                self.docs.len() - 1
            }
        };
        &mut self.docs[i]
    }

    /// Record a document's own findings with their sentences.
    pub fn observe(&mut self, doc: &Document) {
        self.documents_seen += 1;
        // Every document gets a small entry so that cross-document findings
        // found later can name its path and title.
        let _ = self.entry(doc);
        if doc.findings.is_empty() {
            return;
        }
        let ctx = Ctx {
            doc,
            text: &doc.text,
            figures: Vec::new(),
            dates: Vec::new(),
        };
        let idx = CharIndex::new(&doc.text);
        let mut items = Vec::new();
        for f in &doc.findings {
            let sent = ctx.sentence_of(f.span.start);
            let s0 = sent.start.min(f.span.start);
            let s1 = sent.end.max(f.span.end);
            let (start, end) = idx.span(f.span);
            items.push(Item {
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
            });
        }
        self.entry(doc).items.extend(items);
    }

    /// Add cross-document records (their documents were observed before).
    pub fn add_cross(&mut self, records: &[Value]) {
        for r in records {
            let doc_id = r["doc_id"].as_str().unwrap_or("").to_string();
            let i = match self.index.get(&doc_id) {
                Some(&i) => i,
                None => {
                    self.docs.push(DocEntry {
                        doc_id: doc_id.clone(),
                        path: String::new(),
                        title: doc_id.clone(),
                        year: None,
                        items: Vec::new(),
                    });
                    self.index.insert(doc_id, self.docs.len() - 1);
                    self.docs.len() - 1
                }
            };
            self.push_cross(i, r);
        }
    }

    fn push_cross(&mut self, i: usize, r: &Value) {
        let severity = match r["severity"].as_str() {
            Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            _ => Severity::Info,
        };
        let others = r["others"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| o["doc_id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        self.docs[i].items.push(Item {
            rule: r["rule"].as_str().unwrap_or("").to_string(),
            severity,
            message: r["message"].as_str().unwrap_or("").to_string(),
            start: r["start"].as_u64().unwrap_or(0) as usize,
            end: r["end"].as_u64().unwrap_or(0) as usize,
            before: String::new(),
            marked: r["text"].as_str().unwrap_or("").to_string(),
            after: String::new(),
            others,
        });
    }

    fn counts(&self) -> (BTreeMap<&'static str, usize>, [usize; 3]) {
        let mut per_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut sev = [0usize; 3];
        for d in &self.docs {
            for it in &d.items {
                let key = RULES
                    .iter()
                    .find(|r| r.0 == it.rule)
                    .map_or("other", |r| r.0);
                *per_rule.entry(key).or_default() += 1;
                sev[it.severity as usize] += 1;
            }
        }
        (per_rule, sev)
    }

    fn docs_with_items(&self) -> impl Iterator<Item = &DocEntry> {
        self.docs.iter().filter(|d| !d.items.is_empty())
    }

    /// The self-contained HTML report.
    pub fn html(&self) -> String {
        let mut h = String::with_capacity(64 * 1024);
        self.html_to(&mut h);
        h
    }

    /// Write the HTML report into `h` (a file as it is written: the report
    /// of a large corpus is tens of megabytes, not worth holding).
    pub fn html_to<W: std::fmt::Write>(&self, h: &mut W) {
        let (per_rule, sev) = self.counts();
        let _ = h.write_str("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>数字审计报告</title>\n<style>\n");
        let _ = h.write_str(CSS);
        let _ = h.write_str("</style></head><body>\n<h1>数字审计报告</h1>\n");
        let _ = writeln!(
            h,
            "<p class=\"summary\">共审查文档 {} 篇，其中 {} 篇有问题；发现问题 {} 条：错误 {} 条，警告 {} 条，提示 {} 条。</p>",
            self.documents_seen,
            self.docs_with_items().count(),
            sev.iter().sum::<usize>(),
            sev[2],
            sev[1],
            sev[0]
        );
        let _ = h.write_str("<form id=\"filter\"><strong>按严重程度筛选：</strong>\n");
        for s in [Severity::Error, Severity::Warning, Severity::Info] {
            let _ = writeln!(
                h,
                "<label><input type=\"checkbox\" value=\"{0}\" checked> <span class=\"badge {0}\">{1}</span></label>",
                sev_str(s),
                sev_cn(s)
            );
        }
        let _ = h.write_str("</form>\n<h2>规则一览</h2>\n<table><tr><th>规则</th><th>编号</th><th>严重程度</th><th>条数</th></tr>\n");
        for (id, s, name) in RULES {
            let _ = writeln!(
                h,
                "<tr><td><a href=\"#rule-{id}\">{name}</a></td><td><code>{id}</code></td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
                sev_str(*s),
                sev_cn(*s),
                per_rule.get(id).copied().unwrap_or(0)
            );
        }
        let _ = h.write_str("</table>\n<h2>按文档</h2>\n");
        for d in self.docs_with_items() {
            let _ = write!(
                h,
                "<details open class=\"doc\" id=\"doc-{}\"><summary><strong>{}</strong> <span class=\"meta\">{}{} · {} 条</span></summary>\n<ul>\n",
                esc(&d.doc_id),
                esc(&d.title),
                esc(&d.path),
                d.year.map(|y| format!(" · {y}年")).unwrap_or_default(),
                d.items.len()
            );
            for it in &d.items {
                item_html(h, it, None);
            }
            let _ = h.write_str("</ul></details>\n");
        }
        let _ = h.write_str("<h2>按规则</h2>\n");
        for (id, _, name) in RULES {
            let n = per_rule.get(id).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let _ = write!(
                h,
                "<details class=\"rule\" id=\"rule-{id}\"><summary><strong>{name}</strong> <code>{id}</code> · {n} 条</summary>\n<ul>\n"
            );
            for d in self.docs_with_items() {
                for it in d.items.iter().filter(|it| it.rule == *id) {
                    item_html(h, it, Some(d));
                }
            }
            let _ = h.write_str("</ul></details>\n");
        }
        let _ = h.write_str("<script>\n");
        let _ = h.write_str(JS);
        let _ = h.write_str("</script>\n</body></html>\n");
    }

    /// The same content in Markdown.
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        self.markdown_to(&mut m);
        m
    }

    /// Write the Markdown report into `m`.
    pub fn markdown_to<W: std::fmt::Write>(&self, m: &mut W) {
        let (per_rule, sev) = self.counts();
        let _ = m.write_str("# 数字审计报告\n\n");
        let _ = writeln!(
            m,
            "共审查文档 {} 篇，其中 {} 篇有问题；发现问题 {} 条：错误 {} 条，警告 {} 条，提示 {} 条。\n",
            self.documents_seen,
            self.docs_with_items().count(),
            sev.iter().sum::<usize>(),
            sev[2],
            sev[1],
            sev[0]
        );
        let _ = m.write_str(
            "## 规则一览\n\n| 规则 | 编号 | 严重程度 | 条数 |\n| --- | --- | --- | --- |\n",
        );
        for (id, s, name) in RULES {
            let _ = writeln!(
                m,
                "| {name} | `{id}` | {} | {} |",
                sev_cn(*s),
                per_rule.get(id).copied().unwrap_or(0)
            );
        }
        let _ = m.write_str("\n## 按文档\n\n");
        for d in self.docs_with_items() {
            let _ = writeln!(
                m,
                "### {}\n\n`{}`{} · {} 条\n",
                md(&d.title),
                md_code(&d.path),
                d.year.map(|y| format!(" · {y}年")).unwrap_or_default(),
                d.items.len()
            );
            for it in &d.items {
                item_md(m, it, None);
            }
            let _ = m.write_char('\n');
        }
        let _ = m.write_str("## 按规则\n\n");
        for (id, _, name) in RULES {
            let n = per_rule.get(id).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let _ = writeln!(m, "### {name}（`{id}`）· {n} 条\n");
            for d in self.docs_with_items() {
                for it in d.items.iter().filter(|it| it.rule == *id) {
                    item_md(m, it, Some(d));
                }
            }
            let _ = m.write_char('\n');
        }
    }

    /// Write `dir/index.html` and `dir/audit.md`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        write_streamed(&dir.join("index.html"), |w| self.html_to(w))?;
        write_streamed(&dir.join("audit.md"), |w| self.markdown_to(w))
    }
}

/// Write a file as it is produced, under `path` + `.tmp` until complete,
/// then fsync and rename (as [`crate::batch::write_atomic`], without
/// holding the whole text).
fn write_streamed(path: &Path, produce: impl FnOnce(&mut IoFmt)) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp)?;
    let mut w = IoFmt {
        out: std::io::BufWriter::with_capacity(256 * 1024, file),
        err: None,
    };
    produce(&mut w);
    if let Some(e) = w.err {
        return Err(e);
    }
    let file = w.out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

/// `fmt::Write` onto a file, keeping the first I/O error (formatting only
/// reports that something failed).
struct IoFmt {
    out: std::io::BufWriter<std::fs::File>,
    err: Option<std::io::Error>,
}

impl std::fmt::Write for IoFmt {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        use std::io::Write;
        if self.err.is_some() {
            return Err(std::fmt::Error);
        }
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.err = Some(e);
            std::fmt::Error
        })
    }
}

fn item_html<W: std::fmt::Write>(h: &mut W, it: &Item, doc: Option<&DocEntry>) {
    let _ = write!(
        h,
        "<li class=\"finding {0}\"><span class=\"badge {0}\">{1}</span> <span class=\"rule-name\">{2}</span> <code>{3}</code>",
        sev_str(it.severity),
        sev_cn(it.severity),
        esc(rule_name(&it.rule)),
        esc(&it.rule)
    );
    if let Some(d) = doc {
        let _ = write!(
            h,
            " · <a href=\"#doc-{}\">{}</a>",
            esc(&d.doc_id),
            esc(&d.title)
        );
    }
    let _ = write!(
        h,
        " <span class=\"pos\">第{}–{}字</span><div class=\"msg\">{}</div><blockquote>{}<mark>{}</mark>{}</blockquote>",
        it.start,
        it.end,
        esc(&it.message),
        esc(&it.before),
        esc(&it.marked),
        esc(&it.after)
    );
    if !it.others.is_empty() {
        let _ = h.write_str("<div class=\"others\">涉及文档：");
        for o in &it.others {
            let _ = write!(h, "<a href=\"#doc-{0}\"><code>{0}</code></a> ", esc(o));
        }
        let _ = h.write_str("</div>");
    }
    let _ = h.write_str("</li>\n");
}

fn item_md<W: std::fmt::Write>(m: &mut W, it: &Item, doc: Option<&DocEntry>) {
    let _ = write!(
        m,
        "- **{}** {}（`{}`）",
        sev_cn(it.severity),
        rule_name(&it.rule),
        md_code(&it.rule)
    );
    if let Some(d) = doc {
        let _ = write!(m, " · {}", md(&d.title));
    }
    let _ = writeln!(
        m,
        " · 第{}–{}字：{}\n  > {}**{}**{}",
        it.start,
        it.end,
        md(&it.message),
        md(&it.before),
        md(&it.marked),
        md(&it.after)
    );
    if !it.others.is_empty() {
        let others: Vec<String> = it
            .others
            .iter()
            .map(|o| format!("`{}`", md_code(o)))
            .collect();
        let _ = writeln!(m, "  涉及文档：{}", others.join("、"));
    }
}

/// HTML-escape text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
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
    o
}

/// Markdown-escape document text (no markup, no HTML, one line).
pub fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
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
    o
}

/// Text inside a code span: backticks cannot be escaped there, and angle
/// brackets are swapped for full-width ones so no renderer sees a tag.
fn md_code(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '`' => '\'',
            '<' => '＜',
            '>' => '＞',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
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
    use crate::audit::{doc_from_text, Auditor};

    #[test]
    fn hostile_text_is_escaped() {
        let text = "<script>alert('x')</script>\"&\n全镇共有会员350人，其中<b>女会员</b>420人。";
        let mut doc = doc_from_text("evil\"><img src=x onerror=alert(1)>", text, Some(2024));
        doc.title = Some("<img src=x onerror=alert(1)>".into());
        doc.findings = Auditor::new().audit(&doc);
        assert!(!doc.findings.is_empty());
        let mut r = Report::new();
        r.observe(&doc);
        let h = r.html();
        assert!(!h.contains("<script>alert"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("<b>"));
        assert!(h.contains("&lt;b&gt;女会员&lt;/b&gt;"));
        assert!(h.contains("<mark>420人</mark>"));
        // The only scripts are the report's own.
        assert_eq!(h.matches("<script>").count(), 1);
        assert!(!h.contains("http://") && !h.contains("https://"));
        let m = r.markdown();
        assert!(!m.contains("<b>") && !m.contains("<img"));
        assert!(m.contains("**420人**"));
    }
}

//! Reports and digests: golden Markdown for the fixtures, the .docx and
//! .xlsx read back by real readers (python-docx, openpyxl) and compared with
//! the records, every digest total recomputed from facts.jsonl, and the
//! HTML digest screenshotted in headless Chromium.
//!
//! `UPDATE_GOLDEN=1 cargo test --test render` rewrites tests/golden/render.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zongjie"))
}

/// One run over the fixtures, shared by the tests (run from the crate root
/// so source paths in reports are relative and stable).
fn fixture_run() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = bin()
            .current_dir(root())
            .args(["run", "fixtures", "-q", "--no-db", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
    .path()
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p.extension().and_then(|e| e.to_str()) == Some(ext) {
            out.push(p);
        }
    }
    out.sort();
}

#[test]
fn golden_markdown() {
    let out = fixture_run();
    let golden = root().join("tests/golden/render");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut got: BTreeMap<String, String> = BTreeMap::new();
    for sub in ["reports", "digest"] {
        let mut files = Vec::new();
        files_under(&out.join(sub), "md", &mut files);
        for f in files {
            let rel = f
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            got.insert(rel, std::fs::read_to_string(&f).unwrap());
        }
    }
    assert!(got.len() > 40, "too few Markdown files: {}", got.len());
    if update {
        let _ = std::fs::remove_dir_all(&golden);
        for (rel, text) in &got {
            let p = golden.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        return;
    }
    let mut want = Vec::new();
    files_under(&golden, "md", &mut want);
    let want: BTreeSet<String> = want
        .iter()
        .map(|p| {
            p.strip_prefix(&golden)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let have: BTreeSet<String> = got.keys().cloned().collect();
    assert_eq!(
        have, want,
        "Markdown files differ from tests/golden/render (UPDATE_GOLDEN=1 to accept)"
    );
    for (rel, text) in &got {
        let expected = std::fs::read_to_string(golden.join(rel)).unwrap();
        assert!(
            *text == expected,
            "{rel} differs from the golden file (UPDATE_GOLDEN=1 cargo test --test render to accept)\n--- got ---\n{text}"
        );
    }
}

/// python3 if present; `None` (test skipped) only when python3 is absent.
fn python(module: &str) -> Option<Command> {
    let ok = Command::new("python3").arg("--version").output();
    if ok.map(|o| !o.status.success()).unwrap_or(true) {
        eprintln!("SKIP: python3 is not installed");
        return None;
    }
    let check = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "python module {module} missing: pip install python-docx openpyxl (.ci/run does)"
    );
    Some(Command::new("python3"))
}

const DOCX_DUMP: &str = r#"
import sys, json, docx
out = {}
for path in sys.argv[1:]:
    d = docx.Document(path)
    s = d.sections[0]
    paras = [p.text for p in d.paragraphs]
    cells = [[c.text for c in r.cells] for t in d.tables for r in t.rows]
    fonts = sorted({r.font.name or "" for p in d.paragraphs for r in p.runs} |
                   {(r._element.rPr.rFonts.get('{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia') or "")
                    for p in d.paragraphs for r in p.runs if r._element.rPr is not None and r._element.rPr.rFonts is not None})
    footer = "".join(x.xml for x in [s.footer._element])
    out[path] = {
        "paras": paras, "cells": cells, "fonts": fonts,
        "page": [round(s.page_width.mm), round(s.page_height.mm)],
        "margins": [round(s.top_margin.mm), round(s.bottom_margin.mm), round(s.left_margin.mm), round(s.right_margin.mm)],
        "page_field": "PAGE" in footer,
    }
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn docx_read_back_matches_records() {
    let Some(mut py) = python("docx") else {
        return;
    };
    let out = fixture_run();
    let docs = jsonl(&out.join("records/documents.jsonl"));
    let facts = jsonl(&out.join("records/facts.jsonl"));
    let findings = jsonl(&out.join("records/findings.jsonl"));
    let mut paths: Vec<PathBuf> = docs
        .iter()
        .map(|d| out.join(format!("reports/{}.docx", d["doc_id"].as_str().unwrap())))
        .collect();
    let mut digests = Vec::new();
    files_under(&out.join("digest"), "docx", &mut digests);
    paths.extend(digests.iter().cloned());
    let o = py.arg("-c").arg(DOCX_DUMP).args(&paths).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dump: Value = serde_json::from_slice(&o.stdout).unwrap();
    for p in &paths {
        let d = &dump[p.to_string_lossy().as_ref()];
        assert_eq!(d["page"], serde_json::json!([210, 297]), "{p:?} not A4");
        assert_eq!(
            d["margins"],
            serde_json::json!([37, 35, 28, 26]),
            "{p:?} margins"
        );
        assert_eq!(d["page_field"], true, "{p:?} has no page number field");
        let fonts = d["fonts"].to_string();
        for f in ["仿宋", "黑体", "方正小标宋简体"] {
            assert!(fonts.contains(f), "{p:?}: font {f} not used: {fonts}");
        }
    }
    for doc in &docs {
        let id = doc["doc_id"].as_str().unwrap();
        let p = out.join(format!("reports/{id}.docx"));
        let d = &dump[p.to_string_lossy().as_ref()];
        let paras: Vec<&str> = d["paras"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if let Some(t) = doc["title"].as_str().filter(|t| !t.trim().is_empty()) {
            assert_eq!(
                paras[0],
                t.replace("**", "").replace('`', ""),
                "{id}: title"
            );
        }
        // Every count fact of the document is a row of the figures table,
        // with its surface in the 原文 column, in order.
        let rows: Vec<Vec<String>> = d["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect()
            })
            .collect();
        let figure_rows: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| {
                r.len() == 6 && r[0].chars().all(|c| c.is_ascii_digit()) && !r[0].is_empty()
            })
            .collect();
        let counts: Vec<&Value> = facts
            .iter()
            .filter(|f| f["doc_id"] == id && f["kind"] == "count")
            .collect();
        let mut counts_sorted = counts.clone();
        counts_sorted.sort_by_key(|f| (f["start"].as_u64(), f["end"].as_u64()));
        assert_eq!(figure_rows.len(), counts.len(), "{id}: figure rows");
        for (row, f) in figure_rows.iter().zip(&counts_sorted) {
            let surface = f["text"]
                .as_str()
                .unwrap()
                .replace('|', "｜")
                .replace('\n', " ");
            assert_eq!(row[4], surface, "{id}: figure surface");
            assert!(
                row[5].contains(&format!("第{}字", f["start"])),
                "{id}: figure place {row:?}"
            );
        }
        let body = paras.join("\n");
        for fnd in findings.iter().filter(|x| x["doc_id"] == id) {
            let m = fnd["message"].as_str().unwrap();
            assert!(body.contains(m), "{id}: finding {m} missing");
        }
    }
}

/// One line of unit_classes.tsv: unit → (class, factor, base unit).
fn unit_classes() -> HashMap<String, (String, f64, String)> {
    let text = std::fs::read_to_string(root().join("data/unit_classes.tsv")).unwrap();
    let mut m = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split('\t').collect();
        let base = c
            .get(3)
            .map(|s| s.to_string())
            .unwrap_or_else(|| c[0].to_string());
        m.insert(
            c[0].to_string(),
            (c[1].to_string(), c[2].parse().unwrap(), base),
        );
    }
    m
}

fn class_zh(c: &str) -> &'static str {
    match c {
        "people" => "覆盖人群",
        "materials" => "发放资料物品",
        "events" => "培训与活动场次",
        "money" => "资金",
        _ => panic!("class {c}"),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The totals of one digest, recomputed from the records: (class, unit) →
/// (shown total, parts).
type Totals = BTreeMap<(String, String), (String, usize)>;

fn recompute(facts: &[&Value]) -> Totals {
    let classes = unit_classes();
    let mut sums: BTreeMap<(String, String), (f64, usize, BTreeSet<String>)> = BTreeMap::new();
    // Planned activity spans per document: figures inside them are targets.
    let mut planned: HashMap<&str, Vec<(u64, u64)>> = HashMap::new();
    for f in facts {
        if f["kind"] == "activity" && f["status"] == "planned" {
            planned
                .entry(f["doc_id"].as_str().unwrap())
                .or_default()
                .push((f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap()));
        }
    }
    for f in facts.iter().filter(|f| f["kind"] == "count") {
        let (Some(v), Some(u)) = (f["value"].as_f64(), f["unit"].as_str()) else {
            continue;
        };
        if f["placeholder"] == true {
            continue;
        }
        let Some((class, factor, base)) = classes.get(u) else {
            continue;
        };
        let (s, e) = (f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap());
        if planned
            .get(f["doc_id"].as_str().unwrap())
            .is_some_and(|ps| ps.iter().any(|&(a, b)| a <= s && e <= b))
        {
            continue;
        }
        let entry = sums
            .entry((class_zh(class).to_string(), base.clone()))
            .or_insert((0.0, 0, BTreeSet::new()));
        entry.0 += v * factor;
        entry.1 += 1;
        entry.2.insert(f["approx"].as_str().unwrap().to_string());
    }
    sums.into_iter()
        .map(|(k, (v, n, approx))| {
            let has = |a: &str| approx.contains(a);
            let lower = has("more_than") || has("at_least");
            let upper = has("at_most") || has("less_than");
            let u = &k.1;
            // The qualifier: 约 when any part is about or parts bound both ways.
            let mut q = if has("about") || (lower && upper) {
                "about"
            } else if has("more_than") {
                "more_than"
            } else if has("at_least") {
                "at_least"
            } else if has("less_than") {
                "less_than"
            } else if has("at_most") {
                "at_most"
            } else {
                "exact"
            };
            // From a million up, in 万/亿/万亿 with two decimals, rounded
            // toward what the qualifier allows; an exact total rounding
            // changes is 约.
            let n_s = match [(1e12, "万亿"), (1e8, "亿"), (1e4, "万")]
                .into_iter()
                .find(|&(scale, _)| v >= 1e6 && v >= scale && u != "%")
            {
                Some((scale, word)) => {
                    let x = v / scale * 100.0;
                    let r = match q {
                        "more_than" | "at_least" => x.floor(),
                        "less_than" | "at_most" => x.ceil(),
                        _ => x.round(),
                    };
                    if q == "exact" && r != x {
                        q = "about";
                    }
                    format!("{}{word}", fmt_num(r / 100.0))
                }
                None => fmt_num(v),
            };
            let shown = match q {
                "about" => format!("约{n_s}{u}"),
                "more_than" => format!("{n_s}余{u}"),
                "at_least" => format!("不少于{n_s}{u}"),
                "less_than" => format!("不到{n_s}{u}"),
                "at_most" => format!("不超过{n_s}{u}"),
                _ => format!("{n_s}{u}"),
            };
            (k, (shown, n))
        })
        .collect()
}

/// The totals table of a digest.md.
fn md_totals(md: &str) -> Totals {
    let mut out = BTreeMap::new();
    let Some(i) = md.find("、主要数据合计") else {
        panic!("no totals section");
    };
    let section = &md[i..];
    // Up to the next level-1 heading (after this heading's own line).
    let body_start = section.find('\n').unwrap_or(section.len());
    let section = &section[..section[body_start..]
        .find("\n## ")
        .map(|j| j + body_start)
        .unwrap_or(section.len())];
    for line in section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| 类别") && !l.starts_with("| ---"))
    {
        let c: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        out.insert(
            (c[0].to_string(), c[1].to_string()),
            (c[2].to_string(), c[3].parse().unwrap()),
        );
    }
    out
}

#[test]
fn every_digest_total_recomputed_from_facts() {
    let out = fixture_run();
    let docs = jsonl(&out.join("records/documents.jsonl"));
    let facts = jsonl(&out.join("records/facts.jsonl"));
    // Group keys as the digest names its folders (no manifest here).
    let mut group_of: HashMap<String, String> = HashMap::new();
    for d in &docs {
        let county = match (&d["region"]["county"], d["region"]["code"].as_str()) {
            (Value::String(_), Some(code)) => code[..6].to_string(),
            _ => "unknown".to_string(),
        };
        let year = d["year"]
            .as_i64()
            .map(|y| y.to_string())
            .unwrap_or_else(|| "unknown".into());
        group_of.insert(
            d["doc_id"].as_str().unwrap().to_string(),
            format!("{county}/{year}"),
        );
    }
    let groups: BTreeSet<&String> = group_of.values().collect();
    let mut dirs = Vec::new();
    files_under(&out.join("digest"), "md", &mut dirs);
    let found: BTreeSet<String> = dirs
        .iter()
        .map(|p| {
            p.parent()
                .unwrap()
                .strip_prefix(out.join("digest"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|p| p != "overall")
        .collect();
    assert_eq!(
        found.iter().collect::<BTreeSet<_>>(),
        groups,
        "digest folders"
    );
    let mut checked = 0;
    for g in groups.iter().map(|s| s.as_str()).chain(["overall"]) {
        let in_group: Vec<&Value> = facts
            .iter()
            .filter(|f| g == "overall" || group_of[f["doc_id"].as_str().unwrap()] == g)
            .collect();
        let want = recompute(&in_group);
        let md = std::fs::read_to_string(out.join("digest").join(g).join("digest.md")).unwrap();
        assert_eq!(md_totals(&md), want, "digest {g}");
        checked += want.len();
    }
    assert!(checked > 10, "too few totals checked: {checked}");
    // The carried approximation, on the fixtures: some total is `余`.
    let overall = std::fs::read_to_string(out.join("digest/overall/digest.md")).unwrap();
    assert!(md_totals(&overall).values().any(|(s, _)| s.contains('余')));
}

const XLSX_DUMP: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    out[ws.title] = {"freeze": ws.freeze_panes, "filter": ws.auto_filter.ref, "rows": rows}
print(json.dumps(out, ensure_ascii=False, default=str))
"#;

#[test]
fn xlsx_read_back_matches_records() {
    let Some(mut py) = python("openpyxl") else {
        return;
    };
    let out = fixture_run();
    let facts = jsonl(&out.join("records/facts.jsonl"));
    let docs = jsonl(&out.join("records/documents.jsonl"));
    let o = py
        .arg("-c")
        .arg(XLSX_DUMP)
        .arg(out.join("digest/overall/digest.xlsx"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let wb: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&String> = wb.as_object().unwrap().keys().collect();
    assert_eq!(names, ["文档", "数据", "合计", "审核意见"]);
    for (name, ws) in wb.as_object().unwrap() {
        assert_eq!(ws["freeze"], "A2", "{name}: header not frozen");
        assert!(
            ws["filter"].as_str().is_some_and(|r| r.starts_with("A1:")),
            "{name}: no filter"
        );
    }
    let rows = |s: &str| wb[s]["rows"].as_array().unwrap()[1..].to_vec();
    // documents: one row each, in order.
    let d = rows("文档");
    assert_eq!(d.len(), docs.len());
    for (r, doc) in d.iter().zip(&docs) {
        assert_eq!(r[1], doc["doc_id"]);
    }
    // facts: every count fact, with its surface, value, unit and offsets.
    let counts: Vec<&Value> = facts.iter().filter(|f| f["kind"] == "count").collect();
    let f = rows("数据");
    assert_eq!(f.len(), counts.len());
    let mut by_doc: HashMap<&str, Vec<&Value>> = HashMap::new();
    for c in &counts {
        by_doc
            .entry(c["doc_id"].as_str().unwrap())
            .or_default()
            .push(c);
    }
    for v in by_doc.values_mut() {
        v.sort_by_key(|f| (f["start"].as_u64(), f["end"].as_u64()));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &f {
        let id = r[0].as_str().unwrap().to_string();
        let k = seen.entry(id.clone()).or_default();
        let c = by_doc[id.as_str()][*k];
        *k += 1;
        assert_eq!(r[8], c["text"]);
        assert_eq!(r[10].as_f64(), c["start"].as_f64());
        assert_eq!(r[2].as_f64(), c["value"].as_f64());
        assert_eq!(
            r[4].as_str().unwrap_or(""),
            c["unit"].as_str().unwrap_or("")
        );
    }
    // totals: the same as recomputed from facts.jsonl.
    let want = recompute(&facts.iter().collect::<Vec<_>>());
    let got: Totals = rows("合计")
        .iter()
        .map(|r| {
            (
                (
                    r[0].as_str().unwrap().to_string(),
                    r[1].as_str().unwrap().to_string(),
                ),
                (
                    r[4].as_str().unwrap().to_string(),
                    r[5].as_f64().unwrap() as usize,
                ),
            )
        })
        .collect();
    assert_eq!(got, want);
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

#[test]
fn html_digest_renders_charts_in_chromium() {
    let out = fixture_run();
    let html = out.join("digest/overall/digest.html");
    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no scripts, no remote resources.
    assert!(!text.contains("<script") && !text.contains("https://"));
    assert_eq!(
        text.matches("http://").count(),
        text.matches("http://www.w3.org/2000/svg").count()
    );
    assert_eq!(text.matches("<svg").count(), 3);
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIP: chromium is not installed (.ci/run installs it; apt-get install chromium)"
        );
        return;
    };
    let shot = out.join("digest-shot.png");
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1200,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3 && info.bit_depth == png::BitDepth::Eight);
    // Pixels of each chart colour (the bars), allowing for anti-aliasing.
    let mut counts = [0usize; 3];
    let targets = [(0x2f, 0x6d, 0xb5), (0xd9, 0x82, 0x2b), (0x3a, 0x9a, 0x5b)];
    for px in buf[..info.buffer_size()].chunks(channels) {
        for (i, t) in targets.iter().enumerate() {
            if (px[0] as i32 - t.0).abs() < 12
                && (px[1] as i32 - t.1).abs() < 12
                && (px[2] as i32 - t.2).abs() < 12
            {
                counts[i] += 1;
            }
        }
    }
    for (i, n) in counts.iter().enumerate() {
        assert!(*n > 500, "chart colour {i} drawn on only {n} pixels");
    }
}

#[test]
fn manifest_fills_county_year_and_unit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(
        &input,
        "工作总结\n一、科普工作\n3月5日开展科普讲座3场，参与群众500余人，发放资料1000份。\n",
    )
    .unwrap();
    let manifest = dir.path().join("m.csv");
    std::fs::write(
        &manifest,
        "path,county,year,unit\na.txt,普安县,2021,某某乡科协\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .current_dir(dir.path())
        .args([
            "run",
            "a.txt",
            "-q",
            "--no-db",
            "--manifest",
            "m.csv",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("digest/522323/2021/digest.md")).unwrap();
    assert!(md.contains("普安县2021年度工作汇总"), "{md}");
    assert!(md.contains("某某乡科协"));
    assert!(md.contains("| 覆盖人群 | 人 | 500余人 | 1 |"), "{md}");
    let docs = jsonl(&out.join("records/documents.jsonl"));
    let id = docs[0]["doc_id"].as_str().unwrap();
    let rep = std::fs::read_to_string(out.join(format!("reports/{id}.md"))).unwrap();
    assert!(
        rep.contains("| 单位 | 某某乡科协 |") && rep.contains("| 年度 | 2021年 |"),
        "{rep}"
    );
    assert!(
        rep.contains("2021年3月5日") || rep.contains("3月5日"),
        "{rep}"
    );
    // A bad manifest stops the run, naming file and line.
    std::fs::write(&manifest, "a.txt,普安县,twenty,\n").unwrap();
    let o = bin()
        .current_dir(dir.path())
        .args([
            "run",
            "a.txt",
            "-q",
            "--no-db",
            "--manifest",
            "m.csv",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("manifest m.csv line 1"), "{err}");
}

#[test]
fn templates_override_and_errors_and_no_reports() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(&input, "县科协2023年工作总结\n开展科普讲座3场。\n").unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("report.md.j2"),
        "自定义：{{ title }}（{{ figures|length }}条数据）\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        bin()
            .current_dir(dir.path())
            .args(["run", "a.txt", "-q", "--no-db", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--templates", "tpl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let docs = jsonl(&out.join("records/documents.jsonl"));
    let id = docs[0]["doc_id"].as_str().unwrap();
    let rep = std::fs::read_to_string(out.join(format!("reports/{id}.md"))).unwrap();
    assert_eq!(rep, "自定义：县科协2023年工作总结（1条数据）\n");
    // The other templates stay the embedded ones.
    assert!(out.join(format!("reports/{id}.docx")).exists());
    assert!(out.join("digest/overall/digest.html").exists());

    std::fs::write(
        tpl.join("digest.html.j2"),
        "<p>\n{% for x in documents %}\n{{ x.title }\n",
    )
    .unwrap();
    let o = run(&["--templates", "tpl"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("template digest.html.j2 line 3"), "{err}");

    std::fs::remove_file(tpl.join("digest.html.j2")).unwrap();
    let out2 = dir.path().join("out2");
    let o = bin()
        .current_dir(dir.path())
        .args(["run", "a.txt", "-q", "--no-db", "--no-reports", "--out"])
        .arg(&out2)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!out2.join("reports").exists());
    assert!(out2.join("digest/overall/digest.xlsx").exists());

    // --no-digests: reports but no digest folder, and run.json lists what
    // was written; with --no-reports too, records and the audit only.
    for (name, extra, reports) in [
        ("out3", &["--no-digests"][..], true),
        ("out4", &["--no-digests", "--no-reports"][..], false),
    ] {
        let out = dir.path().join(name);
        let o = bin()
            .current_dir(dir.path())
            .args(["run", "a.txt", "-q", "--no-db", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!out.join("digest").exists(), "{name}: no digest folder");
        assert_eq!(out.join("reports").exists(), reports, "{name}");
        assert_eq!(
            jsonl(&out.join("records/facts.jsonl")),
            jsonl(&out2.join("records/facts.jsonl")),
            "{name}: the same records"
        );
        assert!(out.join("audit/index.html").exists(), "{name}");
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
        let outputs: Vec<&str> = run["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(!outputs.contains(&"digest/"), "{name}: {outputs:?}");
        assert_eq!(
            outputs.contains(&"reports/"),
            reports,
            "{name}: {outputs:?}"
        );
    }
}

#[test]
fn long_document_lists_are_cut_in_readable_digests_but_not_in_the_workbook() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let stats = zongjie::gen::write_corpus(
        &zongjie::gen::CorpusSpec {
            documents: 320,
            seed: 11,
            docx_share: 0.0,
            ..Default::default()
        },
        &corpus,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--no-reports", "--out"])
        .arg(&out)
        .arg(&corpus)
        .status()
        .unwrap();
    assert!(st.success());
    let docs = jsonl(&out.join("records/documents.jsonl")).len();
    assert_eq!(docs, stats.documents);
    assert!(docs > 300, "the corpus must be longer than the list limit");
    let md = std::fs::read_to_string(out.join("digest/overall/digest.md")).unwrap();
    assert!(md.contains(&format!("| 文档数 | {docs} |")), "total stated");
    assert!(
        md.contains(&format!("另有 {} 篇未列出（见 digest.xlsx）。", docs - 300)),
        "the cut is stated"
    );
    let listed = md
        .lines()
        .skip_while(|l| !l.starts_with("## 一、收录文档"))
        .take_while(|l| !l.starts_with("另有"))
        .filter(|l| {
            l.starts_with("| ")
                && l.split('|')
                    .nth(1)
                    .is_some_and(|c| c.trim().parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(listed, 300);
    let html = std::fs::read_to_string(out.join("digest/overall/digest.html")).unwrap();
    assert!(html.contains(&format!("文档 {docs} 份")));
    assert!(html.contains(&format!("另有 {} 篇未列出", docs - 300)));
    // The workbook keeps every document.
    if let Some(mut py) = python("openpyxl") {
        let o = py
            .arg("-c")
            .arg("import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1], read_only=True); print(wb['文档'].max_row)")
            .arg(out.join("digest/overall/digest.xlsx"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rows: usize = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
        assert_eq!(rows, docs + 1, "header + every document");
    }
}

/// A report lists at most 1,000 figures, 50 figures with one activity
/// mention and 200 mentions of one type, and states each cut; the records
/// keep every fact, and the report stays small (its document.xml deflated).
#[test]
fn reports_of_huge_documents_cut_their_lists_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    // One line of 700 lecture figure pairs (1,400 figures in one mention),
    // then 260 dated lecture lines each with its own figure.
    let mut text = String::from("青石镇科协2024年工作总结\n一、主要工作\n");
    for _ in 0..700 {
        text.push_str("开展科普讲座12次，参加群众3000余人次，");
    }
    text.push_str("成效明显。\n");
    for i in 0..260 {
        text.push_str(&format!("3月{}日开展科普讲座{}次。\n", i % 28 + 1, i + 1));
    }
    std::fs::write(corpus.join("huge.txt"), &text).unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--no-digests", "--out"])
        .arg(&out)
        .arg(&corpus)
        .status()
        .unwrap();
    assert!(st.success());
    let counts = jsonl(&out.join("records/facts.jsonl"))
        .iter()
        .filter(|f| f["kind"] == "count")
        .count();
    assert_eq!(counts, 1400 + 260, "the records keep every figure");
    let mut mds = Vec::new();
    files_under(&out.join("reports"), "md", &mut mds);
    assert_eq!(mds.len(), 1);
    let md = std::fs::read_to_string(&mds[0]).unwrap();
    assert!(
        md.contains(&format!("另有{}条数据未列入本表", counts - 1000)),
        "the table's cut is stated"
    );
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("## 二、数据一览"))
        .filter(|l| {
            l.split('|')
                .nth(1)
                .is_some_and(|c| c.trim().parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(rows, 1000);
    // The line is one mention (as far as a paragraph reaches: 16 KiB).
    let listed_with = md
        .split("等")
        .skip(1)
        .filter_map(|s| {
            s.split_once("项数据")
                .and_then(|(n, _)| n.parse::<usize>().ok())
        })
        .max()
        .unwrap_or(0);
    assert!(listed_with > 500, "the long mention's figures are counted");
    let first_item = md.lines().find(|l| l.starts_with("1. ")).unwrap();
    let figures_part = first_item
        .split_once("涉及")
        .and_then(|(_, r)| r.split_once("等"))
        .map(|(l, _)| l)
        .unwrap();
    assert_eq!(figures_part.split('、').count(), 50, "{first_item}");
    assert!(
        md.contains("处提及，其中") && md.contains("处未逐条列出"),
        "the mentions past 200 are counted"
    );
    let items = md
        .lines()
        .skip_while(|l| !l.starts_with("## 一、主要工作"))
        .take_while(|l| !l.starts_with("## 二"))
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(items, 200);
    let docx = mds[0].with_extension("docx");
    let size = std::fs::metadata(&docx).unwrap().len();
    assert!(size < 200_000, "{size} bytes");
}

/// A report that names only its province (a provincial work report) is
/// digested under the province's code, not with texts naming no place; a
/// manifest county still comes first.
#[test]
fn provincial_reports_are_digested_under_their_province() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let text = "内蒙古自治区科协2024年工作总结\n一、主要工作\n全区开展科普讲座120次，培训基层科普人员3000余人次。\n";
    std::fs::write(corpus.join("a.txt"), text).unwrap();
    std::fs::write(corpus.join("b.txt"), text.replace("120次", "130次")).unwrap();
    let manifest = tmp.path().join("m.csv");
    std::fs::write(
        &manifest,
        format!(
            "path,county,year,unit\n{},150102,,\n",
            corpus.join("b.txt").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let st = bin()
        .args(["run", "-q", "--no-db", "--no-reports", "--manifest"])
        .arg(&manifest)
        .arg("--out")
        .arg(&out)
        .arg(&corpus)
        .status()
        .unwrap();
    assert!(st.success());
    let md = std::fs::read_to_string(out.join("digest/150000/2024/digest.md")).unwrap();
    assert!(md.starts_with("# 内蒙古自治区2024年度工作汇总"), "{md}");
    assert!(
        md.contains("| 范围 | 内蒙古自治区（150000），2024年度 |"),
        "{md}"
    );
    assert!(md.contains("| 文档数 | 1 |"), "{md}");
    assert!(
        out.join("digest/150102/2024/digest.md").is_file(),
        "manifest county"
    );
    assert!(!out.join("digest/unknown").exists());
}

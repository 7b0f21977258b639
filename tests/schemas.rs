//! The JSON Schemas in `schemas/` against the records the program writes:
//! every line of every records/*.jsonl and run.json of the test runs must
//! validate, and the schemas must reject what the interface forbids.

use std::path::{Path, PathBuf};
use std::process::Command;

use jsonschema::Validator;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_zongjie");

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.schema.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(name: &str) -> Validator {
    jsonschema::draft202012::new(&schema(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every validation error of `v`, as `where: what` lines.
fn errors(validator: &Validator, v: &Value) -> Vec<String> {
    validator
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

/// Validate every line of OUT/records/*.jsonl and OUT/run.json; returns the
/// number of records checked per file.
fn validate_run(out: &Path) -> Vec<(String, usize)> {
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for (file, name) in [
        ("documents.jsonl", "documents"),
        ("facts.jsonl", "facts"),
        ("findings.jsonl", "findings"),
    ] {
        let v = validator(name);
        let text = std::fs::read_to_string(out.join("records").join(file)).unwrap();
        let mut n = 0;
        for (i, line) in text.lines().enumerate() {
            let rec: Value = serde_json::from_str(line).unwrap();
            for e in errors(&v, &rec) {
                failures.push(format!("{file}:{}: {e}", i + 1));
            }
            n += 1;
        }
        checked.push((file.to_string(), n));
    }
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    for e in errors(&validator("run"), &run) {
        failures.push(format!("run.json: {e}"));
    }
    assert!(
        failures.is_empty(),
        "{} schema violations, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
    checked
}

fn run(out: &Path, inputs: &[PathBuf]) {
    let o = Command::new(BIN)
        .args(["run", "-q", "--out"])
        .arg(out)
        .args(inputs)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "zongjie failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const REPORT: &str = "城关镇科协2023年工作总结\n\
一、主要工作\n\
（一）科普宣传\n\
2023年3月15日，镇科协在东关村开展科普宣传活动，发放资料3000余份，受益群众1500多人(次)。\n\
（二）培训讲座\n\
全年举办实用技术培训班12期，培训农民约800人次，其中女性XX人，覆盖率达40%以上。\n\
二、存在问题\n\
经费不足，20xx年__月__日前未能完成县科协下达的任务。\n\
三、2024年工作计划\n\
下一步，我们将组织青少年科技竞赛，计划参与学生不少于500人。\n\
【篇2】城关镇科协2024年工作计划\n\
一、指导思想\n\
以科普为重点，计划开展科技下乡活动10次，举办讲座两场，今年3月至12月开展科普日活动。\n";

/// A minimal .docx: the package parts a Word file needs to be read.
fn docx(paragraphs: &[&str]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opt = zip::write::SimpleFileOptions::default();
        z.start_file("[Content_Types].xml", opt).unwrap();
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
        z.start_file("_rels/.rels", opt).unwrap();
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#).unwrap();
        z.start_file("word/document.xml", opt).unwrap();
        let body: String = paragraphs
            .iter()
            .map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"))
            .collect();
        write!(z, r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// Inputs of every kind the run meets: UTF-8 with pieces, GB18030,
/// UTF-16LE, .docx, and files that are rejected or skipped.
fn make_corpus(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a-utf8.txt"), REPORT).unwrap();
    let west = REPORT.replace("城关", "西街");
    let (gb, _, _) = encoding_rs::GB18030.encode(&west);
    std::fs::write(dir.join("b-gb18030.txt"), &gb).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in REPORT.replace("城关", "南山").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(dir.join("sub").join("c-utf16.txt"), utf16).unwrap();
    let paras: Vec<&str> = REPORT.lines().take(10).collect();
    std::fs::write(dir.join("d.docx"), docx(&paras)).unwrap();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    std::fs::write(dir.join("legacy.doc"), ole).unwrap();
    std::fs::write(dir.join("notes.pdf"), b"%PDF-1.4").unwrap();
}

#[test]
fn schemas_are_valid_draft_2020_12_and_describe_every_property() {
    fn walk(v: &Value, at: &str, missing: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    for (k, p) in props {
                        // A branch may narrow a property described above it,
                        // and a condition only tests one.
                        if p.get("description").is_none()
                            && !at.contains("/then")
                            && !at.contains("/if")
                        {
                            missing.push(format!("{at}/properties/{k}"));
                        }
                    }
                }
                for (k, c) in m {
                    walk(c, &format!("{at}/{k}"), missing);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    walk(c, &format!("{at}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    for name in ["documents", "facts", "findings", "run"] {
        let s = schema(name);
        jsonschema::draft202012::meta::validate(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(s["description"].is_string(), "{name} has no description");
        let mut missing = Vec::new();
        walk(&s, name, &mut missing);
        assert!(
            missing.is_empty(),
            "properties without a description: {missing:?}"
        );
    }
}

#[test]
fn every_record_of_a_run_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus);
    let out = tmp.path().join("out");
    run(&out, &[corpus]);
    let checked = validate_run(&out);
    assert!(checked[0].1 >= 5, "documents checked: {checked:?}");
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(!run["rejected"].as_array().unwrap().is_empty());
    assert!(!run["skipped"].as_array().unwrap().is_empty());
}

#[test]
fn every_record_of_the_fixture_runs_validates() {
    // The repository's fixture folders, where present (txt, docx, bad).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    if !root.is_dir() {
        eprintln!("no fixtures/ folder: nothing to check");
        return;
    }
    // One run over the whole folder: good inputs, bad inputs and the files
    // that are skipped (scripts, notes) together.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&out, std::slice::from_ref(&root));
    validate_run(&out);
}

/// Records of every fact kind as the emitter writes them, whatever the
/// extractors of this build find.
#[test]
fn emitted_records_of_every_kind_validate() {
    use zongjie::emit::{fact_record, finding_record, CharIndex};
    use zongjie::model::*;
    let text =
        "一、科普工作\n2024年3月15日，武乡县科协在东关村发放资料3000余份，XX人参加。".to_string();
    let find = |s: &str| {
        let a = text.find(s).unwrap();
        Span::new(a, a + s.len())
    };
    let facts = vec![
        Fact::new(
            find("2024年3月15日"),
            FactData::Date(DateFact {
                value: "2024-03-15".into(),
                year_inferred: false,
                relative: false,
                placeholder: false,
            }),
        ),
        Fact::new(
            find("3000余份"),
            FactData::Count(CountFact {
                value: Some(3000.0),
                approx: Approx::MoreThan,
                unit: Some("份".into()),
                placeholder: false,
            }),
        ),
        Fact::new(
            find("XX人"),
            FactData::Count(CountFact {
                value: None,
                approx: Approx::Exact,
                unit: Some("人".into()),
                placeholder: true,
            }),
        ),
        Fact::new(
            find("发放资料3000余份"),
            FactData::Activity(ActivityFact {
                type_id: "science_popularization".into(),
                status: Status::Planned,
            }),
        ),
        Fact::new(
            find("东关村"),
            FactData::Place(PlaceFact {
                name: "东关村".into(),
                level: PlaceLevel::Village,
                code: None,
            }),
        ),
        Fact::new(
            find("武乡县科协"),
            FactData::Org(OrgFact {
                name: "武乡县科协".into(),
                category: "kexie".into(),
            }),
        ),
    ];
    let doc = Document {
        doc_id: "d1".into(),
        source: Source {
            path: "a.txt".into(),
            piece: 1,
            pieces: 1,
            format: Format::Txt,
            sha256: "0".repeat(64),
            encoding: "UTF-8".into(),
            piece_header: None,
            offset_in_file: 0,
        },
        title: None,
        year: Some(2024),
        year_source: Some("text"),
        region: Some(Region {
            county: Some("武乡县".into()),
            code: Some("140429".into()),
            ..Default::default()
        }),
        sections: vec![Section {
            level: 1,
            title: "科普工作".into(),
            heading: find("一、科普工作"),
            extent: Span::new(0, text.len()),
        }],
        paragraphs: vec![],
        sentences: vec![],
        findings: vec![Finding {
            rule: "placeholder_figure",
            severity: Severity::Warning,
            message: "数字未填写".into(),
            span: find("XX人"),
            related_spans: vec![find("3000余份")],
            facts: vec![2],
            others: vec![OtherRef {
                doc_id: "d2".into(),
                start: 0,
                end: 3,
            }],
        }],
        text: text.clone(),
        facts,
        scanned_figures: None,
    };
    let idx = CharIndex::new(&doc.text);
    let facts_v = validator("facts");
    for f in &doc.facts {
        let rec = fact_record(&doc.doc_id, &doc.text, &idx, f);
        assert_eq!(errors(&facts_v, &rec), Vec::<String>::new(), "{rec}");
    }
    let rec = zongjie::emit::document_record(&doc, &idx);
    assert_eq!(errors(&validator("documents"), &rec), Vec::<String>::new());
    let rec = finding_record(&doc, &idx, &doc.findings[0]);
    assert_eq!(errors(&validator("findings"), &rec), Vec::<String>::new());
}

/// The schemas are not vacuous: records that break the interface fail.
#[test]
fn schemas_reject_broken_records() {
    let facts = validator("facts");
    let good_count = json!({"fact_id": "d:count:0-3", "doc_id": "d", "kind": "count",
        "text": "3人", "start": 0, "end": 2, "value": 3, "approx": "exact", "unit": "人"});
    assert!(facts.is_valid(&good_count));
    let bad = [
        json!({"doc_id": "d", "kind": "count", "text": "3人", "start": 0, "end": 2,
               "value": 3, "approx": "roughly", "unit": "人"}),
        json!({"doc_id": "d", "kind": "count", "text": "3人", "start": 0, "end": 2,
               "value": "3", "approx": "exact", "unit": "人"}),
        json!({"kind": "count", "text": "3人", "start": 0, "end": 2,
               "value": 3, "approx": "exact", "unit": "人"}),
        json!({"doc_id": "d", "kind": "date", "text": "3月", "start": 0, "end": 2,
               "value": "2024-03"}),
        json!({"doc_id": "d", "kind": "activity", "text": "培训", "start": 0, "end": 2,
               "value": "training", "status": "ongoing"}),
        json!({"doc_id": "d", "kind": "place", "text": "东关村", "start": -1, "end": 3,
               "value": "东关村", "level": "village"}),
    ];
    for b in &bad {
        assert!(!facts.is_valid(b), "accepted: {b}");
    }
    // Kinds added later need only the common fields.
    assert!(
        facts.is_valid(&json!({"doc_id": "d", "kind": "person", "text": "张三",
        "start": 0, "end": 2, "value": "张三"}))
    );
    let findings = validator("findings");
    assert!(
        !findings.is_valid(&json!({"finding_id": "x", "doc_id": "d", "rule": "r",
        "severity": "fatal", "message": "m", "start": 0, "end": 1, "facts": []}))
    );
    let documents = validator("documents");
    assert!(
        !documents.is_valid(&json!({"doc_id": "d", "source": {"path": "a", "piece": 0,
        "format": "txt", "sha256": "0"}, "title": null, "text": "", "year": null,
        "region": null, "sections": []}))
    );
}

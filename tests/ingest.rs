//! Ingest properties: pieces tile the source, texts are exact, offsets stay
//! on char boundaries, and the three encodings of the seed agree.

use proptest::prelude::*;
use zongjie::ingest::{ingest_bytes, pieces, structure, IngestOptions};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/txt/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn seed_is_six_documents_whose_texts_are_its_pieces_in_every_encoding() {
    let utf8 = String::from_utf8(fixture("seed-utf8.txt")).unwrap();
    // The pieces, cut by hand at the 【篇N】 header lines.
    let mut expected = Vec::new();
    let mut current = String::new();
    for line in utf8.split_inclusive('\n') {
        if line.starts_with("【篇") {
            expected.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
        }
    }
    expected.push(current);
    assert_eq!(expected.len(), 6);
    for (name, encoding) in [
        ("seed-utf8.txt", "UTF-8"),
        ("seed-gb18030.txt", "gb18030"),
        ("seed-utf16le-bom.txt", "UTF-16LE"),
    ] {
        let docs = ingest_bytes(name, &fixture(name), &IngestOptions::default()).unwrap();
        let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(
            texts,
            expected.iter().map(String::as_str).collect::<Vec<_>>(),
            "{name}"
        );
        for (i, d) in docs.iter().enumerate() {
            assert_eq!(d.source.piece, i + 1);
            assert_eq!(d.source.pieces, 6);
            assert_eq!(d.source.encoding, encoding, "{name}");
        }
        assert_eq!(docs[1].title.as_deref(), Some("乡镇科协工作总结"));
        assert_eq!(
            docs[1].source.piece_header.as_deref(),
            Some("【篇2】乡镇科协工作总结")
        );
    }
}

#[test]
fn doc_ids_are_stable_and_distinct() {
    let a = ingest_bytes(
        "a.txt",
        &fixture("seed-utf8.txt"),
        &IngestOptions::default(),
    )
    .unwrap();
    let b = ingest_bytes(
        "elsewhere/b.txt",
        &fixture("seed-utf8.txt"),
        &IngestOptions::default(),
    )
    .unwrap();
    let ids_a: Vec<&str> = a.iter().map(|d| d.doc_id.as_str()).collect();
    let ids_b: Vec<&str> = b.iter().map(|d| d.doc_id.as_str()).collect();
    assert_eq!(ids_a, ids_b, "a moved file keeps its ids");
    let mut uniq = ids_a.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 6);
    // Pinned: ids must not change between versions or machines.
    assert_eq!(
        ids_a[0],
        zongjie::ingest::doc_id(&zongjie::ingest::sha256_hex(&fixture("seed-utf8.txt")), 1)
    );
}

#[test]
fn seed_sections_have_levels() {
    let docs = ingest_bytes("s", &fixture("seed-utf8.txt"), &IngestOptions::default()).unwrap();
    let s = &docs[0].sections;
    assert_eq!(s[0].level, 1);
    assert_eq!(s[0].title, "一、20xx年重点工作");
    assert_eq!(s[1].level, 2);
    assert_eq!(s[1].title, "（一）创全优环境，提升机关效能建设");
}

fn texty() -> impl Strategy<Value = String> {
    let parts = prop::sample::select(vec![
        "【篇2】乡镇科协工作总结\n",
        "【篇十】x\n",
        "一、",
        "（一）",
        "(二)",
        "1.",
        "１．",
        "（1）",
        "㈠",
        "第一部分",
        ">",
        "　",
        " ",
        "\n",
        "\r\n",
        "科协",
        "2024年",
        "。",
        "，",
        "é",
        "𠀀",
        "x",
    ]);
    prop::collection::vec(parts, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn pieces_tile_the_source(text in texty()) {
        let ps = pieces::split(&text);
        let mut rebuilt = String::new();
        let mut pos = 0;
        for p in &ps {
            if let Some((a, b)) = p.header {
                prop_assert_eq!(a, pos);
                rebuilt.push_str(&text[a..b]);
                pos = b;
            }
            prop_assert_eq!(p.body.0, pos);
            rebuilt.push_str(&text[p.body.0..p.body.1]);
            pos = p.body.1;
        }
        prop_assert_eq!(rebuilt, text);
    }

    #[test]
    fn sections_lie_on_char_boundaries(text in texty()) {
        for s in structure::find_sections(&text, &[]) {
            prop_assert!(text.is_char_boundary(s.heading.start) && text.is_char_boundary(s.heading.end));
            prop_assert!(text.is_char_boundary(s.extent.start) && text.is_char_boundary(s.extent.end));
            prop_assert!(s.extent.contains(&s.heading));
            prop_assert!(s.extent.end <= text.len());
        }
    }

    #[test]
    fn any_bytes_ingest_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = ingest_bytes("p.txt", &bytes, &IngestOptions::default());
    }
}

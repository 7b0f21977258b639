//! Splitting one file's text into pieces (several documents scraped into one
//! file, separated by headers such as `【篇2】乡镇科协工作总结`).

use regex::Regex;
use std::sync::LazyLock;

/// A piece header line: `【篇2】…`, `【第2篇】…`, `篇二：…`, at the start of
/// a line (after spaces or `>` debris).
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t\u{3000}>＞]*(?:【\s*(?:篇\s*[0-9０-９一二三四五六七八九十百]+|第\s*[0-9０-９一二三四五六七八九十百]+\s*篇)\s*】|篇[0-9０-９一二三四五六七八九十百]+[：:])[^\n]*(?:\n|$)",
    )
    .expect("piece header pattern")
});

/// One stretch of the file: an optional header line (with its line end) and
/// the text that follows it up to the next header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Byte range of the header line, line end included.
    pub header: Option<(usize, usize)>,
    /// Byte range of the piece's text.
    pub body: (usize, usize),
}

/// Split `text` into stretches. Headers and bodies together tile the whole
/// text in order, so concatenating them gives the text back. The first
/// stretch has no header and may be empty or whitespace.
pub fn split(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut header: Option<(usize, usize)> = None;
    let mut body_start = 0;
    for m in HEADER.find_iter(text) {
        out.push(Piece {
            header,
            body: (body_start, m.start()),
        });
        header = Some((m.start(), m.end()));
        body_start = m.end();
    }
    out.push(Piece {
        header,
        body: (body_start, text.len()),
    });
    out
}

/// The stretches that are documents: a headerless leading stretch holding
/// only whitespace is not one.
pub fn documents(text: &str) -> Vec<Piece> {
    split(text)
        .into_iter()
        .filter(|p| p.header.is_some() || !text[p.body.0..p.body.1].trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_headers_and_tiles_the_text() {
        let text = "甲文。\n【篇2】乡镇科协工作总结\n乙文。\n>【篇3】总结\n丙文。";
        let p = split(text);
        assert_eq!(p.len(), 3);
        let bodies: Vec<&str> = p.iter().map(|p| &text[p.body.0..p.body.1]).collect();
        assert_eq!(bodies, vec!["甲文。\n", "乙文。\n", "丙文。"]);
        let headers: Vec<Option<&str>> = p
            .iter()
            .map(|p| p.header.map(|(a, b)| &text[a..b]))
            .collect();
        assert_eq!(
            headers,
            vec![
                None,
                Some("【篇2】乡镇科协工作总结\n"),
                Some(">【篇3】总结\n")
            ]
        );
        let mut rebuilt = String::new();
        for piece in &p {
            if let Some((a, b)) = piece.header {
                rebuilt.push_str(&text[a..b]);
            }
            rebuilt.push_str(&text[piece.body.0..piece.body.1]);
        }
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn header_forms() {
        for h in [
            "【篇2】x",
            "【篇十二】x",
            "【第3篇】x",
            "篇二：x",
            "　　【篇 4 】x",
        ] {
            assert_eq!(split(&format!("a\n{h}\nb")).len(), 2, "{h}");
        }
        for not in ["文中提到【篇2】", "诗篇二：", "第二篇文章"] {
            assert_eq!(split(&format!("a\n{not}\nb")).len(), 1, "{not}");
        }
    }

    #[test]
    fn leading_blank_stretch_is_not_a_document() {
        let text = "\n【篇1】甲\n正文\n";
        assert_eq!(documents(text).len(), 1);
        assert_eq!(documents("只有正文").len(), 1);
    }
}

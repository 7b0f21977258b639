//! Segmentation: paragraphs (lines), sentences and words.
//!
//! Words come from jieba-rs, kept behind [`WordSegmenter`] so the rest of the
//! pipeline never depends on jieba's API (which changed between versions).

use crate::data::{DataDir, DataError};
use crate::model::{Paragraph, Section, Sentence, Span};

/// A word: a byte span into the text it was cut from.
pub type Word = Span;

/// Splits text into words.
pub trait WordSegmenter: Send + Sync {
    /// Words of `text` as byte spans, offset by `base`.
    fn segment_into(&self, text: &str, base: usize, out: &mut Vec<Word>);
}

/// jieba-rs with the default dictionary and the project's domain words.
pub struct ChineseWordSegmenter {
    jieba: jieba_rs::Jieba,
}

impl ChineseWordSegmenter {
    /// Build once and share (`&self` is `Sync`): loading the dictionary is the
    /// expensive part.
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        let mut jieba = jieba_rs::Jieba::new();
        let file = data.file("user_dict.txt")?;
        for (f, n, line) in file.lines() {
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            let freq = match parts.next() {
                Some(s) => Some(
                    s.parse::<usize>()
                        .map_err(|_| DataError::new(f, n, format!("bad frequency {s:?}")))?,
                ),
                None => None,
            };
            let tag = parts.next();
            jieba.add_word(word, freq, tag);
        }
        Ok(ChineseWordSegmenter { jieba })
    }

    /// Bare jieba `cut` (the benchmark's reference).
    pub fn cut_count(&self, text: &str) -> usize {
        self.jieba.cut(text, true).len()
    }
}

impl WordSegmenter for ChineseWordSegmenter {
    fn segment_into(&self, text: &str, base: usize, out: &mut Vec<Word>) {
        for t in self.jieba.cut(text, true) {
            out.push(Span::new(base + t.byte_start, base + t.byte_end));
        }
    }
}

/// Lines of the text (split on `\n`, a trailing `\r` left out of the span),
/// each assigned to the innermost section that holds it.
pub fn paragraphs(text: &str, sections: &[Section]) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let mut content_end = end;
        if text[start..content_end].ends_with('\n') {
            content_end -= 1;
        }
        if text[start..content_end].ends_with('\r') {
            content_end -= 1;
        }
        let span = Span::new(start, content_end);
        // Innermost = the last section (in document order) whose extent holds it.
        let section = sections
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.extent.start <= span.start && span.start < s.extent.end.max(s.extent.start + 1)
            })
            .map(|(i, _)| i)
            .next_back();
        let is_heading = sections.iter().any(|s| s.heading.start == span.start);
        out.push(Paragraph {
            span,
            section,
            is_heading,
        });
        start = end;
    }
    if text.is_empty() {
        return out;
    }
    out
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';')
}

/// Sentences: split on 。！？； (and ASCII !?;) within each paragraph; closing
/// quotes and brackets right after the mark stay with the sentence.
pub fn sentences(text: &str, paragraphs: &[Paragraph]) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (pi, p) in paragraphs.iter().enumerate() {
        let ptext = p.span.slice(text);
        let mut s_start = 0;
        let mut iter = ptext.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if is_sentence_end(c) {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = iter.peek() {
                    if matches!(d, '”' | '’' | '」' | '』' | '）' | ')' | '"') || is_sentence_end(d)
                    {
                        end = j + d.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                push_trimmed(&mut out, ptext, p.span.start, s_start, end, pi);
                s_start = end;
            }
        }
        push_trimmed(&mut out, ptext, p.span.start, s_start, ptext.len(), pi);
    }
    out
}

fn push_trimmed(
    out: &mut Vec<Sentence>,
    ptext: &str,
    base: usize,
    start: usize,
    end: usize,
    paragraph: usize,
) {
    let piece = &ptext[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail >= piece.len() {
        return;
    }
    out.push(Sentence {
        span: Span::new(base + start + lead, base + end - trail),
        paragraph,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_marks_and_keep_quotes() {
        let text = "　　他说：“好。”然后走了！\n第二行；第三句";
        let paras = paragraphs(text, &[]);
        assert_eq!(paras.len(), 2);
        let s: Vec<&str> = sentences(text, &paras)
            .iter()
            .map(|s| s.span.slice(text))
            .collect();
        assert_eq!(s, vec!["他说：“好。”", "然后走了！", "第二行；", "第三句"]);
    }

    #[test]
    fn paragraph_spans_exclude_crlf() {
        let text = "a\r\nb\n\nc";
        let p: Vec<&str> = paragraphs(text, &[])
            .iter()
            .map(|p| p.span.slice(text))
            .collect();
        assert_eq!(p, vec!["a", "b", "", "c"]);
    }
}

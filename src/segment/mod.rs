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

    /// The words of every sentence of `text`, in order, exactly as cutting
    /// each sentence on its own ([`WordSegmenter::segment_into`]) gives
    /// them, from one cut of the whole text: one call instead of one per
    /// sentence saves jieba's per-call set-up and output allocation.
    ///
    /// jieba cuts each maximal run of "han" chars (see [`is_jieba_han`]) on
    /// its own and makes every other char a token (`\r\n` one token). So a
    /// sentence's words are the same in both cuts when no han run crosses
    /// either of its edges and no token straddles one; a sentence where that
    /// fails (a long line cut inside a run, say) is cut on its own.
    /// `sentences` must lie on char boundaries of `text`, as
    /// [`sentences`] makes them; they are normally in text order.
    ///
    /// The text is cut in pieces of consecutive sentences of at most
    /// [`WORDS_PIECE_BYTES`] (a longer sentence alone): jieba's token list
    /// for a 5 MB text would take ~100 MB at once. A piece starts and ends at
    /// sentence edges, so the argument above holds for it as for the whole.
    pub fn words_of(&self, text: &str, sentences: &[Sentence], out: &mut Vec<Word>) {
        let mut i = 0;
        while i < sentences.len() {
            let start = sentences[i].span.start;
            let mut j = i + 1;
            while j < sentences.len()
                && sentences[j].span.start >= sentences[j - 1].span.end
                && sentences[j].span.end.saturating_sub(start) <= WORDS_PIECE_BYTES
            {
                j += 1;
            }
            self.words_in_piece(text, start, &sentences[i..j], out);
            i = j;
        }
    }

    /// [`Self::words_of`] for sentences in text order, from one cut of the
    /// text from `start` (the first sentence's start) to the last one's end.
    fn words_in_piece(
        &self,
        text: &str,
        start: usize,
        sentences: &[Sentence],
        out: &mut Vec<Word>,
    ) {
        let end = sentences.last().map_or(start, |s| s.span.end);
        let Some(piece) = text.get(start..end) else {
            for s in sentences {
                if let Some(one) = text.get(s.span.start..s.span.end) {
                    self.segment_into(one, s.span.start, out);
                }
            }
            return;
        };
        let tokens = self.jieba.cut(piece, true);
        // Index of the first token starting at or after the sentence start.
        let mut t = 0;
        for s in sentences {
            let Span { start: a, end: b } = s.span;
            let (pa, pb) = (a - start, b - start);
            while tokens.get(t).is_some_and(|x| x.byte_start < pa) {
                t += 1;
            }
            let first = t;
            while tokens.get(t).is_some_and(|x| x.byte_end <= pb) {
                t += 1;
            }
            let same = t > first
                && tokens[first].byte_start == pa
                && tokens[t - 1].byte_end == pb
                && !han_run_crosses(text, a)
                && !han_run_crosses(text, b);
            if same {
                out.extend(
                    tokens[first..t]
                        .iter()
                        .map(|x| Span::new(start + x.byte_start, start + x.byte_end)),
                );
            } else if let Some(one) = text.get(a..b) {
                self.segment_into(one, a, out);
            }
        }
    }
}

/// Most text cut at once by [`ChineseWordSegmenter::words_of`].
pub const WORDS_PIECE_BYTES: usize = 64 * 1024;

/// jieba-rs 0.11's `is_han_default` (private there): the chars it joins
/// into runs that are segmented as a whole; every other char is a token.
fn is_jieba_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '0'..='9' | 'a'..='z' | 'A'..='Z'
        | '+' | '#' | '&' | '.' | '_' | '%' | '-'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}'
        | '\u{2B740}'..='\u{2B81F}'
        | '\u{2B820}'..='\u{2CEAF}'
        | '\u{2CEB0}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// Does a run of han chars go on across byte offset `at` (a han char on
/// both sides)? Then a cut of the whole text and a cut starting or ending
/// at `at` segment that run differently.
///
/// Decoded from the bytes around `at` only, the char before first: at a
/// sentence edge it is nearly always a mark or a line end, which ends the
/// test.
#[inline(always)]
fn han_run_crosses(text: &str, at: usize) -> bool {
    let b = text.as_bytes();
    if at == 0 || at >= b.len() || !text.is_char_boundary(at) {
        return false;
    }
    // The lead byte of the char ending at `at`: back over continuation bytes.
    let mut lead = at - 1;
    while lead > 0 && b[lead] & 0xC0 == 0x80 {
        lead -= 1;
    }
    is_jieba_han_at(b, lead) && is_jieba_han_at(b, at)
}

/// [`is_jieba_han`] of the char starting at byte `i` of valid UTF-8, from
/// its lead byte where that decides (a sentence mark or line end, the usual
/// char at a sentence edge, never needs decoding).
#[inline(always)]
fn is_jieba_han_at(b: &[u8], i: usize) -> bool {
    let Some(&x) = b.get(i) else {
        return false;
    };
    match x {
        0..=0x7F => matches!(x,
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'+' | b'#' | b'&' | b'.' | b'_' | b'%' | b'-'),
        // U+5000..=U+9FFF: all in U+4E00..=U+9FFF.
        0xE5..=0xE9 => true,
        // U+3000..=U+33FF (。、“ and the like): no han there.
        0xE3 if b.get(i + 1).is_some_and(|&y| y < 0x90) => false,
        // U+3400..=U+4FFF, U+F000..=U+FFFF and plane 2 hold han ranges
        // among other chars: decoded. (Two-byte chars and the other leads
        // hold none.)
        0xE3 | 0xE4 | 0xEF | 0xF0 => crate::extract::char_at(b, i)
            .and_then(|(c, _)| char::from_u32(c))
            .is_some_and(is_jieba_han),
        _ => false,
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
///
/// One pass over lines and sections together: sections come in document
/// order and their extents nest, so the sections holding a line form a
/// stack (a text of a million numbered lines must not cost lines × sections).
/// Line ends are found with memchr, not by decoding chars.
// Kept out of line: once per document, and profiles then show its cost.
#[inline(never)]
pub fn paragraphs(text: &str, sections: &[Section]) -> Vec<Paragraph> {
    let bytes = text.as_bytes();
    // One paragraph a line (more for a line over MAX_PARAGRAPH_BYTES): the
    // vectorized count sizes the Vec once instead of growing it by doubling.
    let mut out = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    // Section indices by extent start (stable: equal starts keep index order).
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].extent.start);
    let mut heading_starts: Vec<usize> = sections.iter().map(|s| s.heading.start).collect();
    heading_starts.sort_unstable();
    let holds = |i: usize, pos: usize| {
        let e = sections[i].extent;
        e.start <= pos && pos < e.end.max(e.start + 1)
    };
    let mut next = 0;
    let mut open: Vec<usize> = Vec::new();
    // Paragraph starts only grow, so the headings at or after the current
    // one start at `heading`: a moving index instead of a search per line.
    let mut heading = 0;
    let mut place = |span: Span| {
        while next < order.len() && sections[order[next]].extent.start <= span.start {
            open.push(order[next]);
            next += 1;
        }
        // A section that no longer holds this line holds no later one.
        while open.last().is_some_and(|&i| !holds(i, span.start)) {
            open.pop();
        }
        // Innermost = the last section (in document order) whose extent
        // holds it; with nested extents that is the top of the stack, and
        // the fallback search keeps the answer exact if they ever do not.
        let section = match open.last() {
            Some(&top) if open.iter().all(|&i| i <= top) => Some(top),
            Some(_) => open.iter().copied().filter(|&i| holds(i, span.start)).max(),
            None => None,
        };
        while heading_starts.get(heading).is_some_and(|&h| h < span.start) {
            heading += 1;
        }
        let is_heading = heading_starts.get(heading) == Some(&span.start);
        out.push(Paragraph {
            span,
            section,
            is_heading,
        });
    };
    // Like `split_inclusive('\n')`: no line after a final `\n`, none at all
    // in an empty text.
    let mut start = 0;
    while start < bytes.len() {
        let (mut content_end, next_start) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        if content_end > start && bytes[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        let line = Span::new(start, content_end);
        if line.len() <= MAX_PARAGRAPH_BYTES {
            place(line);
        } else {
            cut_long_line(text, line).for_each(&mut place);
        }
        start = next_start;
    }
    out
}

/// Longest paragraph handed to the extractors. Real paragraphs stay far
/// below it (a long one in a report is a few KiB); a longer "line" is
/// scraped debris or a hostile file, and work per paragraph is not linear
/// in every extractor, so it is cut into pieces of at most this size.
pub const MAX_PARAGRAPH_BYTES: usize = 16 * 1024;

/// A line as one span, or a line longer than [`MAX_PARAGRAPH_BYTES`] as
/// consecutive spans that tile it, each cut after the last sentence mark
/// in its second half, else after the last comma or space there, else at a
/// char boundary.
fn cut_long_line(text: &str, line: Span) -> impl Iterator<Item = Span> + '_ {
    let mut at = line.start;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if line.end - at <= MAX_PARAGRAPH_BYTES {
            done = true;
            return Some(Span::new(at, line.end));
        }
        let mut limit = at + MAX_PARAGRAPH_BYTES;
        while !text.is_char_boundary(limit) {
            limit -= 1;
        }
        let window = &text[at..limit];
        let half = window.len() / 2;
        let cut_after = |pred: &dyn Fn(char) -> bool| {
            window
                .char_indices()
                .rev()
                .take_while(|&(i, _)| i >= half)
                .find(|&(_, c)| pred(c))
                .map(|(i, c)| at + i + c.len_utf8())
        };
        let cut = cut_after(&is_sentence_end)
            .or_else(|| cut_after(&|c| matches!(c, '，' | ',' | '、') || c.is_whitespace()))
            .unwrap_or(limit);
        let span = Span::new(at, cut);
        at = cut;
        Some(span)
    })
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';')
}

/// Sentences: split on 。！？； (and ASCII !?;) within each paragraph; closing
/// quotes and brackets right after the mark stay with the sentence.
pub fn sentences(text: &str, paragraphs: &[Paragraph]) -> Vec<Sentence> {
    let mut out = Vec::with_capacity(paragraphs.len() * 2);
    for (pi, p) in paragraphs.iter().enumerate() {
        let ptext = p.span.slice(text);
        let bytes = ptext.as_bytes();
        let mut s_start = 0;
        while let Some(k) = next_mark(bytes, s_start) {
            // The mark (3 bytes when wide), then closers and further marks.
            let mut end = k + if bytes[k] < 0x80 { 1 } else { 3 };
            while let Some(n) = closer_len(bytes, end) {
                end += n;
            }
            push_trimmed(&mut out, ptext, p.span.start, s_start, end, pi);
            s_start = end;
        }
        push_trimmed(&mut out, ptext, p.span.start, s_start, ptext.len(), pi);
    }
    out
}

/// Byte offset of the first sentence mark at or after `k` (a char
/// boundary) in valid UTF-8.
///
/// Steps a char at a time by the lead byte's [`MARK_STEP`] (a CJK char is
/// one step of three bytes, not three byte tests). The wide marks 。！？；
/// are `E3 80 82`, `EF BC 81`, `EF BC 9F` and `EF BC 9B`, so only chars led
/// by 0xE3/0xEF (，、： among them) need a three-byte compare.
fn next_mark(bytes: &[u8], mut k: usize) -> Option<usize> {
    while let Some(&x) = bytes.get(k) {
        match MARK_STEP[x as usize] {
            0 => {
                if x < 0x80
                    || matches!(
                        bytes.get(k..k + 3),
                        Some([0xE3, 0x80, 0x82] | [0xEF, 0xBC, 0x81 | 0x9F | 0x9B])
                    )
                {
                    return Some(k);
                }
                k += 3;
            }
            step => k += step as usize,
        }
    }
    None
}

/// For each lead byte, the length of its char in UTF-8, or 0 for a byte
/// that may start a sentence mark: `!`, `?`, `;`, 0xE3 and 0xEF.
/// (Continuation bytes never start a char; 1 keeps the table total.)
static MARK_STEP: [u8; 256] = {
    let mut t = [1u8; 256];
    let mut b = 0xC0;
    while b < 256 {
        t[b] = if b < 0xE0 {
            2
        } else if b < 0xF0 {
            3
        } else {
            4
        };
        b += 1;
    }
    t[b'!' as usize] = 0;
    t[b'?' as usize] = 0;
    t[b';' as usize] = 0;
    t[0xE3] = 0;
    t[0xEF] = 0;
    t
};

/// The length of the char at byte `i` if it stays with the sentence ending
/// before it: a closing quote or bracket (”’」』）)") or another mark.
fn closer_len(bytes: &[u8], i: usize) -> Option<usize> {
    match *bytes.get(i)? {
        b')' | b'"' | b'!' | b'?' | b';' => Some(1),
        0xE2 | 0xE3 | 0xEF => match bytes.get(i..i + 3)? {
            // ” ’
            [0xE2, 0x80, 0x9D | 0x99]
            // 」 』 。
            | [0xE3, 0x80, 0x8D | 0x8F | 0x82]
            // ） ！ ？ ；
            | [0xEF, 0xBC, 0x89 | 0x81 | 0x9F | 0x9B] => Some(3),
            _ => None,
        },
        _ => None,
    }
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

    /// The single-pass assignment against the definition (last section in
    /// document order whose extent holds the line), on texts whose headings
    /// nest in every way four levels allow.
    #[test]
    fn innermost_section_matches_the_definition() {
        use crate::ingest::structure::find_sections;
        let heads = ["一、甲", "（一）乙", "1.丙", "（1）丁", "正文。", ""];
        let mut seed: u64 = 7;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..(seed % 23) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(heads[(seed >> 33) as usize % heads.len()]);
                text.push('\n');
            }
            let sections = find_sections(&text, &[]);
            for p in paragraphs(&text, &sections) {
                let want = sections
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| {
                        s.extent.start <= p.span.start
                            && p.span.start < s.extent.end.max(s.extent.start + 1)
                    })
                    .map(|(i, _)| i)
                    .next_back();
                assert_eq!(p.section, want, "{text:?} at {}", p.span.start);
                let head = sections.iter().any(|s| s.heading.start == p.span.start);
                assert_eq!(p.is_heading, head);
            }
        }
    }

    #[test]
    fn long_lines_are_cut_into_bounded_paragraphs_that_tile_them() {
        let long = "科协组织开展科普活动，推进乡村振兴。".repeat(4000);
        let text = format!("标题\n{long}\n{}\n尾", "无标点长行".repeat(5000));
        let paras = paragraphs(&text, &[]);
        assert!(paras.len() > 4);
        let mut at = 0;
        for p in &paras {
            assert!(p.span.len() <= MAX_PARAGRAPH_BYTES);
            let gap = &text[at..p.span.start];
            assert!(gap.is_empty() || gap == "\n", "{gap:?}");
            at = p.span.end;
        }
        assert_eq!(at, text.len());
        // Cuts after a sentence mark when there is one.
        let pieces: Vec<&str> = paras.iter().map(|p| p.span.slice(&text)).collect();
        assert!(
            pieces[1].ends_with('。'),
            "{}",
            &pieces[1][pieces[1].len() - 9..]
        );
    }

    fn jieba() -> &'static ChineseWordSegmenter {
        static SEG: std::sync::OnceLock<ChineseWordSegmenter> = std::sync::OnceLock::new();
        SEG.get_or_init(|| {
            ChineseWordSegmenter::new(&crate::data::DataDir::embedded_only()).expect("jieba")
        })
    }

    /// What the pipeline did before `words_of`: each sentence cut alone.
    fn per_sentence(text: &str, sentences: &[Sentence]) -> Vec<Word> {
        let mut out = Vec::new();
        for s in sentences {
            jieba().segment_into(s.span.slice(text), s.span.start, &mut out);
        }
        out
    }

    fn words_of(text: &str, sentences: &[Sentence]) -> Vec<Word> {
        let mut out = Vec::new();
        jieba().words_of(text, sentences, &mut out);
        out
    }

    fn sentence(start: usize, end: usize) -> Sentence {
        Sentence {
            span: Span::new(start, end),
            paragraph: 0,
        }
    }

    /// Every sentence of every input fixture (txt, docx, the gold texts):
    /// one whole-text cut gives the per-sentence cuts' words exactly.
    #[test]
    fn words_of_equals_per_sentence_cuts_on_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        for dir in ["txt", "docx", "gold/texts"] {
            for e in std::fs::read_dir(root.join(dir))
                .expect("fixtures")
                .flatten()
            {
                files.push(e.path());
            }
        }
        files.sort();
        let opts = crate::ingest::IngestOptions::default();
        let mut docs = 0;
        let mut words = 0;
        for f in &files {
            let Ok(bytes) = std::fs::read(f) else {
                continue;
            };
            let Ok(pieces) = crate::ingest::ingest_bytes(&f.to_string_lossy(), &bytes, &opts)
            else {
                continue;
            };
            for d in pieces {
                let paras = paragraphs(&d.text, &d.sections);
                let sents = sentences(&d.text, &paras);
                let want = per_sentence(&d.text, &sents);
                assert_eq!(words_of(&d.text, &sents), want, "{}", f.display());
                docs += 1;
                words += want.len();
            }
        }
        assert!(
            docs >= 20 && words > 10_000,
            "{docs} documents, {words} words"
        );
    }

    /// A text longer than one piece is cut in several, each starting and
    /// ending at sentence edges, with the same words as per-sentence cuts
    /// (including sentences whose edges fall inside a han run, and a long
    /// unmarked line, which paragraphs() cuts into bounded pieces).
    #[test]
    fn words_of_in_pieces_equals_per_sentence_cuts() {
        let mut text = String::new();
        for i in 0..6_000 {
            text.push_str(&format!("第{i}次科普活动在县科协举办，参加群众{i}人次。"));
            if i % 7 == 0 {
                text.push('\n');
            }
            if i % 11 == 0 {
                // No mark between two han runs: one sentence goes on.
                text.push_str("abc-12");
            }
        }
        text.push_str(&"科普大篷车进村入户".repeat(WORDS_PIECE_BYTES / 9));
        text.push('。');
        assert!(text.len() > 4 * WORDS_PIECE_BYTES);
        let paras = paragraphs(&text, &[]);
        let sents = sentences(&text, &paras);
        assert_eq!(words_of(&text, &sents), per_sentence(&text, &sents));
    }

    /// Edges where the whole-text cut differs from a sentence's own cut:
    /// the fallback must cut those sentences alone.
    #[test]
    fn words_of_equals_per_sentence_cuts_on_edge_cases() {
        let long = format!(
            "标题\n{}\n{}",
            "科协组织开展科普活动，推进乡村振兴。".repeat(1200),
            "无标点长行研究生命起源".repeat(2000)
        );
        let texts = [
            "县科协-2024年工作总结。-5个项目完成！3月15日召开会议",
            "一、\r\n二是推进\r\n\r\n三是\r落实\n",
            "　　全年开展活动　12次；　　参与人数1000余人次。　",
            "没有任何标点的一段文字没有句号",
            "abc.def+x#y&z_1%2-3。C++与C#；研究生命起源",
            "“好。”他说！（完）\n\n",
            "",
            long.as_str(),
        ];
        for text in texts {
            let paras = paragraphs(text, &[]);
            let sents = sentences(text, &paras);
            assert_eq!(
                words_of(text, &sents),
                per_sentence(text, &sents),
                "{text:?}"
            );
            // Hand-made spans on every char boundary pair of short texts,
            // crossing han runs and tokens as real sentences never do.
            if text.len() < 200 {
                let bounds: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                for (k, &a) in bounds.iter().enumerate() {
                    for &b in &bounds[k + 1..] {
                        let sents = [sentence(a, b)];
                        assert_eq!(
                            words_of(text, &sents),
                            per_sentence(text, &sents),
                            "{:?}",
                            &text[a..b]
                        );
                    }
                }
                // Out of order and overlapping.
                let n = bounds.len();
                if n > 6 {
                    let sents = [
                        sentence(bounds[n / 2], bounds[n - 1]),
                        sentence(bounds[0], bounds[n / 2 + 1]),
                        sentence(bounds[1], bounds[3]),
                    ];
                    assert_eq!(words_of(text, &sents), per_sentence(text, &sents));
                }
            }
        }
    }

    /// The fallback is needed: cutting inside a han run changes the words,
    /// so keeping the whole-text tokens there would be wrong.
    #[test]
    fn words_of_falls_back_where_a_han_run_is_cut() {
        let text = "研究生命起源";
        let whole: Vec<Word> = jieba()
            .jieba
            .cut(text, true)
            .iter()
            .map(|t| Span::new(t.byte_start, t.byte_end))
            .collect();
        let sents = [sentence(0, 9)];
        let want = per_sentence(text, &sents);
        let kept: Vec<Word> = whole.into_iter().filter(|w| w.end <= 9).collect();
        assert_ne!(kept, want);
        assert_eq!(words_of(text, &sents), want);
        // A long line without marks is cut inside a run: same words.
        let long = "研究生命起源".repeat(4000);
        let paras = paragraphs(&long, &[]);
        assert!(paras.len() > 1);
        let sents = sentences(&long, &paras);
        assert!(sents.iter().any(|s| han_run_crosses(&long, s.span.end)));
        assert_eq!(words_of(&long, &sents), per_sentence(&long, &sents));
    }

    #[test]
    fn jieba_han_class_matches_the_cut() {
        // A han char next to another joins its run (no split between
        // them); a non-han char is a token of its own.
        for c in [
            '科', '㐀', '丽', 'a', 'Z', '7', '+', '#', '&', '.', '_', '%', '-',
        ] {
            assert!(is_jieba_han(c), "{c}");
        }
        for c in [
            '，', '。', ' ', '\u{3000}', '“', '（', '!', ';', '\r', '\n', '：', '①',
        ] {
            assert!(!is_jieba_han(c), "{c:?}");
            let text = format!("科协{c}科协");
            let toks = jieba().jieba.cut(&text, true);
            assert!(toks.iter().any(|t| t.word == c.to_string()), "{c:?}");
        }
    }

    /// The char-by-char splitters the byte scans replaced, as references.
    fn sentences_by_chars(text: &str, paragraphs: &[Paragraph]) -> Vec<Sentence> {
        let mut out = Vec::new();
        for (pi, p) in paragraphs.iter().enumerate() {
            let ptext = p.span.slice(text);
            let mut s_start = 0;
            let mut k = 0;
            while let Some(c) = ptext.get(k..).and_then(|r| r.chars().next()) {
                if !is_sentence_end(c) {
                    k += c.len_utf8();
                    continue;
                }
                let mut end = k + c.len_utf8();
                while let Some(d) = ptext.get(end..).and_then(|r| r.chars().next()) {
                    if matches!(d, '”' | '’' | '」' | '』' | '）' | ')' | '"') || is_sentence_end(d)
                    {
                        end += d.len_utf8();
                    } else {
                        break;
                    }
                }
                push_trimmed(&mut out, ptext, p.span.start, s_start, end, pi);
                s_start = end;
                k = end;
            }
            push_trimmed(&mut out, ptext, p.span.start, s_start, ptext.len(), pi);
        }
        out
    }

    fn line_spans_by_split(text: &str) -> Vec<Span> {
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
            out.extend(cut_long_line(text, Span::new(start, content_end)));
            start = end;
        }
        out
    }

    proptest::proptest! {
        /// Texts drawn from the chars the scans look at (marks, closers,
        /// other chars sharing their lead bytes, line ends, spaces) and
        /// some others: the byte scans split exactly as the char scans.
        #[test]
        fn byte_scans_split_as_char_scans(
            picks in proptest::collection::vec(0usize..40, 0..300),
            long in proptest::prelude::any::<bool>(),
        ) {
            const CHARS: [&str; 40] = [
                "。", "！", "？", "；", "!", "?", ";", "”", "’", "」", "』", "）", ")", "\"",
                "，", "、", "：", "（", "「", "《", "“", "\n", "\r", "\r\n", " ", "\u{3000}",
                "科", "协", "a", "1", "-", "é", "😀", "\u{FF01}", "\u{3002}\u{3002}", "\u{E000}",
                "\t", "活动", "\u{2028}", "\u{FEFF}",
            ];
            let mut text: String = picks.iter().map(|&i| CHARS[i]).collect();
            if long {
                // Longer than MAX_PARAGRAPH_BYTES: cut into pieces.
                text = text.repeat(MAX_PARAGRAPH_BYTES / text.len().max(1) + 2);
            }
            let paras = paragraphs(&text, &[]);
            let spans: Vec<Span> = paras.iter().map(|p| p.span).collect();
            proptest::prop_assert_eq!(spans, line_spans_by_split(&text));
            proptest::prop_assert_eq!(sentences(&text, &paras), sentences_by_chars(&text, &paras));
        }
    }

    #[test]
    fn jieba_han_at_matches_the_char_test() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = c.encode_utf8(&mut buf);
            assert_eq!(is_jieba_han_at(s.as_bytes(), 0), is_jieba_han(c), "{c:?}");
        }
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

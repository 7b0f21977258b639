//! A rendered Markdown subset laid out as a Chinese official document
//! (GB/T 9704-2012): A4, margins 37/35/28/26 mm, title 二号 小标宋 centred,
//! body 三号 仿宋 on a fixed 22-line grid, level-1 headings 黑体, level-2
//! 楷体, page numbers `— n —` in the footer.
//!
//! The subset: `# ` title, `## ` level-1 heading, `### `/`#### ` level-2,
//! `| a | b |` table rows (the first row is the header; `|---|` rows are
//! skipped), `>> ` a right-aligned line (signature, date), `- ` and other
//! lines body paragraphs; `**` and backticks are dropped.

use docx_rs::{
    AlignmentType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Run,
    RunFonts, SpecialIndentType, Table, TableCell, TableRow, WidthType,
};

/// 1 mm in twips (1/20 pt): 1440 / 25.4.
const MM: f64 = 56.692_913;
fn mm(v: f64) -> i32 {
    (v * MM).round() as i32
}

/// Font names. Word substitutes the fallback when the first is missing
/// only through the font table; we name the standard faces and let the
/// reader substitute (LibreOffice and WPS map them to installed ones).
pub const FONT_TITLE: &str = "方正小标宋简体";
pub const FONT_TITLE_FALLBACK: &str = "宋体";
pub const FONT_BODY: &str = "仿宋";
pub const FONT_H1: &str = "黑体";
pub const FONT_H2: &str = "楷体";
/// 二号 22 pt, 三号 16 pt, 四号 14 pt, in half-points.
const SIZE_TITLE: usize = 44;
const SIZE_BODY: usize = 32;
const SIZE_TABLE: usize = 24;
const SIZE_FOOTER: usize = 28;
/// Text block 225 mm high / 22 lines = 28.95 pt a line.
const LINE_TWIPS: i32 = 579;

fn fonts(name: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(name)
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

fn spacing() -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(LINE_TWIPS)
        .before(0)
        .after(0)
}

fn strip_inline(s: &str) -> String {
    s.replace("**", "").replace('`', "")
}

fn body_paragraph(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_BODY, SIZE_BODY))
        .line_spacing(spacing())
        .align(AlignmentType::Both)
        // Two characters of 三号 (16 pt each) = 640 twips.
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

fn table_paragraph(text: &str, bold: bool) -> Paragraph {
    // Fonts come from the document defaults (仿宋): lighter XML per cell.
    let mut r = Run::new().add_text(text).size(SIZE_TABLE);
    if bold {
        r = r.bold();
    }
    // Off the 22-line grid: table rows would otherwise take a full body line.
    Paragraph::new()
        .add_run(r)
        .snap_to_grid(false)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Auto)
                .line(240)
                .before(0)
                .after(0),
        )
}

fn split_row(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| strip_inline(c.trim())).collect()
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Width of the text block (156 mm) in twips, shared out by column text length.
fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let total = mm(156.0) as usize;
    // Each column first gets its header on one line (12 pt characters are
    // 240 twips, plus the cell padding); what is left of the block is shared
    // by how much more the contents would like.
    let pad = 300usize;
    let mut min_w = vec![2 * 240 + pad; cols];
    let mut want = vec![0usize; cols];
    for (ri, r) in rows.iter().enumerate() {
        for (i, c) in r.iter().enumerate() {
            let w = c.chars().count() * 240 + pad;
            if ri == 0 {
                min_w[i] = min_w[i].max(w);
            }
            want[i] = want[i].max(c.chars().count().min(18) * 240 + pad);
        }
    }
    let base: usize = min_w.iter().sum();
    if base >= total {
        min_w.iter().map(|w| w * total / base.max(1)).collect()
    } else {
        let extra: Vec<usize> = (0..cols)
            .map(|i| want[i].saturating_sub(min_w[i]) + 1)
            .collect();
        let sum: usize = extra.iter().sum::<usize>().max(1);
        (0..cols)
            .map(|i| min_w[i] + (total - base) * extra[i] / sum)
            .collect()
    }
}

fn build_table(rows: &[Vec<String>], widths: &[usize]) -> Table {
    let total = mm(156.0) as usize;
    let rows = rows
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let cells = widths
                .iter()
                .enumerate()
                .map(|(ci, &w)| {
                    let text = r.get(ci).map(String::as_str).unwrap_or("");
                    TableCell::new()
                        .add_paragraph(table_paragraph(text, ri == 0))
                        .width(w, WidthType::Dxa)
                })
                .collect();
            TableRow::new(cells)
        })
        .collect();
    Table::new(rows)
        .set_grid(widths.to_vec())
        .width(total, WidthType::Dxa)
        .layout(docx_rs::TableLayoutType::Fixed)
}

/// One block of the Markdown subset, inline markup already dropped.
#[derive(Debug, Clone)]
enum Block {
    Title(String),
    H1(String),
    H2(String),
    Right(String),
    Body(String),
    /// Rows (the first is the header) and the column widths in twips.
    Table(Vec<Vec<String>>, Vec<usize>),
}

fn parse(src: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let flush = |out: &mut Vec<Block>, table: &mut Vec<Vec<String>>| {
        if !table.is_empty() {
            let widths = column_widths(table);
            out.push(Block::Table(std::mem::take(table), widths));
        }
    };
    for line in src.lines() {
        let t = line.trim_end();
        if t.trim_start().starts_with('|') {
            if !is_separator(t) {
                table.push(split_row(t));
            }
            continue;
        }
        flush(&mut out, &mut table);
        let t = t.trim_start();
        if t.is_empty() {
            continue;
        }
        out.push(if let Some(x) = t.strip_prefix("# ") {
            Block::Title(strip_inline(x))
        } else if let Some(x) = t.strip_prefix("## ") {
            Block::H1(strip_inline(x))
        } else if let Some(x) = t.strip_prefix("### ").or_else(|| t.strip_prefix("#### ")) {
            Block::H2(strip_inline(x))
        } else if let Some(x) = t.strip_prefix(">>") {
            Block::Right(strip_inline(x.trim()))
        } else if let Some(x) = t.strip_prefix("- ") {
            Block::Body(strip_inline(x))
        } else {
            Block::Body(strip_inline(t))
        });
    }
    flush(&mut out, &mut table);
    out
}

/// The docx-rs document of the blocks: the layout authority. The fast
/// writer below reproduces its output byte for byte.
fn reference_docx(blocks: &[Block]) -> Docx {
    let mut docx = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(mm(37.0))
                .bottom(mm(35.0))
                .left(mm(28.0))
                .right(mm(26.0))
                .header(mm(15.0))
                .footer(mm(28.0) - mm(7.0)),
        )
        .default_fonts(fonts(FONT_BODY))
        .default_size(SIZE_BODY)
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(run("— ", FONT_TITLE_FALLBACK, SIZE_FOOTER))
                    .add_page_num(PageNum::new())
                    .add_run(run(" —", FONT_TITLE_FALLBACK, SIZE_FOOTER))
                    .size(SIZE_FOOTER),
            ),
        )
        .created_at("2000-01-01T00:00:00Z")
        .updated_at("2000-01-01T00:00:00Z");
    // The 22-line grid of 28 characters.
    docx.document = docx.document.doc_grid(
        docx_rs::DocGrid::new()
            .grid_type(docx_rs::DocGridType::LinesAndChars)
            .line_pitch(LINE_TWIPS as usize)
            .char_space(0),
    );
    for b in blocks {
        let p = match b {
            Block::Title(x) => Paragraph::new()
                .add_run(
                    run(x, FONT_TITLE, SIZE_TITLE).fonts(
                        RunFonts::new()
                            .east_asia(FONT_TITLE)
                            .ascii(FONT_TITLE_FALLBACK)
                            .hi_ansi(FONT_TITLE_FALLBACK),
                    ),
                )
                .align(AlignmentType::Center)
                .line_spacing(
                    LineSpacing::new()
                        .line_rule(LineSpacingType::Exact)
                        .line(LINE_TWIPS + 200)
                        .before(0)
                        .after(LINE_TWIPS as u32),
                )
                .outline_lvl(0),
            Block::H1(x) => Paragraph::new()
                .add_run(run(x, FONT_H1, SIZE_BODY))
                .line_spacing(spacing())
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                .keep_next(true)
                .outline_lvl(1),
            Block::H2(x) => Paragraph::new()
                .add_run(run(x, FONT_H2, SIZE_BODY))
                .line_spacing(spacing())
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                .keep_next(true)
                .outline_lvl(2),
            Block::Right(x) => Paragraph::new()
                .add_run(run(x, FONT_BODY, SIZE_BODY))
                .line_spacing(spacing())
                .align(AlignmentType::Right)
                // GB/T 9704: the signature ends four characters from the right.
                .indent(None, None, Some(4 * 320), None),
            Block::Body(x) => body_paragraph(x),
            Block::Table(rows, widths) => {
                // A blank line after a table keeps the next paragraph off its border.
                docx = docx
                    .add_table(build_table(rows, widths))
                    .add_paragraph(Paragraph::new().line_spacing(spacing()).size(SIZE_BODY));
                continue;
            }
        };
        docx = docx.add_paragraph(p);
    }
    docx
}

/// The .docx of the blocks through docx-rs end to end (slow: ~10 ms for a
/// report, nearly all in docx-rs's XML writer).
fn reference_bytes(blocks: &[Block]) -> std::io::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    reference_docx(blocks)
        .build()
        .pack(&mut buf)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(buf.into_inner())
}

/// Lay out rendered Markdown-subset text as a .docx and return its bytes.
///
/// Every report has the same package parts but `word/document.xml`, and
/// that part is a sequence of a handful of paragraph and table shapes. So
/// at first use docx-rs lays out a probe document holding each shape once
/// around marker texts; the pieces between the markers are kept, and a
/// report's document.xml is those pieces with its texts, widths and
/// paragraph ids spliced in, stored into a copy of the probe's zip. The
/// result is checked byte for byte against docx-rs on samples before it is
/// trusted; if docx-rs ever lays out differently, every call falls back to
/// docx-rs itself.
pub fn markdown_to_docx(src: &str) -> std::io::Result<Vec<u8>> {
    let blocks = parse(src);
    match fast() {
        Some(f) => f.write(&blocks),
        None => reference_bytes(&blocks),
    }
}

/// Whether reports take the fast path (tests assert it).
pub fn fast_path_active() -> bool {
    fast().is_some()
}

fn fast() -> Option<&'static Fast> {
    static FAST: std::sync::OnceLock<Option<Fast>> = std::sync::OnceLock::new();
    FAST.get_or_init(Fast::derive).as_ref()
}

/// docx-rs's text escaping (`escape` in its `escape` module): the writer
/// does not escape again.
fn push_escaped(out: &mut String, text: &str) {
    if !text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\n' | b'\r'))
    {
        out.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => {}
            _ => out.push(ch),
        }
    }
}

/// A paragraph shape: what follows its `<w:p w14:paraId="…">` up to its
/// text, and what follows the text up to `</w:p>`.
struct Shape {
    pre: String,
    post: String,
}

const P_OPEN: &str = "<w:p w14:paraId=\"";
/// `<w:p w14:paraId="` + 8 hex digits + `">`.
const P_OPEN_LEN: usize = P_OPEN.len() + 10;

/// The paragraph around `marker` in `x`: (start, shape, end, id).
fn shape_at(x: &str, marker: &str) -> Option<(usize, Shape, usize, u32)> {
    let m = x.find(marker)?;
    let ps = x[..m].rfind(P_OPEN)?;
    let open = x.get(ps..ps + P_OPEN_LEN)?;
    let id = u32::from_str_radix(open.get(P_OPEN.len()..P_OPEN.len() + 8)?, 16).ok()?;
    if !open.ends_with("\">") {
        return None;
    }
    let after = m + marker.len();
    let pe = after + x[after..].find("</w:p>")? + "</w:p>".len();
    let shape = Shape {
        pre: x.get(ps + P_OPEN_LEN..m)?.to_string(),
        post: x.get(after..pe)?.to_string(),
    };
    Some((ps, shape, pe, id))
}

/// The pieces of document.xml and the zip around it, from a probe laid
/// out by docx-rs.
struct Fast {
    head: String,
    tail: String,
    first_id: u32,
    title: Shape,
    h1: Shape,
    h2: Shape,
    right: Shape,
    body: Shape,
    cell_head: Shape,
    cell_body: Shape,
    /// The paragraph after a table, after its id.
    blank: String,
    tbl_open: String,
    grid_pre: String,
    grid_post: String,
    grid_close: String,
    row_open: String,
    tc_pre: String,
    tc_mid: String,
    tc_close: String,
    row_close: String,
    tbl_close: String,
    zip: ZipTemplate,
}

/// Marker texts and widths of the probe: nothing docx-rs escapes, and no
/// marker a prefix of another.
const MK: [&str; 10] = [
    "ZJQ0TITLEZJQ",
    "ZJQ1HEADAZJQ",
    "ZJQ2HEADBZJQ",
    "ZJQ3RIGHTZJQ",
    "ZJQ4BODYZJQ",
    "ZJQ5THAZJQ",
    "ZJQ6THBZJQ",
    "ZJQ7TDAZJQ",
    "ZJQ8TDBZJQ",
    "ZJQ9ENDZJQ",
];
const WA: usize = 7_654_321;
const WB: usize = 7_654_322;

impl Fast {
    fn probe() -> Vec<Block> {
        vec![
            Block::Title(MK[0].into()),
            Block::H1(MK[1].into()),
            Block::H2(MK[2].into()),
            Block::Right(MK[3].into()),
            Block::Body(MK[4].into()),
            Block::Table(
                vec![
                    vec![MK[5].into(), MK[6].into()],
                    vec![MK[7].into(), MK[8].into()],
                ],
                vec![WA, WB],
            ),
            Block::Body(MK[9].into()),
        ]
    }

    /// Lay out the probe with docx-rs and cut it into pieces; `None` when
    /// its shape is not the expected one or the pieces do not reproduce
    /// docx-rs's output exactly.
    fn derive() -> Option<Fast> {
        let probe = Self::probe();
        let bytes = reference_bytes(&probe).ok()?;
        let zip = ZipTemplate::parse(&bytes, "word/document.xml")?;
        let x = std::str::from_utf8(zip.part(&bytes)?).ok()?;
        let (s0, title, e0, first_id) = shape_at(x, MK[0])?;
        let (s1, h1, e1, _) = shape_at(x, MK[1])?;
        let (s2, h2, e2, _) = shape_at(x, MK[2])?;
        let (s3, right, e3, _) = shape_at(x, MK[3])?;
        let (s4, body, e4, _) = shape_at(x, MK[4])?;
        let (s5, cell_head, e5, _) = shape_at(x, MK[5])?;
        let (s6, _, e6, _) = shape_at(x, MK[6])?;
        let (s7, cell_body, _, _) = shape_at(x, MK[7])?;
        let (_, _, e8, _) = shape_at(x, MK[8])?;
        let (s9, _, e9, _) = shape_at(x, MK[9])?;
        if [(e0, s1), (e1, s2), (e2, s3), (e3, s4)]
            .iter()
            .any(|(e, s)| e != s)
        {
            return None;
        }
        let (wa, wb) = (WA.to_string(), WB.to_string());
        // The grid: <w:gridCol …WA…/><w:gridCol …WB…/>.
        let pa = x.find(&wa)?;
        let ga = x[..pa].rfind("<w:gridCol")?;
        let pb = x.find(&wb)?;
        let gb = x[..pb].rfind("<w:gridCol")?;
        let grid_pre = x.get(ga..pa)?.to_string();
        let grid_post = x.get(pa + wa.len()..gb)?.to_string();
        let g_end = pb + wb.len() + grid_post.len();
        // The rows and cells.
        let tc_a = x[..s5].rfind("<w:tc>")?;
        let tr_1 = x[..tc_a].rfind("<w:tr>")?;
        let cell_lead = x.get(tc_a..s5)?;
        let (tc_pre, tc_mid) = cell_lead.split_once(wa.as_str())?;
        let tc_b = x[..s6].rfind("<w:tc>")?;
        let tr_2 = x[..s7].rfind("<w:tr>")?;
        let blank_s = x[..s9].rfind(P_OPEN)?;
        let tc_close = x.get(e5..tc_b)?.to_string();
        let row_close = x.get(e6 + tc_close.len()..tr_2)?.to_string();
        let f = Fast {
            head: x.get(..s0)?.to_string(),
            tail: x.get(e9..)?.to_string(),
            first_id,
            tbl_open: x.get(e4..ga)?.to_string(),
            grid_close: x.get(g_end..tr_1)?.to_string(),
            row_open: x.get(tr_1..tc_a)?.to_string(),
            tc_pre: tc_pre.to_string(),
            tc_mid: tc_mid.to_string(),
            tbl_close: x
                .get(e8 + tc_close.len() + row_close.len()..blank_s)?
                .to_string(),
            blank: x.get(blank_s + P_OPEN_LEN..s9)?.to_string(),
            grid_pre,
            grid_post,
            tc_close,
            row_close,
            title,
            h1,
            h2,
            right,
            body,
            cell_head,
            cell_body,
            zip,
        };
        // Trust the pieces only if they give back docx-rs's bytes: the
        // probe itself, and a sample with every shape in other numbers,
        // escaped characters, empty and missing cells.
        if f.write_stored(&probe)? != bytes {
            return None;
        }
        let sample = parse(SAMPLE);
        if f.write_stored(&sample)? != reference_bytes(&sample).ok()? {
            return None;
        }
        Some(f)
    }

    fn para(&self, out: &mut String, id: &mut u32, shape: &Shape, text: &str) {
        self.open_p(out, id);
        out.push_str(&shape.pre);
        push_escaped(out, text);
        out.push_str(&shape.post);
    }

    fn open_p(&self, out: &mut String, id: &mut u32) {
        use std::fmt::Write;
        out.push_str(P_OPEN);
        let _ = write!(out, "{:08x}\">", *id);
        *id = id.wrapping_add(1);
    }

    fn document_xml(&self, blocks: &[Block]) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.head.len() + self.tail.len() + 64 * 1024);
        out.push_str(&self.head);
        let mut id = self.first_id;
        for b in blocks {
            match b {
                Block::Title(t) => self.para(&mut out, &mut id, &self.title, t),
                Block::H1(t) => self.para(&mut out, &mut id, &self.h1, t),
                Block::H2(t) => self.para(&mut out, &mut id, &self.h2, t),
                Block::Right(t) => self.para(&mut out, &mut id, &self.right, t),
                Block::Body(t) => self.para(&mut out, &mut id, &self.body, t),
                Block::Table(rows, widths) => {
                    out.push_str(&self.tbl_open);
                    for w in widths {
                        out.push_str(&self.grid_pre);
                        let _ = write!(out, "{w}");
                        out.push_str(&self.grid_post);
                    }
                    out.push_str(&self.grid_close);
                    for (ri, r) in rows.iter().enumerate() {
                        out.push_str(&self.row_open);
                        let shape = if ri == 0 {
                            &self.cell_head
                        } else {
                            &self.cell_body
                        };
                        for (ci, w) in widths.iter().enumerate() {
                            out.push_str(&self.tc_pre);
                            let _ = write!(out, "{w}");
                            out.push_str(&self.tc_mid);
                            let text = r.get(ci).map(String::as_str).unwrap_or("");
                            self.para(&mut out, &mut id, shape, text);
                            out.push_str(&self.tc_close);
                        }
                        out.push_str(&self.row_close);
                    }
                    out.push_str(&self.tbl_close);
                    self.open_p(&mut out, &mut id);
                    out.push_str(&self.blank);
                }
            }
        }
        out.push_str(&self.tail);
        out
    }

    /// The report's .docx, its document.xml deflated.
    fn write(&self, blocks: &[Block]) -> std::io::Result<Vec<u8>> {
        self.zip
            .write_deflated(self.document_xml(blocks).as_bytes())
    }

    /// The report's .docx with document.xml stored, as docx-rs writes it
    /// (for the checks against docx-rs; `None` past the zip's 4 GiB).
    fn write_stored(&self, blocks: &[Block]) -> Option<Vec<u8>> {
        let xml = self.document_xml(blocks);
        self.zip.write(xml.as_bytes(), xml.as_bytes(), false)
    }
}

/// Exercises every shape with other texts and widths than the probe.
const SAMPLE: &str = "# 标题 A&B <x>\n\n## 一、“工作”\n\n### （一）科普's\n\n#### 四级\n\n正文 \"引号\" 和 & 符号。\n\n- 列表项\n\n| 序号 | 数据 | 空 |\n| --- | --- | --- |\n| 1 | 2&3 |\n| 长长长长长长长长长长长长长长长长长长长长长长 | <b> | x |\n| 只有一格 |\n\n| 单列 |\n\n>> 县科协\n>> 文档编号 abc\n";

/// A stored (uncompressed) zip as docx-rs writes it, with one part to be
/// replaced: the bytes before that part's data, the bytes after it up to
/// the central directory, and the central directory, with where the
/// fields to patch sit.
struct ZipTemplate {
    /// Everything before the part's data (its local header included).
    before: Vec<u8>,
    /// Offset in `before` of the local header's CRC field.
    local_crc: usize,
    /// The part's old data range in the probe.
    data: std::ops::Range<usize>,
    /// From the end of the part's data to the start of the central directory.
    after: Vec<u8>,
    /// The central directory and end record, with the offsets of the
    /// fields to patch.
    central: Vec<u8>,
    central_crc: usize,
    /// Offsets (in `central`) of the local-header offsets of the entries
    /// that come after the part, with their value in the probe.
    shifted: Vec<(usize, u32)>,
    eocd: usize,
}

fn le16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl ZipTemplate {
    /// Read the probe's zip layout; `None` unless it is a plain stored zip
    /// (no zip64, no data descriptors, no comment) holding `name`.
    fn parse(z: &[u8], name: &str) -> Option<ZipTemplate> {
        let eocd = z.len().checked_sub(22)?;
        if le32(z, eocd)? != 0x0605_4b50 || le16(z, eocd + 20)? != 0 {
            return None;
        }
        let entries = le16(z, eocd + 10)?;
        let cd_size = le32(z, eocd + 12)? as usize;
        let cd_start = le32(z, eocd + 16)? as usize;
        if cd_start.checked_add(cd_size)? != eocd {
            return None;
        }
        let mut at = cd_start;
        let mut target: Option<(usize, usize)> = None; // (central record, local header)
        let mut records = Vec::new();
        for _ in 0..entries {
            if le32(z, at)? != 0x0201_4b50 {
                return None;
            }
            let n = le16(z, at + 28)?;
            let m = le16(z, at + 30)?;
            let k = le16(z, at + 32)?;
            let local = le32(z, at + 42)? as usize;
            let nm = z.get(at + 46..at + 46 + n)?;
            if nm == name.as_bytes() {
                target = Some((at, local));
            }
            records.push((at, local));
            at += 46 + n + m + k;
        }
        let (rec, local) = target?;
        // Stored, no data descriptor.
        if le16(z, rec + 8)? & 0x0008 != 0 || le16(z, rec + 10)? != 0 {
            return None;
        }
        if le32(z, local)? != 0x0403_4b50 {
            return None;
        }
        let size = le32(z, rec + 24)? as usize;
        if le32(z, rec + 20)? as usize != size {
            return None;
        }
        let data_start = local + 30 + le16(z, local + 26)? + le16(z, local + 28)?;
        let data_end = data_start.checked_add(size)?;
        if data_end > cd_start {
            return None;
        }
        let shifted = records
            .iter()
            .filter(|&&(_, l)| l > local)
            .map(|&(r, l)| (r - cd_start + 42, l as u32))
            .collect();
        Some(ZipTemplate {
            before: z.get(..data_start)?.to_vec(),
            local_crc: local + 14,
            data: data_start..data_end,
            after: z.get(data_end..cd_start)?.to_vec(),
            central: z.get(cd_start..)?.to_vec(),
            central_crc: rec - cd_start + 16,
            shifted,
            eocd: eocd - cd_start,
        })
    }

    /// The probe's bytes of the part.
    fn part<'a>(&self, z: &'a [u8]) -> Option<&'a [u8]> {
        z.get(self.data.clone())
    }

    /// The zip with `data` as the part, deflated. docx-rs stores every
    /// part, and document.xml, ~90 % of a report's bytes, is repetitive
    /// markup: deflated, a report of 2,000 generated documents' kind goes
    /// from ~125 KB to ~25 KB.
    fn write_deflated(&self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(data.len() / 4),
            flate2::Compression::new(REPORT_DEFLATE_LEVEL),
        );
        enc.write_all(data)?;
        let packed = enc.finish()?;
        self.write(data, &packed, true).ok_or_else(|| {
            std::io::Error::other(format!(
                "report too large for a .docx without zip64 ({} bytes of document.xml)",
                data.len()
            ))
        })
    }

    /// The zip with the part's bytes `packed` (`data` itself when not
    /// `deflated`); `None` when a size or an offset passes 4 GiB, which
    /// the template's plain zip records cannot hold.
    fn write(&self, data: &[u8], packed: &[u8], deflated: bool) -> Option<Vec<u8>> {
        let crc = crc32(data).to_le_bytes();
        let len = u32::try_from(data.len()).ok()?.to_le_bytes();
        let packed_len = u32::try_from(packed.len()).ok()?.to_le_bytes();
        let total = self.before.len() + packed.len() + self.after.len() + self.central.len();
        u32::try_from(total).ok()?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&self.before);
        let lc = self.local_crc;
        if deflated {
            // Local header: version needed 2.0 at +4, method 8 at +8 (the
            // CRC is at +14).
            out[lc - 10..lc - 8].copy_from_slice(&20u16.to_le_bytes());
            out[lc - 6..lc - 4].copy_from_slice(&8u16.to_le_bytes());
        }
        out[lc..lc + 4].copy_from_slice(&crc);
        out[lc + 4..lc + 8].copy_from_slice(&packed_len);
        out[lc + 8..lc + 12].copy_from_slice(&len);
        out.extend_from_slice(packed);
        out.extend_from_slice(&self.after);
        let cd_start = out.len();
        out.extend_from_slice(&self.central);
        let c = cd_start + self.central_crc;
        if deflated {
            // Central record: version needed at +6, method at +10 (the CRC
            // is at +16).
            out[c - 10..c - 8].copy_from_slice(&20u16.to_le_bytes());
            out[c - 6..c - 4].copy_from_slice(&8u16.to_le_bytes());
        }
        out[c..c + 4].copy_from_slice(&crc);
        out[c + 4..c + 8].copy_from_slice(&packed_len);
        out[c + 8..c + 12].copy_from_slice(&len);
        // Entries after the part move by the change in its size.
        let delta = packed.len() as i64 - self.data.len() as i64;
        for &(at, old) in &self.shifted {
            let new = u32::try_from(old as i64 + delta).ok()?;
            out[cd_start + at..cd_start + at + 4].copy_from_slice(&new.to_le_bytes());
        }
        let e = cd_start + self.eocd;
        out[e + 16..e + 20].copy_from_slice(&u32::try_from(cd_start).ok()?.to_le_bytes());
        Some(out)
    }
}

/// Deflate level of a report's document.xml: level 1 packs it ~6× at
/// ~500 MB/s (zlib-rs; see `ZIP_LEVEL` in the digests for the levels
/// measured on the same kind of markup), and reports are written on every
/// thread, off the run's critical path.
const REPORT_DEFLATE_LEVEL: u32 = 1;

/// CRC-32 (IEEE) of a zip part: crc32fast (already zip's), which uses the
/// CPU's carry-less multiply where there is one; a report's document.xml is
/// ~100 KB and a table-driven CRC was 1.7% of a default run.
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn official_layout() {
        let b = markdown_to_docx("# 标题\n\n## 一、主要工作\n\n### （一）科普\n\n正文。\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n>> 县科协\n").unwrap();
        let doc = part(&b, "word/document.xml");
        // A4 and the margins in twips.
        assert!(
            doc.contains(r#"w:w="11906""#) && doc.contains(r#"w:h="16838""#),
            "{doc}"
        );
        for m in [
            r#"w:top="2098""#,
            r#"w:bottom="1984""#,
            r#"w:left="1587""#,
            r#"w:right="1474""#,
        ] {
            assert!(doc.contains(m), "{m} missing");
        }
        assert!(doc.contains("方正小标宋简体") && doc.contains("黑体") && doc.contains("楷体"));
        assert!(doc.contains(r#"w:val="44""#) && doc.contains(r#"w:val="32""#));
        assert!(doc.contains(r#"w:linePitch="579""#));
        assert!(doc.contains("<w:tbl>"));
        let footer = part(&b, "word/footer1.xml");
        assert!(footer.contains("PAGE"), "{footer}");
    }

    /// The fast writer gives docx-rs's bytes exactly, for every shape,
    /// every ASCII character (escaping), empty input and odd tables.
    #[test]
    fn fast_writer_matches_docx_rs_byte_for_byte() {
        assert!(fast_path_active(), "the probe did not derive");
        let ascii: String = (1u8..128).map(char::from).collect();
        let inputs = [
            String::new(),
            "# 只有标题\n".to_string(),
            SAMPLE.to_string(),
            format!(
                "# {ascii}\n\n正文{ascii}\n\n| {a} | b |\n| {a} |\n",
                a = ascii.replace('|', "")
            ),
            "| a |\n|---|\n\n| x | y | z | w | v | u | t | s | r | q |\n| 1 |\n正文\n>> 落款\n"
                .to_string(),
            "- **粗体** `代码`\n#### 四级\n>>\n|\n".to_string(),
            format!(
                "# {}\n\n| {} | 短 |\n",
                "长".repeat(300),
                "表头很长".repeat(40)
            ),
        ];
        let fast = fast().unwrap();
        for src in &inputs {
            let blocks = parse(src);
            let want = reference_bytes(&blocks).unwrap();
            let got = fast.write_stored(&blocks).unwrap();
            assert!(got == want, "differs for {src:?}");
        }
    }

    /// What reports are written as: the same parts as docx-rs's, in the
    /// same order, document.xml deflated and every other part as it
    /// stored it; the zip reads back whole (CRCs checked on read).
    #[test]
    fn reports_are_docx_rs_parts_with_document_xml_deflated() {
        use std::io::Read;
        for src in [SAMPLE, "", "# 只有标题\n"] {
            let got = markdown_to_docx(src).unwrap();
            let want = reference_bytes(&parse(src)).unwrap();
            assert!(got.len() < want.len(), "not smaller for {src:?}");
            let mut a = zip::ZipArchive::new(std::io::Cursor::new(&got)).unwrap();
            let mut b = zip::ZipArchive::new(std::io::Cursor::new(&want)).unwrap();
            assert_eq!(a.len(), b.len());
            for i in 0..a.len() {
                let mut x = a.by_index(i).unwrap();
                let mut y = b.by_index(i).unwrap();
                assert_eq!(x.name(), y.name());
                let deflated = x.name() == "word/document.xml";
                let method = if deflated {
                    zip::CompressionMethod::Deflated
                } else {
                    zip::CompressionMethod::Stored
                };
                assert_eq!(x.compression(), method, "{}", x.name());
                let (mut xs, mut ys) = (Vec::new(), Vec::new());
                x.read_to_end(&mut xs).unwrap();
                y.read_to_end(&mut ys).unwrap();
                assert!(xs == ys, "{} differs for {src:?}", x.name());
            }
        }
    }

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        // Bitwise reference.
        let mut c = !0u32;
        for &b in &long {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        assert_eq!(crc32(&long), !c);
    }
}

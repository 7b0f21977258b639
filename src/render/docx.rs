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
fn build_table(rows: &[Vec<String>]) -> Table {
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
    let widths: Vec<usize> = if base >= total {
        min_w.iter().map(|w| w * total / base.max(1)).collect()
    } else {
        let extra: Vec<usize> = (0..cols)
            .map(|i| want[i].saturating_sub(min_w[i]) + 1)
            .collect();
        let sum: usize = extra.iter().sum::<usize>().max(1);
        (0..cols)
            .map(|i| min_w[i] + (total - base) * extra[i] / sum)
            .collect()
    };
    let rows = rows
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let cells = (0..cols)
                .map(|ci| {
                    let text = r.get(ci).map(String::as_str).unwrap_or("");
                    TableCell::new()
                        .add_paragraph(table_paragraph(text, ri == 0))
                        .width(widths[ci], WidthType::Dxa)
                })
                .collect();
            TableRow::new(cells)
        })
        .collect();
    Table::new(rows)
        .set_grid(widths)
        .width(total, WidthType::Dxa)
        .layout(docx_rs::TableLayoutType::Fixed)
}

/// Lay out rendered Markdown-subset text as a .docx and return its bytes.
pub fn markdown_to_docx(src: &str) -> std::io::Result<Vec<u8>> {
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
    let mut table: Vec<Vec<String>> = Vec::new();
    let flush = |docx: Docx, table: &mut Vec<Vec<String>>| -> Docx {
        if table.is_empty() {
            return docx;
        }
        let t = build_table(table);
        table.clear();
        // A blank line after a table keeps the next paragraph off its border.
        docx.add_table(t)
            .add_paragraph(Paragraph::new().line_spacing(spacing()).size(SIZE_BODY))
    };
    for line in src.lines() {
        let t = line.trim_end();
        if t.trim_start().starts_with('|') {
            if !is_separator(t) {
                table.push(split_row(t));
            }
            continue;
        }
        docx = flush(docx, &mut table);
        let t = t.trim_start();
        if t.is_empty() {
            continue;
        }
        let p = if let Some(x) = t.strip_prefix("# ") {
            Paragraph::new()
                .add_run(
                    run(&strip_inline(x), FONT_TITLE, SIZE_TITLE).fonts(
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
                .outline_lvl(0)
        } else if let Some(x) = t.strip_prefix("## ") {
            Paragraph::new()
                .add_run(run(&strip_inline(x), FONT_H1, SIZE_BODY))
                .line_spacing(spacing())
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                .keep_next(true)
                .outline_lvl(1)
        } else if let Some(x) = t.strip_prefix("### ").or_else(|| t.strip_prefix("#### ")) {
            Paragraph::new()
                .add_run(run(&strip_inline(x), FONT_H2, SIZE_BODY))
                .line_spacing(spacing())
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                .keep_next(true)
                .outline_lvl(2)
        } else if let Some(x) = t.strip_prefix(">>") {
            Paragraph::new()
                .add_run(run(&strip_inline(x.trim()), FONT_BODY, SIZE_BODY))
                .line_spacing(spacing())
                .align(AlignmentType::Right)
                // GB/T 9704: the signature ends four characters from the right.
                .indent(None, None, Some(4 * 320), None)
        } else if let Some(x) = t.strip_prefix("- ") {
            body_paragraph(&strip_inline(x))
        } else {
            body_paragraph(&strip_inline(t))
        };
        docx = docx.add_paragraph(p);
    }
    docx = flush(docx, &mut table);
    let mut buf = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut buf)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(buf.into_inner())
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
}

//! Self-contained SVG charts for digest.html (no scripts, no web fonts:
//! the page opens from disk anywhere).

use std::fmt::Write;

/// Bar colours, also looked for in the screenshot test.
pub const BLUE: &str = "#2f6db5";
pub const ORANGE: &str = "#d9822b";
pub const GREEN: &str = "#3a9a5b";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars, one per (label, value, shown value).
pub fn hbar(title: &str, items: &[(String, f64, String)], color: &str) -> String {
    let row = 26.0;
    let label_w = 170.0;
    let bar_w = 300.0;
    let h = 40.0 + row * items.len().max(1) as f64 + 10.0;
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><text x="8" y="22" font-size="15" font-weight="bold">{t}</text>"#,
        w = label_w + bar_w + 90.0,
        t = esc(title)
    );
    if items.is_empty() {
        let _ = write!(
            s,
            r##"<text x="8" y="56" font-size="13" fill="#666">（无数据）</text>"##
        );
    }
    for (i, (label, v, shown)) in items.iter().enumerate() {
        let y = 36.0 + row * i as f64;
        let w = if max > 0.0 {
            (v / max * bar_w).max(2.0)
        } else {
            2.0
        };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" font-size="13" text-anchor="end">{l}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="{bh}" fill="{color}"><title>{l}：{sh}</title></rect><text x="{vx:.1}" y="{ty}" font-size="12">{sh}</text>"#,
            lx = label_w - 6.0,
            ty = y + 15.0,
            l = esc(label),
            bx = label_w,
            bh = row - 8.0,
            vx = label_w + w + 4.0,
            sh = esc(shown),
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars over time (months), labels every few bars.
pub fn vbar(title: &str, items: &[(String, f64)], color: &str) -> String {
    let w = 600.0;
    let h = 240.0;
    let (left, bottom, top) = (36.0, 40.0, 36.0);
    // Room on the right for the last label.
    let plot_w = w - left - 50.0;
    let plot_h = h - bottom - top;
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let n = items.len().max(1) as f64;
    let step = plot_w / n;
    let every = (items.len() / 8).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><text x="8" y="22" font-size="15" font-weight="bold">{t}</text><line x1="{left}" y1="{base}" x2="{r}" y2="{base}" stroke="#999"/>"##,
        t = esc(title),
        base = h - bottom,
        r = w - 10.0,
    );
    if items.is_empty() {
        let _ = write!(
            s,
            r##"<text x="{left}" y="80" font-size="13" fill="#666">（无数据）</text>"##
        );
    }
    let _ = write!(
        s,
        r#"<text x="4" y="{y}" font-size="11">{m}</text>"#,
        y = top + 10.0,
        m = super::model::fmt_num(max)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let bh = if max > 0.0 {
            (v / max * plot_h).max(1.0)
        } else {
            1.0
        };
        let x = left + step * i as f64 + step * 0.15;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{color}"><title>{l}：{v}</title></rect>"#,
            y = h - bottom - bh,
            bw = (step * 0.7).max(1.0),
            l = esc(label),
            v = super::model::fmt_num(*v),
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{y}" font-size="11">{l}</text>"#,
                y = h - bottom + 16.0,
                l = esc(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_and_scale() {
        let s = hbar(
            "a<b",
            &[
                ("x&y".into(), 10.0, "10".into()),
                ("z".into(), 5.0, "5".into()),
            ],
            BLUE,
        );
        assert!(s.contains("a&lt;b") && s.contains("x&amp;y"));
        assert!(s.contains(r#"width="300.0""#) && s.contains(r#"width="150.0""#));
        let e = vbar("t", &[], GREEN);
        assert!(e.starts_with("<svg") && e.ends_with("</svg>"));
    }
}

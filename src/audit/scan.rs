//! The audit's own light scanners for figures and dates.
//!
//! The audit reads the text itself rather than relying only on the
//! extractors' facts: it needs things the facts do not carry (the words
//! before a figure, the connector of a range, the literal digits of an
//! impossible date) and it must keep working when an extractor misses a
//! form. Facts are linked to findings afterwards by overlap.

use regex::Regex;
use std::sync::LazyLock;

use crate::model::{Approx, Span};

/// Value of one digit char (ASCII or full-width).
pub fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Parse Arabic digits (ASCII/full-width, `,` thousands, `.` decimals).
pub fn parse_arabic(s: &str) -> Option<f64> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(d) = digit_value(c) {
            out.push(char::from(b'0' + d as u8));
        } else if matches!(c, '.' | '．') {
            out.push('.');
        } else if matches!(c, ',' | '，') {
            continue;
        } else {
            return None;
        }
    }
    out.parse().ok()
}

fn cn_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' | 'O' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Parse a Chinese numeral (`十二`, `一百零五`, `三千`, `二〇二四` digit by digit).
pub fn parse_chinese(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    // Digit-by-digit form (years: 二〇二四).
    if chars.len() >= 2 && chars.iter().all(|&c| cn_digit(c).is_some()) {
        let mut v: u64 = 0;
        for &c in &chars {
            v = v.checked_mul(10)?.checked_add(cn_digit(c)?)?;
        }
        return Some(v as f64);
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    for &c in &chars {
        if let Some(d) = cn_digit(c) {
            digit = Some(d);
            continue;
        }
        let mult = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => 10_000,
            '亿' => 100_000_000,
            _ => return None,
        };
        if mult >= 10_000 {
            section += digit.take().unwrap_or(0);
            total = (total + section).checked_mul(mult)?;
            section = 0;
        } else {
            section += digit.take().unwrap_or(1) * mult;
        }
    }
    Some((total + section + digit.unwrap_or(0)) as f64)
}

/// Parse either numeral form.
pub fn parse_number(s: &str) -> Option<f64> {
    parse_arabic(s).or_else(|| parse_chinese(s))
}

/// Units compared by the figure rules, longest first so alternation picks
/// the longest. Time units are left out on purpose: durations (`三天`,
/// `连续6年`) are not the amounts totals sum.
const UNITS: &[&str] = &[
    "个百分点",
    "人次",
    "场次",
    "万元",
    "亿元",
    "课时",
    "公里",
    "平方米",
    "个",
    "人",
    "名",
    "次",
    "场",
    "期",
    "项",
    "件",
    "份",
    "册",
    "本",
    "条",
    "块",
    "幅",
    "处",
    "所",
    "家",
    "户",
    "元",
    "篇",
    "节",
    "类",
    "种",
    "批",
    "支",
    "套",
    "台",
    "张",
    "位",
    "座",
    "株",
    "亩",
    "吨",
    "岁",
    "%",
    "％",
    "天",
    "小时",
];

/// A number with a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Whole expression, qualifiers included.
    pub span: Span,
    /// The digits alone.
    pub num: Span,
    pub value: f64,
    /// Normalized unit (`％` → `%`, `万元` → `元` with ×10000).
    pub unit: String,
    pub approx: Approx,
    pub chinese: bool,
}

static FIGURE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let units = UNITS
        .iter()
        .map(|u| regex::escape(u))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?P<pre>约|近|超过|逾|不少于|至少|不足|不到)?(?P<num>[0-9０-９]+(?:[,，][0-9０-９]{{3}})*(?:[.．][0-9０-９]+)?|[零〇一二两三四五六七八九十百千]+)(?P<mag>万|亿)?(?P<q1>余|多)?(?P<unit>{units})(?P<q2>以上|左右|多|余)?"
    ))
    .expect("figure regex")
});

/// Every figure in `text` (offsets relative to `text`, plus `base`).
pub fn figures(text: &str, base: usize) -> Vec<Figure> {
    let mut out = Vec::new();
    for c in FIGURE_RE.captures_iter(text) {
        let (Some(all), Some(num), Some(unit)) = (c.get(0), c.name("num"), c.name("unit")) else {
            continue;
        };
        let before = text[..num.start()].chars().next_back();
        // Ordinals and figures glued to a preceding number or letter.
        if matches!(before, Some('第') | Some('.') | Some('．'))
            || before.is_some_and(|b| b.is_ascii_alphanumeric() || digit_value(b).is_some())
        {
            continue;
        }
        let chinese = parse_arabic(num.as_str()).is_none();
        // A lone Chinese `一` + measure word is mostly an article (一个, 一批).
        if chinese && num.as_str() == "一" {
            continue;
        }
        let Some(mut value) = parse_number(num.as_str()) else {
            continue;
        };
        match c.name("mag").map(|m| m.as_str()) {
            Some("万") => value *= 10_000.0,
            Some("亿") => value *= 100_000_000.0,
            _ => {}
        }
        let mut unit = unit.as_str().to_string();
        match unit.as_str() {
            "万元" => {
                value *= 10_000.0;
                unit = "元".into();
            }
            "亿元" => {
                value *= 100_000_000.0;
                unit = "元".into();
            }
            "％" => unit = "%".into(),
            _ => {}
        }
        let approx = if c.name("q1").is_some()
            || matches!(c.name("q2").map(|m| m.as_str()), Some("以上" | "多" | "余"))
            || matches!(c.name("pre").map(|m| m.as_str()), Some("超过" | "逾"))
        {
            Approx::MoreThan
        } else if matches!(c.name("pre").map(|m| m.as_str()), Some("约" | "近"))
            || c.name("q2").map(|m| m.as_str()) == Some("左右")
        {
            Approx::About
        } else if c.name("pre").is_some() {
            Approx::AtLeast
        } else {
            Approx::Exact
        };
        out.push(Figure {
            span: Span::new(base + all.start(), base + all.end()),
            num: Span::new(base + num.start(), base + num.end()),
            value,
            unit,
            approx,
            chinese,
        });
    }
    out
}

/// One calendar expression: any of year, month, day.
#[derive(Debug, Clone, PartialEq)]
pub struct DateTok {
    pub span: Span,
    pub year: Option<i64>,
    pub month: Option<i64>,
    pub day: Option<i64>,
    /// Written as an ISO-like `2024-02-30`.
    pub iso: bool,
}

const CN_NUM: &str = "[零〇一二两三四五六七八九十]";

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let y = "[0-9０-９]{4}|[零〇一二三四五六七八九]{4}";
    let m = format!("[0-9０-９]{{1,2}}|{CN_NUM}{{1,2}}");
    let d = format!("[0-9０-９]{{1,2}}|{CN_NUM}{{1,3}}");
    Regex::new(&format!(
        r"(?P<iso>(?P<iy>(?:19|20)[0-9]{{2}})-(?P<im>[0-9]{{1,2}})-(?P<id>[0-9]{{1,2}}))(?:[^0-9]|$)|(?:(?P<y>{y})年)?(?:(?P<m>{m})月(?:(?P<d>{d})[日号])?)|(?P<y2>{y})年|(?P<d2>{d})[日号]"
    ))
    .expect("date regex")
});

fn num_i(s: &str) -> Option<i64> {
    parse_number(s).map(|v| v as i64)
}

/// Date expressions in `text`. Bare `N日` tokens are returned (they end
/// ranges such as `3月19日至20日`) flagged by having neither year nor month.
pub fn dates(text: &str, base: usize) -> Vec<DateTok> {
    let mut out = Vec::new();
    for c in DATE_RE.captures_iter(text) {
        if let Some(iso) = c.name("iso") {
            out.push(DateTok {
                span: Span::new(base + iso.start(), base + iso.end()),
                year: c.name("iy").and_then(|m| num_i(m.as_str())),
                month: c.name("im").and_then(|m| num_i(m.as_str())),
                day: c.name("id").and_then(|m| num_i(m.as_str())),
                iso: true,
            });
            continue;
        }
        let Some(all) = c.get(0) else { continue };
        let before = text[..all.start()].chars().next_back();
        if before.is_some_and(|b| digit_value(b).is_some() || b == '第') {
            continue;
        }
        let year = c.name("y").or(c.name("y2")).and_then(|m| num_i(m.as_str()));
        let month = c.name("m").and_then(|m| num_i(m.as_str()));
        let day = c.name("d").or(c.name("d2")).and_then(|m| num_i(m.as_str()));
        // `十月` parses; `一月` is fine; a bare Chinese `一日` is mostly "one day".
        if year.is_none() && month.is_none() {
            if let Some(d2) = c.name("d2") {
                if parse_arabic(d2.as_str()).is_none() {
                    continue;
                }
            }
        }
        out.push(DateTok {
            span: Span::new(base + all.start(), base + all.end()),
            year,
            month,
            day,
            iso: false,
        });
    }
    out
}

pub fn days_in_month(year: Option<i64>, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) => 28,
            _ => 29,
        },
        _ => 0,
    }
}

/// Is `s` at `pos` a range connector? Returns its byte length.
pub fn range_connector(s: &str) -> Option<usize> {
    let t = s.trim_start_matches([' ', '\u{3000}']);
    let skipped = s.len() - t.len();
    for c in ["——", "—", "－", "-", "–", "~", "～", "至", "到"] {
        if let Some(rest) = t.strip_prefix(c) {
            let rest_t = rest.trim_start_matches([' ', '\u{3000}']);
            return Some(skipped + c.len() + (rest.len() - rest_t.len()));
        }
    }
    None
}

/// The byte index of the char before `pos` in `text` and that char.
pub fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos).and_then(|t| t.chars().next_back())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_chinese("十二"), Some(12.0));
        assert_eq!(parse_chinese("一百零五"), Some(105.0));
        assert_eq!(parse_chinese("两万三千"), Some(23000.0));
        assert_eq!(parse_chinese("二〇二四"), Some(2024.0));
        assert_eq!(parse_arabic("１,２００"), Some(1200.0));
        assert_eq!(parse_arabic("3.5"), Some(3.5));
    }

    #[test]
    fn figures_found() {
        let f = figures(
            "共举办培训12期，培训农民1500余人次，资金3.5万元，第二名，覆盖率98％",
            0,
        );
        let got: Vec<(f64, &str)> = f.iter().map(|f| (f.value, f.unit.as_str())).collect();
        assert_eq!(
            got,
            vec![(12.0, "期"), (1500.0, "人次"), (35000.0, "元"), (98.0, "%")]
        );
        assert_eq!(f[1].approx, Approx::MoreThan);
    }

    #[test]
    fn dates_found() {
        let d = dates(
            "2024年2月30日举行，3月19日至20日，二〇二四年十三月，2024-02-30",
            0,
        );
        assert_eq!(d[0].year, Some(2024));
        assert_eq!(d[0].month, Some(2));
        assert_eq!(d[0].day, Some(30));
        assert_eq!((d[1].month, d[1].day), (Some(3), Some(19)));
        assert_eq!((d[2].month, d[2].day), (None, Some(20)));
        assert_eq!((d[3].year, d[3].month), (Some(2024), Some(13)));
        assert!(d[4].iso);
    }
}

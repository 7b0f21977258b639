//! The minijinja templates: defaults embedded in the binary, any of them
//! overridden by a file of the same name in `--templates DIR`.

use std::path::Path;

use minijinja::{AutoEscape, Environment, Value};

/// Every template, by name, with its embedded default.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("report.md.j2", include_str!("../../templates/report.md.j2")),
    (
        "report.docx.j2",
        include_str!("../../templates/report.docx.j2"),
    ),
    ("digest.md.j2", include_str!("../../templates/digest.md.j2")),
    (
        "digest.docx.j2",
        include_str!("../../templates/digest.docx.j2"),
    ),
    (
        "digest.html.j2",
        include_str!("../../templates/digest.html.j2"),
    ),
];

/// A template that failed to load, compile or render: names the template
/// and, where minijinja knows it, the line.
#[derive(Debug, thiserror::Error)]
#[error("template {name}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct TemplateError {
    pub name: String,
    pub line: Option<usize>,
    pub message: String,
}

impl TemplateError {
    fn from_mj(fallback: &str, e: &minijinja::Error) -> Self {
        // The innermost cause usually carries the template and line.
        let mut name = e.name().map(str::to_string);
        let mut line = e.line();
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(m) = s.downcast_ref::<minijinja::Error>() {
                if m.line().is_some() {
                    name = m.name().map(str::to_string).or(name);
                    line = m.line();
                }
            }
            src = s.source();
        }
        let mut message = e.kind().to_string();
        if let Some(d) = e.detail() {
            message.push_str(": ");
            message.push_str(d);
        }
        TemplateError {
            name: name.unwrap_or_else(|| fallback.to_string()),
            line,
            message,
        }
    }
}

/// The compiled templates of a run.
pub struct Templates {
    env: Environment<'static>,
}

/// `1` → `一`, `12` → `十二`, `21` → `二十一` (heading numbers).
pub fn zh_num(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { D[n - 10] }),
        20..=99 => format!(
            "{}十{}",
            D[n / 10],
            if n % 10 == 0 { "" } else { D[n % 10] }
        ),
        _ => n.to_string(),
    }
}

/// A Markdown table cell: no pipes or line breaks.
fn cell(v: Value) -> String {
    let s = if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.to_string()
    };
    s.replace('|', "｜").replace(['\n', '\r'], " ")
}

fn zh_num_filter(v: usize) -> String {
    zh_num(v)
}

fn num_filter(v: f64) -> String {
    super::model::fmt_num(v)
}

impl Templates {
    /// Load the defaults, then any override found in `dir`; compile all, so
    /// a syntax error stops the run before any document is read.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.contains(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("cell", cell);
        env.add_filter("zh_num", zh_num_filter);
        env.add_filter("num", num_filter);
        // Caps on what a report lists (what it leaves out it counts).
        env.add_global("figure_rows_max", super::model::FIGURE_ROWS_MAX);
        env.add_global("findings_listed_max", super::model::FINDINGS_LISTED_MAX);
        for (name, default) in DEFAULTS {
            let source = match dir.map(|d| d.join(name)) {
                Some(p) if p.is_file() => {
                    std::fs::read_to_string(&p).map_err(|e| TemplateError {
                        name: name.to_string(),
                        line: None,
                        message: format!("cannot read {}: {e}", p.display()),
                    })?
                }
                _ => default.to_string(),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| TemplateError::from_mj(name, &e))?;
        }
        if let Some(d) = dir {
            if !d.is_dir() {
                return Err(TemplateError {
                    name: d.display().to_string(),
                    line: None,
                    message: "--templates is not a folder".into(),
                });
            }
        }
        Ok(Templates { env })
    }

    /// Render a template with a serializable context.
    pub fn render<S: serde::Serialize>(
        &self,
        name: &str,
        ctx: &S,
    ) -> Result<String, TemplateError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError::from_mj(name, &e))?;
        t.render(Value::from_serialize(ctx))
            .map_err(|e| TemplateError::from_mj(name, &e))
    }

    /// Render a template with a context already converted to a value
    /// (one conversion for several templates).
    pub fn render_value(&self, name: &str, ctx: &Value) -> Result<String, TemplateError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError::from_mj(name, &e))?;
        t.render(ctx).map_err(|e| TemplateError::from_mj(name, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_heading_numbers() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 21, 99, 100]
            .iter()
            .map(|&n| zh_num(n))
            .collect();
        assert_eq!(
            got,
            ["一", "九", "十", "十一", "二十", "二十一", "九十九", "100"]
        );
    }

    #[test]
    fn defaults_compile() {
        Templates::load(None).unwrap();
    }

    #[test]
    fn errors_name_template_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.md.j2"), "ok\nline two\n{% if %}\n").unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap();
        assert_eq!(e.name, "report.md.j2");
        assert_eq!(e.line, Some(3));
        let shown = e.to_string();
        assert!(
            shown.starts_with("template report.md.j2 line 3:"),
            "{shown}"
        );
        // A runtime error (a filter that does not exist) also names both.
        std::fs::write(dir.path().join("report.md.j2"), "a\n{{ title|nosuch }}\n").unwrap();
        let e = Templates::load(Some(dir.path())).err();
        let e = match e {
            Some(e) => e,
            None => Templates::load(Some(dir.path()))
                .unwrap()
                .render("report.md.j2", &serde_json::json!({"title": "x"}))
                .unwrap_err(),
        };
        assert_eq!((e.name.as_str(), e.line), ("report.md.j2", Some(2)), "{e}");
    }
}

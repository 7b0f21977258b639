//! The `zongjie` command line.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use zongjie::data::DataDir;
use zongjie::emit::{fact_record, CharIndex};
use zongjie::pipeline::{document_from_text, AnalyzeOptions, Pipeline};

/// zongjie (总结): turn archives of Chinese work reports into traced records.
#[derive(Parser)]
#[command(name = "zongjie", version, about, long_about = None)]
struct Cli {
    /// Folder of data files extending the embedded ones (user_dict.txt,
    /// activity_types.tsv, units.tsv, …): a file there is appended to the
    /// embedded table of the same name.
    #[arg(long, global = true, value_name = "DIR")]
    dict_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the facts of ONE plain UTF-8 text as JSON Lines (no piece splitting).
    Extract {
        /// The year the text reports on (completes dates such as 3月23日);
        /// inferred from the text when absent.
        #[arg(long)]
        year: Option<i32>,
        /// The text file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zongjie: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    let data = DataDir::with_user_dir(cli.dict_dir.as_deref());
    match cli.command {
        Command::Extract { year, file } => {
            let text = read_input_text(file.as_ref())?;
            let pipeline = Pipeline::new(&data).context("loading data files")?;
            let mut doc = document_from_text(text, "-");
            pipeline.analyze(&mut doc, &AnalyzeOptions { year });
            let idx = CharIndex::new(&doc.text);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for f in &doc.facts {
                serde_json::to_writer(&mut out, &fact_record(&doc.doc_id, &doc.text, &idx, f))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_input_text(file: Option<&PathBuf>) -> Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")?;
        }
    }
    String::from_utf8(bytes).context("extract reads UTF-8 text only")
}

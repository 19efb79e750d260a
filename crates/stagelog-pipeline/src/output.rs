//! Reports written in every format asked for, and the exit status CI acts on.

use anyhow::{bail, Context, Result};
use stagelog_model::Severity;
use stagelog_report::{Report, TextOptions};
use std::io::Write;
use std::path::PathBuf;

/// How a run ends, for CI: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on` (or nothing to change).
    Clean,
    /// Findings at or above `--fail-on` (or, for `fix`, changes to make).
    Findings,
    /// A usage error, or something could not be read, parsed, written or reached.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// The severity at which findings fail a run (`--fail-on`), or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;

    /// A severity (`high`, `medium`, `low`, `info`) or `none`.
    fn from_str(s: &str) -> Result<FailOn, String> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(FailOn::Never);
        }
        s.parse().map(FailOn::At)
    }
}

/// The status of a judged report: errors first (unless `errors_as_warnings`: then they are
/// in every report but decide nothing), then findings at or above the threshold.
pub fn exit_status(report: &Report, fail_on: FailOn, errors_as_warnings: bool) -> ExitStatus {
    if !report.errors.is_empty() && !errors_as_warnings {
        return ExitStatus::Error;
    }
    let FailOn::At(threshold) = fail_on else {
        return ExitStatus::Clean;
    };
    match report.worst() {
        Some(w) if w >= threshold => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Csv,
    Markdown,
    Github,
    Asff,
    Html,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Csv,
        Format::Markdown,
        Format::Github,
        Format::Asff,
        Format::Html,
    ];

    /// As the command line names it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Asff => "asff",
            Format::Html => "html",
        }
    }

    /// One line for `--help`.
    pub fn about(self) -> &'static str {
        match self {
            Format::Text => "Findings grouped by file or by account and region",
            Format::Json => "The stable JSON contract (version 1)",
            Format::Sarif => "SARIF 2.1.0 (GitHub code scanning)",
            Format::Junit => "JUnit XML: a test case per stage × rule",
            Format::Csv => "One row per finding",
            Format::Markdown => "A summary fit for a pull-request comment",
            Format::Github => "GitHub Actions annotations (::error file=…,line=…::…)",
            Format::Asff => "AWS Security Finding Format (Security Hub)",
            Format::Html => "One self-contained page, filterable",
        }
    }

    /// Its file in `--output-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "stagelog.txt",
            Format::Json => "stagelog.json",
            Format::Sarif => "stagelog.sarif",
            Format::Junit => "stagelog.junit.xml",
            Format::Csv => "stagelog.csv",
            Format::Markdown => "stagelog.md",
            Format::Github => "stagelog.github.txt",
            Format::Asff => "stagelog.asff.json",
            Format::Html => "stagelog.html",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("`{s}` is not a format ({})", names.join(", "))
            })
    }
}

/// Where and how to write a report.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub formats: Vec<Format>,
    /// One file (one format); standard output when neither this nor `dir` is set.
    pub file: Option<PathBuf>,
    /// One file per format, named by [`Format::file_name`].
    pub dir: Option<PathBuf>,
    /// Colour in the text report.
    pub color: bool,
    /// The text report's summary lines.
    pub summary: bool,
}

/// One report in one format. JSON and SARIF, the formats of big machine-read reports, are
/// written as they are made (a report of 50,000 findings is never held as text).
fn write_one(
    report: &Report,
    format: Format,
    opts: &OutputOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let body = match format {
        Format::Json => return stagelog_report::write_json(report, out),
        Format::Sarif => return stagelog_report::write_sarif(report, out),
        Format::Text => stagelog_report::text(
            report,
            TextOptions {
                color: opts.color,
                summary: opts.summary,
            },
        ),
        Format::Junit => stagelog_report::junit(report),
        Format::Csv => stagelog_report::csv(report),
        Format::Markdown => stagelog_report::markdown(report),
        Format::Github => stagelog_report::github(report),
        Format::Asff => stagelog_report::asff(report, &stagelog_report::AsffOptions::from_env()),
        Format::Html => stagelog_report::html(report),
    };
    out.write_all(body.as_bytes())
}

/// Writes the report in each format asked for; gives back the files written (`--output` or
/// into `--output-dir`), so each command says what it wrote. A closed standard output
/// (`| head`) is not an error.
pub fn write_reports(report: &Report, opts: &OutputOptions) -> Result<Vec<PathBuf>> {
    let mut formats = opts.formats.clone();
    formats.dedup();
    if formats.len() > 1 && opts.dir.is_none() {
        bail!("several formats need --output-dir DIR (one file each)");
    }
    if let Some(dir) = &opts.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut written = Vec::new();
    for format in formats {
        let path = match (&opts.dir, &opts.file) {
            (Some(dir), _) => Some(dir.join(format.file_name())),
            (None, Some(file)) => Some(file.clone()),
            (None, None) => None,
        };
        match &path {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
                write_one(report, format, opts, &mut out)
                    .and_then(|_| out.flush())
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                written.push(path.clone());
            }
            None => {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                match write_one(report, format, opts, &mut out).and_then(|_| out.flush()) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    other => other.context("cannot write the report")?,
                }
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_thresholds_read_as_written_in_any_case() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.name().to_uppercase().parse::<Format>(), Ok(f));
        }
        assert!("yaml".parse::<Format>().is_err());
        assert_eq!("none".parse::<FailOn>(), Ok(FailOn::Never));
        assert_eq!("HIGH".parse::<FailOn>(), Ok(FailOn::At(Severity::High)));
        assert!("urgent".parse::<FailOn>().is_err());
    }
}

//! `stagelog guardrails`: the rules as controls for AWS's own engines (`stagelog-guardrails`).

use crate::cli::GuardrailsArgs;
use crate::Ui;
use anyhow::{bail, Context, Result};
use stagelog_guardrails::{render, Options};
use stagelog_pipeline::ExitStatus;

pub fn run(args: GuardrailsArgs, ui: Ui) -> Result<ExitStatus> {
    let mut formats = args.format.clone();
    formats.dedup();
    if formats.len() > 1 && args.output_dir.is_none() {
        bail!("several formats need --output-dir DIR (one file each)");
    }
    let mut opts = Options {
        deny_unlogged_updates: args.deny_unlogged_updates,
        ..Options::default()
    };
    if !args.log_destination_pattern.is_empty() {
        opts.log_destinations = args.log_destination_pattern.clone();
    }
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for engine in formats {
        let artefact = render(engine, &opts).map_err(anyhow::Error::msg)?;
        let path = match (&args.output_dir, &args.output) {
            (Some(dir), _) => Some(dir.join(engine.file_name())),
            (None, Some(file)) => Some(file.clone()),
            (None, None) => None,
        };
        match path {
            Some(path) => {
                std::fs::write(&path, &artefact.text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if !ui.quiet() {
                    eprintln!("wrote {}", path.display());
                }
            }
            None => print!("{}", artefact.text),
        }
        // What it enforces and what it cannot, where a person reads it (an SCP has no room
        // for comments).
        if !ui.quiet() {
            eprintln!(
                "{} (stagelog {}) enforces {}; it cannot enforce:",
                engine.name(),
                env!("CARGO_PKG_VERSION"),
                artefact.rules.join(", ")
            );
            for hole in &artefact.holes {
                eprintln!("  - {hole}");
            }
        }
    }
    Ok(ExitStatus::Clean)
}

//! `stagelog man`.

use crate::cli::Cli;
use anyhow::{Context, Result};
use stagelog_pipeline::ExitStatus;
use std::io::Write;

/// The man page from the clap definitions; with a directory, one page per subcommand too.
pub fn run(out_dir: Option<std::path::PathBuf>) -> Result<ExitStatus> {
    // `.TH` takes one line: the version alone (`--version` adds the commit and features).
    let cmd = <Cli as clap::CommandFactory>::command().version(env!("CARGO_PKG_VERSION"));
    let render = |c: clap::Command| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf)?;
        Ok(buf)
    };
    match out_dir {
        None => std::io::stdout().write_all(&render(cmd)?)?,
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("stagelog-{}", sub.get_name());
                let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
                let page = render(sub.clone().name(leaked).version(env!("CARGO_PKG_VERSION")))?;
                std::fs::write(dir.join(format!("{name}.1")), page)?;
            }
            std::fs::write(dir.join("stagelog.1"), render(cmd)?)?;
        }
    }
    Ok(ExitStatus::Clean)
}

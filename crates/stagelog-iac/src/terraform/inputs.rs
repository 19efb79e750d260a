//! Variable values from outside the configuration: `TF_VAR_name`, `--var-file`, `--var`.

use super::parse::{parse_tfvars, parse_tfvars_json};
use hcl_edit::expr::Expression;
use stagelog_model::Problem;

/// Variable values from outside the configuration, as Terraform takes them, lowest precedence
/// first: `TF_VAR_name` from the environment, then (after the directory's tfvars files)
/// `--var-file` files and `--var NAME=VALUE` in the order the command line gives them.
#[derive(Debug, Default)]
pub struct Inputs {
    /// `TF_VAR_name` → raw value.
    pub env: Vec<(String, String)>,
    /// `--var-file` values (parsed) and `--var`s (raw), in command-line order.
    pub given: Vec<Given>,
}

/// One value from the command line.
#[derive(Debug)]
pub enum Given {
    /// From a `--var-file`: an expression.
    File(String, Expression),
    /// `--var NAME=VALUE`: the raw value.
    Var(String, String),
}

/// A `--var-file` path or a `--var NAME=VALUE`, as the command line orders them.
pub enum CommandLine {
    VarFile(std::path::PathBuf),
    Var(String),
}

impl Inputs {
    /// Reads `--var-file` files (HCL `.tfvars` or `.tfvars.json`) and splits `--var`s.
    pub fn new(env: Vec<(String, String)>, given: &[CommandLine]) -> Result<Inputs, Problem> {
        let mut out = Vec::new();
        for item in given {
            match item {
                CommandLine::VarFile(path) => {
                    let name = path.display().to_string();
                    let src = crate::paths::read_text_file(path).map_err(|e| {
                        Problem::in_file(
                            name.clone(),
                            None,
                            format!("--var-file: cannot read: {e}"),
                        )
                    })?;
                    let values = if name.ends_with(".json") {
                        parse_tfvars_json(&name, &src)?
                    } else {
                        parse_tfvars(&name, &src)?
                    };
                    out.extend(values.into_iter().map(|(k, v)| Given::File(k, v)));
                }
                CommandLine::Var(v) => {
                    let (k, value) = v.split_once('=').ok_or_else(|| {
                        Problem::in_file("--var", None, format!("`{v}`: expected NAME=VALUE"))
                    })?;
                    out.push(Given::Var(k.trim().to_string(), value.to_string()));
                }
            }
        }
        Ok(Inputs { env, given: out })
    }
}

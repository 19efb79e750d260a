//! Terraform (`.tf`, `.tf.json`, `.tfvars`) → model. A directory is one module: its files share
//! variables, locals and resources, so references across files resolve.
//!
//! - [`parse`]: files read into [`TfFile`]s (HCL and Terraform's JSON syntax, tfvars), with
//!   their suppression marks; what `terraform validate` would reject ([`validate`]).
//! - [`inputs`]: variable values from outside (`TF_VAR_`, `--var-file`, `--var`).
//! - `calls`: a root module evaluated with its module calls followed, any depth.
//! - `inventory`: one module's resources, instance by instance, into the model.
//! - `eval`: the expression evaluator; [`plan`]: plan files (`terraform show -json`).

mod calls;
mod eval;
pub mod inputs;
mod inventory;
pub mod parse;
pub mod plan;
mod provider;
mod validate;

pub use calls::ModuleSet;
pub use inputs::{CommandLine, Given, Inputs};
pub use parse::{parse_tf, parse_tf_json, parse_tfvars, parse_tfvars_json};
pub use validate::validate;

use hcl_edit::expr::Expression;
use stagelog_model::{Inventory, Location, SourceKind};
use stagelog_syntax::hcl::Body;
use stagelog_syntax::lines::LineIndex;

pub struct Resource {
    pub rtype: String,
    pub name: String,
    pub body: Body,
    file: usize,
    line: u32,
    end_line: u32,
}

pub struct TfFile {
    pub path: String,
    lines: LineIndex,
    pub resources: Vec<Resource>,
    pub variables: Vec<Variable>,
    pub locals: Vec<(String, Expression)>,
    pub marks: Vec<stagelog_model::Mark>,
    /// `module` blocks: calls of other modules.
    pub calls: Vec<ModuleCall>,
    /// `output` blocks: what the module gives its caller.
    pub outputs: Vec<(String, Expression)>,
    /// `provider "aws"` blocks: where the module's resources are created.
    pub providers: Vec<Body>,
}

/// A `module "name" { source = … }` block.
pub struct ModuleCall {
    pub name: String,
    /// `source` as written (a literal; anything else cannot be followed).
    pub source: Option<String>,
    pub body: Body,
    /// Where the block is, for the chain of call sites a finding carries.
    pub file: String,
    pub line: u32,
}

/// A `variable` block: its default, and whether values from outside are taken as literal
/// strings (primitive types) or parsed as HCL (lists, maps, objects), as Terraform does.
pub struct Variable {
    pub name: String,
    pub default: Option<Expression>,
    pub primitive: bool,
    /// The type constraint, whose `optional(type, default)` attributes fill in values.
    pub type_expr: Option<Expression>,
    /// `nullable = false`: a null value means the default.
    pub nullable: bool,
}

#[derive(Default)]
pub struct Module {
    pub files: Vec<TfFile>,
    /// `terraform.tfvars` and `*.auto.tfvars` of the directory, each with its file name.
    pub tfvars: Vec<(String, Vec<(String, Expression)>)>,
    /// Values given from outside (environment, `--var-file`, `--var`), for root modules.
    pub inputs: std::sync::Arc<Inputs>,
    /// The module's directory, which local `source`s are relative to.
    pub dir: std::path::PathBuf,
}

impl Module {
    pub fn finish(mut self) -> Module {
        for (i, f) in self.files.iter_mut().enumerate() {
            for r in &mut f.resources {
                r.file = i;
            }
        }
        self
    }

    fn loc(&self, r: &Resource, address: &str, offset: Option<usize>) -> Location {
        let file = &self.files[r.file];
        Location {
            source: SourceKind::Terraform,
            file: Some(file.path.clone()),
            line: Some(offset.map(|o| file.lines.line(o)).unwrap_or(r.line)),
            end_line: Some(r.end_line),
            resource: address.to_string(),
            resource_type: Some(r.rtype.clone()),
            account: None,
            via: vec![],
            region: None,
            defined_at: None,
        }
    }

    /// This module as a root, its module calls not followed (see [`ModuleSet`]).
    pub fn inventory(&self) -> Inventory {
        let set = ModuleSet::default();
        self.root_inventory(&set, &mut vec![])
    }
}

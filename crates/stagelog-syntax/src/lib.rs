//! Reading the syntax stagelog's sources are written in, into trees that keep what adapters
//! and fixers need: the line and byte span of every node, YAML's local tags (`!Ref`), duplicate
//! keys reported rather than merged, HCL bodies of attributes and blocks. Nothing here knows
//! what a stage is; the adapters (`stagelog-iac`) read these trees into the model.
//!
//! - [`yaml`]: YAML and JSON (CloudFormation, SAM, CDK output, serverless.yml, plan JSON), on
//!   saphyr-parser's event stream.
//! - [`hcl`]: HCL bodies (`.tf`, `.tfvars`), read by a quick reader of our own where it can and
//!   by hcl-edit where it declines ([`quick_readers`] switches it off), and Terraform's JSON
//!   syntax built into the same tree ([`hcl::json`]).
//! - [`json`]: where a JSON text first breaks, for an error with its line.
//! - [`lines`]: byte offsets to line numbers.

pub mod hcl;
pub mod json;
pub mod lines;
pub mod quick_readers;
pub mod yaml;

//! Offline tests of the `stagelog` command line: no AWS test server, no browser. One test
//! binary, as ripgrep keeps one (`cargo test --workspace` runs it; `scripts/test` also runs the
//! live binary).

mod account_owners;
mod baseline;
mod cli;
mod cloudformation_parameters;
mod common;
#[path = "../shared/docs.rs"]
mod docs;
mod docs_examples;
mod docs_tables;
mod errors;
#[path = "../shared/examples.rs"]
mod examples;
mod exclude;
mod fix_cloudformation;
mod fix_serverless;
mod fix_terraform;
mod fix_terraform_inputs;
mod logs_cli;
mod modules;
mod pipeline;
mod policy;
mod quick_readers;
mod report_formats;
mod terraform_inputs;

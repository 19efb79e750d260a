//! The adapters on files written the way teams write them: Terraform, CloudFormation, SAM,
//! bad input, every rule's examples. One test binary.

mod bad_input;
mod cloudformation;
mod common;
mod deliveries;
mod instances;
mod modules;
mod nothing_skipped;
mod plan;
mod rule_examples;
mod serverless;
mod serverless_framework;
mod terraform;

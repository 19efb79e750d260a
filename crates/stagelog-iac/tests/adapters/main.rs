//! The adapters on files written the way teams write them: Terraform, CloudFormation, SAM,
//! bad input, every rule's examples, and property tests that nothing panics. One test binary.

mod bad_input;
mod cloudformation;
mod common;
mod deliveries;
mod modules;
mod never_panics;
mod plan;
mod rule_examples;
mod rule_snapshots;
mod serverless;
mod suppress;
mod terraform;

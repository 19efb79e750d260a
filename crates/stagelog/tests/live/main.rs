//! Live tests: against the AWS test server (moto on 127.0.0.1, started by scripts/test or by
//! these tests), and with the external tools the test script installs (cfn-lint, Chromium).
//! Built with `--features live-tests` (`scripts/test` does), so `cargo test --workspace` stays
//! offline and fast.

mod audit;
mod aws_server;
mod cfn_lint;
mod cloudtrail_event;
mod cost;
mod deliveries;
#[path = "../shared/docs.rs"]
mod docs;
mod docs_book;
mod docs_examples;
mod drift;
#[path = "../shared/examples.rs"]
mod examples;
mod fix_everything;
mod guardrails;
mod html_report;
mod lambda;
mod live_fix;
mod organizations;
mod politeness;
mod release_artefacts;
mod securityhub;
mod terraform_fmt;
mod test_server;
mod verify_logs;

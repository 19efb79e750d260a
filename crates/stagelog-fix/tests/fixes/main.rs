//! The fixers on what the adapters read: every rule's bad examples fixed per source format
//! (snapshots in each rule's folder), and property tests that neither adapters nor fixers
//! panic on mutated input. One test binary.

mod account_role;
mod format_fields;
mod multiline_for;
mod never_panics;
mod rule_snapshots;

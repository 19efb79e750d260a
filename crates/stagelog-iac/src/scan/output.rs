//! What a scan gives back, and how to scan.

use crate::{cloudformation, terraform};
use stagelog_model::Inventory;
use stagelog_model::Problem;
use std::collections::BTreeMap;

/// What a scan found. `T` is what each inventory became: the inventory itself
/// ([`scan_with`]), or what [`scan_each`] made of it as soon as it was read.
#[derive(Debug)]
pub struct ScanOutput<T = Inventory> {
    /// One per Terraform module directory and per template, in path order.
    pub inventories: Vec<T>,
    pub errors: Vec<Problem>,
    /// Files read as Terraform or as templates.
    pub files: usize,
    /// Things worth saying that are neither findings nor errors (what a source does that
    /// stagelog leaves to another place), one line each.
    pub notes: Vec<String>,
    /// The text of every file that gave an inventory, by path, when the scan was asked to keep
    /// it ([`ScanOptions::keep_sources`]): fixes edit this text rather than reading files again.
    pub sources: BTreeMap<String, String>,
    /// What `--exclude` kept from the walk that could hold infrastructure-as-code: files
    /// stagelog reads, and directories (ending in `/`), sorted.
    pub excluded: Vec<String>,
    /// What each exclude pattern left out (for `-v`; one that matched nothing is also a note).
    pub exclude_uses: Vec<super::PatternUse>,
}

impl<T> Default for ScanOutput<T> {
    fn default() -> Self {
        ScanOutput {
            inventories: Vec::new(),
            errors: Vec::new(),
            files: 0,
            notes: Vec::new(),
            sources: BTreeMap::new(),
            excluded: Vec::new(),
            exclude_uses: Vec::new(),
        }
    }
}

impl<T> ScanOutput<T> {
    /// Takes in what another part of the scan read, all but its inventories.
    pub(super) fn absorb<U>(&mut self, part: ScanOutput<U>) {
        self.files += part.files;
        self.errors.extend(part.errors);
        self.sources.extend(part.sources);
        self.notes.extend(part.notes);
    }
}

/// An inventory handed on as soon as it is read, or kept until the scan ends: a Terraform
/// plan and the root module beside it are merged first ([`merge_plan_with_sources`]).
pub(super) enum Unit<T> {
    Done(String, T),
    Kept(String, Inventory),
}

impl<T> Unit<T> {
    pub(super) fn new(
        name: String,
        inv: Inventory,
        keep: bool,
        each: &(dyn Fn(Inventory) -> T + Sync),
    ) -> Unit<T> {
        if keep {
            Unit::Kept(name, inv)
        } else {
            Unit::Done(name, each(inv))
        }
    }
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Paths to leave out (`--exclude`, `exclude` in stagelog.toml), with gitignore's rules.
    pub exclude: super::Exclusions,
    /// Keep each file's text in [`ScanOutput::sources`] (for `fix`).
    pub keep_sources: bool,
    /// Terraform variable values from outside (`TF_VAR_`, `--var-file`, `--var`).
    pub terraform: std::sync::Arc<terraform::Inputs>,
    /// CloudFormation parameter values from outside (`--parameter`, `--parameters-file`).
    pub parameters: cloudformation::Parameters,
}

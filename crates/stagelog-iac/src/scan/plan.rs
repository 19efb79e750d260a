//! A Terraform plan and the root module it was made from, scanned together: one finding per
//! resource, judged on the plan's values, located in the configuration.

use stagelog_model::Inventory;
use std::collections::HashMap;
use std::path::Path;

/// Whether a source's name is Terraform configuration (not a plan or template).
pub(super) fn is_config(name: &str) -> bool {
    [".tf", ".tofu", ".tf.json", ".tofu.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// When a plan's directory is also a scanned root module, each resource is reported once:
/// judged on the plan's values, located at its `.tf` file and line (and call sites), with the
/// configuration's suppression marks. Matched by Terraform address; the configuration's own
/// inventory is then dropped, since the plan says what will exist.
pub(super) fn merge_plan_with_sources(plan: &str, inventories: &mut Vec<(String, Inventory)>) {
    let dir = Path::new(plan).parent();
    let Some(source_at) = inventories
        .iter()
        .position(|(name, _)| is_config(name) && Path::new(name).parent() == dir)
    else {
        return;
    };
    let Some(plan_at) = inventories.iter().position(|(name, _)| name == plan) else {
        return;
    };
    let (_, mut source) = inventories.remove(source_at);
    let plan_at = if plan_at > source_at {
        plan_at - 1
    } else {
        plan_at
    };
    let mut written: HashMap<String, stagelog_model::Location> = HashMap::new();
    for loc in source.locations_mut() {
        written
            .entry(loc.resource.clone())
            .or_insert_with(|| loc.clone());
    }
    let inv = &mut inventories[plan_at].1;
    for loc in inv.locations_mut() {
        if let Some(at_source) = written.get(&loc.resource) {
            *loc = at_source.clone();
        }
    }
    inv.marks.append(&mut source.marks);
}

//! `stagelog fix` on settings a Terraform module reads from its inputs, and on `count` and
//! `for_each` instances (fixtures/modules-inputs: a module called from three roots with
//! `optional()` inputs some calls override, a registry module under `.terraform/modules` with
//! two callers, repeated stages): each is fixed where its value comes from.

use crate::common::{copy_fixture, scan_json, stagelog_in};

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn module_inputs_are_fixed_where_their_values_come_from() {
    let dir = copy_fixture("modules-inputs");
    let root = dir.path();
    let untouched = [
        "envs/edge/.terraform/modules/orders_api/main.tf",
        "envs/edge/.terraform/modules/billing_api/main.tf",
    ]
    .map(|f| (f, read(root, f)));
    let fixed = stagelog_in(root, &["fix", ".", "--write"]);
    let (out, err) = (
        String::from_utf8_lossy(&fixed.stdout),
        String::from_utf8_lossy(&fixed.stderr),
    );
    assert_eq!(fixed.status.code(), Some(0), "{out}{err}");
    let mut written: Vec<&str> = out.lines().collect();
    written.sort();
    assert_eq!(
        written,
        [
            "fixed envs/dev/main.tf",
            "fixed envs/edge/main.tf",
            "fixed envs/prod/main.tf",
            "fixed envs/regional/main.tf",
            "fixed envs/stage/main.tf",
            "fixed modules/ws-stage/main.tf",
            "fixed modules/ws-stage/variables.tf",
        ],
        "{err}"
    );
    // The module keeps reading its inputs (its access log format, SL005, is fixed in it);
    // the downloaded module is never edited.
    let module = read(root, "modules/ws-stage/main.tf");
    for reference in [
        "logging_level            = var.logging.level",
        "data_trace_enabled       = var.logging.data_trace",
        "retention_in_days = var.log_retention_days",
    ] {
        assert!(module.contains(reference), "{reference}\n{module}");
    }
    for (file, before) in &untouched {
        assert_eq!(&read(root, file), before, "{file}");
    }
    // A call that set the bad value is changed there, comments kept.
    let dev = read(root, "envs/dev/main.tf");
    assert!(
        dev.contains("# Payloads help while debugging; never in production.\n  logging = { level = \"ERROR\", data_trace = false }"),
        "{dev}"
    );
    // Other calls set `logging.level`: the calls that do not get it.
    assert!(
        read(root, "envs/stage/main.tf").contains("logging = { level = \"ERROR\" }"),
        "{}",
        read(root, "envs/stage/main.tf")
    );
    let prod = read(root, "envs/prod/main.tf");
    assert!(prod.contains("level = \"INFO\""), "{prod}");
    assert_eq!(prod.matches("level = \"ERROR\"").count(), 1, "{prod}");
    // No call sets the retention: its default, once, for every caller.
    let variables = read(root, "modules/ws-stage/variables.tf");
    assert!(variables.contains("default     = 365"), "{variables}");
    assert!(
        variables.contains("level      = optional(string, \"OFF\")"),
        "{variables}"
    );
    // The registry module's callers: changed where set, added where not.
    let edge = read(root, "envs/edge/main.tf");
    assert!(
        edge.contains("log_retention_days = 365")
            && !edge.contains("= 30")
            && edge.matches("log_level          = \"ERROR\"").count() == 2,
        "{edge}"
    );
    // count / for_each: fixed in the block, what is added repeated the same way.
    let regional = read(root, "envs/regional/main.tf");
    for expected in [
        "destination_arn = aws_cloudwatch_log_group.env_access_logs[each.key].arn",
        "rest_api_id = aws_api_gateway_stage.env[each.key].rest_api_id",
        "destination_arn = aws_cloudwatch_log_group.chat_access_logs[count.index].arn",
        "resource \"aws_cloudwatch_log_group\" \"chat_access_logs\" {\n  count = 2\n",
    ] {
        assert!(regional.contains(expected), "{expected}\n{regional}");
    }
    assert_eq!(
        regional.matches("for_each = var.stages").count(),
        3,
        "{regional}"
    );
    // Where each fix went is said.
    for said in [
        "in its default (modules/ws-stage/variables.tf:",
        "the module was downloaded by `terraform init` and is not edited",
        "at the call envs/dev/main.tf:1 (module.chat), which sets it",
    ] {
        assert!(err.contains(said), "{said}\n{err}");
    }
    // Read back: nothing the fix was for remains, nothing is an error, a second fix is a no-op.
    let (_, report) = scan_json(root, &[".", "--fail-on", "none"]);
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let left: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && f["severity"] != "low")
        .map(|f| format!("{} {}", f["rule_id"], f["resource"]))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let again = stagelog_in(root, &["fix", "."]);
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

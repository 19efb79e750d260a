//! The account's CloudWatch role setting is the region's: `fix` never writes one into a
//! configuration that declares APIs, and every hint about it points at the baseline instead.
use stagelog_fix::{hint, plan, Options};
use stagelog_rules::{check, registry, Config, Selection};

const FORMATS: [(&str, &str); 4] = [
    ("tf", "main.tf"),
    ("yaml", "template.yaml"),
    ("sam.yaml", "template.yaml"),
    ("serverless.yml", "serverless.yml"),
];

/// How many account resources a text declares, in any source's terms.
fn account_resources(text: &str) -> usize {
    text.matches("\"aws_api_gateway_account\"").count()
        + text.matches("AWS::ApiGateway::Account").count()
        + text.matches("roleManagedExternally: false").count()
}

#[test]
fn no_fix_adds_an_account_resource_beside_apis_and_hints_point_at_the_baseline() {
    let mut checked = 0;
    for rule in ["SL030", "SL032"] {
        let dir = registry()
            .iter()
            .find(|r| r.id == rule)
            .and_then(|r| r.examples_dir())
            .unwrap();
        for (format, name) in FORMATS {
            let src = std::fs::read_to_string(dir.join(format!("bad.{format}"))).unwrap();
            let scanned = stagelog_iac::scan_sources(&[(name, &src)], true);
            let sel = Selection {
                select: vec![rule.into()],
                ignore: vec![],
            };
            let findings: Vec<_> = scanned
                .inventories
                .iter()
                .flat_map(|inv| check(inv, &Config::default(), &sel))
                .collect();
            assert!(!findings.is_empty(), "{rule} bad.{format}");
            for f in &findings {
                let h = hint(f).unwrap();
                assert!(
                    h.contains("baseline") && h.contains("SL032"),
                    "{rule} bad.{format}: {h}"
                );
            }
            let fixes = plan(&scanned, &findings, &Options::default());
            for file in &fixes.files {
                assert!(
                    account_resources(&file.after) <= account_resources(&file.before),
                    "{rule} bad.{format}: fix added an account resource:\n{}",
                    file.after
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}

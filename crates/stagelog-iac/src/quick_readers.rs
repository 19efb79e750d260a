//! The switch for the quick readers (HCL before hcl-edit, block YAML before saphyr): the cargo
//! feature `quick-readers` (default on) compiles them in, and the environment variable
//! `STAGELOG_QUICK_READERS` chooses at run time: `0` sends every file to the parser of record
//! (hcl-edit, saphyr), `hcl` or `yaml` keeps only that reader, anything else (or unset) both.
//! Reports are byte-identical either way (a test holds that); the switch is there to compare,
//! to measure, and to rule the readers out when something reads oddly.

struct Switch {
    hcl: bool,
    yaml: bool,
}

/// Read once per process.
static SWITCH: std::sync::LazyLock<Switch> = std::sync::LazyLock::new(|| {
    let on = cfg!(feature = "quick-readers");
    let chosen = std::env::var("STAGELOG_QUICK_READERS").unwrap_or_default();
    match chosen.trim().to_ascii_lowercase().as_str() {
        "0" | "off" | "none" => Switch {
            hcl: false,
            yaml: false,
        },
        "hcl" => Switch {
            hcl: on,
            yaml: false,
        },
        "yaml" => Switch {
            hcl: false,
            yaml: on,
        },
        _ => Switch { hcl: on, yaml: on },
    }
});

/// Whether HCL files go to the quick HCL reader first.
pub fn hcl() -> bool {
    SWITCH.hcl
}

/// Whether YAML files go to the quick YAML reader first.
pub fn yaml() -> bool {
    SWITCH.yaml
}

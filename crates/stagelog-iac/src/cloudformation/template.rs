//! A template being read: its parameters, conditions, mappings and resources, and where each
//! resource is.

use rustc_hash::FxHashMap as HashMap;
use stagelog_model::Problem;
use stagelog_model::{Location, SourceKind};
use stagelog_syntax::yaml::Node;

/// A resource as the template declares it.
pub(super) struct Res<'a> {
    pub(super) id: String,
    pub(super) ty: String,
    pub(super) props: Option<&'a Node>,
    /// The name of the condition that decides whether the resource is created.
    pub(super) condition: Option<&'a str>,
    pub(super) line: u32,
    pub(super) end_line: u32,
}

pub(super) enum Param<'a> {
    Given(&'a str),
    Default(&'a Node),
    Missing,
}

pub(super) fn section_map(section: Option<&Node>) -> HashMap<String, &Node> {
    section
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) struct Template<'a> {
    pub(super) file: &'a str,
    /// Each parameter's value and whether it is a list type.
    pub(super) params: HashMap<String, (Param<'a>, bool)>,
    pub(super) conditions: HashMap<String, &'a Node>,
    /// Conditions decided so far (`None`: unknown, or being decided).
    pub(super) decided: std::cell::RefCell<HashMap<String, Option<bool>>>,
    pub(super) mappings: Option<&'a Node>,
    /// How deep evaluation is, across references.
    pub(super) nesting: std::cell::Cell<u32>,
    /// What the template gets wrong (see `invalid`).
    pub(super) invalid: std::cell::RefCell<Vec<Problem>>,
    /// Parameters whose `Default` decided something judged (no value was given), with it.
    pub(super) defaulted: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
    /// A name is being evaluated ([`Template::eval_name`]).
    pub(super) naming: std::cell::Cell<bool>,
    pub(super) resources: HashMap<String, &'a Res<'a>>,
    pub(super) globals: Option<&'a Node>,
    pub(super) sam: bool,
}

/// Properties after SAM's Globals: the resource's own keys win over the global section's.
pub(super) struct Props<'a> {
    pub(super) own: Option<&'a Node>,
    pub(super) global: Option<&'a Node>,
}

impl<'a> Props<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a Node> {
        self.own
            .and_then(|p| p.get(key))
            .or_else(|| self.global.and_then(|g| g.get(key)))
    }

    pub(super) fn entry(&self, key: &str) -> Option<(&'a Node, &'a Node)> {
        self.own
            .and_then(|p| p.entry(key))
            .or_else(|| self.global.and_then(|g| g.entry(key)))
    }
}

impl<'a> Template<'a> {
    pub(super) fn source(&self) -> SourceKind {
        if self.sam {
            SourceKind::Sam
        } else {
            SourceKind::CloudFormation
        }
    }

    pub(super) fn loc(&self, r: &Res) -> Location {
        Location {
            source: self.source(),
            file: Some(self.file.to_string()),
            line: Some(r.line),
            end_line: Some(r.end_line),
            resource: r.id.clone(),
            resource_type: Some(r.ty.clone()),
            account: None,
            via: vec![],
            region: None,
            defined_at: None,
        }
    }
}

//! The quick reader held to hcl-edit, the parser of record: the property its tests check on
//! fixed cases, the project's files and generated text, and the fuzz target
//! (`fuzz/fuzz_targets/hcl_quick_reader.rs`) on whatever bytes it finds.

use super::super::Body;
use super::Structure;
use hcl_edit::expr::{Array, FuncArgs, Object};
use hcl_edit::visit_mut::{self, VisitMut};

/// The parts of hcl-edit's expressions that are layout, not meaning: the space before a
/// closing bracket, brace or parenthesis.
struct Layout;

impl VisitMut for Layout {
    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_mut::visit_array_mut(self, node);
    }
    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_mut::visit_object_mut(self, node);
    }
    fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
        node.set_trailing("");
        visit_mut::visit_func_args_mut(self, node);
    }
}

fn without_layout(body: &mut Body) {
    for s in &mut body.structures {
        match s {
            Structure::Attribute(a) => Layout.visit_expr_mut(&mut a.value),
            Structure::Block(b) => without_layout(&mut b.body),
        }
    }
}

/// Whatever the quick reader reads, hcl-edit must read the same (values, and the spans of
/// attributes, their values and blocks); what hcl-edit rejects, the quick reader must decline.
/// `Ok(read)`: they agree, and whether the quick reader read `src`; `Err`: how they differ.
pub fn agrees_with_hcl_edit(src: &str) -> Result<bool, String> {
    match (hcl_edit::parser::parse_body(src), super::parse_body(src)) {
        (Ok(edit), Some(mut quick)) => {
            let mut edit = Body::from(edit);
            without_layout(&mut edit);
            without_layout(&mut quick);
            if quick == edit {
                Ok(true)
            } else {
                Err(format!(
                    "quick reader differs from hcl-edit on:\n{src}\nquick: {quick:?}\nhcl-edit: {edit:?}"
                ))
            }
        }
        (Err(e), Some(_)) => Err(format!(
            "quick reader took what hcl-edit rejects ({e}):\n{src}"
        )),
        (_, None) => Ok(false),
    }
}

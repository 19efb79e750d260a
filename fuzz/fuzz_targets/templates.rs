//! Terraform and CloudFormation/SAM adapters on arbitrary bytes: an inventory or errors, never
//! a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = stagelog_iac::cloudformation::adapt("t.yaml", text);
    if let Ok(f) = stagelog_iac::terraform::parse_tf("t.tf", text) {
        let module = stagelog_iac::terraform::Module {
            files: vec![f],
            tfvars: vec![],
        }
        .finish();
        let _ = module.inventory();
    }
});

//! The quick HCL reader against hcl-edit on arbitrary bytes: whatever it reads, hcl-edit must
//! read the same; whatever hcl-edit rejects, it must decline. Not only "no panic": a
//! difference is a crash, with the input that shows it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(difference) = stagelog_syntax::hcl::agrees_with_hcl_edit(text) {
        panic!("{difference}");
    }
});

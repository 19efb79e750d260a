//! Terraform, CloudFormation/SAM and Serverless Framework adapters on arbitrary bytes: an
//! inventory or errors, never a panic (sources in memory, no files).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["t.yaml", "t.tf", "t.tf.json", "serverless.yml"] {
        let _ = stagelog_iac::scan_sources(&[(name, text)], false);
    }
});

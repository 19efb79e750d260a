//! The quick HCL reader held to hcl-edit on real code: every `.tf`, `.tofu` and `.tfvars` file
//! under the directories given (checkouts of public repositories, say), read both ways.
//! Prints how many files each reader took and every difference; exits 1 on a difference.
//!
//!     cargo run --release -p stagelog-syntax --example quick_reader_agrees -- DIR…

use stagelog_syntax::hcl::agrees_with_hcl_edit;
use std::path::PathBuf;

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: quick_reader_agrees DIR…");
        std::process::exit(2);
    }
    let (mut files, mut quick, mut valid, mut differences) = (0, 0, 0, 0);
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    dirs.push(path);
                }
                continue;
            }
            let is_hcl = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "tf" | "tofu" | "tfvars"));
            let Some(text) = is_hcl
                .then(|| std::fs::read_to_string(&path).ok())
                .flatten()
            else {
                continue;
            };
            files += 1;
            valid += usize::from(hcl_edit::parser::parse_body(&text).is_ok());
            match agrees_with_hcl_edit(&text) {
                Ok(read) => quick += usize::from(read),
                Err(difference) => {
                    differences += 1;
                    println!("{}: {difference}", path.display());
                }
            }
        }
    }
    println!(
        "{files} HCL files: {valid} valid for hcl-edit, {quick} read by the quick reader, {differences} differences"
    );
    std::process::exit(i32::from(differences > 0));
}

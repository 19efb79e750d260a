//! What the tests of the quick readers (`terraform::quick`, `yaml::quick`) share: the
//! project's own files to read both ways, damaged text, and how often generated text is read.

use proptest::strategy::{Strategy, ValueTree};
use std::path::PathBuf;

/// The project's files (rules' examples, bundled examples) with one of `extensions`.
pub fn project_files(extensions: &[&str]) -> Vec<PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("crates"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| extensions.contains(&x))
            {
                files.push(p);
            }
        }
    }
    files
}

/// Checks every file with `agrees` (which panics where the readers differ) and that the quick
/// reader read at least nine in ten of them.
pub fn files_agree(files: &[PathBuf], agrees: impl Fn(&str) -> bool) {
    assert!(files.len() >= 20, "found {} files", files.len());
    let read = files
        .iter()
        .filter(|p| agrees(&std::fs::read_to_string(p).unwrap()))
        .count();
    assert!(
        read * 10 >= files.len() * 9,
        "{read} of {} read",
        files.len()
    );
}

/// `src` with `len` bytes cut out at `at`, or `byte` put in there when `len` is 0; `None`
/// when that leaves no UTF-8 text.
pub fn damaged(src: &str, at: proptest::sample::Index, len: usize, byte: u8) -> Option<String> {
    let bytes = src.as_bytes();
    let i = at.index(bytes.len() + 1);
    let mut out = bytes[..i].to_vec();
    if len == 0 {
        out.push(byte);
        out.extend_from_slice(&bytes[i..]);
    } else {
        out.extend_from_slice(&bytes[(i + len).min(bytes.len())..]);
    }
    String::from_utf8(out).ok()
}

/// How many of 500 texts the strategy makes (always the same 500) `agrees` says were read.
pub fn read_of_500(
    strategy: impl Strategy<Value = String>,
    agrees: impl Fn(&str) -> bool,
) -> usize {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..500)
        .filter(|_| agrees(&strategy.new_tree(&mut runner).unwrap().current()))
        .count()
}

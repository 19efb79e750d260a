//! The switch for the quick HCL reader, which reads `.tf` files before hcl-edit does (see
//! [`crate::hcl`]): the cargo feature `quick-readers` (default on) compiles it in, and
//! `STAGELOG_QUICK_READERS=0` in the environment sends every file to hcl-edit instead, to
//! compare, to measure, or to rule the reader out when something reads oddly. Reports are
//! byte-identical either way (a test holds that on every fixture).

/// Whether HCL goes to the quick reader first. Read once per process.
pub fn enabled() -> bool {
    static ENABLED: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        cfg!(feature = "quick-readers")
            && std::env::var("STAGELOG_QUICK_READERS")
                .map_or(true, |v| !matches!(v.trim(), "0" | "off" | "false"))
    });
    *ENABLED
}

static QUICK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PARSER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts one HCL text read, by the quick reader or by hcl-edit.
pub(crate) fn count(quick: bool) {
    let counter = if quick { &QUICK } else { &PARSER };
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// How many HCL texts this process read with the quick reader, and with hcl-edit (declined,
/// switched off, or not compiled in): what `stagelog scan -v` says.
pub fn counts() -> (usize, usize) {
    (
        QUICK.load(std::sync::atomic::Ordering::Relaxed),
        PARSER.load(std::sync::atomic::Ordering::Relaxed),
    )
}

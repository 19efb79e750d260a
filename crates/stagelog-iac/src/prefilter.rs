//! Byte searches that decide, before anything is parsed, whether a text could hold what a
//! reader looks for.

/// A prefilter: whether a text holds any of a few words, by byte search (searchers built once
/// per list, on first use), before anything is parsed.
pub struct AnyWord {
    words: &'static [&'static str],
    finders: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl AnyWord {
    pub const fn new(words: &'static [&'static str]) -> AnyWord {
        AnyWord {
            words,
            finders: std::sync::OnceLock::new(),
        }
    }

    pub fn in_text(&self, text: &str) -> bool {
        self.finders
            .get_or_init(|| {
                self.words
                    .iter()
                    .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                    .collect()
            })
            .iter()
            .any(|f| f.find(text.as_bytes()).is_some())
    }
}

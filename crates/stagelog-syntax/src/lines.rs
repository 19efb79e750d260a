//! Byte offsets to 1-based line numbers, for the spans the readers give.

/// The start of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of a byte offset (past the end: the last line).
    pub fn line(&self, offset: usize) -> u32 {
        self.starts.partition_point(|s| *s <= offset).max(1) as u32
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_of_offsets() {
        let l = super::LineIndex::new("ab\n\ncd\n");
        assert_eq!(
            [0, 2, 3, 4, 6, 7, 99].map(|o| l.line(o)),
            [1, 1, 2, 3, 3, 4, 4]
        );
        assert_eq!(super::LineIndex::new("").line(0), 1);
    }
}

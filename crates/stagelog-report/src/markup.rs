//! Text in HTML and XML (the HTML reports, JUnit): the one escaper they share.

/// `s` as character data or an attribute value in HTML or XML: the five markup characters
/// escaped, and the characters XML 1.0 does not allow (controls but tab, newline and carriage
/// return; U+FFFE, U+FFFF) replaced by U+FFFD, so a message carrying them stays well-formed.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_and_forbidden_characters() {
        assert_eq!(
            super::escape("a<b & \"c\" 'd'>\u{1}\t"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;\u{FFFD}\t"
        );
    }
}

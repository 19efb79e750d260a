//! hcl-edit 0.10 reads the key and value of an object `for` expression without the line breaks
//! HCL allows inside its braces, so it rejects what Terraform reads:
//!
//! ```hcl
//! formatted_labels = { for k in local.names : k => local.case == "none" ? local.labels[k] :
//!   local.case == "upper" ? upper(local.labels[k]) : lower(local.labels[k])
//! }
//! ```
//!
//! (cloudposse's null-label, copied into many configurations, writes exactly this). When a
//! body does not parse, it is read again with the line breaks and comments inside each object
//! `for` expression turned into spaces: the text keeps its length, so every span, offset and
//! line number stays what it is in the file.

/// `src` with object `for` expressions on one line each, or `None` when it has none (or one
/// holds a heredoc, whose line breaks are its content).
pub(super) fn on_one_line(src: &str) -> Option<String> {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    // Per open brace: whether it opens an object `for` expression.
    let mut braces: Vec<bool> = Vec::new();
    // Per open template interpolation (`${`, `%{`) inside a string: the brace depth it
    // started at, so its `}` ends it and returns to the string.
    let mut in_string = false;
    let mut templates: Vec<usize> = Vec::new();
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let inside_for = braces.iter().any(|f| *f);
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                b'$' | b'%'
                    if b.get(i + 1) == Some(&b'{') && b.get(i.wrapping_sub(1)) != Some(&c) =>
                {
                    templates.push(braces.len());
                    braces.push(false);
                    in_string = false;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            // The comment's end is its line break, read next.
            b'#' => {
                i = comment(b, &mut out, i, i + 1, inside_for, &mut changed);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = comment(b, &mut out, i, i + 2, inside_for, &mut changed);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                if inside_for {
                    blank(&mut out[i..end]);
                    changed = true;
                }
                i = end;
                continue;
            }
            b'<' if inside_for && b.get(i + 1) == Some(&b'<') => return None,
            b'{' => {
                let rest = &b[i + 1..];
                let start = rest
                    .iter()
                    .position(|c| !c.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                let opens_for = rest[start..].starts_with(b"for")
                    && rest.get(start + 3).is_some_and(|c| c.is_ascii_whitespace());
                braces.push(opens_for);
            }
            b'}' => {
                braces.pop();
                if templates.last() == Some(&braces.len()) {
                    templates.pop();
                    in_string = true;
                }
            }
            b'\n' | b'\r' if inside_for => {
                out[i] = b' ';
                changed = true;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII spaces.
    changed.then(|| String::from_utf8(out).unwrap_or_default())
}

/// Past a comment from `start` (its text from `text`) to its line's end; blanked inside a
/// `for` expression, where the line break after it is about to go.
fn comment(
    b: &[u8],
    out: &mut [u8],
    start: usize,
    text: usize,
    blank_it: bool,
    changed: &mut bool,
) -> usize {
    let end = b[text..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |e| text + e);
    if blank_it {
        blank(&mut out[start..end]);
        *changed = true;
    }
    end
}

fn blank(bytes: &mut [u8]) {
    for c in bytes {
        // Multi-byte characters become as many spaces: the length stays.
        *c = b' ';
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::on_one_line;

    #[test]
    fn line_breaks_inside_object_for_expressions_only_and_lengths_kept() {
        let src = "locals {\n  a = { for k in x : k => c ? 1 : # why\n    2\n  }\n  b = [\n    1,\n  ]\n  s = \"${x}{ for\"\n}\n";
        let out = on_one_line(src).unwrap();
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count() - 2);
        let first = out.lines().nth(1).unwrap();
        assert_eq!(
            first.split_whitespace().collect::<Vec<_>>().join(" "),
            "a = { for k in x : k => c ? 1 : 2 }"
        );
        // The list and the string are untouched.
        assert!(
            out.contains("b = [\n    1,\n  ]\n  s = \"${x}{ for\""),
            "{out}"
        );
        assert_eq!(on_one_line("a = { b = 1\n}\n"), None);
        assert_eq!(
            on_one_line("a = { for k in x : k => <<EOT\nv\nEOT\n}\n"),
            None
        );
    }
}

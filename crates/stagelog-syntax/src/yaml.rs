//! A YAML/JSON loader that keeps what templates need and generic loaders drop: the line of
//! every node, local tags (`!Ref`, `!Sub`, `!GetAtt`…), and duplicate mapping keys (reported,
//! not silently merged). Built on saphyr-parser's event stream.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
// Fx hashing: keys are short names hashed per expression evaluated; SipHash was a
// measurable share of a scan.
use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    /// Local tag without the leading `!`, e.g. `Ref`, `GetAtt`.
    pub tag: Option<String>,
    /// 1-based line where the node starts.
    pub line: u32,
    /// Where the node is in the source, for in-place edits.
    pub span: NodeSpan,
}

/// Byte offsets and layout of a node in its source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeSpan {
    pub start: usize,
    /// End of the node's own text: a scalar's last character, a flow collection's closing
    /// bracket, a block collection's last value.
    pub end: usize,
    /// 0-based column of the first character.
    pub col: u32,
    /// A `{…}` / `[…]` collection.
    pub flow: bool,
    /// Has an anchor (`&a`): editing it would change every alias too.
    pub anchored: bool,
    /// Copied from an anchor by an alias (`*a`): its text lives elsewhere.
    pub aliased: bool,
}

/// Turns saphyr's character indices into byte offsets, walking forward (events mostly advance).
struct Offsets<'a> {
    src: &'a str,
    chars: usize,
    bytes: usize,
    /// Decided once: in ASCII text a character index is the byte offset.
    ascii: Option<bool>,
}

impl Offsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if *self.ascii.get_or_insert_with(|| self.src.is_ascii()) {
            return char_index.min(self.src.len());
        }
        if char_index < self.chars {
            (self.chars, self.bytes) = (0, 0);
        }
        for c in self.src[self.bytes..].chars() {
            if self.chars == char_index {
                break;
            }
            self.chars += 1;
            self.bytes += c.len_utf8();
        }
        self.bytes
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A scalar; `plain` is false for quoted and block scalars (so `"true"` stays a string).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar { text, plain: true } if text.is_empty() || text == "~" || text == "null")
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a mapping's key, to change it (the last one, if a key repeats).
    pub fn value_mut_of(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            NodeValue::Map(entries) => entries
                .iter_mut()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value of a mapping key (the last one, if a key repeats).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key) && k.tag.is_none())
            .map(|(k, v)| (k, v))
    }
}

/// A problem found while loading: why the document could not be read (the error of [`load`]), or
/// what is suspect in one that could (duplicate keys, in [`Loaded::issues`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadIssue {
    pub line: u32,
    pub message: String,
}

pub struct Loaded {
    pub root: Option<Node>,
    pub issues: Vec<LoadIssue>,
}

/// A collection being built, with its anchor id and how many nodes it holds so far.
enum Frame {
    Seq(Node, usize, usize),
    Map(Node, usize, Option<Node>, usize),
}

/// Deeper documents are refused (a deep tree would overflow the stack when dropped).
pub const MAX_DEPTH: usize = 256;
/// Nodes that aliases may add (each alias adds a copy of its anchor's tree); refuses "billion
/// laughs" documents.
pub const MAX_NODES: usize = 2_000_000;

/// Loads the first document. A syntax error gives `root: None` and the error as an issue.
/// As [`load`], also accepting what PyYAML (the parser of cfn-lint, SAM CLI and Checkov)
/// accepts in templates that deploy although YAML 1.2's indentation rules, which saphyr
/// follows, do not: a flow collection closed at its key's column (`PolicyDocument: {` … `}`)
/// (or continued there: `Resource: [` with its items at the key's column) and continuation
/// lines of a quoted scalar at or left of its key (`!Sub '{` … `}'`). Such
/// lines are indented further, which changes no value (flow context and quoted-scalar folding
/// ignore leading spaces; no line is added, so lines stay right), and the text is parsed
/// again. The text read is returned with it (the repaired one, or `src`). Anything else stays
/// an error.
pub fn load_as_pyyaml(src: &str) -> Result<(Loaded, std::borrow::Cow<'_, str>), LoadIssue> {
    let first = match load(src) {
        Ok(l) => return Ok((l, std::borrow::Cow::Borrowed(src))),
        Err(e) => e,
    };
    let mut text = src.to_string();
    let mut issue = first.clone();
    // One line at a time: a pasted JSON document may need a repair per line.
    for _ in 0..512 {
        let what = issue.message.split(" (column ").next().unwrap_or_default();
        let repaired = match what {
            "invalid indentation" => indent_flow_closer(&mut text, issue.line),
            "invalid indentation in quoted scalar" => indent_quoted_lines(&mut text, issue.line),
            _ => false,
        };
        if !repaired {
            break;
        }
        match load(&text) {
            Ok(l) => return Ok((l, std::borrow::Cow::Owned(text))),
            Err(e) => issue = e,
        }
    }
    Err(first)
}

/// The byte range of 1-based line `line` (without its newline).
fn line_range(text: &str, line: u32) -> Option<std::ops::Range<usize>> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line as usize - 2)?.0 + 1
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Some(start..end)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Indents by two spaces a line that closes a flow collection (`}`, `]`), or that continues
/// one (the line before it ends in `[`, `{` or `,`: `Resource: [` with its items at the key's
/// column, a JSON schema pasted after `Schema: {`).
fn indent_flow_closer(text: &mut String, line: u32) -> bool {
    let Some(range) = line_range(text, line) else {
        return false;
    };
    let l = &text[range.clone()];
    if indentation(l) > 64 {
        return false;
    }
    let continues = (1..line)
        .rev()
        .filter_map(|n| line_range(text, n).map(|r| text[r].trim_end()))
        .find(|prev| !prev.trim().is_empty())
        .is_some_and(|prev| prev.ends_with(['[', '{', ',']));
    if !l.trim_start().starts_with(['}', ']']) && !continues {
        return false;
    }
    text.insert_str(range.start, "  ");
    true
}

/// Indents the continuation lines of the quoted scalar that starts on `line` to one column
/// past the line's own indentation (its key's).
fn indent_quoted_lines(text: &mut String, line: u32) -> bool {
    let Some(range) = line_range(text, line) else {
        return false;
    };
    let first = &text[range.clone()];
    let key_indent = indentation(first);
    let Some(open) = first.find(": ").and_then(|colon| {
        first[colon..]
            .find(['\'', '"'])
            .map(|q| range.start + colon + q)
    }) else {
        return false;
    };
    let quote = text.as_bytes()[open];
    // The closing quote: `''` is an escaped single quote, `\"` an escaped double quote.
    let bytes = text.as_bytes();
    let mut i = open + 1;
    let close = loop {
        match bytes.get(i) {
            None => return false,
            Some(&b) if b == quote && quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            Some(b'\\') if quote == b'"' => i += 2,
            Some(&b) if b == quote => break i,
            _ => i += 1,
        }
    };
    let last = text[..close].matches('\n').count() as u32 + 1;
    let mut changed = false;
    // From the last line back, so earlier offsets stay valid.
    for n in (line + 1..=last).rev() {
        let Some(r) = line_range(text, n) else {
            continue;
        };
        let l = &text[r.clone()];
        if !l.trim().is_empty() && indentation(l) <= key_indent {
            let pad = key_indent + 1 - indentation(l);
            text.insert_str(r.start, &" ".repeat(pad));
            changed = true;
        }
    }
    changed
}

/// Loads the first document.
pub fn load(src: &str) -> Result<Loaded, LoadIssue> {
    let mut parser = Parser::new_from_str(src);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::default();
    let mut total_nodes = 0usize;
    let mut issues = Vec::new();
    let mut root: Option<Node> = None;
    let mut offsets = Offsets {
        src,
        chars: 0,
        bytes: 0,
        ascii: None,
    };
    while let Some(next) = parser.next_event() {
        let (event, span): (Event, Span) = next.map_err(|e| LoadIssue {
            line: e.marker().line().max(1) as u32,
            message: format!("{} (column {})", e.info(), e.marker().col() + 1),
        })?;
        let line = span.start.line().max(1) as u32;
        let (start, end) = (
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        let node_span = |anchor: usize| NodeSpan {
            start,
            end,
            col: span.start.col() as u32,
            flow: matches!(src.as_bytes().get(start), Some(b'{' | b'[')),
            anchored: anchor != 0,
            aliased: false,
        };
        let done: Option<(Node, usize, usize)> = match event {
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                if root.is_some() {
                    break;
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                let mut span = node_span(anchor);
                // A quoted scalar's event runs on past trailing blanks and comments.
                if let Some(close) = closing_quote(src, start, style) {
                    span.end = close;
                }
                Some((
                    Node {
                        value: NodeValue::Scalar {
                            text: text.into_owned(),
                            plain: style == ScalarStyle::Plain,
                        },
                        tag: tag.and_then(|t| local_tag(&t)),
                        line,
                        span,
                    },
                    anchor,
                    1,
                ))
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(line));
                }
                stack.push(Frame::Seq(
                    Node {
                        value: NodeValue::Seq(Vec::new()),
                        tag: tag.and_then(|t| local_tag(&t)),
                        line,
                        span: node_span(anchor),
                    },
                    anchor,
                    1,
                ));
                None
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(line));
                }
                stack.push(Frame::Map(
                    Node {
                        value: NodeValue::Map(Vec::new()),
                        tag: tag.and_then(|t| local_tag(&t)),
                        line,
                        span: node_span(anchor),
                    },
                    anchor,
                    None,
                    1,
                ));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(mut node, anchor, size)) => {
                    close(&mut node, end);
                    Some((node, anchor, size))
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(mut node, anchor, _, size)) => {
                    check_duplicates(&node, &mut issues);
                    close(&mut node, end);
                    Some((node, anchor, size))
                }
                _ => None,
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some((n, size)) => {
                    let mut copy = n.clone();
                    copy.span = NodeSpan {
                        aliased: true,
                        ..node_span(0)
                    };
                    Some((copy, 0, *size))
                }
                None => {
                    return Err(LoadIssue {
                        line,
                        message: "alias to an unknown anchor".into(),
                    })
                }
            },
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => None,
        };
        if let Some((node, anchor, size)) = done {
            // Only what aliases add counts: a large document without aliases is read whole.
            if node.span.aliased {
                total_nodes += size;
                if total_nodes > MAX_NODES {
                    return Err(LoadIssue {
                        line,
                        message: format!("aliases expand to more than {MAX_NODES} nodes; not read"),
                    });
                }
            }
            if anchor != 0 {
                anchors.insert(anchor, (node.clone(), size));
            }
            match stack.last_mut() {
                Some(Frame::Seq(_, _, parent_size) | Frame::Map(_, _, _, parent_size)) => {
                    *parent_size += size;
                }
                None => {}
            }
            match stack.last_mut() {
                Some(Frame::Seq(parent, _, _)) => {
                    if let NodeValue::Seq(items) = &mut parent.value {
                        items.push(node);
                    }
                }
                Some(Frame::Map(parent, _, pending, _)) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => {
                        if let NodeValue::Map(entries) = &mut parent.value {
                            entries.push((key, node));
                        }
                    }
                },
                None => root = Some(node),
            }
        }
    }
    Ok(Loaded { root, issues })
}

/// Sets a collection's end: its closing bracket, or (block style) the end of its last value,
/// since a block collection's end event sits at the next token, past comments and blank lines.
fn close(node: &mut Node, end_event: usize) {
    node.span.end = if node.span.flow {
        end_event
    } else {
        let last = match &node.value {
            NodeValue::Seq(items) => items.last(),
            NodeValue::Map(entries) => entries.last().map(|(_, v)| v),
            NodeValue::Scalar { .. } => None,
        };
        last.map_or(node.span.start, |n| n.span.end)
    };
}

/// The offset just past a quoted scalar's closing quote.
fn closing_quote(src: &str, start: usize, style: ScalarStyle) -> Option<usize> {
    let quote = match style {
        ScalarStyle::SingleQuoted => b'\'',
        ScalarStyle::DoubleQuoted => b'"',
        _ => return None,
    };
    let bytes = src.as_bytes();
    (bytes.get(start) == Some(&quote)).then_some(())?;
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn too_deep(line: u32) -> LoadIssue {
    LoadIssue {
        line,
        message: format!("nested deeper than {MAX_DEPTH} levels; not read"),
    }
}

fn local_tag(tag: &saphyr_parser::Tag) -> Option<String> {
    // `!Ref` has handle "!" and suffix "Ref"; core-schema tags (`!!str`) carry no meaning here.
    (tag.handle == "!").then(|| tag.suffix.clone())
}

fn check_duplicates(node: &Node, issues: &mut Vec<LoadIssue>) {
    let Some(entries) = node.as_map() else {
        return;
    };
    let mut seen: HashMap<&str, u32> = HashMap::default();
    for (k, _) in entries {
        if let Some(key) = k.as_str() {
            if let Some(first) = seen.insert(key, k.line) {
                issues.push(LoadIssue {
                    line: k.line,
                    message: format!(
                        "duplicate key `{key}` (first at line {first}); the last one is used"
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_tags_lines_and_duplicates() {
        let src = "A: 1\nB: !Ref X\nC:\n  - !Sub 'a${X}'\nA: 2\n";
        let l = load(src).unwrap();
        let root = l.root.unwrap();
        assert_eq!(root.get("B").unwrap().tag.as_deref(), Some("Ref"));
        assert_eq!(root.get("B").unwrap().line, 2);
        assert_eq!(root.get("A").unwrap().as_str(), Some("2"));
        assert_eq!(l.issues.len(), 1);
        assert_eq!(l.issues[0].line, 5);
        let c = root.get("C").unwrap().as_seq().unwrap();
        assert_eq!(c[0].tag.as_deref(), Some("Sub"));
        assert_eq!(c[0].line, 4);
    }

    #[test]
    fn reads_json_and_reports_syntax_errors_with_line() {
        let l = load("{\n \"a\": {\"b\": [1, \"x\"]}\n}").unwrap();
        assert_eq!(l.root.unwrap().get("a").unwrap().get("b").unwrap().line, 2);
        let e = load("a: 1\nb: [1, 2\nc: 3\n").err().unwrap();
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn refuses_deep_nesting_and_alias_bombs() {
        let deep = format!("AWS:: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        // saphyr-parser has a recursion limit of its own; either way it is an error.
        assert!(load(&deep).is_err());
        let ours = format!("{}{}", "- ".repeat(300), "x");
        assert!(
            load(&ours).err().unwrap().message.contains("nested deeper"),
            "{:?}",
            load(&ours).err()
        );
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(load(&bomb)
            .err()
            .unwrap()
            .message
            .contains("aliases expand to more than"));
        // Many nodes and no alias: read (the old count, of every node once per level, refused
        // it).
        let big: String = (0..(MAX_NODES / 3 + 10))
            .map(|i| format!("k{i}: v\n"))
            .collect();
        assert!(load(&big).is_ok());
    }

    #[test]
    fn quoted_scalars_are_not_plain() {
        let l = load("a: 'true'\nb: true\n").unwrap();
        let r = l.root.unwrap();
        assert!(matches!(
            r.get("a").unwrap().value,
            NodeValue::Scalar { plain: false, .. }
        ));
        assert!(matches!(
            r.get("b").unwrap().value,
            NodeValue::Scalar { plain: true, .. }
        ));
    }
}

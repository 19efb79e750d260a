//! A quick reader for the block YAML that templates are written in. Hand-written because
//! saphyr (a full YAML 1.2 parser, scanning character by character into an event stream) was
//! the largest share of a scan; most templates use a small part of YAML, which is read here
//! into the same nodes, spans and lines, line by line.
//!
//! It declines (`None`) whatever it does not take — tabs, `\r`, text beyond ASCII, anchors and
//! aliases, escapes, multi-line plain, quoted or flow scalars, folded scalars with more-indented
//! lines, several documents, any doubt about indentation — and `load` then reads the text with
//! saphyr, which also reports every error. Tests hold it to saphyr on every template of the
//! project and on generated and damaged text.

use super::{check_duplicates, Loaded, Node, NodeSpan, NodeValue, MAX_DEPTH};

type R<T> = Option<T>;

/// Well below saphyr's limits and the loader's (`MAX_DEPTH`, `MAX_NODES`).
const MAX_NODES: usize = 1_000_000;

pub fn load(src: &str) -> Option<Loaded> {
    let s = src.as_bytes();
    if !src.is_ascii() || memchr::memchr2(b'\t', b'\r', s).is_some() {
        return None;
    }
    let mut lines = Vec::new();
    let mut start = 0;
    while start < s.len() {
        let end = memchr::memchr(b'\n', &s[start..]).map_or(s.len(), |i| start + i);
        let text = &s[start..end];
        let indent = text.iter().take_while(|&&b| b == b' ').count();
        let content = indent < text.len() && text[indent] != b'#';
        lines.push(Line {
            start,
            end,
            indent,
            content,
        });
        start = end + 1;
    }
    let mut q = Reader {
        src,
        s,
        lines,
        issues: Vec::new(),
        nodes: 0,
        depth: 0,
    };
    let mut first = q.next_content(0)?;
    // One document, optionally opened by `---`; directives and more documents are saphyr's.
    for (n, line) in q.lines.iter().enumerate() {
        let t = q.text(line);
        if t.starts_with(b"---") || t.starts_with(b"...") || t.starts_with(b"%") {
            if n == first && t == b"---" {
                continue;
            }
            return None;
        }
    }
    if q.text(&q.lines[first]) == b"---" {
        first = q.next_content(first + 1)?;
    }
    let line = &q.lines[first];
    let pos = line.start + line.indent;
    if !q.is_key_at(first, pos)? {
        return None;
    }
    let (root, next) = q.map(first, pos)?;
    if next.is_some() {
        return None;
    }
    Some(Loaded {
        root: Some(root),
        issues: q.issues,
    })
}

struct Line {
    start: usize,
    /// Before the newline.
    end: usize,
    indent: usize,
    /// Neither blank nor a comment.
    content: bool,
}

struct Reader<'a> {
    src: &'a str,
    s: &'a [u8],
    lines: Vec<Line>,
    issues: Vec<super::LoadIssue>,
    nodes: usize,
    depth: usize,
}

/// A node and the next content line after it (its index), if any.
type Read = (Node, Option<usize>);

fn is_quote(b: u8) -> bool {
    b == b'\'' || b == b'"'
}

fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

impl<'a> Reader<'a> {
    fn text(&self, line: &Line) -> &'a [u8] {
        &self.s[line.start..line.end]
    }

    fn next_content(&self, from: usize) -> Option<usize> {
        (from..self.lines.len()).find(|&n| self.lines[n].content)
    }

    fn line_of(&self, pos: usize) -> usize {
        self.lines.partition_point(|l| l.end < pos)
    }

    fn node(&mut self, value: NodeValue, tag: Option<String>, start: usize, end: usize) -> R<Node> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return None;
        }
        let n = self.line_of(start);
        let line = &self.lines[n];
        Some(Node {
            value,
            tag,
            line: n as u32 + 1,
            span: NodeSpan {
                start,
                end,
                col: (start - line.start) as u32,
                flow: matches!(self.s.get(start), Some(b'{' | b'[')),
                anchored: false,
                aliased: false,
            },
        })
    }

    /// The end of a line's text after `pos`: spaces and a comment allowed, nothing else.
    fn rest_is_blank(&self, pos: usize, end: usize) -> bool {
        let mut i = pos;
        while i < end && self.s[i] == b' ' {
            i += 1;
        }
        i == end || (self.s[i] == b'#' && i > pos)
    }

    /// Whether a block mapping key starts at `pos`: a plain or quoted scalar on its line,
    /// followed by `:` and a space or the line's end. `None` when in doubt.
    fn is_key_at(&self, n: usize, pos: usize) -> R<bool> {
        Some(self.key_end(n, pos)?.is_some())
    }

    /// Where the key at `pos` ends (at its colon), if it is one.
    fn key_end(&self, n: usize, pos: usize) -> R<Option<(usize, usize)>> {
        let end = self.lines[n].end;
        let b = *self.s.get(pos)?;
        let text_end = if is_quote(b) {
            self.quoted_end(pos, end)?
        } else if is_indicator(b) {
            return Some(None);
        } else {
            let mut i = pos;
            loop {
                if i >= end {
                    return Some(None);
                }
                match self.s[i] {
                    b':' if i + 1 == end || self.s[i + 1] == b' ' => break,
                    b'#' if i > pos && self.s[i - 1] == b' ' => return Some(None),
                    _ => i += 1,
                }
            }
            i
        };
        // `Key : value`: the key is its text without the spaces.
        let colon = text_end;
        let text_end = if is_quote(b) {
            text_end
        } else {
            pos + self.src[pos..text_end].trim_end_matches(' ').len()
        };
        if self.s.get(colon) != Some(&b':') {
            // A space before a quoted key's colon, or a quoted scalar that is no key.
            return if self.s[colon..end].contains(&b':') {
                None
            } else {
                Some(None)
            };
        }
        if colon + 1 < end && self.s[colon + 1] != b' ' {
            return None;
        }
        Some(Some((text_end, colon)))
    }

    /// Just past the closing quote of the quoted scalar at `pos`, on its own line, without
    /// escapes.
    fn quoted_end(&self, pos: usize, end: usize) -> R<usize> {
        let quote = self.s[pos];
        let mut i = pos + 1;
        loop {
            if i >= end {
                return None;
            }
            match self.s[i] {
                b'\\' if quote == b'"' => return None,
                b'\'' if quote == b'\'' && self.s.get(i + 1) == Some(&b'\'') && i + 1 < end => {
                    i += 2
                }
                b if b == quote => return Some(i + 1),
                _ => i += 1,
            }
        }
    }

    fn quoted_text(&self, pos: usize, close: usize) -> String {
        let inner = &self.src[pos + 1..close - 1];
        if self.s[pos] == b'\'' {
            inner.replace("''", "'")
        } else {
            inner.to_string()
        }
    }

    fn scalar_key(&mut self, pos: usize, text_end: usize) -> R<Node> {
        let (text, plain) = if matches!(self.s[pos], b'\'' | b'"') {
            (self.quoted_text(pos, text_end), false)
        } else {
            (self.src[pos..text_end].to_string(), true)
        };
        self.node(NodeValue::Scalar { text, plain }, None, pos, text_end)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH - 8).then_some(())
    }

    /// A block mapping whose first key is at `pos` on line `n`; its keys stand at `pos`'s
    /// column.
    fn map(&mut self, n: usize, pos: usize) -> R<Read> {
        self.enter()?;
        let col = pos - self.lines[n].start;
        let mut entries = Vec::new();
        let (mut n, mut pos) = (n, pos);
        let next = loop {
            let (text_end, colon) = self.key_end(n, pos)??;
            let key = self.scalar_key(pos, text_end)?;
            let (value, next) = self.value(n, colon, col)?;
            entries.push((key, value));
            let Some(m) = next else { break None };
            let line = &self.lines[m];
            if line.indent < col {
                break Some(m);
            }
            if line.indent > col {
                return None;
            }
            (n, pos) = (m, line.start + line.indent);
            if self.s[pos] == b'-' {
                // A sequence at this column belongs to no key here.
                return None;
            }
        };
        self.depth -= 1;
        let start = entries.first()?.0.span.start;
        let end = entries.last()?.1.span.end;
        let node = self.node(NodeValue::Map(entries), None, start, end)?;
        check_duplicates(&node, &mut self.issues);
        Some((node, next))
    }

    /// The value after the colon at `colon` of a key on line `n` at column `col`.
    fn value(&mut self, n: usize, colon: usize, col: usize) -> R<Read> {
        let end = self.lines[n].end;
        let mut pos = colon + 1;
        while pos < end && self.s[pos] == b' ' {
            pos += 1;
        }
        if pos == end || self.s[pos] == b'#' {
            let commented = pos < end;
            let next = self.next_content(n + 1);
            if let Some(m) = next {
                let line = &self.lines[m];
                let first = line.start + line.indent;
                if line.indent > col {
                    return self.block(m, None);
                }
                if line.indent == col && self.is_dash(first) {
                    return self.seq(m, first, true, None);
                }
            }
            if commented {
                return None;
            }
            let node = self.node(
                NodeValue::Scalar {
                    text: String::new(),
                    plain: true,
                },
                None,
                colon,
                colon,
            )?;
            return Some((node, next));
        }
        self.inline(n, pos, col)
    }

    fn is_dash(&self, pos: usize) -> bool {
        self.s[pos] == b'-' && matches!(self.s.get(pos + 1), None | Some(b' ' | b'\n'))
    }

    /// A block collection starting on line `n` (a nested value), tagged when `tag` (its text
    /// and where it starts) is given.
    fn block(&mut self, n: usize, tag: Option<(String, usize)>) -> R<Read> {
        let line = &self.lines[n];
        let pos = line.start + line.indent;
        if self.is_dash(pos) {
            return self.seq(n, pos, false, tag);
        }
        if !self.is_key_at(n, pos)? {
            return None;
        }
        let (mut node, next) = self.map(n, pos)?;
        if let Some((tag, at)) = tag {
            node = self.retag(node, tag, at);
        }
        Some((node, next))
    }

    /// A node given the tag written before it at `at`, where its span (and line and column)
    /// then starts. A tagged collection, flow or block, then ends at its last value (as the
    /// loader closes any collection that does not start with a bracket).
    fn retag(&self, mut node: Node, tag: String, at: usize) -> Node {
        node.span.end = match &node.value {
            NodeValue::Scalar { .. } => node.span.end,
            NodeValue::Seq(items) => items.last().map_or(at, |n| n.span.end),
            NodeValue::Map(entries) => entries.last().map_or(at, |(_, v)| v.span.end),
        };
        let n = self.line_of(at);
        node.tag = Some(tag);
        node.line = n as u32 + 1;
        node.span.start = at;
        node.span.col = (at - self.lines[n].start) as u32;
        node.span.flow = false;
        node
    }

    /// A block sequence whose first `-` is at `pos` on line `n`; `indentless` when it stands
    /// at its key's column.
    fn seq(
        &mut self,
        n: usize,
        pos: usize,
        indentless: bool,
        tag: Option<(String, usize)>,
    ) -> R<Read> {
        self.enter()?;
        let col = pos - self.lines[n].start;
        let mut items = Vec::new();
        let first_dash = pos;
        let (mut n, mut pos) = (n, pos);
        let mut first_item = None;
        let next = loop {
            let end = self.lines[n].end;
            let mut p = pos + 1;
            while p < end && self.s[p] == b' ' {
                p += 1;
            }
            if p == end || self.s[p] == b'#' {
                // `-` alone: the item is the collection below it, indented past the dash (a
                // null item, or the first of an indentless sequence, is saphyr's).
                let m = self.next_content(n + 1)?;
                if (indentless && items.is_empty()) || self.lines[m].indent <= col {
                    return None;
                }
                let (item, next) = self.block(m, None)?;
                items.push(item);
                match self.seq_goes_on(next, col, indentless)? {
                    Some((m, first)) => {
                        (n, pos) = (m, first);
                        continue;
                    }
                    None => break next,
                }
            }
            first_item.get_or_insert(p);
            let (item, next) = if self.is_dash(p) {
                self.seq(n, p, false, None)?
            } else if self.is_key_at(n, p)? {
                self.map(n, p)?
            } else {
                self.inline(n, p, col)?
            };
            items.push(item);
            match self.seq_goes_on(next, col, indentless)? {
                Some((m, first)) => (n, pos) = (m, first),
                None => break next,
            }
        };
        self.depth -= 1;
        // An indentless sequence (at its key's column) starts, for saphyr, at its first item.
        let start = match &tag {
            Some((_, at)) => *at,
            None if indentless => first_item?,
            None => first_dash,
        };
        if matches!(self.s[start], b'[' | b'{') {
            // Starting at a bracket, the loader would close it as a flow collection.
            return None;
        }
        let end = items.last()?.span.end;
        let node = self.node(NodeValue::Seq(items), tag.map(|(t, _)| t), start, end)?;
        Some((node, next))
    }

    /// After an item, the line and `-` of the sequence's next item at column `col`; `None`
    /// when the sequence ends there (a line less indented, or for an indentless sequence its
    /// key's next sibling); declined when the line fits neither.
    fn seq_goes_on(
        &self,
        next: Option<usize>,
        col: usize,
        indentless: bool,
    ) -> R<Option<(usize, usize)>> {
        let Some(m) = next else { return Some(None) };
        let line = &self.lines[m];
        if line.indent < col {
            return Some(None);
        }
        let first = line.start + line.indent;
        if line.indent > col || !self.is_dash(first) {
            return (indentless && line.indent == col).then_some(None);
        }
        Some(Some((m, first)))
    }

    /// A value written on the key's (or dash's) line at `pos`: a scalar, a flow collection,
    /// a block scalar, or a tag before any of them (or before a block collection below).
    fn inline(&mut self, n: usize, pos: usize, col: usize) -> R<Read> {
        let end = self.lines[n].end;
        let (tag, pos) = if self.s[pos] == b'!' {
            let mut i = pos + 1;
            while i < end
                && (self.s[i].is_ascii_alphanumeric()
                    || matches!(self.s[i], b'_' | b'.' | b'-' | b':'))
            {
                i += 1;
            }
            if i == pos + 1 {
                return None;
            }
            let tag = self.src[pos + 1..i].to_string();
            if i == end || (self.s[i] == b' ' && self.rest_is_blank(i, end)) {
                // A tagged collection below.
                let m = self.next_content(n + 1)?;
                if self.lines[m].indent <= col {
                    return None;
                }
                return self.block(m, Some((tag, pos)));
            }
            if self.s[i] != b' ' {
                return None;
            }
            let mut j = i;
            while self.s[j] == b' ' {
                j += 1;
            }
            (Some((tag, pos)), j)
        } else {
            (None, pos)
        };
        let (mut node, next) = match self.s[pos] {
            b'\'' | b'"' => {
                let close = self.quoted_end(pos, end)?;
                if !self.rest_is_blank(close, end) {
                    return None;
                }
                let text = self.quoted_text(pos, close);
                let node = self.node(NodeValue::Scalar { text, plain: false }, None, pos, close)?;
                (node, self.after_line(n, col)?)
            }
            b'[' | b'{' => {
                let (mut node, after) = self.flow(pos, end)?;
                if self.s[after..end].iter().any(|&b| b != b' ') {
                    return None;
                }
                // Its end event runs on over the spaces after the bracket.
                node.span.end = end;
                (node, self.after_line(n, col)?)
            }
            b'|' | b'>' => self.block_scalar(n, pos, col)?,
            b'-' | b'?' | b':' if matches!(self.s.get(pos + 1), None | Some(b' ' | b'\n')) => {
                return None
            }
            b'-' | b'?' | b':' => self.plain_line(n, pos, col)?,
            b if is_indicator(b) => return None,
            _ => self.plain_line(n, pos, col)?,
        };
        if let Some((tag, at)) = tag {
            let quoted = is_quote(self.s[pos]);
            node = self.retag(node, tag, at);
            if quoted {
                // saphyr's event for a tagged quoted scalar runs on over the blanks and the
                // comment after it (the loader trims only an untagged one, at its quote).
                node.span.end = end;
            }
        }
        Some((node, next))
    }

    /// The next content line after line `n`, which must not be indented past `col` (that
    /// would continue a scalar).
    fn after_line(&self, n: usize, col: usize) -> R<Option<usize>> {
        let next = self.next_content(n + 1);
        match next {
            Some(m) if self.lines[m].indent > col => None,
            _ => Some(next),
        }
    }

    fn plain_line(&mut self, n: usize, pos: usize, col: usize) -> R<Read> {
        let end = self.lines[n].end;
        let mut i = pos;
        let mut text_end = pos;
        while i < end {
            match self.s[i] {
                b':' if i + 1 == end || self.s[i + 1] == b' ' => return None,
                b'#' if self.s[i - 1] == b' ' => break,
                b' ' => {}
                _ => text_end = i + 1,
            }
            i += 1;
        }
        let text = self.src[pos..text_end].to_string();
        let node = self.node(NodeValue::Scalar { text, plain: true }, None, pos, text_end)?;
        Some((node, self.after_line(n, col)?))
    }

    /// `|`, `|-`, `|+` and simple `>`: lines indented past `col`.
    fn block_scalar(&mut self, n: usize, pos: usize, col: usize) -> R<Read> {
        let end = self.lines[n].end;
        let folded = self.s[pos] == b'>';
        let mut i = pos + 1;
        let chomp = match self.s.get(i) {
            Some(b'-') => {
                i += 1;
                b'-'
            }
            Some(b'+') => {
                i += 1;
                b'+'
            }
            _ => b' ',
        };
        if !self.rest_is_blank(i, end) || (i < end && self.s[i] != b' ') {
            return None;
        }
        let first = n + 1;
        let first_line = self.lines.get(first)?;
        // Leading blank lines, and content not indented past the key, are saphyr's.
        if !first_line.content && first_line.indent == first_line.end - first_line.start {
            return None;
        }
        let indent = first_line.indent;
        if indent <= col {
            return None;
        }
        let mut text = String::new();
        let mut m = first;
        let mut breaks = 0usize;
        let mut lines = 0usize;
        let stop = loop {
            let Some(line) = self.lines.get(m) else {
                break self.s.len();
            };
            let blank = line.indent == line.end - line.start;
            if blank {
                if line.indent > indent {
                    return None;
                }
                breaks += 1;
            } else if line.indent < indent {
                break line.start + line.indent;
            } else {
                if folded && (line.indent > indent || (breaks > 0 && lines > 0)) {
                    return None;
                }
                if lines > 0 {
                    text.push(if folded { ' ' } else { '\n' });
                }
                for _ in 0..breaks {
                    text.push('\n');
                }
                breaks = 0;
                text.push_str(&self.src[line.start + indent..line.end]);
                lines += 1;
            }
            if line.end == self.s.len() {
                // No newline at the end of the text.
                return None;
            }
            m += 1;
        };
        // The last content line's break, then the blank lines' ones.
        match chomp {
            b'-' => {}
            b'+' => {
                text.push('\n');
                for _ in 0..breaks {
                    text.push('\n');
                }
            }
            _ => text.push('\n'),
        }
        let start = self.lines[first].start + indent;
        let node = self.node(NodeValue::Scalar { text, plain: false }, None, start, stop)?;
        let next = self.next_content(m);
        if let Some(k) = next {
            if self.lines[k].indent > col {
                return None;
            }
        }
        Some((node, next))
    }

    /// A flow collection on one line from `pos` (before `end`); the node and where it ends.
    fn flow(&mut self, pos: usize, end: usize) -> R<(Node, usize)> {
        self.enter()?;
        let open = self.s[pos];
        let close = if open == b'[' { b']' } else { b'}' };
        let mut i = pos + 1;
        let skip = |r: &Self, mut i: usize| {
            while i < end && r.s[i] == b' ' {
                i += 1;
            }
            i
        };
        let mut items = Vec::new();
        let mut entries = Vec::new();
        i = skip(self, i);
        if i < end && self.s[i] == close {
            i += 1;
        } else {
            loop {
                if open == b'[' {
                    let (item, after) = self.flow_value(i, end, false)?;
                    items.push(item);
                    i = skip(self, after);
                } else {
                    let (key, after) = self.flow_value(i, end, true)?;
                    if key.tag.is_some() || !matches!(key.value, NodeValue::Scalar { .. }) {
                        return None;
                    }
                    if self.s.get(after) != Some(&b':') || self.s.get(after + 1) != Some(&b' ') {
                        return None;
                    }
                    let (value, after) = self.flow_value(skip(self, after + 1), end, false)?;
                    entries.push((key, value));
                    i = skip(self, after);
                }
                if matches!(self.s.get(after_value(&items, &entries)), Some(b' ')) {
                    // Spaces after a nested collection: where saphyr ends it is not taken here.
                    return None;
                }
                match self.s.get(i) {
                    Some(b',') if i < end => {
                        i = skip(self, i + 1);
                        if i >= end || self.s[i] == close {
                            return None;
                        }
                    }
                    Some(&b) if b == close && i < end => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let value = if open == b'[' {
            NodeValue::Seq(items)
        } else {
            NodeValue::Map(entries)
        };
        let node = self.node(value, None, pos, i)?;
        if open == b'{' {
            check_duplicates(&node, &mut self.issues);
        }
        Some((node, i))
    }

    /// A value inside a flow collection: a scalar, a nested collection, or a tag before one.
    /// A key stops at its `:`.
    fn flow_value(&mut self, pos: usize, end: usize, key: bool) -> R<(Node, usize)> {
        if pos >= end {
            return None;
        }
        if self.s[pos] == b'!' {
            let mut i = pos + 1;
            while i < end
                && (self.s[i].is_ascii_alphanumeric()
                    || matches!(self.s[i], b'_' | b'.' | b'-' | b':'))
            {
                i += 1;
            }
            if i == pos + 1 || i >= end || self.s[i] != b' ' || key {
                return None;
            }
            let tag = self.src[pos + 1..i].to_string();
            let mut j = i;
            while j < end && self.s[j] == b' ' {
                j += 1;
            }
            let (node, after) = self.flow_value(j, end, false)?;
            let quoted = is_quote(self.s[node.span.start]);
            let mut node = self.retag(node, tag, pos);
            if quoted {
                // As in block context, the event runs on over the blanks after the quote.
                let mut k = after;
                while k < end && self.s[k] == b' ' {
                    k += 1;
                }
                node.span.end = k;
            }
            return Some((node, after));
        }
        match self.s[pos] {
            b'[' | b'{' => self.flow(pos, end),
            b'\'' | b'"' => {
                let close = self.quoted_end(pos, end)?;
                let text = self.quoted_text(pos, close);
                Some((
                    self.node(NodeValue::Scalar { text, plain: false }, None, pos, close)?,
                    close,
                ))
            }
            b if is_indicator(b)
                && !(b == b'-'
                    && self
                        .s
                        .get(pos + 1)
                        .is_some_and(|&c| c.is_ascii_alphanumeric())) =>
            {
                None
            }
            _ => {
                let mut i = pos;
                let mut text_end = pos;
                while i < end {
                    match self.s[i] {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' if matches!(self.s.get(i + 1), Some(b' ' | b',' | b']' | b'}'))
                            || i + 1 == end =>
                        {
                            if key {
                                break;
                            }
                            return None;
                        }
                        b'#' if self.s[i - 1] == b' ' => return None,
                        b' ' => {}
                        // After a space, an indicator is saphyr's to judge in flow context.
                        b if self.s[i - 1] == b' ' && is_indicator(b) => return None,
                        _ => text_end = i + 1,
                    }
                    i += 1;
                }
                if text_end == pos {
                    return None;
                }
                let text = self.src[pos..text_end].to_string();
                let node =
                    self.node(NodeValue::Scalar { text, plain: true }, None, pos, text_end)?;
                Some((node, text_end))
            }
        }
    }
}

/// Just past the last value read in a flow collection, when it is itself a collection
/// (otherwise a position that is never a space).
fn after_value(items: &[Node], entries: &[(Node, Node)]) -> usize {
    let last = items.last().or(entries.last().map(|(_, v)| v));
    match last {
        Some(n) if n.span.flow => n.span.end,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{load_events, Loaded};
    use crate::quick_tests::{damaged, files_agree, project_files, read_of_500};
    use proptest::prelude::*;

    /// The property: whatever the quick reader reads, saphyr reads the same (nodes, tags,
    /// lines, spans, duplicate-key issues); what saphyr rejects, the quick reader declines.
    /// Returns whether the quick reader read it.
    pub(crate) fn agrees(src: &str) -> bool {
        let quick = super::load(src);
        match (load_events(src), quick) {
            (Ok(Loaded { root, issues }), Some(q)) => {
                assert_eq!(q.root, root, "quick reader differs from saphyr on:\n{src}");
                assert_eq!(q.issues, issues, "issues differ on:\n{src}");
                true
            }
            (Err(e), Some(_)) => panic!("quick reader took what saphyr rejects ({e:?}):\n{src}"),
            (_, None) => false,
        }
    }

    const TAKEN: &[&str] = &[
        "A: 1\n",
        "# c\n---\nA: 1\nB: !Ref X   # trailing\nC:\n  - a\n  - 'q' # c\n  - \"d\"\n  - k: v\n    k2: [a, 'b', !Ref C]\n  - - nested\n    - x\nD:\nE: { S: lambda.amazonaws.com, T: x }\nK: ~\n",
        "F: |\n  line1\n    line2\n\nG: |-\n  x\nH: plain text here  \nI:\n- x\n- y\nJ: !Sub\n  - a\n",
        "A:\n  F: |\n    line1\n\n  G: x\n  H: |+\n    k\n\n  \"Q\": 'it''s'\n  L:   # comment\n    - !Ref X\n    - [a, b]\n    - { c: d }\n    # between\n    - z\n  M: >\n    folded\n    text\nN: !GetAtt A.B\nO:\n",
        "Key : spaced\nT: !Sub \"${A}\"  # tagged, quoted, commented\nU: [ a, b ] \nV: !FindInMap [ !FindInMap [ m, !Ref 'AWS::Region' , x ], !Ref 'AWS::Region', 32 ]\n",
        "Resources:\n  Api:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      AccessLogSetting:\n        DestinationArn: !GetAtt Logs.Arn\n        Format: '{\"requestId\":\"$context.requestId\"}'\n      MethodSettings:\n        - ResourcePath: /*\n          HttpMethod: \"*\"\n          LoggingLevel: INFO\n",
        "A: 1\nA: 2\nB: { x: 1, x: 2 }\n",
        "A: http://example.com/a#b\nB: -1\nC: a:b\nD: 'x'\n",
        "A:\n  -\n    k: v\n    k2: w\n  - x\n  -   # c\n    - y\nB:\n- a\n-\n  k: v\n",
    ];

    /// Left to saphyr: what it rejects, and what the quick reader does not take.
    const DECLINED: &[&str] = &[
        "A: [a, b\n  , c]\n",
        "A: &x 1\nB: *x\n",
        "A: \"esc\\n\"\n",
        "A: plain\n  continued\n",
        "A:\n\tB: 1\n",
        "A: 1\r\nB: 2\r\n",
        "A: é\n",
        "A: 1\n---\nB: 2\n",
        "A:\n- {a: 1}\n- {b: 2}\n",
        "A: >\n  a\n    b\n",
        "A: |\n\n  x\n",
        "A: 'open\n",
        "A: b: c\n",
        "- a\n- b\n",
        "A:\n  - a\n  B: 1\n",
        "A:\n-\n  k: v\n",
        "A:\n  -\n  - x\n",
        "A: [a] # c\n",
    ];

    #[test]
    fn reads_what_saphyr_reads() {
        for src in TAKEN {
            assert!(agrees(src), "declined:\n{src}");
        }
    }

    #[test]
    fn declines_the_rest() {
        for src in DECLINED {
            assert!(super::load(src).is_none(), "quick reader took:\n{src}");
            // saphyr reads them or reports them, as before.
            let _ = load_events(src);
        }
    }

    /// Every YAML and JSON file of the project's rules and examples reads the same both ways,
    /// and the quick reader takes nearly all the YAML ones.
    #[test]
    fn project_files_agree() {
        for p in project_files(&["json"]) {
            agrees(&std::fs::read_to_string(p).unwrap());
        }
        files_agree(&project_files(&["yaml", "yml"]), agrees);
    }

    /// Values as templates write them, and now and then one the quick reader leaves to saphyr.
    fn scalar() -> BoxedStrategy<String> {
        let good = prop::sample::select(vec![
            "a",
            "b c",
            "AWS::Region",
            "-1",
            "1.5",
            "~",
            "''",
            "'it''s'",
            "\"q\"",
            "x # c",
            "a:b",
            "!Ref X",
            "!Sub 'a ${B}'",
            "!Sub \"q\"  # c",
            "[a, b]",
            "[ a, !Ref B ] ",
            "{ k: v, k2: 'w' }",
            "[]",
            "{}",
            "!If [c, a, b]",
            "!GetAtt A.Arn",
            "|\n  lit\n    eral",
            "|-\n  x\n",
            "|+\n  y\n",
            ">\n  fold\n  ed",
            "!Sub |\n  a ${B}",
        ]);
        let poison = prop::sample::select(vec![
            "\"e\\n\"",
            "a: b",
            "*x",
            "&y z",
            "é",
            "[a, [b, c] ]",
            "\t",
            "-",
            "? x",
            "[a,\n b]",
            "x\n  continued",
        ]);
        prop_oneof![12 => good, 1 => poison]
            .prop_map(str::to_string)
            .boxed()
    }

    fn key() -> BoxedStrategy<String> {
        let good = prop::sample::select(vec![
            "A", "B", "Fn::If", "\"Q\"", "'S'", "K ", "a b", "Type",
        ]);
        let poison = prop::sample::select(vec!["-", "#", "? k", "a: b"]);
        prop_oneof![12 => good, 1 => poison]
            .prop_map(str::to_string)
            .boxed()
    }

    /// `key: value` at `pad`, a multi-line value's lines indented under its key.
    fn entry(pad: &str, k: &str, v: &str, comment: &str) -> String {
        if v.contains('\n') {
            format!("{pad}{k}: {}\n", v.replace('\n', &format!("\n{pad}")))
        } else {
            format!("{pad}{k}: {v}{comment}\n")
        }
    }

    /// Block YAML: mappings and sequences nested to a few levels, at the given indentation.
    fn block(indent: usize, depth: u32) -> BoxedStrategy<String> {
        let pad = " ".repeat(indent);
        let leaf = {
            let pad = pad.clone();
            prop::collection::vec(
                (
                    key(),
                    scalar(),
                    prop::sample::select(vec!["", "  # c", " "]),
                ),
                1..4,
            )
            .prop_map(move |entries| {
                entries
                    .into_iter()
                    .map(|(k, v, c)| entry(&pad, &k, &v, c))
                    .collect::<String>()
            })
            .boxed()
        };
        if depth == 0 {
            return leaf;
        }
        let pad2 = pad.clone();
        let pad3 = pad.clone();
        prop_oneof![
            leaf,
            (
                key(),
                prop::sample::select(vec![2usize, 4, 0]),
                block(indent + 2, depth - 1),
                prop::option::of(Just("!Tag "))
            )
                .prop_map(move |(k, extra, inner, tag)| {
                    let inner = if extra == 0 {
                        inner
                    } else {
                        inner
                            .lines()
                            .map(|l| format!("{}{l}\n", " ".repeat(extra - 2)))
                            .collect()
                    };
                    format!("{pad2}{k}: {}\n{inner}", tag.unwrap_or(""))
                }),
            (
                key(),
                prop::collection::vec(prop_oneof![scalar(), block(0, depth - 1)], 1..3),
                prop::bool::ANY
            )
                .prop_map(move |(k, items, indentless)| {
                    let dash_pad = if indentless {
                        pad3.clone()
                    } else {
                        format!("{pad3}  ")
                    };
                    let mut out = format!("{pad3}{k}:\n");
                    for (n, item) in items.into_iter().enumerate() {
                        let mut lines = item.lines();
                        let first = lines.next().unwrap_or("");
                        if n % 2 == 1 && item.contains(": ") {
                            // `-` alone, the item below it.
                            out.push_str(&format!(
                                "{dash_pad}-\n{dash_pad}  {}\n",
                                first.trim_start()
                            ));
                        } else {
                            out.push_str(&format!("{dash_pad}- {}\n", first.trim_start()));
                        }
                        for l in lines {
                            out.push_str(&format!("{dash_pad}  {l}\n"));
                        }
                    }
                    out
                }),
            (
                block(indent, depth - 1),
                block(indent, depth - 1),
                prop::sample::select(vec!["", "\n", "# c\n", "  # c\n"])
            )
                .prop_map(|(a, b, between)| format!("{a}{between}{b}")),
        ]
        .boxed()
    }

    /// The generator makes text both read often enough for the property to mean something.
    #[test]
    fn generated_documents_are_often_read() {
        let read = read_of_500(block(0, 3), agrees);
        assert!(read >= 150, "{read} of 500 generated documents read");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn generated_documents_agree(src in block(0, 3)) {
            agrees(&src);
        }

        /// Broken text: a generated document with a byte range cut out or a byte put in.
        #[test]
        fn damaged_documents_agree(src in block(0, 3), at in any::<prop::sample::Index>(), len in 0usize..4, byte in prop::sample::select(vec![b' ', b'\n', b'-', b':', b'#', b'\'', b'"', b'[', b']', b'{', b'}', b'!', b'|', b','])) {
            if let Some(text) = damaged(&src, at, len, byte) {
                agrees(&text);
            }
        }
    }
}

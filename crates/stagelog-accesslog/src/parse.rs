//! The line parser compiled from a [`Format`]: the literals are matched in order and each field
//! is what lies between them, so a line costs a few `memmem` searches and no allocation. JSON
//! formats fall back to a real JSON parser when the line is laid out differently (other key
//! order or spacing) and unescape values that need it.

use crate::format::{Format, Kind};
use memchr::memmem::{Finder, FinderRev};
use serde_json::Value as Json;

pub struct Parser {
    pub format: Format,
    first: Vec<u8>,
    first_words: Words,
    last: Vec<u8>,
    /// `literals[1..=n]`, laid out for word-at-a-time matching.
    words: Vec<Words>,
    /// Finders for the literals between fields (`literals[1..n]`).
    between: Vec<Finder<'static>>,
    /// The same, searching backwards, for fields that take the last occurrence.
    between_rev: Vec<FinderRev<'static>>,
    /// Per field: its values may hold the literal after it (see [`spacious`]). Never for
    /// values inside JSON strings: they cannot hold an unescaped quote, and every literal
    /// after one starts with the closing quote.
    spacious: Vec<bool>,
    /// No field's value can hold the literal after it: the one-pass matcher is exact.
    straight_ok: bool,
}

/// Where each field's value is: in the line, or (unescaped) in the record's scratch buffer.
#[derive(Debug, Default, Clone)]
pub struct Record {
    spans: Vec<(u32, u32, bool)>,
    scratch: Vec<u8>,
}

impl Record {
    pub fn get<'a>(&'a self, line: &'a [u8], field: usize) -> &'a [u8] {
        match self.spans.get(field) {
            Some(&(s, e, false)) => line.get(s as usize..e as usize).unwrap_or_default(),
            Some(&(s, e, true)) => self.scratch.get(s as usize..e as usize).unwrap_or_default(),
            None => &[],
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn clear(&mut self) {
        self.spans.clear();
        self.scratch.clear();
    }

    /// Spans found in `line[by..]`, made spans of `line`.
    fn shift(&mut self, by: u32) {
        for (start, end, scratch) in &mut self.spans {
            if !*scratch {
                *start += by;
                *end += by;
            }
        }
    }

    fn push_scratch(&mut self, bytes: &[u8]) {
        let s = self.scratch.len() as u32;
        self.scratch.extend_from_slice(bytes);
        self.spans.push((s, self.scratch.len() as u32, true));
    }
}

/// How many dead ends one line may take before it is called unparsed.
const MAX_TRIES: u32 = 64;

/// Variables whose values hold spaces (`GET /pets`, messages, user agents).
fn spacious(var: &str) -> bool {
    matches!(
        var,
        "routeKey"
            | "requestTime"
            | "identity.userAgent"
            | "error.message"
            | "error.messageString"
            | "integrationErrorMessage"
            | "integration.error"
            | "authorizer.error"
    )
}

/// Whether a value of `var` (one of the [`spacious`] ones) can hold byte `b`; `false` for
/// bytes it never holds, so a literal with such a byte cannot occur inside the value.
fn value_byte(var: &str, b: u8) -> bool {
    match var {
        // `24/Nov/2026:01:02:03 +0000`
        "requestTime" => b.is_ascii_alphanumeric() || b" /:+-".contains(&b),
        // `GET /pets/{id}`, `$default`, `ANY /{proxy+}`
        "routeKey" => (b.is_ascii_graphic() && !b"\"[]<>,;|\\`".contains(&b)) || b == b' ',
        _ => true,
    }
}

/// Why a line does not match the format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unparsed {
    /// 1-based byte column where matching stopped.
    pub column: usize,
    pub reason: String,
}

/// The length of `2026-12-06T10:00:00.123Z ` at the start of a line exported from CloudWatch
/// Logs to S3 (each event is written after its timestamp).
pub fn export_prefix(line: &[u8]) -> Option<usize> {
    let digits = |r: std::ops::Range<usize>| {
        line.get(r)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = digits(0..4)
        && line.get(4) == Some(&b'-')
        && digits(5..7)
        && line.get(7) == Some(&b'-')
        && digits(8..10)
        && line.get(10) == Some(&b'T')
        && digits(11..13)
        && line.get(13) == Some(&b':')
        && digits(14..16)
        && line.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut at = 19;
    if line.get(at) == Some(&b'.') {
        at += 1;
        while line.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    (line.get(at) == Some(&b'Z') && line.get(at + 1) == Some(&b' ')).then_some(at + 2)
}

impl Parser {
    pub fn new(format: Format) -> Parser {
        let n = format.fields.len();
        let between = format.literals[1..n]
            .iter()
            .map(|l| Finder::new(l.as_bytes()).into_owned())
            .collect();
        Parser {
            between_rev: format.literals[1..n]
                .iter()
                .map(|l| FinderRev::new(l.as_bytes()).into_owned())
                .collect(),
            spacious: format
                .fields
                .iter()
                .map(|f| !f.json_string && spacious(&f.var))
                .collect(),
            straight_ok: format.fields.iter().enumerate().all(|(i, f)| {
                f.json_string
                    || !spacious(&f.var)
                    || format
                        .literals
                        .get(i + 1)
                        .is_some_and(|l| l.bytes().any(|b| !value_byte(&f.var, b)))
            }),
            first: format.literals[0].as_bytes().to_vec(),
            first_words: Words::new(format.literals[0].as_bytes()),
            last: format.literals[n].as_bytes().to_vec(),
            words: format.literals[1..=n]
                .iter()
                .map(|l| Words::new(l.as_bytes()))
                .collect(),
            between,
            format,
        }
    }

    /// Parses one line (without its newline) into `rec`. A line as CloudWatch Logs exports it
    /// to S3 (the event's time, a space, then the event) is read as the event: tried first,
    /// since a format that starts with a field would take the time into that field.
    pub fn parse(&self, line: &[u8], rec: &mut Record) -> Result<(), Unparsed> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(at) = export_prefix(line) {
            if self.parse_event(&line[at..], rec).is_ok() {
                rec.shift(at as u32);
                return Ok(());
            }
        }
        self.parse_event(line, rec)
    }

    fn parse_event(&self, line: &[u8], rec: &mut Record) -> Result<(), Unparsed> {
        rec.clear();
        match self.by_template(line, rec) {
            Ok(()) => Ok(()),
            Err(e) if self.format.kind == Kind::Json => {
                rec.clear();
                self.by_json(line, rec).map_err(|why| Unparsed {
                    column: e.column,
                    reason: format!("{}; as JSON: {why}", e.reason),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn by_template(&self, line: &[u8], rec: &mut Record) -> Result<(), Unparsed> {
        if line.len() > u32::MAX as usize {
            return Err(Unparsed {
                column: 1,
                reason: "line longer than 4 GiB".into(),
            });
        }
        if !self.first_words.at(line, 0) {
            return Err(Unparsed {
                column: 1,
                reason: format!("does not start with `{}`", self.format.literals[0]),
            });
        }
        if self.straight_ok && self.straight(line, rec) {
            return Ok(());
        }
        rec.clear();
        let mut budget = MAX_TRIES;
        self.fields_from(line, 0, self.first.len(), rec, &mut budget)
    }

    /// The common case in one pass: each field ends at the first occurrence of the literal
    /// after it. `false` sends the line to the general matcher (which also explains failures).
    /// Searches and compares go a word (8 bytes) at a time, inline: values are short, and a
    /// `memchr` and a `memcmp` call per field were half the parsing time.
    fn straight(&self, line: &[u8], rec: &mut Record) -> bool {
        let fields = &self.format.fields;
        let mut pos = self.first.len();
        for (i, field) in fields.iter().enumerate() {
            let lit = &self.words[i];
            let end = if i + 1 < fields.len() {
                let quoted = field.json_string && lit.bytes.first() == Some(&b'"');
                match quoted.then(|| closing_quote(line, pos, lit)).flatten() {
                    Some(end) => {
                        // Nothing to unescape: the value holds no backslash.
                        rec.spans.push((pos as u32, end as u32, false));
                        pos = end + lit.bytes.len();
                        continue;
                    }
                    None => {
                        let Some(at) = find_literal(&line[pos..], &lit.bytes, field.json_string)
                        else {
                            return false;
                        };
                        pos + at
                    }
                }
            } else {
                if line.len() < pos + lit.bytes.len() || !lit.at(line, line.len() - lit.bytes.len())
                {
                    return false;
                }
                line.len() - lit.bytes.len()
            };
            let value = &line[pos..end];
            if field.json_string && find_byte(b'\\', value).is_some() {
                match unescape(value) {
                    Some(text) => rec.push_scratch(&text),
                    None => return false,
                }
            } else {
                rec.spans.push((pos as u32, end as u32, false));
            }
            pos = end + lit.bytes.len();
        }
        true
    }

    /// The one-pass matcher as it was before it went word-at-a-time: the reference the
    /// property test holds [`Parser::straight`] to.
    #[cfg(test)]
    fn straight_bytewise(&self, line: &[u8], rec: &mut Record) -> bool {
        let fields = &self.format.fields;
        let mut pos = self.first.len();
        for (i, field) in fields.iter().enumerate() {
            let end = match self
                .format
                .literals
                .get(i + 1)
                .filter(|_| i + 1 < fields.len())
            {
                Some(lit) => {
                    let lit = lit.as_bytes();
                    let mut from = 0;
                    let hay = &line[pos..];
                    let found = loop {
                        let Some(at) = memchr::memchr(lit[0], &hay[from..]) else {
                            break None;
                        };
                        let c = from + at;
                        if hay[c..].starts_with(lit) && !(field.json_string && escaped(&hay[..c])) {
                            break Some(c);
                        }
                        from = c + 1;
                    };
                    let Some(at) = found else { return false };
                    pos + at
                }
                None => {
                    if line.len() < pos + self.last.len() || !line.ends_with(&self.last) {
                        return false;
                    }
                    line.len() - self.last.len()
                }
            };
            let value = &line[pos..end];
            if field.json_string && memchr::memchr(b'\\', value).is_some() {
                match unescape(value) {
                    Some(text) => rec.push_scratch(&text),
                    None => return false,
                }
            } else {
                rec.spans.push((pos as u32, end as u32, false));
            }
            pos = end + self.format.literals[i + 1].len();
        }
        true
    }

    /// Matches field `i` onwards from `pos`. A field ends at the next occurrence of the literal
    /// after it (the last one that works for fields whose values hold spaces, like `routeKey`);
    /// when the rest of the line then fails, later (earlier) occurrences are tried.
    fn fields_from(
        &self,
        line: &[u8],
        i: usize,
        pos: usize,
        rec: &mut Record,
        budget: &mut u32,
    ) -> Result<(), Unparsed> {
        let Some(field) = self.format.fields.get(i) else {
            return Ok(());
        };
        let Some(finder) = self.between.get(i) else {
            // The last field runs to the closing literal.
            if line.len() >= pos + self.last.len() && line.ends_with(&self.last) {
                return self.take(line, i, pos, line.len() - self.last.len(), rec);
            }
            return Err(Unparsed {
                column: pos + 1,
                reason: format!("does not end with `{}`", self.format.literals[i + 1]),
            });
        };
        let rest = &line[pos..];
        let no_literal = || Unparsed {
            column: pos + 1,
            reason: format!("no `{}` after {}", self.format.literals[i + 1], field.name),
        };
        // Fields with spaces try the last occurrence first, then earlier ones.
        let greedy = self.spacious[i];
        let mut lazy = finder.find_iter(rest);
        let mut rev = self.between_rev[i].rfind_iter(rest);
        let mut first_error = None;
        let (spans, scratch) = (rec.spans.len(), rec.scratch.len());
        loop {
            let next = if greedy { rev.next() } else { lazy.next() };
            let Some(at) = next else { break };
            // Inside a JSON string an escaped quote (`\"`) is not the closing one.
            if field.json_string && escaped(&rest[..at]) {
                continue;
            }
            let end = pos + at;
            let attempt = self.take(line, i, pos, end, rec).and_then(|()| {
                self.fields_from(line, i + 1, end + finder.needle().len(), rec, budget)
            });
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                    rec.spans.truncate(spans);
                    rec.scratch.truncate(scratch);
                    *budget = budget.saturating_sub(1);
                    if *budget == 0 {
                        break;
                    }
                }
            }
        }
        Err(first_error.unwrap_or_else(no_literal))
    }

    /// Records field `i` as `line[start..end]`, unescaping JSON string content.
    fn take(
        &self,
        line: &[u8],
        i: usize,
        start: usize,
        end: usize,
        rec: &mut Record,
    ) -> Result<(), Unparsed> {
        let field = &self.format.fields[i];
        let value = &line[start..end];
        if field.json_string && value.contains(&b'\\') {
            let unescaped = unescape(value).ok_or_else(|| Unparsed {
                column: start + 1,
                reason: format!("bad JSON escape in {}", field.name),
            })?;
            rec.push_scratch(&unescaped);
        } else {
            rec.spans.push((start as u32, end as u32, false));
        }
        Ok(())
    }

    /// Reads the line as JSON and takes each field from its key path.
    fn by_json(&self, line: &[u8], rec: &mut Record) -> Result<(), String> {
        let doc: Json = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        for field in &self.format.fields {
            let path = field
                .json_path
                .as_ref()
                .ok_or_else(|| format!("{} shares its string with other text", field.name))?;
            let mut v = &doc;
            for key in path {
                v = v
                    .get(key)
                    .ok_or_else(|| format!("no key `{}`", path.join(".")))?;
            }
            match v {
                Json::String(s) => rec.push_scratch(s.as_bytes()),
                Json::Null => rec.push_scratch(b"-"),
                Json::Object(_) | Json::Array(_) => {
                    return Err(format!("`{}` is not a plain value", path.join(".")))
                }
                other => rec.push_scratch(other.to_string().as_bytes()),
            }
        }
        Ok(())
    }
}

/// The first occurrence of `lit` in `hay` (not after an escaping backslash, inside a JSON
/// string). Literals are short and start with a byte values rarely hold (`"`, `,`, ` `), so
/// a search for that byte and a compare beats a general substring search here.
fn find_literal(hay: &[u8], lit: &[u8], json_string: bool) -> Option<usize> {
    let (&first, _) = lit.split_first()?;
    let mut from = 0;
    while let Some(at) = find_byte(first, &hay[from..]) {
        let c = from + at;
        if hay[c..].starts_with(lit) && !(json_string && escaped(&hay[..c])) {
            return Some(c);
        }
        from = c + 1;
    }
    None
}

/// Where a JSON string value starting at `from` ends, when `lit` (which starts with the
/// closing quote) follows it: the first quote or backslash decides. `None` on a backslash
/// (escapes: the caller's general search handles them) or when no quote is followed by `lit`.
#[inline]
fn closing_quote(line: &[u8], mut from: usize, lit: &Words) -> Option<usize> {
    loop {
        let at = from + find_quote_or_backslash(&line[from..])?;
        if line[at] == b'\\' {
            return None;
        }
        if lit.at(line, at) {
            return Some(at);
        }
        from = at + 1;
    }
}

// Word-at-a-time byte search ("SWAR"), hand-written because `memchr`'s calls cost more than
// they save on values of a few dozen bytes, and SIMD intrinsics would need `unsafe`.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `x` that equals the byte repeated in `splat`; exact (no
/// false positives, unlike the shorter `haszero` trick).
#[inline(always)]
fn equal_bytes(x: u64, splat: u64) -> u64 {
    let y = x ^ splat;
    !(((y & LOW7) + LOW7) | y | LOW7)
}

/// Eight bytes of `hay` from `at`, little-endian, zero-padded past its end.
#[inline(always)]
fn word(hay: &[u8], at: usize) -> u64 {
    match hay.get(at..at + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap_or_default()),
        None => {
            let mut w = [0u8; 8];
            let rest = hay.get(at..).unwrap_or_default();
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// The first `b` in `hay`.
#[inline]
fn find_byte(b: u8, hay: &[u8]) -> Option<usize> {
    let splat = u64::from_ne_bytes([b; 8]);
    let mut at = 0;
    while at < hay.len() {
        let hits = equal_bytes(word(hay, at), splat);
        if hits != 0 {
            let i = at + (hits.trailing_zeros() / 8) as usize;
            // Padding is zero bytes: a hit there (searching for 0) is past the end.
            return (i < hay.len()).then_some(i);
        }
        at += 8;
    }
    None
}

/// The first `"` or `\` in `hay`.
#[inline]
fn find_quote_or_backslash(hay: &[u8]) -> Option<usize> {
    const QUOTE: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASH: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let mut at = 0;
    while at < hay.len() {
        let w = word(hay, at);
        let hits = equal_bytes(w, QUOTE) | equal_bytes(w, BACKSLASH);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    None
}

/// A literal as little-endian words, to compare eight bytes at a time.
#[derive(Debug, Clone)]
struct Words {
    bytes: Vec<u8>,
    words: Vec<u64>,
    /// Which bytes of the last word belong to the literal.
    last_mask: u64,
}

impl Words {
    fn new(bytes: &[u8]) -> Words {
        let words = bytes.chunks(8).map(|c| word(c, 0)).collect();
        let tail = bytes.len() % 8;
        Words {
            bytes: bytes.to_vec(),
            words,
            last_mask: if tail == 0 {
                u64::MAX
            } else {
                (1u64 << (tail * 8)) - 1
            },
        }
    }

    /// Whether `hay[at..]` starts with the literal.
    #[inline]
    fn at(&self, hay: &[u8], at: usize) -> bool {
        if hay.len() < at + self.bytes.len() {
            return false;
        }
        let n = self.words.len();
        self.words.iter().enumerate().all(|(k, &w)| {
            let mask = if k + 1 == n { self.last_mask } else { u64::MAX };
            (word(hay, at + 8 * k) ^ w) & mask == 0
        })
    }
}

/// Whether the text ends in an odd number of backslashes (so the next quote is escaped).
fn escaped(before: &[u8]) -> bool {
    before.iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1
}

/// The text of a JSON string body (between the quotes), or `None` when an escape is invalid.
fn unescape(body: &[u8]) -> Option<Vec<u8>> {
    let mut quoted = Vec::with_capacity(body.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(body);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .ok()
        .map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(p: &Parser, line: &str) -> Result<Vec<String>, Unparsed> {
        let mut rec = Record::default();
        p.parse(line.as_bytes(), &mut rec)?;
        Ok((0..rec.len())
            .map(|i| String::from_utf8_lossy(rec.get(line.as_bytes(), i)).into_owned())
            .collect())
    }

    #[test]
    fn json_fast_path_slow_path_and_escapes() {
        let p = Parser::new(
            Format::compile(r#"{"requestId":"$context.requestId","status":$context.status,"agent":"$context.identity.userAgent"}"#)
                .unwrap(),
        );
        assert_eq!(
            fields(
                &p,
                r#"{"requestId":"a1","status":404,"agent":"curl \"8\""}"#
            )
            .unwrap(),
            ["a1", "404", "curl \"8\""]
        );
        // Another producer's key order and spacing still reads.
        assert_eq!(
            fields(&p, r#"{ "status": 200, "agent": null, "requestId": "b2" }"#).unwrap(),
            ["b2", "200", "-"]
        );
        let e = fields(&p, r#"{"requestId":"a1","status":404}"#).unwrap_err();
        assert!(e.reason.contains("no key `agent`"), "{e:?}");
        let e = fields(&p, "not json").unwrap_err();
        assert_eq!(e.column, 1);
    }

    #[test]
    fn clf_lines() {
        let p = Parser::new(Format::compile(r#"$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId"#).unwrap());
        assert_eq!(
            fields(
                &p,
                "1.2.3.4 - - [24/Nov/2026:01:02:03 +0000] \"GET /pets HTTP/1.1\" 404 12 abc-1\r"
            )
            .unwrap(),
            [
                "1.2.3.4",
                "24/Nov/2026:01:02:03 +0000",
                "GET",
                "/pets",
                "HTTP/1.1",
                "404",
                "12",
                "abc-1"
            ]
        );
        let e = fields(&p, "1.2.3.4 - - [24/Nov/2026:01:02:03 +0000] GET").unwrap_err();
        assert_eq!(e.reason, "no `] \"` after requestTime");
        assert_eq!(e.column, 14);
    }

    fn values_of(rec: &Record, line: &[u8]) -> Vec<Vec<u8>> {
        (0..rec.len()).map(|i| rec.get(line, i).to_vec()).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// The word-at-a-time matcher finds what the byte-at-a-time one did, on any line: the
        /// values hold the bytes literals are made of (quotes, backslashes, spaces, brackets),
        /// and whole literals, so every dead end and escape is reached.
        #[test]
        fn word_matcher_agrees_with_bytewise(
            preset in 0..crate::presets::PRESETS.len(),
            values in proptest::collection::vec(
                proptest::string::string_regex(r#"([a-z0-9 ,:"\\\]\[{}<>/-]|\\"|", "|"status":|\] "){0,14}"#).unwrap(),
                12,
            ),
            cut in 0usize..400,
        ) {
            let (_, text) = crate::presets::PRESETS[preset];
            let format = Format::compile(text).unwrap();
            let mut line = format.literals[0].clone();
            for (i, v) in values.iter().take(format.fields.len()).enumerate() {
                line.push_str(v);
                line.push_str(&format.literals[i + 1]);
            }
            let p = Parser::new(format);
            // Whole lines, and lines cut short anywhere.
            for line in [line.as_bytes(), &line.as_bytes()[..cut.min(line.len())]] {
                // As `by_template` calls them: on lines that start with the first literal.
                if !line.starts_with(&p.first) {
                    continue;
                }
                let (mut a, mut b) = (Record::default(), Record::default());
                let fast = p.straight(line, &mut a);
                let slow = p.straight_bytewise(line, &mut b);
                proptest::prop_assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                if fast {
                    proptest::prop_assert_eq!(values_of(&a, line), values_of(&b, line));
                }
            }
        }

        #[test]
        fn word_search_agrees_with_memchr(hay in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), b in proptest::prelude::any::<u8>()) {
            proptest::prop_assert_eq!(find_byte(b, &hay), memchr::memchr(b, &hay));
            proptest::prop_assert_eq!(find_quote_or_backslash(&hay), memchr::memchr2(b'"', b'\\', &hay));
            let lit = Words::new(&hay[..hay.len().min(b as usize % 24)]);
            for at in 0..=hay.len() {
                proptest::prop_assert_eq!(lit.at(&hay, at), hay[at..].starts_with(&lit.bytes));
            }
        }
    }
}

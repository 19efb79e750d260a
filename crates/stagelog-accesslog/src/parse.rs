//! The line parser compiled from a [`Format`]: the literals are matched in order and each field
//! is what lies between them, so a line costs a few `memmem` searches and no allocation. JSON
//! formats fall back to a real JSON parser when the line is laid out differently (other key
//! order or spacing) and unescape values that need it.

use crate::format::{Format, Kind};
use memchr::memmem::Finder;
use serde_json::Value as Json;

pub struct Parser {
    pub format: Format,
    first: Vec<u8>,
    last: Vec<u8>,
    /// Finders for the literals between fields (`literals[1..n]`).
    between: Vec<Finder<'static>>,
    /// Per field: its values may hold the literal after it (see [`spacious`]).
    spacious: Vec<bool>,
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

/// Why a line does not match the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// 1-based byte column where matching stopped.
    pub column: usize,
    pub reason: String,
}

impl Parser {
    pub fn new(format: Format) -> Parser {
        let n = format.fields.len();
        let between = format.literals[1..n]
            .iter()
            .map(|l| Finder::new(l.as_bytes()).into_owned())
            .collect();
        Parser {
            spacious: format.fields.iter().map(|f| spacious(&f.var)).collect(),
            first: format.literals[0].as_bytes().to_vec(),
            last: format.literals[n].as_bytes().to_vec(),
            between,
            format,
        }
    }

    /// Parses one line (without its newline) into `rec`.
    pub fn parse(&self, line: &[u8], rec: &mut Record) -> Result<(), Unparsed> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
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
        if !line.starts_with(&self.first) {
            return Err(Unparsed {
                column: 1,
                reason: format!("does not start with `{}`", self.format.literals[0]),
            });
        }
        let mut budget = MAX_TRIES;
        self.fields_from(line, 0, self.first.len(), rec, &mut budget)
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
        // Fields with spaces try the last occurrence first; collected only for them.
        let greedy: Option<Vec<usize>> = self.spacious[i].then(|| {
            let mut all: Vec<usize> = finder.find_iter(rest).collect();
            all.reverse();
            all
        });
        let mut lazy = finder.find_iter(rest);
        let mut tried = 0;
        let mut first_error = None;
        let (spans, scratch) = (rec.spans.len(), rec.scratch.len());
        loop {
            let next = match &greedy {
                Some(all) => all.get(tried).copied(),
                None => lazy.next(),
            };
            let Some(at) = next else { break };
            tried += 1;
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
}

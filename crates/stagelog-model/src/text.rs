use std::fmt;

/// A string value that may be only partly resolved: literal segments and holes. A hole keeps
/// the expression it stands for, so messages can show it and rules can tell "unknown" from
/// "absent". A text with no hole is fully known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Text {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Lit(String),
    Hole(String),
}

impl Text {
    pub fn lit(s: impl Into<String>) -> Text {
        let s = s.into();
        if s.is_empty() {
            return Text::default();
        }
        Text {
            segments: vec![Segment::Lit(s)],
        }
    }

    pub fn hole(expr: impl Into<String>) -> Text {
        Text {
            segments: vec![Segment::Hole(expr.into())],
        }
    }

    pub fn push_lit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(Segment::Lit(last)) = self.segments.last_mut() {
            last.push_str(s);
        } else {
            self.segments.push(Segment::Lit(s.to_string()));
        }
    }

    pub fn push_hole(&mut self, expr: impl Into<String>) {
        self.segments.push(Segment::Hole(expr.into()));
    }

    pub fn append(&mut self, other: Text) {
        for seg in other.segments {
            match seg {
                Segment::Lit(s) => self.push_lit(&s),
                Segment::Hole(h) => self.segments.push(Segment::Hole(h)),
            }
        }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The whole string, when nothing in it is unresolved.
    pub fn as_known(&self) -> Option<String> {
        let mut out = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => out.push_str(s),
                Segment::Hole(_) => return None,
            }
        }
        Some(out)
    }

    pub fn has_holes(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Hole(_)))
    }

    /// True when the text is one hole and nothing else: nothing at all is known of it.
    pub fn is_opaque(&self) -> bool {
        matches!(self.segments.as_slice(), [Segment::Hole(_)])
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The literal text with every hole replaced by `with`.
    pub fn fill(&self, with: &str) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => out.push_str(s),
                Segment::Hole(_) => out.push_str(with),
            }
        }
        out
    }
}

impl fmt::Display for Text {
    /// Holes print as `${expr}`, the way both Terraform and CloudFormation write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => f.write_str(s)?,
                Segment::Hole(h) => write!(f, "${{{h}}}")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::lit(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_only_without_holes() {
        let mut t = Text::lit("arn:aws:logs:");
        t.push_hole("AWS::Region");
        t.push_lit(":1:log-group:x");
        assert_eq!(t.as_known(), None);
        assert!(!t.is_opaque());
        assert_eq!(t.to_string(), "arn:aws:logs:${AWS::Region}:1:log-group:x");
        assert_eq!(t.fill("R"), "arn:aws:logs:R:1:log-group:x");
        let mut k = Text::lit("a");
        k.push_lit("b");
        assert_eq!(k.as_known().as_deref(), Some("ab"));
        assert_eq!(k.segments().len(), 1);
    }
}

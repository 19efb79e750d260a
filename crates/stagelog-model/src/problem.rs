//! What could not be read, understood, reached or written, and where: one shape for every
//! source and command, so every report and error line says it the same way.

/// A problem at a file (and line, when known), or in an account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Problem {
    /// Path as given to the scanner (relative to the working directory when it was relative).
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem in a file.
    pub fn in_file(
        file: impl Into<String>,
        line: Option<u32>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: Some(file.into()),
            line,
            message: message.into(),
            ..Problem::default()
        }
    }

    /// A problem in an account and region (either may be unknown).
    pub fn in_scope(
        account: Option<String>,
        region: Option<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            account,
            region,
            message: message.into(),
            ..Problem::default()
        }
    }

    /// `file:line`, the file, `account/region`, or what is known of it (reports' column; empty
    /// when nothing is).
    pub fn place(&self) -> String {
        match (&self.file, self.line, &self.account, &self.region) {
            (Some(f), Some(l), _, _) => format!("{f}:{l}"),
            (Some(f), None, _, _) => f.clone(),
            (None, _, Some(a), Some(r)) => format!("{a}/{r}"),
            (None, _, Some(a), None) => a.clone(),
            (None, _, None, Some(r)) => r.clone(),
            // Nowhere in particular (no credentials at all): the message says it all.
            _ => String::new(),
        }
    }

    /// `file:line: message`, `account/region: message`, or the message alone.
    fn describe(&self) -> String {
        match (&self.file, self.line, &self.account, &self.region) {
            (Some(file), Some(line), _, _) => format!("{file}:{line}: {}", self.message),
            (Some(file), None, _, _) => format!("{file}: {}", self.message),
            (None, _, None, None) => self.message.clone(),
            (None, _, _, _) => format!("{}: {}", self.place(), self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Problem;

    #[test]
    fn said_where_it_is() {
        assert_eq!(
            Problem::in_file("a.tf", Some(3), "cannot parse").to_string(),
            "a.tf:3: cannot parse"
        );
        assert_eq!(Problem::in_file("a.tf", None, "x").to_string(), "a.tf: x");
        assert_eq!(
            Problem::in_scope(Some("111111111111".into()), None, "throttled").to_string(),
            "111111111111: throttled"
        );
        assert_eq!(
            Problem::in_scope(None, None, "no credentials").to_string(),
            "no credentials"
        );
    }
}

//! JSON checked as JSON: the YAML loader, which gives every node its line, would also take
//! what JSON does not (trailing commas, comments), so JSON files are checked here first.

/// For text that starts like JSON: the line and message of its first syntax error.
pub fn syntax_error(src: &str) -> Option<(u32, String)> {
    let trimmed = src.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !trimmed.starts_with(['{', '[']) {
        return None;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(src.trim_start_matches('\u{feff}')) {
        Ok(_) => None,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            Some((
                e.line().max(1) as u32,
                format!("{msg} (column {})", e.column()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_error_with_its_line_and_column() {
        assert_eq!(super::syntax_error("{\"a\": 1}"), None);
        assert_eq!(super::syntax_error("a: 1"), None, "not JSON-looking");
        let (line, message) = super::syntax_error("{\n  \"a\": 1,\n}\n").unwrap();
        assert_eq!(line, 3);
        assert_eq!(message, "key must be a string (column 1)");
    }
}

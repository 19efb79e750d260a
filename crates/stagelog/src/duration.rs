//! Durations on the command line (`--window`, `--since`): `90s`, `15m`, `24h`, `7d`, `2w`, as
//! humantime reads them.

/// The duration in milliseconds.
pub fn parse_ms(s: &str) -> Option<i64> {
    let d = humantime::parse_duration(s.trim()).ok()?;
    i64::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_in_the_units_people_write() {
        assert_eq!(super::parse_ms("90s"), Some(90_000));
        assert_eq!(super::parse_ms("15m"), Some(900_000));
        assert_eq!(super::parse_ms("7d"), Some(7 * 86_400_000));
        assert_eq!(super::parse_ms("2w"), Some(14 * 86_400_000));
        assert_eq!(super::parse_ms("soon"), None);
    }
}

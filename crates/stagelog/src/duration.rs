//! Durations on the command line (`--window`, `--since`).

/// `90s`, `15m`, `24h`, `7d`, `2w` in milliseconds.
pub fn parse_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    (n >= 0).then(|| n.checked_mul(ms)).flatten()
}

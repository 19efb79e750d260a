//! What to do with parsed records: filters (`status >= 400`, `ip = 1.2.3.4`, `status = 4xx`),
//! a time range, grouping with counts and latency percentiles.

use crate::format::Format;
use hdrhistogram::Histogram;
use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Contains.
    Has,
    NotHas,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Has => "~",
            Op::NotHas => "!~",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub field: usize,
    pub op: Op,
    pub value: String,
    number: Option<f64>,
    /// `4xx`: digits where the pattern has digits, any digit where it has `x`.
    class: bool,
    /// `2001:db8::1` or `203.0.113.0/24`: an address or network, compared as addresses (an
    /// IPv4 address logged IPv4-mapped, `::ffff:203.0.113.9`, is that IPv4 address).
    network: Option<ipnet::IpNet>,
}

/// A `--where` filter that cannot mean anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("`{0}`: expected FIELD OP VALUE with OP one of = != < <= > >= ~ !~")]
    NoOperator(String),
    #[error("`{filter}`: no field before `{operator}`")]
    NoField {
        filter: String,
        operator: &'static str,
    },
    #[error("`{filter}`: `{written}` is not an operator{}", hint.map(|h| format!("; did you mean `{h}`?")).unwrap_or_else(|| "; OP is one of = != < <= > >= ~ !~".into()))]
    UnknownOperator {
        filter: String,
        written: String,
        hint: Option<&'static str>,
    },
    #[error("`{filter}`: `{class}` is a class of statuses, which takes = or != only (status = {class}); to order, compare with a number: status {op} {lowest}")]
    OrderedClass {
        filter: String,
        class: String,
        op: &'static str,
        lowest: String,
    },
    #[error("`{filter}`: one --where holds one condition; repeat --where for each (all must hold): {}{}", suggestion, if *or { "; OR is not supported: run one query per alternative" } else { "" })]
    Combined {
        filter: String,
        suggestion: String,
        or: bool,
    },
    #[error("`{filter}`: `{value}` is a network, which takes = or != only")]
    OrderedNetwork { filter: String, value: String },
    #[error(transparent)]
    UnknownField(#[from] crate::format::UnknownField),
}

/// The characters operators are made of: one right after an operator means it was mistyped.
const OPERATOR_CHARS: &[char] = &['=', '<', '>', '!', '~'];

/// What a mistyped operator most likely meant.
fn meant(written: &str) -> Option<&'static str> {
    Some(match written {
        "=>" => ">=",
        "=<" => "<=",
        "<>" | "!==" | "=!" => "!=",
        "===" => "=",
        "=~" | "~=" | "~~" => "~",
        "~!" => "!~",
        _ => return None,
    })
}

/// `status = 4xx and ip = 10.0.0.1`: the value holds a second condition.
fn combined(filter: &str, name: &str, sym: &str, value: &str) -> Option<FilterError> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| ["and", "or", "&&", "||"].contains(&w.to_ascii_lowercase().as_str()))?;
    let rest = words[at + 1..].join(" ");
    if at == 0 || !rest.contains(OPERATOR_CHARS) {
        return None;
    }
    let first = format!("{name} {sym} {}", words[..at].join(" "));
    let mut parts = vec![first];
    let mut or = ["or", "||"].contains(&words[at].to_ascii_lowercase().as_str());
    // Later connectives split the rest the same way.
    let mut current = Vec::new();
    for w in &words[at + 1..] {
        match w.to_ascii_lowercase().as_str() {
            "and" | "&&" | "or" | "||" => {
                or |= matches!(w.to_ascii_lowercase().as_str(), "or" | "||");
                parts.push(current.join(" "));
                current.clear();
            }
            _ => current.push(*w),
        }
    }
    parts.push(current.join(" "));
    let suggestion = parts
        .iter()
        .map(|p| format!("--where '{p}'"))
        .collect::<Vec<_>>()
        .join(" ");
    Some(FilterError::Combined {
        filter: filter.to_string(),
        suggestion,
        or,
    })
}

impl Filter {
    /// Parses `FIELD OP VALUE` (VALUE may be quoted).
    pub fn parse(text: &str, format: &Format) -> Result<Filter, FilterError> {
        const OPS: [(&str, Op); 9] = [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("!~", Op::NotHas),
            ("==", Op::Eq),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("~", Op::Has),
        ];
        let (at, sym, op) = OPS
            .iter()
            .filter_map(|(s, op)| text.find(s).map(|i| (i, *s, *op)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
            .ok_or_else(|| FilterError::NoOperator(text.to_string()))?;
        let name = text[..at].trim();
        let raw = text[at + sym.len()..].trim();
        let quoted = raw
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| raw.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
        let value = quoted.unwrap_or(raw).to_string();
        if name.is_empty() {
            return Err(FilterError::NoField {
                filter: text.to_string(),
                operator: sym,
            });
        }
        // What the grammar cannot mean is an error, never a filter that matches nothing.
        if quoted.is_none() {
            let extra: String = raw
                .chars()
                .take_while(|c| OPERATOR_CHARS.contains(c))
                .collect();
            if !extra.is_empty() {
                let written = format!("{sym}{extra}");
                return Err(FilterError::UnknownOperator {
                    filter: text.to_string(),
                    hint: meant(&written),
                    written,
                });
            }
            if let Some(e) = combined(text, name, sym, raw) {
                return Err(e);
            }
        }
        let field = format.resolve(name)?;
        let class = matches!(op, Op::Eq | Op::Ne)
            && value.len() > 1
            && value.bytes().any(|b| b == b'x' || b == b'X')
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'x' || b == b'X');
        let class_like = value.len() > 1
            && value.bytes().any(|b| b == b'x' || b == b'X')
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'x' || b == b'X');
        if class_like && !class {
            let lowest: String = value
                .chars()
                .map(|c| if c.is_ascii_digit() { c } else { '0' })
                .collect();
            return Err(FilterError::OrderedClass {
                filter: text.to_string(),
                class: value,
                op: if op == Op::Has { ">=" } else { op.symbol() },
                lowest,
            });
        }
        let network = network(&value);
        if network.is_some_and(|n| n.prefix_len() < n.max_prefix_len())
            && !matches!(op, Op::Eq | Op::Ne)
        {
            return Err(FilterError::OrderedNetwork {
                filter: text.to_string(),
                value,
            });
        }
        Ok(Filter {
            field,
            op,
            number: value.parse().ok(),
            class,
            network: network.filter(|_| matches!(op, Op::Eq | Op::Ne)),
            value,
        })
    }

    /// The `4xx` pattern as a regular expression (for CloudWatch Logs Insights).
    pub fn class_regex(&self) -> Option<String> {
        self.class.then(|| {
            let body: String = self
                .value
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        c.to_string()
                    } else {
                        "\\d".into()
                    }
                })
                .collect();
            format!("^{body}$")
        })
    }

    pub fn number(&self) -> Option<f64> {
        self.number
    }

    /// The network a `= 203.0.113.0/24` filter names (a single address is a /32 or /128).
    pub fn network(&self) -> Option<ipnet::IpNet> {
        self.network
    }

    pub fn matches(&self, v: &[u8]) -> bool {
        if self.class {
            let hit = v.len() == self.value.len()
                && v.iter().zip(self.value.bytes()).all(|(c, p)| {
                    if p == b'x' || p == b'X' {
                        c.is_ascii_digit()
                    } else {
                        *c == p
                    }
                });
            return hit == (self.op == Op::Eq);
        }
        if let Some(net) = self.network {
            let inside = address(v).is_some_and(|a| net.contains(&a));
            return inside == (self.op == Op::Eq);
        }
        let want = self.value.as_bytes();
        match self.op {
            Op::Has => return memchr::memmem::find(v, want).is_some(),
            Op::NotHas => return memchr::memmem::find(v, want).is_none(),
            _ => {}
        }
        let ord = match (self.number, number(v)) {
            (Some(w), Some(x)) => x.partial_cmp(&w),
            // A number compared with `-` (no value) or text: only (in)equality holds.
            (Some(_), None) if !matches!(self.op, Op::Eq | Op::Ne) => return false,
            _ => Some(v.cmp(want)),
        };
        let Some(ord) = ord else { return false };
        match self.op {
            Op::Eq => ord.is_eq(),
            Op::Ne => ord.is_ne(),
            Op::Lt => ord.is_lt(),
            Op::Le => ord.is_le(),
            Op::Gt => ord.is_gt(),
            Op::Ge => ord.is_ge(),
            Op::Has | Op::NotHas => unreachable!(),
        }
    }
}

/// `2001:db8::1`, `203.0.113.9` or a network `2001:db8::/32`, `203.0.113.0/24`.
fn network(value: &str) -> Option<ipnet::IpNet> {
    if !value.contains(['.', ':']) {
        return None;
    }
    value
        .parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| {
            value
                .parse::<std::net::IpAddr>()
                .ok()
                .map(|a| ipnet::IpNet::from(a.to_canonical()))
        })
        .map(|n| match n {
            // `::ffff:203.0.113.0/120` is the IPv4 network it maps.
            ipnet::IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) if v6.prefix_len() >= 96 => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                    .map(ipnet::IpNet::V4)
                    .unwrap_or(n),
                _ => n,
            },
            v4 => v4,
        })
}

/// A logged source address; an IPv4-mapped IPv6 address is its IPv4 address.
fn address(v: &[u8]) -> Option<std::net::IpAddr> {
    std::str::from_utf8(v)
        .ok()?
        .trim()
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|a| a.to_canonical())
}

/// An integer or decimal number, without allocating.
pub(crate) fn number(v: &[u8]) -> Option<f64> {
    if v.is_empty() || v.len() > 32 {
        return None;
    }
    if v.iter().all(u8::is_ascii_digit) && v.len() < 16 {
        return Some(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')) as f64);
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Milliseconds since the epoch from `requestTimeEpoch` (s or ms), CLF time
/// (`24/Nov/2026:01:02:03 +0000`) or RFC 3339 (`2026-11-24T01:02:03Z`).
pub fn parse_time(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return Some(if n > 100_000_000_000 { n } else { n * 1000 });
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() >= 20 && b.get(2) == Some(&b'/') && b.get(6) == Some(&b'/') {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS.iter().position(|m| s.get(3..6) == Some(*m))? as i64 + 1;
        let (day, year) = (num(0..2)?, num(7..11)?);
        let (h, m, sec) = (num(12..14)?, num(15..17)?, num(18..20)?);
        let offset = match s.get(21..26) {
            Some(z) => {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                sign * (num(22..24)? * 60 + num(24..26)?)
            }
            None => 0,
        };
        return Some(epoch_ms(year, month, day, h, m, sec, 0)? - offset * 60_000);
    }
    if b.len() >= 19 && b.get(4) == Some(&b'-') && matches!(b.get(10), Some(b'T' | b' ')) {
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut rest = &s[19..];
        let mut ms = 0;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            let f = &frac[..digits];
            ms = format!("{f:0<3}")[..3].parse().ok()?;
            rest = &frac[digits..];
        }
        let offset = match rest {
            "" | "Z" | "z" => 0,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                sign * (z.get(1..3)?.parse::<i64>().ok()? * 60
                    + z.get(4..6)?.parse::<i64>().ok()?)
            }
            _ => return None,
        };
        return Some(epoch_ms(year, month, day, h, m, sec, ms)? - offset * 60_000);
    }
    None
}

fn epoch_ms(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64, ms: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + m) * 60_000 + s * 1000 + ms)
}

/// Everything `stagelog logs` was asked to do with the records.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub filters: Vec<Filter>,
    /// Field holding the request time, with the range wanted (ms since the epoch).
    pub time: Option<(usize, Option<i64>, Option<i64>)>,
    pub group_by: Vec<usize>,
    pub latency: Option<usize>,
    pub top: Option<usize>,
}

impl Query {
    pub fn aggregates(&self) -> bool {
        !self.group_by.is_empty() || self.latency.is_some()
    }
}

/// Counts (and latencies) per group.
#[derive(Default)]
pub struct Groups {
    pub map: FxHashMap<GroupKey, Group>,
}

/// A group's key, held in the map's own slot when short (most are: a route and an IP
/// address), so a lookup compares bytes already in cache instead of chasing a pointer.
pub type GroupKey = smallvec::SmallVec<[u8; 40]>;

pub struct Group {
    pub count: u64,
    pub latency: Option<Latencies>,
}

/// A group's latencies as counts per histogram bucket, kept sparse: a full HDR histogram
/// holds 23,000 counters (184 KB), which ten thousand groups turned into gigabytes. The
/// histogram is built once per group at the end, from the same buckets, so its percentiles
/// are the ones recording every value into it gives.
#[derive(Default)]
pub struct Latencies {
    /// Values as they came, up to [`PENDING`]: appending is cheaper than a lookup per record.
    pending: Vec<u64>,
    /// The lowest value of each bucket (as the histogram clamps it) and how many fell in it,
    /// sorted by bucket.
    buckets: Vec<(u64, u64)>,
}

/// How many values a group holds before they are counted into its buckets.
const PENDING: usize = 256;

impl Latencies {
    fn record(&mut self, ms: u64) {
        self.pending.push(ms);
        if self.pending.len() >= PENDING {
            self.compact();
        }
    }

    /// Counts the pending values into the buckets.
    fn compact(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (h, top) = template();
        for ms in self.pending.iter_mut() {
            // As `saturating_record`: past the last bucket, a value counts as the highest one.
            *ms = if *ms > *top {
                h.high()
            } else {
                h.lowest_equivalent(*ms)
            };
        }
        self.pending.sort_unstable();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for &bucket in &self.pending {
            match runs.last_mut() {
                Some((b, n)) if *b == bucket => *n += 1,
                _ => runs.push((bucket, 1)),
            }
        }
        self.pending.clear();
        self.add_runs(runs);
    }

    /// Merges sorted `(bucket, count)` runs into the buckets.
    fn add_runs(&mut self, runs: Vec<(u64, u64)>) {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let mine = std::mem::take(&mut self.buckets);
        let mut merged = Vec::with_capacity(mine.len() + runs.len());
        let (mut a, mut b) = (mine.into_iter().peekable(), runs.into_iter().peekable());
        loop {
            let order = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0.cmp(&y.0),
                (Some(_), None) => Less,
                (None, Some(_)) => Greater,
                (None, None) => break,
            };
            merged.extend(match order {
                Less => a.next(),
                Greater => b.next(),
                Equal => a.next().zip(b.next()).map(|(x, y)| (x.0, x.1 + y.1)),
            });
        }
        self.buckets = merged;
    }

    fn merge(&mut self, mut other: Latencies) {
        other.compact();
        self.compact();
        self.add_runs(other.buckets);
    }

    /// The value at each quantile, or `None` when nothing was recorded.
    pub fn quantiles(&self, qs: &[f64]) -> Option<Vec<u64>> {
        if self.buckets.is_empty() && self.pending.is_empty() {
            return None;
        }
        let mut h = new_histogram();
        for &(bucket, n) in &self.buckets {
            h.saturating_record_n(bucket, n);
        }
        for &ms in &self.pending {
            h.saturating_record(ms);
        }
        Some(qs.iter().map(|&q| h.value_at_quantile(q)).collect())
    }
}

/// The empty histogram whose buckets [`Latencies`] uses, and the largest value its last
/// bucket holds (a little above `high()`, which the library rounds up to whole buckets).
fn template() -> &'static (Histogram<u64>, u64) {
    static TEMPLATE: std::sync::OnceLock<(Histogram<u64>, u64)> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let h = new_histogram();
        let mut probe = h.clone();
        let (mut fits, mut over) = (h.high(), h.high() * 2);
        while over - fits > 1 {
            let mid = fits + (over - fits) / 2;
            if probe.record(mid).is_ok() {
                fits = mid;
            } else {
                over = mid;
            }
        }
        (h, fits)
    })
}

/// Separates the values of a group key (a byte no access log value holds).
pub(crate) const KEY_SEP: u8 = 0x1f;

impl Groups {
    pub fn add(&mut self, key: &[u8], latency: Option<Option<u64>>) {
        let group = match self.map.get_mut(key) {
            Some(g) => g,
            None => self.map.entry(GroupKey::from_slice(key)).or_insert(Group {
                count: 0,
                latency: latency.map(|_| Latencies::default()),
            }),
        };
        group.count += 1;
        if let (Some(h), Some(Some(ms))) = (&mut group.latency, latency) {
            h.record(ms);
        }
    }

    pub fn merge(&mut self, other: Groups) {
        for (k, g) in other.map {
            match self.map.get_mut(&k) {
                Some(mine) => {
                    mine.count += g.count;
                    if let (Some(a), Some(b)) = (&mut mine.latency, g.latency) {
                        a.merge(b);
                    }
                }
                None => {
                    self.map.insert(k, g);
                }
            }
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Milliseconds up to an hour at 3 significant digits: enough for API Gateway's 29 s limit.
    Histogram::new_with_bounds(1, 3_600_000, 3).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = Format::compile("$context.status $context.identity.sourceIp").unwrap();
        let ge = Filter::parse("status >= 400", &f).unwrap();
        assert!(ge.matches(b"404") && !ge.matches(b"200") && !ge.matches(b"-"));
        let class = Filter::parse("status = 4xx", &f).unwrap();
        assert!(class.matches(b"404") && !class.matches(b"504") && !class.matches(b"40"));
        assert_eq!(class.class_regex().as_deref(), Some("^4\\d\\d$"));
        let ip = Filter::parse("ip = '1.2.3.4'", &f).unwrap();
        assert_eq!(ip.field, 1);
        assert!(ip.matches(b"1.2.3.4") && !ip.matches(b"1.2.3.40"));
        let ne = Filter::parse("ip!=1.2.3.4", &f).unwrap();
        assert!(ne.matches(b"9.9.9.9"));
        assert_eq!(
            Filter::parse("status", &f).unwrap_err(),
            FilterError::NoOperator("status".into())
        );
        assert!(matches!(
            Filter::parse("nope = 1", &f).unwrap_err(),
            FilterError::UnknownField(u) if u.name == "nope"
        ));
        assert!(Filter::parse("nope = 1", &f)
            .unwrap_err()
            .to_string()
            .contains("no field"));
    }

    #[test]
    fn times() {
        let t = parse_time(b"24/Nov/2026:01:02:03 +0000").unwrap();
        assert_eq!(t, 1_795_482_123_000);
        assert_eq!(parse_time(b"2026-11-24T01:02:03Z"), Some(t));
        assert_eq!(parse_time(b"2026-11-24T02:02:03.000+01:00"), Some(t));
        assert_eq!(parse_time(b"1795482123"), Some(t));
        assert_eq!(parse_time(b"1795482123000"), Some(t));
        assert_eq!(parse_time(b"24/Nov/2026:02:02:03 +0100"), Some(t));
        assert_eq!(parse_time(b"-"), None);
        assert_eq!(parse_time(b"99/Xyz/2026:01:02:03 +0000"), None);
    }

    proptest::proptest! {
        /// Sparse buckets give the percentiles that recording every value into one histogram
        /// gives, split across maps and merged as the engine's workers do, for values below,
        /// inside and past the histogram's range.
        #[test]
        fn sparse_latencies_match_a_histogram(
            values in proptest::collection::vec(
                proptest::prop_oneof![0u64..3000, 0u64..40_000, 3_000_000u64..5_000_000],
                1..1200,
            ),
            split in 0usize..1200,
        ) {
            let mut whole = new_histogram();
            let (mut a, mut b) = (Latencies::default(), Latencies::default());
            for (i, &v) in values.iter().enumerate() {
                whole.saturating_record(v);
                if i < split { a.record(v) } else { b.record(v) }
            }
            a.merge(b);
            let qs = [0.0, 0.5, 0.9, 0.99, 1.0];
            let expected: Vec<u64> = qs.iter().map(|&q| whole.value_at_quantile(q)).collect();
            proptest::prop_assert_eq!(a.quantiles(&qs), Some(expected));
        }
    }
}

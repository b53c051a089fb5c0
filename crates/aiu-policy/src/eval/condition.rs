//! The `Condition` element (AWS "IAM JSON policy elements: Condition operators" and "Single-valued
//! vs. multivalued context keys").
//!
//! - All operators of a statement, and all keys of an operator, must be true (AND); the values
//!   listed for one key are alternatives (OR).
//! - A key missing from the request context makes a positive operator false and a negated one
//!   (`StringNotEquals`, `StringNotLike`, `NumericNotEquals`, `DateNotEquals`, `ArnNotEquals`,
//!   `ArnNotLike`, `NotIpAddress`, ...) true; `...IfExists` makes any operator true when the key
//!   is missing; `Null` tests presence itself.
//! - Without a set operator, a negated operator is the negation of its positive form: true when
//!   no request value matches any policy value.
//! - `ForAnyValue:` is true when at least one request value satisfies the operator (false when
//!   the key is missing or empty); `ForAllValues:` when every request value does (true when the
//!   key is missing or empty).

use std::net::IpAddr;

use super::glob::{arn_matches_toks, glob_toks, ArnCase, ArnMatch, Tok};
use super::vars;
use super::Context;
use crate::document::{ConditionValue, Conditions, OneOrMany};
use crate::text::{strip_prefix_ci, strip_suffix_ci};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAll,
    ForAny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    StrEq,
    StrEqIc,
    StrLike,
    Num(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Clone, Copy, Debug)]
struct Operator {
    qualifier: Qualifier,
    base: Base,
    negated: bool,
    if_exists: bool,
}

fn parse_operator(name: &str) -> Option<Operator> {
    let (qualifier, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
        (Qualifier::ForAll, r)
    } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
        (Qualifier::ForAny, r)
    } else {
        (Qualifier::None, name)
    };
    let (rest, if_exists) = match strip_suffix_ci(rest, "IfExists") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (base, negated) = match rest.to_ascii_lowercase().as_str() {
        "stringequals" => (Base::StrEq, false),
        "stringnotequals" => (Base::StrEq, true),
        "stringequalsignorecase" => (Base::StrEqIc, false),
        "stringnotequalsignorecase" => (Base::StrEqIc, true),
        "stringlike" => (Base::StrLike, false),
        "stringnotlike" => (Base::StrLike, true),
        "numericequals" => (Base::Num(Cmp::Eq), false),
        "numericnotequals" => (Base::Num(Cmp::Eq), true),
        "numericlessthan" => (Base::Num(Cmp::Lt), false),
        "numericlessthanequals" => (Base::Num(Cmp::Le), false),
        "numericgreaterthan" => (Base::Num(Cmp::Gt), false),
        "numericgreaterthanequals" => (Base::Num(Cmp::Ge), false),
        "dateequals" => (Base::Date(Cmp::Eq), false),
        "datenotequals" => (Base::Date(Cmp::Eq), true),
        "datelessthan" => (Base::Date(Cmp::Lt), false),
        "datelessthanequals" => (Base::Date(Cmp::Le), false),
        "dategreaterthan" => (Base::Date(Cmp::Gt), false),
        "dategreaterthanequals" => (Base::Date(Cmp::Ge), false),
        "bool" => (Base::Bool, false),
        "binaryequals" => (Base::Binary, false),
        "ipaddress" => (Base::Ip, false),
        "notipaddress" => (Base::Ip, true),
        "arnequals" | "arnlike" => (Base::Arn, false),
        "arnnotequals" | "arnnotlike" => (Base::Arn, true),
        "null" => (Base::Null, false),
        _ => return None,
    };
    if base == Base::Null && (if_exists || qualifier != Qualifier::None) {
        return None;
    }
    Some(Operator {
        qualifier,
        base,
        negated,
        if_exists,
    })
}

/// The outcome of a statement's `Condition`: true or false, with the reason.
pub struct ConditionResult {
    pub holds: bool,
    pub reason: String,
}

/// Evaluates every operator and key (AND); stops at the first false one, whose reason is
/// returned. `substitute` says whether policy variables are replaced (Version 2012-10-17).
pub fn evaluate(conditions: &Conditions, ctx: &Context, substitute: bool) -> ConditionResult {
    let mut held = Vec::new();
    for (op_name, keys) in conditions {
        let Some(op) = parse_operator(op_name) else {
            return ConditionResult {
                holds: false,
                reason: format!("unknown condition operator `{op_name}`"),
            };
        };
        for (key, values) in keys {
            let (holds, why) = evaluate_key(op, key, values, ctx, substitute);
            if !holds {
                return ConditionResult {
                    holds: false,
                    reason: format!("condition {op_name} `{key}` is false: {why}"),
                };
            }
            held.push(format!("{op_name} `{key}` ({why})"));
        }
    }
    ConditionResult {
        holds: true,
        reason: format!("conditions hold: {}", held.join("; ")),
    }
}

fn show(values: &[String]) -> String {
    if values.len() == 1 {
        format!("\"{}\"", values[0])
    } else {
        format!(
            "[{}]",
            values
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn evaluate_key(
    op: Operator,
    key: &str,
    values: &OneOrMany<ConditionValue>,
    ctx: &Context,
    substitute: bool,
) -> (bool, String) {
    let policy_values: Vec<String> = values.iter().map(ConditionValue::to_string_form).collect();
    let request = ctx.get(key);
    if op.base == Base::Null {
        let present = request.is_some_and(|v| !v.is_empty());
        let wants_null = policy_values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let wants_present = policy_values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("false"));
        let holds = if present { wants_present } else { wants_null };
        let state = if present { "present" } else { "absent" };
        return (holds, format!("key is {state} in the request"));
    }
    let request: &[String] = match request {
        Some(v) if !v.is_empty() => v,
        _ => {
            if op.if_exists {
                return (
                    true,
                    "key not in the request context, ...IfExists is true".into(),
                );
            }
            return match op.qualifier {
                Qualifier::ForAll => (
                    true,
                    "key not in the request context: ForAllValues is true for an empty set".into(),
                ),
                Qualifier::ForAny => (
                    false,
                    "key not in the request context: ForAnyValue is false for an empty set".into(),
                ),
                Qualifier::None if op.negated => (
                    true,
                    "key not in the request context: a negated operator is true".into(),
                ),
                Qualifier::None => (false, "key not in the request context".into()),
            };
        }
    };
    // Prepare the policy values once (variables substituted; unresolvable ones dropped).
    let mut prepared: Vec<Prepared> = Vec::with_capacity(policy_values.len());
    let mut unresolved = Vec::new();
    for v in &policy_values {
        match prepare(op.base, v, ctx, substitute) {
            Ok(p) => prepared.push(p),
            Err(why) => unresolved.push(why),
        }
    }
    if prepared.is_empty() && !unresolved.is_empty() {
        return (
            false,
            format!("no policy value is usable ({})", unresolved.join("; ")),
        );
    }
    // f(r): the operator holds for one request value.
    let positive = |r: &str| prepared.iter().any(|p| value_matches(op.base, p, r));
    let per_value = |r: &str| positive(r) != op.negated;
    let holds = match op.qualifier {
        Qualifier::None => {
            let any = request.iter().any(|r| positive(r));
            any != op.negated
        }
        Qualifier::ForAny => request.iter().any(|r| per_value(r)),
        Qualifier::ForAll => request.iter().all(|r| per_value(r)),
    };
    let why = format!(
        "request {} vs policy {}",
        show(request),
        show(&policy_values)
    );
    let why = if unresolved.is_empty() {
        why
    } else {
        format!("{why}; ignored: {}", unresolved.join("; "))
    };
    (holds, why)
}

enum Prepared {
    Text(String),
    Pattern(Vec<Tok>),
    Number(f64),
    Date(f64),
    Net(IpAddr, u8),
}

fn prepare(base: Base, value: &str, ctx: &Context, substitute: bool) -> Result<Prepared, String> {
    let subst = |v: &str| -> Result<String, String> {
        if substitute && vars::has_variable(v) {
            vars::substitute_text(v, ctx)
                .map_err(|u| format!("variable ${{{}}} {}", u.variable, u.why))
        } else {
            Ok(v.to_owned())
        }
    };
    let pattern = |v: &str| -> Result<Vec<Tok>, String> {
        if substitute && vars::has_variable(v) {
            vars::substitute(v, ctx).map_err(|u| format!("variable ${{{}}} {}", u.variable, u.why))
        } else {
            Ok(super::glob::tokens(v))
        }
    };
    Ok(match base {
        Base::StrEq | Base::StrEqIc | Base::Binary | Base::Bool => Prepared::Text(subst(value)?),
        Base::StrLike | Base::Arn => Prepared::Pattern(pattern(value)?),
        Base::Num(_) => match value.trim().parse::<f64>() {
            Ok(n) => Prepared::Number(n),
            Err(_) => return Err(format!("`{value}` is not a number")),
        },
        Base::Date(_) => match parse_date(value) {
            Some(d) => Prepared::Date(d),
            None => return Err(format!("`{value}` is not an ISO 8601 date or epoch time")),
        },
        Base::Ip => match parse_cidr(value) {
            Some((ip, bits)) => Prepared::Net(ip, bits),
            None => return Err(format!("`{value}` is not an IP address or CIDR block")),
        },
        Base::Null => Prepared::Text(value.to_owned()),
    })
}

fn compare(cmp: Cmp, request: f64, policy: f64) -> bool {
    match cmp {
        Cmp::Eq => request == policy,
        Cmp::Lt => request < policy,
        Cmp::Le => request <= policy,
        Cmp::Gt => request > policy,
        Cmp::Ge => request >= policy,
    }
}

fn value_matches(base: Base, policy: &Prepared, request: &str) -> bool {
    match (base, policy) {
        (Base::StrEq | Base::Binary, Prepared::Text(p)) => p == request,
        (Base::StrEqIc, Prepared::Text(p)) => p.to_lowercase() == request.to_lowercase(),
        (Base::Bool, Prepared::Text(p)) => p.eq_ignore_ascii_case(request),
        (Base::StrLike, Prepared::Pattern(p)) => {
            let chars: Vec<char> = request.chars().collect();
            glob_toks(p, &chars, false)
        }
        (Base::Arn, Prepared::Pattern(p)) => {
            arn_matches_toks(p, request, ArnCase::Sensitive) == ArnMatch::Match
        }
        (Base::Num(cmp), Prepared::Number(p)) => request
            .trim()
            .parse::<f64>()
            .is_ok_and(|r| compare(cmp, r, *p)),
        (Base::Date(cmp), Prepared::Date(p)) => {
            parse_date(request).is_some_and(|r| compare(cmp, r, *p))
        }
        (Base::Ip, Prepared::Net(net, bits)) => {
            parse_ip(request).is_some_and(|ip| in_network(ip, *net, *bits))
        }
        _ => false,
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// `203.0.113.0/24`, `2001:DB8::/32`, or a single address (all bits).
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) against an IPv4 network.
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_network(IpAddr::V4(v4), net, bits)),
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

/// Seconds since the epoch of an ISO 8601 date / date-time (`2024-01-31`,
/// `2024-01-31T12:00:00Z`, with optional fraction and `+hh:mm` offset) or of an epoch number.
pub fn parse_date(s: &str) -> Option<f64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !s.contains('-') {
        return s.parse::<f64>().ok();
    }
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86400.0;
    if b.len() == 10 {
        return Some(secs);
    }
    if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
        return None;
    }
    let (hh, mm) = (num(11..13)?, num(14..16)?);
    if b.get(13) != Some(&b':') {
        return None;
    }
    let mut i = 16;
    let mut ss = 0.0;
    if b.get(16) == Some(&b':') {
        let mut end = 19;
        ss = num(17..19)? as f64;
        if b.get(19) == Some(&b'.') {
            end = 20;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            ss += s.get(19..end)?.parse::<f64>().ok()?;
        }
        i = end;
    }
    if hh > 23 || mm > 59 || ss >= 61.0 {
        return None;
    }
    secs += (hh * 3600 + mm * 60) as f64 + ss;
    let tz = &s[i..];
    let offset = match tz {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let t = &tz[1..];
            let (h, m) = match t.split_once(':') {
                Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
                None if t.len() == 4 && t.is_ascii() => {
                    (t[..2].parse::<i64>().ok()?, t[2..].parse::<i64>().ok()?)
                }
                None => (t.parse::<i64>().ok()?, 0),
            };
            h.checked_mul(3600)?
                .checked_add(m.checked_mul(60)?)?
                .checked_mul(sign)?
        }
    };
    Some(secs - offset as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_date("1970-01-02"), Some(86400.0));
        assert_eq!(parse_date("2020-01-01T00:00:00+01:00"), Some(1577833200.0));
        assert_eq!(parse_date("1577836800"), Some(1577836800.0));
        assert_eq!(parse_date("2020-01-01T00:00:00.5Z"), Some(1577836800.5));
        assert_eq!(parse_date("nope"), None);
    }

    #[test]
    fn cidrs() {
        let (n, b) = parse_cidr("203.0.113.0/24").unwrap();
        assert!(in_network("203.0.113.9".parse().unwrap(), n, b));
        assert!(!in_network("203.0.114.9".parse().unwrap(), n, b));
        let (n, b) = parse_cidr("2001:DB8::/32").unwrap();
        assert!(in_network("2001:db8:1::1".parse().unwrap(), n, b));
        assert!(!in_network("2001:db9::1".parse().unwrap(), n, b));
    }
}

//! ARN splitting and matching a policy's resource ARN (with `*`, `?` and `${...}` policy
//! variables) against a catalog ARN pattern (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`).

/// An ARN split into its six fields; `resource` keeps any further colons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits `arn:partition:service:region:account:resource` (colons inside `${...}` do not split).
/// `None` when there are fewer than six fields or the first is not `arn`.
pub fn split_arn(s: &str) -> Option<Arn<'_>> {
    let b = s.as_bytes();
    let mut cuts = Vec::with_capacity(5);
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() && cuts.len() < 5 {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => cuts.push(i),
            _ => {}
        }
        i += 1;
    }
    if cuts.len() < 5 || &s[..cuts[0]] != "arn" {
        return None;
    }
    Some(Arn {
        partition: &s[cuts[0] + 1..cuts[1]],
        service: &s[cuts[1] + 1..cuts[2]],
        region: &s[cuts[2] + 1..cuts[3]],
        account: &s[cuts[3] + 1..cuts[4]],
        resource: &s[cuts[4] + 1..],
    })
}

/// A policy resource written with fewer than six fields whose last field has a wildcard
/// (`arn:aws:codepipeline:*`, which IAM accepts: the `*` spans the remaining fields), padded
/// with `*` fields; the text itself when it has six fields; `None` otherwise.
pub fn normalize_arn(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if split_arn(s).is_some() {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    if !s.starts_with("arn:") || !s.rsplit(':').next().is_some_and(|last| last.contains('*')) {
        return None;
    }
    // "arn:" already has one of the five colons; an unclosed `${` never splits, hence the bound.
    let mut padded = s.to_string();
    for _ in 0..4 {
        padded.push_str(":*");
        if split_arn(&padded).is_some() {
            return Some(std::borrow::Cow::Owned(padded));
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    One,
    Star,
    /// A catalog placeholder that cannot contain `/` (`${BucketName}`).
    StarNoSlash,
}

fn tokens(s: &str, catalog: bool) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                // An unclosed `${` runs to the end of the text.
                let end = s[i..].find('}').map_or(b.len(), |j| i + j);
                let name = &s[i + 2..end];
                out.push(if catalog && name == "BucketName" {
                    Tok::StarNoSlash
                } else {
                    Tok::Star
                });
                i = end + 1;
                continue;
            }
            b'*' if !catalog => out.push(Tok::Star),
            b'?' if !catalog => out.push(Tok::One),
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

fn is_star(t: Tok) -> bool {
    matches!(t, Tok::Star | Tok::StarNoSlash)
}

/// Can a star token `s` consume the single-character token `t`?
fn star_eats(s: Tok, t: Tok) -> bool {
    match t {
        Tok::Lit(c) => s == Tok::Star || c != b'/',
        Tok::One => true,
        _ => false,
    }
}

/// True when some string matches both token patterns. `can[i][j]` says whether some string
/// matches both `a[i..]` and `b[j..]`; it is filled from the ends backwards (no recursion, so
/// a resource of any length cannot overflow the stack).
fn intersects(a: &[Tok], b: &[Tok], ignore_case: bool) -> bool {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut can = vec![false; (n + 1) * width];
    can[n * width + m] = true;
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            if i == n && j == m {
                continue;
            }
            let at = |i: usize, j: usize| can[i * width + j];
            let (ta, tb) = (a.get(i).copied(), b.get(j).copied());
            // A star in `a` matches nothing more, or eats `b`'s next token; likewise for `b`.
            let a_star = ta.filter(|t| is_star(*t)).is_some_and(|x| {
                at(i + 1, j) || (tb.is_some_and(|y| star_eats(x, y)) && at(i, j + 1))
            });
            let b_star = || {
                tb.filter(|t| is_star(*t)).is_some_and(|y| {
                    at(i, j + 1) || (ta.is_some_and(|x| star_eats(y, x)) && at(i + 1, j))
                })
            };
            let one_each = || match (ta, tb) {
                (Some(x), Some(y)) => {
                    let ok = match (x, y) {
                        (Tok::Lit(p), Tok::Lit(q)) => {
                            p == q || (ignore_case && p.eq_ignore_ascii_case(&q))
                        }
                        (Tok::One, t) | (t, Tok::One) => !is_star(t),
                        _ => false,
                    };
                    ok && at(i + 1, j + 1)
                }
                _ => false,
            };
            let r = a_star || b_star() || one_each();
            can[i * width + j] = r;
        }
    }
    can[0]
}

/// True when the policy resource `arn` (wildcards and policy variables allowed) can match some
/// ARN of the catalog `pattern`. Compared field by field; the service case-insensitively, the
/// resource part case-sensitively; `${BucketName}` cannot contain `/` (a bucket is not an object).
pub fn arn_pattern_can_match(pattern: &str, arn: &str) -> bool {
    if arn == "*" {
        return true;
    }
    let Some(arn) = normalize_arn(arn) else {
        return false;
    };
    let (Some(p), Some(a)) = (split_arn(pattern), split_arn(&arn)) else {
        return false;
    };
    let field = |x: &str, y: &str, ic: bool| {
        if x == y || y == "*" {
            return true;
        }
        // Fast path: the literal heads (before any placeholder / wildcard) must agree.
        let hx = &x[..x.find('$').unwrap_or(x.len())];
        let hy = &y[..y.find(['*', '?', '$']).unwrap_or(y.len())];
        let n = hx.len().min(hy.len());
        let heads_agree = if ic {
            hx.as_bytes()[..n].eq_ignore_ascii_case(&hy.as_bytes()[..n])
        } else {
            hx.as_bytes()[..n] == hy.as_bytes()[..n]
        };
        if !heads_agree {
            return false;
        }
        if !x.contains('$') && !y.contains(['*', '?', '$']) {
            return if ic {
                x.eq_ignore_ascii_case(y)
            } else {
                x == y
            };
        }
        intersects(&tokens(x, true), &tokens(y, false), ic)
    };
    field(p.service, a.service, true)
        && field(p.partition, a.partition, false)
        && field(p.region, a.region, false)
        && field(p.account, a.account, false)
        && field(p.resource, a.resource, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        let a = split_arn("arn:aws:iam::*:mfa/${aws:username}").unwrap();
        assert_eq!(
            (a.service, a.account, a.resource),
            ("iam", "*", "mfa/${aws:username}")
        );
        let a = split_arn("arn:aws:lambda:*:1:layer:sol-*:*").unwrap();
        assert_eq!(a.resource, "layer:sol-*:*");
        assert!(split_arn("s3").is_none());
        assert!(split_arn("arn:aws:s3::bucket").is_none());
        assert!(split_arn("urn:aws:s3:::b").is_none());
    }

    #[test]
    fn matching() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        assert!(arn_pattern_can_match(bucket, "arn:aws:s3:::examplebucket"));
        assert!(!arn_pattern_can_match(
            bucket,
            "arn:aws:s3:::examplebucket/*"
        ));
        assert!(arn_pattern_can_match(
            object,
            "arn:aws:s3:::examplebucket/*"
        ));
        assert!(!arn_pattern_can_match(object, "arn:aws:s3:::examplebucket"));
        assert!(arn_pattern_can_match(object, "arn:aws:s3:::*"));
        assert!(arn_pattern_can_match(bucket, "arn:aws:s3:::*"));
        assert!(!arn_pattern_can_match(
            bucket,
            "arn:aws:ec2:::examplebucket"
        ));
        assert!(!arn_pattern_can_match(
            bucket,
            "arn:aws:s3:us-east-1::examplebucket"
        ));
        let layer =
            "arn:${Partition}:lambda:${Region}:${Account}:layer:${LayerName}:${LayerVersion}";
        assert!(arn_pattern_can_match(
            layer,
            "arn:aws:lambda:*:123456789012:layer:sol-*:*"
        ));
        assert!(!arn_pattern_can_match(
            layer,
            "arn:aws:lambda:*:123456789012:function:f"
        ));
        let trail = "arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}";
        assert!(arn_pattern_can_match(trail, "arn:*:cloudtrail:*:*:trail/*"));
        assert!(arn_pattern_can_match(
            trail,
            "arn:aws:cloudtrail:us-east-1:000000000000:trail/*"
        ));
        assert!(arn_pattern_can_match(
            trail,
            "arn:aws:*:us-east-1:000000000000:*"
        ));
        assert!(arn_pattern_can_match(
            trail,
            "arn:aws:cloudtrail:us-?ast-1:000000000000:t?ail/x"
        ));
        let secret = "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}";
        assert!(arn_pattern_can_match(trail, "arn:aws:cloudtrail:*"));
        assert!(!arn_pattern_can_match(trail, "arn:aws:s3:*"));
        assert_eq!(
            normalize_arn("arn:aws:codepipeline:*").as_deref(),
            Some("arn:aws:codepipeline:*:*:*")
        );
        assert!(normalize_arn("arn:aws:codepipeline").is_none());
        assert!(arn_pattern_can_match(
            secret,
            "arn:aws:secretsmanager:<REGION>:<ACCOUNT_ID>:secret:compute-engine/*"
        ));
    }

    #[test]
    fn an_unclosed_policy_variable_runs_to_the_end_without_a_hang_or_a_panic() {
        assert!(normalize_arn("arn:${*").is_none());
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        // The unclosed variable stands for any text up to the end.
        assert!(arn_pattern_can_match(object, "arn:aws:s3:::b/${é"));
        assert!(!arn_pattern_can_match(object, "arn:aws:ec2:::${é"));
    }

    #[test]
    fn a_resource_of_any_length_is_matched_without_deep_recursion() {
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let long = format!("arn:aws:s3:::b/{}*", "x".repeat(200_000));
        assert!(arn_pattern_can_match(object, &long));
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        assert!(!arn_pattern_can_match(bucket, &long));
    }
}

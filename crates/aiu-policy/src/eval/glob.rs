//! Wildcard matching for actions, resources (ARNs) and `StringLike` / `ArnLike` values.
//!
//! A pattern is a sequence of [`Tok`]s: literal characters, `*` (any run of characters,
//! including none) and `?` (exactly one character). Policy text becomes tokens where `*` and
//! `?` are wildcards; text substituted from a policy variable (including `${*}`, `${?}`,
//! `${$}`) becomes literal characters. Text without variables is matched directly on bytes
//! when it is ASCII, without building tokens (the common case, and the fast one).

use crate::text::starts_with_ci;

/// One element of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Lit(char),
    /// `*`: any sequence of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Tokens of policy text written without variables: `*` and `?` are wildcards.
pub fn tokens(pattern: &str) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

fn chars_eq(a: char, b: char, ci: bool) -> bool {
    a == b || (ci && (a.to_lowercase().eq(b.to_lowercase())))
}

/// Glob match of tokens against characters. The classic linear algorithm with one backtrack
/// point (the last `*`): correct for `*` and `?`.
pub fn glob_toks(p: &[Tok], s: &[char], ci: bool) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi, si));
                pi += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
                continue;
            }
            Some(Tok::Lit(c)) if chars_eq(*c, s[si], ci) => {
                pi += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Star)
}

/// The same algorithm on ASCII bytes, where `*` and `?` in the pattern are wildcards.
fn glob_ascii(p: &[u8], s: &[u8], ci: bool) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            let c = p[pi];
            if c == b'*' {
                star = Some((pi, si));
                pi += 1;
                continue;
            }
            if c == b'?' || c == s[si] || (ci && c.eq_ignore_ascii_case(&s[si])) {
                pi += 1;
                si += 1;
                continue;
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// Glob match of policy text (`*` and `?` are wildcards) against a value.
pub fn glob_str(pattern: &str, value: &str, ci: bool) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern.is_ascii() && value.is_ascii() {
        return glob_ascii(pattern.as_bytes(), value.as_bytes(), ci);
    }
    let chars: Vec<char> = value.chars().collect();
    glob_toks(&tokens(pattern), &chars, ci)
}

/// Glob match of a token pattern against a value.
pub fn glob_value(pattern: &[Tok], value: &str, ci: bool) -> bool {
    let chars: Vec<char> = value.chars().collect();
    glob_toks(pattern, &chars, ci)
}

/// Actions match case-insensitively, with `*` and `?`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob_str(pattern, action, true)
}

/// How the fields of an ARN before the resource part compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArnCase {
    /// `Resource` / `NotResource`: partition, service, region and account case-insensitive,
    /// resource part case-sensitive.
    ResourceElement,
    /// `ArnEquals` / `ArnLike`: every field case-sensitive.
    Sensitive,
}

/// The result of matching an ARN pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArnMatch {
    Match,
    NoMatch,
    /// The pattern starts with `arn:` but has fewer than six colon-separated fields.
    MalformedPattern,
}

/// Matches a resource pattern against a resource: `*` matches everything; when both are
/// ARNs they are compared field by field (`arn`, partition, service, region, account,
/// resource), so a wildcard never crosses a `:` except inside the resource part, which is
/// the remainder after the fifth colon; otherwise the whole strings are compared
/// (case-sensitive).
pub fn arn_matches_str(pattern: &str, value: &str, case: ArnCase) -> ArnMatch {
    if pattern == "*" {
        return ArnMatch::Match;
    }
    if !starts_with_ci(pattern, "arn:") || !starts_with_ci(value, "arn:") {
        return if glob_str(pattern, value, false) {
            ArnMatch::Match
        } else {
            ArnMatch::NoMatch
        };
    }
    let mut pf = pattern.splitn(6, ':');
    let mut vf = value.splitn(6, ':');
    let mut result = ArnMatch::Match;
    for i in 0..6 {
        let Some(p) = pf.next() else {
            return ArnMatch::MalformedPattern;
        };
        let Some(v) = vf.next() else {
            result = ArnMatch::NoMatch;
            continue;
        };
        let ci = i < 5 && case == ArnCase::ResourceElement;
        if result == ArnMatch::Match && !glob_str(p, v, ci) {
            result = ArnMatch::NoMatch;
        }
    }
    result
}

/// [`arn_matches_str`] for a pattern with substituted variables.
pub fn arn_matches_toks(pattern: &[Tok], value: &str, case: ArnCase) -> ArnMatch {
    if pattern == [Tok::Star] {
        return ArnMatch::Match;
    }
    let starts_arn = pattern.len() >= 4
        && pattern[..4]
            .iter()
            .zip("arn:".chars())
            .all(|(t, c)| matches!(t, Tok::Lit(x) if x.eq_ignore_ascii_case(&c)));
    let value_arn = starts_with_ci(value, "arn:");
    if !starts_arn || !value_arn {
        return if glob_value(pattern, value, false) {
            ArnMatch::Match
        } else {
            ArnMatch::NoMatch
        };
    }
    let mut pf: Vec<&[Tok]> = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in pattern.iter().enumerate() {
        if pf.len() == 5 {
            break;
        }
        if *t == Tok::Lit(':') {
            pf.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    if pf.len() < 5 {
        return ArnMatch::MalformedPattern;
    }
    pf.push(&pattern[start..]);
    let vf: Vec<&str> = value.splitn(6, ':').collect();
    if vf.len() < 6 {
        return ArnMatch::NoMatch;
    }
    for i in 0..6 {
        let ci = i < 5 && case == ArnCase::ResourceElement;
        if !glob_value(pf[i], vf[i], ci) {
            return ArnMatch::NoMatch;
        }
    }
    ArnMatch::Match
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_str("s3:Get*", "s3:GetObject", false));
        assert!(glob_str("s3:get*", "S3:GETOBJECT", true));
        assert!(!glob_str("s3:get*", "s3:GetObject", false));
        assert!(glob_str("a?c", "abc", false));
        assert!(!glob_str("a?c", "ac", false));
        assert!(glob_str("*a*b*", "xxaybzz", false));
        assert!(!glob_str("*a*b", "xxaybzz", false));
        assert!(glob_str("é*", "éa", false));
        assert!(glob_str("", "", false));
        assert!(!glob_str("", "a", false));
        assert!(glob_str("**", "", false));
    }

    #[test]
    fn arns() {
        let v = "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-AbCdEf";
        let m = |p| arn_matches_str(p, v, ArnCase::ResourceElement);
        assert_eq!(
            m("arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"),
            ArnMatch::Match
        );
        assert_eq!(
            m("arn:aws:secretsmanager:*:*:secret:compute-engine/*"),
            ArnMatch::Match
        );
        assert_eq!(
            m("arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db"),
            ArnMatch::NoMatch
        );
        assert_eq!(m("arn:aws:*:111111111111:secret:*"), ArnMatch::NoMatch);
        assert_eq!(m("arn:aws:*"), ArnMatch::MalformedPattern);
        assert_eq!(
            m("arn:AWS:SecretsManager:US-WEST-2:111111111111:secret:compute-engine/*"),
            ArnMatch::Match
        );
        assert_eq!(
            m("arn:aws:secretsmanager:us-west-2:111111111111:secret:COMPUTE-engine/*"),
            ArnMatch::NoMatch
        );
        assert_eq!(m("*"), ArnMatch::Match);
        let t = tokens("arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*");
        assert_eq!(
            arn_matches_toks(&t, v, ArnCase::ResourceElement),
            ArnMatch::Match
        );
    }
}

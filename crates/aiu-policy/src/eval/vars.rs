//! Policy variables (AWS "IAM policy elements: Variables and tags").
//!
//! In a document whose `Version` is `2012-10-17`, `${key}` in `Resource` / `NotResource` and
//! in condition values is replaced by the request-context value of `key` (case-insensitive),
//! `${key, 'default'}` falls back to `default`, and `${*}`, `${?}`, `${$}` stand for the
//! literal characters `*`, `?`, `$`. Substituted text is literal: a `*` in a user name is not a
//! wildcard. In any other version (`2008-10-17` or no `Version`) the text is taken literally.
//! A variable whose key is missing (and has no default) or has several values cannot be
//! substituted: the element that contains it matches nothing.

use super::glob::Tok;
use super::Context;

/// Why a pattern could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub variable: String,
    pub why: &'static str,
}

/// True when the text contains something that looks like a variable.
pub fn has_variable(text: &str) -> bool {
    text.contains("${")
}

/// Substitutes the variables of `text`: tokens where the policy's own `*` / `?` stay
/// wildcards and substituted text is literal.
pub fn substitute(text: &str, ctx: &Context) -> Result<Vec<Tok>, Unresolved> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        push_policy_text(&rest[..start], &mut out);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // Not a variable: literal text.
            push_policy_text(&rest[start..], &mut out);
            return Ok(out);
        };
        let inner = &after[..end];
        match inner {
            "*" => out.push(Tok::Lit('*')),
            "?" => out.push(Tok::Lit('?')),
            "$" => out.push(Tok::Lit('$')),
            _ => {
                let (key, default) = split_default(inner);
                match ctx.get(key) {
                    Some(vals) if vals.len() == 1 => out.extend(vals[0].chars().map(Tok::Lit)),
                    Some(vals) if vals.len() > 1 => {
                        return Err(Unresolved {
                            variable: inner.to_owned(),
                            why: "has several values in the request context",
                        })
                    }
                    _ => match default {
                        Some(d) => out.extend(d.chars().map(Tok::Lit)),
                        None => {
                            return Err(Unresolved {
                                variable: key.to_owned(),
                                why: "is not in the request context",
                            })
                        }
                    },
                }
            }
        }
        rest = &after[end + 1..];
    }
    push_policy_text(rest, &mut out);
    Ok(out)
}

/// Substitutes and renders back to plain text (for exact comparisons, where `*` is not a
/// wildcard anyway).
pub fn substitute_text(text: &str, ctx: &Context) -> Result<String, Unresolved> {
    Ok(substitute(text, ctx)?
        .into_iter()
        .map(|t| match t {
            Tok::Lit(c) => c,
            Tok::Star => '*',
            Tok::One => '?',
        })
        .collect())
}

fn push_policy_text(text: &str, out: &mut Vec<Tok>) {
    out.extend(text.chars().map(|c| match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        c => Tok::Lit(c),
    }));
}

/// `aws:PrincipalTag/team, 'none'` -> (`aws:PrincipalTag/team`, Some(`none`)).
fn split_default(inner: &str) -> (&str, Option<&str>) {
    match inner.split_once(',') {
        Some((key, def)) => {
            let def = def.trim();
            let def = def
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(def);
            (key.trim(), Some(def))
        }
        None => (inner.trim(), None),
    }
}

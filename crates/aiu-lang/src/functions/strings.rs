//! String functions: join, split, replace (plain or `/regex/`), case, trimming, substr,
//! prefix/suffix tests, chomp, indent, strrev and title.

use aiu_model::Value;

use super::{take, Call};
use crate::EvalError;

/// `join(separator, list...)`: the elements of every list, joined by `separator`.
pub(super) fn join(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let separator = call.string(0, &args[0])?;
    let mut parts = Vec::new();
    for (i, list) in args.iter().enumerate().skip(1) {
        for (n, item) in call.list(i, list)?.iter().enumerate() {
            match item {
                Value::Unknown => return Ok(Value::Unknown),
                Value::Null => {
                    return Err(call.arg_error(
                        i,
                        format!("element {n} is null; remove it or use compact()."),
                    ))
                }
                other => parts.push(call.string(i, other)?),
            }
        }
    }
    Ok(Value::String(parts.join(&separator)))
}

/// `split(separator, str)`: the pieces between separators (an empty separator splits into
/// characters).
pub(super) fn split(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [sep, s] = take(call, args)?;
    let sep = call.string(0, &sep)?;
    let s = call.string(1, &s)?;
    let pieces: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::from).collect()
    };
    Ok(Value::List(pieces))
}

/// `replace(str, substr, replacement)`: a `substr` wrapped in slashes is a regular expression
/// and `replacement` may refer to its groups as `$1` or `${name}`.
pub(super) fn replace(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, search, replacement] = take(call, args)?;
    let s = call.string(0, &s)?;
    let search = call.string(1, &search)?;
    let replacement = call.string(2, &replacement)?;
    if search.len() >= 2 && search.starts_with('/') && search.ends_with('/') {
        let pattern = &search[1..search.len() - 1];
        let re = regex::Regex::new(pattern).map_err(|e| {
            call.arg_error(
                1,
                format!("the regular expression /{pattern}/ is invalid: {e}"),
            )
        })?;
        return Ok(Value::String(
            re.replace_all(&s, replacement.as_str()).into_owned(),
        ));
    }
    if search.is_empty() {
        return Ok(Value::String(s));
    }
    Ok(Value::String(s.replace(&search, &replacement)))
}

fn compile(call: &Call, pattern: &str) -> Result<regex::Regex, EvalError> {
    regex::Regex::new(pattern).map_err(|e| {
        call.arg_error(
            0,
            format!("the regular expression /{pattern}/ is invalid: {e}"),
        )
    })
}

/// One match as Terraform returns it: the matched text without capture groups, an object for
/// named groups, else a list of the groups.
fn match_value(re: &regex::Regex, caps: &regex::Captures) -> Value {
    let text = |m: Option<regex::Match>| m.map_or(Value::Null, |m| Value::from(m.as_str()));
    if re.captures_len() == 1 {
        return text(caps.get(0));
    }
    if re.capture_names().flatten().next().is_some() {
        return Value::Object(
            re.capture_names()
                .flatten()
                .map(|name| (name.to_owned(), text(caps.name(name))))
                .collect(),
        );
    }
    Value::List((1..re.captures_len()).map(|i| text(caps.get(i))).collect())
}

/// `regex(pattern, str)`: the first match (see [`match_value`]); an error when none.
pub(super) fn regex(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [pattern, s] = take(call, args)?;
    let re = compile(call, &call.string(0, &pattern)?)?;
    let s = call.string(1, &s)?;
    match re.captures(&s) {
        Some(caps) => Ok(match_value(&re, &caps)),
        None => Err(call.error("the pattern did not match any part of the given string. Use can(regex(...)) to test for a match.")),
    }
}

/// `regexall(pattern, str)`: every match, possibly none.
pub(super) fn regexall(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [pattern, s] = take(call, args)?;
    let re = compile(call, &call.string(0, &pattern)?)?;
    let s = call.string(1, &s)?;
    Ok(Value::List(
        re.captures_iter(&s)
            .map(|caps| match_value(&re, &caps))
            .collect(),
    ))
}

fn map_string(
    call: &Call,
    args: Vec<Value>,
    f: impl Fn(&str) -> String,
) -> Result<Value, EvalError> {
    let [s] = take(call, args)?;
    Ok(Value::String(f(&call.string(0, &s)?)))
}

/// `lower(str)`.
pub(super) fn lower(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, str::to_lowercase)
}

/// `upper(str)`.
pub(super) fn upper(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, str::to_uppercase)
}

/// `trimspace(str)`: without leading and trailing whitespace.
pub(super) fn trimspace(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, |s| s.trim().to_owned())
}

/// `chomp(str)`: without trailing newlines.
pub(super) fn chomp(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, |s| s.trim_end_matches(['\n', '\r']).to_owned())
}

/// `strrev(str)`: the characters in reverse order.
pub(super) fn strrev(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, |s| s.chars().rev().collect())
}

/// `title(str)`: the first letter of every word in upper case.
pub(super) fn title(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_string(call, args, |s| {
        let mut out = String::with_capacity(s.len());
        let mut at_word_start = true;
        for c in s.chars() {
            if at_word_start && c.is_alphanumeric() {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            at_word_start = !c.is_alphanumeric();
        }
        out
    })
}

/// `indent(spaces, str)`: every line but the first prefixed with `spaces` spaces.
pub(super) fn indent(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [spaces, s] = take(call, args)?;
    let n = call.integer(0, &spaces)?;
    if !(0..=1024).contains(&n) {
        return Err(call.arg_error(
            0,
            format!("the number of spaces must be between 0 and 1024, got {n}."),
        ));
    }
    let s = call.string(1, &s)?;
    let pad = format!("\n{}", " ".repeat(n as usize));
    Ok(Value::String(s.replace('\n', &pad)))
}

/// `trim(str, cutset)`: without any of the cutset's characters at either end.
pub(super) fn trim(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, cutset] = take(call, args)?;
    let s = call.string(0, &s)?;
    let cutset = call.string(1, &cutset)?;
    Ok(Value::String(
        s.trim_matches(|c| cutset.contains(c)).to_owned(),
    ))
}

/// `trimprefix(str, prefix)`: without `prefix` if it starts with it.
pub(super) fn trimprefix(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, prefix] = take(call, args)?;
    let s = call.string(0, &s)?;
    let prefix = call.string(1, &prefix)?;
    Ok(Value::String(
        s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_owned(),
    ))
}

/// `trimsuffix(str, suffix)`: without `suffix` if it ends with it.
pub(super) fn trimsuffix(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, suffix] = take(call, args)?;
    let s = call.string(0, &s)?;
    let suffix = call.string(1, &suffix)?;
    Ok(Value::String(
        s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_owned(),
    ))
}

/// `startswith(str, prefix)`.
pub(super) fn startswith(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, prefix] = take(call, args)?;
    Ok(Value::Bool(
        call.string(0, &s)?
            .starts_with(call.string(1, &prefix)?.as_str()),
    ))
}

/// `endswith(str, suffix)`.
pub(super) fn endswith(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, suffix] = take(call, args)?;
    Ok(Value::Bool(
        call.string(0, &s)?
            .ends_with(call.string(1, &suffix)?.as_str()),
    ))
}

/// `substr(str, offset, length)`: `length` characters from `offset` (negative counts from the
/// end); a length of -1 takes the rest of the string.
pub(super) fn substr(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s, offset, length] = take(call, args)?;
    let chars: Vec<char> = call.string(0, &s)?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = call.integer(1, &offset)?;
    let length = call.integer(2, &length)?;
    if offset < 0 {
        offset += len;
    }
    if offset < 0 || offset > len {
        return Err(call.arg_error(
            1,
            format!("offset {offset} is outside the string, which has {len} characters."),
        ));
    }
    let end = match length {
        -1 => len,
        n if n < 0 => {
            return Err(call.arg_error(2, format!("length must be -1 or at least 0, got {n}.")))
        }
        n => (offset.saturating_add(n)).min(len),
    };
    Ok(Value::String(
        chars[offset as usize..end as usize].iter().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, strs};
    use aiu_model::Value;

    #[test]
    fn join_concatenates_every_list_with_the_separator() {
        assert_eq!(
            eval_str("join(\", \", [\"a\", \"b\"], [1])"),
            Value::from("a, b, 1")
        );
        assert_eq!(eval_str("join(\"-\", [])"), Value::from(""));
        assert!(err_str("join(\",\", [\"a\", null])")
            .detail
            .contains("element 1 is null"));
        assert!(err_str("join(\",\", \"a\")")
            .detail
            .contains("\"lists\" parameter"));
    }

    #[test]
    fn split_divides_at_every_separator() {
        assert_eq!(
            eval_str("split(\",\", \"a,b,,c\")"),
            strs(&["a", "b", "", "c"])
        );
        assert_eq!(eval_str("split(\",\", \"\")"), strs(&[""]));
    }

    #[test]
    fn replace_handles_plain_substrings_and_regexes() {
        assert_eq!(
            eval_str("replace(\"a-b-c\", \"-\", \"_\")"),
            Value::from("a_b_c")
        );
        assert_eq!(
            eval_str("replace(\"role-123\", \"/[0-9]+/\", \"N\")"),
            Value::from("role-N")
        );
        assert_eq!(
            eval_str("replace(\"key=val\", \"/(\\\\w+)=(\\\\w+)/\", \"$2=$1\")"),
            Value::from("val=key")
        );
        assert!(err_str("replace(\"a\", \"/(/\", \"\")")
            .detail
            .contains("regular expression"));
    }

    #[test]
    fn regex_returns_the_match_groups_or_named_groups() {
        assert_eq!(
            eval_str("regex(\"[a-z]+\", \"123abc456\")"),
            Value::from("abc")
        );
        assert_eq!(
            eval_str("regex(\"(\\\\d+)-(\\\\d+)\", \"10-20\")"),
            strs(&["10", "20"])
        );
        assert_eq!(
            eval_str("regex(\"(?P<acct>\\\\d+):role/(?P<name>.+)\", \"123:role/admin\")"),
            crate::test_support::obj([
                ("acct", Value::from("123")),
                ("name", Value::from("admin"))
            ])
        );
        assert!(err_str("regex(\"x\", \"abc\")")
            .detail
            .contains("did not match"));
        assert_eq!(eval_str("can(regex(\"x\", \"abc\"))"), Value::Bool(false));
    }

    #[test]
    fn regexall_returns_every_match() {
        assert_eq!(eval_str("regexall(\"[0-9]\", \"a1b2\")"), strs(&["1", "2"]));
        assert_eq!(
            eval_str("length(regexall(\"z\", \"abc\"))"),
            Value::from(0i64)
        );
    }

    #[test]
    fn case_and_whitespace_functions() {
        assert_eq!(eval_str("lower(\"AbC\")"), Value::from("abc"));
        assert_eq!(eval_str("upper(\"AbC\")"), Value::from("ABC"));
        assert_eq!(eval_str("trimspace(\"  a b \\n\")"), Value::from("a b"));
        assert_eq!(eval_str("chomp(\"a\\n\\n\")"), Value::from("a"));
        assert_eq!(
            eval_str("title(\"hello big world\")"),
            Value::from("Hello Big World")
        );
        assert_eq!(eval_str("strrev(\"abc\")"), Value::from("cba"));
        assert_eq!(eval_str("indent(2, \"a\\nb\")"), Value::from("a\n  b"));
    }

    #[test]
    fn trim_functions_remove_cutsets_prefixes_and_suffixes() {
        assert_eq!(
            eval_str("trim(\"?!hello?!\", \"!?\")"),
            Value::from("hello")
        );
        assert_eq!(
            eval_str("trimprefix(\"arn:aws:x\", \"arn:\")"),
            Value::from("aws:x")
        );
        assert_eq!(eval_str("trimprefix(\"x\", \"arn:\")"), Value::from("x"));
        assert_eq!(
            eval_str("trimsuffix(\"file.json\", \".json\")"),
            Value::from("file")
        );
    }

    #[test]
    fn startswith_and_endswith() {
        assert_eq!(
            eval_str("startswith(\"arn:aws\", \"arn:\")"),
            Value::Bool(true)
        );
        assert_eq!(
            eval_str("endswith(\"arn:aws\", \"arn\")"),
            Value::Bool(false)
        );
    }

    #[test]
    fn substr_counts_characters_and_supports_negative_offsets() {
        assert_eq!(
            eval_str("substr(\"hello world\", 1, 4)"),
            Value::from("ello")
        );
        assert_eq!(eval_str("substr(\"hello\", -3, -1)"), Value::from("llo"));
        assert_eq!(eval_str("substr(\"héllo\", 1, 2)"), Value::from("él"));
        assert_eq!(eval_str("substr(\"abc\", 1, 100)"), Value::from("bc"));
        assert_eq!(
            err_str("substr(\"abc\", 5, 1)").summary,
            "Invalid function argument"
        );
    }
}

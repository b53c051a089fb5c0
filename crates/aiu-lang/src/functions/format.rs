//! `format` and `formatlist`: Go/Terraform printf-style formatting with the verbs `%v %#v %t
//! %d %b %o %x %X %e %E %f %F %g %G %s %q %%`, flags `- + space 0`, widths, precisions and
//! explicit argument indexes (`%[2]s`).

use aiu_model::value::format_number;
use aiu_model::Value;

use super::encoding::json_encode;
use super::Call;
use crate::util::{as_integer, describe, primitive_string};
use crate::EvalError;

/// `format(spec, args...)`.
pub(super) fn format(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let spec = call.string(0, &args[0])?;
    if args[1..].iter().any(Value::contains_unknown) {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(sprintf(call, &spec, &args[1..])?))
}

/// `formatlist(spec, args...)`: `format` applied element-wise; list arguments must all have
/// the same length and other arguments are repeated.
pub(super) fn formatlist(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let spec = call.string(0, &args[0])?;
    let rest = &args[1..];
    let mut length: Option<usize> = None;
    for (i, arg) in rest.iter().enumerate() {
        if let Value::List(items) = arg {
            match length {
                Some(n) if n != items.len() => {
                    return Err(call.arg_error(
                        i + 1,
                        format!("all list arguments must have the same length; this one has {} elements but an earlier one has {n}.", items.len()),
                    ))
                }
                _ => length = Some(items.len()),
            }
        }
    }
    let mut out = Vec::new();
    for row in 0..length.unwrap_or(1) {
        let row_args: Vec<Value> = rest
            .iter()
            .map(|arg| match arg {
                Value::List(items) => items.get(row).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            })
            .collect();
        if row_args.iter().any(Value::contains_unknown) {
            out.push(Value::Unknown);
        } else {
            out.push(Value::String(sprintf(call, &spec, &row_args)?));
        }
    }
    Ok(Value::List(out))
}

/// The largest width or precision accepted, so a typo cannot allocate gigabytes.
const MAX_WIDTH: usize = 4096;

#[derive(Default)]
struct Directive {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

fn read_number(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    while *i < chars.len() && chars[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i == start {
        return None;
    }
    chars[start..*i].iter().collect::<String>().parse().ok()
}

/// Reads an explicit argument index `[n]` (1-based) if present.
fn read_arg_index(call: &Call, chars: &[char], i: &mut usize) -> Result<Option<usize>, EvalError> {
    if chars.get(*i) != Some(&'[') {
        return Ok(None);
    }
    *i += 1;
    let n = read_number(chars, i);
    if chars.get(*i) != Some(&']') {
        return Err(call.arg_error(0, "an argument index must look like %[1]s."));
    }
    *i += 1;
    match n {
        Some(n) if n >= 1 => Ok(Some(n - 1)),
        _ => Err(call.arg_error(0, "argument indexes start at 1, as in %[1]s.")),
    }
}

/// Formats `args` according to `spec`.
fn sprintf(call: &Call, spec: &str, args: &[Value]) -> Result<String, EvalError> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0;
    let mut used_max = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let start = i - 1;
        let mut d = Directive::default();
        while let Some(&flag) = chars.get(i) {
            match flag {
                '-' => d.minus = true,
                '+' => d.plus = true,
                ' ' => d.space = true,
                '0' => d.zero = true,
                '#' => d.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if let Some(index) = read_arg_index(call, &chars, &mut i)? {
            next_arg = index;
        }
        d.width = read_number(&chars, &mut i);
        if chars.get(i) == Some(&'.') {
            i += 1;
            d.precision = Some(read_number(&chars, &mut i).unwrap_or(0));
        }
        if let Some(index) = read_arg_index(call, &chars, &mut i)? {
            next_arg = index;
        }
        if d.width.unwrap_or(0).max(d.precision.unwrap_or(0)) > MAX_WIDTH {
            return Err(call.arg_error(
                0,
                format!("widths and precisions must not exceed {MAX_WIDTH}."),
            ));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(call.arg_error(
                0,
                format!(
                    "the format string ends in the middle of a verb (\"{}\").",
                    chars[start..].iter().collect::<String>()
                ),
            ));
        };
        i += 1;
        let text: String = chars[start..i].iter().collect();
        let Some(arg) = args.get(next_arg) else {
            return Err(call.error(format!(
                "not enough arguments for \"{text}\" at position {}; add an argument.",
                start
            )));
        };
        next_arg += 1;
        used_max = used_max.max(next_arg);
        let formatted = format_one(call, &d, verb, arg, &text)?;
        out.push_str(&pad(
            formatted,
            &d,
            matches!(
                verb,
                'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G'
            ),
        ));
    }
    if used_max < args.len() {
        return Err(call.error(format!(
            "too many arguments; the format string uses {used_max} but {} were given.",
            args.len()
        )));
    }
    Ok(out)
}

fn pad(text: String, d: &Directive, numeric: bool) -> String {
    let len = text.chars().count();
    let Some(width) = d.width.filter(|w| *w > len) else {
        return text;
    };
    let fill = width - len;
    if d.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if d.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text.as_str()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

fn with_sign(n: f64, body: String, d: &Directive) -> String {
    if n < 0.0 || body.starts_with('-') {
        body
    } else if d.plus {
        format!("+{body}")
    } else if d.space {
        format!(" {body}")
    } else {
        body
    }
}

/// Go's `%e`: a mantissa with `precision` decimals and an exponent of at least two digits.
fn exponent_format(n: f64, precision: usize, upper: bool) -> String {
    let text = format!("{n:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exponent),
    };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{digits:0>2}")
}

fn format_one(
    call: &Call,
    d: &Directive,
    verb: char,
    arg: &Value,
    text: &str,
) -> Result<String, EvalError> {
    let unsupported = |why: String| call.error(format!("unsupported value for \"{text}\": {why}"));
    if arg.is_null() && verb != 'v' {
        return Err(unsupported("null value cannot be formatted.".to_owned()));
    }
    match verb {
        'v' if d.sharp => Ok(json_encode(arg)),
        'v' => Ok(match arg {
            Value::List(_) | Value::Object(_) => json_encode(arg),
            Value::Null => "null".to_owned(),
            other => primitive_string(other).unwrap_or_default(),
        }),
        's' => {
            let s = primitive_string(arg).ok_or_else(|| {
                unsupported(format!("a string is required, got {}.", describe(arg)))
            })?;
            Ok(match d.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            })
        }
        'q' => {
            let s = primitive_string(arg).ok_or_else(|| {
                unsupported(format!("a string is required, got {}.", describe(arg)))
            })?;
            Ok(serde_json::Value::String(s).to_string())
        }
        't' => match arg {
            Value::Bool(b) => Ok(b.to_string()),
            Value::String(s) if s == "true" || s == "false" => Ok(s.clone()),
            other => Err(unsupported(format!(
                "a bool is required, got {}.",
                describe(other)
            ))),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            if let (Value::String(s), 'x' | 'X') = (arg, verb) {
                if s.trim().parse::<f64>().is_err() {
                    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    return Ok(if verb == 'X' { hex.to_uppercase() } else { hex });
                }
            }
            let n = call.number(1, arg).map_err(|_| {
                unsupported(format!("a number is required, got {}.", describe(arg)))
            })?;
            let i = as_integer(n).ok_or_else(|| {
                unsupported(format!(
                    "a whole number is required, got {}.",
                    format_number(n)
                ))
            })?;
            let magnitude = i.unsigned_abs();
            let body = match verb {
                'd' => magnitude.to_string(),
                'b' => format!("{magnitude:b}"),
                'o' => format!("{magnitude:o}"),
                'x' => format!("{magnitude:x}"),
                _ => format!("{magnitude:X}"),
            };
            let body = if i < 0 { format!("-{body}") } else { body };
            Ok(with_sign(n, body, d))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = call.number(1, arg).map_err(|_| {
                unsupported(format!("a number is required, got {}.", describe(arg)))
            })?;
            let body = match verb {
                'e' | 'E' => exponent_format(n, d.precision.unwrap_or(6), verb == 'E'),
                'f' | 'F' => format!("{n:.prec$}", prec = d.precision.unwrap_or(6)),
                _ => match d.precision {
                    Some(p) => format!("{n:.p$}"),
                    None => format_number(n),
                },
            };
            Ok(with_sign(n, body, d))
        }
        other => Err(call.arg_error(
            0,
            format!(
                "unsupported verb \"%{other}\" in \"{text}\"; use one of %v %s %q %d %f %t %%."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, eval_with, obj, strs};
    use aiu_model::Value;

    #[test]
    fn format_supports_the_common_verbs() {
        assert_eq!(
            eval_str("format(\"Hello, %s!\", \"Ander\")"),
            Value::from("Hello, Ander!")
        );
        assert_eq!(eval_str("format(\"%d items\", 3)"), Value::from("3 items"));
        assert_eq!(eval_str("format(\"%.2f\", 3.14159)"), Value::from("3.14"));
        assert_eq!(eval_str("format(\"%f\", 1)"), Value::from("1.000000"));
        assert_eq!(
            eval_str("format(\"%q\", \"a\\\"b\")"),
            Value::from("\"a\\\"b\"")
        );
        assert_eq!(
            eval_str("format(\"%t %v %v\", true, 5, [\"a\"])"),
            Value::from("true 5 [\"a\"]")
        );
        assert_eq!(eval_str("format(\"100%%\")"), Value::from("100%"));
        assert_eq!(
            eval_str("format(\"%e\", 1500)"),
            Value::from("1.500000e+03")
        );
        assert_eq!(
            eval_str("format(\"%x %X %o %b\", 255, 255, 8, 5)"),
            Value::from("ff FF 10 101")
        );
    }

    #[test]
    fn format_supports_widths_flags_and_argument_indexes() {
        assert_eq!(
            eval_str("format(\"[%5s]\", \"ab\")"),
            Value::from("[   ab]")
        );
        assert_eq!(
            eval_str("format(\"[%-5s]\", \"ab\")"),
            Value::from("[ab   ]")
        );
        assert_eq!(eval_str("format(\"%03d\", 7)"), Value::from("007"));
        assert_eq!(eval_str("format(\"%+d\", 7)"), Value::from("+7"));
        assert_eq!(
            eval_str("format(\"%[2]s %[1]s\", \"a\", \"b\")"),
            Value::from("b a")
        );
    }

    #[test]
    fn format_errors_on_bad_arguments() {
        assert!(err_str("format(\"%d\", 1.5)")
            .detail
            .contains("whole number"));
        assert!(err_str("format(\"%s %s\", \"a\")")
            .detail
            .contains("not enough arguments"));
        assert!(err_str("format(\"%s\", \"a\", \"b\")")
            .detail
            .contains("too many arguments"));
        assert!(err_str("format(\"%d\", \"x\")")
            .detail
            .contains("a number is required"));
    }

    #[test]
    fn format_with_unknown_arguments_is_unknown() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("format(\"%s\", u.x)", root), Value::Unknown);
    }

    #[test]
    fn formatlist_formats_each_element_and_repeats_scalars() {
        assert_eq!(
            eval_str("formatlist(\"%s=%s\", [\"a\", \"b\"], \"x\")"),
            strs(&["a=x", "b=x"])
        );
        assert_eq!(
            eval_str("formatlist(\"arn:aws:iam::%s:role/%s\", \"123\", [\"r1\", \"r2\"])"),
            strs(&["arn:aws:iam::123:role/r1", "arn:aws:iam::123:role/r2"])
        );
        assert!(err_str("formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])")
            .detail
            .contains("same length"));
    }
}
